package microsoft

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/microsoft/graphtest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// The tests run one after another: the SDK keeps serialisers in
// package-level registries that New writes (see New).

// Marker strings: fixtures carry them where Graph would put private data;
// no error may contain any of them, nor the kit's token and message markers.
const (
	subjectMarker  = "SUBJECT-MARKER-q8z1"
	locationMarker = "LOCATION-MARKER-w2x9"
	bodyMarker     = "BODY-MARKER-k4v7"
	refreshMarker  = "RT-MARKER-p3n6"
)

var markers = append([]string{subjectMarker, locationMarker, bodyMarker, refreshMarker}, graphtest.Markers...)

// noLeak fails the test if err's text holds a marker.
func noLeak(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, m := range markers {
		if strings.Contains(err.Error(), m) {
			t.Errorf("error %q contains private marker %q", err, m)
		}
	}
}

const (
	testEmail   = "adele@contoso.example"
	sharerEmail = "meganb@contoso.example"
	redirectURL = "https://app.example/oauth/microsoft"
)

var day = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

func at(h, m int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// fixture is a tenant with Adele's mailbox: her default calendar, a second
// calendar of hers and a read-only calendar Megan shared with her. Pages
// hold two items, so that every listing of three or more is paged.
type fixture struct {
	srv                             *graphtest.Server
	mbox                            graphtest.Mailbox
	defaultCal, otherCal, sharedCal string
}

func newFixture(t *testing.T) *fixture {
	srv := graphtest.New(t)
	mb := srv.AddMailbox(testEmail, "Adele Vance")
	f := &fixture{
		srv:        srv,
		mbox:       mb,
		defaultCal: mb.DefaultCalendarID,
		otherCal:   srv.AddCalendar(testEmail, graphtest.Calendar{Name: "Holidays"}),
		sharedCal: srv.AddCalendar(testEmail, graphtest.Calendar{
			Name: "Team (shared)", ReadOnly: true, OwnerName: "Megan Bowen", OwnerAddress: sharerEmail,
		}),
	}
	srv.SetPageSize(2)
	return f
}

// provider returns a Provider pointed at the fixture's server.
func (f *fixture) provider(mod ...func(*Config)) *Provider {
	cfg := Config{
		ClientID:     graphtest.ClientID,
		ClientSecret: graphtest.ClientSecret,
		RedirectURL:  redirectURL,
		AuthURL:      f.srv.AuthURL,
		TokenURL:     f.srv.TokenURL,
		BaseURL:      f.srv.BaseURL,
		HTTPClient:   f.srv.Client(),
	}
	for _, m := range mod {
		m(&cfg)
	}
	return New(cfg)
}

// account is Adele's account as a connection made with her address holds
// it; r, if not nil, records rotated refresh tokens.
func (f *fixture) account(r *rotations) slotbook.Account {
	a := slotbook.Account{Provider: slotbook.Microsoft, Email: testEmail, Secret: f.mbox.RefreshToken}
	if r != nil {
		a.OnRotate = r.save
	}
	return a
}

func (f *fixture) add(calID string, e graphtest.Event) string {
	if e.Location == "" {
		e.Location = locationMarker
	}
	return f.srv.AddEvent(calID, e)
}

// apiRequests counts the requests that reached Graph (not the token
// endpoint).
func (f *fixture) apiRequests() int {
	return len(f.srv.Requests("", "")) - len(f.srv.Requests("", "/token"))
}

// rotations records the refresh tokens handed to OnRotate.
type rotations struct {
	mu  sync.Mutex
	got []string
	err error
}

func (r *rotations) save(_ context.Context, rt string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, rt)
	return r.err
}

// addresses records the addresses handed to OnAddress.
type addresses struct {
	mu  sync.Mutex
	got []string
	err error
}

func (a *addresses) save(_ context.Context, address string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, address)
	return a.err
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// scheduleBody is the part of a getSchedule request the tests read, keyed
// without regard to case as Graph reads it.
type scheduleBody struct {
	Schedules                []string
	StartTime, EndTime       struct{ DateTime, TimeZone string }
	AvailabilityViewInterval int
}

func TestCalendarsListsDefaultFirstAcrossPages(t *testing.T) {
	f := newFixture(t)
	got, err := f.provider().Calendars(ctxTimeout(t, 5*time.Second), f.account(nil))
	if err != nil {
		t.Fatalf("Calendars: %v", err)
	}
	want := []slotbook.CalendarInfo{
		{ID: f.defaultCal, Name: "Calendar", Primary: true, Owner: testEmail},
		{ID: f.otherCal, Name: "Holidays", Owner: testEmail},
		{ID: f.sharedCal, Name: "Team (shared)", ReadOnly: true, Owner: testEmail},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Calendars = %+v, want %+v", got, want)
	}
	reqs := f.srv.Requests("GET", "/v1.0/me/calendars")
	if len(reqs) != 2 {
		t.Fatalf("calendar pages fetched = %d, want 2 (page size 2, 3 calendars)", len(reqs))
	}
	if sel := reqs[0].Query.Get("$select"); sel != "id,name,isDefaultCalendar,canEdit,owner" {
		t.Errorf("$select = %q", sel)
	}
	for _, r := range reqs {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			t.Errorf("page request without the access token: %q", r.Header.Get("Authorization"))
		}
	}
}

// TestCalendarsOwnerIsTheMailboxAddress guards issue 12: slotbook stores
// CalendarInfo.Owner, or else the calendar id, as the connection's address,
// and Graph's calendar ids are opaque strings, never an address.
func TestCalendarsOwnerIsTheMailboxAddress(t *testing.T) {
	f := newFixture(t)
	got, err := f.provider().Calendars(ctxTimeout(t, 5*time.Second), f.account(nil))
	if err != nil {
		t.Fatalf("Calendars: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("Calendars = %+v, want 3 calendars", got)
	}
	for _, c := range got {
		if c.Owner != testEmail {
			t.Errorf("calendar %q: Owner = %q, want the mailbox's address %q", c.Name, c.Owner, testEmail)
		}
		if slotbook.PlainAddress(c.ID) || strings.EqualFold(c.ID, testEmail) {
			t.Errorf("calendar id %q looks like an address; the fixture must keep ids opaque", c.ID)
		}
	}
	if n := len(f.srv.Requests("GET", "/v1.0/me")); n != 0 {
		t.Errorf("GET /me requests = %d, want none: /me needs User.Read, which slotbook does not ask for", n)
	}
}

func TestBusyGetScheduleStatuses(t *testing.T) {
	f := newFixture(t)
	// getSchedule spells statuses capitalised, as Graph's own guide shows.
	f.srv.SetCapitalisedStatuses(true)
	for i, status := range []string{"free", "tentative", "busy", "oof", "workingElsewhere", "unknown"} {
		f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(8+i, 0), End: at(8+i, 30), ShowAs: status})
	}
	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), f.account(nil), []string{f.defaultCal}, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatalf("Busy: %v", err)
	}
	want := []slotbook.BusyInterval{
		{Start: at(9, 0), End: at(9, 30)},   // tentative
		{Start: at(10, 0), End: at(10, 30)}, // busy
		{Start: at(11, 0), End: at(11, 30)}, // oof
		{Start: at(12, 0), End: at(12, 30)}, // workingElsewhere
		{Start: at(13, 0), End: at(13, 30)}, // unknown
	}
	if len(got) != 1 || got[0].Err != nil || !reflect.DeepEqual(got[0].Busy, want) {
		t.Fatalf("Busy = %+v, want one result with %v", got, want)
	}
	if got[0].Busy[0].Start.Location() != time.UTC {
		t.Errorf("times are in %v, want UTC", got[0].Busy[0].Start.Location())
	}

	reqs := f.srv.Requests("POST", "/v1.0/me/calendar/getSchedule")
	if len(reqs) != 1 {
		t.Fatalf("getSchedule requests = %d, want 1", len(reqs))
	}
	r := reqs[0]
	if p := r.Header.Get("Prefer"); p != `outlook.timezone="UTC"` {
		t.Errorf("Prefer = %q", p)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("getSchedule body is not JSON: %v (Content-Encoding %q)", err, r.Header.Get("Content-Encoding"))
	}
	// The SDK sends PascalCase keys.
	var schedules []string
	json.Unmarshal(body["Schedules"], &schedules)
	if !reflect.DeepEqual(schedules, []string{testEmail}) {
		t.Errorf("Schedules = %s, want [%q]", body["Schedules"], testEmail)
	}
	var interval int
	json.Unmarshal(body["AvailabilityViewInterval"], &interval)
	if interval < 5 || interval > 1440 {
		t.Errorf("AvailabilityViewInterval = %d, want 5–1440", interval)
	}
	if n := len(f.srv.Requests("GET", "/calendarView")); n != 0 {
		t.Errorf("calendarView requests = %d, want 0: the default calendar is read with getSchedule", n)
	}
}

// TestBusyLearnsTheAddressWhenEmailIsNotOne is issue 12: connections made
// before the fix hold the calendar id as their address. getSchedule must
// get the mailbox's address, learned from the default calendar's owner,
// and the address must be handed to OnAddress once.
func TestBusyLearnsTheAddressWhenEmailIsNotOne(t *testing.T) {
	for _, tc := range []struct {
		name  string
		email func(f *fixture) string
	}{
		{"the calendar id", func(f *fixture) string { return f.defaultCal }},
		{"empty", func(*fixture) string { return "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
			f.add(f.otherCal, graphtest.Event{Subject: subjectMarker, Start: at(12, 0), End: at(13, 0)})
			var saved addresses
			acct := f.account(nil)
			acct.Email = tc.email(f)
			acct.OnAddress = saved.save

			got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), acct, []string{f.defaultCal, f.otherCal}, day, day.AddDate(0, 0, 1))
			if err != nil {
				t.Fatalf("Busy: %v", err)
			}
			want := []slotbook.BusyResult{
				{Busy: []slotbook.BusyInterval{{Start: at(9, 0), End: at(10, 0)}}},
				{Busy: []slotbook.BusyInterval{{Start: at(12, 0), End: at(13, 0)}}},
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Busy = %+v, want %+v (the default calendar readable)", got, want)
			}
			reqs := f.srv.Requests("POST", "/getSchedule")
			if len(reqs) != 1 {
				t.Fatalf("getSchedule requests = %d, want 1", len(reqs))
			}
			var body scheduleBody
			json.Unmarshal(reqs[0].Body, &body)
			if !reflect.DeepEqual(body.Schedules, []string{testEmail}) {
				t.Errorf("Schedules = %q, want the learned address [%q]", body.Schedules, testEmail)
			}
			if n := len(f.srv.Requests("GET", "/calendars/"+f.defaultCal+"/calendarView")); n != 0 {
				t.Errorf("calendarView of the default calendar = %d requests, want 0: getSchedule answers it", n)
			}
			if !reflect.DeepEqual(saved.got, []string{testEmail}) {
				t.Errorf("OnAddress got %q, want [%q] once", saved.got, testEmail)
			}
		})
	}
	t.Run("the address is learned when the default calendar is not asked for", func(t *testing.T) {
		f := newFixture(t)
		var saved addresses
		acct := f.account(nil)
		acct.Email = f.defaultCal
		acct.OnAddress = saved.save
		if _, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), acct, []string{f.otherCal}, day, day.AddDate(0, 0, 1)); err != nil {
			t.Fatalf("Busy: %v", err)
		}
		if !reflect.DeepEqual(saved.got, []string{testEmail}) {
			t.Errorf("OnAddress got %q, want [%q]", saved.got, testEmail)
		}
		if n := len(f.srv.Requests("POST", "/getSchedule")); n != 0 {
			t.Errorf("getSchedule requests = %d, want 0: no calendar asked for is the default", n)
		}
	})
	t.Run("without an owner the default calendar is read with calendarView", func(t *testing.T) {
		f := newFixture(t)
		f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
		f.srv.Fail("GET", "/me/calendar", -1, graphtest.Failure{Status: 200, Body: `{"id":"` + f.defaultCal + `"}`})
		var saved addresses
		acct := f.account(nil)
		acct.Email = f.defaultCal
		acct.OnAddress = saved.save
		got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), acct, []string{f.defaultCal}, day, day.AddDate(0, 0, 1))
		want := []slotbook.BusyInterval{{Start: at(9, 0), End: at(10, 0)}}
		if err != nil || got[0].Err != nil || !reflect.DeepEqual(got[0].Busy, want) {
			t.Fatalf("Busy = %+v, %v; want %v", got, err, want)
		}
		if n := len(f.srv.Requests("POST", "/getSchedule")); n != 0 {
			t.Errorf("getSchedule requests = %d, want 0 without an address", n)
		}
		if len(saved.got) != 0 {
			t.Errorf("OnAddress got %q, want no call", saved.got)
		}
	})
	t.Run("a failed save fails the call", func(t *testing.T) {
		f := newFixture(t)
		storeDown := errors.New("store down")
		saved := addresses{err: storeDown}
		acct := f.account(nil)
		acct.Email = f.defaultCal
		acct.OnAddress = saved.save
		_, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), acct, []string{f.defaultCal}, day, day.AddDate(0, 0, 1))
		if !errors.Is(err, storeDown) || errors.Is(err, slotbook.ErrCalendarAuth) {
			t.Errorf("err = %v, want the save's failure, not refused credentials", err)
		}
		if len(saved.got) != 1 {
			t.Errorf("OnAddress called %d times, want once", len(saved.got))
		}
		noLeak(t, err)
	})
}

// TestBusyTakesTheAddressInAnyCase: addresses are compared without regard
// to case, by Graph and by the provider; a connection's address in another
// case is an address, not something to learn again.
func TestBusyTakesTheAddressInAnyCase(t *testing.T) {
	f := newFixture(t)
	f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	var saved addresses
	acct := f.account(nil)
	acct.Email = "Adele@CONTOSO.example"
	acct.OnAddress = saved.save
	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), acct, []string{f.defaultCal}, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatalf("Busy: %v", err)
	}
	want := []slotbook.BusyInterval{{Start: at(9, 0), End: at(10, 0)}}
	if got[0].Err != nil || !reflect.DeepEqual(got[0].Busy, want) {
		t.Errorf("Busy = %+v, want %v", got[0], want)
	}
	var body scheduleBody
	json.Unmarshal(f.srv.Requests("POST", "/getSchedule")[0].Body, &body)
	if !reflect.DeepEqual(body.Schedules, []string{acct.Email}) {
		t.Errorf("Schedules = %q, want the connection's address as stored", body.Schedules)
	}
	if len(saved.got) != 0 {
		t.Errorf("OnAddress got %q, want no call: the connection holds an address", saved.got)
	}
}

// TestBusyUnknownScheduleIsUnreadable: Graph answers a schedule it cannot
// resolve with an error for that schedule inside the 200; the calendar is
// unreadable, never free, and the other calendars are read.
func TestBusyUnknownScheduleIsUnreadable(t *testing.T) {
	f := newFixture(t)
	f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	f.add(f.otherCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	var saved addresses
	acct := f.account(nil)
	acct.Email = "adele.old@contoso.example"
	acct.OnAddress = saved.save
	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), acct, []string{f.defaultCal, f.otherCal}, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatalf("Busy: %v", err)
	}
	if got[0].Err == nil || got[0].Busy != nil {
		t.Errorf("default calendar = %+v, want an Err and no busy times (never free)", got[0])
	}
	var e *Error
	if !errors.As(got[0].Err, &e) || e.Code != "ErrorMailRecipientNotFound" || errors.Is(got[0].Err, slotbook.ErrCalendarAuth) {
		t.Errorf("Err = %v, want the schedule's response code and no auth failure", got[0].Err)
	}
	noLeak(t, got[0].Err)
	want := []slotbook.BusyInterval{{Start: at(9, 0), End: at(10, 0)}}
	if got[1].Err != nil || !reflect.DeepEqual(got[1].Busy, want) {
		t.Errorf("other calendar = %+v, want %v", got[1], want)
	}
	if n := len(f.srv.Requests("GET", "/calendars/"+f.defaultCal+"/calendarView")); n != 0 {
		t.Errorf("calendarView of the default calendar = %d requests, want 0: a schedule's own error is its answer", n)
	}
	if len(saved.got) != 0 {
		t.Errorf("OnAddress got %q, want no call", saved.got)
	}
}

func TestBusySplitsLongRangesIntoWindows(t *testing.T) {
	f := newFixture(t)
	from, to := day, day.AddDate(0, 0, 90)
	// One event crosses the first window's end; one is near the range's end.
	cross := from.Add(scheduleWindow - time.Hour)
	f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: cross, End: cross.Add(2 * time.Hour)})
	f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: to.Add(-2 * time.Hour), End: to.Add(time.Hour)})

	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), f.account(nil), []string{f.defaultCal}, from, to)
	if err != nil || got[0].Err != nil {
		t.Fatalf("Busy: %v / %v", err, got[0].Err)
	}
	want := []slotbook.BusyInterval{
		{Start: cross, End: cross.Add(2 * time.Hour)},
		{Start: to.Add(-2 * time.Hour), End: to},
	}
	if !reflect.DeepEqual(got[0].Busy, want) {
		t.Errorf("Busy = %v, want %v", got[0].Busy, want)
	}

	reqs := f.srv.Requests("POST", "/calendar/getSchedule")
	if len(reqs) < 2 {
		t.Fatalf("getSchedule requests = %d, want the 90 days split", len(reqs))
	}
	var covered time.Duration
	for _, r := range reqs {
		var b scheduleBody
		json.Unmarshal(r.Body, &b)
		s, _ := time.Parse("2006-01-02T15:04:05", b.StartTime.DateTime)
		e, _ := time.Parse("2006-01-02T15:04:05", b.EndTime.DateTime)
		if span := e.Sub(s); span >= 42*24*time.Hour || span <= 0 {
			t.Errorf("window %v – %v spans %v, want under 42 days (and so under 62)", s, e, span)
		}
		if s.Before(from) || e.After(to) {
			t.Errorf("window %v – %v leaves the range", s, e)
		}
		covered += e.Sub(s)
	}
	if covered != to.Sub(from) {
		t.Errorf("windows cover %v, want %v", covered, to.Sub(from))
	}
}

func TestBusyFallsBackToCalendarViewWhenGetScheduleFails(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		code   string
	}{
		{"personal account, 500", 500, "ErrorInternalServerError"},
		{"not supported, 400", 400, "ErrorInvalidRequest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.Fail("POST", "/getSchedule", -1, graphtest.Failure{Status: tc.status, Code: tc.code})
			f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0), ShowAs: "busy"})
			f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(10, 0), End: at(11, 0), ShowAs: "free"})
			f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(11, 0), End: at(12, 0), ShowAs: "tentative"})
			f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(13, 0), End: at(14, 0), ShowAs: "busy", IsCancelled: true})
			f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(15, 0), End: at(16, 0), ShowAs: "oof"})

			got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), f.account(nil), []string{f.defaultCal}, day, day.AddDate(0, 0, 1))
			if err != nil || got[0].Err != nil {
				t.Fatalf("Busy: %v / %v", err, got[0].Err)
			}
			want := []slotbook.BusyInterval{
				{Start: at(9, 0), End: at(10, 0)},
				{Start: at(11, 0), End: at(12, 0)},
				{Start: at(15, 0), End: at(16, 0)},
			}
			if !reflect.DeepEqual(got[0].Busy, want) {
				t.Errorf("Busy = %v, want %v (free and cancelled left out)", got[0].Busy, want)
			}
			views := f.srv.Requests("GET", "/calendars/"+f.defaultCal+"/calendarView")
			if len(views) != 3 {
				t.Fatalf("calendarView pages = %d, want 3 (5 events, page size 2)", len(views))
			}
			for _, v := range views {
				if sel := v.Query.Get("$select"); sel != "showAs,start,end,isCancelled" {
					t.Errorf("$select = %q, want no subject for busy times", sel)
				}
				if p := v.Header.Get("Prefer"); p != `outlook.timezone="UTC"` {
					t.Errorf("page request Prefer = %q", p)
				}
			}
		})
	}
}

func TestBusyReadsOtherCalendarsByCalendarView(t *testing.T) {
	f := newFixture(t)
	f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	f.add(f.otherCal, graphtest.Event{Subject: subjectMarker, Start: at(12, 0), End: at(13, 0)})
	f.add(f.sharedCal, graphtest.Event{Subject: subjectMarker, Start: at(14, 0), End: at(15, 0), ShowAs: "free"})
	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), f.account(nil), []string{f.otherCal, f.defaultCal, f.sharedCal}, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatalf("Busy: %v", err)
	}
	want := []slotbook.BusyResult{
		{Busy: []slotbook.BusyInterval{{Start: at(12, 0), End: at(13, 0)}}},
		{Busy: []slotbook.BusyInterval{{Start: at(9, 0), End: at(10, 0)}}},
		{Busy: []slotbook.BusyInterval{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Busy = %+v, want %+v", got, want)
	}
	if n := len(f.srv.Requests("POST", "/getSchedule")); n != 1 {
		t.Errorf("getSchedule requests = %d, want 1 for the default calendar", n)
	}
	if n := len(f.srv.Requests("GET", "/calendars/"+f.otherCal+"/calendarView")); n != 1 {
		t.Errorf("calendarView requests for the other calendar = %d, want 1", n)
	}
}

func TestThrottledRequestIsRetriedAfterRetryAfter(t *testing.T) {
	f := newFixture(t)
	f.srv.Fail("POST", "/getSchedule", 1, graphtest.Failure{Status: 429, Code: "ApplicationThrottled", RetryAfter: "0"})
	f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), f.account(nil), []string{f.defaultCal}, day, day.AddDate(0, 0, 1))
	if err != nil || got[0].Err != nil {
		t.Fatalf("Busy: %v / %v", err, got[0].Err)
	}
	if len(got[0].Busy) != 1 {
		t.Errorf("Busy = %v, want the event", got[0].Busy)
	}
	reqs := f.srv.Requests("POST", "/getSchedule")
	if len(reqs) != 2 {
		t.Fatalf("getSchedule requests = %d, want 2", len(reqs))
	}
	if !bytes.Equal(reqs[0].Body, reqs[1].Body) {
		t.Errorf("the retry sent another body:\n%s\n%s", reqs[0].Body, reqs[1].Body)
	}
}

// TestRetriedPostIsNotGzipLabelledPlainJSON guards against kiota-http-go
// #183: with retry before compression, a retried POST went out as plain
// JSON labelled Content-Encoding: gzip.
func TestRetriedPostIsNotGzipLabelledPlainJSON(t *testing.T) {
	f := newFixture(t)
	f.srv.Fail("POST", "/events", 2, graphtest.Failure{Status: 503, Code: "ServiceUnavailable", RetryAfter: "0"})
	draft := slotbook.EventDraft{Key: "booking-1", Title: subjectMarker, Description: bodyMarker, Start: at(9, 0), End: at(10, 0)}
	if _, err := f.provider().PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, draft); err != nil {
		t.Fatalf("PutEvent: %v", err)
	}
	reqs := f.srv.Requests("POST", "/events")
	if len(reqs) != 3 {
		t.Fatalf("POSTs = %d, want 3 (two 503s, then 201)", len(reqs))
	}
	for i, r := range reqs {
		body := r.Body
		if enc := r.Header.Get("Content-Encoding"); enc != "" {
			if enc != "gzip" {
				t.Fatalf("attempt %d: Content-Encoding %q", i, enc)
			}
			zr, err := gzip.NewReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatalf("attempt %d: labelled gzip, but the body is not gzip (%v): the #183 trap", i, err)
			}
			body, _ = io.ReadAll(zr)
		}
		if !json.Valid(body) {
			t.Errorf("attempt %d: body is not JSON", i)
		}
		if !bytes.Equal(body, reqs[0].Body) && r.Header.Get("Content-Encoding") == "" {
			t.Errorf("attempt %d sent another body", i)
		}
	}
	if n := len(f.srv.Events(f.defaultCal)); n != 1 {
		t.Errorf("events = %d, want 1", n)
	}
}

func TestServerErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		retryAfter string
		wantStatus int
		wantTries  int
	}{
		{"500 is not retried", 500, "", 500, 1},
		{"502 is not retried", 502, "", 502, 1},
		{"503 is retried, then given up", 503, "0", 503, 2},
		{"504 backs off without Retry-After", 504, "", 504, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.Fail("GET", "/calendars", -1, graphtest.Failure{Status: tc.status, Code: "ServiceError", RetryAfter: tc.retryAfter})
			p := f.provider(func(c *Config) { c.MaxRetries = 1 })
			_, err := p.Calendars(ctxTimeout(t, 5*time.Second), f.account(nil))
			var e *Error
			if !errors.As(err, &e) || e.Status != tc.wantStatus || e.Code != "ServiceError" {
				t.Fatalf("err = %v, want an *Error with status %d and code ServiceError", err, tc.wantStatus)
			}
			if errors.Is(err, slotbook.ErrCalendarAuth) {
				t.Errorf("err %v wraps ErrCalendarAuth", err)
			}
			noLeak(t, err)
			if n := len(f.srv.Requests("GET", "/calendars")); n != tc.wantTries {
				t.Errorf("requests = %d, want %d", n, tc.wantTries)
			}
		})
	}
}

func TestDeadlineEndsTheCallPromptly(t *testing.T) {
	t.Run("slow answer", func(t *testing.T) {
		f := newFixture(t)
		f.srv.Fail("", "", -1, graphtest.Failure{Hang: true})
		start := time.Now()
		got, err := f.provider().Busy(ctxTimeout(t, 300*time.Millisecond), f.account(nil), []string{f.defaultCal}, day, day.AddDate(0, 0, 1))
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("Busy took %v past a 300ms deadline", took)
		}
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Busy = %+v, %v; want context.DeadlineExceeded", got, err)
		}
	})
	t.Run("Retry-After past the deadline", func(t *testing.T) {
		f := newFixture(t)
		f.srv.Fail("GET", "/calendars", -1, graphtest.Failure{Status: 429, Code: "ApplicationThrottled", RetryAfter: "20"})
		start := time.Now()
		_, err := f.provider().Calendars(ctxTimeout(t, 2*time.Second), f.account(nil))
		if took := time.Since(start); took > time.Second {
			t.Errorf("Calendars took %v: it waited for a Retry-After past its deadline", took)
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != 429 {
			t.Errorf("err = %v, want status 429 at once", err)
		}
		if n := len(f.srv.Requests("GET", "/calendars")); n != 1 {
			t.Errorf("requests = %d, want 1", n)
		}
	})
}

func TestMalformedAnswers(t *testing.T) {
	t.Run("calendars and events", func(t *testing.T) {
		f := newFixture(t)
		f.srv.Fail("", "", -1, graphtest.Failure{Status: 200, Body: `{"value":[{"id":"` + subjectMarker + `","subject":` + "\x00"})
		p := f.provider()
		_, err := p.Calendars(ctxTimeout(t, 5*time.Second), f.account(nil))
		if !errors.Is(err, errMalformed) {
			t.Errorf("Calendars err = %v, want a malformed answer", err)
		}
		noLeak(t, err)
		_, err = p.Events(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, day, day.AddDate(0, 0, 1))
		if !errors.Is(err, errMalformed) {
			t.Errorf("Events err = %v, want a malformed answer", err)
		}
		noLeak(t, err)
	})
	t.Run("getSchedule", func(t *testing.T) {
		// The default calendar's lookup answers; getSchedule's answer is broken.
		f := newFixture(t)
		broken := graphtest.Failure{Status: 200, Body: `{"value":[{"scheduleItems":[{"status":"busy","subject":"` + subjectMarker + `","start":{"dateTime":"not a time"}}]}]}`}
		f.srv.Fail("POST", "/getSchedule", -1, broken)
		f.srv.Fail("GET", "/calendarView", -1, broken)
		got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), f.account(nil), []string{f.defaultCal}, day, day.AddDate(0, 0, 1))
		if err != nil || got[0].Err == nil || got[0].Busy != nil {
			t.Errorf("Busy = %+v, %v; want the calendar unreadable", got, err)
		}
		noLeak(t, got[0].Err)
	})
}

func TestRefusedCredentials(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret func(f *fixture) string
	}{
		{"unknown refresh token", func(*fixture) string { return refreshMarker + "-revoked" }},
		{"revoked refresh token", func(f *fixture) string {
			f.srv.RevokeRefreshTokens(testEmail)
			return f.mbox.RefreshToken
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			p := f.provider()
			acct := f.account(nil)
			acct.Secret = tc.secret(f)
			ctx := ctxTimeout(t, 5*time.Second)
			draft := slotbook.EventDraft{Key: "k", Title: subjectMarker, Start: at(9, 0), End: at(10, 0)}
			_, err1 := p.Calendars(ctx, acct)
			_, err2 := p.Busy(ctx, acct, []string{f.defaultCal, f.otherCal}, day, day.AddDate(0, 0, 1))
			_, err3 := p.Events(ctx, acct, f.defaultCal, day, day.AddDate(0, 0, 1))
			_, err4 := p.PutEvent(ctx, acct, f.defaultCal, draft)
			err5 := p.DeleteEvent(ctx, acct, f.defaultCal, "evt")
			err6 := p.DeleteDraftEvent(ctx, acct, f.defaultCal, draft)
			for i, err := range []error{err1, err2, err3, err4, err5, err6} {
				var e *Error
				if !errors.Is(err, slotbook.ErrCalendarAuth) || !errors.As(err, &e) || e.Code != "invalid_grant" || e.Status != 400 {
					t.Errorf("call %d: err = %v, want invalid_grant wrapping ErrCalendarAuth", i+1, err)
				}
				noLeak(t, err)
			}
			if n := f.apiRequests(); n != 0 {
				t.Errorf("Graph requests = %d, want none without an access token", n)
			}
			if n := len(f.srv.Requests("POST", "/token")); n != 6 {
				t.Errorf("token requests = %d, want one per call", n)
			}
		})
	}
	t.Run("401 from Graph after refresh", func(t *testing.T) {
		f := newFixture(t)
		f.srv.Fail("", "", -1, graphtest.Failure{Status: 401, Code: "InvalidAuthenticationToken"})
		_, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), f.account(nil), []string{f.defaultCal}, day, day.AddDate(0, 0, 1))
		if !errors.Is(err, slotbook.ErrCalendarAuth) {
			t.Errorf("err = %v, want ErrCalendarAuth", err)
		}
		noLeak(t, err)
	})
	t.Run("our client refused", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.provider(func(c *Config) { c.ClientSecret = "wrong" }).Calendars(ctxTimeout(t, 5*time.Second), f.account(nil))
		var e *Error
		if !errors.As(err, &e) || e.Code != "invalid_client" || errors.Is(err, slotbook.ErrCalendarAuth) {
			t.Errorf("err = %v, want invalid_client, not ErrCalendarAuth: connecting again would not help", err)
		}
		noLeak(t, err)
	})
}

func TestRotatedRefreshTokenIsSaved(t *testing.T) {
	f := newFixture(t)
	p := f.provider()
	var rot rotations
	acct := f.account(&rot)
	if _, err := p.Busy(ctxTimeout(t, 5*time.Second), acct, []string{f.defaultCal, f.otherCal}, day, day.AddDate(0, 0, 1)); err != nil {
		t.Fatalf("Busy: %v", err)
	}
	if len(rot.got) != 1 || rot.got[0] == f.mbox.RefreshToken {
		t.Fatalf("OnRotate got %d tokens, want one new refresh token", len(rot.got))
	}
	if n := len(f.srv.Requests("POST", "/token")); n != 1 {
		t.Errorf("token requests = %d, want 1 for the whole call", n)
	}
	t.Run("the new token works", func(t *testing.T) {
		acct.Secret = rot.got[0]
		if _, err := p.Calendars(ctxTimeout(t, 5*time.Second), acct); err != nil {
			t.Errorf("Calendars with the rotated token: %v", err)
		}
	})
	t.Run("no rotation, no call", func(t *testing.T) {
		f.srv.SetRotation(false)
		defer f.srv.SetRotation(true)
		var again rotations
		if _, err := p.Calendars(ctxTimeout(t, 5*time.Second), f.account(&again)); err != nil {
			t.Fatal(err)
		}
		if len(again.got) != 0 {
			t.Errorf("OnRotate called %d times for an unchanged token", len(again.got))
		}
	})
	t.Run("a failed save fails the call", func(t *testing.T) {
		failing := rotations{err: errors.New("store down")}
		_, err := p.Calendars(ctxTimeout(t, 5*time.Second), f.account(&failing))
		if err == nil || !strings.Contains(err.Error(), "store down") {
			t.Errorf("err = %v, want the save's failure", err)
		}
		noLeak(t, err)
	})
}

// TestTimesInAWindowsZone: a mailbox whose server does not honour Prefer:
// outlook.timezone="UTC" answers in its own zone, under its Windows name.
// Busy (getSchedule and calendarView) and Events read the same instants
// as from a UTC answer.
func TestTimesInAWindowsZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	f.srv.SetAnswerZone("W. Europe Standard Time", berlin)
	f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	f.add(f.otherCal, graphtest.Event{Subject: subjectMarker, Start: at(14, 0), End: at(15, 0)})
	p := f.provider()

	got, err := p.Busy(ctxTimeout(t, 5*time.Second), f.account(nil), []string{f.defaultCal, f.otherCal}, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatalf("Busy: %v", err)
	}
	want := []slotbook.BusyResult{
		{Busy: []slotbook.BusyInterval{{Start: at(9, 0), End: at(10, 0)}}},
		{Busy: []slotbook.BusyInterval{{Start: at(14, 0), End: at(15, 0)}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Busy = %+v, want %+v", got, want)
	}
	if n := len(f.srv.Requests("POST", "/getSchedule")); n != 1 {
		t.Errorf("getSchedule requests = %d, want 1 for the default calendar", n)
	}

	events, err := p.Events(ctxTimeout(t, 5*time.Second), f.account(nil), f.otherCal, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if len(events) != 1 || !events[0].Start.Equal(at(14, 0)) || !events[0].End.Equal(at(15, 0)) {
		t.Errorf("Events = %+v, want one event 14:00-15:00 UTC", events)
	}
}

func TestEventsAcrossPages(t *testing.T) {
	f := newFixture(t)
	f.add(f.otherCal, graphtest.Event{Subject: subjectMarker + " 3", Start: at(14, 0), End: at(15, 0), ShowAs: "busy"})
	f.add(f.otherCal, graphtest.Event{Subject: subjectMarker + " 1", Start: at(8, 0), End: at(9, 0), ShowAs: "tentative"})
	f.add(f.otherCal, graphtest.Event{Subject: "cancelled", Start: at(10, 0), End: at(11, 0), IsCancelled: true})
	f.add(f.otherCal, graphtest.Event{Subject: subjectMarker + " 2", Start: at(12, 0), End: at(13, 0), ShowAs: "free"})
	f.add(f.otherCal, graphtest.Event{Subject: "tomorrow", Start: day.AddDate(0, 0, 1).Add(9 * time.Hour), End: day.AddDate(0, 0, 1).Add(10 * time.Hour)})

	got, err := f.provider().Events(ctxTimeout(t, 5*time.Second), f.account(nil), f.otherCal, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	want := []slotbook.ExternalEvent{
		{Start: at(8, 0), End: at(9, 0), Title: subjectMarker + " 1", Busy: true},
		{Start: at(12, 0), End: at(13, 0), Title: subjectMarker + " 2", Busy: false},
		{Start: at(14, 0), End: at(15, 0), Title: subjectMarker + " 3", Busy: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Events = %+v, want %+v", got, want)
	}
	views := f.srv.Requests("GET", "/calendarView")
	if len(views) != 2 {
		t.Errorf("pages = %d, want 2", len(views))
	}
	if sel := views[0].Query.Get("$select"); sel != "subject,start,end,showAs,isCancelled" {
		t.Errorf("$select = %q", sel)
	}
	if s := views[0].Query.Get("startDateTime"); s != "2025-01-06T00:00:00Z" {
		t.Errorf("startDateTime = %q", s)
	}
}

func TestPutEvent(t *testing.T) {
	draft := slotbook.EventDraft{
		Key: "booking-42", Title: subjectMarker, Description: bodyMarker,
		Start: time.Date(2025, 1, 6, 10, 0, 0, 0, time.FixedZone("CET", 3600)), End: at(9, 45),
		TimeZone: "Europe/Zurich",
	}
	t.Run("sends subject, body, times and transactionId", func(t *testing.T) {
		f := newFixture(t)
		id, err := f.provider().PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.otherCal, draft)
		if err != nil {
			t.Fatalf("PutEvent: %v", err)
		}
		reqs := f.srv.Requests("POST", "/v1.0/me/calendars/"+f.otherCal+"/events")
		if len(reqs) != 1 {
			t.Fatalf("POSTs = %d, want 1", len(reqs))
		}
		var sent struct {
			Start, End struct{ DateTime, TimeZone string }
		}
		if err := json.Unmarshal(reqs[0].Body, &sent); err != nil {
			t.Fatalf("body: %v", err)
		}
		if sent.Start.DateTime != "2025-01-06T09:00:00.0000000" || sent.Start.TimeZone != "UTC" ||
			sent.End.DateTime != "2025-01-06T09:45:00.0000000" || sent.End.TimeZone != "UTC" {
			t.Errorf("times = %+v – %+v, want 09:00–09:45 UTC", sent.Start, sent.End)
		}
		events := f.srv.Events(f.otherCal)
		if len(events) != 1 {
			t.Fatalf("events = %d, want 1", len(events))
		}
		e := events[0]
		if e.ID != id || e.Subject != subjectMarker || e.Body != bodyMarker || e.BodyType != "text" {
			t.Errorf("event = %+v, want id %q with subject and text body", e, id)
		}
		if !e.Start.Equal(at(9, 0)) || !e.End.Equal(at(9, 45)) || e.ShowAs != "busy" || e.TransactionID != TransactionID(draft.Key) {
			t.Errorf("event = %+v, want 09:00–09:45, busy, transactionId %q", e, TransactionID(draft.Key))
		}
	})
	t.Run("the same draft twice makes one event", func(t *testing.T) {
		f := newFixture(t)
		p := f.provider()
		id1, err1 := p.PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, draft)
		id2, err2 := p.PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, draft)
		if err1 != nil || err2 != nil || id1 != id2 {
			t.Fatalf("PutEvent twice = %q, %v / %q, %v; want the same id", id1, err1, id2, err2)
		}
		if n := len(f.srv.Events(f.defaultCal)); n != 1 {
			t.Errorf("events = %d, want 1", n)
		}
		other := draft
		other.Key = "booking-43"
		if id3, _ := p.PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, other); id3 == id1 {
			t.Errorf("another key got the same event")
		}
	})
	t.Run("a lost answer, retried by the pipeline, makes one event", func(t *testing.T) {
		f := newFixture(t)
		// The mailbox takes the event; the gateway times out.
		f.srv.Fail("POST", "/events", 1, graphtest.Failure{Apply: true, Status: 504, Code: "GatewayTimeout", RetryAfter: "0"})
		id, err := f.provider().PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, draft)
		if err != nil || id == "" {
			t.Fatalf("PutEvent = %q, %v", id, err)
		}
		posts := len(f.srv.Requests("POST", "/events"))
		if c := len(f.srv.Events(f.defaultCal)); c != 1 || posts != 2 {
			t.Errorf("events = %d after %d POSTs, want 1 after 2", c, posts)
		}
	})
	t.Run("a dropped connection, retried by the caller, makes one event", func(t *testing.T) {
		f := newFixture(t)
		f.srv.Fail("POST", "/events", 1, graphtest.Failure{Apply: true, Drop: true})
		p := f.provider()
		_, err := p.PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, draft)
		if err == nil {
			t.Fatal("PutEvent over a dropped connection succeeded")
		}
		noLeak(t, err)
		id, err := p.PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, draft)
		if err != nil || id == "" {
			t.Fatalf("PutEvent again = %q, %v", id, err)
		}
		if c := len(f.srv.Events(f.defaultCal)); c != 1 {
			t.Errorf("events = %d, want 1", c)
		}
	})
	t.Run("a read-only calendar refuses", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.provider().PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.sharedCal, draft)
		var e *Error
		if !errors.As(err, &e) || e.Status != 403 || errors.Is(err, slotbook.ErrCalendarAuth) {
			t.Errorf("err = %v, want status 403, not refused credentials", err)
		}
		noLeak(t, err)
	})
	t.Run("a draft without key is refused", func(t *testing.T) {
		f := newFixture(t)
		bad := draft
		bad.Key = ""
		if _, err := f.provider().PutEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, bad); err == nil {
			t.Error("PutEvent without a key succeeded: it could not be made idempotent")
		}
	})
}

func TestDeleteEvent(t *testing.T) {
	f := newFixture(t)
	p := f.provider()
	id := f.add(f.defaultCal, graphtest.Event{ID: "AAMkAD/evt+1=", Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	if err := p.DeleteEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, id); err != nil {
		t.Fatalf("DeleteEvent: %v", err)
	}
	if n := len(f.srv.Events(f.defaultCal)); n != 0 {
		t.Errorf("events = %d, want 0", n)
	}
	if err := p.DeleteEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, id); err != nil {
		t.Errorf("DeleteEvent of a gone event: %v, want nil (404 is success)", err)
	}
	f.srv.Fail("DELETE", "", -1, graphtest.Failure{Status: 403, Code: "ErrorAccessDenied"})
	err := p.DeleteEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, "evt")
	var e *Error
	if !errors.As(err, &e) || e.Status != 403 || e.Code != "ErrorAccessDenied" {
		t.Errorf("err = %v, want status 403 ErrorAccessDenied", err)
	}
	noLeak(t, err)
}

// TestDeleteDraftEvent: the event PutEvent made for a draft is found by its
// transactionId, which calendarView returns only when $select names it,
// and deleted without its id being known; nothing else is touched.
func TestDeleteDraftEvent(t *testing.T) {
	draft := slotbook.EventDraft{Key: "booking-7", Title: subjectMarker, Description: bodyMarker, Start: at(9, 0), End: at(10, 0)}
	t.Run("deletes the draft's event and nothing else", func(t *testing.T) {
		f := newFixture(t)
		p := f.provider()
		ctx := ctxTimeout(t, 5*time.Second)
		// Other events in the same time: another booking's, and the user's
		// own, before and after the draft's (pages hold two events).
		f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(8, 30), End: at(9, 30)})
		other := draft
		other.Key = "booking-8"
		otherID, err := p.PutEvent(ctx, f.account(nil), f.defaultCal, other)
		if err != nil {
			t.Fatalf("PutEvent other: %v", err)
		}
		if _, err := p.PutEvent(ctx, f.account(nil), f.defaultCal, draft); err != nil {
			t.Fatalf("PutEvent: %v", err)
		}
		f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 30), End: at(11, 0)})

		if err := p.DeleteDraftEvent(ctx, f.account(nil), f.defaultCal, draft); err != nil {
			t.Fatalf("DeleteDraftEvent: %v", err)
		}
		var others, own int
		for _, e := range f.srv.Events(f.defaultCal) {
			switch {
			case e.TransactionID == TransactionID(draft.Key):
				t.Errorf("the draft's event %s is still there", e.ID)
			case e.ID == otherID:
				others++
			case e.TransactionID == "":
				own++
			}
		}
		if others != 1 || own != 2 {
			t.Errorf("left: %d events of the other booking and %d of the user's, want 1 and 2", others, own)
		}
		views := f.srv.Requests("GET", "/calendarView")
		if len(views) < 2 {
			t.Fatalf("calendarView pages = %d, want 2 (4 events, page size 2)", len(views))
		}
		if sel := views[0].Query.Get("$select"); sel != "transactionId" {
			t.Errorf("calendarView $select = %q, want transactionId only", sel)
		}
	})
	t.Run("no event is no error", func(t *testing.T) {
		f := newFixture(t)
		f.add(f.defaultCal, graphtest.Event{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
		if err := f.provider().DeleteDraftEvent(ctxTimeout(t, 5*time.Second), f.account(nil), f.defaultCal, draft); err != nil {
			t.Errorf("DeleteDraftEvent without an event: %v, want nil", err)
		}
		if n := len(f.srv.Events(f.defaultCal)); n != 1 {
			t.Errorf("events = %d, want the user's one left", n)
		}
		if n := len(f.srv.Requests("DELETE", "")); n != 0 {
			t.Errorf("DELETE requests = %d, want 0", n)
		}
	})
}

func TestOAuth(t *testing.T) {
	f := newFixture(t)
	p := f.provider()
	noRedirects := f.srv.Client()
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// consent follows AuthCodeURL as the user's browser would and returns
	// the query of the redirect to slotbook's callback.
	consent := func(t *testing.T) url.Values {
		t.Helper()
		u := p.AuthCodeURL("state-123")
		resp, err := noRedirects.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), redirectURL+"?") {
			t.Fatalf("consent answered %d to %q, want 302 to %s", resp.StatusCode, resp.Header.Get("Location"), redirectURL)
		}
		return loc.Query()
	}

	u, err := url.Parse(p.AuthCodeURL("state-123"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/common/oauth2/v2.0/authorize" || q.Get("client_id") != graphtest.ClientID || q.Get("state") != "state-123" ||
		q.Get("redirect_uri") != redirectURL || q.Get("response_type") != "code" {
		t.Errorf("AuthCodeURL = %s", u)
	}
	if s := q.Get("scope"); s != "offline_access Calendars.ReadWrite" {
		t.Errorf("scope = %q", s)
	}

	back := consent(t)
	if back.Get("state") != "state-123" || back.Get("code") == "" {
		t.Fatalf("callback query = %v, want code and state", back)
	}
	rt, err := p.Exchange(ctxTimeout(t, 5*time.Second), back.Get("code"))
	if err != nil || !strings.Contains(rt, graphtest.TokenMarker) {
		t.Errorf("Exchange = %q, %v; want a refresh token", rt, err)
	}
	form, _ := url.ParseQuery(string(f.srv.Requests("POST", "/token")[0].Body))
	if form.Get("client_secret") != graphtest.ClientSecret {
		t.Errorf("client secret not sent in the body (AuthStyleInParams)")
	}
	if cals, err := p.Calendars(ctxTimeout(t, 5*time.Second), slotbook.Account{Secret: rt}); err != nil || len(cals) == 0 || cals[0].Owner != testEmail {
		t.Errorf("Calendars with the new refresh token = %+v, %v; want Adele's, owned by %s", cals, err, testEmail)
	}
	_, err = p.Exchange(ctxTimeout(t, 5*time.Second), back.Get("code"))
	if !errors.Is(err, slotbook.ErrCalendarAuth) {
		t.Errorf("Exchange of a used code: %v, want ErrCalendarAuth", err)
	}
	noLeak(t, err)

	f.srv.DenyConsent()
	if back := consent(t); back.Get("error") != "access_denied" || back.Get("code") != "" || back.Get("state") != "state-123" {
		t.Errorf("declined consent: callback query %v, want error=access_denied with the state", back)
	}
}

func TestTokensGoOnlyToGraphsHost(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var stranger http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		stranger = r.Header.Clone()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"value":[]}`)
	}))
	defer other.Close()
	next := strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/v1.0/me/calendars?$skip=1"
	f.srv.Fail("GET", "/calendars", 1, graphtest.Failure{Status: 200, Body: `{"value":[{"id":"c1","name":"x","isDefaultCalendar":true,"canEdit":true}],"@odata.nextLink":"` + next + `"}`})
	if _, err := f.provider().Calendars(ctxTimeout(t, 5*time.Second), f.account(nil)); err != nil {
		t.Fatalf("Calendars: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if stranger == nil {
		t.Fatal("the next page was not fetched")
	}
	if a := stranger.Get("Authorization"); a != "" {
		t.Errorf("another host got Authorization %q", a)
	}
}

func TestBadBaseURLFailsEveryCall(t *testing.T) {
	p := New(Config{BaseURL: "graph.example/v1.0"})
	acct := slotbook.Account{Provider: slotbook.Microsoft, Email: testEmail, Secret: "rt"}
	if _, err := p.Calendars(context.Background(), acct); err == nil {
		t.Error("Calendars with a relative BaseURL succeeded")
	}
	if _, err := p.Busy(context.Background(), acct, []string{"c"}, day, day.Add(time.Hour)); err == nil {
		t.Error("Busy with a relative BaseURL succeeded")
	}
}

func TestParseGraphTime(t *testing.T) {
	for _, tc := range []struct {
		dateTime, zone string
		want           time.Time
		wantErr        bool
	}{
		{"2025-01-06T12:00:00.0000000", "UTC", at(12, 0), false},
		{"2025-01-06T12:00:00", "", at(12, 0), false},
		{"2025-01-06T13:00:00.0000000", "Europe/Zurich", at(12, 0), false},
		{"2025-01-06T12:00:00Z", "", at(12, 0), false},
		{"2025-01-06T12:00:00.0000000", "tzone://Microsoft/Utc", at(12, 0), false},
		// The Windows names of mailboxSettings, and of answers where Prefer:
		// outlook.timezone was not honoured.
		{"2025-01-06T13:00:00.0000000", "W. Europe Standard Time", at(12, 0), false},
		{"2025-01-06T07:00:00.0000000", "Eastern Standard Time", at(12, 0), false},
		{"2025-01-06T12:00:00.0000000", "W. Mars Standard Time", time.Time{}, true},
		{"12:00", "UTC", time.Time{}, true},
	} {
		got, err := parseGraphTime(tc.dateTime, tc.zone)
		if (err != nil) != tc.wantErr || !got.Equal(tc.want) {
			t.Errorf("parseGraphTime(%q, %q) = %v, %v; want %v, error %v", tc.dateTime, tc.zone, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestTransactionIDIsStableAndOpaque(t *testing.T) {
	a, b, c := TransactionID("booking-1"), TransactionID("booking-1"), TransactionID("booking-2")
	if a != b || a == c || len(a) != 36 || strings.Contains(a, "booking") {
		t.Errorf("TransactionID = %q, %q, %q", a, b, c)
	}
}
