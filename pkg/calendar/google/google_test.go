package google

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/google/googletest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Unique strings that stand for content which must never reach an error:
// event titles and descriptions, a dead refresh token. The kit's markers
// stand for its tokens, its client secret and its error messages.
const (
	markTitle  = "MARKER-TITLE-q7w3"
	markDesc   = "MARKER-DESC-k2p9"
	markDeadRT = "1//MARKER-DEAD-REFRESH-h8j9"
)

var markers = append([]string{markTitle, markDesc, markDeadRT}, googletest.Markers...)

const (
	annEmail    = "ann@example.com"
	redirectURL = "https://app.slotbook.test/oauth/google"
)

// fixture is a fake Google with Ann's account; pages hold two items.
type fixture struct {
	srv *googletest.Server
	ann googletest.Account
}

// newFixture makes Ann's account with her primary calendar described by
// primary, if given.
func newFixture(t *testing.T, primary ...googletest.Calendar) *fixture {
	t.Helper()
	srv := googletest.New(t)
	var p googletest.Calendar
	if len(primary) > 0 {
		p = primary[0]
	}
	return &fixture{srv: srv, ann: srv.AddAccount(annEmail, p)}
}

// provider returns a Provider pointed at the fake, with millisecond backoff.
func (f *fixture) provider() *Provider {
	p := New(Config{
		ClientID:     googletest.ClientID,
		ClientSecret: googletest.ClientSecret,
		RedirectURL:  redirectURL,
		AuthURL:      f.srv.AuthURL,
		TokenURL:     f.srv.TokenURL,
		APIEndpoint:  f.srv.APIEndpoint,
		HTTPClient:   f.srv.Client(),
		MaxRetries:   3,
	})
	p.backoff.Base = time.Millisecond
	p.backoff.Cap = 4 * time.Millisecond
	return p
}

func (f *fixture) account() slotbook.Account {
	return slotbook.Account{Provider: slotbook.Google, Email: annEmail, Secret: f.ann.RefreshToken}
}

// gErr is a Google error answer whose message quotes content, to prove that
// it never reaches slotbook's errors.
func gErr(status int, domain, reason string) googletest.Failure {
	return googletest.Failure{Status: status, Domain: domain, Reason: reason, Message: "about " + markTitle + " " + markDesc}
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

// busyEvent is an event that blocks [start, end).
func busyEvent(start, end time.Time) googletest.Event {
	return googletest.Event{Summary: markTitle, Description: markDesc, Start: start, End: end}
}

func TestCalendarsFollowsPagesAndPutsPrimaryFirst(t *testing.T) {
	f := newFixture(t, googletest.Calendar{SummaryOverride: "Ann"})
	f.srv.SetPageSize(2)
	f.srv.AddAccount("boss@example.com", googletest.Calendar{Summary: "Boss"})
	team := f.srv.AddCalendar(annEmail, googletest.Calendar{Summary: "Team", TimeZone: "Europe/Zurich", AccessRole: "writer"})
	holidays := f.srv.AddCalendar(annEmail, googletest.Calendar{ID: "en.swiss#holiday@group.v.calendar.google.com", Summary: "Holidays", AccessRole: "reader"})
	boss := f.srv.AddCalendar(annEmail, googletest.Calendar{ID: "boss@example.com", AccessRole: "freeBusyReader"})

	got, err := f.provider().Calendars(testContext(t), f.account())
	if err != nil {
		t.Fatal(err)
	}
	want := []slotbook.CalendarInfo{
		{ID: annEmail, Name: "Ann", Primary: true, Owner: annEmail},
		{ID: team, Name: "Team", Owner: annEmail},
		{ID: holidays, Name: "Holidays", ReadOnly: true, Owner: annEmail},
		{ID: boss, Name: "Boss", ReadOnly: true, Owner: annEmail},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Calendars =\n%+v\nwant\n%+v", got, want)
	}
	reqs := f.srv.Requests("calendarList.list")
	if len(reqs) != 2 {
		t.Fatalf("%d calendarList requests, want 2", len(reqs))
	}
	for i, wantToken := range []string{"", "2"} {
		q := reqs[i].Query
		if q.Get("pageToken") != wantToken || q.Get("fields") != calendarListFields {
			t.Errorf("request %d: pageToken=%q fields=%q, want %q and %q", i, q.Get("pageToken"), q.Get("fields"), wantToken, calendarListFields)
		}
	}
}

// TestCalendarsOwnerIsThePrimaryCalendarsID: slotbook stores
// CalendarInfo.Owner as the connection's address. Google's primary
// calendar's id is the account's address; other calendars' ids are opaque
// or other people's, and must not be taken for it.
func TestCalendarsOwnerIsThePrimaryCalendarsID(t *testing.T) {
	f := newFixture(t)
	f.srv.AddAccount("boss@example.com", googletest.Calendar{})
	f.srv.AddCalendar(annEmail, googletest.Calendar{ID: "boss@example.com", AccessRole: "reader"})
	secondary := f.srv.AddCalendar(annEmail, googletest.Calendar{Summary: "Projects"})
	if !strings.HasPrefix(secondary, "c_") || !strings.HasSuffix(secondary, "@group.calendar.google.com") {
		t.Fatalf("secondary calendar id %q, want an opaque c_…@group.calendar.google.com", secondary)
	}
	got, err := f.provider().Calendars(testContext(t), f.account())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("Calendars = %+v, want 3", got)
	}
	for _, c := range got {
		if c.Owner != annEmail {
			t.Errorf("calendar %q: Owner = %q, want the primary calendar's id %q", c.ID, c.Owner, annEmail)
		}
	}
}

func TestAPIEndpointWithoutSlashWorks(t *testing.T) {
	f := newFixture(t)
	p := New(Config{ClientID: googletest.ClientID, ClientSecret: googletest.ClientSecret, TokenURL: f.srv.TokenURL,
		APIEndpoint: strings.TrimSuffix(f.srv.APIEndpoint, "/")})
	got, err := p.Calendars(testContext(t), f.account())
	if err != nil || len(got) != 1 {
		t.Fatalf("Calendars = %v, %v; want one calendar", got, err)
	}
}

func TestBusySendsAtMost50CalendarsAQuery(t *testing.T) {
	f := newFixture(t)
	var ids []string
	for i := range 73 {
		id := f.srv.AddCalendar(annEmail, googletest.Calendar{ID: fmt.Sprintf("room%02d@resource.calendar.google.com", i), AccessRole: "reader"})
		ids = append(ids, id)
		f.srv.AddEvent(id, busyEvent(at(0, 8, i), at(0, 9, i)))
	}

	got, err := f.provider().Busy(testContext(t), f.account(), ids, day, day.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range got {
		want := []slotbook.BusyInterval{{Start: at(0, 8, i), End: at(0, 9, i)}}
		if r.Err != nil || !slices.EqualFunc(r.Busy, want, sameInterval) {
			t.Errorf("result %d = %+v, want busy %v", i, r, want)
		}
	}
	reqs := f.srv.Requests("freebusy.query")
	if len(reqs) != 2 {
		t.Fatalf("%d freeBusy requests, want 2", len(reqs))
	}
	asked := map[string]int{}
	for _, r := range reqs {
		var body struct{ Items []struct{ ID string } }
		if err := json.Unmarshal(r.Body, &body); err != nil {
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
	f := newFixture(t)
	from, to := day, day.AddDate(0, 0, 90)
	boundary := from.Add(60 * 24 * time.Hour)
	f.srv.AddEvent(annEmail, busyEvent(from.Add(-time.Hour), from.Add(time.Hour)))                                   // starts before the range
	f.srv.AddEvent(annEmail, busyEvent(at(10, 9, 0), at(10, 10, 0)))                                                 // first window
	f.srv.AddEvent(annEmail, busyEvent(boundary.Add(-time.Hour), boundary.Add(2*time.Hour)))                         // across the windows
	f.srv.AddEvent(annEmail, busyEvent(at(80, 14, 0), at(80, 15, 30)))                                               // second window
	f.srv.AddEvent(annEmail, googletest.Event{Start: at(20, 9, 0), End: at(20, 10, 0), Transparency: "transparent"}) // free

	got, err := f.provider().Busy(testContext(t), f.account(), []string{annEmail}, from, to)
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

	reqs := f.srv.Requests("freebusy.query")
	if len(reqs) != 2 {
		t.Fatalf("%d freeBusy requests, want 2", len(reqs))
	}
	var windows [][2]time.Time
	for _, r := range reqs {
		var body struct{ TimeMin, TimeMax string }
		if err := json.Unmarshal(r.Body, &body); err != nil {
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
	f := newFixture(t)
	f.srv.AddEvent(annEmail, busyEvent(at(0, 9, 0), at(0, 10, 0)))
	f.srv.AddAccount("left-out@example.com", googletest.Calendar{})
	f.srv.OmitFromFreeBusy("left-out@example.com")

	// gone@example.com is no calendar Google knows: it reports notFound
	// inside the 200.
	ids := []string{"gone@example.com", annEmail, "left-out@example.com", annEmail}
	got, err := f.provider().Busy(testContext(t), f.account(), ids, day, day.AddDate(0, 0, 1))
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
		t.Errorf("unknown calendar = %+v, want an Err and no busy times", got[0])
	} else if e := googleErr(t, got[0].Err); e.Reason != "notFound" {
		t.Errorf("Err = %v, want reason notFound", got[0].Err)
	}
	if got[2].Err == nil || got[2].Busy != nil {
		t.Errorf("calendar missing from the answer = %+v, want an Err and no busy times", got[2])
	}
	for _, r := range got {
		assertClean(t, r.Err)
	}
	if n := len(f.srv.Requests("freebusy.query")); n != 1 {
		t.Errorf("%d freeBusy requests, want 1 (duplicates asked once)", n)
	}
}

func TestBusyWithoutCalendarsAsksNothing(t *testing.T) {
	f := newFixture(t)
	got, err := f.provider().Busy(testContext(t), f.account(), nil, day, day.AddDate(0, 0, 1))
	if err != nil || len(got) != 0 {
		t.Errorf("Busy() = %v, %v; want no results", got, err)
	}
	if len(f.srv.TokenRequests()) != 0 || len(f.srv.Requests("")) != 0 {
		t.Error("Busy without calendars sent requests")
	}
}

// oneBusy runs a Busy call for Ann's primary calendar.
func oneBusy(t *testing.T, ctx context.Context, f *fixture, p *Provider) ([]slotbook.BusyResult, error) {
	t.Helper()
	return p.Busy(ctx, f.account(), []string{annEmail}, day, day.AddDate(0, 0, 1))
}

func TestRetries(t *testing.T) {
	badGateway := googletest.Failure{Status: 502, Body: "<html><title>502 Bad Gateway</title></html>"}
	tests := []struct {
		name         string
		answers      []googletest.Failure
		wantRequests int
		wantStatus   int // 0: success
	}{
		{"503 then success", []googletest.Failure{gErr(503, "global", "backendError")}, 2, 0},
		{"502 twice then success", []googletest.Failure{badGateway, badGateway}, 3, 0},
		{"429 then success", []googletest.Failure{gErr(429, "usageLimits", "rateLimitExceeded")}, 2, 0},
		{"403 rateLimitExceeded then success", []googletest.Failure{gErr(403, "usageLimits", "rateLimitExceeded")}, 2, 0},
		{"403 userRateLimitExceeded then success", []googletest.Failure{gErr(403, "usageLimits", "userRateLimitExceeded")}, 2, 0},
		{"persistent 500 fails after the retries", slices.Repeat([]googletest.Failure{gErr(500, "global", "backendError")}, 4), 4, 500},
		{"403 forbidden is final", []googletest.Failure{gErr(403, "global", "forbidden")}, 1, 403},
		{"403 quotaExceeded is final", []googletest.Failure{gErr(403, "usageLimits", "quotaExceeded")}, 1, 403},
		{"400 is final", []googletest.Failure{gErr(400, "calendar", "timeRangeEmpty")}, 1, 400},
		{"404 is final", []googletest.Failure{gErr(404, "global", "notFound")}, 1, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.srv.AddEvent(annEmail, busyEvent(at(0, 9, 0), at(0, 10, 0)))
			for _, a := range tt.answers {
				f.srv.Fail("freebusy.query", 1, a)
			}

			got, err := oneBusy(t, testContext(t), f, f.provider())

			reqs := f.srv.Requests("freebusy.query")
			if len(reqs) != tt.wantRequests {
				t.Errorf("%d requests, want %d", len(reqs), tt.wantRequests)
			}
			for i, r := range reqs[1:] {
				if string(r.Body) != string(reqs[0].Body) {
					t.Errorf("retry %d sent body %q, want the first body %q", i+1, r.Body, reqs[0].Body)
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
	f := newFixture(t)
	limited := gErr(429, "usageLimits", "rateLimitExceeded")
	limited.RetryAfter = "1"
	f.srv.Fail("freebusy.query", 1, limited)

	if _, err := oneBusy(t, testContext(t), f, f.provider()); err != nil {
		t.Fatal(err)
	}
	reqs := f.srv.Requests("freebusy.query")
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	if waited := reqs[1].At.Sub(reqs[0].At); waited < time.Second {
		t.Errorf("retried after %v, want at least the Retry-After of 1s", waited)
	}
}

func TestRetryGivesUpWhenTheWaitWouldCrossTheDeadline(t *testing.T) {
	f := newFixture(t)
	f.srv.Fail("freebusy.query", 1, googletest.Failure{Status: 503, Reason: "backendError", RetryAfter: "5"})
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()

	start := time.Now()
	_, err := oneBusy(t, ctx, f, f.provider())
	if err == nil {
		t.Fatal("Busy succeeded, want an error")
	}
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("gave up after %v, want at once", elapsed)
	}
	if e := googleErr(t, err); e.Status != 503 {
		t.Errorf("error %v, want status 503", err)
	}
	if n := len(f.srv.Requests("freebusy.query")); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestSlowServerPastTheDeadlineFailsPromptly(t *testing.T) {
	f := newFixture(t)
	f.srv.Fail("", -1, googletest.Failure{Hang: true})
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()

	start := time.Now()
	_, err := oneBusy(t, ctx, f, f.provider())
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("returned after %v, want soon after the 200ms deadline", elapsed)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want one wrapping context.DeadlineExceeded", err)
	}
	assertClean(t, err)
}

func TestMalformedAnswersAreErrors(t *testing.T) {
	broken := googletest.Failure{Status: 200, Body: `{"calendars": {"ann@example.com": {"busy": [{"start": "` + markTitle}
	tests := []struct {
		op   string
		call func(f *fixture, p *Provider, ctx context.Context) error
	}{
		{"freebusy.query", func(f *fixture, p *Provider, ctx context.Context) error {
			_, err := p.Busy(ctx, f.account(), []string{annEmail}, day, day.AddDate(0, 0, 1))
			return err
		}},
		{"events.list", func(f *fixture, p *Provider, ctx context.Context) error {
			_, err := p.Events(ctx, f.account(), annEmail, day, day.AddDate(0, 0, 1))
			return err
		}},
		{"calendarList.list", func(f *fixture, p *Provider, ctx context.Context) error {
			_, err := p.Calendars(ctx, f.account())
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			f := newFixture(t)
			f.srv.Fail(tt.op, 1, broken)
			err := tt.call(f, f.provider(), testContext(t))
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
		f := newFixture(t)
		f.srv.Fail("freebusy.query", 1, googletest.Failure{Status: 200, Body: `{"kind":"calendar#freeBusy","calendars":{"ann@example.com":{"busy":[{"start":"` + markTitle + `","end":"2027-06-01T10:00:00Z"}]}}}`})
		got, err := oneBusy(t, testContext(t), f, f.provider())
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
		setup     func(f *fixture)
		secret    func(f *fixture) string
		wantAuth  bool
		wantInErr string
	}{
		{"invalid_grant from the token endpoint", nil, func(*fixture) string { return markDeadRT }, true, "invalid_grant"},
		{"revoked refresh token", func(f *fixture) { f.srv.RevokeRefreshTokens(annEmail) }, nil, true, "invalid_grant"},
		{"400 without an OAuth error code", func(f *fixture) {
			f.srv.FailToken(1, googletest.Failure{Status: 400, Body: "Bad Request " + markTitle})
		}, nil, true, "status 400"},
		{"401 from the API after a refresh", func(f *fixture) {
			f.srv.Fail("", -1, googletest.Failure{Status: 401, Reason: "authError"})
		}, nil, true, "status 401"},
		{"403 insufficientPermissions (scope withheld)", func(f *fixture) {
			f.srv.Fail("freebusy.query", 1, gErr(403, "global", "insufficientPermissions"))
		}, nil, true, "insufficientPermissions"},
		{"invalid_client blames our OAuth client", func(f *fixture) {
			f.srv.FailToken(1, googletest.Failure{Status: 401, Body: `{"error":"invalid_client","error_description":"Unauthorized ` + googletest.ClientSecret + `"}`})
		}, nil, false, "invalid_client"},
		{"token endpoint down", func(f *fixture) {
			f.srv.FailToken(4, googletest.Failure{Status: 503, Body: f.ann.RefreshToken})
		}, nil, false, "status 503"},
		{"no refresh token stored", nil, func(*fixture) string { return "" }, true, "no refresh token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			acct := f.account()
			if tt.secret != nil {
				acct.Secret = tt.secret(f)
			}

			_, err := f.provider().Busy(testContext(t), acct, []string{annEmail}, day, day.AddDate(0, 0, 1))
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
	f := newFixture(t)
	f.srv.FailToken(1, googletest.Failure{Status: 503})
	if _, err := oneBusy(t, testContext(t), f, f.provider()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.srv.TokenRequests()); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

func TestTokenRefreshSendsClientCredentialsInTheForm(t *testing.T) {
	f := newFixture(t)
	if _, err := oneBusy(t, testContext(t), f, f.provider()); err != nil {
		t.Fatal(err)
	}
	forms := f.srv.TokenRequests()
	if len(forms) != 1 {
		t.Fatalf("%d token requests, want 1", len(forms))
	}
	if g := forms[0]; g.Get("grant_type") != "refresh_token" || g.Get("refresh_token") != f.ann.RefreshToken || g.Get("client_secret") != googletest.ClientSecret {
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
	f := newFixture(t)
	f.srv.SetRotation(true)
	var saved rotations
	acct := f.account()
	acct.OnRotate = saved.save
	ids := make([]string, 120) // three freeBusy queries sharing one token
	for i := range ids {
		ids[i] = f.srv.AddCalendar(annEmail, googletest.Calendar{ID: fmt.Sprintf("room%03d@resource.calendar.google.com", i), AccessRole: "reader"})
	}

	if _, err := f.provider().Busy(testContext(t), acct, ids, day, day.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if len(saved.got) != 1 || saved.got[0] == f.ann.RefreshToken {
		t.Errorf("OnRotate got %d calls, want one with a new token", len(saved.got))
	}
	if n := len(f.srv.TokenRequests()); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}

func TestUnchangedRefreshTokenIsNotSaved(t *testing.T) {
	f := newFixture(t)
	var saved rotations
	acct := f.account()
	acct.OnRotate = saved.save
	if _, err := f.provider().Calendars(testContext(t), acct); err != nil {
		t.Fatal(err)
	}
	if len(saved.got) != 0 {
		t.Errorf("OnRotate called %d times, want never", len(saved.got))
	}
}

func TestFailedSaveOfARotatedTokenFailsTheCall(t *testing.T) {
	f := newFixture(t)
	f.srv.SetRotation(true)
	storeDown := errors.New("store unavailable")
	saved := rotations{err: storeDown}
	acct := f.account()
	acct.OnRotate = saved.save

	_, err := f.provider().Calendars(testContext(t), acct)
	if !errors.Is(err, storeDown) {
		t.Fatalf("error %v, want one wrapping the OnRotate error", err)
	}
	assertClean(t, err)
}

func TestEvents(t *testing.T) {
	f := newFixture(t, googletest.Calendar{TimeZone: "Europe/Zurich"})
	f.srv.SetPageSize(2)
	zurich, _ := time.LoadLocation("Europe/Zurich")
	newYork, _ := time.LoadLocation("America/New_York")
	// Added out of order: Google orders by start only when asked to.
	for _, e := range []googletest.Event{
		{Summary: "Lunch", Transparency: "transparent", Start: at(0, 12, 0), End: at(0, 13, 0)},
		{Summary: markTitle, Description: markDesc, Location: "Room 1", TimeZone: "Europe/Zurich",
			Start: time.Date(2027, 6, 1, 9, 0, 0, 0, zurich), End: time.Date(2027, 6, 1, 10, 0, 0, 0, zurich)},
		{Summary: "Cancelled", Status: "cancelled", Start: at(0, 14, 0), End: at(0, 15, 0)},
		{Summary: "Offsite", AllDay: true, Start: time.Date(2027, 6, 2, 0, 0, 0, 0, zurich), End: time.Date(2027, 6, 4, 0, 0, 0, 0, zurich)},
		{Summary: "Trip", Status: "tentative", Transparency: "opaque", AllDay: true, TimeZone: "America/New_York",
			Start: time.Date(2027, 6, 5, 0, 0, 0, 0, newYork), End: time.Date(2027, 6, 6, 0, 0, 0, 0, newYork)},
		{Summary: "Next month", Start: at(30, 9, 0), End: at(30, 10, 0)},
	} {
		f.srv.AddEvent(annEmail, e)
	}
	from, to := day, day.AddDate(0, 0, 7)

	got, err := f.provider().Events(testContext(t), f.account(), annEmail, from, to)
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

	reqs := f.srv.Requests("events.list")
	if len(reqs) != 2 {
		t.Fatalf("%d events.list requests, want 2 pages", len(reqs))
	}
	for i, wantToken := range []string{"", "2"} {
		q := reqs[i].Query
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
		if reqs[i].Path != "/calendar/v3/calendars/ann@example.com/events" {
			t.Errorf("request %d path %q", i, reqs[i].Path)
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
	f := newFixture(t)
	p, ctx, draft := f.provider(), testContext(t), bookingDraft()

	id1, err := p.PutEvent(ctx, f.account(), annEmail, draft)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := p.PutEvent(ctx, f.account(), annEmail, draft)
	if err != nil {
		t.Fatalf("second PutEvent: %v", err)
	}
	if id1 != EventID(draft.Key) || id2 != id1 {
		t.Errorf("ids %q, %q; want both %q", id1, id2, EventID(draft.Key))
	}
	if n := len(f.srv.Events(annEmail)); n != 1 {
		t.Errorf("%d events on the server, want 1", n)
	}
	if n, m := len(f.srv.Requests("events.insert")), len(f.srv.Requests("events.update")); n != 2 || m != 0 {
		t.Errorf("%d inserts and %d updates, want 2 inserts (the second answered 409) and no update", n, m)
	}

	var body struct {
		ID, Summary, Description string
		Start, End               struct{ DateTime, TimeZone string }
	}
	if err := json.Unmarshal(f.srv.Requests("events.insert")[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.ID != id1 || body.Summary != markTitle || body.Description != markDesc ||
		body.Start.DateTime != "2027-06-01T09:00:00+02:00" || body.End.DateTime != "2027-06-01T09:30:00+02:00" ||
		body.Start.TimeZone != "Europe/Zurich" || body.End.TimeZone != "Europe/Zurich" {
		t.Errorf("insert body %+v", body)
	}
}

// TestPutEventSendsTheIANAName: Google takes IANA zone names only; a
// draft's zone is sent as tzname resolved it.
func TestPutEventSendsTheIANAName(t *testing.T) {
	f := newFixture(t)
	draft := bookingDraft()
	draft.TimeZone = "W. Europe Standard Time"
	if _, err := f.provider().PutEvent(testContext(t), f.account(), annEmail, draft); err != nil {
		t.Fatal(err)
	}
	var body struct {
		Start, End struct{ DateTime, TimeZone string }
	}
	if err := json.Unmarshal(f.srv.Requests("events.insert")[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Start.TimeZone != "Europe/Berlin" || body.End.TimeZone != "Europe/Berlin" || body.Start.DateTime != "2027-06-01T09:00:00+02:00" {
		t.Errorf("insert sent start %+v, end %+v; want Europe/Berlin", body.Start, body.End)
	}
}

func TestPutEventWithALostAnswerMakesOneEvent(t *testing.T) {
	f := newFixture(t)
	// Google takes the event; the answer is lost in a 503; the retry
	// conflicts with it.
	f.srv.Fail("events.insert", 1, googletest.Failure{Apply: true, Status: 503, Reason: "backendError"})
	if _, err := f.provider().PutEvent(testContext(t), f.account(), annEmail, bookingDraft()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.srv.Events(annEmail)); n != 1 {
		t.Errorf("%d events, want 1", n)
	}
	if n := len(f.srv.Requests("events.insert")); n != 2 {
		t.Errorf("%d inserts, want 2", n)
	}
}

func TestPutEventAfterDeleteRestoresTheEvent(t *testing.T) {
	f := newFixture(t)
	p, ctx, draft := f.provider(), testContext(t), bookingDraft()

	id, err := p.PutEvent(ctx, f.account(), annEmail, draft)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteEvent(ctx, f.account(), annEmail, id); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PutEvent(ctx, f.account(), annEmail, draft); err != nil {
		t.Fatalf("PutEvent after delete: %v", err)
	}
	events := f.srv.Events(annEmail)
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	if st := events[0].Status; st != "confirmed" {
		t.Errorf("event status %v, want confirmed", st)
	}
	if n := len(f.srv.Requests("events.update")); n != 1 {
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
			f := newFixture(t)
			d := bookingDraft()
			tt.draft(&d)
			_, err := f.provider().PutEvent(testContext(t), f.account(), annEmail, d)
			if err == nil {
				t.Fatal("PutEvent succeeded, want an error")
			}
			assertClean(t, err)
			if len(f.srv.TokenRequests()) != 0 || len(f.srv.Requests("events.insert")) != 0 {
				t.Error("a bad draft was sent")
			}
		})
	}
}

func TestPutEventIntoAReadOnlyCalendarFails(t *testing.T) {
	f := newFixture(t)
	holidays := f.srv.AddCalendar(annEmail, googletest.Calendar{ID: "en.swiss#holiday@group.v.calendar.google.com", AccessRole: "reader"})
	_, err := f.provider().PutEvent(testContext(t), f.account(), holidays, bookingDraft())
	if e := googleErr(t, err); e.Status != 403 || e.Reason != "requiredAccessLevel" || errors.Is(err, slotbook.ErrCalendarAuth) {
		t.Errorf("error %v, want 403 requiredAccessLevel, not refused credentials", err)
	}
	assertClean(t, err)
}

func TestDeleteEvent(t *testing.T) {
	f := newFixture(t)
	p, ctx := f.provider(), testContext(t)
	id, err := p.PutEvent(ctx, f.account(), annEmail, bookingDraft())
	if err != nil {
		t.Fatal(err)
	}

	if err := p.DeleteEvent(ctx, f.account(), annEmail, id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if st := f.srv.Events(annEmail)[0].Status; st != "cancelled" {
		t.Errorf("event status %v after delete, want cancelled", st)
	}
	if err := p.DeleteEvent(ctx, f.account(), annEmail, id); err != nil {
		t.Errorf("delete of a deleted event (410): %v, want nil", err)
	}
	if err := p.DeleteEvent(ctx, f.account(), annEmail, "neverexisted0"); err != nil {
		t.Errorf("delete of a missing event (404): %v, want nil", err)
	}

	f.srv.Fail("events.delete", 4, gErr(500, "global", "backendError"))
	err = p.DeleteEvent(ctx, f.account(), annEmail, id)
	if e := googleErr(t, err); e.Status != 500 || e.Op != "events.delete" {
		t.Errorf("delete against a failing server: %v, want events.delete status 500", err)
	}
}

// TestDeleteDraftEvent: the event PutEvent wrote for a draft is deleted by
// the draft's key alone; other events stay; no event is no error.
func TestDeleteDraftEvent(t *testing.T) {
	f := newFixture(t)
	p, ctx, draft := f.provider(), testContext(t), bookingDraft()
	other := draft
	other.Key = "booking-01JB7R"
	if _, err := p.PutEvent(ctx, f.account(), annEmail, draft); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PutEvent(ctx, f.account(), annEmail, other); err != nil {
		t.Fatal(err)
	}
	own := f.srv.AddEvent(annEmail, busyEvent(draft.Start, draft.End))

	if err := p.DeleteDraftEvent(ctx, f.account(), annEmail, draft); err != nil {
		t.Fatalf("DeleteDraftEvent: %v", err)
	}
	status := map[string]string{}
	for _, e := range f.srv.Events(annEmail) {
		status[e.ID] = e.Status
	}
	want := map[string]string{EventID(draft.Key): "cancelled", EventID(other.Key): "confirmed", own: "confirmed"}
	if !maps.Equal(status, want) {
		t.Errorf("event statuses %v, want %v", status, want)
	}
	if err := p.DeleteDraftEvent(ctx, f.account(), annEmail, draft); err != nil {
		t.Errorf("DeleteDraftEvent again (410): %v, want nil", err)
	}
	never := draft
	never.Key = "booking-never-written"
	if err := p.DeleteDraftEvent(ctx, f.account(), annEmail, never); err != nil {
		t.Errorf("DeleteDraftEvent of a draft never written (404): %v, want nil", err)
	}
}

func TestAuthCodeURL(t *testing.T) {
	f := newFixture(t)
	u, err := url.Parse(f.provider().AuthCodeURL("state-xyz"))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	want := map[string]string{
		"client_id":     googletest.ClientID,
		"redirect_uri":  redirectURL,
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
	if u.Path != "/o/oauth2/auth" {
		t.Errorf("path %q, want the configured AuthURL", u.Path)
	}
}

// consent follows authURL as the user's browser would, the consent
// approved, and returns the query of the redirect to slotbook's callback.
func consent(t *testing.T, f *fixture, authURL string) url.Values {
	t.Helper()
	client := f.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Get(authURL)
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

func TestExchange(t *testing.T) {
	t.Run("returns the refresh token", func(t *testing.T) {
		f := newFixture(t)
		p := f.provider()
		back := consent(t, f, p.AuthCodeURL("st"))
		if back.Get("state") != "st" {
			t.Errorf("state %q, want st", back.Get("state"))
		}
		got, err := p.Exchange(testContext(t), back.Get("code"))
		if err != nil || !strings.Contains(got, googletest.TokenMarker) {
			t.Fatalf("Exchange = %q, %v; want the refresh token", got, err)
		}
		form := f.srv.TokenRequests()[0]
		if form.Get("grant_type") != "authorization_code" || form.Get("code") != back.Get("code") ||
			form.Get("client_secret") != googletest.ClientSecret || form.Get("redirect_uri") != redirectURL {
			t.Errorf("token form %v", form)
		}
		cals, err := p.Calendars(testContext(t), slotbook.Account{Secret: got})
		if err != nil || len(cals) != 1 || cals[0].Owner != annEmail {
			t.Errorf("Calendars with the new refresh token = %+v, %v; want Ann's primary, owned by %s", cals, err, annEmail)
		}
	})
	t.Run("an answer without refresh token is an error", func(t *testing.T) {
		f := newFixture(t)
		p := f.provider()
		// Without access_type=offline Google issues no refresh token.
		u, _ := url.Parse(p.AuthCodeURL("st"))
		q := u.Query()
		q.Del("access_type")
		u.RawQuery = q.Encode()
		_, err := p.Exchange(testContext(t), consent(t, f, u.String()).Get("code"))
		if err == nil {
			t.Fatal("Exchange succeeded, want an error")
		}
		assertClean(t, err)
	})
	t.Run("a refused code is an error, not refused credentials", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.provider().Exchange(testContext(t), "4/0A-"+googletest.TokenMarker+"-unknown")
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
		f := newFixture(t)
		p := f.provider()
		code := consent(t, f, p.AuthCodeURL("st")).Get("code")
		f.srv.FailToken(1, googletest.Failure{Status: 503})
		if _, err := p.Exchange(testContext(t), code); err == nil {
			t.Fatal("Exchange succeeded, want an error")
		}
		if n := len(f.srv.TokenRequests()); n != 1 {
			t.Errorf("%d token requests, want 1", n)
		}
	})
}

// TestErrorsCarryNoContent drives every operation into failures whose
// answers quote titles, descriptions and tokens, and checks that none of
// it reaches the error.
func TestErrorsCarryNoContent(t *testing.T) {
	leaky := []googletest.Failure{
		gErr(500, "global", "backendError"),
		{Status: 502, Body: "<html>" + markTitle + markDesc + googletest.TokenMarker + "</html>"},
		{Status: 400, Body: `{"error":{"code":400,"message":"` + markTitle + `","errors":[{"reason":"` + markDesc + `"}]}}`},
		{Status: 200, Body: `{"items":[{"summary":"` + markTitle + `","start":{"dateTime":"` + markDesc + `"}`},
		{Status: 200, Body: `{"items":[{"summary":"` + markTitle + `","start":{"dateTime":"` + markDesc + `"},"end":{"dateTime":"x"}}]}`},
	}
	ops := []struct {
		op   string
		call func(f *fixture, p *Provider, ctx context.Context) error
	}{
		{"calendarList.list", func(f *fixture, p *Provider, ctx context.Context) error {
			_, err := p.Calendars(ctx, f.account())
			return err
		}},
		{"freebusy.query", func(f *fixture, p *Provider, ctx context.Context) error {
			r, err := oneBusy(t, ctx, f, p)
			if err == nil && len(r) == 1 {
				err = r[0].Err
			}
			return err
		}},
		{"events.list", func(f *fixture, p *Provider, ctx context.Context) error {
			_, err := p.Events(ctx, f.account(), annEmail, day, day.AddDate(0, 0, 1))
			return err
		}},
		{"events.insert", func(f *fixture, p *Provider, ctx context.Context) error {
			_, err := p.PutEvent(ctx, f.account(), annEmail, bookingDraft())
			return err
		}},
		{"events.delete", func(f *fixture, p *Provider, ctx context.Context) error {
			return p.DeleteEvent(ctx, f.account(), annEmail, "abcde12345")
		}},
	}
	for _, o := range ops {
		for i, answer := range leaky {
			t.Run(fmt.Sprintf("%s/answer%d", o.op, i), func(t *testing.T) {
				f := newFixture(t)
				p := f.provider()
				p.backoff.Retries = 0
				f.srv.Fail(o.op, 1, answer)
				err := o.call(f, p, testContext(t))
				if err == nil && answer.Status != 200 {
					t.Fatalf("call succeeded against status %d", answer.Status)
				}
				assertClean(t, err)
			})
		}
		t.Run(o.op+"/token error", func(t *testing.T) {
			f := newFixture(t)
			f.srv.FailToken(1, googletest.Failure{Status: 400, Body: `{"error":"invalid_grant","error_description":"` + f.ann.RefreshToken + markDeadRT + `"}`})
			err := o.call(f, f.provider(), testContext(t))
			if !errors.Is(err, slotbook.ErrCalendarAuth) {
				t.Errorf("error %v, want ErrCalendarAuth", err)
			}
			assertClean(t, err)
		})
	}
}
