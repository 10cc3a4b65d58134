package httpapi_test

import (
	"context"
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
	"github.com/slotbook/slotbook/pkg/calendar/caldav"
	"github.com/slotbook/slotbook/pkg/calendar/caldav/radicaletest"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

// crashPoint names where a booking request dies.
type crashPoint string

// The points between the steps of a booking: the claim, the calendar
// write, the confirmation.
const (
	afterClaim   crashPoint = "after the claim"
	afterWrite   crashPoint = "after the calendar write"
	afterConfirm crashPoint = "after the confirmation"
	// lostAnswer: the calendar took the write, but its answer never came;
	// the request itself carries on.
	lostAnswer crashPoint = "after a lost answer of the calendar"
	// lostAnswerNoRemoval: as lostAnswer, and the clean-up cannot reach the
	// calendar either.
	lostAnswerNoRemoval crashPoint = "after a lost answer, the calendar then unreachable"
)

// crashes arms one crash point, once: a step that reaches it runs, and
// then its request dies there (runtime.Goexit: no code after it runs, as
// when a Lambda is killed), or fails as the point says.
type crashes struct {
	mu    sync.Mutex
	armed crashPoint
	died  chan struct{}
}

func (c *crashes) arm(p crashPoint) chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.armed, c.died = p, make(chan struct{})
	return c.died
}

// at reports whether p is armed, and disarms it.
func (c *crashes) at(p crashPoint) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.armed != p {
		return false
	}
	c.armed = ""
	close(c.died)
	return true
}

// crashingStore is a store whose writes can be the last thing a request does.
type crashingStore struct {
	slotbook.Store
	c *crashes
}

func (s crashingStore) CreateBooking(ctx context.Context, companyID string, b slotbook.Booking, idem *slotbook.Idempotency) error {
	err := s.Store.CreateBooking(ctx, companyID, b, idem)
	if err == nil && s.c.at(afterClaim) {
		runtime.Goexit()
	}
	return err
}

func (s crashingStore) ConfirmBooking(ctx context.Context, companyID, bookingID, eventID string, now time.Time, outbox []slotbook.Notification) error {
	err := s.Store.ConfirmBooking(ctx, companyID, bookingID, eventID, now, outbox)
	if err == nil && s.c.at(afterConfirm) {
		runtime.Goexit()
	}
	return err
}

// crashingCalendar is the real CalDAV provider whose writes can be the
// last thing a request does, or whose answers can be lost.
type crashingCalendar struct {
	*caldav.Provider
	c              *crashes
	mu             sync.Mutex
	removalsBroken bool
}

func (p *crashingCalendar) PutEvent(ctx context.Context, acct slotbook.Account, calendarID string, ev slotbook.EventDraft) (string, error) {
	id, err := p.Provider.PutEvent(ctx, acct, calendarID, ev)
	switch {
	case err != nil:
	case p.c.at(afterWrite):
		runtime.Goexit()
	case p.c.at(lostAnswer):
		return "", fmt.Errorf("caldav: write event: %w", context.DeadlineExceeded)
	case p.c.at(lostAnswerNoRemoval):
		p.mu.Lock()
		p.removalsBroken = true
		p.mu.Unlock()
		return "", fmt.Errorf("caldav: write event: %w", context.DeadlineExceeded)
	}
	return id, err
}

func (p *crashingCalendar) DeleteDraftEvent(ctx context.Context, acct slotbook.Account, calendarID string, draft slotbook.EventDraft) error {
	p.mu.Lock()
	broken := p.removalsBroken
	p.removalsBroken = false // unreachable once: a retry finds it back
	p.mu.Unlock()
	if broken {
		return errors.New("caldav: delete event: server unreachable")
	}
	return p.Provider.DeleteDraftEvent(ctx, acct, calendarID, draft)
}

// TestCrashBetweenStepsLeavesOneBookingAndOneEventOrNone kills a booking
// request between each pair of its steps, and after a lost answer of the
// calendar, on DynamoDB Local with ana's default calendar in a real
// Radicale. A retry with the same Idempotency-Key — within the claim, or
// after it was abandoned — ends in exactly one booking and exactly one
// event in the calendar; without a retry, the sweeper leaves exactly none
// of either (or, if the request died after confirming, the one booking
// with its one event).
func TestCrashBetweenStepsLeavesOneBookingAndOneEventOrNone(t *testing.T) {
	const user, password = "ana", "radicale-crash-pw"
	dav := radicaletest.Start(t, radicaletest.Options{Users: map[string]string{user: password}})
	for _, point := range []crashPoint{afterClaim, afterWrite, afterConfirm, lostAnswer, lostAnswerNoRemoval} {
		for _, then := range []string{"retry at once", "retry after the claim was abandoned", "no retry, the sweeper"} {
			t.Run(string(point)+", "+then, func(t *testing.T) {
				cs := &crashes{}
				cal := &crashingCalendar{Provider: caldav.New(caldav.Config{AllowPrivateNetworks: true}), c: cs}
				e := newEnvOn(t, crashingStore{dynamotest.NewStore(t), cs},
					slotbook.WithProviders(map[slotbook.Provider]slotbook.CalendarProvider{slotbook.CalDAV: cal}),
					slotbook.WithPrivateCalendarHosts(), slotbook.WithCalendarDeadline(2*time.Second))
				admin := token(t, "boss", "acme", slotbook.RoleAdmin)
				e.seed(admin)
				calPath := dav.MakeCalendar(t, user, password, strings.ToLower(slotbook.NewID()), "Ana")
				e.must(201, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{
					"provider": "caldav", "url": dav.URL + "/", "username": user, "password": password, "calendarId": calPath})
				key := "crash-" + slotbook.NewID()
				req := apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T10:00:00+01:00"),
					Header: http.Header{"Idempotency-Key": {key}}}

				died := cs.arm(point)
				done := make(chan int, 1)
				go func() {
					r, _ := http.NewRequest("POST", req.Path, strings.NewReader(mustJSON(t, req.Body)))
					r.Header.Set("Content-Type", "application/json")
					r.Header.Set("Idempotency-Key", key)
					w := newStatusWriter()
					defer func() { done <- w.status }()
					e.h.ServeHTTP(w, r)
				}()
				<-died
				first := <-done
				if point == lostAnswer || point == lostAnswerNoRemoval {
					if first != 503 {
						t.Errorf("the request with the lost answer answered %d, want 503", first)
					}
				}

				var bookings []struct{ ID, Status string }
				list := func() {
					t.Helper()
					var l struct{ Bookings []struct{ ID, Status string } }
					e.must(200, "GET", "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-22", admin, nil).Decode(t, &l)
					bookings = nil
					for _, b := range l.Bookings {
						if b.Status != "cancelled" {
							bookings = append(bookings, b)
						}
					}
				}
				objects := func() []string { return dav.Objects(t, user, password, calPath) }
				switch then {
				case "retry after the claim was abandoned":
					e.advance(slotbook.PendingTimeout + time.Second)
					fallthrough
				case "retry at once":
					r := e.client.Do(req)
					if r.Status != 201 {
						t.Fatalf("retry: %d %s", r.Status, r.Body)
					}
					var c confirmation
					r.Decode(t, &c)
					list()
					if len(bookings) != 1 || bookings[0].ID != c.ID || bookings[0].Status != "confirmed" {
						t.Errorf("bookings after the retry = %+v, want the one confirmed booking %s", bookings, c.ID)
					}
					if obj := objects(); len(obj) != 1 {
						t.Errorf("calendar objects after the retry = %v, want exactly one", obj)
					}
					// And nothing left for the sweeper to take away later.
					e.advance(time.Hour)
					if _, err := e.app.Sweep(t.Context()); err != nil {
						t.Fatal(err)
					}
					if obj := objects(); len(obj) != 1 {
						t.Errorf("calendar objects after a later sweep = %v, want the booking's one", obj)
					}
				case "no retry, the sweeper":
					e.advance(slotbook.PendingTimeout + slotbook.RemovalGrace + time.Second)
					if _, err := e.app.Sweep(t.Context()); err != nil {
						t.Fatal(err)
					}
					list()
					want := 0
					if point == afterConfirm {
						want = 1
					}
					if len(bookings) != want {
						t.Errorf("bookings after the sweep = %+v, want %d", bookings, want)
					}
					if obj := objects(); len(obj) != want {
						t.Errorf("calendar objects after the sweep = %v, want %d", obj, want)
					}
					if got := e.starts(); (want == 0) != slices.Contains(got, "2027-03-22T10:00:00+01:00") {
						t.Errorf("free starts after the sweep = %v", got)
					}
				}
			})
		}
	}
}

// statusWriter remembers the status of an answer it otherwise forgets.
type statusWriter struct {
	discardWriter
	status int
}

func newStatusWriter() *statusWriter { return &statusWriter{discardWriter: *newDiscardWriter()} }

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	return len(b), nil
}
