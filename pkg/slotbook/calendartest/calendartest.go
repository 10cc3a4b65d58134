// Package calendartest is an external calendar in memory, for tests of
// what slotbook does with calendars (fan-out, fail closed, connect, write)
// apart from any provider's wire format, which each provider package tests
// against its own fake server.
package calendartest

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Provider is a calendar provider in memory. It implements
// slotbook.CalendarProvider and slotbook.OAuthProvider. Accounts are keyed
// by their secret (refresh token, password or feed URL).
type Provider struct {
	mu sync.Mutex
	// Delay is how long every call takes (respecting the context).
	Delay time.Duration
	// Accounts maps a secret to the account it opens.
	Accounts map[string]*Account
	// Calls counts the calls of each method.
	Calls map[string]int
	// BeforeWrite, if set, runs before every PutEvent, DeleteEvent and
	// DeleteDraftEvent takes effect (with the method's name), and may
	// stop it with an error: a calendar that cannot be written, or, with
	// runtime.Goexit, a request that dies there.
	BeforeWrite func(method string) error
	// AfterPut, if set, runs after PutEvent stored the event, and its error
	// is returned instead of the event's id: the answer was lost.
	AfterPut func() error
}

// Account is one account of the fake provider.
type Account struct {
	Email     string
	Calendars []slotbook.CalendarInfo
	// Busy holds each calendar's events.
	Events map[string][]slotbook.ExternalEvent
	// Fail makes every call of the account fail with this error.
	Fail error
	// Rotate, if set, is the refresh token handed out on the next call.
	Rotate string
	// Written holds the events written, by event id.
	Written map[string]slotbook.EventDraft
}

// New returns an empty provider.
func New() *Provider {
	return &Provider{Accounts: map[string]*Account{}, Calls: map[string]int{}}
}

var (
	_ slotbook.CalendarProvider = (*Provider)(nil)
	_ slotbook.OAuthProvider    = (*Provider)(nil)
)

// Add registers an account under secret with one primary calendar "primary".
func (p *Provider) Add(secret, email string) *Account {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := &Account{
		Email:     email,
		Calendars: []slotbook.CalendarInfo{{ID: "primary", Name: email, Primary: true, Owner: email}},
		Events:    map[string][]slotbook.ExternalEvent{},
		Written:   map[string]slotbook.EventDraft{},
	}
	p.Accounts[secret] = a
	return a
}

// Set changes the provider under its lock.
func (p *Provider) Set(f func(p *Provider)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p)
}

// Count returns how often method was called.
func (p *Provider) Count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Calls[method]
}

// enter counts the call, waits Delay and returns the account of acct.
func (p *Provider) enter(ctx context.Context, method string, acct slotbook.Account) (*Account, error) {
	p.mu.Lock()
	p.Calls[method]++
	delay := p.Delay
	p.mu.Unlock()
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("calendartest: %s: %w", method, ctx.Err())
		case <-t.C:
		}
	}
	secret := acct.Secret
	if acct.Provider == slotbook.ICS {
		secret = acct.URL
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	a, ok := p.Accounts[secret]
	if !ok {
		return nil, fmt.Errorf("calendartest: %s: %w", method, slotbook.ErrCalendarAuth)
	}
	if a.Fail != nil {
		return nil, fmt.Errorf("calendartest: %s: %w", method, a.Fail)
	}
	if a.Rotate != "" && acct.OnRotate != nil {
		next := a.Rotate
		a.Rotate = ""
		p.Accounts[next] = a
		delete(p.Accounts, secret)
		p.mu.Unlock()
		err := acct.OnRotate(ctx, next)
		p.mu.Lock()
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Calendars implements slotbook.CalendarProvider.
func (p *Provider) Calendars(ctx context.Context, acct slotbook.Account) ([]slotbook.CalendarInfo, error) {
	a, err := p.enter(ctx, "Calendars", acct)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(a.Calendars), nil
}

// Busy implements slotbook.CalendarProvider.
func (p *Provider) Busy(ctx context.Context, acct slotbook.Account, ids []string, from, to time.Time) ([]slotbook.BusyResult, error) {
	a, err := p.enter(ctx, "Busy", acct)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]slotbook.BusyResult, len(ids))
	for i, id := range ids {
		if acct.Provider == slotbook.ICS {
			id = "primary" // a feed is one calendar, whatever its id
		}
		evs, ok := a.Events[id]
		if !ok && !hasCalendar(a, id) {
			out[i].Err = fmt.Errorf("calendartest: no calendar %s", id)
			continue
		}
		for _, e := range evs {
			if e.Busy && e.Start.Before(to) && from.Before(e.End) {
				out[i].Busy = append(out[i].Busy, slotbook.BusyInterval{Start: e.Start, End: e.End})
			}
		}
		for _, w := range a.Written {
			if id == "primary" && w.Start.Before(to) && from.Before(w.End) {
				out[i].Busy = append(out[i].Busy, slotbook.BusyInterval{Start: w.Start, End: w.End})
			}
		}
	}
	return out, nil
}

func hasCalendar(a *Account, id string) bool {
	return slices.ContainsFunc(a.Calendars, func(c slotbook.CalendarInfo) bool { return c.ID == id })
}

// Events implements slotbook.CalendarProvider.
func (p *Provider) Events(ctx context.Context, acct slotbook.Account, id string, from, to time.Time) ([]slotbook.ExternalEvent, error) {
	a, err := p.enter(ctx, "Events", acct)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if acct.Provider == slotbook.ICS {
		id = "primary"
	}
	var out []slotbook.ExternalEvent
	for _, e := range a.Events[id] {
		if e.Start.Before(to) && from.Before(e.End) {
			out = append(out, e)
		}
	}
	return out, nil
}

// beforeWrite runs BeforeWrite, if set.
func (p *Provider) beforeWrite(method string) error {
	p.mu.Lock()
	hook := p.BeforeWrite
	p.mu.Unlock()
	if hook == nil {
		return nil
	}
	if err := hook(method); err != nil {
		return fmt.Errorf("calendartest: %s: %w", method, err)
	}
	return nil
}

// PutEvent implements slotbook.CalendarProvider; the event id is the
// draft's key, so a second write replaces the first.
func (p *Provider) PutEvent(ctx context.Context, acct slotbook.Account, id string, ev slotbook.EventDraft) (string, error) {
	a, err := p.enter(ctx, "PutEvent", acct)
	if err != nil {
		return "", err
	}
	if err := p.beforeWrite("PutEvent"); err != nil {
		return "", err
	}
	p.mu.Lock()
	a.Written["ev-"+ev.Key] = ev
	after := p.AfterPut
	p.mu.Unlock()
	if after != nil {
		if err := after(); err != nil {
			return "", fmt.Errorf("calendartest: PutEvent: %w", err)
		}
	}
	return "ev-" + ev.Key, nil
}

// DeleteEvent implements slotbook.CalendarProvider.
func (p *Provider) DeleteEvent(ctx context.Context, acct slotbook.Account, _, eventID string) error {
	a, err := p.enter(ctx, "DeleteEvent", acct)
	if err != nil {
		return err
	}
	if err := p.beforeWrite("DeleteEvent"); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(a.Written, eventID)
	return nil
}

// WrittenTo returns the events written into the account of secret, by id.
func (p *Provider) WrittenTo(secret string) map[string]slotbook.EventDraft {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]slotbook.EventDraft{}
	if a, ok := p.Accounts[secret]; ok {
		for k, v := range a.Written {
			out[k] = v
		}
	}
	return out
}

// DeleteDraftEvent implements slotbook.CalendarProvider: the event of a
// draft is "ev-" + its key.
func (p *Provider) DeleteDraftEvent(ctx context.Context, acct slotbook.Account, calendarID string, draft slotbook.EventDraft) error {
	return p.DeleteEvent(ctx, acct, calendarID, "ev-"+draft.Key)
}

// AuthCodeURL implements slotbook.OAuthProvider.
func (p *Provider) AuthCodeURL(state string) string {
	return "https://accounts.example/consent?state=" + url.QueryEscape(state)
}

// Exchange implements slotbook.OAuthProvider: code "refresh:<token>"
// yields token; anything else is refused.
func (p *Provider) Exchange(_ context.Context, code string) (string, error) {
	if tok, ok := strings.CutPrefix(code, "refresh:"); ok {
		return tok, nil
	}
	return "", fmt.Errorf("calendartest: exchange: %w", slotbook.ErrCalendarAuth)
}
