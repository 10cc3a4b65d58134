// Package calendar builds slotbook's calendar providers from
// configuration: Google and Microsoft (when their OAuth apps are
// configured), CalDAV and ICS (always).
package calendar

import (
	"github.com/slotbook/slotbook/pkg/calendar/caldav"
	"github.com/slotbook/slotbook/pkg/calendar/google"
	"github.com/slotbook/slotbook/pkg/calendar/icsfeed"
	"github.com/slotbook/slotbook/pkg/calendar/microsoft"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Config configures the calendar. Endpoint fields are for tests and
// sovereign clouds; empty means the provider's public endpoint.
type Config struct {
	// RedirectURL is slotbook's OAuth callback: the API's URL + /v1/oauth/callback.
	RedirectURL string

	GoogleClientID, GoogleClientSecret            string
	GoogleAuthURL, GoogleTokenURL, GoogleAPIURL   string
	MicrosoftClientID, MicrosoftClientSecret      string
	MicrosoftAuthURL, MicrosoftTokenURL, GraphURL string

	// AllowPrivateNetworks lets CalDAV servers and ICS feeds be on
	// loopback and private addresses: local mode and tests only, since on
	// AWS such a URL would let a caller reach into slotbook's own network.
	AllowPrivateNetworks bool
}

// Environment variables FromEnv reads.
const (
	EnvRedirectURL           = "SLOTBOOK_OAUTH_REDIRECT_URL"
	EnvGoogleClientID        = "SLOTBOOK_GOOGLE_CLIENT_ID"
	EnvGoogleClientSecret    = "SLOTBOOK_GOOGLE_CLIENT_SECRET"
	EnvGoogleAuthURL         = "SLOTBOOK_GOOGLE_AUTH_URL"
	EnvGoogleTokenURL        = "SLOTBOOK_GOOGLE_TOKEN_URL"
	EnvGoogleAPIURL          = "SLOTBOOK_GOOGLE_API_URL"
	EnvMicrosoftClientID     = "SLOTBOOK_MICROSOFT_CLIENT_ID"
	EnvMicrosoftClientSecret = "SLOTBOOK_MICROSOFT_CLIENT_SECRET"
	EnvMicrosoftAuthURL      = "SLOTBOOK_MICROSOFT_AUTH_URL"
	EnvMicrosoftTokenURL     = "SLOTBOOK_MICROSOFT_TOKEN_URL"
	EnvGraphURL              = "SLOTBOOK_GRAPH_URL"
)

// FromEnv reads a Config from the environment.
func FromEnv(getenv func(string) string) Config {
	return Config{
		RedirectURL:        getenv(EnvRedirectURL),
		GoogleClientID:     getenv(EnvGoogleClientID),
		GoogleClientSecret: getenv(EnvGoogleClientSecret),
		GoogleAuthURL:      getenv(EnvGoogleAuthURL),
		GoogleTokenURL:     getenv(EnvGoogleTokenURL),
		GoogleAPIURL:       getenv(EnvGoogleAPIURL),

		MicrosoftClientID:     getenv(EnvMicrosoftClientID),
		MicrosoftClientSecret: getenv(EnvMicrosoftClientSecret),
		MicrosoftAuthURL:      getenv(EnvMicrosoftAuthURL),
		MicrosoftTokenURL:     getenv(EnvMicrosoftTokenURL),
		GraphURL:              getenv(EnvGraphURL),
	}
}

// Set is the providers of one process.
type Set struct {
	Calendars map[slotbook.Provider]slotbook.CalendarProvider
	OAuth     map[slotbook.Provider]slotbook.OAuthProvider
}

// New builds the providers cfg configures.
func New(cfg Config) Set {
	s := Set{
		Calendars: map[slotbook.Provider]slotbook.CalendarProvider{
			slotbook.CalDAV: caldav.New(caldav.Config{AllowPrivateNetworks: cfg.AllowPrivateNetworks}),
			slotbook.ICS:    icsfeed.New(icsfeed.Config{AllowPrivateNetworks: cfg.AllowPrivateNetworks}),
		},
		OAuth: map[slotbook.Provider]slotbook.OAuthProvider{},
	}
	if cfg.GoogleClientID != "" {
		g := google.New(google.Config{
			ClientID: cfg.GoogleClientID, ClientSecret: cfg.GoogleClientSecret, RedirectURL: cfg.RedirectURL,
			AuthURL: cfg.GoogleAuthURL, TokenURL: cfg.GoogleTokenURL, APIEndpoint: cfg.GoogleAPIURL,
		})
		s.Calendars[slotbook.Google], s.OAuth[slotbook.Google] = g, g
	}
	if cfg.MicrosoftClientID != "" {
		m := microsoft.New(microsoft.Config{
			ClientID: cfg.MicrosoftClientID, ClientSecret: cfg.MicrosoftClientSecret, RedirectURL: cfg.RedirectURL,
			AuthURL: cfg.MicrosoftAuthURL, TokenURL: cfg.MicrosoftTokenURL, BaseURL: cfg.GraphURL,
		})
		s.Calendars[slotbook.Microsoft], s.OAuth[slotbook.Microsoft] = m, m
	}
	return s
}
