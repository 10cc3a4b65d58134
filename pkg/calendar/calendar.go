// Package calendar builds slotbook's calendar providers from
// configuration: Google and Microsoft (when their OAuth apps are
// configured), CalDAV and ICS (always).
//
// A Google or Microsoft provider is built on its first use, with the OAuth
// client secret asked for then (Config's Secret fields), and kept for the
// life of the process: a process that never connects, reads or writes such
// a calendar never asks for the secret, and one that starts needs no secret
// at all (on AWS it lives in Parameter Store, a network call away).
package calendar

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/caldav"
	"github.com/slotbook/slotbook/pkg/calendar/google"
	"github.com/slotbook/slotbook/pkg/calendar/icsfeed"
	"github.com/slotbook/slotbook/pkg/calendar/microsoft"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Secret returns an OAuth client secret. It is called on the first call
// that needs the secret (a code exchange or a token refresh), and again on
// the next one for as long as it fails; it may take a network round trip.
// Its errors must not hold the secret.
type Secret func(ctx context.Context) (string, error)

// Fixed returns a Secret that is value, for secrets the process is given
// (local mode, tests).
func Fixed(value string) Secret {
	return func(context.Context) (string, error) { return value, nil }
}

// Config configures the calendar. Endpoint fields are for tests and
// sovereign clouds; empty means the provider's public endpoint.
type Config struct {
	// RedirectURL is slotbook's OAuth callback: the API's URL + /v1/oauth/callback.
	RedirectURL string

	GoogleClientID string
	// GoogleClientSecret is asked for on Google's first use; nil sends no
	// secret.
	GoogleClientSecret                          Secret
	GoogleAuthURL, GoogleTokenURL, GoogleAPIURL string

	MicrosoftClientID string
	// MicrosoftClientSecret is asked for on Microsoft's first use; nil
	// sends no secret.
	MicrosoftClientSecret                         Secret
	MicrosoftAuthURL, MicrosoftTokenURL, GraphURL string

	// AllowPrivateNetworks lets CalDAV servers and ICS feeds be on
	// loopback and private addresses: local mode and tests only, since on
	// AWS such a URL would let a caller reach into slotbook's own network.
	AllowPrivateNetworks bool
}

// Set is the providers of one process.
type Set struct {
	Calendars map[slotbook.Provider]slotbook.CalendarProvider
	OAuth     map[slotbook.Provider]slotbook.OAuthProvider
}

// New builds the providers cfg configures. It makes no network call and
// asks for no secret.
func New(cfg Config) Set {
	s := Set{
		Calendars: map[slotbook.Provider]slotbook.CalendarProvider{
			slotbook.CalDAV: caldav.New(caldav.Config{AllowPrivateNetworks: cfg.AllowPrivateNetworks}),
			slotbook.ICS:    icsfeed.New(icsfeed.Config{AllowPrivateNetworks: cfg.AllowPrivateNetworks}),
		},
		OAuth: map[slotbook.Provider]slotbook.OAuthProvider{},
	}
	if cfg.GoogleClientID != "" {
		g := &lazy{name: slotbook.Google, secret: cfg.GoogleClientSecret, build: func(secret string) provider {
			return google.New(google.Config{
				ClientID: cfg.GoogleClientID, ClientSecret: secret, RedirectURL: cfg.RedirectURL,
				AuthURL: cfg.GoogleAuthURL, TokenURL: cfg.GoogleTokenURL, APIEndpoint: cfg.GoogleAPIURL,
			})
		}}
		s.Calendars[slotbook.Google], s.OAuth[slotbook.Google] = g, g
	}
	if cfg.MicrosoftClientID != "" {
		m := &lazy{name: slotbook.Microsoft, secret: cfg.MicrosoftClientSecret, build: func(secret string) provider {
			return microsoft.New(microsoft.Config{
				ClientID: cfg.MicrosoftClientID, ClientSecret: secret, RedirectURL: cfg.RedirectURL,
				AuthURL: cfg.MicrosoftAuthURL, TokenURL: cfg.MicrosoftTokenURL, BaseURL: cfg.GraphURL,
			})
		}}
		s.Calendars[slotbook.Microsoft], s.OAuth[slotbook.Microsoft] = m, m
	}
	return s
}

// provider is what the Google and Microsoft providers are.
type provider interface {
	slotbook.CalendarProvider
	slotbook.OAuthProvider
}

// lazy is a Google or Microsoft provider built on first need: with the
// client secret, as soon as a call needs it, and kept from then on. A
// secret that cannot be had fails that call with an error that is not
// ErrCalendarAuth (slotbook answers it as unavailable, and never marks a
// connection as needing re-authorisation for it); the next call asks again.
type lazy struct {
	name   slotbook.Provider
	secret Secret
	build  func(secret string) provider

	mu      sync.Mutex
	p       provider // built with the secret
	consent provider // built without it, for AuthCodeURL only
}

var (
	_ slotbook.CalendarProvider = (*lazy)(nil)
	_ slotbook.OAuthProvider    = (*lazy)(nil)
)

// get returns the provider, asking for the secret and building it first if
// no call has yet.
func (l *lazy) get(ctx context.Context) (provider, error) {
	l.mu.Lock()
	p := l.p
	l.mu.Unlock()
	if p != nil {
		return p, nil
	}
	var secret string
	if l.secret != nil {
		var err error
		if secret, err = l.secret(ctx); err != nil {
			return nil, fmt.Errorf("calendar: the %s client secret: %w", l.name, err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.p == nil {
		l.p = l.build(secret)
	}
	return l.p, nil
}

// AuthCodeURL returns the provider's consent page for state. The page's
// URL holds the client id, never the secret, so it is made without asking
// for it.
func (l *lazy) AuthCodeURL(state string) string {
	l.mu.Lock()
	p := l.p
	if p == nil {
		if l.consent == nil {
			l.consent = l.build("")
		}
		p = l.consent
	}
	l.mu.Unlock()
	return p.AuthCodeURL(state)
}

// Exchange trades an authorization code for a refresh token.
func (l *lazy) Exchange(ctx context.Context, code string) (string, error) {
	p, err := l.get(ctx)
	if err != nil {
		return "", err
	}
	return p.Exchange(ctx, code)
}

// Calendars lists the account's calendars.
func (l *lazy) Calendars(ctx context.Context, acct slotbook.Account) ([]slotbook.CalendarInfo, error) {
	p, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return p.Calendars(ctx, acct)
}

// Busy returns the busy times of the account's calendars.
func (l *lazy) Busy(ctx context.Context, acct slotbook.Account, calendarIDs []string, from, to time.Time) ([]slotbook.BusyResult, error) {
	p, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return p.Busy(ctx, acct, calendarIDs, from, to)
}

// Events returns a calendar's events for the overview.
func (l *lazy) Events(ctx context.Context, acct slotbook.Account, calendarID string, from, to time.Time) ([]slotbook.ExternalEvent, error) {
	p, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return p.Events(ctx, acct, calendarID, from, to)
}

// PutEvent writes a booking's event.
func (l *lazy) PutEvent(ctx context.Context, acct slotbook.Account, calendarID string, ev slotbook.EventDraft) (string, error) {
	p, err := l.get(ctx)
	if err != nil {
		return "", err
	}
	return p.PutEvent(ctx, acct, calendarID, ev)
}

// DeleteEvent removes an event.
func (l *lazy) DeleteEvent(ctx context.Context, acct slotbook.Account, calendarID, eventID string) error {
	p, err := l.get(ctx)
	if err != nil {
		return err
	}
	return p.DeleteEvent(ctx, acct, calendarID, eventID)
}

// DeleteDraftEvent removes the event written for a draft.
func (l *lazy) DeleteDraftEvent(ctx context.Context, acct slotbook.Account, calendarID string, draft slotbook.EventDraft) error {
	p, err := l.get(ctx)
	if err != nil {
		return err
	}
	return p.DeleteDraftEvent(ctx, acct, calendarID, draft)
}
