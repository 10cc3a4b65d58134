package googletest_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/google/googletest"
	"github.com/slotbook/slotbook/pkg/calendar/oauthtest"
)

var day = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)

// app is a client application of s, with the credentials s accepts.
func app(s *googletest.Server) oauthtest.Client {
	return oauthtest.Client{HTTP: s.Client(), AuthURL: s.AuthURL, TokenURL: s.TokenURL, ID: googletest.ClientID, Secret: googletest.ClientSecret}
}

func TestCalendarIDs(t *testing.T) {
	s := googletest.New(t)
	ann := s.AddAccount("ann@example.com", googletest.Calendar{})
	secondary := s.AddCalendar(ann.Email, googletest.Calendar{Summary: "Projects"})
	at := app(s).AccessToken(t, ann.RefreshToken)
	var list struct {
		Items []struct {
			ID      string
			Primary bool
		}
	}
	app(s).Call(t, "GET", s.APIEndpoint+"users/me/calendarList", at, "", &list)
	if len(list.Items) != 2 {
		t.Fatalf("calendarList = %+v, want 2 calendars", list.Items)
	}
	for _, c := range list.Items {
		switch {
		case c.Primary && c.ID != ann.Email:
			t.Errorf("primary calendar id %q, want the account's address", c.ID)
		case !c.Primary && (c.ID != secondary || !strings.HasPrefix(c.ID, "c_") || !strings.HasSuffix(c.ID, "@group.calendar.google.com")):
			t.Errorf("secondary calendar id %q, want an opaque c_…@group.calendar.google.com", c.ID)
		}
	}
	if !list.Items[1].Primary {
		t.Errorf("calendarList = %+v, want the primary calendar last", list.Items)
	}
}

func TestFreeBusyReportsUnknownCalendarsInsideThe200(t *testing.T) {
	s := googletest.New(t)
	ann := s.AddAccount("ann@example.com", googletest.Calendar{})
	s.AddEvent(ann.Email, googletest.Event{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour)})
	s.AddEvent(ann.Email, googletest.Event{Start: day.Add(9*time.Hour + 30*time.Minute), End: day.Add(11 * time.Hour)})
	s.AddEvent(ann.Email, googletest.Event{Start: day.Add(12 * time.Hour), End: day.Add(13 * time.Hour), Transparency: "transparent"})
	s.AddEvent(ann.Email, googletest.Event{Start: day.Add(14 * time.Hour), End: day.Add(15 * time.Hour), Status: "cancelled"})
	at := app(s).AccessToken(t, ann.RefreshToken)
	var ans struct {
		Calendars map[string]struct {
			Busy   []struct{ Start, End string }
			Errors []struct{ Domain, Reason string }
		}
	}
	s.AddAccount("bob@example.com", googletest.Calendar{}) // not shared with Ann
	body := `{"timeMin":"2027-06-01T00:00:00Z","timeMax":"2027-06-02T00:00:00Z","items":[{"id":"ann@example.com"},{"id":"gone@example.com"},{"id":"bob@example.com"}]}`
	if status := app(s).Call(t, "POST", s.APIEndpoint+"freeBusy", at, body, &ans); status != http.StatusOK {
		t.Fatalf("freeBusy: status %d, want 200", status)
	}
	if got := ans.Calendars["ann@example.com"]; len(got.Errors) != 0 || len(got.Busy) != 1 ||
		got.Busy[0].Start != "2027-06-01T09:00:00Z" || got.Busy[0].End != "2027-06-01T11:00:00Z" {
		t.Errorf("ann = %+v, want one merged busy period 09:00–11:00 (transparent and cancelled events free)", got)
	}
	for _, id := range []string{"gone@example.com", "bob@example.com"} {
		if got := ans.Calendars[id]; len(got.Errors) != 1 || got.Errors[0].Reason != "notFound" || len(got.Busy) != 0 {
			t.Errorf("%s = %+v, want errors [notFound] and no busy times", id, got)
		}
	}
}

func TestEventsInsertListAndDelete(t *testing.T) {
	s := googletest.New(t)
	ann := s.AddAccount("ann@example.com", googletest.Calendar{})
	at := app(s).AccessToken(t, ann.RefreshToken)
	events := s.APIEndpoint + "calendars/primary/events"
	insert := func(id string) int {
		return app(s).Call(t, "POST", events, at, `{"id":"`+id+`","summary":"x","start":{"dateTime":"2027-06-01T09:00:00+02:00"},"end":{"dateTime":"2027-06-01T10:00:00+02:00"}}`, nil)
	}
	if status := insert("abcde12345"); status != http.StatusOK {
		t.Fatalf("insert: status %d", status)
	}
	if status := insert("abcde12345"); status != http.StatusConflict {
		t.Errorf("insert of an id in use: status %d, want 409", status)
	}
	if status := insert("ABC-not-base32hex"); status != http.StatusBadRequest {
		t.Errorf("insert with an invalid id: status %d, want 400", status)
	}
	if status := app(s).Call(t, "DELETE", events+"/abcde12345", at, "", nil); status != http.StatusNoContent {
		t.Errorf("delete: status %d, want 204", status)
	}
	if status := insert("abcde12345"); status != http.StatusConflict {
		t.Errorf("insert of a deleted event's id: status %d, want 409 (Google keeps it as cancelled)", status)
	}
	list := func(query string) (int, int) {
		var ans struct{ Items []struct{ Status string } }
		status := app(s).Call(t, "GET", events+"?"+query, at, "", &ans)
		return status, len(ans.Items)
	}
	if _, n := list("singleEvents=true&orderBy=startTime"); n != 0 {
		t.Errorf("events.list = %d events, want the deleted one left out", n)
	}
	if _, n := list("showDeleted=true"); n != 1 {
		t.Errorf("events.list with showDeleted = %d events, want 1", n)
	}
	if status, _ := list("orderBy=startTime"); status != http.StatusBadRequest {
		t.Errorf("orderBy=startTime without singleEvents: status %d, want 400", status)
	}
}

func TestConsentAndTokens(t *testing.T) {
	s := googletest.New(t)
	s.AddAccount("ann@example.com", googletest.Calendar{})
	bob := s.AddAccount("bob@example.com", googletest.Calendar{})
	s.SignInAs(bob.Email)
	const redirectURI, scope = "https://app.example/cb", "https://www.googleapis.com/auth/calendar.events"
	authorize := func(extra url.Values) url.Values {
		q := url.Values{"response_type": {"code"}, "scope": {scope}, "redirect_uri": {redirectURI}}
		for k, v := range extra {
			q[k] = v
		}
		return app(s).Authorize(t, q).Query()
	}
	exchange := func(code string) oauthtest.TokenAnswer {
		_, ans := app(s).Token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}})
		return ans
	}

	// Bob connected before (AddAccount gave him a refresh token): without
	// prompt=consent, Google issues none again.
	if again := exchange(authorize(url.Values{"access_type": {"offline"}}).Get("code")); again.AccessToken == "" || again.RefreshToken != "" {
		t.Errorf("offline without prompt=consent after an earlier consent: %+v, want no refresh token", again)
	}
	back := authorize(url.Values{"access_type": {"offline"}, "prompt": {"consent"}})
	if back.Get("scope") != scope {
		t.Errorf("redirect query %v, want the scope granted", back)
	}
	ans := exchange(back.Get("code"))
	if ans.RefreshToken == "" {
		t.Fatalf("exchange with prompt=consent: %+v, want a refresh token", ans)
	}
	var list struct{ Items []struct{ ID string } }
	app(s).Call(t, "GET", s.APIEndpoint+"users/me/calendarList", ans.AccessToken, "", &list)
	if len(list.Items) != 1 || list.Items[0].ID != bob.Email {
		t.Errorf("the code opened %+v, want Bob's calendars", list.Items)
	}
	if online := exchange(authorize(nil).Get("code")); online.RefreshToken != "" {
		t.Errorf("without access_type=offline: %+v, want no refresh token", online)
	}
	_, refreshed := app(s).Token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ans.RefreshToken}})
	if refreshed.AccessToken == "" || refreshed.RefreshToken != "" {
		t.Errorf("refresh: %+v, want an access token only (Google does not rotate)", refreshed)
	}
	s.DenyConsent()
	if back := authorize(nil); back.Get("error") != "access_denied" || back.Get("code") != "" {
		t.Errorf("declined consent: %v, want error=access_denied", back)
	}
}
