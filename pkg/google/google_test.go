package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

func account() slotbook.Account {
	return slotbook.Account{Provider: slotbook.Google, Email: "ann@example.com", Secret: markRefresh}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// assertClean fails if err's text holds any content marker: a title,
// description, token or secret.
func assertClean(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, m := range markers {
		if strings.Contains(err.Error(), m) {
			t.Errorf("error %q contains %q", err, m)
		}
	}
}

func googleErr(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *google.Error", err, err)
	}
	return e
}

var day = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)

func at(d, h, m int) time.Time {
	return day.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

func TestCalendarsFollowsPagesAndPutsPrimaryFirst(t *testing.T) {
	f := newFake(t)
	f.listPageSize = 2
	f.calendarList = []map[string]any{
		{"kind": "calendar#calendarListEntry", "etag": `"1"`, "id": "team@group.calendar.google.com", "summary": "Team", "timeZone": "Europe/Zurich", "accessRole": "writer"},
		{"kind": "calendar#calendarListEntry", "etag": `"2"`, "id": "en.swiss#holiday@group.v.calendar.google.com", "summary": "Holidays", "accessRole": "reader"},
		{"kind": "calendar#calendarListEntry", "etag": `"3"`, "id": "ann@example.com", "summary": "ann@example.com", "summaryOverride": "Ann", "primary": true, "accessRole": "owner"},
		{"kind": "calendar#calendarListEntry", "etag": `"4"`, "id": "boss@example.com", "summary": "Boss", "accessRole": "freeBusyReader"},
	}

	got, err := f.provider().Calendars(testContext(t), account())
	if err != nil {
		t.Fatal(err)
	}
	want := []slotbook.CalendarInfo{
		{ID: "ann@example.com", Name: "Ann", Primary: true},
		{ID: "team@group.calendar.google.com", Name: "Team"},
		{ID: "en.swiss#holiday@group.v.calendar.google.com", Name: "Holidays", ReadOnly: true},
		{ID: "boss@example.com", Name: "Boss", ReadOnly: true},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Calendars =\n%+v\nwant\n%+v", got, want)
	}
	reqs := f.got("calendarList.list")
	if len(reqs) != 2 {
		t.Fatalf("%d calendarList requests, want 2", len(reqs))
	}
	for i, wantToken := range []string{"", "2"} {
		q := reqs[i].query
		if q.Get("pageToken") != wantToken || q.Get("fields") != calendarListFields {
			t.Errorf("request %d: pageToken=%q fields=%q, want %q and %q", i, q.Get("pageToken"), q.Get("fields"), wantToken, calendarListFields)
		}
	}
}

func TestAPIEndpointWithoutSlashWorks(t *testing.T) {
	f := newFake(t)
	f.calendarList = []map[string]any{{"id": "ann@example.com", "summary": "Ann", "primary": true, "accessRole": "owner"}}
	p := New(Config{ClientID: "c", ClientSecret: markSecret, TokenURL: f.srv.URL + "/token", APIEndpoint: f.srv.URL + "/calendar/v3"})
	got, err := p.Calendars(testContext(t), account())
	if err != nil || len(got) != 1 {
		t.Fatalf("Calendars = %v, %v; want one calendar", got, err)
	}
}

func TestBusySendsAtMost50CalendarsAQuery(t *testing.T) {
	f := newFake(t)
	var ids []string
	for i := range 73 {
		id := fmt.Sprintf("room%02d@resource.calendar.google.com", i)
		ids = append(ids, id)
		f.busy[id] = [][2]time.Time{{at(0, 8, i), at(0, 9, i)}}
	}

	got, err := f.provider().Busy(testContext(t), account(), ids, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		want := []slotbook.BusyInterval{{Start: at(0, 8, i), End: at(0, 9, i)}}
		if r.Err != nil || !slices.Equal(r.Busy, want) {
			t.Errorf("result %d = %+v, want busy %v", i, r, want)
		}
	}
	reqs := f.got("freeBusy")
	if len(reqs) != 2 {
		t.Fatalf("%d freeBusy requests, want 2", len(reqs))
	}
	asked := map[string]int{}
	for _, r := range reqs {
		var body struct{ Items []struct{ ID string } }
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		if len(body.Items) > 50 {
			t.Errorf("a request asked for %d calendars, want at most 50", len(body.Items))
		}
		for _, it := range body.Items {
			asked[it.ID]++
		}
	}
	for _, id := range ids {
		if asked[id] != 1 {
			t.Errorf("calendar %s asked %d times, want once", id, asked[id])
		}
	}
}

func TestBusySplitsRangesLongerThan60DaysAndMerges(t *testing.T) {
	f := newFake(t)
	from, to := day, day.AddDate(0, 0, 90)
	boundary := from.Add(60 * 24 * time.Hour)
	f.busy["ann@example.com"] = [][2]time.Time{
		{from.Add(-time.Hour), from.Add(time.Hour)},             // starts before the range
		{at(10, 9, 0), at(10, 10, 0)},                           // first window
		{boundary.Add(-time.Hour), boundary.Add(2 * time.Hour)}, // across the windows
		{at(80, 14, 0), at(80, 15, 30)},                         // second window
	}

	got, err := f.provider().Busy(testContext(t), account(), []string{"ann@example.com"}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := []slotbook.BusyInterval{
		{Start: from, End: from.Add(time.Hour)},
		{Start: at(10, 9, 0), End: at(10, 10, 0)},
		{Start: boundary.Add(-time.Hour), End: boundary.Add(2 * time.Hour)},
		{Start: at(80, 14, 0), End: at(80, 15, 30)},
	}
	if len(got) != 1 || got[0].Err != nil || !slices.EqualFunc(got[0].Busy, want, sameInterval) {
		t.Errorf("Busy = %+v,\nwant %+v", got, want)
	}

	reqs := f.got("freeBusy")
	if len(reqs) != 2 {
		t.Fatalf("%d freeBusy requests, want 2", len(reqs))
	}
	var windows [][2]time.Time
	for _, r := range reqs {
		var body struct{ TimeMin, TimeMax string }
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		tmin, _ := time.Parse(time.RFC3339, body.TimeMin)
		tmax, _ := time.Parse(time.RFC3339, body.TimeMax)
		if tmax.Sub(tmin) > 60*24*time.Hour {
			t.Errorf("window %s–%s is longer than 60 days", body.TimeMin, body.TimeMax)
		}
		windows = append(windows, [2]time.Time{tmin, tmax})
	}
	slices.SortFunc(windows, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
	if !windows[0][0].Equal(from) || !windows[0][1].Equal(windows[1][0]) || !windows[1][1].Equal(to) {
		t.Errorf("windows %v do not tile [%v, %v)", windows, from, to)
	}
}

func sameInterval(a, b slotbook.BusyInterval) bool {
	return a.Start.Equal(b.Start) && a.End.Equal(b.End)
}

func TestBusyUnreadableCalendarsGetAnErrorNotFreeTime(t *testing.T) {
	f := newFake(t)
	f.busy["ann@example.com"] = [][2]time.Time{{at(0, 9, 0), at(0, 10, 0)}}
	f.calErrors["gone@example.com"] = "notFound"
	f.omitted["left-out@example.com"] = true

	ids := []string{"gone@example.com", "ann@example.com", "left-out@example.com", "ann@example.com"}
	got, err := f.provider().Busy(testContext(t), account(), ids, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ids) {
		t.Fatalf("%d results, want %d", len(got), len(ids))
	}
	for _, i := range []int{1, 3} {
		if got[i].Err != nil || len(got[i].Busy) != 1 {
			t.Errorf("result %d (ann) = %+v, want one busy interval", i, got[i])
		}
	}
	if got[0].Err == nil || got[0].Busy != nil {
		t.Errorf("calendar with errors = %+v, want an Err and no busy times", got[0])
	} else if e := googleErr(t, got[0].Err); e.Reason != "notFound" {
		t.Errorf("Err = %v, want reason notFound", got[0].Err)
	}
	if got[2].Err == nil || got[2].Busy != nil {
		t.Errorf("calendar missing from the answer = %+v, want an Err and no busy times", got[2])
	}
	for _, r := range got {
		assertClean(t, r.Err)
	}
	if n := len(f.got("freeBusy")); n != 1 {
		t.Errorf("%d freeBusy requests, want 1 (duplicates asked once)", n)
	}
}

func TestBusyWithoutCalendarsAsksNothing(t *testing.T) {
	f := newFake(t)
	got, err := f.provider().Busy(testContext(t), account(), nil, day, day.AddDate(0, 0, 1))
	if err != nil || len(got) != 0 {
		t.Errorf("Busy() = %v, %v; want no results", got, err)
	}
	if len(f.tokenRequests()) != 0 || len(f.got("freeBusy")) != 0 {
		t.Error("Busy without calendars sent requests")
	}
}

// oneBusy runs a Busy call for one calendar against f.
func oneBusy(t *testing.T, ctx context.Context, p *Provider) ([]slotbook.BusyResult, error) {
	t.Helper()
	return p.Busy(ctx, account(), []string{"ann@example.com"}, day, day.AddDate(0, 0, 1))
}

func TestRetries(t *testing.T) {
	rateLimited := googleError(http.StatusForbidden, "usageLimits", "rateLimitExceeded")
	userRateLimited := googleError(http.StatusForbidden, "usageLimits", "userRateLimitExceeded")
	tests := []struct {
		name         string
		answers      []canned
		wantRequests int
		wantStatus   int // 0: success
	}{
		{"503 then success", []canned{googleError(503, "global", "backendError")}, 2, 0},
		{"502 twice then success", []canned{{status: 502}, {status: 502}}, 3, 0},
		{"429 then success", []canned{googleError(429, "usageLimits", "rateLimitExceeded")}, 2, 0},
		{"403 rateLimitExceeded then success", []canned{rateLimited}, 2, 0},
		{"403 userRateLimitExceeded then success", []canned{userRateLimited}, 2, 0},
		{"persistent 500 fails after the retries", slices.Repeat([]canned{googleError(500, "global", "backendError")}, 4), 4, 500},
		{"403 forbidden is final", []canned{googleError(403, "global", "forbidden")}, 1, 403},
		{"403 quotaExceeded is final", []canned{googleError(403, "usageLimits", "quotaExceeded")}, 1, 403},
		{"400 is final", []canned{googleError(400, "calendar", "timeRangeEmpty")}, 1, 400},
		{"404 is final", []canned{googleError(404, "global", "notFound")}, 1, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.busy["ann@example.com"] = [][2]time.Time{{at(0, 9, 0), at(0, 10, 0)}}
			f.queue("freeBusy", tt.answers...)

			got, err := oneBusy(t, testContext(t), f.provider())

			reqs := f.got("freeBusy")
			if len(reqs) != tt.wantRequests {
				t.Errorf("%d requests, want %d", len(reqs), tt.wantRequests)
			}
			for i, r := range reqs[1:] {
				if string(r.body) != string(reqs[0].body) {
					t.Errorf("retry %d sent body %q, want the first body %q", i+1, r.body, reqs[0].body)
				}
			}
			if tt.wantStatus == 0 {
				if err != nil || len(got) != 1 || len(got[0].Busy) != 1 {
					t.Fatalf("Busy = %+v, %v; want one busy interval", got, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Busy succeeded, want status %d", tt.wantStatus)
			}
			assertClean(t, err)
			if e := googleErr(t, err); e.Status != tt.wantStatus || e.Op != "freeBusy" {
				t.Errorf("error %v: op %q status %d, want freeBusy and %d", err, e.Op, e.Status, tt.wantStatus)
			}
		})
	}
}

func TestRetryWaitsAtLeastRetryAfter(t *testing.T) {
	f := newFake(t)
	f.queue("freeBusy", canned{status: 429, header: map[string]string{"Retry-After": "1"}, body: googleError(429, "usageLimits", "rateLimitExceeded").body})

	if _, err := oneBusy(t, testContext(t), f.provider()); err != nil {
		t.Fatal(err)
	}
	reqs := f.got("freeBusy")
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if waited := reqs[1].at.Sub(reqs[0].at); waited < time.Second {
		t.Errorf("retried after %v, want at least the Retry-After of 1s", waited)
	}
}

func TestRetryGivesUpWhenTheWaitWouldCrossTheDeadline(t *testing.T) {
	f := newFake(t)
	f.queue("freeBusy", canned{status: 503, header: map[string]string{"Retry-After": "5"}})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()

	start := time.Now()
	_, err := oneBusy(t, ctx, f.provider())
	if err == nil {
		t.Fatal("Busy succeeded, want an error")
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("gave up after %v, want at once", elapsed)
	}
	if e := googleErr(t, err); e.Status != 503 {
		t.Errorf("error %v, want status 503", err)
	}
	if n := len(f.got("freeBusy")); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestSlowServerPastTheDeadlineFailsPromptly(t *testing.T) {
	f := newFake(t)
	f.delay = 10 * time.Second
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, err := oneBusy(t, ctx, f.provider())
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("returned after %v, want soon after the 200ms deadline", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want one wrapping context.DeadlineExceeded", err)
	}
	assertClean(t, err)
}

func TestMalformedAnswersAreErrors(t *testing.T) {
	broken := canned{status: 200, body: `{"calendars": {"ann@example.com": {"busy": [{"start": "` + markTitle}
	tests := []struct {
		name string
		op   string
		call func(p *Provider, ctx context.Context) error
	}{
		{"freeBusy", "freeBusy", func(p *Provider, ctx context.Context) error {
			_, err := p.Busy(ctx, account(), []string{"ann@example.com"}, day, day.AddDate(0, 0, 1))
			return err
		}},
		{"events.list", "events.list", func(p *Provider, ctx context.Context) error {
			_, err := p.Events(ctx, account(), "ann@example.com", day, day.AddDate(0, 0, 1))
			return err
		}},
		{"calendarList.list", "calendarList.list", func(p *Provider, ctx context.Context) error {
			_, err := p.Calendars(ctx, account())
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.queue(tt.op, broken)
			err := tt.call(f.provider(), testContext(t))
			if err == nil {
				t.Fatal("call succeeded, want an error")
			}
			assertClean(t, err)
			if !strings.Contains(err.Error(), "malformed response") {
				t.Errorf("error %q, want it to say malformed response", err)
			}
		})
	}

	t.Run("busy period that is not a time", func(t *testing.T) {
		f := newFake(t)
		f.queue("freeBusy", canned{status: 200, body: `{"kind":"calendar#freeBusy","calendars":{"ann@example.com":{"busy":[{"start":"` + markTitle + `","end":"2027-06-01T10:00:00Z"}]}}}`})
		got, err := oneBusy(t, testContext(t), f.provider())
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Err == nil || got[0].Busy != nil {
			t.Errorf("result %+v, want an Err and no busy times", got[0])
		}
		assertClean(t, got[0].Err)
	})
}

func TestAuthFailures(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(f *fakeGoogle)
		secret    string
		wantAuth  bool
		wantInErr string
	}{
		{"invalid_grant from the token endpoint", nil, markDeadRT, true, "invalid_grant"},
		{"400 without an OAuth error code", func(f *fakeGoogle) {
			f.queue("token", canned{status: 400, body: "Bad Request " + markTitle})
		}, markRefresh, true, "status 400"},
		{"401 from the API after a refresh", func(f *fakeGoogle) { f.unauthorizedAPI = true }, markRefresh, true, "status 401"},
		{"403 insufficientPermissions (scope withheld)", func(f *fakeGoogle) {
			f.queue("freeBusy", googleError(403, "global", "insufficientPermissions"))
		}, markRefresh, true, "insufficientPermissions"},
		{"invalid_client blames our OAuth client", func(f *fakeGoogle) {
			f.queue("token", canned{status: 401, body: `{"error":"invalid_client","error_description":"Unauthorized ` + markSecret + `"}`})
		}, markRefresh, false, "invalid_client"},
		{"token endpoint down", func(f *fakeGoogle) {
			f.queue("token", slices.Repeat([]canned{{status: 503, body: markRefresh}}, 4)...)
		}, markRefresh, false, "status 503"},
		{"no refresh token stored", nil, "", true, "no refresh token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			acct := account()
			acct.Secret = tt.secret

			_, err := f.provider().Busy(testContext(t), acct, []string{"ann@example.com"}, day, day.AddDate(0, 0, 1))
			if err == nil {
				t.Fatal("Busy succeeded, want an error")
			}
			assertClean(t, err)
			if got := errors.Is(err, slotbook.ErrCalendarAuth); got != tt.wantAuth {
				t.Errorf("errors.Is(%q, ErrCalendarAuth) = %v, want %v", err, got, tt.wantAuth)
			}
			if !strings.Contains(err.Error(), tt.wantInErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantInErr)
			}
		})
	}
}

func TestTokenRefreshIsRetried(t *testing.T) {
	f := newFake(t)
	f.queue("token", canned{status: 503})
	if _, err := oneBusy(t, testContext(t), f.provider()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.tokenRequests()); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestTokenRefreshSendsClientCredentialsInTheForm(t *testing.T) {
	f := newFake(t)
	if _, err := oneBusy(t, testContext(t), f.provider()); err != nil {
		t.Fatal(err)
	}
	forms := f.tokenRequests()
	if len(forms) != 1 {
		t.Fatalf("%d token requests, want 1", len(forms))
	}
	if g := forms[0]; g.Get("grant_type") != "refresh_token" || g.Get("refresh_token") != markRefresh || g.Get("client_secret") != markSecret {
		t.Errorf("token form %v, want a refresh_token grant with the client secret in the form", g)
	}
}

type rotations struct {
	mu  sync.Mutex
	got []string
	err error
}

func (r *rotations) save(_ context.Context, refreshToken string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, refreshToken)
	return r.err
}

func TestRotatedRefreshTokenIsSavedOnce(t *testing.T) {
	f := newFake(t)
	f.rotateTo = markRotated
	var saved rotations
	acct := account()
	acct.OnRotate = saved.save
	ids := make([]string, 120) // three freeBusy queries sharing one token
	for i := range ids {
		ids[i] = fmt.Sprintf("room%03d@resource.calendar.google.com", i)
	}

	if _, err := f.provider().Busy(testContext(t), acct, ids, day, day.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(saved.got, []string{markRotated}) {
		t.Errorf("OnRotate got %d calls, want one with the rotated token", len(saved.got))
	}
	if n := len(f.tokenRequests()); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

func TestUnchangedRefreshTokenIsNotSaved(t *testing.T) {
	f := newFake(t)
	var saved rotations
	acct := account()
	acct.OnRotate = saved.save
	if _, err := f.provider().Calendars(testContext(t), acct); err != nil {
		t.Fatal(err)
	}
	if len(saved.got) != 0 {
		t.Errorf("OnRotate called %d times, want never", len(saved.got))
	}
}

func TestFailedSaveOfARotatedTokenFailsTheCall(t *testing.T) {
	f := newFake(t)
	f.rotateTo = markRotated
	storeDown := errors.New("store unavailable")
	saved := rotations{err: storeDown}
	acct := account()
	acct.OnRotate = saved.save

	_, err := f.provider().Calendars(testContext(t), acct)
	if !errors.Is(err, storeDown) {
		t.Fatalf("error %v, want one wrapping the OnRotate error", err)
	}
	assertClean(t, err)
}

func TestEvents(t *testing.T) {
	f := newFake(t)
	f.listPageSize = 2
	f.calendarZone = "Europe/Zurich"
	cal := "ann@example.com"
	f.events[cal] = []map[string]any{
		{"kind": "calendar#event", "id": "e1", "status": "confirmed", "summary": markTitle, "description": markDesc, "location": "Room 1",
			"start": map[string]any{"dateTime": "2027-06-01T09:00:00+02:00", "timeZone": "Europe/Zurich"},
			"end":   map[string]any{"dateTime": "2027-06-01T10:00:00+02:00", "timeZone": "Europe/Zurich"}},
		{"kind": "calendar#event", "id": "e2", "status": "confirmed", "summary": "Lunch", "transparency": "transparent",
			"start": map[string]any{"dateTime": "2027-06-01T12:00:00Z"}, "end": map[string]any{"dateTime": "2027-06-01T13:00:00Z"}},
		{"kind": "calendar#event", "id": "e3", "status": "cancelled", "summary": "Cancelled",
			"start": map[string]any{"dateTime": "2027-06-01T14:00:00Z"}, "end": map[string]any{"dateTime": "2027-06-01T15:00:00Z"}},
		{"kind": "calendar#event", "id": "e4", "status": "confirmed", "summary": "Offsite",
			"start": map[string]any{"date": "2027-06-02"}, "end": map[string]any{"date": "2027-06-04"}},
		{"kind": "calendar#event", "id": "e5", "status": "tentative", "summary": "Trip", "transparency": "opaque",
			"start": map[string]any{"date": "2027-06-05", "timeZone": "America/New_York"}, "end": map[string]any{"date": "2027-06-06", "timeZone": "America/New_York"}},
	}
	zurich, _ := time.LoadLocation("Europe/Zurich")
	newYork, _ := time.LoadLocation("America/New_York")
	from, to := day, day.AddDate(0, 0, 7)

	got, err := f.provider().Events(testContext(t), account(), cal, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := []slotbook.ExternalEvent{
		{Start: time.Date(2027, 6, 1, 7, 0, 0, 0, time.UTC), End: time.Date(2027, 6, 1, 8, 0, 0, 0, time.UTC), Title: markTitle, Busy: true},
		{Start: time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC), End: time.Date(2027, 6, 1, 13, 0, 0, 0, time.UTC), Title: "Lunch", Busy: false},
		{Start: time.Date(2027, 6, 2, 0, 0, 0, 0, zurich), End: time.Date(2027, 6, 4, 0, 0, 0, 0, zurich), Title: "Offsite", Busy: true},
		{Start: time.Date(2027, 6, 5, 0, 0, 0, 0, newYork), End: time.Date(2027, 6, 6, 0, 0, 0, 0, newYork), Title: "Trip", Busy: true},
	}
	if !slices.EqualFunc(got, want, func(a, b slotbook.ExternalEvent) bool {
		return a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.Title == b.Title && a.Busy == b.Busy
	}) {
		t.Errorf("Events =\n%+v\nwant\n%+v", got, want)
	}

	reqs := f.got("events.list")
	if len(reqs) != 3 {
		t.Fatalf("%d events.list requests, want 3 pages", len(reqs))
	}
	for i, wantToken := range []string{"", "2", "4"} {
		q := reqs[i].query
		wantQuery := map[string]string{
			"singleEvents": "true",
			"orderBy":      "startTime",
			"fields":       eventListFields,
			"timeMin":      "2027-06-01T00:00:00Z",
			"timeMax":      "2027-06-08T00:00:00Z",
			"pageToken":    wantToken,
		}
		for k, v := range wantQuery {
			if q.Get(k) != v {
				t.Errorf("request %d: %s=%q, want %q", i, k, q.Get(k), v)
			}
		}
		if reqs[i].path != "/calendar/v3/calendars/ann@example.com/events" {
			t.Errorf("request %d path %q", i, reqs[i].path)
		}
	}
	if !strings.Contains(eventListFields, "items(summary,start,end,transparency,status)") ||
		strings.Contains(eventListFields, "description") || strings.Contains(eventListFields, "attendees") || strings.Contains(eventListFields, "location") {
		t.Errorf("fields %q ask for more than title, times, show-as and status", eventListFields)
	}
}

func TestEventIDIsDeterministicAndValidForGoogle(t *testing.T) {
	valid := regexp.MustCompile(`^[a-v0-9]+$`) // and 5 to 1024 long
	keys := []string{"", "b", "booking-01JABCDEF", "booking-01JABCDEG", strings.Repeat("ä", 2000)}
	seen := map[string]string{}
	for _, k := range keys {
		id := EventID(k)
		if !valid.MatchString(id) || len(id) < 5 || len(id) > 1024 {
			t.Errorf("EventID(%.20q) = %q, not a valid Google event id", k, id)
		}
		if again := EventID(k); again != id {
			t.Errorf("EventID(%.20q) = %q then %q", k, id, again)
		}
		if other, dup := seen[id]; dup {
			t.Errorf("EventID(%.20q) = EventID(%.20q) = %q", k, other, id)
		}
		seen[id] = k
	}
}

func bookingDraft() slotbook.EventDraft {
	zurich, _ := time.LoadLocation("Europe/Zurich")
	return slotbook.EventDraft{
		Key:         "booking-01JB7Q",
		Title:       markTitle,
		Description: markDesc,
		Start:       time.Date(2027, 6, 1, 9, 0, 0, 0, zurich),
		End:         time.Date(2027, 6, 1, 9, 30, 0, 0, zurich),
		TimeZone:    "Europe/Zurich",
	}
}

func TestPutEventTwiceMakesOneEvent(t *testing.T) {
	f := newFake(t)
	p, ctx, cal, draft := f.provider(), testContext(t), "ann@example.com", bookingDraft()

	id1, err := p.PutEvent(ctx, account(), cal, draft)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := p.PutEvent(ctx, account(), cal, draft)
	if err != nil {
		t.Fatalf("second PutEvent: %v", err)
	}
	if id1 != EventID(draft.Key) || id2 != id1 {
		t.Errorf("ids %q, %q; want both %q", id1, id2, EventID(draft.Key))
	}
	if n := len(f.stored(cal)); n != 1 {
		t.Errorf("%d events on the server, want 1", n)
	}
	if n, m := len(f.got("events.insert")), len(f.got("events.update")); n != 2 || m != 0 {
		t.Errorf("%d inserts and %d updates, want 2 inserts (the second answered 409) and no update", n, m)
	}

	var body struct {
		ID, Summary, Description string
		Start, End               struct{ DateTime, TimeZone string }
	}
	if err := json.Unmarshal(f.got("events.insert")[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ID != id1 || body.Summary != markTitle || body.Description != markDesc ||
		body.Start.DateTime != "2027-06-01T09:00:00+02:00" || body.End.DateTime != "2027-06-01T09:30:00+02:00" ||
		body.Start.TimeZone != "Europe/Zurich" || body.End.TimeZone != "Europe/Zurich" {
		t.Errorf("insert body %+v", body)
	}
}

func TestPutEventRetriedInsertMakesOneEvent(t *testing.T) {
	f := newFake(t)
	f.queue("events.insert", googleError(503, "global", "backendError"))
	if _, err := f.provider().PutEvent(testContext(t), account(), "ann@example.com", bookingDraft()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.stored("ann@example.com")); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
}

func TestPutEventAfterDeleteRestoresTheEvent(t *testing.T) {
	f := newFake(t)
	p, ctx, cal, draft := f.provider(), testContext(t), "ann@example.com", bookingDraft()

	id, err := p.PutEvent(ctx, account(), cal, draft)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteEvent(ctx, account(), cal, id); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PutEvent(ctx, account(), cal, draft); err != nil {
		t.Fatalf("PutEvent after delete: %v", err)
	}
	if n := len(f.stored(cal)); n != 1 {
		t.Fatalf("%d events, want 1", n)
	}
	if st := f.stored(cal)[0]["status"]; st != "confirmed" {
		t.Errorf("event status %v, want confirmed", st)
	}
	if n := len(f.got("events.update")); n != 1 {
		t.Errorf("%d updates, want 1", n)
	}
}

func TestPutEventRejectsBadDraftsWithoutAsking(t *testing.T) {
	tests := []struct {
		name  string
		draft func(d *slotbook.EventDraft)
	}{
		{"no key", func(d *slotbook.EventDraft) { d.Key = "" }},
		{"ends before it starts", func(d *slotbook.EventDraft) { d.Start, d.End = d.End, d.Start }},
		{"unknown time zone", func(d *slotbook.EventDraft) { d.TimeZone = "Mars/Olympus" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			d := bookingDraft()
			tt.draft(&d)
			_, err := f.provider().PutEvent(testContext(t), account(), "ann@example.com", d)
			if err == nil {
				t.Fatal("PutEvent succeeded, want an error")
			}
			assertClean(t, err)
			if len(f.tokenRequests()) != 0 || len(f.got("events.insert")) != 0 {
				t.Error("a bad draft was sent")
			}
		})
	}
}

func TestDeleteEvent(t *testing.T) {
	f := newFake(t)
	p, ctx, cal := f.provider(), testContext(t), "ann@example.com"
	id, err := p.PutEvent(ctx, account(), cal, bookingDraft())
	if err != nil {
		t.Fatal(err)
	}

	if err := p.DeleteEvent(ctx, account(), cal, id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if st := f.stored(cal)[0]["status"]; st != "cancelled" {
		t.Errorf("event status %v after delete, want cancelled", st)
	}
	if err := p.DeleteEvent(ctx, account(), cal, id); err != nil {
		t.Errorf("delete of a deleted event (410): %v, want nil", err)
	}
	if err := p.DeleteEvent(ctx, account(), cal, "neverexisted0"); err != nil {
		t.Errorf("delete of a missing event (404): %v, want nil", err)
	}

	f.queue("events.delete", slices.Repeat([]canned{googleError(500, "global", "backendError")}, 4)...)
	err = p.DeleteEvent(ctx, account(), cal, id)
	if e := googleErr(t, err); e.Status != 500 || e.Op != "events.delete" {
		t.Errorf("delete against a failing server: %v, want events.delete status 500", err)
	}
}

func TestAuthCodeURL(t *testing.T) {
	f := newFake(t)
	u, err := url.Parse(f.provider().AuthCodeURL("state-xyz"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	want := map[string]string{
		"client_id":     "client-123.apps.googleusercontent.com",
		"redirect_uri":  "https://app.slotbook.test/oauth/google",
		"response_type": "code",
		"state":         "state-xyz",
		"access_type":   "offline",
		"prompt":        "consent",
		"scope": "https://www.googleapis.com/auth/calendar.calendarlist.readonly " +
			"https://www.googleapis.com/auth/calendar.freebusy " +
			"https://www.googleapis.com/auth/calendar.events",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s=%q, want %q", k, q.Get(k), v)
		}
	}
	if u.Path != "/auth" {
		t.Errorf("path %q, want the configured AuthURL", u.Path)
	}
}

func TestExchange(t *testing.T) {
	t.Run("returns the refresh token", func(t *testing.T) {
		f := newFake(t)
		f.codes[markAuthCode] = markRefresh
		got, err := f.provider().Exchange(testContext(t), markAuthCode)
		if err != nil || got != markRefresh {
			t.Fatalf("Exchange = %q, %v; want the refresh token", got, err)
		}
		form := f.tokenRequests()[0]
		if form.Get("grant_type") != "authorization_code" || form.Get("code") != markAuthCode ||
			form.Get("client_secret") != markSecret || form.Get("redirect_uri") != "https://app.slotbook.test/oauth/google" {
			t.Errorf("token form %v", form)
		}
	})
	t.Run("an answer without refresh token is an error", func(t *testing.T) {
		f := newFake(t)
		f.codes[markAuthCode] = ""
		_, err := f.provider().Exchange(testContext(t), markAuthCode)
		if err == nil {
			t.Fatal("Exchange succeeded, want an error")
		}
		assertClean(t, err)
	})
	t.Run("a refused code is an error, not refused credentials", func(t *testing.T) {
		f := newFake(t)
		_, err := f.provider().Exchange(testContext(t), markAuthCode)
		if err == nil {
			t.Fatal("Exchange succeeded, want an error")
		}
		assertClean(t, err)
		if errors.Is(err, slotbook.ErrCalendarAuth) {
			t.Errorf("error %v wraps ErrCalendarAuth", err)
		}
		if e := googleErr(t, err); e.Reason != "invalid_grant" || e.Status != 400 {
			t.Errorf("error %v, want status 400 invalid_grant", err)
		}
	})
	t.Run("a code is sent once, not retried", func(t *testing.T) {
		f := newFake(t)
		f.codes[markAuthCode] = markRefresh
		f.queue("token", canned{status: 503})
		if _, err := f.provider().Exchange(testContext(t), markAuthCode); err == nil {
			t.Fatal("Exchange succeeded, want an error")
		}
		if n := len(f.tokenRequests()); n != 1 {
			t.Errorf("%d token requests, want 1", n)
		}
	})
}

// TestErrorsCarryNoContent drives every operation into failures whose
// answers quote titles, descriptions and tokens, and checks that none of
// it reaches the error.
func TestErrorsCarryNoContent(t *testing.T) {
	leaky := []canned{
		googleError(500, "global", "backendError"),
		{status: 502, body: "<html>" + markTitle + markDesc + markAccess + "</html>"},
		{status: 400, body: `{"error":{"code":400,"message":"` + markTitle + `","errors":[{"reason":"` + markDesc + `"}]}}`},
		{status: 200, body: `{"items":[{"summary":"` + markTitle + `","start":{"dateTime":"` + markDesc + `"}`},
		{status: 200, body: `{"items":[{"summary":"` + markTitle + `","start":{"dateTime":"` + markDesc + `"},"end":{"dateTime":"x"}}]}`},
	}
	ops := []struct {
		op   string
		call func(p *Provider, ctx context.Context) error
	}{
		{"calendarList.list", func(p *Provider, ctx context.Context) error { _, err := p.Calendars(ctx, account()); return err }},
		{"freeBusy", func(p *Provider, ctx context.Context) error {
			r, err := oneBusy(t, ctx, p)
			if err == nil && len(r) == 1 {
				err = r[0].Err
			}
			return err
		}},
		{"events.list", func(p *Provider, ctx context.Context) error {
			_, err := p.Events(ctx, account(), "ann@example.com", day, day.AddDate(0, 0, 1))
			return err
		}},
		{"events.insert", func(p *Provider, ctx context.Context) error {
			_, err := p.PutEvent(ctx, account(), "ann@example.com", bookingDraft())
			return err
		}},
		{"events.delete", func(p *Provider, ctx context.Context) error {
			return p.DeleteEvent(ctx, account(), "ann@example.com", "abcde12345")
		}},
	}
	for _, o := range ops {
		for i, answer := range leaky {
			t.Run(fmt.Sprintf("%s/answer%d", o.op, i), func(t *testing.T) {
				f := newFake(t)
				p := f.provider()
				p.maxRetries = 0
				f.queue(o.op, answer)
				err := o.call(p, testContext(t))
				if err == nil && answer.status != 200 {
					t.Fatalf("call succeeded against status %d", answer.status)
				}
				assertClean(t, err)
			})
		}
		t.Run(o.op+"/token error", func(t *testing.T) {
			f := newFake(t)
			f.queue("token", canned{status: 400, body: `{"error":"invalid_grant","error_description":"` + markRefresh + markAccess + `"}`})
			err := o.call(f.provider(), testContext(t))
			if !errors.Is(err, slotbook.ErrCalendarAuth) {
				t.Errorf("error %v, want ErrCalendarAuth", err)
			}
			assertClean(t, err)
		})
	}
}
