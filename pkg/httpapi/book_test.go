package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
	"github.com/slotbook/slotbook/pkg/store/inmem"
)

// eachStore runs test on the in-memory store and on DynamoDB Local.
func eachStore(t *testing.T, test func(t *testing.T, store func() slotbook.Store)) {
	t.Run("memory", func(t *testing.T) { test(t, func() slotbook.Store { return inmem.New() }) })
	t.Run("dynamodb", func(t *testing.T) { test(t, func() slotbook.Store { return dynamotest.NewStore(t) }) })
}

// calendarOf is the password of ana's default calendar in bookingEnv.
const calendarOf = "cal-pass"

// bookingEnv is a server over store whose employee ana has a default
// calendar: a calendartest account reached as a CalDAV connection.
func bookingEnv(t *testing.T, store slotbook.Store) (*env, *calendartest.Provider, string) {
	t.Helper()
	fake := calendartest.New()
	e := newEnvOn(t, store, slotbook.WithProviders(map[slotbook.Provider]slotbook.CalendarProvider{slotbook.CalDAV: fake, slotbook.ICS: fake}),
		slotbook.WithCalendarDeadline(500*time.Millisecond), slotbook.WithDashboardURL("https://app.acme.example/dashboard/"))
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	fake.Add(calendarOf, "ana")
	var k connectionAnswer
	e.must(201, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{
		"provider": "caldav", "url": "https://dav.example/", "username": "ana", "password": calendarOf,
	}).Decode(t, &k)
	if !k.IsDefault {
		t.Fatalf("ana's calendar is not her default: %+v", k)
	}
	return e, fake, admin
}

// events returns the events in ana's default calendar.
func events(fake *calendartest.Provider) map[string]slotbook.EventDraft {
	return fake.WrittenTo(calendarOf)
}

type confirmation struct {
	ID, Service, Employee, Start, End, Status, CancelToken string
}

func bookingBody(start string) map[string]any {
	return map[string]any{
		"service": "consult", "employee": "ana", "start": start,
		"customer": map[string]any{"name": "Chris Client", "email": "chris@client.example", "phone": "+41 44 123 45 67"},
		"notes":    "first visit",
	}
}

const slotsOfMonday = "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-22"

func (e *env) starts() []string {
	e.t.Helper()
	var got slotsAnswer
	e.must(200, "GET", slotsOfMonday, "", nil).Decode(e.t, &got)
	return starts(got)
}

func TestBookAndCancel(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e, cal, admin := bookingEnv(t, store())
		if got := e.starts(); len(got) != 5 {
			t.Fatalf("free starts before = %v", got)
		}

		r := e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00"))
		var c confirmation
		r.Decode(t, &c)
		if c.Status != "confirmed" || c.Start != "2027-03-22T10:00:00+01:00" || c.End != "2027-03-22T11:00:00+01:00" || len(c.CancelToken) != 43 {
			t.Errorf("confirmation = %+v", c)
		}
		if r.Header.Get("Location") != "/v1/companies/acme/bookings/"+c.ID || r.Header.Get("Idempotent-Replayed") != "" {
			t.Errorf("headers = %v", r.Header)
		}
		if n := len(events(cal)); n != 1 {
			t.Errorf("%d calendar events, want 1", n)
		}
		if ev := events(cal)["ev-"+c.ID]; ev.Title != "Consultation – Chris Client" || !strings.Contains(ev.Description, "chris@client.example") ||
			!ev.Start.Equal(mustTime(t, c.Start)) || ev.TimeZone != "Europe/Zurich" {
			t.Errorf("calendar event = %+v", ev)
		}
		// 09:30 and 10:30 overlap the booking; 09:00 and 11:00 stay free.
		if got, want := e.starts(), []string{"2027-03-22T09:00:00+01:00", "2027-03-22T11:00:00+01:00"}; !slices.Equal(got, want) {
			t.Errorf("free starts after booking = %v, want %v", got, want)
		}

		var list struct{ Bookings []map[string]any }
		e.must(200, "GET", "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-22", admin, nil).Decode(t, &list)
		if len(list.Bookings) != 1 || list.Bookings[0]["id"] != c.ID || list.Bookings[0]["status"] != "confirmed" ||
			list.Bookings[0]["customer"].(map[string]any)["email"] != "chris@client.example" {
			t.Errorf("bookings = %+v", list.Bookings)
		}
		if strings.Contains(fmt.Sprint(list), c.CancelToken) {
			t.Error("the list shows the cancel token")
		}

		wrong := e.client.Do(apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/" + c.ID,
			Header: http.Header{"X-Cancel-Token": {strings.Repeat("A", 43)}}})
		if wrong.Status != 403 {
			t.Errorf("wrong token: %d", wrong.Status)
		}
		cancel := apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/" + c.ID,
			Header: http.Header{"X-Cancel-Token": {c.CancelToken}}}
		if r := e.client.Do(cancel); r.Status != 204 || len(r.Body) != 0 {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		// Cancelling a cancelled booking is an error that says so.
		if r := e.client.Do(cancel); r.Status != 409 || r.Problem(t).Code != "booking_cancelled" {
			t.Errorf("cancel twice: %d %s", r.Status, r.Body)
		}
		if n := len(events(cal)); n != 0 {
			t.Errorf("%d calendar events after cancel, want 0", n)
		}
		if got := e.starts(); len(got) != 5 {
			t.Errorf("free starts after cancel = %v, want all 5 again", got)
		}
		e.must(200, "GET", "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-22", admin, nil).Decode(t, &list)
		if len(list.Bookings) != 1 || list.Bookings[0]["status"] != "cancelled" {
			t.Errorf("bookings after cancel = %+v", list.Bookings)
		}
		missing := e.client.Do(apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/nosuchbooking",
			Header: http.Header{"X-Cancel-Token": {c.CancelToken}}})
		if missing.Status != 404 {
			t.Errorf("cancel an unknown booking: %d", missing.Status)
		}
	})
}

func TestDashboardCancelsAndListsByRole(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "bob", "name": "Bob"})
	var c confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T09:00:00+01:00")).Decode(t, &c)
	ana, bob := token(t, "ana", "acme", slotbook.RoleStaff), token(t, "bob", "acme", slotbook.RoleStaff)
	support := token(t, "help", "", slotbook.RoleSupport)
	const list = "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-28"

	count := func(tok string, path string) int {
		var l struct{ Bookings []any }
		e.must(200, "GET", path, tok, nil).Decode(t, &l)
		return len(l.Bookings)
	}
	if n := count(ana, list); n != 1 {
		t.Errorf("ana sees %d bookings, want her 1", n)
	}
	if n := count(bob, list); n != 0 {
		t.Errorf("bob sees %d bookings, want none of ana's", n)
	}
	e.must(403, "GET", list+"&employee=ana", bob, nil)
	e.must(403, "GET", list, support, nil) // supportAccess is off
	e.client.Do(apitest.Request{Method: "GET", Path: list, BadRequest: true})
	if r := e.client.Do(apitest.Request{Method: "GET", Path: list, BadRequest: true}); r.Status != 401 {
		t.Errorf("list without a token: %d", r.Status)
	}
	e.must(400, "GET", "/v1/companies/acme/bookings?from=2027-03-01&to=2027-05-02", admin, nil)

	e.must(403, "DELETE", "/v1/companies/acme/bookings/"+c.ID, bob, nil)
	if r := e.client.Do(apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/" + c.ID}); r.Status != 401 {
		t.Errorf("cancel with neither token nor JWT: %d", r.Status)
	}
	e.must(204, "DELETE", "/v1/companies/acme/bookings/"+c.ID, ana, nil)
}

// TestConcurrentBookingsOneWinner races requests for one slot and for two
// overlapping starts: exactly one of each race is booked.
func TestConcurrentBookingsOneWinner(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e, cal, admin := bookingEnv(t, store())
		race := func(starts ...string) map[int]int {
			statuses := map[int]int{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			gate := make(chan struct{})
			n := map[int]int{1: 50, 2: 20}[len(starts)]
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-gate
					body := bookingBody(starts[i%len(starts)])
					body["customer"].(map[string]any)["name"] = fmt.Sprintf("Customer %d", i)
					r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: body})
					if r.Status == 409 && r.Problem(t).Code != "slot_taken" {
						t.Errorf("409 with code %q", r.Problem(t).Code)
					}
					mu.Lock()
					statuses[r.Status]++
					mu.Unlock()
				}()
			}
			close(gate)
			wg.Wait()
			return statuses
		}
		if got := race("2027-03-22T10:00:00+01:00"); got[201] != 1 || got[409] != 49 {
			t.Errorf("50 requests for one slot: statuses %v, want one 201 and 49 409", got)
		}
		// 09:00–10:00 and 09:30–10:30 overlap; 10:00 is taken already, so
		// the other requests of this race want 09:00 and 09:30... which
		// overlap each other but not 10:00–11:00? 09:30–10:30 does: only
		// 09:00 can win.
		if got := race("2027-03-22T09:00:00+01:00", "2027-03-22T09:30:00+01:00"); got[201] != 1 || got[409] != 19 {
			t.Errorf("20 requests for overlapping starts: statuses %v, want one 201 and 19 409", got)
		}
		var list struct {
			Bookings []struct{ Start, Status string }
		}
		e.must(200, "GET", "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-22", admin, nil).Decode(t, &list)
		if len(list.Bookings) != 2 || list.Bookings[0].Start != "2027-03-22T09:00:00+01:00" || list.Bookings[1].Start != "2027-03-22T10:00:00+01:00" {
			t.Errorf("bookings = %+v, want 09:00 and 10:00", list.Bookings)
		}
		if n := len(events(cal)); n != 2 {
			t.Errorf("%d calendar events, want 2", n)
		}
	})
}

// TestOverlappingStartsRace races two starts that overlap each other only.
func TestOverlappingStartsRace(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e := newEnvOn(t, store())
		admin := token(t, "boss", "acme", slotbook.RoleAdmin)
		e.seed(admin)
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[string]int{}
		gate := make(chan struct{})
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				start := []string{"2027-03-22T10:00:00+01:00", "2027-03-22T10:30:00+01:00"}[i%2]
				r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody(start)})
				mu.Lock()
				defer mu.Unlock()
				won[fmt.Sprint(r.Status)]++
			}()
		}
		close(gate)
		wg.Wait()
		if won["201"] != 1 || won["409"] != 19 {
			t.Errorf("statuses %v, want one 201 and 19 409", won)
		}
	})
}

func TestIdempotencyKey(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e, cal, admin := bookingEnv(t, store())
		post := func(key string, body any) *apitest.Response {
			return e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: body,
				Header: http.Header{"Idempotency-Key": {key}}})
		}
		first := post("order-17", bookingBody("2027-03-22T10:00:00+01:00"))
		if first.Status != 201 {
			t.Fatalf("first: %d %s", first.Status, first.Body)
		}
		again := post("order-17", bookingBody("2027-03-22T10:00:00+01:00"))
		if again.Status != 201 || string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay: %d %s %v; want the first answer %s", again.Status, again.Body, again.Header, first.Body)
		}
		other := post("order-17", bookingBody("2027-03-22T11:00:00+01:00"))
		if other.Status != 422 || other.Problem(t).Code != "unprocessable" {
			t.Errorf("same key, other body: %d %s", other.Status, other.Body)
		}
		// Racing retries of one request all get the one booking.
		var wg sync.WaitGroup
		bodies := make([]string, 10)
		for i := range bodies {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := post("order-18", bookingBody("2027-03-22T09:00:00+01:00"))
				bodies[i] = fmt.Sprint(r.Status, " ", strings.TrimSpace(string(r.Body)))
			}()
		}
		wg.Wait()
		for _, b := range bodies[1:] {
			if b != bodies[0] || !strings.HasPrefix(b, "201 ") {
				t.Fatalf("racing retries answered differently:\n%s", strings.Join(bodies, "\n"))
			}
		}
		var list struct{ Bookings []any }
		e.must(200, "GET", "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-22", admin, nil).Decode(t, &list)
		if len(list.Bookings) != 2 || len(events(cal)) != 2 {
			t.Errorf("%d bookings and %d events, want 2 of each", len(list.Bookings), len(events(cal)))
		}
		bad := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", BadRequest: true,
			Body: bookingBody("2027-03-22T11:00:00+01:00"), Header: http.Header{"Idempotency-Key": {"has space"}}})
		if bad.Status != 400 || !slices.Contains(bad.Problem(t).Fields(), "Idempotency-Key") {
			t.Errorf("bad key: %d %s", bad.Status, bad.Body)
		}
	})
}

// TestCalendarFailureBooksNothing: if the event cannot be written, the
// answer is 503, the time stays free, no event is left, and a retry with
// the key books once the calendar is back.
func TestCalendarFailureBooksNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e, cal, admin := bookingEnv(t, store())
		cal.Set(func(p *calendartest.Provider) {
			p.BeforeWrite = func(m string) error {
				if m == "PutEvent" {
					return errors.New("caldav: write event: HTTP 500")
				}
				return nil
			}
		})
		req := apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T10:00:00+01:00"),
			Header: http.Header{"Idempotency-Key": {"k-503"}}}
		r := e.client.Do(req)
		if r.Status != 503 || r.Problem(t).Code != "unavailable" || strings.Contains(string(r.Body), "caldav") {
			t.Errorf("calendar down: %d %s", r.Status, r.Body)
		}
		if got := e.starts(); len(got) != 5 {
			t.Errorf("free starts after a failed booking = %v, want all 5", got)
		}
		var list struct{ Bookings []any }
		e.must(200, "GET", "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-22", admin, nil).Decode(t, &list)
		if len(list.Bookings) != 0 {
			t.Errorf("a failed booking is listed: %+v", list.Bookings)
		}
		cal.Set(func(p *calendartest.Provider) { p.BeforeWrite = nil })
		if r := e.client.Do(req); r.Status != 201 || len(events(cal)) != 1 {
			t.Errorf("retry with the key once the calendar is back: %d %s, %d events", r.Status, r.Body, len(events(cal)))
		}
	})
}

// TestLostWriteAnswerLeavesNoEvent: the calendar wrote the event but its
// answer was lost. The booking is released and the event removed by its
// key, though its id never arrived; if the removal fails too, it waits
// for the sweeper, and a retry with the key books under the same id once
// the calendar works.
func TestLostWriteAnswerLeavesNoEvent(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e, cal, admin := bookingEnv(t, store())
		cal.Set(func(p *calendartest.Provider) { p.AfterPut = func() error { return context.DeadlineExceeded } })
		r := e.do("POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00"))
		if r.Status != 503 {
			t.Fatalf("lost answer: %d %s", r.Status, r.Body)
		}
		if n := len(events(cal)); n != 0 {
			t.Errorf("%d events left behind, want 0", n)
		}
		if got := e.starts(); len(got) != 5 {
			t.Errorf("free starts = %v, want all 5", got)
		}

		// Now the removal fails as well: the event stays for the sweeper.
		cal.Set(func(p *calendartest.Provider) {
			p.BeforeWrite = func(m string) error {
				if m != "PutEvent" {
					return errors.New("HTTP 503")
				}
				return nil
			}
		})
		req := apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T10:00:00+01:00"),
			Header: http.Header{"Idempotency-Key": {"k-lost"}}}
		if r := e.client.Do(req); r.Status != 503 {
			t.Fatalf("lost answer, failed removal: %d %s", r.Status, r.Body)
		}
		if n := len(events(cal)); n != 1 {
			t.Fatalf("%d events, want the one that could not be removed", n)
		}
		var list struct{ Calendars []connectionAnswer }
		e.must(200, "GET", "/v1/companies/acme/employees/ana/calendars", admin, nil).Decode(t, &list)
		if len(list.Calendars) != 1 || list.Calendars[0].PendingRemovals != 1 {
			t.Errorf("calendars = %+v, want one pending removal shown", list.Calendars)
		}
		// The calendar works again; a retry with the key removes the old
		// event first and books under the first booking's id.
		cal.Set(func(p *calendartest.Provider) { p.BeforeWrite, p.AfterPut = nil, nil })
		r = e.client.Do(req)
		var c confirmation
		r.Decode(t, &c)
		if r.Status != 201 || c.Status != "confirmed" {
			t.Fatalf("retry: %d %s", r.Status, r.Body)
		}
		evs := events(cal)
		if len(evs) != 1 {
			t.Fatalf("events after the retry = %v, want exactly one", evs)
		}
		for id := range evs {
			if !strings.HasPrefix(id, "ev-"+c.ID+".") {
				t.Errorf("event %s is not the retried booking's (%s) under a new key", id, c.ID)
			}
		}
		e.must(200, "GET", "/v1/companies/acme/employees/ana/calendars", admin, nil).Decode(t, &list)
		if list.Calendars[0].PendingRemovals != 0 {
			t.Errorf("pending removals after the retry: %+v", list.Calendars)
		}
	})
}

// TestRetryCompletesABookingWhoseRequestDied kills a booking request
// between claiming the time and writing the calendar event, as a crash
// would; a retry with the same Idempotency-Key completes it. After the
// claim was abandoned, a retry still books once, under the same id.
func TestRetryCompletesABookingWhoseRequestDied(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		for _, late := range []bool{false, true} {
			t.Run(map[bool]string{false: "within the claim", true: "after it was abandoned"}[late], func(t *testing.T) {
				e, cal, admin := bookingEnv(t, store())
				key := fmt.Sprintf("k-crash-%v", late)
				req := apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T10:00:00+01:00"),
					Header: http.Header{"Idempotency-Key": {key}}}
				died := make(chan struct{})
				cal.Set(func(p *calendartest.Provider) {
					p.BeforeWrite = func(string) error { close(died); runtime.Goexit(); return nil } // dies here, once
				})
				go func() {
					r, _ := http.NewRequest("POST", req.Path, strings.NewReader(mustJSON(t, req.Body)))
					r.Header.Set("Content-Type", "application/json")
					r.Header.Set("Idempotency-Key", key)
					e.h.ServeHTTP(newDiscardWriter(), r)
				}()
				<-died
				cal.Set(func(p *calendartest.Provider) { p.BeforeWrite = nil })

				// The claim holds the time while its request may still come back…
				if got := e.starts(); slices.Contains(got, "2027-03-22T10:00:00+01:00") {
					t.Errorf("the claimed time is offered: %v", got)
				}
				if late {
					e.advance(slotbook.PendingTimeout + time.Second)
				}
				// …and the retry finishes the booking instead of booking again.
				r := e.client.Do(req)
				if r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
					t.Fatalf("retry: %d %s", r.Status, r.Body)
				}
				var list struct{ Bookings []struct{ ID, Status string } }
				e.must(200, "GET", "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-22", admin, nil).Decode(t, &list)
				if len(list.Bookings) != 1 || list.Bookings[0].Status != "confirmed" || len(events(cal)) != 1 {
					t.Errorf("bookings %+v, %d events; want one confirmed booking with its event", list.Bookings, len(events(cal)))
				}
			})
		}
	})
}

// TestReplayAfterCancelSaysCancelled: a replayed Idempotency-Key answers
// the first status code with the booking as it is now.
func TestReplayAfterCancelSaysCancelled(t *testing.T) {
	e, _, _ := bookingEnv(t, inmem.New())
	req := apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T10:00:00+01:00"),
		Header: http.Header{"Idempotency-Key": {"k-replay"}}}
	var c confirmation
	e.client.Do(req).Decode(t, &c)
	e.client.Do(apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/" + c.ID, Header: http.Header{"X-Cancel-Token": {c.CancelToken}}})
	r := e.client.Do(req)
	var again confirmation
	r.Decode(t, &again)
	if r.Status != 201 || again.ID != c.ID || again.Status != "cancelled" || again.CancelToken != c.CancelToken || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay after cancel: %d %s", r.Status, r.Body)
	}
}

func TestBookingBadInput(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "bob", "name": "Bob"})
	with := func(k string, v any) map[string]any {
		b := bookingBody("2027-03-22T10:00:00+01:00")
		if strings.HasPrefix(k, "customer.") {
			c := b["customer"].(map[string]any)
			if v == nil {
				delete(c, k[9:])
			} else {
				c[k[9:]] = v
			}
			return b
		}
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"no customer", with("customer", nil), 400, "customer"},
		{"no customer name", with("customer.name", nil), 400, "customer.name"},
		{"no e-mail", with("customer.email", nil), 400, "customer.email"},
		{"bad e-mail", with("customer.email", "chris@"), 400, "customer.email"},
		{"e-mail with a display name", with("customer.email", "Chris <chris@client.example>"), 400, "customer.email"},
		{"phone with letters", with("customer.phone", "call me"), 400, "customer.phone"},
		{"notes too long", with("notes", strings.Repeat("n", 2001)), 400, "notes"},
		{"start without offset", with("start", "2027-03-22T10:00:00"), 400, "start"},
		{"no start", with("start", nil), 400, "start"},
		{"unknown field", with("coupon", "FREE"), 400, "coupon"},
		{"customer unknown field", with("customer.age", 40), 400, "customer.age"},
		{"unknown service", with("service", "nope"), 404, ""},
		{"employee who does not offer it", with("employee", "bob"), 404, ""},
		{"bad employee id", with("employee", "a#b"), 400, "employee"},
		{"off the grid", with("start", "2027-03-22T10:10:00+01:00"), 409, ""},
		{"outside working hours", with("start", "2027-03-22T18:00:00+01:00"), 409, ""},
		{"in the past", with("start", "2027-03-15T10:00:00+01:00"), 409, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: c.body, BadRequest: true})
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if p := r.Problem(t); c.field != "" && !slices.Contains(p.Fields(), c.field) {
				t.Errorf("problem blames %v, want %s", p.Fields(), c.field)
			}
		})
	}
	var list struct{ Bookings []any }
	e.must(200, "GET", "/v1/companies/acme/bookings?from=2027-03-01&to=2027-03-31", admin, nil).Decode(t, &list)
	if len(list.Bookings) != 0 {
		t.Errorf("bad input booked %+v", list.Bookings)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// discardWriter is a ResponseWriter that forgets what it is told.
type discardWriter struct{ h http.Header }

func newDiscardWriter() *discardWriter               { return &discardWriter{h: http.Header{}} }
func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// TestCancelNoticeForCustomers: with cancelNoticeMinutes, the cancel token
// is refused inside the notice (409 too_late) and the booking stands; an
// admin still cancels (204).
func TestCancelNoticeForCustomers(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(200, "PUT", "/v1/companies/acme/settings", admin, settingsBody{
		"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30, "minNoticeMinutes": 0, "horizonDays": 60,
		"supportAccess": false, "cancelNoticeMinutes": 180, "maxCustomerReschedules": 2,
	})
	var s struct{ CancelNoticeMinutes, MaxCustomerReschedules int }
	e.must(200, "GET", "/v1/companies/acme/settings", admin, nil).Decode(t, &s)
	if s.CancelNoticeMinutes != 180 || s.MaxCustomerReschedules != 2 {
		t.Errorf("settings %+v", s)
	}
	var c confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00")).Decode(t, &c)
	r := e.client.Do(apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/" + c.ID,
		Header: http.Header{"X-Cancel-Token": {c.CancelToken}}})
	if r.Status != 409 || r.Problem(t).Code != "too_late" {
		t.Fatalf("cancel 2 hours ahead with a 3-hour notice: %d %s", r.Status, r.Body)
	}
	var b struct{ Status string }
	e.must(200, "GET", "/v1/companies/acme/bookings/"+c.ID, admin, nil).Decode(t, &b)
	if b.Status != "confirmed" {
		t.Errorf("after the refused cancel: %s", b.Status)
	}
	e.must(204, "DELETE", "/v1/companies/acme/bookings/"+c.ID, admin, nil)
}

// TestAnyEmployee: slots for employee=any come once per start without a
// name; a booking without an employee (or with "any") is 201 and names the
// employee the server chose.
func TestAnyEmployee(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "ben", "name": "Ben"})
	e.must(200, "PUT", "/v1/companies/acme/employees/ben/availability", admin, map[string]any{
		"weekly": []map[string]string{{"weekday": "monday", "start": "09:00", "end": "12:00"}},
	})
	e.must(200, "PUT", "/v1/companies/acme/services/consult", admin, map[string]any{"name": "Consultation", "durationMinutes": 60, "employees": []string{"ana", "ben"}})
	var got struct {
		Slots []map[string]any
	}
	e.must(200, "GET", slotsOfMonday+"&employee=any", "", nil).Decode(t, &got)
	seen := map[any]bool{}
	for _, s := range got.Slots {
		if _, named := s["employee"]; named || seen[s["start"]] {
			t.Fatalf("any-slot %v named or listed twice", s)
		}
		seen[s["start"]] = true
	}
	body := bookingBody("2027-03-22T09:00:00+01:00")
	delete(body, "employee")
	var first, second confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", body).Decode(t, &first)
	body["employee"] = "any"
	e.must(201, "POST", "/v1/companies/acme/bookings", "", body).Decode(t, &second)
	if first.Employee == "" || second.Employee == "" || first.Employee == second.Employee {
		t.Errorf("two any-bookings of 09:00 went to %q and %q, want ana and ben", first.Employee, second.Employee)
	}
	if r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: body}); r.Status != 409 || r.Problem(t).Code != "slot_taken" {
		t.Errorf("a third: %d %s", r.Status, r.Body)
	}
}

// TestRacingAnyBookings: 20 concurrent "any" bookings of one start with 3
// employees free → exactly 3 succeed, one per employee; 17 get 409, on
// both stores.
func TestRacingAnyBookings(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e := newEnvOn(t, store())
		admin := token(t, "boss", "acme", slotbook.RoleAdmin)
		e.seed(admin)
		for _, id := range []string{"ben", "cy"} {
			e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": id, "name": id})
			e.must(200, "PUT", "/v1/companies/acme/employees/"+id+"/availability", admin, map[string]any{
				"weekly": []map[string]string{{"weekday": "monday", "start": "09:00", "end": "12:00"}},
			})
		}
		e.must(200, "PUT", "/v1/companies/acme/services/consult", admin, map[string]any{"name": "Consultation", "durationMinutes": 60, "employees": []string{"ana", "ben", "cy"}})
		body := bookingBody("2027-03-22T10:00:00+01:00")
		body["employee"] = "any"
		var mu sync.Mutex
		won, lost := map[string]int{}, 0
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: body})
				mu.Lock()
				defer mu.Unlock()
				switch r.Status {
				case 201:
					var c confirmation
					r.Decode(t, &c)
					won[c.Employee]++
				case 409:
					lost++
				default:
					t.Errorf("status %d: %s", r.Status, r.Body)
				}
			})
		}
		wg.Wait()
		if len(won) != 3 || won["ana"]+won["ben"]+won["cy"] != 3 || lost != 17 {
			t.Errorf("201 for %v, %d × 409; want ana, ben, cy once each and 17 × 409", won, lost)
		}
	})
}
