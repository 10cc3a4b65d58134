package caldav_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/caldav"
	"github.com/slotbook/slotbook/pkg/calendar/caldav/radicaletest"
	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Marker strings stand for titles, descriptions and locations: no error
// may ever contain one.
const (
	markerSummary     = "MARKER-SUMMARY-3f9a"
	markerDescription = "MARKER-DESCRIPTION-3f9a"
	markerLocation    = "MARKER-LOCATION-3f9a"
)

var zurich = mustZone("Europe/Zurich")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, zurich)
	if err != nil {
		panic(err)
	}
	return t
}

func newProvider() *caldav.Provider {
	return caldav.New(caldav.Config{AllowPrivateNetworks: true})
}

func account(serverURL, user, password string) slotbook.Account {
	return slotbook.Account{Provider: slotbook.CalDAV, URL: serverURL, Username: user, Secret: password}
}

func spans(busy []slotbook.BusyInterval) string {
	var out []string
	for _, b := range busy {
		out = append(out, b.Start.In(zurich).Format("01-02 15:04")+"/"+b.End.In(zurich).Format("01-02 15:04"))
	}
	return strings.Join(out, ", ")
}

// checkClean fails if err mentions event data or the password.
func checkClean(t *testing.T, err error, password string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	for _, m := range []string{"MARKER", markerSummary, markerDescription, markerLocation} {
		if strings.Contains(msg, m) {
			t.Errorf("error contains event data %q: %v", m, err)
		}
	}
	if password != "" && strings.Contains(msg, password) {
		t.Errorf("error contains the password: %v", err)
	}
}

const zurichTZ = `BEGIN:VTIMEZONE
TZID:Europe/Zurich
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19810329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19961027T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
`

func object(body string) string {
	return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//slotbook test//EN\n" + zurichTZ + body + "END:VCALENDAR\n"
}

// fixtures are the events of the calendar /alice/work/ in the busy tests,
// Zurich, weeks of 2025-03-03 to 2025-03-24.
var fixtures = map[string]string{
	"recurring.ics": object(`BEGIN:VEVENT
UID:recurring
DTSTAMP:20250101T000000Z
SUMMARY:` + markerSummary + `
DESCRIPTION:` + markerDescription + `
LOCATION:` + markerLocation + `
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/Zurich:20250310T090000
END:VEVENT
BEGIN:VEVENT
UID:recurring
DTSTAMP:20250101T000000Z
SUMMARY:` + markerSummary + ` moved
RECURRENCE-ID;TZID=Europe/Zurich:20250317T090000
DTSTART;TZID=Europe/Zurich:20250318T140000
DTEND;TZID=Europe/Zurich:20250318T150000
END:VEVENT
`),
	"transparent.ics": object(`BEGIN:VEVENT
UID:transparent
DTSTAMP:20250101T000000Z
SUMMARY:Focus time
DTSTART;TZID=Europe/Zurich:20250304T110000
DTEND;TZID=Europe/Zurich:20250304T120000
TRANSP:TRANSPARENT
END:VEVENT
`),
	"allday.ics": object(`BEGIN:VEVENT
UID:allday
DTSTAMP:20250101T000000Z
SUMMARY:Holiday
DTSTART;VALUE=DATE:20250305
DTEND;VALUE=DATE:20250306
END:VEVENT
`),
	"cancelled.ics": object(`BEGIN:VEVENT
UID:cancelled
DTSTAMP:20250101T000000Z
SUMMARY:Called off
DTSTART;TZID=Europe/Zurich:20250306T090000
DTEND;TZID=Europe/Zurich:20250306T100000
STATUS:CANCELLED
END:VEVENT
`),
	"outside.ics": object(`BEGIN:VEVENT
UID:outside
DTSTAMP:20250101T000000Z
SUMMARY:Later
DTSTART:20250410T080000Z
DTEND:20250410T090000Z
END:VEVENT
`),
}

// startWithFixtures starts Radicale (no password checks) with the
// calendar /alice/work/ holding the fixtures and an empty /alice/other/.
func startWithFixtures(t *testing.T) *radicaletest.Server {
	t.Helper()
	s := radicaletest.Start(t, radicaletest.Options{})
	cal := s.MakeCalendar(t, "alice", "pw", "work", "Work")
	s.MakeCalendar(t, "alice", "pw", "other", "Other")
	for name, text := range fixtures {
		s.Put(t, "alice", "pw", cal+name, text)
	}
	return s
}

func TestCalendars(t *testing.T) {
	// admin sets up alice's calendars; alice may only read "holidays".
	s := radicaletest.Start(t, radicaletest.Options{Rights: `
[admin]
user: admin
collection: .*
permissions: RrWw

[holidays-read-only]
user: alice
collection: alice/holidays
permissions: r

[principal]
user: .+
collection: {user}
permissions: RW

[calendars]
user: .+
collection: {user}/[^/]+
permissions: rw

[root]
user: .+
collection:
permissions: R
`})
	s.MakeCalendar(t, "alice", "pw", "work", "Work")
	s.MakeCalendar(t, "alice", "pw", "private", "Private")
	s.MakeCalendarAt(t, "alice", "pw", "/alice/tasks/", "Tasks", "VTODO")
	s.MakeCalendarAt(t, "admin", "pw", "/alice/holidays/", "Holidays")

	got, err := newProvider().Calendars(context.Background(), account(s.URL, "alice", "pw"))
	if err != nil {
		t.Fatalf("Calendars: %v", err)
	}
	byID := map[string]slotbook.CalendarInfo{}
	for _, c := range got {
		byID[c.ID] = c
	}
	want := map[string]slotbook.CalendarInfo{
		"/alice/holidays/": {ID: "/alice/holidays/", Name: "Holidays", ReadOnly: true},
		"/alice/work/":     {ID: "/alice/work/", Name: "Work"},
		"/alice/private/":  {ID: "/alice/private/", Name: "Private"},
	}
	if len(got) != len(want) {
		t.Fatalf("Calendars = %+v, want the three event calendars %v (no task list)", got, want)
	}
	for id, w := range want {
		g, ok := byID[id]
		if !ok || g.Name != w.Name || g.ReadOnly != w.ReadOnly {
			t.Errorf("calendar %s = %+v, want %+v", id, g, w)
		}
	}
	if !got[0].Primary || got[0].ReadOnly {
		t.Errorf("first calendar = %+v, want the primary, writable", got[0])
	}
	for _, c := range got[1:] {
		if c.Primary {
			t.Errorf("second primary: %+v", c)
		}
	}
}

func TestBusy(t *testing.T) {
	s := startWithFixtures(t)
	p := newProvider()
	results, err := p.Busy(context.Background(), account(s.URL, "alice", "pw"),
		[]string{"/alice/work/", "/alice/other/", "/alice/missing/"}, at("2025-03-03 00:00"), at("2025-03-24 00:00"))
	if err != nil {
		t.Fatalf("Busy: %v", err)
	}
	if len(results) != 3 {
		t.Fatalf("Busy returned %d results, want 3", len(results))
	}
	t.Run("recurrence with EXDATE and a moved instance, all-day; transparent, cancelled and later events left out", func(t *testing.T) {
		if results[0].Err != nil {
			t.Fatalf("work: %v", results[0].Err)
		}
		want := "03-03 09:00/03-03 10:00, 03-05 00:00/03-06 00:00, 03-18 14:00/03-18 15:00"
		if got := spans(results[0].Busy); got != want {
			t.Errorf("work busy =\n  %s\nwant\n  %s", got, want)
		}
	})
	t.Run("empty calendar is free", func(t *testing.T) {
		if results[1].Err != nil || len(results[1].Busy) != 0 {
			t.Errorf("other = %+v, want free", results[1])
		}
	})
	t.Run("unreadable calendar gets an error, not free time", func(t *testing.T) {
		if results[2].Err == nil {
			t.Errorf("missing calendar: no error")
		}
		checkClean(t, results[2].Err, "pw")
	})
}

func TestEvents(t *testing.T) {
	s := startWithFixtures(t)
	got, err := newProvider().Events(context.Background(), account(s.URL, "alice", "pw"), "/alice/work/", at("2025-03-03 00:00"), at("2025-03-10 00:00"))
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var lines []string
	for _, e := range got {
		lines = append(lines, fmt.Sprintf("%s/%s %q busy=%v", e.Start.In(zurich).Format("01-02 15:04"), e.End.In(zurich).Format("01-02 15:04"), e.Title, e.Busy))
	}
	want := []string{
		`03-03 09:00/03-03 10:00 "` + markerSummary + `" busy=true`,
		`03-04 11:00/03-04 12:00 "Focus time" busy=false`,
		`03-05 00:00/03-06 00:00 "Holiday" busy=true`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("Events =\n  %s\nwant\n  %s", strings.Join(lines, "\n  "), strings.Join(want, "\n  "))
	}
}

// recorder is a proxy in front of Radicale that keeps the body of every
// REPORT request and may answer requests itself.
type recorder struct {
	*httptest.Server
	mu      sync.Mutex
	reports []string
}

func newRecorder(t *testing.T, target string, intercept func(w http.ResponseWriter, r *http.Request, body string) bool) *recorder {
	t.Helper()
	u, _ := url.Parse(target)
	proxy := httputil.NewSingleHostReverseProxy(u)
	rec := &recorder{}
	rec.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		if r.Method == "REPORT" {
			rec.mu.Lock()
			rec.reports = append(rec.reports, string(b))
			rec.mu.Unlock()
		}
		if intercept != nil && intercept(w, r, string(b)) {
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(rec.Close)
	return rec
}

// takeReports returns the REPORT bodies recorded since the last call.
func (r *recorder) takeReports() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reports
	r.reports = nil
	return out
}

func (r *recorder) lastReport() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reports) == 0 {
		return ""
	}
	return r.reports[len(r.reports)-1]
}

func TestQueriesAskOnlyForTheFieldsNeeded(t *testing.T) {
	s := startWithFixtures(t)
	rec := newRecorder(t, s.URL, nil)
	p, acct := newProvider(), account(rec.URL, "alice", "pw")
	from, to := at("2025-03-03 00:00"), at("2025-03-10 00:00")

	if _, err := p.Busy(context.Background(), acct, []string{"/alice/work/"}, from, to); err != nil {
		t.Fatal(err)
	}
	busyQueries := rec.takeReports()
	if len(busyQueries) == 0 {
		t.Fatal("Busy sent no REPORT")
	}
	for _, q := range busyQueries {
		for _, prop := range []string{"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "TRANSP", "STATUS"} {
			if !strings.Contains(q, `<C:prop name="`+prop+`"/>`) {
				t.Errorf("busy query does not ask for %s:\n%s", prop, q)
			}
		}
		for _, prop := range []string{"SUMMARY", "DESCRIPTION", "LOCATION", "ATTENDEE", "allprop"} {
			if strings.Contains(q, prop) {
				t.Errorf("busy query asks for %s:\n%s", prop, q)
			}
		}
	}
	// The time range is the window widened by two days on either side:
	// servers read floating and all-day times in UTC, not in the
	// employee's zone (2025-03-03 00:00 Zurich is 2025-03-02 23:00 UTC).
	wantRange := `<C:time-range start="20250228T230000Z" end="20250311T230000Z"/>`
	var filters []string
	for _, q := range busyQueries {
		_, f, _ := strings.Cut(q, `<C:comp-filter name="VEVENT">`)
		f, _, _ = strings.Cut(f, `</C:comp-filter>`)
		filters = append(filters, f)
	}
	slices.Sort(filters)
	want := []string{`<C:prop-filter name="RDATE"/>`, `<C:prop-filter name="RECURRENCE-ID"/>`, `<C:prop-filter name="RRULE"/>`, wantRange}
	if !slices.Equal(filters, want) {
		t.Errorf("busy query filters =\n  %s\nwant the widened window and every recurring event\n  %s", strings.Join(filters, "\n  "), strings.Join(want, "\n  "))
	}

	if _, err := p.Events(context.Background(), acct, "/alice/work/", from, to); err != nil {
		t.Fatal(err)
	}
	for _, q := range rec.takeReports() {
		if !strings.Contains(q, `name="SUMMARY"`) {
			t.Errorf("events query does not ask for SUMMARY:\n%s", q)
		}
		for _, prop := range []string{"DESCRIPTION", "LOCATION", "ATTENDEE", "allprop"} {
			if strings.Contains(q, prop) {
				t.Errorf("events query asks for %s:\n%s", prop, q)
			}
		}
	}
}

func TestPutEvent(t *testing.T) {
	s := radicaletest.Start(t, radicaletest.Options{})
	cal := s.MakeCalendar(t, "alice", "pw", "work", "Work")
	p, acct := newProvider(), account(s.URL, "alice", "pw")
	ctx := context.Background()
	draft := slotbook.EventDraft{
		Key:         "booking-42",
		Title:       "Haircut: Jane",
		Description: "Booked through slotbook.\r\nPhone: +41 00 000 00 00",
		Start:       at("2025-03-30 01:30"), // the night Zurich springs forward
		End:         at("2025-03-30 03:30"),
		TimeZone:    "Europe/Zurich",
	}

	id1, err := p.PutEvent(ctx, acct, cal, draft)
	if err != nil {
		t.Fatalf("PutEvent: %v", err)
	}
	draft.Title = "Haircut: Jane (moved)"
	id2, err := p.PutEvent(ctx, acct, cal, draft)
	if err != nil {
		t.Fatalf("second PutEvent: %v", err)
	}

	t.Run("same draft twice makes one object", func(t *testing.T) {
		want := cal + caldav.UID("booking-42") + ".ics"
		if id1 != want || id2 != want {
			t.Errorf("event ids = %q, %q, want %q twice", id1, id2, want)
		}
		if objs := s.Objects(t, "alice", "pw", cal); !slices.Equal(objs, []string{want}) {
			t.Errorf("objects in the calendar = %v, want [%s]", objs, want)
		}
	})
	t.Run("the object holds the second draft, in the draft's zone", func(t *testing.T) {
		status, body := s.Get(t, "alice", "pw", id2)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", id2, status)
		}
		for _, want := range []string{"UID:" + caldav.UID("booking-42"), "SUMMARY:Haircut: Jane (moved)",
			`DESCRIPTION:Booked through slotbook.\nPhone: +41 00 000 00 00`, "DTSTART;TZID=Europe/Zurich:20250330T013000",
			"DTEND;TZID=Europe/Zurich:20250330T033000", "BEGIN:VTIMEZONE", "DTSTAMP:"} {
			if !strings.Contains(body, want) {
				t.Errorf("object lacks %q:\n%s", want, body)
			}
		}
	})
	t.Run("reads back as the same instants", func(t *testing.T) {
		// 01:30 CET is 00:30Z; 03:30 CEST is 01:30Z: one hour, not two.
		res, err := p.Busy(ctx, acct, []string{cal}, at("2025-03-29 00:00"), at("2025-03-31 00:00"))
		if err != nil || res[0].Err != nil {
			t.Fatalf("Busy: %v %v", err, res)
		}
		if len(res[0].Busy) != 1 || !res[0].Busy[0].Start.Equal(draft.Start) || !res[0].Busy[0].End.Equal(draft.End) {
			t.Errorf("Busy = %s, want %s/%s", spans(res[0].Busy), draft.Start.UTC(), draft.End.UTC())
		}
		events, err := p.Events(ctx, acct, cal, at("2025-03-29 00:00"), at("2025-03-31 00:00"))
		if err != nil || len(events) != 1 || events[0].Title != "Haircut: Jane (moved)" {
			t.Errorf("Events = %+v, %v", events, err)
		}
	})
	t.Run("a draft without zone is written in UTC", func(t *testing.T) {
		id, err := p.PutEvent(ctx, acct, cal, slotbook.EventDraft{Key: "booking-utc", Title: "x", Start: at("2025-04-01 10:00"), End: at("2025-04-01 11:00")})
		if err != nil {
			t.Fatal(err)
		}
		_, body := s.Get(t, "alice", "pw", id)
		if !strings.Contains(body, "DTSTART:20250401T080000Z") || strings.Contains(body, "VTIMEZONE") {
			t.Errorf("object:\n%s", body)
		}
	})
}

func TestDeleteEvent(t *testing.T) {
	s := radicaletest.Start(t, radicaletest.Options{})
	cal := s.MakeCalendar(t, "alice", "pw", "work", "Work")
	p, acct := newProvider(), account(s.URL, "alice", "pw")
	ctx := context.Background()
	id, err := p.PutEvent(ctx, acct, cal, slotbook.EventDraft{Key: "b-1", Title: "x", Start: at("2025-04-01 10:00"), End: at("2025-04-01 11:00")})
	if err != nil {
		t.Fatal(err)
	}

	if err := p.DeleteEvent(ctx, acct, cal, id); err != nil {
		t.Fatalf("DeleteEvent: %v", err)
	}
	if objs := s.Objects(t, "alice", "pw", cal); len(objs) != 0 {
		t.Errorf("objects after delete = %v, want none", objs)
	}
	if err := p.DeleteEvent(ctx, acct, cal, id); err != nil {
		t.Errorf("deleting twice: %v, want nil (gone already is no error)", err)
	}
	for _, stray := range []string{cal, "/alice/", cal + "../other/x.ics", "/bob/work/x.ics", "https://elsewhere.example/alice/work/x.ics"} {
		if err := p.DeleteEvent(ctx, acct, cal, stray); err == nil {
			t.Errorf("DeleteEvent(%q) = nil, want a refusal", stray)
		}
	}
	if status, _ := s.Do(t, "PROPFIND", "alice", "pw", cal, "", "", "Depth", "0"); status != http.StatusMultiStatus {
		t.Errorf("the calendar is gone after stray deletes: PROPFIND %d", status)
	}
}

func TestWrongPassword(t *testing.T) {
	const password = "right-Pa55word-91"
	s := radicaletest.Start(t, radicaletest.Options{Users: map[string]string{"alice": password}})
	cal := s.MakeCalendar(t, "alice", password, "work", "Work")
	p := newProvider()
	ctx := context.Background()
	from, to := at("2025-03-03 00:00"), at("2025-03-10 00:00")

	if _, err := p.Calendars(ctx, account(s.URL, "alice", password)); err != nil {
		t.Fatalf("right password: %v", err)
	}
	const wrong = "wrong-Pa55word-17"
	acct := account(s.URL, "alice", wrong)
	calls := map[string]func() error{
		"Calendars": func() error { _, err := p.Calendars(ctx, acct); return err },
		"Busy":      func() error { _, err := p.Busy(ctx, acct, []string{cal}, from, to); return err },
		"Events":    func() error { _, err := p.Events(ctx, acct, cal, from, to); return err },
		"PutEvent": func() error {
			_, err := p.PutEvent(ctx, acct, cal, slotbook.EventDraft{Key: "k", Title: markerSummary, Start: from, End: to})
			return err
		},
		"DeleteEvent": func() error { return p.DeleteEvent(ctx, acct, cal, cal+"x.ics") },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, slotbook.ErrCalendarAuth) || errors.Is(err, slotbook.ErrCalendarNotFound) {
			t.Errorf("%s with a wrong password: %v, want ErrCalendarAuth only (a 401 says nothing of the URL)", name, err)
		}
		checkClean(t, err, wrong)
	}
}

func TestServerGone(t *testing.T) {
	s := radicaletest.Start(t, radicaletest.Options{})
	cal := s.MakeCalendar(t, "alice", "pw", "work", "Work")
	s.Stop()
	p, acct := newProvider(), account(s.URL, "alice", "pw")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := p.Calendars(ctx, acct)
	if err == nil {
		t.Error("Calendars on a stopped server: no error")
	}
	// Unreachable is an outage, not a wrong URL or refused credentials.
	for _, sentinel := range []error{slotbook.ErrCalendarNotFound, slotbook.ErrCalendarAuth, slotbook.ErrAddressNotAllowed} {
		if errors.Is(err, sentinel) {
			t.Errorf("Calendars on a stopped server = %v, wraps %v", err, sentinel)
		}
	}
	res, err := p.Busy(ctx, acct, []string{cal}, at("2025-03-03 00:00"), at("2025-03-10 00:00"))
	if err == nil && (len(res) != 1 || res[0].Err == nil) {
		t.Errorf("Busy on a stopped server = %+v, want an error", res)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v, past the deadline", d)
	}
}

func TestHangingServerStopsAtTheDeadline(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() { // accept and never answer
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	p, acct := newProvider(), account("http://"+l.Addr().String()+"/", "alice", "pw")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = p.Calendars(ctx, acct)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Calendars = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v, want about the 300 ms deadline", d)
	}
}

func TestRetries(t *testing.T) {
	s := startWithFixtures(t)
	from, to := at("2025-03-03 00:00"), at("2025-03-10 00:00")

	t.Run("503 with Retry-After is retried", func(t *testing.T) {
		var mu sync.Mutex
		refused := 0
		rec := newRecorder(t, s.URL, func(w http.ResponseWriter, r *http.Request, _ string) bool {
			mu.Lock()
			defer mu.Unlock()
			if r.Method == "REPORT" && refused < 2 {
				refused++
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		res, err := newProvider().Busy(context.Background(), account(rec.URL, "alice", "pw"), []string{"/alice/work/"}, from, to)
		if err != nil || res[0].Err != nil {
			t.Fatalf("Busy: %v %+v", err, res)
		}
		if refused != 2 || len(res[0].Busy) == 0 {
			t.Errorf("refused %d times, busy %s", refused, spans(res[0].Busy))
		}
	})
	t.Run("429 whose Retry-After ends past the deadline fails at once", func(t *testing.T) {
		rec := newRecorder(t, s.URL, func(w http.ResponseWriter, r *http.Request, _ string) bool {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		res, err := newProvider().Busy(ctx, account(rec.URL, "alice", "pw"), []string{"/alice/work/"}, from, to)
		if err != nil || res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "429") {
			t.Errorf("Busy = %+v, %v, want the calendar's error to say 429", res, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("waited %v for a retry that could not finish in time", d)
		}
	})
}

func TestErrorsHoldNoResponseBody(t *testing.T) {
	s := startWithFixtures(t)
	from, to := at("2025-03-03 00:00"), at("2025-03-10 00:00")
	leak := "SUMMARY:" + markerSummary + "\nDESCRIPTION:" + markerDescription + "\nLOCATION:" + markerLocation
	for _, tt := range []struct {
		name   string
		status int
		ctype  string
		body   string
	}{
		{"500 with a text body", http.StatusInternalServerError, "text/plain", leak},
		{"403 with an XML body", http.StatusForbidden, "application/xml", `<?xml version="1.0"?><error xmlns="DAV:"><x>` + leak + `</x></error>`},
		{"207 with broken calendar data", http.StatusMultiStatus, "application/xml",
			`<?xml version="1.0"?><multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>/alice/work/x.ics</href><propstat><prop><C:calendar-data>BEGIN:VCALENDAR
BEGIN:VEVENT
` + leak + `
DTSTART;X="` + markerSummary + `"junk:20250304T100000Z
END:VEVENT
END:VCALENDAR
</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>`},
		{"207 that is not XML", http.StatusMultiStatus, "application/xml", "<multistatus " + leak},
		{"207 without calendar data, even when asked for the whole object", http.StatusMultiStatus, "application/xml",
			`<?xml version="1.0"?><multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><response><href>/alice/work/x.ics</href>` +
				`<propstat><prop><C:calendar-data/></prop><status>HTTP/1.1 404 Not Found</status></propstat>` +
				`<responsedescription>` + leak + `</responsedescription></response></multistatus>`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, s.URL, func(w http.ResponseWriter, r *http.Request, _ string) bool {
				if r.Method != "REPORT" {
					return false
				}
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
				return true
			})
			p, acct := newProvider(), account(rec.URL, "alice", "pw")
			res, err := p.Busy(context.Background(), acct, []string{"/alice/work/"}, from, to)
			if err == nil && res[0].Err == nil {
				t.Fatalf("Busy = %+v, want an error", res)
			}
			if err == nil {
				err = res[0].Err
			}
			checkClean(t, err, "pw")
			_, err = p.Events(context.Background(), acct, "/alice/work/", from, to)
			if err == nil {
				t.Fatal("Events: no error")
			}
			checkClean(t, err, "pw")
		})
	}
}

func TestPrivateAddressesRefusedByDefault(t *testing.T) {
	// Over https, so that only the address is wrong: the default client
	// must not connect to 127.0.0.1.
	var hits atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	_, err := caldav.New(caldav.Config{}).Calendars(context.Background(), account(srv.URL, "alice", "pw"))
	if !errors.Is(err, slotbook.ErrAddressNotAllowed) || !strings.Contains(err.Error(), "not a public address") {
		t.Errorf("Calendars on https://127.0.0.1 with the default client = %v, want ErrAddressNotAllowed", err)
	}
	if errors.Is(err, slotbook.ErrCalendarAuth) || errors.Is(err, slotbook.ErrCalendarNotFound) {
		t.Errorf("Calendars = %v, wraps more than ErrAddressNotAllowed", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests, want none", n)
	}
}

func TestPlainHTTPRefusedInProduction(t *testing.T) {
	// A TLS proxy in front of Radicale plays a server with https; its
	// client is the only one that trusts it. AllowPrivateNetworks is
	// false, as in production.
	s := startWithFixtures(t)
	u, _ := url.Parse(s.URL)
	var httpsRequests atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(u)
	front := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpsRequests.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	var httpRequests atomic.Int32
	plain := newRecorder(t, s.URL, func(w http.ResponseWriter, r *http.Request, _ string) bool {
		httpRequests.Add(1)
		return false
	})
	p := caldav.New(caldav.Config{HTTPClient: front.Client()})
	ctx := context.Background()
	from, to := at("2025-03-03 00:00"), at("2025-03-10 00:00")
	draft := slotbook.EventDraft{Key: "k", Title: "x", Start: at("2025-03-04 10:00"), End: at("2025-03-04 11:00")}

	t.Run("https works", func(t *testing.T) {
		acct := account(front.URL, "alice", "pw")
		if _, err := p.Calendars(ctx, acct); err != nil {
			t.Fatalf("Calendars over https: %v", err)
		}
		res, err := p.Busy(ctx, acct, []string{"/alice/work/"}, from, to)
		if err != nil || res[0].Err != nil || len(res[0].Busy) == 0 {
			t.Errorf("Busy over https = %+v, %v", res, err)
		}
	})
	t.Run("an http server URL is refused before any request", func(t *testing.T) {
		acct := account(plain.URL, "alice", "pw")
		_, err := p.Calendars(ctx, acct)
		if !errors.Is(err, slotbook.ErrAddressNotAllowed) {
			t.Errorf("Calendars(http) = %v, want ErrAddressNotAllowed", err)
		}
		res, err := p.Busy(ctx, acct, []string{"/alice/work/"}, from, to)
		if !errors.Is(err, slotbook.ErrAddressNotAllowed) {
			t.Errorf("Busy(http) = %+v, %v, want ErrAddressNotAllowed", res, err)
		}
		if _, err := p.PutEvent(ctx, acct, "/alice/work/", draft); !errors.Is(err, slotbook.ErrAddressNotAllowed) {
			t.Errorf("PutEvent(http) = %v, want ErrAddressNotAllowed", err)
		}
		checkClean(t, err, "pw")
	})
	t.Run("an http calendar or event URL is refused", func(t *testing.T) {
		acct, httpCal := account(front.URL, "alice", "pw"), plain.URL+"/alice/work/"
		res, err := p.Busy(ctx, acct, []string{httpCal}, from, to)
		if err != nil || !errors.Is(res[0].Err, slotbook.ErrAddressNotAllowed) {
			t.Errorf("Busy(http calendar) = %+v, %v, want the calendar's error to be ErrAddressNotAllowed", res, err)
		}
		if _, err := p.Events(ctx, acct, httpCal, from, to); !errors.Is(err, slotbook.ErrAddressNotAllowed) {
			t.Errorf("Events(http calendar) = %v, want ErrAddressNotAllowed", err)
		}
		if _, err := p.PutEvent(ctx, acct, httpCal, draft); !errors.Is(err, slotbook.ErrAddressNotAllowed) {
			t.Errorf("PutEvent(http calendar) = %v, want ErrAddressNotAllowed", err)
		}
		if err := p.DeleteEvent(ctx, acct, httpCal, httpCal+"x.ics"); !errors.Is(err, slotbook.ErrAddressNotAllowed) {
			t.Errorf("DeleteEvent(http calendar) = %v, want ErrAddressNotAllowed", err)
		}
		if err := p.DeleteDraftEvent(ctx, acct, httpCal, draft); !errors.Is(err, slotbook.ErrAddressNotAllowed) {
			t.Errorf("DeleteDraftEvent(http calendar) = %v, want ErrAddressNotAllowed", err)
		}
	})
	t.Run("a calendar home on http is refused", func(t *testing.T) {
		homeOnHTTP := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			if r.Method == "PROPFIND" && strings.Contains(string(body), "calendar-home-set") {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusMultiStatus)
				io.WriteString(w, `<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>/alice/</href><propstat><prop>`+
					`<calendar-home-set xmlns="urn:ietf:params:xml:ns:caldav"><href xmlns="DAV:">`+plain.URL+`/alice/</href></calendar-home-set>`+
					`</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>`)
				return
			}
			r.Body = io.NopCloser(strings.NewReader(string(body)))
			proxy.ServeHTTP(w, r)
		}))
		defer homeOnHTTP.Close()
		p := caldav.New(caldav.Config{HTTPClient: homeOnHTTP.Client()})
		if _, err := p.Calendars(ctx, account(homeOnHTTP.URL, "alice", "pw")); !errors.Is(err, slotbook.ErrAddressNotAllowed) {
			t.Errorf("Calendars with an http calendar home = %v, want ErrAddressNotAllowed", err)
		}
	})
	if n := httpRequests.Load(); n != 0 {
		t.Errorf("the http server got %d requests, want none", n)
	}
	if httpsRequests.Load() == 0 {
		t.Error("the https server got no request")
	}
	t.Run("http stays allowed with AllowPrivateNetworks", func(t *testing.T) {
		if _, err := newProvider().Calendars(ctx, account(plain.URL, "alice", "pw")); err != nil {
			t.Errorf("Calendars(http) in local mode: %v", err)
		}
	})
}

func TestRedirectToHTTPRefused(t *testing.T) {
	// The production client's redirect policy (calhttp), with a transport
	// that trusts the test server: a 307 from https to http must not
	// carry the password in the clear.
	var plainRequests atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { plainRequests.Add(1) }))
	defer plain.Close()
	secure := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	// Busy's parallel queries may leave a connection in its handshake
	// when the server closes: not worth a log line.
	secure.Config.ErrorLog = log.New(io.Discard, "", 0)
	secure.StartTLS()
	defer secure.Close()
	client := calhttp.Client(false)
	client.Transport = secure.Client().Transport
	p := caldav.New(caldav.Config{HTTPClient: client})
	ctx := context.Background()

	_, err := p.Calendars(ctx, account(secure.URL, "alice", "pw"))
	if !errors.Is(err, slotbook.ErrAddressNotAllowed) {
		t.Errorf("Calendars = %v, want ErrAddressNotAllowed", err)
	}
	res, err := p.Busy(ctx, account(secure.URL, "alice", "pw"), []string{"/alice/work/"}, at("2025-03-03 00:00"), at("2025-03-10 00:00"))
	if err == nil {
		err = res[0].Err
	}
	if !errors.Is(err, slotbook.ErrAddressNotAllowed) {
		t.Errorf("Busy = %v, want ErrAddressNotAllowed", err)
	}
	checkClean(t, err, "pw")
	if n := plainRequests.Load(); n != 0 {
		t.Errorf("the http server got %d requests, want none", n)
	}
}

func TestNotFoundAndForbidden(t *testing.T) {
	const alicePW, bobPW = "alice-Pa55-31", "bob-Pa55-47"
	s := radicaletest.Start(t, radicaletest.Options{Users: map[string]string{"alice": alicePW, "bob": bobPW}})
	aliceCal := s.MakeCalendar(t, "alice", alicePW, "work", "Work")
	bobCal := s.MakeCalendar(t, "bob", bobPW, "work", "Work")
	p := newProvider()
	ctx := context.Background()
	from, to := at("2025-03-03 00:00"), at("2025-03-10 00:00")
	busyErr := func(acct slotbook.Account, cal string) error {
		res, err := p.Busy(ctx, acct, []string{cal}, from, to)
		if err != nil {
			return err
		}
		return res[0].Err
	}
	alice := account(s.URL, "alice", alicePW)

	tests := []struct {
		name               string
		call               func() error
		wantNotFound, auth bool
	}{
		{"a server URL whose path does not exist (404)", func() error {
			_, err := p.Calendars(ctx, account(s.URL+"/alice/no-such-dav/", "alice", alicePW))
			return err
		}, true, false},
		{"Busy of a calendar that does not exist (404)", func() error { return busyErr(alice, "/alice/missing/") }, true, false},
		{"Events of a calendar that does not exist (404)", func() error {
			_, err := p.Events(ctx, alice, "/alice/missing/", from, to)
			return err
		}, true, false},
		{"PutEvent into a calendar that does not exist (409)", func() error {
			_, err := p.PutEvent(ctx, alice, "/alice/missing/", slotbook.EventDraft{Key: "k", Title: "x", Start: from, End: to})
			return err
		}, true, false},
		{"a wrong password (401)", func() error {
			_, err := p.Calendars(ctx, account(s.URL, "alice", "wrong-Pa55"))
			return err
		}, false, true},
		{"a server URL of another user's principal (403)", func() error {
			_, err := p.Calendars(ctx, account(s.URL+"/bob/", "alice", alicePW))
			return err
		}, true, true},
		{"Busy of another user's calendar (403)", func() error { return busyErr(alice, bobCal) }, true, true},
		{"Events of another user's calendar (403)", func() error {
			_, err := p.Events(ctx, alice, bobCal, from, to)
			return err
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, slotbook.ErrCalendarNotFound); got != tt.wantNotFound {
				t.Errorf("errors.Is(%v, ErrCalendarNotFound) = %v, want %v", err, got, tt.wantNotFound)
			}
			if got := errors.Is(err, slotbook.ErrCalendarAuth); got != tt.auth {
				t.Errorf("errors.Is(%v, ErrCalendarAuth) = %v, want %v", err, got, tt.auth)
			}
			checkClean(t, err, alicePW)
		})
	}
	// The right calendar still reads: the 404s above were the URLs.
	if err := busyErr(alice, aliceCal); err != nil {
		t.Errorf("Busy of alice's own calendar: %v", err)
	}
}

func TestDeleteDraftEvent(t *testing.T) {
	s := radicaletest.Start(t, radicaletest.Options{})
	cal := s.MakeCalendar(t, "alice", "pw", "work", "Work")
	p, acct := newProvider(), account(s.URL, "alice", "pw")
	ctx := context.Background()
	draft := slotbook.EventDraft{Key: "booking-7", Title: "x", Start: at("2025-04-01 10:00"), End: at("2025-04-01 11:00"), TimeZone: "Europe/Zurich"}
	other := slotbook.EventDraft{Key: "booking-8", Title: "y", Start: at("2025-04-01 10:00"), End: at("2025-04-01 11:00")}
	// The answers are dropped, as when PutEvent's answer was lost.
	if _, err := p.PutEvent(ctx, acct, cal, draft); err != nil {
		t.Fatal(err)
	}
	otherID, err := p.PutEvent(ctx, acct, cal, other)
	if err != nil {
		t.Fatal(err)
	}

	if err := p.DeleteDraftEvent(ctx, acct, cal, draft); err != nil {
		t.Fatalf("DeleteDraftEvent: %v", err)
	}
	if objs := s.Objects(t, "alice", "pw", cal); !slices.Equal(objs, []string{otherID}) {
		t.Errorf("objects after DeleteDraftEvent = %v, want only the other booking's %s", objs, otherID)
	}
	if err := p.DeleteDraftEvent(ctx, acct, cal, draft); err != nil {
		t.Errorf("DeleteDraftEvent again: %v, want nil (gone already is no error)", err)
	}
	if err := p.DeleteDraftEvent(ctx, acct, cal, slotbook.EventDraft{}); err == nil {
		t.Error("DeleteDraftEvent of a draft without key: no error")
	}
}

// recurrenceFixtures are events whose busy time in March 2025 a server's
// time-range filter may miss: a weekly series that started in January, an
// RDATE instance of a February event and a floating event at the
// window's end.
var recurrenceFixtures = map[string]string{
	"weekly.ics": object(`BEGIN:VEVENT
UID:weekly
DTSTAMP:20250101T000000Z
SUMMARY:Weekly
DTSTART;TZID=Europe/Zurich:20250107T160000
DTEND;TZID=Europe/Zurich:20250107T170000
RRULE:FREQ=WEEKLY;BYDAY=TU
END:VEVENT
`),
	"rdate.ics": object(`BEGIN:VEVENT
UID:rdate
DTSTAMP:20250101T000000Z
SUMMARY:Twice
DTSTART;TZID=Europe/Zurich:20250205T120000
DTEND;TZID=Europe/Zurich:20250205T130000
RDATE;TZID=Europe/Zurich:20250320T120000
END:VEVENT
`),
	"floating.ics": object(`BEGIN:VEVENT
UID:floating
DTSTAMP:20250101T000000Z
SUMMARY:Late
DTSTART:20250330T230000
DTEND:20250330T233000
END:VEVENT
`),
}

// overridesOnly is an object of overrides only, without a master: an
// invitation to two instances of someone else's series, the second moved
// into March. Radicale 3.1.8 refuses such objects ("Main component
// missing"); Xandikos keeps them.
var overridesOnly = map[string]string{
	"invited.ics": object(`BEGIN:VEVENT
UID:invited
DTSTAMP:20250101T000000Z
SUMMARY:Invited
RECURRENCE-ID;TZID=Europe/Zurich:20250226T100000
DTSTART;TZID=Europe/Zurich:20250226T100000
DTEND;TZID=Europe/Zurich:20250226T110000
END:VEVENT
BEGIN:VEVENT
UID:invited
DTSTAMP:20250101T000000Z
SUMMARY:Invited
RECURRENCE-ID;TZID=Europe/Zurich:20250312T100000
DTSTART;TZID=Europe/Zurich:20250327T100000
DTEND;TZID=Europe/Zurich:20250327T110000
END:VEVENT
`),
}

// marchBusy is the busy time of fixtures and recurrenceFixtures in
// [2025-03-03, 2025-03-31) Zurich; overridesOnly adds 03-27 10:00/11:00.
const marchBusy = "03-03 09:00/03-03 10:00, 03-04 16:00/03-04 17:00, 03-05 00:00/03-06 00:00, " +
	"03-11 16:00/03-11 17:00, 03-18 14:00/03-18 15:00, 03-18 16:00/03-18 17:00, 03-20 12:00/03-20 13:00, " +
	"03-24 09:00/03-24 10:00, 03-25 16:00/03-25 17:00, 03-30 23:00/03-30 23:30"

// checkMarchBusy reads March from a calendar holding the fixtures, times
// times in a row (Xandikos changes how it filters after the sixth query).
func checkMarchBusy(t *testing.T, p *caldav.Provider, acct slotbook.Account, cal string, times int, want string) {
	t.Helper()
	for i := range times {
		res, err := p.Busy(context.Background(), acct, []string{cal}, at("2025-03-03 00:00"), at("2025-03-31 00:00"))
		if err != nil || res[0].Err != nil {
			t.Fatalf("Busy #%d: %v %+v", i+1, err, res)
		}
		if got := spans(res[0].Busy); got != want {
			t.Fatalf("Busy #%d =\n  %s\nwant\n  %s", i+1, got, want)
		}
	}
}

func TestRecurrencesAreNotLeftToTheServer(t *testing.T) {
	s := startWithFixtures(t)
	for name, text := range recurrenceFixtures {
		s.Put(t, "alice", "pw", "/alice/work/"+name, text)
	}
	checkMarchBusy(t, newProvider(), account(s.URL, "alice", "pw"), "/alice/work/", 1, marchBusy)
}

func TestServerThatRefusesPropFilters(t *testing.T) {
	// A server whose time-range filter finds nothing recurring (here:
	// nothing at all) and that refuses prop-filter queries with RFC 4791's
	// supported-filter precondition: the read must fall back to all
	// events, never take the window as free.
	s := startWithFixtures(t)
	for name, text := range recurrenceFixtures {
		s.Put(t, "alice", "pw", "/alice/work/"+name, text)
	}
	var mu sync.Mutex
	var unfiltered int
	rec := newRecorder(t, s.URL, func(w http.ResponseWriter, r *http.Request, body string) bool {
		if r.Method != "REPORT" {
			return false
		}
		switch {
		case strings.Contains(body, "prop-filter"):
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0"?><error xmlns="DAV:"><supported-filter xmlns="urn:ietf:params:xml:ns:caldav"/></error>`)
			return true
		case strings.Contains(body, "time-range"):
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusMultiStatus)
			io.WriteString(w, `<?xml version="1.0"?><multistatus xmlns="DAV:"/>`)
			return true
		}
		mu.Lock()
		unfiltered++
		mu.Unlock()
		return false
	})
	checkMarchBusy(t, newProvider(), account(rec.URL, "alice", "pw"), "/alice/work/", 1, marchBusy)
	if unfiltered != 1 {
		t.Errorf("%d queries for all events, want 1", unfiltered)
	}
}

func TestCalendarHomeOnAnotherHost(t *testing.T) {
	// Like iCloud: the principal lives on one host, the calendar home on
	// another. Two proxies in front of one Radicale play the two hosts.
	s := startWithFixtures(t)
	home := newRecorder(t, s.URL, nil)
	front := newRecorder(t, s.URL, func(w http.ResponseWriter, r *http.Request, body string) bool {
		if r.Method != "PROPFIND" || !strings.Contains(body, "calendar-home-set") {
			return false
		}
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusMultiStatus)
		io.WriteString(w, `<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>`+r.URL.Path+`</href><propstat><prop>`+
			`<calendar-home-set xmlns="urn:ietf:params:xml:ns:caldav"><href xmlns="DAV:">`+home.URL+`/alice/</href></calendar-home-set>`+
			`<calendar-user-address-set xmlns="urn:ietf:params:xml:ns:caldav"><href xmlns="DAV:">/alice/</href><href xmlns="DAV:">mailto:alice@example.com</href></calendar-user-address-set>`+
			`</prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>`)
		return true
	})

	p, acct := newProvider(), account(front.URL, "alice", "pw")
	ctx := context.Background()
	cals, err := p.Calendars(ctx, acct)
	if err != nil {
		t.Fatalf("Calendars: %v", err)
	}
	var work string
	for _, c := range cals {
		if strings.HasSuffix(c.ID, "/alice/work/") {
			work = c.ID
		}
	}
	if work != home.URL+"/alice/work/" {
		t.Fatalf("calendar IDs = %+v, want full URLs on the home host %s", cals, home.URL)
	}
	if cals[0].Owner != "alice@example.com" {
		t.Errorf("Owner = %q, want the mailto: of calendar-user-address-set", cals[0].Owner)
	}
	res, err := p.Busy(ctx, acct, []string{work}, at("2025-03-03 00:00"), at("2025-03-10 00:00"))
	if err != nil || res[0].Err != nil || spans(res[0].Busy) != "03-03 09:00/03-03 10:00, 03-05 00:00/03-06 00:00" {
		t.Errorf("Busy = %+v, %v", res, err)
	}
	if home.lastReport() == "" {
		t.Error("the query did not go to the home host")
	}
	id, err := p.PutEvent(ctx, acct, work, slotbook.EventDraft{Key: "k", Title: "x", Start: at("2025-03-04 10:00"), End: at("2025-03-04 11:00")})
	if err != nil || id != work+caldav.UID("k")+".ics" {
		t.Fatalf("PutEvent = %q, %v", id, err)
	}
	if err := p.DeleteEvent(ctx, acct, work, id); err != nil {
		t.Errorf("DeleteEvent: %v", err)
	}
}
