package slotbook_test

// The tests of this package drive slotbook's use cases through App's
// methods — the contracts the HTTP layer and every other caller rely on —
// over the in-memory store and the in-memory calendar of calendartest,
// with a clock that moves only when a test moves it.

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
	"github.com/slotbook/slotbook/pkg/store/inmem"
)

// t0 is the tests' "now": Monday 2027-03-22, 08:00 in Zurich (UTC+1;
// summer time starts on the 28th).
var t0 = time.Date(2027, 3, 22, 7, 0, 0, 0, time.UTC)

// monday is the date of t0.
var monday = schedule.Date{Year: 2027, Month: time.March, Day: 22}

var zurich = func() *time.Location {
	z, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		panic(err)
	}
	return z
}()

// at returns hour:minute of monday in Zurich.
func at(hour, minute int) time.Time {
	return time.Date(2027, 3, 22, hour, minute, 0, 0, zurich)
}

// clock is the App's time: t0, moved on by the test. Use cases read it
// from several goroutines.
type clock struct{ off atomic.Int64 }

func (c *clock) now() time.Time          { return t0.Add(time.Duration(c.off.Load())) }
func (c *clock) advance(d time.Duration) { c.off.Add(int64(d)) }

// world is a company over a fresh store, with the in-memory calendar as
// every provider and OAuth provider.
type world struct {
	t     *testing.T
	store *inmem.Store
	app   *slotbook.App
	cal   *calendartest.Provider
	clock *clock
}

// errUnreachable is what a calendar that cannot be reached answers.
var errUnreachable = errors.New("connection refused")

// stateKey signs the OAuth states of every world.
var stateKey = []byte("domain-test-state-key")

// newWorld returns company acme (Europe/Zurich, 30-minute grid, no
// notice, 60 days ahead, support locked out) with employees ana and ben;
// ana works Mondays 09:00–12:00, ben has no hours; service consult (60
// minutes, no buffers) is offered by both. opts come after the world's
// own options and so override them.
func newWorld(t *testing.T, opts ...slotbook.Option) *world {
	t.Helper()
	w := &world{t: t, store: inmem.New(), cal: calendartest.New(), clock: &clock{}}
	providers := map[slotbook.Provider]slotbook.CalendarProvider{
		slotbook.Google: w.cal, slotbook.Microsoft: w.cal, slotbook.CalDAV: w.cal, slotbook.ICS: w.cal,
	}
	oauth := map[slotbook.Provider]slotbook.OAuthProvider{slotbook.Google: w.cal, slotbook.Microsoft: w.cal}
	w.app = slotbook.NewApp(w.store, seal.NewEphemeral(), w.clock.now, append([]slotbook.Option{
		slotbook.WithProviders(providers), slotbook.WithOAuth(oauth, stateKey),
		slotbook.WithCalendarDeadline(300 * time.Millisecond),
	}, opts...)...)

	ctx := t.Context()
	must(t, "put company", func() error {
		_, err := w.store.PutCompany(ctx, slotbook.Company{ID: "acme", Name: "Acme", Timezone: "Europe/Zurich",
			BookingIntervalMinutes: 30, HorizonDays: 60})
		return err
	}())
	must(t, "create ana", w.store.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "ana", Name: "Ana"}))
	must(t, "create ben", w.store.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "ben", Name: "Ben"}))
	must(t, "ana's hours", w.store.PutAvailability(ctx, "acme", "ana", slotbook.Availability{
		Weekly: []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 9 * 60, End: 12 * 60}},
	}))
	must(t, "create consult", w.store.CreateService(ctx, "acme", slotbook.Service{
		ID: "consult", Name: "Consultation", DurationMinutes: 60, Employees: []string{"ana", "ben"},
	}))
	return w
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// as returns a context of the test whose caller is the given principal.
func as(t *testing.T, role slotbook.Role, subject, company string) context.Context {
	return slotbook.WithPrincipal(t.Context(), slotbook.Principal{Subject: subject, Company: company, Role: role})
}

// admin is acme's admin, boss.
func (w *world) admin() context.Context { return as(w.t, slotbook.RoleAdmin, "boss", "acme") }

// staff is the staff member of acme who is employee id.
func (w *world) staff(id string) context.Context { return as(w.t, slotbook.RoleStaff, id, "acme") }

// anonymous is a caller who is not signed in: the booking widget.
func (w *world) anonymous() context.Context { return w.t.Context() }

// setCompany changes acme's settings in the store.
func (w *world) setCompany(change func(c *slotbook.Company)) {
	w.t.Helper()
	c, err := w.store.Company(w.t.Context(), "acme")
	must(w.t, "read company", err)
	change(&c)
	_, err = w.store.PutCompany(w.t.Context(), c)
	must(w.t, "put company", err)
}

// connect connects a CalDAV account of the in-memory calendar, opened by
// password, as a calendar of employee: checking conflicts, and the
// employee's default calendar if they have none.
func (w *world) connect(employee, password string) (slotbook.Connection, *calendartest.Account) {
	w.t.Helper()
	acct := w.cal.Add(password, employee)
	res, err := w.app.Connect(w.admin(), slotbook.ConnectRequest{
		CompanyID: "acme", EmployeeID: employee, Provider: slotbook.CalDAV,
		URL: "https://dav.example/", Username: employee, Password: password,
	})
	must(w.t, "connect "+employee+"'s calendar", err)
	return res.Connection, acct
}

// busy adds events to the primary calendar of acct.
func (w *world) busy(acct *calendartest.Account, evs ...slotbook.ExternalEvent) {
	w.cal.Set(func(*calendartest.Provider) { acct.Events["primary"] = append(acct.Events["primary"], evs...) })
}

// slots returns the slots of consult on monday as "15:04 employee" in
// Zurich, and the answer.
func (w *world) slots(employee string) ([]string, slotbook.SlotAnswer) {
	w.t.Helper()
	ans, err := w.app.Slots(w.anonymous(), slotbook.SlotQuery{CompanyID: "acme", ServiceID: "consult", EmployeeID: employee, From: monday, To: monday})
	must(w.t, "slots", err)
	return startsOf(ans.Slots), ans
}

func startsOf(slots []slotbook.Slot) []string {
	out := []string{}
	for _, s := range slots {
		out = append(out, s.Start.In(zurich).Format("15:04")+" "+s.EmployeeID)
	}
	return out
}

// request is a booking of consult with ana at start by Chris.
func request(start time.Time) slotbook.BookingRequest {
	return slotbook.BookingRequest{
		CompanyID: "acme", ServiceID: "consult", EmployeeID: "ana", Start: start,
		Customer: slotbook.Customer{Name: "Chris Client", Email: "chris@client.example"},
	}
}

// wantCode fails the test unless err has code want ("" for nil).
func wantCode(t *testing.T, what string, err error, want slotbook.Code) {
	t.Helper()
	if got := slotbook.ErrorCode(err); got != want {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, want)
	}
}

// fieldsOf returns the names of the fields that err names.
func fieldsOf(err error) []string {
	var out []string
	for _, f := range slotbook.ErrorFields(err) {
		out = append(out, f.Field)
	}
	return out
}

// wantFields fails the test unless err has code want and names exactly
// the fields given, in order.
func wantFields(t *testing.T, what string, err error, want slotbook.Code, fields ...string) {
	t.Helper()
	wantCode(t, what, err, want)
	if got := fieldsOf(err); !slices.Equal(got, fields) {
		t.Errorf("%s: fields %q, want %q", what, got, fields)
	}
}
