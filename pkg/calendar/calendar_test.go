package calendar_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar"
	"github.com/slotbook/slotbook/pkg/calendar/google/googletest"
	"github.com/slotbook/slotbook/pkg/calendar/microsoft/graphtest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// flakySecret is a client secret in a parameter store that is down for the
// first failures asks, then answers value. It counts the asks.
type flakySecret struct {
	mu       sync.Mutex
	value    string
	failures int
	asks     int
}

func (f *flakySecret) get(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asks++
	if f.asks <= f.failures {
		return "", errors.New("parameter store: the extension did not answer")
	}
	return f.value, nil
}

func (f *flakySecret) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asks
}

// TestAnOAuthProviderAsksForItsSecretOnFirstNeedOnly: building the set and
// sending users to the consent page ask for no secret; the first call that
// needs it asks, a failure is a plain (unavailable) error and is asked again
// next time, and once it answered it is never asked again.
func TestAnOAuthProviderAsksForItsSecretOnFirstNeedOnly(t *testing.T) {
	g := googletest.New(t)
	ann := g.AddAccount("ann@example.com", googletest.Calendar{TimeZone: "Europe/Zurich"})
	m := graphtest.New(t)
	adele := m.AddMailbox("adele@contoso.example", "Adele Vance")

	gs := &flakySecret{value: googletest.ClientSecret, failures: 1}
	ms := &flakySecret{value: graphtest.ClientSecret, failures: 1}
	set := calendar.New(calendar.Config{
		RedirectURL:    "https://api.slotbook.test/v1/oauth/callback",
		GoogleClientID: googletest.ClientID, GoogleClientSecret: gs.get,
		GoogleAuthURL: g.AuthURL, GoogleTokenURL: g.TokenURL, GoogleAPIURL: g.APIEndpoint,
		MicrosoftClientID: graphtest.ClientID, MicrosoftClientSecret: ms.get,
		MicrosoftAuthURL: m.AuthURL, MicrosoftTokenURL: m.TokenURL, GraphURL: m.BaseURL,
	})
	for _, tc := range []struct {
		provider slotbook.Provider
		secret   *flakySecret
		clientID string
		acct     slotbook.Account
		reached  func() int // requests that reached the provider
	}{
		{slotbook.Google, gs, googletest.ClientID, slotbook.Account{Provider: slotbook.Google, Email: ann.Email, Secret: ann.RefreshToken},
			func() int { return len(g.TokenRequests()) }},
		{slotbook.Microsoft, ms, graphtest.ClientID, slotbook.Account{Provider: slotbook.Microsoft, Email: adele.Address, Secret: adele.RefreshToken},
			func() int { return len(m.Requests("", "")) }},
	} {
		t.Run(string(tc.provider), func(t *testing.T) {
			cal, op := set.Calendars[tc.provider], set.OAuth[tc.provider]
			if cal == nil || op == nil {
				t.Fatalf("no %s provider in the set", tc.provider)
			}
			if n := tc.secret.count(); n != 0 {
				t.Fatalf("building the set asked for the secret %d times", n)
			}

			consent, err := url.Parse(op.AuthCodeURL("state-1"))
			if err != nil || consent.Query().Get("client_id") != tc.clientID || consent.Query().Get("state") != "state-1" {
				t.Errorf("consent page %v (%v); want the client id and the state", consent, err)
			}
			if n := tc.secret.count(); n != 0 || strings.Contains(consent.String(), tc.secret.value) {
				t.Errorf("the consent page asked for the secret (%d times) or shows it: %s", n, consent)
			}

			from := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
			_, err = cal.Busy(t.Context(), tc.acct, []string{"primary"}, from, from.Add(24*time.Hour))
			if err == nil {
				t.Fatal("Busy succeeded while the secret could not be had")
			}
			if errors.Is(err, slotbook.ErrCalendarAuth) {
				t.Errorf("Busy = %v, which says the connection's credentials were refused; the fault is slotbook's secret", err)
			}
			if strings.Contains(err.Error(), tc.secret.value) {
				t.Errorf("the error %q holds the secret", err)
			}
			if n := tc.reached(); n != 0 {
				t.Errorf("%d requests reached the provider without a secret", n)
			}

			cals, err := cal.Calendars(t.Context(), tc.acct)
			if err != nil || len(cals) == 0 {
				t.Fatalf("Calendars after the store came back = %v, %v", cals, err)
			}
			if _, err := cal.Calendars(t.Context(), tc.acct); err != nil {
				t.Fatal(err)
			}
			if n := tc.secret.count(); n != 2 {
				t.Errorf("the secret was asked for %d times, want 2: the failure and the first success, then kept", n)
			}
		})
	}
}

func TestWithoutClientIDsThereIsNoOAuthProvider(t *testing.T) {
	set := calendar.New(calendar.Config{})
	if len(set.OAuth) != 0 || set.Calendars[slotbook.Google] != nil || set.Calendars[slotbook.Microsoft] != nil {
		t.Errorf("OAuth providers %v, calendars %v; want CalDAV and ICS only", set.OAuth, set.Calendars)
	}
	if set.Calendars[slotbook.CalDAV] == nil || set.Calendars[slotbook.ICS] == nil {
		t.Errorf("calendars %v lack CalDAV or ICS", set.Calendars)
	}
}
