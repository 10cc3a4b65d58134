package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// movedBooking is the part of a Booking answer the reschedule tests read.
type movedBooking struct {
	ID, Employee, Start, End, Status string
	RescheduleCount                  int
	Notifications                    []struct{ ID, Kind, To, State, Due string }
}

// reschedule moves booking id with the cancel token (tok empty: as the
// signed-in caller of bearer).
func (e *env) reschedule(id, cancelToken, bearer string, body map[string]any) *apitest.Response {
	e.t.Helper()
	h := http.Header{}
	if cancelToken != "" {
		h.Set("X-Cancel-Token", cancelToken)
	}
	return e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings/" + id + "/reschedule", Token: bearer, Header: h, Body: body})
}

func (e *env) booking(admin, id string) movedBooking {
	e.t.Helper()
	var b movedBooking
	e.must(200, "GET", "/v1/companies/acme/bookings/"+id, admin, nil).Decode(e.t, &b)
	return b
}

// TestRescheduleOverItsOwnTime: a move by half an hour overlaps the
// booking's own time and succeeds; the slots for the move offer those
// times, the plain slots do not; a move into a taken time is 409 and
// changes nothing; the mails follow with SEQUENCE 1 and the reminder moves.
func TestRescheduleOverItsOwnTime(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e := newEnvOn(t, store())
		admin := token(t, "boss", "acme", slotbook.RoleAdmin)
		e.seed(admin)
		e.must(200, "PUT", "/v1/companies/acme/settings", admin, settingsBody{
			"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30, "minNoticeMinutes": 0, "horizonDays": 60,
			"supportAccess": false, "reminderMinutesBefore": 60,
		})
		var c, other confirmation
		e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00")).Decode(t, &c)
		e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T11:00:00+01:00")).Decode(t, &other)

		// The slots a move may take: its own time counts as free.
		var plain, forMove slotsAnswer
		e.must(200, "GET", slotsOfMonday, "", nil).Decode(t, &plain)
		r := e.client.Do(apitest.Request{Method: "GET", Path: slotsOfMonday + "&booking=" + c.ID, Header: http.Header{"X-Cancel-Token": {c.CancelToken}}})
		if r.Status != 200 {
			t.Fatalf("slots for the move: %d %s", r.Status, r.Body)
		}
		r.Decode(t, &forMove)
		if slices.Contains(starts(plain), "2027-03-22T09:30:00+01:00") || !slices.Contains(starts(forMove), "2027-03-22T09:30:00+01:00") ||
			!slices.Contains(starts(forMove), "2027-03-22T10:00:00+01:00") || slices.Contains(starts(forMove), "2027-03-22T11:00:00+01:00") {
			t.Errorf("plain slots %v, slots for the move %v", starts(plain), starts(forMove))
		}
		if r := e.client.Do(apitest.Request{Method: "GET", Path: slotsOfMonday + "&booking=" + c.ID, Header: http.Header{"X-Cancel-Token": {other.CancelToken}}}); r.Status != 403 {
			t.Errorf("slots for the move with another booking's token: %d", r.Status)
		}
		if r := e.client.Do(apitest.Request{Method: "GET", Path: slotsOfMonday + "&booking=" + c.ID}); r.Status != 400 || !slices.Equal(r.Problem(t).Fields(), []string{"X-Cancel-Token"}) {
			t.Errorf("slots for the move without a token: %d %s", r.Status, r.Body)
		}

		// Half an hour earlier: over its own old time.
		r = e.reschedule(c.ID, c.CancelToken, "", map[string]any{"start": "2027-03-22T09:30:00+01:00"})
		if r.Status != 200 {
			t.Fatalf("move over its own time: %d %s", r.Status, r.Body)
		}
		var moved movedBooking
		r.Decode(t, &moved)
		if moved.ID != c.ID || moved.Start != "2027-03-22T09:30:00+01:00" || moved.End != "2027-03-22T10:30:00+01:00" || moved.RescheduleCount != 1 || moved.Status != "confirmed" {
			t.Errorf("moved: %+v", moved)
		}
		// The new time is taken for others.
		if r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T09:00:00+01:00")}); r.Status != 409 {
			t.Errorf("booking over the moved booking: %d", r.Status)
		}

		// Into a taken time: 409, and nothing changed.
		r = e.reschedule(c.ID, "", admin, map[string]any{"start": "2027-03-22T11:00:00+01:00"})
		if r.Status != 409 || r.Problem(t).Code != "slot_taken" {
			t.Fatalf("move into a taken time: %d %s", r.Status, r.Body)
		}
		after := e.booking(admin, c.ID)
		if after.Start != moved.Start || after.RescheduleCount != 1 || after.Status != "confirmed" {
			t.Errorf("after the refused move: %+v", after)
		}

		// The mails: rescheduled to both at SEQUENCE 1; the reminder is due
		// an hour before the new time.
		ids := map[string]string{}
		for _, n := range after.Notifications {
			ids[n.ID] = n.Kind + "/" + n.Due
		}
		if ids["1-rescheduled-customer"] == "" || ids["1-rescheduled-employee"] == "" ||
			ids["reminder"] != "reminder/2027-03-22T08:30:00+01:00" {
			t.Errorf("notifications %v", ids)
		}

		// Moving to where it is changes nothing.
		r = e.reschedule(c.ID, "", admin, map[string]any{"start": "2027-03-22T09:30:00+01:00", "employee": "ana"})
		if r.Status != 200 || e.booking(admin, c.ID).RescheduleCount != 1 {
			t.Errorf("a move to its own time: %d %s", r.Status, r.Body)
		}
	})
}

// TestRescheduleRules: the customer's deadline and limit, the roles, a
// cancelled booking, another employee, and bad input.
func TestRescheduleRules(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(200, "PUT", "/v1/companies/acme/settings", admin, settingsBody{
		"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30, "minNoticeMinutes": 0, "horizonDays": 60,
		"supportAccess": false, "cancelNoticeMinutes": 60, "maxCustomerReschedules": 1,
	})
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "ben", "name": "Ben"})
	e.must(200, "PUT", "/v1/companies/acme/employees/ben/availability", admin, map[string]any{
		"weekly": []map[string]string{{"weekday": "monday", "start": "09:00", "end": "12:00"}},
	})
	var c confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00")).Decode(t, &c)
	code := func(r *apitest.Response) string {
		if r.Status < 400 {
			return fmt.Sprint(r.Status)
		}
		return fmt.Sprintf("%d %s", r.Status, r.Problem(t).Code)
	}

	// Bad input names the field.
	for _, bad := range []struct {
		field string
		body  map[string]any
	}{
		{"start", map[string]any{"start": "10:00"}},
		{"start", map[string]any{}},
		{"employee", map[string]any{"start": "2027-03-22T11:00:00+01:00", "employee": "any"}},
		{"employee", map[string]any{"start": "2027-03-22T11:00:00+01:00", "employee": "nobody"}},
	} {
		r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings/" + c.ID + "/reschedule",
			Header: http.Header{"X-Cancel-Token": {c.CancelToken}}, Body: bad.body, BadRequest: true})
		if r.Status != 400 || !slices.Equal(r.Problem(t).Fields(), []string{bad.field}) {
			t.Errorf("%v: %d %s", bad.body, r.Status, r.Body)
		}
	}
	// Service not offered by ben: 400 naming employee.
	if r := e.reschedule(c.ID, "", admin, map[string]any{"start": "2027-03-22T11:00:00+01:00", "employee": "ben"}); r.Status != 400 || !slices.Equal(r.Problem(t).Fields(), []string{"employee"}) {
		t.Errorf("to an employee without the service: %d %s", r.Status, r.Body)
	}
	e.must(200, "PUT", "/v1/companies/acme/services/consult", admin, map[string]any{"name": "Consultation", "durationMinutes": 60, "employees": []string{"ana", "ben"}})

	// Roles: staff move their own bookings, to themselves only.
	ana, ben := token(t, "ana", "acme", slotbook.RoleStaff), token(t, "ben", "acme", slotbook.RoleStaff)
	if got := code(e.reschedule(c.ID, "", ben, map[string]any{"start": "2027-03-22T11:00:00+01:00"})); got != "403 forbidden" {
		t.Errorf("a colleague moves it: %s", got)
	}
	if got := code(e.reschedule(c.ID, "", ana, map[string]any{"start": "2027-03-22T11:00:00+01:00", "employee": "ben"})); got != "403 forbidden" {
		t.Errorf("staff moves it to a colleague: %s", got)
	}
	if got := code(e.reschedule(c.ID, "wrong-token", "", map[string]any{"start": "2027-03-22T11:00:00+01:00"})); got != "403 forbidden" {
		t.Errorf("a wrong token: %s", got)
	}
	if got := code(e.reschedule(c.ID, "", "", map[string]any{"start": "2027-03-22T11:00:00+01:00"})); got != "401 unauthorized" {
		t.Errorf("no token: %s", got)
	}

	// The customer moves once; the second is over the limit. An admin's
	// move to ben does not use up the customer's.
	if got := code(e.reschedule(c.ID, c.CancelToken, "", map[string]any{"start": "2027-03-22T11:00:00+01:00"})); got != "200" {
		t.Fatalf("the customer's first move: %s", got)
	}
	if got := code(e.reschedule(c.ID, c.CancelToken, "", map[string]any{"start": "2027-03-22T09:00:00+01:00"})); got != "409 reschedule_limit" {
		t.Errorf("the customer's second move: %s", got)
	}
	if got := code(e.reschedule(c.ID, "", admin, map[string]any{"start": "2027-03-22T09:00:00+01:00", "employee": "ben"})); got != "200" {
		t.Fatalf("the admin moves it to ben: %s", got)
	}
	b := e.booking(admin, c.ID)
	if b.Employee != "ben" || b.Start != "2027-03-22T09:00:00+01:00" || b.RescheduleCount != 2 {
		t.Errorf("after the admin's move: %+v", b)
	}
	// ana is free at 09:00 again; ben's own time moves with staff ben.
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T09:00:00+01:00"))
	// Its customer has used up their moves (2 > 1): staff are not bound by the limit.
	if got := code(e.reschedule(c.ID, "", ben, map[string]any{"start": "2027-03-22T09:30:00+01:00"})); got != "200" {
		t.Errorf("staff ben moves his own booking, over the customer's limit: %s", got)
	}

	// The dashboard's move form asks for the times it could move to with its
	// sign-in instead of the cancel token: its own time (09:30–10:30) does
	// not block 09:00 or 10:00.
	slotsFor := func(tok, query string) (int, []string) {
		r := e.client.Do(apitest.Request{Method: "GET", Path: "/v1/companies/acme/slots?service=consult&employee=ben&from=2027-03-22&to=2027-03-22" + query, Token: tok, BadRequest: true})
		var a slotsAnswer
		if r.Status == 200 {
			r.Decode(t, &a)
		}
		return r.Status, starts(a)
	}
	if st, got := slotsFor(ben, ""); st != 200 || slices.Contains(got, "2027-03-22T09:00:00+01:00") {
		t.Errorf("ben's slots without the booking: %d %v", st, got)
	}
	for _, who := range []struct{ name, tok string }{{"staff ben", ben}, {"the admin", admin}} {
		if st, got := slotsFor(who.tok, "&booking="+c.ID); st != 200 || !slices.Contains(got, "2027-03-22T09:00:00+01:00") || !slices.Contains(got, "2027-03-22T10:00:00+01:00") {
			t.Errorf("%s asks where the booking could move: %d %v", who.name, st, got)
		}
	}
	if st, _ := slotsFor(ana, "&booking="+c.ID); st != 403 {
		t.Errorf("a colleague asks where ben's booking could move: %d", st)
	}
	if st, _ := slotsFor("", "&booking="+c.ID); st != 400 {
		t.Errorf("neither token nor sign-in: %d", st)
	}
	// The bearer is read only for a move: a stale one never breaks the widget's slots.
	if st, _ := slotsFor("not-a-jwt", "&booking="+c.ID); st != 401 {
		t.Errorf("a token that is not valid, for a move: %d", st)
	}
	if st, _ := slotsFor("not-a-jwt", ""); st != 200 {
		t.Errorf("a token that is not valid, without a booking: %d", st)
	}

	// Within the notice (booking at 09:30, now 08:45 in Zurich): too late
	// for the customer, to move or cancel; not for the admin.
	e.advance(45 * 60e9)
	var d confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T11:00:00+01:00")).Decode(t, &d)
	if got := code(e.reschedule(c.ID, c.CancelToken, "", map[string]any{"start": "2027-03-22T10:30:00+01:00"})); got != "409 too_late" {
		t.Errorf("the customer's move inside the notice: %s", got)
	}
	if got := code(e.client.Do(apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/" + c.ID, Header: http.Header{"X-Cancel-Token": {c.CancelToken}}})); got != "409 too_late" {
		t.Errorf("the customer's cancel inside the notice: %s", got)
	}
	if got := code(e.reschedule(d.ID, d.CancelToken, "", map[string]any{"start": "2027-03-22T10:00:00+01:00"})); got != "200" {
		t.Errorf("a customer's move well ahead: %s", got)
	}
	if got := code(e.reschedule(c.ID, "", admin, map[string]any{"start": "2027-03-22T10:30:00+01:00"})); got != "200" {
		t.Errorf("the admin's move inside the notice: %s", got)
	}

	// Staff are not bound by the notice either: ben cancels his own booking
	// at 10:30 at 08:45. A cancelled booking cannot move.
	e.must(204, "DELETE", "/v1/companies/acme/bookings/"+c.ID, ben, nil)
	if got := code(e.reschedule(c.ID, "", admin, map[string]any{"start": "2027-03-22T11:00:00+01:00"})); got != "409 booking_cancelled" {
		t.Errorf("moving a cancelled booking: %s", got)
	}
	// The customer reads the booking with the token, without the mails.
	var own map[string]any
	r := e.client.Do(apitest.Request{Method: "GET", Path: "/v1/companies/acme/bookings/" + d.ID, Header: http.Header{"X-Cancel-Token": {d.CancelToken}}})
	r.Decode(t, &own)
	if r.Status != 200 || own["start"] != "2027-03-22T10:00:00+01:00" || own["rescheduleCount"] != float64(1) || own["notifications"] != nil {
		t.Errorf("the customer's read: %d %v", r.Status, own)
	}
	if r := e.client.Do(apitest.Request{Method: "GET", Path: "/v1/companies/acme/bookings/" + d.ID, Header: http.Header{"X-Cancel-Token": {c.CancelToken}}}); r.Status != 403 {
		t.Errorf("a read with another booking's token: %d", r.Status)
	}
}

// TestRescheduleRaces: 20 bookings move at once into one free time: one
// move succeeds, the others get 409 and keep their times; nothing is lost.
func TestRescheduleRaces(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e := newEnvOn(t, store())
		admin := token(t, "boss", "acme", slotbook.RoleAdmin)
		e.seed(admin)
		weekly := []map[string]string{{"weekday": "monday", "start": "09:00", "end": "12:00"}}
		for _, d := range []string{"tuesday", "wednesday"} {
			weekly = append(weekly, map[string]string{"weekday": d, "start": "08:00", "end": "18:00"})
		}
		e.must(200, "PUT", "/v1/companies/acme/employees/ana/availability", admin, map[string]any{"weekly": weekly})
		var bs []confirmation
		for day := 23; day <= 24; day++ {
			for h := 8; h < 18; h++ {
				var c confirmation
				e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody(fmt.Sprintf("2027-03-%dT%02d:00:00+01:00", day, h))).Decode(t, &c)
				bs = append(bs, c)
			}
		}
		var mu sync.Mutex
		statuses := map[int]int{}
		var winner string
		var wg sync.WaitGroup
		for _, c := range bs {
			wg.Go(func() {
				r := e.reschedule(c.ID, c.CancelToken, "", map[string]any{"start": "2027-03-22T10:00:00+01:00"})
				mu.Lock()
				defer mu.Unlock()
				statuses[r.Status]++
				switch {
				case r.Status == 200:
					winner = c.ID
				case r.Status != 409:
					t.Errorf("status %d: %s", r.Status, r.Body)
				case r.Problem(t).Code != "slot_taken":
					t.Errorf("409 %s", r.Body)
				}
			})
		}
		wg.Wait()
		if statuses[200] != 1 || statuses[409] != 19 {
			t.Fatalf("statuses %v, want one 200 and 19 × 409", statuses)
		}
		var answer struct{ Bookings []movedBooking }
		e.must(200, "GET", "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-28", admin, nil).Decode(t, &answer)
		list := answer.Bookings
		if len(list) != 20 {
			t.Fatalf("%d bookings after the race, want 20", len(list))
		}
		for _, b := range list {
			orig := slices.IndexFunc(bs, func(c confirmation) bool { return c.ID == b.ID })
			switch {
			case orig < 0 || b.Status != "confirmed":
				t.Errorf("booking %+v", b)
			case b.ID == winner && (b.Start != "2027-03-22T10:00:00+01:00" || b.RescheduleCount != 1):
				t.Errorf("the winner: %+v", b)
			case b.ID != winner && (b.Start != bs[orig].Start || b.RescheduleCount != 0):
				t.Errorf("a loser moved: %+v, was at %s", b, bs[orig].Start)
			}
		}
	})
}
