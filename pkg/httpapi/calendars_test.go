package httpapi_test

import (
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/calendar"
	"github.com/slotbook/slotbook/pkg/calendar/caldav"
	"github.com/slotbook/slotbook/pkg/calendar/caldav/radicaletest"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
	"github.com/slotbook/slotbook/pkg/store/inmem"
	"github.com/slotbook/slotbook/pkg/webhook"
)

type connectionAnswer struct {
	ID, Provider, Account, CalendarID, Name, Status string
	CheckConflicts, ShowInOverview, IsDefault       bool
	PendingRemovals                                 int
}

// calendarEnv is a server whose providers are calendartest fakes.
func calendarEnv(t *testing.T, opts ...slotbook.Option) (*env, *calendartest.Provider, string) {
	return calendarEnvOn(t, inmem.New(), opts...)
}

// calendarEnvOn is calendarEnv over store.
func calendarEnvOn(t *testing.T, store slotbook.Store, opts ...slotbook.Option) (*env, *calendartest.Provider, string) {
	fake := calendartest.New()
	providers := map[slotbook.Provider]slotbook.CalendarProvider{
		slotbook.Google: fake, slotbook.Microsoft: fake, slotbook.CalDAV: fake, slotbook.ICS: fake,
	}
	oauth := map[slotbook.Provider]slotbook.OAuthProvider{slotbook.Google: fake, slotbook.Microsoft: fake}
	opts = append([]slotbook.Option{
		slotbook.WithProviders(providers), slotbook.WithOAuth(oauth, []byte("state-key")),
		slotbook.WithCalendarDeadline(500 * time.Millisecond),
		slotbook.WithWebhookSender(webhook.New(true)), // local mode: a loopback receiver is allowed
	}, opts...)
	e := newEnvOn(t, store, opts...)
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

// startOAuth starts connecting (or, with connection, re-authorising) a
// Google calendar of ana as the caller of tok and returns the state of the
// consent page.
func (e *env) startOAuth(tok, connection string) string {
	e.t.Helper()
	var started struct{ AuthorizationURL string }
	if connection == "" {
		e.must(202, "POST", "/v1/companies/acme/employees/ana/calendars", tok, map[string]any{"provider": "google"}).Decode(e.t, &started)
	} else {
		e.must(202, "POST", "/v1/companies/acme/employees/ana/calendars/"+connection+"/reconnect", tok, nil).Decode(e.t, &started)
	}
	u, err := url.Parse(started.AuthorizationURL)
	if err != nil || u.Query().Get("state") == "" {
		e.t.Fatalf("authorizationUrl = %q", started.AuthorizationURL)
	}
	return u.Query().Get("state")
}

// consent is the provider sending the browser back with code and state;
// it answers what the callback hands on.
func (e *env) consent(code, state string) (ret struct{ Code, State, Complete string }) {
	e.t.Helper()
	e.must(200, "GET", "/v1/oauth/callback?code="+url.QueryEscape(code)+"&scope=calendar&state="+url.QueryEscape(state), "", nil).Decode(e.t, &ret)
	return ret
}

func TestOAuthConnectAndReauth(t *testing.T) {
	e, fake, admin := calendarEnv(t)
	acct := fake.Add("refresh-1", "ana@gmail.example")
	acct.Events["primary"] = []slotbook.ExternalEvent{{Start: zurich(t, 22, 9, 0), End: zurich(t, 22, 9, 45), Title: "Gym", Busy: true}}
	state := e.startOAuth(admin, "")

	t.Run("a forged state is refused", func(t *testing.T) {
		forged := strings.Replace(state, state[:10], "AAAAAAAAAA", 1)
		r := e.do("GET", "/v1/oauth/callback?code=refresh:refresh-1&state="+url.QueryEscape(forged), "", nil)
		if r.Status != 400 || !slices.Contains(r.Problem(t).Fields(), "state") {
			t.Errorf("forged state: %d %s", r.Status, r.Body)
		}
	})
	t.Run("a declined consent stores nothing", func(t *testing.T) {
		r := e.do("GET", "/v1/oauth/callback?error=access_denied&state="+url.QueryEscape(state), "", nil)
		if r.Status != 403 {
			t.Errorf("declined: %d", r.Status)
		}
	})
	ret := e.consent("refresh:refresh-1", state)
	if ret.Complete != "/v1/companies/acme/employees/ana/calendars/oauth" || ret.Code != "refresh:refresh-1" || ret.State != state {
		t.Fatalf("callback answer = %+v", ret)
	}
	if list, _ := e.store.Connections(t.Context(), "acme", "ana"); len(list) != 0 {
		t.Fatalf("the callback stored a connection: %+v", list)
	}
	var k connectionAnswer
	r := e.must(201, "POST", ret.Complete, admin, map[string]any{"code": ret.Code, "state": ret.State})
	r.Decode(t, &k)
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
	t.Run("the same state twice is refused", func(t *testing.T) {
		r := e.do("POST", ret.Complete, admin, map[string]any{"code": ret.Code, "state": ret.State})
		if r.Status != 400 || !slices.Contains(r.Problem(t).Fields(), "state") {
			t.Errorf("replayed state: %d %s", r.Status, r.Body)
		}
		if list, _ := e.store.Connections(t.Context(), "acme", "ana"); len(list) != 1 {
			t.Errorf("connections after the replay: %d, want 1", len(list))
		}
	})

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
	t.Run("reconnecting replaces the secret in place", func(t *testing.T) {
		e.must(200, "PUT", "/v1/companies/acme/employees/ana/calendars/"+k.ID, admin, map[string]any{"showInOverview": true})
		fake.Add("refresh-3", "ana@gmail.example").Events["primary"] = acct.Events["primary"]
		ret := e.consent("refresh:refresh-3", e.startOAuth(admin, k.ID))
		var again connectionAnswer
		e.must(200, "POST", ret.Complete, admin, map[string]any{"code": ret.Code, "state": ret.State}).Decode(t, &again)
		if again.ID != k.ID || again.Status != "connected" || !again.IsDefault || !again.ShowInOverview || !again.CheckConflicts {
			t.Errorf("reconnected = %+v, want %s connected with its switches", again, k.ID)
		}
		var list struct{ Calendars []connectionAnswer }
		e.must(200, "GET", "/v1/companies/acme/employees/ana/calendars", admin, nil).Decode(t, &list)
		if len(list.Calendars) != 1 {
			t.Errorf("calendars after reconnecting = %+v, want the one", list.Calendars)
		}
		if got := e.starts(); len(got) == 0 || slices.Contains(got, "2027-03-22T09:00:00+01:00") {
			t.Errorf("slots after reconnecting = %v", got)
		}
	})
	t.Run("an account without the calendar cannot reconnect it", func(t *testing.T) {
		other := fake.Add("refresh-9", "someone@gmail.example")
		other.Calendars[0].ID = "someone-else"
		ret := e.consent("refresh:refresh-9", e.startOAuth(admin, k.ID))
		r := e.do("POST", ret.Complete, admin, map[string]any{"code": ret.Code, "state": ret.State})
		if r.Status != 422 {
			t.Errorf("reconnect with another account: %d %s", r.Status, r.Body)
		}
		if got, _ := e.store.Connection(t.Context(), "acme", "ana", k.ID); got.Account != "ana@gmail.example" {
			t.Errorf("connection changed: %+v", got)
		}
	})
}

// TestOAuthConsentLinkForwardedToAnOutsider: a staff member starts a
// connection and sends the consent link to someone else, who approves it.
// Only the user who started the flow can turn the code into a connection;
// nobody else, not even an admin, and nothing is stored until then.
func TestOAuthConsentLinkForwardedToAnOutsider(t *testing.T) {
	e, fake, admin := calendarEnv(t)
	fake.Add("outsider", "victim@gmail.example")
	ana := token(t, "ana", "acme", slotbook.RoleStaff)
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "bob", "name": "Bob"})
	bob := token(t, "bob", "acme", slotbook.RoleStaff)
	ret := e.consent("refresh:outsider", e.startOAuth(ana, ""))
	body := map[string]any{"code": ret.Code, "state": ret.State}
	for name, tok := range map[string]string{
		"another staff member": bob, "an admin": admin, "an admin of another company": token(t, "ana", "other", slotbook.RoleAdmin),
	} {
		if r := e.do("POST", ret.Complete, tok, body); r.Status != 403 {
			t.Errorf("%s completes ana's flow: %d %s", name, r.Status, r.Body)
		}
	}
	if r := e.client.Do(apitest.Request{Method: "POST", Path: ret.Complete, Body: body, BadRequest: true}); r.Status != 401 {
		t.Errorf("completing without credentials: %d", r.Status)
	}
	if r := e.do("POST", "/v1/companies/acme/employees/bob/calendars/oauth", bob, body); r.Status != 403 {
		t.Errorf("bob completes ana's flow for himself: %d %s", r.Status, r.Body)
	}
	if list, _ := e.store.Connections(t.Context(), "acme", "ana"); len(list) != 0 {
		t.Fatalf("a connection was stored: %+v", list)
	}
	// The one who started it may; once.
	e.must(201, "POST", ret.Complete, ana, body)
	e.must(400, "POST", ret.Complete, ana, body)
}

// TestCancelNeverFailsForTheCalendar: with the default calendar revoked, a
// customer's cancel still succeeds and frees the time; the event waits to
// be removed (shown on the connection) until the calendar is reconnected.
func TestCancelNeverFailsForTheCalendar(t *testing.T) {
	e, fake, admin := calendarEnv(t)
	fake.Add("refresh-1", "ana@gmail.example")
	ret := e.consent("refresh:refresh-1", e.startOAuth(admin, ""))
	var k connectionAnswer
	e.must(201, "POST", ret.Complete, admin, map[string]any{"code": ret.Code, "state": ret.State}).Decode(t, &k)
	var c confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00")).Decode(t, &c)
	if n := len(fake.WrittenTo("refresh-1")); n != 1 {
		t.Fatalf("%d events written, want 1", n)
	}
	// The grant is revoked: reading and writing fail with refused credentials.
	fake.Set(func(p *calendartest.Provider) {
		p.Accounts["revoked"] = p.Accounts["refresh-1"]
		delete(p.Accounts, "refresh-1")
	})
	e.starts() // marks the connection needs_reauth

	r := e.client.Do(apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/" + c.ID, Header: http.Header{"X-Cancel-Token": {c.CancelToken}}})
	if r.Status != 204 {
		t.Fatalf("cancel with the calendar revoked: %d %s", r.Status, r.Body)
	}
	if got := e.starts(); !slices.Contains(got, "2027-03-22T10:00:00+01:00") && len(got) != 0 {
		t.Errorf("the cancelled time is not free: %v", got)
	}
	var list struct{ Calendars []connectionAnswer }
	e.must(200, "GET", "/v1/companies/acme/employees/ana/calendars", admin, nil).Decode(t, &list)
	if len(list.Calendars) != 1 || list.Calendars[0].Status != "needs_reauth" || list.Calendars[0].PendingRemovals != 1 {
		t.Errorf("calendars = %+v, want needs_reauth with one pending removal", list.Calendars)
	}
	if n := len(fake.WrittenTo("revoked")); n != 1 {
		t.Errorf("%d events in the revoked calendar, want the one that could not be removed", n)
	}
	// The sweeper cannot remove it either while the grant is gone.
	e.advance(time.Hour)
	if rep, err := e.app.Sweep(t.Context()); err != nil || rep.Removed != 0 {
		t.Errorf("sweep with the calendar revoked: %+v, %v", rep, err)
	}
	// Reconnected (the same account grants again): the event goes at once.
	fake.Set(func(p *calendartest.Provider) { p.Accounts["refresh-2"] = p.Accounts["revoked"] })
	ret = e.consent("refresh:refresh-2", e.startOAuth(admin, k.ID))
	e.must(200, "POST", ret.Complete, admin, map[string]any{"code": ret.Code, "state": ret.State})
	if n := len(fake.WrittenTo("refresh-2")); n != 0 {
		t.Errorf("%d events left after reconnecting, want 0", n)
	}
	e.must(200, "GET", "/v1/companies/acme/employees/ana/calendars", admin, nil).Decode(t, &list)
	if list.Calendars[0].PendingRemovals != 0 || list.Calendars[0].Status != "connected" {
		t.Errorf("calendars after reconnecting = %+v", list.Calendars)
	}
}

// TestSweepRemovesTheEventOfADeadRequest: a request died after writing
// its event and nobody retried; once the claim is abandoned, the sweeper
// releases the booking and removes the event, so the time is offered
// again.
func TestSweepRemovesTheEventOfADeadRequest(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e, cal, _ := bookingEnv(t, store())
		died := make(chan struct{})
		cal.Set(func(p *calendartest.Provider) {
			p.AfterPut = func() error { close(died); runtime.Goexit(); return nil }
		})
		go func() {
			r, _ := http.NewRequest("POST", "/v1/companies/acme/bookings", strings.NewReader(mustJSON(t, bookingBody("2027-03-22T10:00:00+01:00"))))
			r.Header.Set("Content-Type", "application/json")
			e.h.ServeHTTP(newDiscardWriter(), r)
		}()
		<-died
		cal.Set(func(p *calendartest.Provider) { p.AfterPut = nil })
		if n := len(events(cal)); n != 1 {
			t.Fatalf("%d events, want the dead request's one", n)
		}
		if rep, _ := e.app.Sweep(t.Context()); rep != (slotbook.SweepReport{}) {
			t.Errorf("sweep before the claim was abandoned did %+v", rep)
		}
		e.advance(slotbook.PendingTimeout + slotbook.RemovalGrace)
		rep, err := e.app.Sweep(t.Context())
		if err != nil || rep.Released != 1 || rep.Removed != 1 {
			t.Errorf("sweep = %+v, %v; want one released, one removed", rep, err)
		}
		if n := len(events(cal)); n != 0 {
			t.Errorf("%d events after the sweep, want 0", n)
		}
		if got := e.starts(); !slices.Contains(got, "2027-03-22T10:00:00+01:00") {
			t.Errorf("the time is not offered again: %v", got)
		}
	})
}

func TestBookingIsWrittenToTheDefaultCalendar(t *testing.T) {
	e, fake, admin := calendarEnv(t, slotbook.WithPublicURL("https://book.example/"), slotbook.WithDashboardURL("https://app.acme.example/dashboard/"))
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
	ev, ok := fake.WrittenTo("caldav-pass")["ev-"+c.ID]
	link := "https://app.acme.example/dashboard/#/week?booking=" + c.ID + "&date=2027-03-22&employee=ana"
	if !ok || ev.Title != "Consultation – Chris Client" || !strings.Contains(ev.Description, link) {
		t.Fatalf("written = %+v, want the dashboard link %s", acct.Written, link)
	}
	// Whoever reads the employee's calendar must not be able to cancel.
	if strings.Contains(ev.Description, c.CancelToken) || strings.Contains(ev.Description, "token") {
		t.Errorf("the event carries the cancel token: %q", ev.Description)
	}
	if got := e.starts(); slices.Contains(got, "2027-03-22T10:00:00+01:00") {
		t.Errorf("booked time offered: %v", got)
	}
	e.must(204, "DELETE", "/v1/companies/acme/bookings/"+c.ID, admin, nil)
	if n := len(fake.WrittenTo("caldav-pass")); n != 0 {
		t.Errorf("%d events left after cancel", n)
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
		{"caldav over plain http", map[string]any{"provider": "caldav", "url": "http://169.254.169.254/latest/", "username": "a", "password": "b"}, 400, "url"},
		{"caldav without password", map[string]any{"provider": "caldav", "url": "https://dav.example/", "username": "ana"}, 400, "password"},
		{"refused password", map[string]any{"provider": "caldav", "url": "https://dav.example/", "username": "ana", "password": "wrong"}, 422, "password"},
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

// TestExternalCalendarNamesAreCleaned: a calendar's name comes from its
// server and may be anything: it is stored without control characters and
// cut to 200 characters, and a huge one is no 500.
func TestExternalCalendarNamesAreCleaned(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		fake := calendartest.New()
		e := newEnvOn(t, store(), slotbook.WithProviders(map[slotbook.Provider]slotbook.CalendarProvider{slotbook.ICS: fake}))
		admin := token(t, "boss", "acme", slotbook.RoleAdmin)
		e.seed(admin)
		for _, c := range []struct{ feed, name, want string }{
			{"https://feeds.example/huge.ics", strings.Repeat("Ä", 450<<10), strings.Repeat("Ä", 200)},
			{"https://feeds.example/ctl.ics", "Work\r\nX-INJECTED: 1\x00\u202e gnissim\t", "Work X-INJECTED: 1 gnissim"},
		} {
			acct := fake.Add(c.feed, "")
			acct.Calendars[0].Name = c.name
			var k connectionAnswer
			e.must(201, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{"provider": "ics", "url": c.feed}).Decode(t, &k)
			if k.Name != c.want {
				t.Errorf("name %.40q stored as %.60q, want %.60q", c.name, k.Name, c.want)
			}
		}
	})
}

// TestOAuthCallbackSendsABrowserBackToTheDashboard: a browser that returns
// from the consent page lands on the dashboard's calendars page with the
// code and state in the fragment, for the dashboard to complete with its
// own credentials; a refusal comes as a problem code, never the provider's
// words; API clients get JSON.
func TestOAuthCallbackSendsABrowserBackToTheDashboard(t *testing.T) {
	e, fake, admin := calendarEnv(t, slotbook.WithDashboardURL("https://app.salon.example/dashboard/"))
	fake.Add("refresh-1", "ana@gmail.example")
	browser := http.Header{"Accept": {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}}
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

	state := e.startOAuth(admin, "")
	q := back(e.client.Do(apitest.Request{Method: "GET", Path: "/v1/oauth/callback?code=refresh:refresh-1&state=" + url.QueryEscape(state), Header: browser}))
	if q.Get("employee") != "ana" || q.Get("oauthCode") != "refresh:refresh-1" || q.Get("oauthState") != state {
		t.Errorf("success = %v", q)
	}
	if list, _ := e.store.Connections(t.Context(), "acme", "ana"); len(list) != 0 {
		t.Errorf("the callback stored a connection: %+v", list)
	}
	e.must(201, "POST", "/v1/companies/acme/employees/ana/calendars/oauth", admin, map[string]any{"code": q.Get("oauthCode"), "state": q.Get("oauthState")})

	q = back(e.client.Do(apitest.Request{Method: "GET", Path: "/v1/oauth/callback?error=access_denied&error_description=User+said+no&state=" + url.QueryEscape(e.startOAuth(admin, "")), Header: browser}))
	if q.Get("connectError") != "forbidden" || q.Has("oauthCode") || strings.Contains(q.Encode(), "said") {
		t.Errorf("declined = %v", q)
	}
	q = back(e.client.Do(apitest.Request{Method: "GET", Path: "/v1/oauth/callback?code=refresh:unknown&state=forged", Header: browser}))
	if q.Get("connectError") != "invalid_input" || q.Has("oauthCode") {
		t.Errorf("forged state = %v", q)
	}

	// An API client (no text/html) gets the code as JSON.
	e.consent("refresh:refresh-1", e.startOAuth(admin, ""))
}

// TestConnectRefusesAddressesInsideTheNetwork: with the real CalDAV and ICS
// providers as they run on AWS, a URL that leads to a loopback, private,
// link-local or otherwise non-public address — whatever way it is written
// (a name, NAT64, 6to4, IPv4-mapped or -compatible IPv6) — is refused when
// it is dialled, and the answer is 400 naming url; CalDAV must be https.
func TestConnectRefusesAddressesInsideTheNetwork(t *testing.T) {
	set := calendar.New(calendar.Config{})
	e := newEnv(t, slotbook.WithProviders(set.Calendars), slotbook.WithCalendarDeadline(time.Second))
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	for _, c := range []struct{ provider, url string }{
		{"ics", "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next"},
		{"ics", "https://localhost:1/feed.ics"},
		{"ics", "http://[::ffff:10.0.0.1]/feed.ics"},
		{"ics", "https://[::a9fe:a9fe]/feed.ics"},
		{"ics", "https://[2002:a9fe:a9fe::1]/feed.ics"},
		{"ics", "https://198.18.0.1/feed.ics"},
		{"ics", "https://240.0.0.1/feed.ics"},
		{"ics", "https://192.0.0.8/feed.ics"},
		{"caldav", "https://169.254.169.254/latest/"},
		{"caldav", "https://[64:ff9b::a9fe:a9fe]/latest/"},
		{"caldav", "https://[fd00::1]/dav/"},
		{"caldav", "http://dav.example/"},
	} {
		body := map[string]any{"provider": c.provider, "url": c.url}
		if c.provider == "caldav" {
			body["username"], body["password"] = "ana", "pw"
		}
		r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/employees/ana/calendars", Token: admin, Body: body, BadRequest: true})
		if r.Status != 400 || !slices.Contains(r.Problem(t).Fields(), "url") {
			t.Errorf("%s %s: %d %s, want 400 naming url", c.provider, c.url, r.Status, r.Body)
		}
	}
	if list, _ := e.store.Connections(t.Context(), "acme", "ana"); len(list) != 0 {
		t.Errorf("connections stored: %+v", list)
	}
}

// TestCalDAVConnectErrorsNameTheField: against a real Radicale, a URL at
// which there is no calendar, or a calendar this account may not see, is
// the user's mistake in url (422), a refused password names password
// (422), and only a server that cannot be reached is 503.
func TestCalDAVConnectErrorsNameTheField(t *testing.T) {
	dav := radicaletest.Start(t, radicaletest.Options{Users: map[string]string{"ana": "pw-ana", "bob": "pw-bob"}})
	bobs := dav.MakeCalendar(t, "bob", "pw-bob", "private", "Bob")
	e := newEnv(t, slotbook.WithProviders(map[slotbook.Provider]slotbook.CalendarProvider{
		slotbook.CalDAV: caldav.New(caldav.Config{AllowPrivateNetworks: true}),
	}), slotbook.WithPrivateCalendarHosts(), slotbook.WithCalendarDeadline(2*time.Second))
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	dav.MakeCalendar(t, "ana", "pw-ana", "work", "Work")
	for _, c := range []struct {
		name, url, password, calendarID string
		status                          int
		field                           string
	}{
		{"a path that does not exist", dav.URL + "/no/such/dav/", "pw-ana", "", 422, "url"},
		{"another user's calendar", dav.URL + bobs, "pw-ana", "", 422, "url"},
		{"a wrong password", dav.URL + "/", "wrong", "", 422, "password"},
		{"a server that is not there", "http://127.0.0.1:1/", "pw-ana", "", 503, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"provider": "caldav", "url": c.url, "username": "ana", "password": c.password}
			r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/employees/ana/calendars", Token: admin, Body: body, BadRequest: true})
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if p := r.Problem(t); c.field != "" && !slices.Contains(p.Fields(), c.field) {
				t.Errorf("problem blames %v, want %s", p.Fields(), c.field)
			}
		})
	}
	e.must(201, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{
		"provider": "caldav", "url": dav.URL + "/", "username": "ana", "password": "pw-ana"})
}
