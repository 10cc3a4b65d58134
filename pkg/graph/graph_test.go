package graph

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
	"sync/atomic"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// The tests run one after another: the SDK keeps serialisers in
// package-level registries that New writes (see New).

var day = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

func at(h, m int) time.Time {
	return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
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

func account(r *rotations) slotbook.Account {
	a := slotbook.Account{Provider: slotbook.Microsoft, Email: testEmail, Secret: firstRefresh}
	if r != nil {
		a.OnRotate = r.save
	}
	return a
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestCalendarsListsDefaultFirstAcrossPages(t *testing.T) {
	f := newFakeGraph(t)
	got, err := f.provider().Calendars(ctxTimeout(t, 5*time.Second), account(nil))
	if err != nil {
		t.Fatalf("Calendars: %v", err)
	}
	want := []slotbook.CalendarInfo{
		{ID: defaultCalID, Name: "Calendar", Primary: true},
		{ID: otherCalID, Name: "Holidays"},
		{ID: readOnlyCalID, Name: "Team (shared)", ReadOnly: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Calendars = %+v, want %+v", got, want)
	}
	reqs := f.seenRequests("GET", "/v1.0/me/calendars")
	if len(reqs) != 2 {
		t.Fatalf("calendar pages fetched = %d, want 2 (page size 2, 3 calendars)", len(reqs))
	}
	if sel := reqs[0].Query.Get("$select"); sel != "id,name,isDefaultCalendar,canEdit" {
		t.Errorf("$select = %q", sel)
	}
	for _, r := range reqs {
		if !strings.HasPrefix(r.Authorization, "Bearer "+accessMarker) {
			t.Errorf("page request without the access token: %q", r.Authorization)
		}
	}
}

func TestBusyGetScheduleStatuses(t *testing.T) {
	f := newFakeGraph(t)
	// getSchedule spells statuses capitalised, as Graph's own example does.
	f.set(func(f *fakeGraph) {
		f.statusSpelling = func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	})
	for i, status := range []string{"free", "tentative", "busy", "oof", "workingElsewhere", "unknown"} {
		f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: at(8+i, 0), End: at(8+i, 30), ShowAs: status})
	}
	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), account(nil), []string{defaultCalID}, day, day.AddDate(0, 0, 1))
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

	reqs := f.seenRequests("POST", "/v1.0/me/calendar/getSchedule")
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
	if n := len(f.seenRequests("GET", "/calendarView")); n != 0 {
		t.Errorf("calendarView requests = %d, want 0: the default calendar is read with getSchedule", n)
	}
}

func TestBusyScheduleErrorMakesThatCalendarUnreadable(t *testing.T) {
	f := newFakeGraph(t)
	f.set(func(f *fakeGraph) { f.scheduleError = "ErrorMailRecipientNotFound" })
	f.add(otherCalID, fakeEvent{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), account(nil), []string{defaultCalID, otherCalID}, day, day.AddDate(0, 0, 1))
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
}

func TestBusySplitsLongRangesIntoWindows(t *testing.T) {
	f := newFakeGraph(t)
	from, to := day, day.AddDate(0, 0, 90)
	// One event crosses the first window's end; one is near the range's end.
	cross := from.Add(scheduleWindow - time.Hour)
	f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: cross, End: cross.Add(2 * time.Hour)})
	f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: to.Add(-2 * time.Hour), End: to.Add(time.Hour)})

	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), account(nil), []string{defaultCalID}, from, to)
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

	reqs := f.seenRequests("POST", "/calendar/getSchedule")
	if len(reqs) < 2 {
		t.Fatalf("getSchedule requests = %d, want the 90 days split", len(reqs))
	}
	var covered time.Duration
	for _, r := range reqs {
		var b struct{ StartTime, EndTime struct{ DateTime string } }
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
			f := newFakeGraph(t)
			f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if strings.HasSuffix(r.URL.Path, "/getSchedule") {
					graphError(w, tc.status, tc.code, "An internal server error occurred. "+errMsgMarker)
					return true
				}
				return false
			})
			f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0), ShowAs: "busy"})
			f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: at(10, 0), End: at(11, 0), ShowAs: "free"})
			f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: at(11, 0), End: at(12, 0), ShowAs: "tentative"})
			f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: at(13, 0), End: at(14, 0), ShowAs: "busy", Cancelled: true})
			f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: at(15, 0), End: at(16, 0), ShowAs: "oof"})

			got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), account(nil), []string{defaultCalID}, day, day.AddDate(0, 0, 1))
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
			views := f.seenRequests("GET", "/calendars/"+defaultCalID+"/calendarView")
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

func TestBusyReadsOtherCalendarsAndAccountsWithoutEmailByCalendarView(t *testing.T) {
	f := newFakeGraph(t)
	f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	f.add(otherCalID, fakeEvent{Subject: subjectMarker, Start: at(12, 0), End: at(13, 0)})
	acct := account(nil)
	acct.Email = ""
	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), acct, []string{otherCalID, defaultCalID}, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatalf("Busy: %v", err)
	}
	want := []slotbook.BusyResult{
		{Busy: []slotbook.BusyInterval{{Start: at(12, 0), End: at(13, 0)}}},
		{Busy: []slotbook.BusyInterval{{Start: at(9, 0), End: at(10, 0)}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Busy = %+v, want %+v", got, want)
	}
	if n := len(f.seenRequests("POST", "/getSchedule")); n != 0 {
		t.Errorf("getSchedule requests = %d, want 0 without an e-mail address", n)
	}
}

func TestThrottledRequestIsRetriedAfterRetryAfter(t *testing.T) {
	f := newFakeGraph(t)
	var n atomic.Int32
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if strings.HasSuffix(r.URL.Path, "/getSchedule") {
			if n.Add(1) == 1 {
				w.Header().Set("Retry-After", "0")
				graphError(w, 429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
				return true
			}
		}
		return false
	})
	f.add(defaultCalID, fakeEvent{Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	got, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), account(nil), []string{defaultCalID}, day, day.AddDate(0, 0, 1))
	if err != nil || got[0].Err != nil {
		t.Fatalf("Busy: %v / %v", err, got[0].Err)
	}
	if len(got[0].Busy) != 1 {
		t.Errorf("Busy = %v, want the event", got[0].Busy)
	}
	reqs := f.seenRequests("POST", "/getSchedule")
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
	f := newFakeGraph(t)
	var n atomic.Int32
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/events") {
			if n.Add(1) <= 2 {
				w.Header().Set("Retry-After", "0")
				graphError(w, 503, "ServiceUnavailable", "try later")
				return true
			}
		}
		return false
	})
	draft := slotbook.EventDraft{Key: "booking-1", Title: subjectMarker, Description: bodyMarker, Start: at(9, 0), End: at(10, 0)}
	if _, err := f.provider().PutEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, draft); err != nil {
		t.Fatalf("PutEvent: %v", err)
	}
	reqs := f.seenRequests("POST", "/events")
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
	if f.eventCount(defaultCalID) != 1 {
		t.Errorf("events = %d, want 1", f.eventCount(defaultCalID))
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
			f := newFakeGraph(t)
			f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if strings.HasSuffix(r.URL.Path, "/calendars") {
					if tc.retryAfter != "" {
						w.Header().Set("Retry-After", tc.retryAfter)
					}
					graphError(w, tc.status, "ServiceError", "Something broke "+errMsgMarker)
					return true
				}
				return false
			})
			p := f.provider(func(c *Config) { c.MaxRetries = 1 })
			_, err := p.Calendars(ctxTimeout(t, 5*time.Second), account(nil))
			var e *Error
			if !errors.As(err, &e) || e.Status != tc.wantStatus || e.Code != "ServiceError" {
				t.Fatalf("err = %v, want an *Error with status %d and code ServiceError", err, tc.wantStatus)
			}
			if errors.Is(err, slotbook.ErrCalendarAuth) {
				t.Errorf("err %v wraps ErrCalendarAuth", err)
			}
			noLeak(t, err)
			if n := len(f.seenRequests("GET", "/calendars")); n != tc.wantTries {
				t.Errorf("requests = %d, want %d", n, tc.wantTries)
			}
		})
	}
}

func TestDeadlineEndsTheCallPromptly(t *testing.T) {
	t.Run("slow answer", func(t *testing.T) {
		f := newFakeGraph(t)
		release := make(chan struct{})
		defer close(release)
		f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			if strings.HasPrefix(r.URL.Path, "/v1.0/") {
				select {
				case <-release:
				case <-r.Context().Done():
				}
				return true
			}
			return false
		})
		start := time.Now()
		got, err := f.provider().Busy(ctxTimeout(t, 300*time.Millisecond), account(nil), []string{defaultCalID}, day, day.AddDate(0, 0, 1))
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("Busy took %v past a 300ms deadline", took)
		}
		if err == nil || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Busy = %+v, %v; want context.DeadlineExceeded", got, err)
		}
	})
	t.Run("Retry-After past the deadline", func(t *testing.T) {
		f := newFakeGraph(t)
		f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			if strings.HasSuffix(r.URL.Path, "/calendars") {
				w.Header().Set("Retry-After", "20")
				graphError(w, 429, "ApplicationThrottled", "slow down")
				return true
			}
			return false
		})
		start := time.Now()
		_, err := f.provider().Calendars(ctxTimeout(t, 2*time.Second), account(nil))
		if took := time.Since(start); took > time.Second {
			t.Errorf("Calendars took %v: it waited for a Retry-After past its deadline", took)
		}
		var e *Error
		if !errors.As(err, &e) || e.Status != 429 {
			t.Errorf("err = %v, want status 429 at once", err)
		}
		if n := len(f.seenRequests("GET", "/calendars")); n != 1 {
			t.Errorf("requests = %d, want 1", n)
		}
	})
}

func TestMalformedAnswers(t *testing.T) {
	f := newFakeGraph(t)
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if strings.HasPrefix(r.URL.Path, "/v1.0/") {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"value":[{"id":"` + subjectMarker + `","subject":` + "\x00"))
			return true
		}
		return false
	})
	p := f.provider()
	_, err := p.Calendars(ctxTimeout(t, 5*time.Second), account(nil))
	if !errors.Is(err, errMalformed) {
		t.Errorf("Calendars err = %v, want a malformed answer", err)
	}
	noLeak(t, err)
	_, err = p.Events(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, day, day.AddDate(0, 0, 1))
	if !errors.Is(err, errMalformed) {
		t.Errorf("Events err = %v, want a malformed answer", err)
	}
	noLeak(t, err)

	// The default calendar's lookup answered; getSchedule's answer is broken.
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if strings.HasSuffix(r.URL.Path, "/getSchedule") || strings.HasSuffix(r.URL.Path, "/calendarView") {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"value":[{"scheduleItems":[{"status":"busy","subject":"` + subjectMarker + `","start":{"dateTime":"not a time"}}]}]}`))
			return true
		}
		return false
	})
	got, err := p.Busy(ctxTimeout(t, 5*time.Second), account(nil), []string{defaultCalID}, day, day.AddDate(0, 0, 1))
	if err != nil || got[0].Err == nil || got[0].Busy != nil {
		t.Errorf("Busy = %+v, %v; want the calendar unreadable", got, err)
	}
	noLeak(t, got[0].Err)
}

func TestRefusedCredentials(t *testing.T) {
	t.Run("invalid_grant", func(t *testing.T) {
		f := newFakeGraph(t)
		p := f.provider()
		acct := account(nil)
		acct.Secret = refreshMarker + "-revoked"
		ctx := ctxTimeout(t, 5*time.Second)
		_, err1 := p.Calendars(ctx, acct)
		_, err2 := p.Busy(ctx, acct, []string{defaultCalID, otherCalID}, day, day.AddDate(0, 0, 1))
		_, err3 := p.Events(ctx, acct, defaultCalID, day, day.AddDate(0, 0, 1))
		_, err4 := p.PutEvent(ctx, acct, defaultCalID, slotbook.EventDraft{Key: "k", Title: subjectMarker, Start: at(9, 0), End: at(10, 0)})
		err5 := p.DeleteEvent(ctx, acct, defaultCalID, "evt")
		for i, err := range []error{err1, err2, err3, err4, err5} {
			var e *Error
			if !errors.Is(err, slotbook.ErrCalendarAuth) || !errors.As(err, &e) || e.Code != "invalid_grant" || e.Status != 400 {
				t.Errorf("call %d: err = %v, want invalid_grant wrapping ErrCalendarAuth", i+1, err)
			}
			noLeak(t, err)
		}
		if n := len(f.seenRequests("GET", "")) + len(f.seenRequests("POST", "/events")); n != 0 {
			t.Errorf("Graph requests = %d, want none without an access token", n)
		}
		if n := len(f.seenRequests("POST", "/token")); n != 5 {
			t.Errorf("token requests = %d, want one per call", n)
		}
	})
	t.Run("401 from Graph after refresh", func(t *testing.T) {
		f := newFakeGraph(t)
		f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			if strings.HasPrefix(r.URL.Path, "/v1.0/") {
				graphError(w, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired. "+errMsgMarker)
				return true
			}
			return false
		})
		_, err := f.provider().Busy(ctxTimeout(t, 5*time.Second), account(nil), []string{defaultCalID}, day, day.AddDate(0, 0, 1))
		if !errors.Is(err, slotbook.ErrCalendarAuth) {
			t.Errorf("err = %v, want ErrCalendarAuth", err)
		}
		noLeak(t, err)
	})
	t.Run("our client refused", func(t *testing.T) {
		f := newFakeGraph(t)
		_, err := f.provider(func(c *Config) { c.ClientSecret = "wrong" }).Calendars(ctxTimeout(t, 5*time.Second), account(nil))
		var e *Error
		if !errors.As(err, &e) || e.Code != "invalid_client" || errors.Is(err, slotbook.ErrCalendarAuth) {
			t.Errorf("err = %v, want invalid_client, not ErrCalendarAuth: connecting again would not help", err)
		}
		noLeak(t, err)
	})
}

func TestRotatedRefreshTokenIsSaved(t *testing.T) {
	f := newFakeGraph(t)
	p := f.provider()
	var rot rotations
	acct := account(&rot)
	if _, err := p.Busy(ctxTimeout(t, 5*time.Second), acct, []string{defaultCalID, otherCalID}, day, day.AddDate(0, 0, 1)); err != nil {
		t.Fatalf("Busy: %v", err)
	}
	if len(rot.got) != 1 || rot.got[0] == firstRefresh {
		t.Fatalf("OnRotate got %q, want one new refresh token", rot.got)
	}
	if n := len(f.seenRequests("POST", "/token")); n != 1 {
		t.Errorf("token requests = %d, want 1 for the whole call", n)
	}
	t.Run("the new token works", func(t *testing.T) {
		acct.Secret = rot.got[0]
		if _, err := p.Calendars(ctxTimeout(t, 5*time.Second), acct); err != nil {
			t.Errorf("Calendars with the rotated token: %v", err)
		}
	})
	t.Run("no rotation, no call", func(t *testing.T) {
		f.set(func(f *fakeGraph) { f.rotate = false })
		var again rotations
		if _, err := p.Calendars(ctxTimeout(t, 5*time.Second), account(&again)); err != nil {
			t.Fatal(err)
		}
		if len(again.got) != 0 {
			t.Errorf("OnRotate got %q for an unchanged token", again.got)
		}
	})
	t.Run("a failed save fails the call", func(t *testing.T) {
		f.set(func(f *fakeGraph) { f.rotate = true })
		failing := rotations{err: errors.New("store down")}
		_, err := p.Calendars(ctxTimeout(t, 5*time.Second), account(&failing))
		if err == nil || !strings.Contains(err.Error(), "store down") {
			t.Errorf("err = %v, want the save's failure", err)
		}
		noLeak(t, err)
	})
}

func TestEventsAcrossPages(t *testing.T) {
	f := newFakeGraph(t)
	f.add(otherCalID, fakeEvent{Subject: subjectMarker + " 3", Start: at(14, 0), End: at(15, 0), ShowAs: "busy"})
	f.add(otherCalID, fakeEvent{Subject: subjectMarker + " 1", Start: at(8, 0), End: at(9, 0), ShowAs: "tentative"})
	f.add(otherCalID, fakeEvent{Subject: "cancelled", Start: at(10, 0), End: at(11, 0), Cancelled: true})
	f.add(otherCalID, fakeEvent{Subject: subjectMarker + " 2", Start: at(12, 0), End: at(13, 0), ShowAs: "free"})
	f.add(otherCalID, fakeEvent{Subject: "tomorrow", Start: day.AddDate(0, 0, 1).Add(9 * time.Hour), End: day.AddDate(0, 0, 1).Add(10 * time.Hour)})

	got, err := f.provider().Events(ctxTimeout(t, 5*time.Second), account(nil), otherCalID, day, day.AddDate(0, 0, 1))
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
	views := f.seenRequests("GET", "/calendarView")
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
		f := newFakeGraph(t)
		id, err := f.provider().PutEvent(ctxTimeout(t, 5*time.Second), account(nil), otherCalID, draft)
		if err != nil {
			t.Fatalf("PutEvent: %v", err)
		}
		reqs := f.seenRequests("POST", "/v1.0/me/calendars/"+otherCalID+"/events")
		if len(reqs) != 1 {
			t.Fatalf("POSTs = %d, want 1", len(reqs))
		}
		var sent struct {
			Subject       string
			Body          struct{ ContentType, Content string }
			Start         struct{ DateTime, TimeZone string }
			End           struct{ DateTime, TimeZone string }
			ShowAs        string
			TransactionID string `json:"transactionId"`
		}
		if err := json.Unmarshal(reqs[0].Body, &sent); err != nil {
			t.Fatalf("body: %v", err)
		}
		if sent.Subject != subjectMarker || sent.Body.Content != bodyMarker || sent.Body.ContentType != "text" {
			t.Errorf("subject/body = %q / %+v", sent.Subject, sent.Body)
		}
		if sent.Start.DateTime != "2025-01-06T09:00:00.0000000" || sent.Start.TimeZone != "UTC" ||
			sent.End.DateTime != "2025-01-06T09:45:00.0000000" || sent.End.TimeZone != "UTC" {
			t.Errorf("times = %+v – %+v, want 09:00–09:45 UTC", sent.Start, sent.End)
		}
		if sent.TransactionID != TransactionID(draft.Key) || sent.ShowAs != "busy" {
			t.Errorf("transactionId/showAs = %q / %q", sent.TransactionID, sent.ShowAs)
		}
		if id == "" || f.eventCount(otherCalID) != 1 {
			t.Errorf("id = %q, events = %d", id, f.eventCount(otherCalID))
		}
	})
	t.Run("the same draft twice makes one event", func(t *testing.T) {
		f := newFakeGraph(t)
		p := f.provider()
		id1, err1 := p.PutEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, draft)
		id2, err2 := p.PutEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, draft)
		if err1 != nil || err2 != nil || id1 != id2 {
			t.Fatalf("PutEvent twice = %q, %v / %q, %v; want the same id", id1, err1, id2, err2)
		}
		if n := f.eventCount(defaultCalID); n != 1 {
			t.Errorf("events = %d, want 1", n)
		}
		other := draft
		other.Key = "booking-43"
		if id3, _ := p.PutEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, other); id3 == id1 {
			t.Errorf("another key got the same event")
		}
	})
	t.Run("a lost answer, retried by the pipeline, makes one event", func(t *testing.T) {
		f := newFakeGraph(t)
		var n atomic.Int32
		f.setHook(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/events") {
				if n.Add(1) == 1 {
					// The mailbox takes the event; the gateway times out.
					f.createEvent(httptest.NewRecorder(), defaultCalID, body)
					w.Header().Set("Retry-After", "0")
					graphError(w, 504, "GatewayTimeout", "gateway timeout")
					return true
				}
			}
			return false
		})
		id, err := f.provider().PutEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, draft)
		if err != nil || id == "" {
			t.Fatalf("PutEvent = %q, %v", id, err)
		}
		if c := f.eventCount(defaultCalID); c != 1 || n.Load() != 2 {
			t.Errorf("events = %d after %d POSTs, want 1 after 2", c, n.Load())
		}
	})
	t.Run("a dropped connection, retried by the caller, makes one event", func(t *testing.T) {
		f := newFakeGraph(t)
		var n atomic.Int32
		f.setHook(func(w http.ResponseWriter, r *http.Request, body []byte) bool {
			if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/events") {
				if n.Add(1) == 1 {
					f.createEvent(httptest.NewRecorder(), defaultCalID, body)
					conn, _, _ := w.(http.Hijacker).Hijack()
					conn.Close()
					return true
				}
			}
			return false
		})
		p := f.provider()
		_, err := p.PutEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, draft)
		if err == nil {
			t.Fatal("PutEvent over a dropped connection succeeded")
		}
		noLeak(t, err)
		id, err := p.PutEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, draft)
		if err != nil || id == "" {
			t.Fatalf("PutEvent again = %q, %v", id, err)
		}
		if c := f.eventCount(defaultCalID); c != 1 {
			t.Errorf("events = %d, want 1", c)
		}
	})
	t.Run("a draft without key is refused", func(t *testing.T) {
		f := newFakeGraph(t)
		bad := draft
		bad.Key = ""
		if _, err := f.provider().PutEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, bad); err == nil {
			t.Error("PutEvent without a key succeeded: it could not be made idempotent")
		}
	})
}

func TestDeleteEvent(t *testing.T) {
	f := newFakeGraph(t)
	p := f.provider()
	f.add(defaultCalID, fakeEvent{ID: "AAMkAD/evt+1=", Subject: subjectMarker, Start: at(9, 0), End: at(10, 0)})
	if err := p.DeleteEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, "AAMkAD/evt+1="); err != nil {
		t.Fatalf("DeleteEvent: %v", err)
	}
	if n := f.eventCount(defaultCalID); n != 0 {
		t.Errorf("events = %d, want 0", n)
	}
	if err := p.DeleteEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, "AAMkAD/evt+1="); err != nil {
		t.Errorf("DeleteEvent of a gone event: %v, want nil (404 is success)", err)
	}
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.Method == "DELETE" {
			graphError(w, 403, "ErrorAccessDenied", "Access is denied. "+errMsgMarker)
			return true
		}
		return false
	})
	err := p.DeleteEvent(ctxTimeout(t, 5*time.Second), account(nil), defaultCalID, "evt")
	var e *Error
	if !errors.As(err, &e) || e.Status != 403 || e.Code != "ErrorAccessDenied" {
		t.Errorf("err = %v, want status 403 ErrorAccessDenied", err)
	}
	noLeak(t, err)
}

func TestOAuth(t *testing.T) {
	f := newFakeGraph(t)
	p := f.provider()
	u, err := url.Parse(p.AuthCodeURL("state-123"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/authorize" || q.Get("client_id") != "client-1" || q.Get("state") != "state-123" ||
		q.Get("redirect_uri") != "https://app.example/oauth/microsoft" || q.Get("response_type") != "code" {
		t.Errorf("AuthCodeURL = %s", u)
	}
	if s := q.Get("scope"); s != "offline_access Calendars.ReadWrite" {
		t.Errorf("scope = %q", s)
	}

	rt, err := p.Exchange(ctxTimeout(t, 5*time.Second), "code-1")
	if err != nil || !strings.HasPrefix(rt, refreshMarker) {
		t.Errorf("Exchange = %q, %v; want a refresh token", rt, err)
	}
	form, _ := url.ParseQuery(string(f.seenRequests("POST", "/token")[0].Body))
	if form.Get("client_secret") != "secret-1" {
		t.Errorf("client secret not sent in the body (AuthStyleInParams): %v", form)
	}
	_, err = p.Exchange(ctxTimeout(t, 5*time.Second), "code-used")
	if !errors.Is(err, slotbook.ErrCalendarAuth) {
		t.Errorf("Exchange of a used code: %v, want ErrCalendarAuth", err)
	}
	noLeak(t, err)
}

func TestTokensGoOnlyToGraphsHost(t *testing.T) {
	f := newFakeGraph(t)
	var mu sync.Mutex
	var stranger http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		stranger = r.Header.Clone()
		writeJSON(w, 200, map[string]any{"value": []any{}})
	}))
	defer other.Close()
	f.setHook(func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if strings.HasSuffix(r.URL.Path, "/calendars") {
			writeJSON(w, 200, map[string]any{
				"value":           []any{map[string]any{"id": "c1", "name": "x", "isDefaultCalendar": true, "canEdit": true}},
				"@odata.nextLink": strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "/v1.0/me/calendars?$skip=1",
			})
			return true
		}
		return false
	})
	if _, err := f.provider().Calendars(ctxTimeout(t, 5*time.Second), account(nil)); err != nil {
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
	if _, err := p.Calendars(context.Background(), account(nil)); err == nil {
		t.Error("Calendars with a relative BaseURL succeeded")
	}
	if _, err := p.Busy(context.Background(), account(nil), []string{"c"}, day, day.Add(time.Hour)); err == nil {
		t.Error("Busy with a relative BaseURL succeeded")
	}
}

func TestNormalize(t *testing.T) {
	iv := func(a, b int) slotbook.BusyInterval { return slotbook.BusyInterval{Start: at(a, 0), End: at(b, 0)} }
	for _, tc := range []struct {
		name string
		in   []slotbook.BusyInterval
		want []slotbook.BusyInterval
	}{
		{"sorts and merges overlaps", []slotbook.BusyInterval{iv(12, 14), iv(9, 10), iv(13, 15)}, []slotbook.BusyInterval{iv(9, 10), iv(12, 15)}},
		{"merges touching", []slotbook.BusyInterval{iv(9, 10), iv(10, 11)}, []slotbook.BusyInterval{iv(9, 11)}},
		{"clips to the window", []slotbook.BusyInterval{iv(6, 9), iv(17, 20)}, []slotbook.BusyInterval{iv(8, 9), iv(17, 18)}},
		{"drops what lies outside", []slotbook.BusyInterval{iv(5, 7), iv(19, 20)}, []slotbook.BusyInterval{}},
	} {
		if got := normalize(tc.in, at(8, 0), at(18, 0)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: normalize(%v) = %v, want %v", tc.name, tc.in, got, tc.want)
		}
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
		{"2025-01-06T12:00:00.0000000", "W. Europe Standard Time", time.Time{}, true},
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
