package icsfeed_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
	"github.com/slotbook/slotbook/pkg/calendar/icsfeed"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Marker strings stand for event data and for the secret token in a
// private feed URL: no error may contain one.
const (
	markerSummary     = "MARKER-SUMMARY-81d2"
	markerDescription = "MARKER-DESCRIPTION-81d2"
	markerLocation    = "MARKER-LOCATION-81d2"
	secretPath        = "/private-TOKEN-81d2/basic.ics"
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

// feed has a weekly series with an EXDATE and an override listed before
// its master, a transparent event, an all-day event and a cancelled one.
const feed = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-CALNAME:Team\\, shared\r\n" + `BEGIN:VEVENT
UID:series
RECURRENCE-ID;TZID=Europe/Zurich:20250317T090000
SUMMARY:Standup (moved)
DTSTART;TZID=Europe/Zurich:20250318T140000
DTEND;TZID=Europe/Zurich:20250318T150000
END:VEVENT
BEGIN:VEVENT
UID:series
SUMMARY:` + markerSummary + `
DESCRIPTION:` + markerDescription + `
LOCATION:` + markerLocation + `
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=Europe/Zurich:20250310T090000
END:VEVENT
BEGIN:VEVENT
UID:focus
SUMMARY:Focus time
DTSTART;TZID=Europe/Zurich:20250304T110000
DTEND;TZID=Europe/Zurich:20250304T120000
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:holiday
SUMMARY:Holiday
DTSTART;VALUE=DATE:20250305
END:VEVENT
BEGIN:VEVENT
UID:off
SUMMARY:Called off
DTSTART:20250306T080000Z
DTEND:20250306T090000Z
STATUS:CANCELLED
END:VEVENT
END:VCALENDAR
`

// serve starts a feed server whose handler answers the secret path; the
// account points there.
func serve(t *testing.T, h http.HandlerFunc) slotbook.Account {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return slotbook.Account{Provider: slotbook.ICS, URL: srv.URL + secretPath}
}

func serveFeed(t *testing.T, body string) slotbook.Account {
	return serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != secretPath {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		io.WriteString(w, body)
	})
}

func newProvider() *icsfeed.Provider {
	return icsfeed.New(icsfeed.Config{AllowPrivateNetworks: true})
}

func spans(busy []slotbook.BusyInterval) string {
	var out []string
	for _, b := range busy {
		out = append(out, b.Start.In(zurich).Format("01-02 15:04")+"/"+b.End.In(zurich).Format("01-02 15:04"))
	}
	return strings.Join(out, ", ")
}

// checkClean fails if err mentions event data, the feed's secret path, or
// the password.
func checkClean(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, m := range []string{"MARKER", "TOKEN", "private-", "hunter2"} {
		if strings.Contains(err.Error(), m) {
			t.Errorf("error contains %q: %v", m, err)
		}
	}
}

func TestCalendars(t *testing.T) {
	acct := serveFeed(t, feed)
	got, err := newProvider().Calendars(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	want := []slotbook.CalendarInfo{{ID: acct.URL, Name: "Team, shared", Primary: true, ReadOnly: true}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Calendars = %+v, want %+v", got, want)
	}

	t.Run("without X-WR-CALNAME the host names it", func(t *testing.T) {
		acct := serveFeed(t, strings.Replace(feed, "X-WR-CALNAME:Team\\, shared\r\n", "", 1))
		got, err := newProvider().Calendars(context.Background(), acct)
		if err != nil || len(got) != 1 || got[0].Name != "127.0.0.1" {
			t.Errorf("Calendars = %+v, %v, want the name 127.0.0.1", got, err)
		}
	})
}

func TestBusy(t *testing.T) {
	acct := serveFeed(t, feed)
	res, err := newProvider().Busy(context.Background(), acct, []string{acct.URL}, at("2025-03-03 00:00"), at("2025-03-24 00:00"))
	if err != nil || len(res) != 1 || res[0].Err != nil {
		t.Fatalf("Busy = %+v, %v", res, err)
	}
	want := "03-03 09:00/03-03 10:00, 03-05 00:00/03-06 00:00, 03-18 14:00/03-18 15:00"
	if got := spans(res[0].Busy); got != want {
		t.Errorf("Busy =\n  %s\nwant\n  %s", got, want)
	}

	t.Run("a calendar ID that is not the feed gets an error", func(t *testing.T) {
		res, err := newProvider().Busy(context.Background(), acct, []string{acct.URL, "https://other.example/x.ics"}, at("2025-03-03 00:00"), at("2025-03-24 00:00"))
		if err != nil || res[0].Err != nil || res[1].Err == nil {
			t.Errorf("Busy = %+v, %v, want the second calendar unreadable", res, err)
		}
	})
}

func TestEvents(t *testing.T) {
	acct := serveFeed(t, feed)
	got, err := newProvider().Events(context.Background(), acct, acct.URL, at("2025-03-03 00:00"), at("2025-03-10 00:00"))
	if err != nil {
		t.Fatal(err)
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
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("Events =\n  %s\nwant\n  %s", strings.Join(lines, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestWebcalIsFetchedOverHTTPS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, feed)
	}))
	defer srv.Close()
	p := icsfeed.New(icsfeed.Config{HTTPClient: srv.Client()})
	acct := slotbook.Account{Provider: slotbook.ICS, URL: strings.Replace(srv.URL, "https://", "webcal://", 1) + "/feed.ics"}
	got, err := p.Calendars(context.Background(), acct)
	if err != nil || len(got) != 1 || got[0].ID != acct.URL {
		t.Errorf("Calendars(webcal) = %+v, %v", got, err)
	}
}

func TestBasicAuth(t *testing.T) {
	acct := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "jane" || p != "hunter2" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		io.WriteString(w, feed)
	})
	acct.Username, acct.Secret = "jane", "hunter2"
	if _, err := newProvider().Calendars(context.Background(), acct); err != nil {
		t.Errorf("with the right password: %v", err)
	}
	acct.Secret = "wrong"
	_, err := newProvider().Calendars(context.Background(), acct)
	if !errors.Is(err, slotbook.ErrCalendarAuth) {
		t.Errorf("with a wrong password: %v, want ErrCalendarAuth", err)
	}
	checkClean(t, err)
}

func TestUnreadableFeeds(t *testing.T) {
	leak := "SUMMARY:" + markerSummary + "\nDESCRIPTION:" + markerDescription + "\nLOCATION:" + markerLocation + "\n"
	tests := []struct {
		name    string
		handler http.HandlerFunc
		maxSize int64
		wantIs  error  // errors.Is target, if any
		wantIn  string // text the error must contain
	}{
		{"404", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, leak)
		}, 0, nil, "HTTP 404"},
		{"500", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, leak)
		}, 0, nil, "HTTP 500"},
		{"403", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
		}, 0, slotbook.ErrCalendarAuth, "HTTP 403"},
		{"an HTML page instead of a feed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, "<html><body>Please log in. "+leak+"</body></html>")
		}, 0, nil, "not an iCalendar feed"},
		{"malformed iCalendar that makes go-ical panic", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "BEGIN:VCALENDAR\nBEGIN:VEVENT\n"+leak+"DTSTART;X=\""+markerSummary+"\"junk:20250304T100000Z\nEND:VEVENT\nEND:VCALENDAR\n")
		}, 0, nil, "malformed"},
		{"truncated iCalendar", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "BEGIN:VCALENDAR\nBEGIN:VEVENT\n"+leak)
		}, 0, nil, "malformed"},
		{"feed over the default 5 MB", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "BEGIN:VCALENDAR\r\n")
			line := "X-PAD:" + strings.Repeat("x", 1000) + "\r\n"
			for range 6 << 10 {
				io.WriteString(w, line)
			}
			io.WriteString(w, "END:VCALENDAR\r\n")
		}, 0, nil, "larger than 5242880 bytes"},
		{"feed over a configured cap", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, feed)
		}, 100, nil, "larger than 100 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			acct := serve(t, tt.handler)
			p := icsfeed.New(icsfeed.Config{AllowPrivateNetworks: true, MaxBytes: tt.maxSize})
			ctx := context.Background()
			from, to := at("2025-03-03 00:00"), at("2025-03-10 00:00")

			_, err := p.Calendars(ctx, acct)
			if err == nil {
				t.Fatal("Calendars: no error")
			}
			if !strings.Contains(err.Error(), tt.wantIn) || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
				t.Errorf("Calendars: %v, want %q", err, tt.wantIn)
			}
			checkClean(t, err)

			res, err := p.Busy(ctx, acct, []string{acct.URL}, from, to)
			if err == nil {
				if len(res) != 1 || res[0].Err == nil || res[0].Busy != nil {
					t.Fatalf("Busy = %+v, want the calendar unreadable, not free", res)
				}
				err = res[0].Err
			}
			checkClean(t, err)

			_, err = p.Events(ctx, acct, acct.URL, from, to)
			if err == nil {
				t.Fatal("Events: no error")
			}
			checkClean(t, err)
		})
	}
}

func TestTimeout(t *testing.T) {
	acct := serve(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := newProvider().Calendars(ctx, acct)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Calendars = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v, want about the 300 ms deadline", d)
	}
	checkClean(t, err)
}

func TestServerGone(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	acct := slotbook.Account{Provider: slotbook.ICS, URL: srv.URL + secretPath}
	srv.Close()
	_, err := newProvider().Calendars(context.Background(), acct)
	if err == nil || !strings.Contains(err.Error(), "unreachable") {
		t.Errorf("Calendars = %v, want unreachable", err)
	}
	checkClean(t, err)
}

func TestWritesAreRefused(t *testing.T) {
	acct := serveFeed(t, feed)
	p := newProvider()
	_, err := p.PutEvent(context.Background(), acct, acct.URL, slotbook.EventDraft{Key: "k", Title: "x", Start: at("2025-03-03 10:00"), End: at("2025-03-03 11:00")})
	if !errors.Is(err, icsfeed.ErrReadOnly) || slotbook.ErrorCode(err) != slotbook.Unprocessable {
		t.Errorf("PutEvent = %v, want ErrReadOnly (unprocessable)", err)
	}
	if err := p.DeleteEvent(context.Background(), acct, acct.URL, "x"); !errors.Is(err, icsfeed.ErrReadOnly) {
		t.Errorf("DeleteEvent = %v, want ErrReadOnly", err)
	}
}

func TestURLs(t *testing.T) {
	for _, raw := range []string{"ftp://example.com/x.ics", "file:///etc/passwd", "example.com/x.ics", "https://"} {
		_, err := newProvider().Calendars(context.Background(), slotbook.Account{URL: raw})
		if err == nil {
			t.Errorf("Calendars(%q): no error", raw)
		}
	}
}

func TestPrivateAddressesRefusedByDefault(t *testing.T) {
	acct := serveFeed(t, feed)
	p := icsfeed.New(icsfeed.Config{})
	_, err := p.Calendars(context.Background(), acct)
	if !errors.Is(err, slotbook.ErrAddressNotAllowed) || !strings.Contains(err.Error(), "not a public address") {
		t.Errorf("Calendars on 127.0.0.1 with the default client = %v, want ErrAddressNotAllowed", err)
	}
	checkClean(t, err)
	res, err := p.Busy(context.Background(), acct, []string{acct.URL}, at("2025-03-03 00:00"), at("2025-03-10 00:00"))
	if err == nil {
		err = res[0].Err
	}
	if !errors.Is(err, slotbook.ErrAddressNotAllowed) {
		t.Errorf("Busy on 127.0.0.1 with the default client = %v, want ErrAddressNotAllowed", err)
	}
	if _, err := p.Events(context.Background(), acct, acct.URL, at("2025-03-03 00:00"), at("2025-03-10 00:00")); !errors.Is(err, slotbook.ErrAddressNotAllowed) {
		t.Errorf("Events on 127.0.0.1 with the default client = %v, want ErrAddressNotAllowed", err)
	}
}

func TestRedirectFromHTTPSToHTTPRefused(t *testing.T) {
	// The production client's redirect policy (calhttp), with a transport
	// that trusts the test server: the secret path must not go out in the
	// clear.
	var plainRequests atomic.Int32
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		plainRequests.Add(1)
		io.WriteString(w, feed)
	}))
	defer plain.Close()
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+r.URL.Path, http.StatusFound)
	}))
	defer secure.Close()
	client := calhttp.Client(false)
	client.Transport = secure.Client().Transport
	acct := slotbook.Account{Provider: slotbook.ICS, URL: secure.URL + secretPath}

	_, err := icsfeed.New(icsfeed.Config{HTTPClient: client}).Calendars(context.Background(), acct)
	if !errors.Is(err, slotbook.ErrAddressNotAllowed) {
		t.Errorf("Calendars = %v, want ErrAddressNotAllowed", err)
	}
	checkClean(t, err)
	if n := plainRequests.Load(); n != 0 {
		t.Errorf("the http server got %d requests, want none", n)
	}
}
