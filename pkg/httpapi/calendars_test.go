package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/apitest"
	"github.com/slotbook/slotbook/pkg/calendartest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

type connectionAnswer struct {
	ID, Provider, Account, CalendarID, Name, Status string
	CheckConflicts, ShowInOverview, IsDefault       bool
}

// calendarEnv is a server whose providers are calendartest fakes.
func calendarEnv(t *testing.T, opts ...slotbook.Option) (*env, *calendartest.Provider, string) {
	fake := calendartest.New()
	providers := map[slotbook.Provider]slotbook.CalendarProvider{
		slotbook.Google: fake, slotbook.Microsoft: fake, slotbook.CalDAV: fake, slotbook.ICS: fake,
	}
	oauth := map[slotbook.Provider]slotbook.OAuthProvider{slotbook.Google: fake, slotbook.Microsoft: fake}
	opts = append([]slotbook.Option{
		slotbook.WithProviders(providers), slotbook.WithOAuth(oauth, []byte("state-key")),
		slotbook.WithCalendarDeadline(500 * time.Millisecond),
	}, opts...)
	e := newEnv(t, opts...)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	return e, fake, admin
}

// connectFeed connects an ICS feed of ana whose secret URL opens account.
func (e *env) connectFeed(admin, feed string) connectionAnswer {
	e.t.Helper()
	var k connectionAnswer
	e.must(201, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{
		"provider": "ics", "url": feed, "name": "Private",
	}).Decode(e.t, &k)
	return k
}

func zurich(t *testing.T, day, hour, minute int) time.Time {
	z, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(2027, 3, day, hour, minute, 0, 0, z)
}

func TestExternalBusyTimeRemovesSlots(t *testing.T) {
	e, fake, admin := calendarEnv(t)
	const feed = "https://feeds.example/private/0123456789abcdef.ics"
	acct := fake.Add(feed, "")
	acct.Events["primary"] = []slotbook.ExternalEvent{
		{Start: zurich(t, 22, 10, 0), End: zurich(t, 22, 10, 30), Title: "Dentist", Busy: true},
		{Start: zurich(t, 22, 11, 0), End: zurich(t, 22, 12, 0), Title: "Lunch maybe", Busy: false},
	}
	acct.Calendars[0].ReadOnly = true
	k := e.connectFeed(admin, feed)
	if k.Provider != "ics" || k.Account != "feeds.example" || k.IsDefault || !k.CheckConflicts || k.ShowInOverview {
		t.Errorf("connection = %+v", k)
	}
	r := e.must(200, "GET", "/v1/companies/acme/employees/ana/calendars", admin, nil)
	if strings.Contains(string(r.Body), "0123456789abcdef") {
		t.Errorf("the list shows the feed's secret URL: %s", r.Body)
	}
	// The 10:00–10:30 event blocks 09:30 and 10:00; the free one blocks nothing.
	want := []string{"2027-03-22T09:00:00+01:00", "2027-03-22T10:30:00+01:00", "2027-03-22T11:00:00+01:00"}
	if got := e.starts(); !slices.Equal(got, want) {
		t.Errorf("starts = %v, want %v", got, want)
	}
	// Conflict checking off: the feed no longer blocks.
	e.must(200, "PUT", "/v1/companies/acme/employees/ana/calendars/"+k.ID, admin, map[string]any{"checkConflicts": false})
	if got := e.starts(); len(got) != 5 {
		t.Errorf("with checkConflicts off: %v", got)
	}
	e.must(204, "DELETE", "/v1/companies/acme/employees/ana/calendars/"+k.ID, admin, nil)
	e.must(404, "DELETE", "/v1/companies/acme/employees/ana/calendars/"+k.ID, admin, nil)
}

func TestUnreadableCalendarFailsClosedForItsEmployeeOnly(t *testing.T) {
	e, fake, admin := calendarEnv(t)
	fake.Add("https://feeds.example/a.ics", "")
	e.connectFeed(admin, "https://feeds.example/a.ics")
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "bea", "name": "Bea"})
	e.must(200, "PUT", "/v1/companies/acme/employees/bea/availability", admin, map[string]any{
		"weekly": []map[string]string{{"weekday": "monday", "start": "09:00", "end": "10:00"}}})
	e.must(200, "PUT", "/v1/companies/acme/services/consult", admin, map[string]any{
		"name": "Consultation", "durationMinutes": 60, "employees": []string{"ana", "bea"}})

	cases := []struct {
		name   string
		setup  func(p *calendartest.Provider)
		reason string
	}{
		{"provider error", func(p *calendartest.Provider) { p.Accounts["https://feeds.example/a.ics"].Fail = errString("503") }, "calendar_unreachable"},
		{"too slow for the deadline", func(p *calendartest.Provider) {
			p.Accounts["https://feeds.example/a.ics"].Fail = nil
			p.Delay = 2 * time.Second
		}, "calendar_unreachable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake.Set(c.setup)
			start := time.Now()
			var got slotsAnswer
			e.must(200, "GET", slotsOfMonday, "", nil).Decode(t, &got)
			if took := time.Since(start); took > 1500*time.Millisecond {
				t.Errorf("slots took %v; the calendar deadline is 500 ms", took)
			}
			var emps []string
			for _, s := range got.Slots {
				emps = append(emps, s.Employee)
			}
			if slices.Contains(emps, "ana") || !slices.Contains(emps, "bea") {
				t.Errorf("slots of %v; want only bea's", emps)
			}
			if len(got.Unavailable) != 1 || got.Unavailable[0].(map[string]any)["employee"] != "ana" ||
				got.Unavailable[0].(map[string]any)["reason"] != c.reason {
				t.Errorf("unavailable = %v", got.Unavailable)
			}
		})
	}
	// A booking cannot be checked either: 503, nothing booked.
	r := e.do("POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00"))
	if r.Status != 503 {
		t.Errorf("booking with an unreadable calendar: %d %s", r.Status, r.Body)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestOAuthConnectAndReauth(t *testing.T) {
	clock := now
	e, fake, admin := calendarEnv(t)
	_ = clock
	acct := fake.Add("refresh-1", "ana@gmail.example")
	acct.Events["primary"] = []slotbook.ExternalEvent{{Start: zurich(t, 22, 9, 0), End: zurich(t, 22, 9, 45), Title: "Gym", Busy: true}}

	var started struct{ AuthorizationURL string }
	e.must(202, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{"provider": "google"}).Decode(t, &started)
	u, err := url.Parse(started.AuthorizationURL)
	if err != nil || u.Query().Get("state") == "" {
		t.Fatalf("authorizationUrl = %q", started.AuthorizationURL)
	}
	state := u.Query().Get("state")

	t.Run("a forged state is refused", func(t *testing.T) {
		forged := strings.Replace(state, state[:10], "AAAAAAAAAA", 1)
		r := e.do("GET", "/v1/oauth/callback?code=refresh:refresh-1&state="+url.QueryEscape(forged), "", nil)
		if r.Status != 403 {
			t.Errorf("forged state: %d", r.Status)
		}
	})
	t.Run("a declined consent stores nothing", func(t *testing.T) {
		r := e.do("GET", "/v1/oauth/callback?error=access_denied&state="+url.QueryEscape(state), "", nil)
		if r.Status != 403 {
			t.Errorf("declined: %d", r.Status)
		}
	})
	var k connectionAnswer
	e.must(201, "GET", "/v1/oauth/callback?code=refresh:refresh-1&scope=calendar&state="+url.QueryEscape(state), "", nil).Decode(t, &k)
	if k.Provider != "google" || k.Account != "ana@gmail.example" || !k.IsDefault || k.Status != "connected" {
		t.Errorf("connection = %+v", k)
	}
	stored, err := e.store.Connection(t.Context(), "acme", "ana", k.ID)
	if err != nil || len(stored.SealedSecret) == 0 || strings.Contains(string(stored.SealedSecret), "refresh-1") {
		t.Errorf("stored secret = %q, %v; want it sealed", stored.SealedSecret, err)
	}
	if got := e.starts(); slices.Contains(got, "2027-03-22T09:00:00+01:00") {
		t.Errorf("the Google event does not block: %v", got)
	}

	t.Run("a rotated refresh token is kept", func(t *testing.T) {
		fake.Set(func(p *calendartest.Provider) { p.Accounts["refresh-1"].Rotate = "refresh-2" })
		e.starts()
		e.starts() // the second read works only with the new token
		if got := e.starts(); slices.Contains(got, "2027-03-22T09:00:00+01:00") {
			t.Errorf("after rotation: %v", got)
		}
	})
	t.Run("a revoked token turns the connection to needs_reauth", func(t *testing.T) {
		fake.Set(func(p *calendartest.Provider) { delete(p.Accounts, "refresh-2") })
		var got slotsAnswer
		e.must(200, "GET", slotsOfMonday, "", nil).Decode(t, &got)
		if len(got.Slots) != 0 || len(got.Unavailable) != 1 || got.Unavailable[0].(map[string]any)["reason"] != "calendar_needs_reauth" {
			t.Errorf("slots = %+v", got)
		}
		var list struct{ Calendars []connectionAnswer }
		e.must(200, "GET", "/v1/companies/acme/employees/ana/calendars", admin, nil).Decode(t, &list)
		if len(list.Calendars) != 1 || list.Calendars[0].Status != "needs_reauth" {
			t.Errorf("calendars = %+v", list.Calendars)
		}
	})
}

func TestBookingIsWrittenToTheDefaultCalendar(t *testing.T) {
	e, fake, admin := calendarEnv(t, slotbook.WithPublicURL("https://book.example/"))
	acct := fake.Add("caldav-pass", "ana")
	k := connectionAnswer{}
	e.must(201, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{
		"provider": "caldav", "url": "https://dav.example/", "username": "ana", "password": "caldav-pass",
	}).Decode(t, &k)
	if !k.IsDefault {
		t.Fatalf("first writable calendar is not the default: %+v", k)
	}
	var c confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00")).Decode(t, &c)
	ev, ok := acct.Written["ev-"+c.ID]
	if !ok || ev.Title != "Consultation – Chris Client" || !strings.Contains(ev.Description, "https://book.example/widget/cancel.html#company=acme&booking="+c.ID+"&token="+c.CancelToken) {
		t.Fatalf("written = %+v", acct.Written)
	}
	// The booking's own event is busy time in the calendar, and a booking too: no double counting problem.
	if got := e.starts(); slices.Contains(got, "2027-03-22T10:00:00+01:00") {
		t.Errorf("booked time offered: %v", got)
	}
	e.must(204, "DELETE", "/v1/companies/acme/bookings/"+c.ID, admin, nil)
	if len(acct.Written) != 0 {
		t.Errorf("event left after cancel: %+v", acct.Written)
	}
}

func TestConnectionInput(t *testing.T) {
	e, fake, admin := calendarEnv(t)
	fake.Add("https://feeds.example/a.ics", "")
	fake.Add("pw", "ana")
	cases := []struct {
		name   string
		body   map[string]any
		status int
		field  string
	}{
		{"no provider", map[string]any{"url": "https://feeds.example/a.ics"}, 400, "provider"},
		{"unknown provider", map[string]any{"provider": "outlook.com"}, 400, "provider"},
		{"ics as default", map[string]any{"provider": "ics", "url": "https://feeds.example/a.ics", "isDefault": true}, 400, "isDefault"},
		{"ics without url", map[string]any{"provider": "ics"}, 400, "url"},
		{"ftp url", map[string]any{"provider": "ics", "url": "ftp://feeds.example/a.ics"}, 400, "url"},
		{"loopback url", map[string]any{"provider": "ics", "url": "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next"}, 400, "url"},
		{"metadata url", map[string]any{"provider": "caldav", "url": "http://169.254.169.254/latest/", "username": "a", "password": "b"}, 400, "url"},
		{"caldav without password", map[string]any{"provider": "caldav", "url": "https://dav.example/", "username": "ana"}, 400, "password"},
		{"refused password", map[string]any{"provider": "caldav", "url": "https://dav.example/", "username": "ana", "password": "wrong"}, 422, ""},
		{"google with a url", map[string]any{"provider": "google", "url": "https://x.example/"}, 400, "url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/employees/ana/calendars", Token: admin, Body: c.body, BadRequest: true})
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if p := r.Problem(t); c.field != "" && !slices.Contains(p.Fields(), c.field) {
				t.Errorf("problem blames %v, want %s", p.Fields(), c.field)
			}
			if strings.Contains(string(r.Body), "wrong") {
				t.Errorf("the answer repeats the password: %s", r.Body)
			}
		})
	}
	staff := token(t, "bob", "acme", slotbook.RoleStaff)
	if r := e.do("POST", "/v1/companies/acme/employees/ana/calendars", staff, map[string]any{"provider": "ics", "url": "https://feeds.example/a.ics"}); r.Status != 403 {
		t.Errorf("staff connecting a colleague's calendar: %d", r.Status)
	}
}

// TestOAuthCallbackSendsABrowserBackToTheDashboard: a browser that returns
// from the consent page lands on the dashboard's calendars page, told what
// happened by a problem code, never by the provider's words; API clients
// still get JSON.
func TestOAuthCallbackSendsABrowserBackToTheDashboard(t *testing.T) {
	e, fake, admin := calendarEnv(t, slotbook.WithDashboardURL("https://app.salon.example/dashboard/"))
	fake.Add("refresh-1", "ana@gmail.example")
	browser := http.Header{"Accept": {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}}
	state := func() string {
		var started struct{ AuthorizationURL string }
		e.must(202, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{"provider": "google"}).Decode(t, &started)
		u, err := url.Parse(started.AuthorizationURL)
		if err != nil {
			t.Fatal(err)
		}
		return url.QueryEscape(u.Query().Get("state"))
	}
	back := func(r *apitest.Response) url.Values {
		t.Helper()
		loc := r.Header.Get("Location")
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(loc, "https://app.salon.example/dashboard/#/calendars?") {
			t.Fatalf("answer %d to %q, want 303 to the dashboard's calendars page", r.Status, loc)
		}
		q, err := url.ParseQuery(strings.SplitN(loc, "?", 2)[1])
		if err != nil {
			t.Fatal(err)
		}
		return q
	}

	q := back(e.client.Do(apitest.Request{Method: "GET", Path: "/v1/oauth/callback?code=refresh:refresh-1&state=" + state(), Header: browser}))
	if q.Get("employee") != "ana" || q.Get("connected") == "" {
		t.Errorf("success = %v", q)
	}
	if _, err := e.store.Connection(t.Context(), "acme", "ana", q.Get("connected")); err != nil {
		t.Errorf("the connection named in the redirect: %v", err)
	}

	q = back(e.client.Do(apitest.Request{Method: "GET", Path: "/v1/oauth/callback?error=access_denied&error_description=User+said+no&state=" + state(), Header: browser}))
	if q.Get("connectError") != "forbidden" || q.Has("connected") {
		t.Errorf("declined = %v", q)
	}
	q = back(e.client.Do(apitest.Request{Method: "GET", Path: "/v1/oauth/callback?code=refresh:unknown&state=forged", Header: browser}))
	if q.Get("connectError") != "forbidden" {
		t.Errorf("forged state = %v", q)
	}

	// An API client (no text/html) gets the JSON answer as before.
	e.must(201, "GET", "/v1/oauth/callback?code=refresh:refresh-1&state="+state(), "", nil)
}
