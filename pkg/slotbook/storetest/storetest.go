// Package storetest is the contract test suite of slotbook.Store: every
// store implementation runs it, so that they all behave alike.
package storetest

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Run runs the contract suite; newStore returns an empty store for each test.
func Run(t *testing.T, newStore func(t *testing.T) slotbook.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s slotbook.Store)
	}{
		{"Company", testCompany},
		{"Employees", testEmployees},
		{"DeleteEmployeeCascades", testDeleteEmployeeCascades},
		{"Availability", testAvailability},
		{"Absences", testAbsences},
		{"Services", testServices},
		{"Bookings", testBookings},
		{"TenantsAreIsolated", testTenantsAreIsolated},
		{"ResultsDoNotAliasStoredData", testNoAliasing},
		{"OddTextRoundTrips", testOddText},
		{"ConcurrentClaimsOneWinner", testConcurrentClaims},
		{"Idempotency", testIdempotency},
		{"HostileIDsReachNothing", testHostileIDs},
		{"BookingLifecycle", testBookingLifecycle},
		{"ConfirmAfterTakeover", testConfirmAfterTakeover},
		{"ConfirmRacesTakeover", testConfirmRacesTakeover},
		{"Removals", testRemovals},
		{"Nonces", testNonces},
		{"Connections", testConnections},
		{"ConnectionWritesRace", testConnectionWritesRace},
		{"BookingWritesRace", testBookingWritesRace},
		{"Notifications", testNotifications},
		{"Reschedule", testReschedule},
		{"ReschedulesRace", testReschedulesRace},
		{"RescheduleClaim", testRescheduleClaim},
		{"Closures", testClosures},
		{"ClosureWritesRace", testClosureWritesRace},
		{"Webhooks", testWebhooks},
		{"DeliveryAttemptsRace", testDeliveryAttemptsRace},
		{"CustomerData", testCustomerData},
		{"Audit", testAudit},
		{"Retention", testRetention},
		{"Look", testLook},
		{"ScopedClaims", testScopedClaims},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newStore(t)) })
	}
}

var zurich = mustZone("Europe/Zurich")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

func at(day, hour, minute int) time.Time {
	return time.Date(2027, 3, day, hour, minute, 0, 0, zurich)
}

func wantCode(t *testing.T, what string, err error, want slotbook.Code) {
	t.Helper()
	if got := slotbook.ErrorCode(err); got != want {
		t.Fatalf("%s: error %v has code %q, want %q", what, err, got, want)
	}
}

func ok(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// setup creates company c with employees ana and bob.
func setup(t *testing.T, s slotbook.Store, c string) {
	t.Helper()
	_, err := s.PutCompany(t.Context(), slotbook.Company{ID: c, Name: "Co " + c, Timezone: "Europe/Zurich", BookingIntervalMinutes: 15, HorizonDays: 30})
	ok(t, "put company", err)
	ok(t, "create ana", s.CreateEmployee(t.Context(), c, slotbook.Employee{ID: "ana", Name: "Ana", Email: "ana@x.example"}))
	ok(t, "create bob", s.CreateEmployee(t.Context(), c, slotbook.Employee{ID: "bob", Name: "Bob", Timezone: "Asia/Kolkata"}))
}

func testCompany(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	_, err := s.Company(ctx, "acme")
	wantCode(t, "company before put", err, slotbook.NotFound)
	c := slotbook.Company{ID: "acme", Name: "Acme", Timezone: "Europe/Zurich", BookingIntervalMinutes: 15, MinNoticeMinutes: 60, HorizonDays: 90, SupportAccess: true,
		Language: slotbook.English, ReminderMinutesBefore: 0, NotifyEmployees: false, CancelNoticeMinutes: 90, MaxCustomerReschedules: 0}
	created, err := s.PutCompany(ctx, c)
	ok(t, "put", err)
	if !created {
		t.Error("first PutCompany reported created = false")
	}
	c.Name = "Acme AG"
	created, err = s.PutCompany(ctx, c)
	ok(t, "put again", err)
	if created {
		t.Error("second PutCompany reported created = true")
	}
	got, err := s.Company(ctx, "acme")
	ok(t, "get", err)
	if got != c {
		t.Errorf("Company = %+v, want %+v", got, c)
	}
	// A company stored before the notification settings reads with their defaults.
	old := slotbook.Company{ID: "oldco", Name: "Old", Timezone: "Europe/Zurich", BookingIntervalMinutes: 15, MinNoticeMinutes: 0, HorizonDays: 30}
	_, err = s.PutCompany(ctx, old)
	ok(t, "put a company without notification settings", err)
	got, err = s.Company(ctx, "oldco")
	ok(t, "get it", err)
	if got.Language != slotbook.German || got.ReminderMinutesBefore != 1440 || !got.NotifyEmployees || got.MaxCustomerReschedules != 1 || got.CancelNoticeMinutes != 0 {
		t.Errorf("defaults %v %d %v, cancel notice %d, reschedules %d; want de 1440 true 0 1", got.Language, got.ReminderMinutesBefore, got.NotifyEmployees,
			got.CancelNoticeMinutes, got.MaxCustomerReschedules)
	}
}

func testEmployees(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	wantCode(t, "create existing", s.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "ana", Name: "Other"}), slotbook.Conflict)
	wantCode(t, "update missing", s.UpdateEmployee(ctx, "acme", slotbook.Employee{ID: "zed", Name: "Zed"}), slotbook.NotFound)
	_, err := s.Employee(ctx, "acme", "zed")
	wantCode(t, "get missing", err, slotbook.NotFound)

	ok(t, "update", s.UpdateEmployee(ctx, "acme", slotbook.Employee{ID: "ana", Name: "Ana K", Timezone: "Europe/London"}))
	got, err := s.Employee(ctx, "acme", "ana")
	ok(t, "get", err)
	if want := (slotbook.Employee{ID: "ana", Name: "Ana K", Timezone: "Europe/London"}); got != want {
		t.Errorf("Employee = %+v, want %+v", got, want)
	}
	list, err := s.Employees(ctx, "acme")
	ok(t, "list", err)
	if len(list) != 2 || list[0].ID != "ana" || list[1].ID != "bob" {
		t.Errorf("Employees = %+v, want ana, bob", list)
	}
	empty, err := s.Employees(ctx, "nobody")
	ok(t, "list of unknown company", err)
	if len(empty) != 0 {
		t.Errorf("Employees(nobody) = %+v, want none", empty)
	}
	wantCode(t, "delete missing", s.DeleteEmployee(ctx, "acme", "zed"), slotbook.NotFound)
}

func testDeleteEmployeeCascades(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	ok(t, "availability", s.PutAvailability(ctx, "acme", "ana", slotbook.Availability{Weekly: []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 480, End: 720}}}))
	ok(t, "absence", s.CreateAbsence(ctx, "acme", "ana", slotbook.Absence{ID: "a1", Start: at(22, 9, 0), End: at(22, 10, 0)}))
	ok(t, "service", s.CreateService(ctx, "acme", slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30, Employees: []string{"ana", "bob"}}))

	ok(t, "delete", s.DeleteEmployee(ctx, "acme", "ana"))
	_, err := s.Employee(ctx, "acme", "ana")
	wantCode(t, "employee after delete", err, slotbook.NotFound)
	_, err = s.Availability(ctx, "acme", "ana")
	wantCode(t, "availability after delete", err, slotbook.NotFound)
	abs, err := s.Absences(ctx, "acme", "ana", at(1, 0, 0), at(31, 0, 0))
	ok(t, "absences after delete", err)
	if len(abs) != 0 {
		t.Errorf("absences after delete = %+v", abs)
	}
	svc, err := s.Service(ctx, "acme", "cut")
	ok(t, "service after delete", err)
	if !reflect.DeepEqual(svc.Employees, []string{"bob"}) {
		t.Errorf("service employees = %v, want [bob]", svc.Employees)
	}
	// A new employee of the same id starts clean.
	ok(t, "re-create", s.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "ana", Name: "Ana 2"}))
	av, err := s.Availability(ctx, "acme", "ana")
	ok(t, "availability of re-created", err)
	if len(av.Weekly) != 0 || len(av.Overrides) != 0 {
		t.Errorf("re-created employee inherited availability %+v", av)
	}
}

func testAvailability(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	_, err := s.Availability(ctx, "acme", "zed")
	wantCode(t, "availability of unknown employee", err, slotbook.NotFound)
	wantCode(t, "put for unknown employee", s.PutAvailability(ctx, "acme", "zed", slotbook.Availability{}), slotbook.NotFound)

	empty, err := s.Availability(ctx, "acme", "ana")
	ok(t, "never set", err)
	if len(empty.Weekly) != 0 || len(empty.Overrides) != 0 {
		t.Errorf("unset availability = %+v", empty)
	}
	want := slotbook.Availability{
		Weekly: []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 480, End: 720}, {Weekday: time.Sunday, Start: 780, End: schedule.EndOfDay}},
		Overrides: []slotbook.DateOverride{
			{Date: schedule.Date{Year: 2027, Month: 12, Day: 24}, Intervals: []schedule.Range{{Start: 480, End: 720}}},
			{Date: schedule.Date{Year: 2027, Month: 12, Day: 25}, Intervals: []schedule.Range{}},
		},
	}
	ok(t, "put", s.PutAvailability(ctx, "acme", "ana", want))
	got, err := s.Availability(ctx, "acme", "ana")
	ok(t, "get", err)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Availability = %+v, want %+v", got, want)
	}
	ok(t, "replace", s.PutAvailability(ctx, "acme", "ana", slotbook.Availability{}))
	got, err = s.Availability(ctx, "acme", "ana")
	ok(t, "get replaced", err)
	if len(got.Weekly) != 0 || len(got.Overrides) != 0 {
		t.Errorf("replaced availability = %+v, want empty", got)
	}
}

func testAbsences(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	wantCode(t, "absence of unknown employee", s.CreateAbsence(ctx, "acme", "zed", slotbook.Absence{ID: "x", Start: at(1, 9, 0), End: at(1, 10, 0)}), slotbook.NotFound)
	for _, a := range []slotbook.Absence{
		{ID: "late", Start: at(23, 9, 0), End: at(23, 12, 0), Reason: "course"},
		{ID: "early", Start: at(21, 22, 0), End: at(22, 2, 0), Reason: "night shift"},
		{ID: "far", Start: at(30, 9, 0), End: at(30, 10, 0)},
	} {
		ok(t, "create "+a.ID, s.CreateAbsence(ctx, "acme", "ana", a))
	}
	wantCode(t, "create existing id", s.CreateAbsence(ctx, "acme", "ana", slotbook.Absence{ID: "far", Start: at(1, 9, 0), End: at(1, 10, 0)}), slotbook.Conflict)

	got, err := s.Absences(ctx, "acme", "ana", at(22, 0, 0), at(23, 9, 0))
	ok(t, "list", err)
	// "early" overlaps the range's start; "late" starts exactly at its end: left out.
	if len(got) != 1 || got[0].ID != "early" || got[0].Reason != "night shift" || !got[0].Start.Equal(at(21, 22, 0)) {
		t.Errorf("Absences = %+v, want only early", got)
	}
	got, err = s.Absences(ctx, "acme", "ana", at(1, 0, 0), at(31, 0, 0))
	ok(t, "list all", err)
	if ids := absenceIDs(got); !reflect.DeepEqual(ids, []string{"early", "late", "far"}) {
		t.Errorf("Absences = %v, want early, late, far by start", ids)
	}
	other, err := s.Absences(ctx, "acme", "bob", at(1, 0, 0), at(31, 0, 0))
	ok(t, "bob's", err)
	if len(other) != 0 {
		t.Errorf("bob has ana's absences: %+v", other)
	}
	wantCode(t, "delete via another employee", s.DeleteAbsence(ctx, "acme", "bob", "late"), slotbook.NotFound)
	ok(t, "delete", s.DeleteAbsence(ctx, "acme", "ana", "late"))
	wantCode(t, "delete twice", s.DeleteAbsence(ctx, "acme", "ana", "late"), slotbook.NotFound)
}

func absenceIDs(as []slotbook.Absence) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func testServices(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	cut := slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30, BufferBeforeMinutes: 5, BufferAfterMinutes: 10, Employees: []string{"ana"}}
	ok(t, "create", s.CreateService(ctx, "acme", cut))
	wantCode(t, "create existing", s.CreateService(ctx, "acme", cut), slotbook.Conflict)
	wantCode(t, "create with unknown employee", s.CreateService(ctx, "acme", slotbook.Service{ID: "x", Name: "X", DurationMinutes: 30, Employees: []string{"ghost"}}), slotbook.Unprocessable)
	_, err := s.Service(ctx, "acme", "x")
	wantCode(t, "refused service", err, slotbook.NotFound)

	got, err := s.Service(ctx, "acme", "cut")
	ok(t, "get", err)
	if !reflect.DeepEqual(got, cut) {
		t.Errorf("Service = %+v, want %+v", got, cut)
	}
	cut.Employees = []string{"bob", "ana"}
	cut.Name = "Haircut"
	ok(t, "update", s.UpdateService(ctx, "acme", cut))
	wantCode(t, "update with unknown employee", s.UpdateService(ctx, "acme", slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30, Employees: []string{"ghost"}}), slotbook.Unprocessable)
	wantCode(t, "update missing", s.UpdateService(ctx, "acme", slotbook.Service{ID: "zzz", Name: "Z", DurationMinutes: 30, Employees: []string{}}), slotbook.NotFound)
	got, err = s.Service(ctx, "acme", "cut")
	ok(t, "get updated", err)
	if !reflect.DeepEqual(got, cut) {
		t.Errorf("Service = %+v, want %+v", got, cut)
	}
	ok(t, "create second", s.CreateService(ctx, "acme", slotbook.Service{ID: "color", Name: "Color", DurationMinutes: 90, Employees: []string{}}))
	list, err := s.Services(ctx, "acme")
	ok(t, "list", err)
	if len(list) != 2 || list[0].ID != "color" || list[1].ID != "cut" {
		t.Errorf("Services = %+v, want color, cut", list)
	}
	ok(t, "delete", s.DeleteService(ctx, "acme", "cut"))
	wantCode(t, "delete twice", s.DeleteService(ctx, "acme", "cut"), slotbook.NotFound)
}

func booking(id, employee string, start, end time.Time, before, after time.Duration) slotbook.Booking {
	return slotbook.Booking{
		ID: id, EmployeeID: employee, ServiceID: "cut", Start: start, End: end,
		BufferBefore: before, BufferAfter: after,
		Customer: slotbook.Customer{Name: "Chris", Email: "chris@x.example"}, CreatedAt: at(1, 8, 0),
		Status: slotbook.Confirmed, CancelTokenHash: []byte{1, 2, 3},
	}
}

func testBookings(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	first := booking("b1", "ana", at(22, 10, 0), at(22, 10, 30), 0, 15*time.Minute)
	ok(t, "first", s.CreateBooking(ctx, "acme", first, nil))
	cases := []struct {
		name string
		b    slotbook.Booking
		want slotbook.Code
	}{
		{"same time", booking("b2", "ana", at(22, 10, 0), at(22, 10, 30), 0, 0), slotbook.SlotTaken},
		{"longer booking around it", booking("b3", "ana", at(22, 9, 0), at(22, 12, 0), 0, 0), slotbook.SlotTaken},
		{"inside the first's buffer", booking("b4", "ana", at(22, 10, 30), at(22, 11, 0), 0, 0), slotbook.SlotTaken},
		{"own buffer reaches back into it", booking("b5", "ana", at(22, 10, 50), at(22, 11, 20), 10*time.Minute, 0), slotbook.SlotTaken},
		{"just after both buffers", booking("b6", "ana", at(22, 10, 55), at(22, 11, 25), 10*time.Minute, 0), ""},
		{"just before", booking("b7", "ana", at(22, 9, 30), at(22, 10, 0), 0, 0), ""},
		{"same time, another employee", booking("b8", "bob", at(22, 10, 0), at(22, 10, 30), 0, 0), ""},
		{"existing id", booking("b1", "bob", at(25, 10, 0), at(25, 10, 30), 0, 0), slotbook.Conflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, c.name, s.CreateBooking(ctx, "acme", c.b, nil), c.want)
		})
	}
	got, err := s.Bookings(ctx, "acme", "ana", at(22, 0, 0), at(23, 0, 0))
	ok(t, "list", err)
	var ids []string
	for _, b := range got {
		ids = append(ids, b.ID)
	}
	if !reflect.DeepEqual(ids, []string{"b7", "b1", "b6"}) {
		t.Errorf("Bookings = %v, want b7, b1, b6 by start", ids)
	}
	if got[1].Customer.Name != "Chris" || got[1].BufferAfter != 15*time.Minute || !got[1].End.Equal(first.End) {
		t.Errorf("booking read back as %+v", got[1])
	}
}

func testTenantsAreIsolated(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	setup(t, s, "acme-2")
	ok(t, "service in acme", s.CreateService(ctx, "acme", slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30, Employees: []string{"ana"}}))
	ok(t, "absence in acme", s.CreateAbsence(ctx, "acme", "ana", slotbook.Absence{ID: "a1", Start: at(22, 9, 0), End: at(22, 10, 0)}))
	ok(t, "booking in acme", s.CreateBooking(ctx, "acme", booking("b1", "ana", at(22, 11, 0), at(22, 12, 0), 0, 0), nil))

	if _, err := s.Service(ctx, "acme-2", "cut"); slotbook.ErrorCode(err) != slotbook.NotFound {
		t.Errorf("acme-2 sees acme's service: %v", err)
	}
	abs, _ := s.Absences(ctx, "acme-2", "ana", at(1, 0, 0), at(31, 0, 0))
	bks, _ := s.Bookings(ctx, "acme-2", "ana", at(1, 0, 0), at(31, 0, 0))
	if len(abs) != 0 || len(bks) != 0 {
		t.Errorf("acme-2 sees acme's absences %v or bookings %v", abs, bks)
	}
	// The same time in the other company is free.
	ok(t, "booking in acme-2", s.CreateBooking(ctx, "acme-2", booking("b1", "ana", at(22, 11, 0), at(22, 12, 0), 0, 0), nil))
	wantCode(t, "delete acme's absence via acme-2", s.DeleteAbsence(ctx, "acme-2", "ana", "a1"), slotbook.NotFound)
	ok(t, "delete employee in acme-2", s.DeleteEmployee(ctx, "acme-2", "ana"))
	if _, err := s.Employee(ctx, "acme", "ana"); err != nil {
		t.Errorf("deleting acme-2's ana removed acme's: %v", err)
	}
}

func testNoAliasing(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	emps := []string{"ana"}
	ok(t, "service", s.CreateService(ctx, "acme", slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30, Employees: emps}))
	emps[0] = "bob" // the caller's slice changes after the write
	got, _ := s.Service(ctx, "acme", "cut")
	got.Employees[0] = "mallory" // and the reader's slice changes after the read
	again, _ := s.Service(ctx, "acme", "cut")
	if !reflect.DeepEqual(again.Employees, []string{"ana"}) {
		t.Errorf("stored service changed through a slice: %v", again.Employees)
	}
	av := slotbook.Availability{Weekly: []slotbook.WeeklyHours{{Weekday: time.Monday, Start: 480, End: 720}}}
	ok(t, "availability", s.PutAvailability(ctx, "acme", "ana", av))
	av.Weekly[0].End = 1440
	read, _ := s.Availability(ctx, "acme", "ana")
	read.Weekly[0].Start = 0
	if again, _ := s.Availability(ctx, "acme", "ana"); again.Weekly[0] != (slotbook.WeeklyHours{Weekday: time.Monday, Start: 480, End: 720}) {
		t.Errorf("stored availability changed through a slice: %+v", again.Weekly[0])
	}
}

func testOddText(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	names := []string{"Zoë 🌷 Müller", "名前", "a#b|c::d", `"quoted" \ back`, "\u202eevil", "ID#acme#EMP#bob"}
	for i, n := range names {
		id := fmt.Sprintf("odd-%d", i)
		ok(t, "create "+id, s.CreateEmployee(ctx, "acme", slotbook.Employee{ID: id, Name: n}))
		got, err := s.Employee(ctx, "acme", id)
		ok(t, "get "+id, err)
		if got.Name != n {
			t.Errorf("name %q read back as %q", n, got.Name)
		}
	}
	// A name that looks like a key does not reach another item.
	bob, _ := s.Employee(ctx, "acme", "bob")
	if bob.Name != "Bob" {
		t.Errorf("bob became %+v", bob)
	}
}

// testConcurrentClaims has 50 goroutines book overlapping times of one
// employee at once: exactly one may win.
func testConcurrentClaims(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	const n = 50
	wins, codes := race(n, func(i int) error {
		// Different lengths and starts, all overlapping 10:00–10:05.
		b := booking(fmt.Sprintf("race-%d", i), "ana",
			at(22, 10, 0).Add(-time.Duration(i%5)*time.Minute), at(22, 10, 5).Add(time.Duration(i%7)*time.Minute), 0, 0)
		return s.CreateBooking(ctx, "acme", b, nil)
	})
	if wins != 1 || codes[slotbook.SlotTaken] != n-1 {
		t.Fatalf("wins = %d, failures by code = %v; want 1 win and %d slot_taken", wins, codes, n-1)
	}
	got, err := s.Bookings(ctx, "acme", "ana", at(22, 0, 0), at(23, 0, 0))
	ok(t, "list", err)
	if len(got) != 1 {
		t.Errorf("%d bookings stored, want 1", len(got))
	}
}

func testIdempotency(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	t0 := at(20, 12, 0)
	rec := func(k, booking string, created time.Time) *slotbook.Idempotency {
		return &slotbook.Idempotency{Key: k, Fingerprint: "fp-" + booking, BookingID: booking,
			CreatedAt: created, ExpiresAt: created.Add(slotbook.IdempotencyTTL)}
	}
	_, err := s.Idempotency(ctx, "acme", "key-1", t0)
	wantCode(t, "unknown key", err, slotbook.NotFound)

	ok(t, "book with key", s.CreateBooking(ctx, "acme", booking("b1", "ana", at(22, 9, 0), at(22, 9, 30), 0, 0), rec("key-1", "b1", t0)))
	got, err := s.Idempotency(ctx, "acme", "key-1", t0.Add(time.Hour))
	ok(t, "read key", err)
	if got.BookingID != "b1" || got.Fingerprint != "fp-b1" || !got.ExpiresAt.Equal(t0.Add(slotbook.IdempotencyTTL)) {
		t.Errorf("Idempotency = %+v", got)
	}

	// The same key again within 24 h: refused, and nothing is booked.
	err = s.CreateBooking(ctx, "acme", booking("b2", "bob", at(22, 9, 0), at(22, 9, 30), 0, 0), rec("key-1", "b2", t0.Add(time.Hour)))
	wantCode(t, "reused key", err, slotbook.Conflict)
	if list, _ := s.Bookings(ctx, "acme", "bob", at(22, 0, 0), at(23, 0, 0)); len(list) != 0 {
		t.Errorf("a refused key still booked %+v", list)
	}
	// A slot that is taken wins over the key: nothing is recorded.
	err = s.CreateBooking(ctx, "acme", booking("b3", "ana", at(22, 9, 0), at(22, 9, 30), 0, 0), rec("key-2", "b3", t0))
	wantCode(t, "taken slot", err, slotbook.SlotTaken)
	_, err = s.Idempotency(ctx, "acme", "key-2", t0)
	wantCode(t, "key of a refused booking", err, slotbook.NotFound)

	// After 24 h the record has expired by its own time and the key is free.
	later := t0.Add(slotbook.IdempotencyTTL + time.Second)
	_, err = s.Idempotency(ctx, "acme", "key-1", later)
	wantCode(t, "expired key", err, slotbook.NotFound)
	ok(t, "reuse expired key", s.CreateBooking(ctx, "acme", booking("b4", "bob", at(23, 9, 0), at(23, 9, 30), 0, 0), rec("key-1", "b4", later)))
	got, err = s.Idempotency(ctx, "acme", "key-1", later)
	ok(t, "read reused key", err)
	if got.BookingID != "b4" {
		t.Errorf("reused key names %s, want b4", got.BookingID)
	}
	// Keys belong to one company.
	_, err = s.Idempotency(ctx, "acme-2", "key-1", later)
	wantCode(t, "key of another company", err, slotbook.NotFound)
}

// testHostileIDs checks that ids which are not ids (key separators,
// prefixes of other keys, huge strings) reach no item and create none.
func testHostileIDs(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	ok(t, "service", s.CreateService(ctx, "acme", slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30, Employees: []string{"ana"}}))
	huge := strings.Repeat("a", 5000)
	for _, id := range []string{"", "a#b", "acme#E#ana", "E#ana", "ana#", "#", "ana|x", "ana b", "ana/..", huge, "ä"} {
		if _, err := s.Employee(ctx, "acme", id); slotbook.ErrorCode(err) != slotbook.NotFound {
			t.Errorf("Employee(%.20q): %v, want NotFound", id, err)
		}
		if _, err := s.Company(ctx, id); slotbook.ErrorCode(err) != slotbook.NotFound {
			t.Errorf("Company(%.20q): %v, want NotFound", id, err)
		}
		if err := s.CreateEmployee(ctx, "acme", slotbook.Employee{ID: id, Name: "Eve"}); err == nil {
			t.Errorf("CreateEmployee(%.20q) succeeded", id)
		}
		if err := s.CreateEmployee(ctx, id, slotbook.Employee{ID: "eve", Name: "Eve"}); err == nil {
			t.Errorf("CreateEmployee in company %.20q succeeded", id)
		}
		if list, err := s.Employees(ctx, id); err != nil || len(list) != 0 {
			t.Errorf("Employees(%.20q) = %v, %v; want none", id, list, err)
		}
		if err := s.DeleteService(ctx, id, "cut"); slotbook.ErrorCode(err) != slotbook.NotFound {
			t.Errorf("DeleteService in company %.20q: %v, want NotFound", id, err)
		}
	}
	list, err := s.Employees(ctx, "acme")
	ok(t, "list", err)
	if len(list) != 2 {
		t.Errorf("employees after hostile ids = %+v, want ana and bob only", list)
	}
	if _, err := s.Service(ctx, "acme", "cut"); err != nil {
		t.Errorf("service gone after hostile ids: %v", err)
	}
}

func pending(id, employee string, start, end, created time.Time) slotbook.Booking {
	b := booking(id, employee, start, end, 0, 0)
	b.Status, b.CreatedAt, b.PendingUntil = slotbook.Pending, created, created.Add(slotbook.PendingTimeout)
	return b
}

// withEvent gives a pending booking an event to be written under key.
func withEvent(b slotbook.Booking, key string) slotbook.Booking {
	b.Event = slotbook.EventRef{Connection: "k1", Key: key}
	return b
}

func ids(bs []slotbook.Booking) []string {
	out := []string{}
	for _, b := range bs {
		out = append(out, b.ID)
	}
	return out
}

// testBookingLifecycle walks a booking through pending, confirmed and
// cancelled, and a claim through release.
func testBookingLifecycle(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	now := at(20, 12, 0)
	p := pending("p1", "ana", at(22, 9, 0), at(22, 10, 0), now)
	ok(t, "claim", s.CreateBooking(ctx, "acme", p, nil))

	got, err := s.Booking(ctx, "acme", "p1")
	ok(t, "get", err)
	if got.Status != slotbook.Pending || !got.PendingUntil.Equal(p.PendingUntil) || string(got.CancelTokenHash) != "\x01\x02\x03" {
		t.Errorf("Booking = %+v", got)
	}
	_, err = s.Booking(ctx, "acme", "nope")
	wantCode(t, "unknown booking", err, slotbook.NotFound)
	_, err = s.Booking(ctx, "acme-2", "p1")
	wantCode(t, "booking of another company", err, slotbook.NotFound)

	// A pending claim blocks overlapping claims while it lasts.
	wantCode(t, "claim over a pending one", s.CreateBooking(ctx, "acme", pending("p2", "ana", at(22, 9, 30), at(22, 10, 30), now.Add(time.Minute)), nil), slotbook.SlotTaken)
	wantCode(t, "cancel a pending booking", s.CancelBooking(ctx, "acme", "p1", nil, nil), slotbook.Conflict)
	ok(t, "confirm", s.ConfirmBooking(ctx, "acme", "p1", "ev1", now.Add(time.Second), nil))
	got, _ = s.Booking(ctx, "acme", "p1")
	if got.Status != slotbook.Confirmed || got.Event.EventID != "ev1" {
		t.Errorf("confirmed booking = %+v", got)
	}
	wantCode(t, "confirm twice", s.ConfirmBooking(ctx, "acme", "p1", "ev1", now.Add(time.Second), nil), slotbook.Conflict)
	wantCode(t, "confirm unknown", s.ConfirmBooking(ctx, "acme", "nope", "ev1", now, nil), slotbook.NotFound)
	wantCode(t, "release a confirmed booking", s.ReleaseBooking(ctx, "acme", "p1", slotbook.Release{Now: now}), slotbook.Conflict)

	// Cancelling frees the time at once and moves the booking out of the
	// live ones; twice is BookingCancelled.
	ok(t, "cancel", s.CancelBooking(ctx, "acme", "p1", nil, nil))
	wantCode(t, "cancel twice", s.CancelBooking(ctx, "acme", "p1", nil, nil), slotbook.BookingCancelled)
	wantCode(t, "cancel unknown", s.CancelBooking(ctx, "acme", "nope", nil, nil), slotbook.NotFound)
	if got, _ := s.Booking(ctx, "acme", "p1"); got.Status != slotbook.Cancelled || got.Event.EventID != "ev1" || got.Customer.Name != "Chris" {
		t.Errorf("cancelled booking = %+v", got)
	}
	day := func(d int) (time.Time, time.Time) { return at(d, 0, 0), at(d+1, 0, 0) }
	from, to := day(22)
	if live, _ := s.Bookings(ctx, "acme", "ana", from, to); len(live) != 0 {
		t.Errorf("Bookings lists the cancelled booking: %v", ids(live))
	}
	if gone, _ := s.CancelledBookings(ctx, "acme", "ana", from, to); !reflect.DeepEqual(ids(gone), []string{"p1"}) {
		t.Errorf("CancelledBookings = %v, want [p1]", ids(gone))
	}
	ok(t, "book the freed time", s.CreateBooking(ctx, "acme", pending("p3", "ana", at(22, 9, 0), at(22, 10, 0), now.Add(time.Minute)), nil))

	// An abandoned pending claim does not block.
	ok(t, "claim after abandonment", s.CreateBooking(ctx, "acme", pending("p4", "ana", at(22, 9, 0), at(22, 10, 0), now.Add(time.Minute+slotbook.PendingTimeout)), nil))

	// Releasing removes the claim and its key, and only its own key.
	rec := &slotbook.Idempotency{Key: "k", Fingerprint: "f", BookingID: "p5", EmployeeID: "bob", CreatedAt: now, ExpiresAt: now.Add(slotbook.IdempotencyTTL), SealedCancelToken: []byte("sealed")}
	ok(t, "claim with key", s.CreateBooking(ctx, "acme", pending("p5", "bob", at(23, 9, 0), at(23, 10, 0), now), rec))
	if r, err := s.Idempotency(ctx, "acme", "k", now); err != nil || string(r.SealedCancelToken) != "sealed" || r.EmployeeID != "bob" {
		t.Errorf("Idempotency = %+v, %v", r, err)
	}
	wantCode(t, "release before abandonment", s.ReleaseBooking(ctx, "acme", "p5", slotbook.Release{IdempotencyKey: "k", AbandonedAt: now.Add(time.Minute), Now: now}), slotbook.Conflict)
	ok(t, "release", s.ReleaseBooking(ctx, "acme", "p5", slotbook.Release{IdempotencyKey: "k", Now: now}))
	_, err = s.Booking(ctx, "acme", "p5")
	wantCode(t, "released booking", err, slotbook.NotFound)
	_, err = s.Idempotency(ctx, "acme", "k", now)
	wantCode(t, "released key", err, slotbook.NotFound)
	ok(t, "release twice", s.ReleaseBooking(ctx, "acme", "p5", slotbook.Release{IdempotencyKey: "k", Now: now}))
	rec6 := *rec
	rec6.BookingID = "p6"
	ok(t, "the time and key are free again", s.CreateBooking(ctx, "acme", pending("p6", "bob", at(23, 9, 0), at(23, 10, 0), now), &rec6))
	ok(t, "release another booking with the same key", s.ReleaseBooking(ctx, "acme", "p3", slotbook.Release{IdempotencyKey: "k", AbandonedAt: now.Add(time.Hour), Now: now}))
	if r, err := s.Idempotency(ctx, "acme", "k", now); err != nil || r.BookingID != "p6" {
		t.Errorf("the key of p6 went with p3: %+v, %v", r, err)
	}

	// A retry books again under the id its key names: released without
	// its key, the booking can be claimed anew with the same id and key.
	ok(t, "release keeping the key", s.ReleaseBooking(ctx, "acme", "p6", slotbook.Release{AbandonedAt: now.Add(slotbook.PendingTimeout), Now: now}))
	later := now.Add(slotbook.PendingTimeout + time.Minute)
	rec7 := rec6
	rec7.CreatedAt = later
	ok(t, "claim again under the same id and key", s.CreateBooking(ctx, "acme", pending("p6", "bob", at(23, 9, 0), at(23, 10, 0), later), &rec7))
	rec8 := rec6
	rec8.BookingID, rec8.CreatedAt = "p8", later
	wantCode(t, "the key still names p6", s.CreateBooking(ctx, "acme", pending("p8", "bob", at(24, 9, 0), at(24, 10, 0), later), &rec8), slotbook.Conflict)
}

// testConfirmAfterTakeover: once a pending booking is abandoned, another
// claim may take its time, and then its confirmation fails however late it
// comes; a late confirmation nobody overtook still succeeds.
func testConfirmAfterTakeover(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	now := at(20, 12, 0)
	abandoned := now.Add(slotbook.PendingTimeout + time.Second)
	ok(t, "claim a", s.CreateBooking(ctx, "acme", pending("a", "ana", at(22, 9, 0), at(22, 10, 0), now), nil))
	ok(t, "claim b over abandoned a", s.CreateBooking(ctx, "acme", pending("b", "ana", at(22, 9, 30), at(22, 10, 30), abandoned), nil))
	wantCode(t, "confirm a after b took its time", s.ConfirmBooking(ctx, "acme", "a", "ev-a", abandoned.Add(time.Second), nil), slotbook.SlotTaken)
	if a, _ := s.Booking(ctx, "acme", "a"); a.Status != slotbook.Pending {
		t.Errorf("a = %+v, want still pending", a)
	}
	ok(t, "confirm b", s.ConfirmBooking(ctx, "acme", "b", "ev-b", abandoned.Add(time.Second), nil))

	ok(t, "claim c", s.CreateBooking(ctx, "acme", pending("c", "ana", at(23, 9, 0), at(23, 10, 0), now), nil))
	ok(t, "confirm c late, nobody took its time", s.ConfirmBooking(ctx, "acme", "c", "ev-c", abandoned.Add(time.Hour), nil))
}

// testConfirmRacesTakeover runs a late confirmation of an abandoned booking
// against an overlapping claim, again and again: never both.
func testConfirmRacesTakeover(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	now := at(1, 12, 0)
	abandoned := now.Add(slotbook.PendingTimeout + time.Second)
	for i := range 12 {
		start := at(2+i, 9, 0)
		a, b := fmt.Sprintf("a%d", i), fmt.Sprintf("b%d", i)
		ok(t, "claim "+a, s.CreateBooking(ctx, "acme", pending(a, "ana", start, start.Add(time.Hour), now), nil))
		var confirmErr, claimErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			confirmErr = s.ConfirmBooking(ctx, "acme", a, "ev", abandoned, nil)
		}()
		go func() {
			defer wg.Done()
			claimErr = s.CreateBooking(ctx, "acme", pending(b, "ana", start.Add(30*time.Minute), start.Add(90*time.Minute), abandoned), nil)
		}()
		wg.Wait()
		if (confirmErr == nil) == (claimErr == nil) {
			t.Fatalf("round %d: confirm %v, claim %v; want exactly one to succeed", i, confirmErr, claimErr)
		}
		live, err := s.Bookings(ctx, "acme", "ana", start, start.Add(2*time.Hour))
		ok(t, "list", err)
		blocking := 0
		for _, x := range live {
			if x.Blocks(abandoned) {
				blocking++
			}
		}
		if blocking != 1 {
			t.Fatalf("round %d: %d bookings hold the time, want 1: %+v", i, blocking, live)
		}
	}
}

// testRemovals records, turns, postpones and drops EventRemovals.
func testRemovals(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	setup(t, s, "acme-2")
	now := at(20, 12, 0)
	due := now.Add(slotbook.PendingTimeout + slotbook.RemovalGrace)

	// A claim with an event records its removal-if-unconfirmed, due only
	// after the claim is abandoned; confirming drops it.
	ok(t, "claim with event", s.CreateBooking(ctx, "acme", withEvent(pending("p1", "ana", at(22, 9, 0), at(22, 10, 0), now), "p1"), nil))
	list, err := s.Removals(ctx, "acme", "ana")
	ok(t, "removals", err)
	if len(list) != 1 || list[0].Reason != slotbook.RemovalIfUnconfirmed || list[0].BookingID != "p1" || list[0].Event.Key != "p1" ||
		list[0].Event.Connection != "k1" || !list[0].Due.Equal(due) || !list[0].Start.Equal(at(22, 9, 0)) || list[0].Version == "" {
		t.Fatalf("Removals = %+v", list)
	}
	if d, _ := s.DueRemovals(ctx, due.Add(-time.Second), 10); len(d) != 0 {
		t.Errorf("due before its time: %+v", d)
	}
	if d, _ := s.DueRemovals(ctx, due, 10); len(d) != 1 || d[0].CompanyID != "acme" || d[0].EmployeeID != "ana" {
		t.Errorf("DueRemovals at its time = %+v", d)
	}
	wantCode(t, "a second claim with the same key", s.CreateBooking(ctx, "acme", withEvent(pending("p1x", "ana", at(25, 9, 0), at(25, 10, 0), now), "p1"), nil), slotbook.Conflict)
	ok(t, "confirm", s.ConfirmBooking(ctx, "acme", "p1", "ev1", now.Add(time.Second), nil))
	if list, _ := s.Removals(ctx, "acme", "ana"); len(list) != 0 {
		t.Errorf("removal after confirmation: %+v", list)
	}

	// Releasing with a removal version turns it into a removal due now.
	ok(t, "claim p2", s.CreateBooking(ctx, "acme", withEvent(pending("p2", "ana", at(23, 9, 0), at(23, 10, 0), now), "p2.x1"), nil))
	ok(t, "release p2", s.ReleaseBooking(ctx, "acme", "p2", slotbook.Release{RemovalVersion: "v2", Now: now.Add(time.Minute)}))
	list, _ = s.Removals(ctx, "acme", "ana")
	if len(list) != 1 || list[0].Reason != slotbook.RemovalAbandoned || list[0].Version != "v2" || !list[0].Due.Equal(now.Add(time.Minute)) || list[0].Event.Key != "p2.x1" {
		t.Fatalf("after release: %+v", list)
	}
	// Releasing without one drops it.
	ok(t, "claim p3", s.CreateBooking(ctx, "acme", withEvent(pending("p3", "bob", at(23, 9, 0), at(23, 10, 0), now), "p3"), nil))
	ok(t, "release p3", s.ReleaseBooking(ctx, "acme", "p3", slotbook.Release{Now: now}))
	if list, _ := s.Removals(ctx, "acme", "bob"); len(list) != 0 {
		t.Errorf("removal after a release without version: %+v", list)
	}

	// Postponing replaces only the version it read; deleting too.
	r := list0(t, s, "acme", "ana")
	next := r
	next.Due, next.Attempts, next.Version = now.Add(time.Hour), 1, "v3"
	wantCode(t, "postpone a stale version", s.PutRemoval(ctx, next, "stale"), slotbook.Conflict)
	wantCode(t, "create over an existing one", s.PutRemoval(ctx, next, ""), slotbook.Conflict)
	ok(t, "postpone", s.PutRemoval(ctx, next, "v2"))
	if d, _ := s.DueRemovals(ctx, now.Add(30*time.Minute), 10); len(d) != 0 {
		t.Errorf("postponed removal is due early: %+v", d)
	}
	ok(t, "delete with a stale version does nothing", s.DeleteRemoval(ctx, "acme", "ana", "p2.x1", "v2"))
	if list, _ := s.Removals(ctx, "acme", "ana"); len(list) != 1 || list[0].Attempts != 1 {
		t.Errorf("after stale delete: %+v", list)
	}
	ok(t, "delete", s.DeleteRemoval(ctx, "acme", "ana", "p2.x1", "v3"))
	if list, _ := s.Removals(ctx, "acme", "ana"); len(list) != 0 {
		t.Errorf("after delete: %+v", list)
	}

	// Cancelling records a removal in the same step; removals are kept per
	// company and employee; DueRemovals reads every company, oldest first.
	rm := &slotbook.EventRemoval{BookingID: "p1", Event: slotbook.EventRef{Connection: "k1", Key: "p1", EventID: "ev1"},
		Start: at(22, 9, 0), End: at(22, 10, 0), Reason: slotbook.RemovalCancelled, Due: now.Add(2 * time.Minute), Version: "v4"}
	ok(t, "cancel with removal", s.CancelBooking(ctx, "acme", "p1", rm, nil))
	ok(t, "removal of acme-2", s.PutRemoval(ctx, slotbook.EventRemoval{CompanyID: "acme-2", EmployeeID: "ana", BookingID: "q1",
		Event: slotbook.EventRef{Connection: "k9", Key: "q1"}, Start: at(22, 9, 0), End: at(22, 10, 0),
		Reason: slotbook.RemovalCancelled, Due: now.Add(time.Minute), Version: "v5"}, ""))
	if list, _ := s.Removals(ctx, "acme", "ana"); len(list) != 1 || list[0].Event.EventID != "ev1" || list[0].CompanyID != "acme" || list[0].EmployeeID != "ana" {
		t.Errorf("acme's removals = %+v", list)
	}
	if list, _ := s.Removals(ctx, "acme", "bob"); len(list) != 0 {
		t.Errorf("bob sees ana's removals: %+v", list)
	}
	d, err := s.DueRemovals(ctx, now.Add(time.Hour), 10)
	ok(t, "due", err)
	if len(d) != 2 || d[0].CompanyID != "acme-2" || d[1].CompanyID != "acme" {
		t.Errorf("DueRemovals = %+v, want acme-2's then acme's", d)
	}
	if d, _ := s.DueRemovals(ctx, now.Add(time.Hour), 1); len(d) != 1 || d[0].CompanyID != "acme-2" {
		t.Errorf("DueRemovals with limit 1 = %+v", d)
	}
}

func list0(t *testing.T, s slotbook.Store, c, e string) slotbook.EventRemoval {
	t.Helper()
	list, err := s.Removals(t.Context(), c, e)
	ok(t, "removals", err)
	if len(list) == 0 {
		t.Fatalf("no removal of %s/%s", c, e)
	}
	return list[0]
}

// testNonces: a one-time value is used once until it expires.
func testNonces(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	now := at(20, 12, 0)
	ok(t, "first use", s.UseNonce(ctx, "acme", "n1", now, now.Add(15*time.Minute)))
	wantCode(t, "second use", s.UseNonce(ctx, "acme", "n1", now.Add(time.Minute), now.Add(16*time.Minute)), slotbook.Conflict)
	ok(t, "another company", s.UseNonce(ctx, "acme-2", "n1", now, now.Add(15*time.Minute)))
	ok(t, "after expiry", s.UseNonce(ctx, "acme", "n1", now.Add(16*time.Minute), now.Add(30*time.Minute)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.UseNonce(ctx, "acme", "n2", now, now.Add(time.Minute)) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d of 10 concurrent uses won, want 1", wins)
	}
}

func conn(id, employee string, p slotbook.Provider, isDefault bool) slotbook.Connection {
	return slotbook.Connection{
		ID: id, EmployeeID: employee, Provider: p, Account: "ana@x.example", CalendarID: "primary", Name: "Work",
		CheckConflicts: true, IsDefault: isDefault, Status: slotbook.Connected,
		SealedSecret: []byte("sealed-" + id), CreatedAt: at(1, 8, 0),
	}
}

func ptr[T any](v T) *T { return &v }

func testConnections(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	wantCode(t, "connection of an unknown employee", s.CreateConnection(ctx, "acme", conn("k0", "zed", slotbook.Google, false)), slotbook.NotFound)
	ok(t, "google", s.CreateConnection(ctx, "acme", conn("k1", "ana", slotbook.Google, true)))
	wantCode(t, "same id again", s.CreateConnection(ctx, "acme", conn("k1", "ana", slotbook.Google, false)), slotbook.Conflict)
	ics := conn("k2", "ana", slotbook.ICS, false)
	ics.URL, ics.CheckConflicts, ics.ShowInOverview = "https://feeds.example/a.ics", true, true
	ok(t, "ics", s.CreateConnection(ctx, "acme", ics))

	list, err := s.Connections(ctx, "acme", "ana")
	ok(t, "list", err)
	if len(list) != 2 || list[0].ID != "k1" || !list[0].IsDefault || list[1].IsDefault || list[1].URL != ics.URL || !list[1].ShowInOverview {
		t.Fatalf("Connections = %+v", list)
	}
	if string(list[0].SealedSecret) != "sealed-k1" || list[0].Status != slotbook.Connected || !list[0].CreatedAt.Equal(at(1, 8, 0)) {
		t.Errorf("connection read back as %+v", list[0])
	}

	// A new default takes the mark from the old one: never two.
	ok(t, "caldav as default", s.CreateConnection(ctx, "acme", conn("k3", "ana", slotbook.CalDAV, true)))
	list, _ = s.Connections(ctx, "acme", "ana")
	var defaults []string
	for _, k := range list {
		if k.IsDefault {
			defaults = append(defaults, k.ID)
		}
	}
	if !reflect.DeepEqual(defaults, []string{"k3"}) {
		t.Errorf("defaults = %v, want [k3]", defaults)
	}
	// Unsetting the default leaves none; unsetting a non-default changes nothing.
	_, err = s.UpdateConnection(ctx, "acme", "ana", "k1", slotbook.ConnectionUpdate{IsDefault: ptr(false)})
	ok(t, "k1 not default", err)
	if k, _ := s.Connection(ctx, "acme", "ana", "k3"); !k.IsDefault {
		t.Errorf("k3 lost its default when k1 was saved: %+v", k)
	}
	k, err := s.UpdateConnection(ctx, "acme", "ana", "k3", slotbook.ConnectionUpdate{IsDefault: ptr(false)})
	ok(t, "k3 not default", err)
	if k.IsDefault {
		t.Errorf("k3 still default: %+v", k)
	}

	// An update changes only what it names: never the status or the secret.
	ok(t, "needs reauth", s.SetConnectionAuth(ctx, "acme", "ana", "k1", nil, nil, slotbook.NeedsReauth))
	k, err = s.UpdateConnection(ctx, "acme", "ana", "k1", slotbook.ConnectionUpdate{Name: ptr("Renamed"), ShowInOverview: ptr(true), Account: ptr("ana@real.example")})
	ok(t, "update switches", err)
	if k.Name != "Renamed" || !k.ShowInOverview || !k.CheckConflicts || k.Account != "ana@real.example" || k.Status != slotbook.NeedsReauth || string(k.SealedSecret) != "sealed-k1" {
		t.Errorf("after UpdateConnection: %+v", k)
	}
	_, err = s.UpdateConnection(ctx, "acme", "ana", "nope", slotbook.ConnectionUpdate{Name: ptr("x")})
	wantCode(t, "update unknown", err, slotbook.NotFound)

	// Credentials: compare and swap.
	wantCode(t, "rotate over another secret", s.SetConnectionAuth(ctx, "acme", "ana", "k1", []byte("sealed-old"), []byte("sealed-rotated"), slotbook.Connected), slotbook.Conflict)
	ok(t, "rotate", s.SetConnectionAuth(ctx, "acme", "ana", "k1", []byte("sealed-k1"), []byte("sealed-rotated"), slotbook.Connected))
	if k, _ := s.Connection(ctx, "acme", "ana", "k1"); k.Status != slotbook.Connected || string(k.SealedSecret) != "sealed-rotated" || k.Name != "Renamed" {
		t.Errorf("after rotation: %+v", k)
	}
	wantCode(t, "auth of unknown", s.SetConnectionAuth(ctx, "acme", "ana", "nope", nil, nil, slotbook.Connected), slotbook.NotFound)

	_, err = s.UpdateConnection(ctx, "acme", "ana", "k3", slotbook.ConnectionUpdate{IsDefault: ptr(true)})
	ok(t, "default again", err)
	ok(t, "delete the default", s.DeleteConnection(ctx, "acme", "ana", "k3"))
	wantCode(t, "delete twice", s.DeleteConnection(ctx, "acme", "ana", "k3"), slotbook.NotFound)
	_, err = s.Connection(ctx, "acme", "ana", "k3")
	wantCode(t, "deleted", err, slotbook.NotFound)
	// An update after the delete does not bring it back.
	_, err = s.UpdateConnection(ctx, "acme", "ana", "k3", slotbook.ConnectionUpdate{ShowInOverview: ptr(true)})
	wantCode(t, "update after delete", err, slotbook.NotFound)
	_, err = s.Connection(ctx, "acme", "ana", "k3")
	wantCode(t, "still deleted", err, slotbook.NotFound)
	wantCode(t, "auth after delete", s.SetConnectionAuth(ctx, "acme", "ana", "k3", nil, []byte("x"), slotbook.Connected), slotbook.NotFound)
	// A connection made later with the deleted default's id is not default by inheritance.
	ok(t, "reuse id", s.CreateConnection(ctx, "acme", conn("k3", "ana", slotbook.CalDAV, false)))
	if k, _ := s.Connection(ctx, "acme", "ana", "k3"); k.IsDefault {
		t.Errorf("re-created k3 inherited the default: %+v", k)
	}
	if other, _ := s.Connections(ctx, "acme", "bob"); len(other) != 0 {
		t.Errorf("bob has ana's connections: %+v", other)
	}
	if other, _ := s.Connections(ctx, "acme-2", "ana"); len(other) != 0 {
		t.Errorf("another company sees ana's connections: %+v", other)
	}
	ok(t, "delete employee", s.DeleteEmployee(ctx, "acme", "ana"))
	ok(t, "re-create employee", s.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "ana", Name: "Ana"}))
	if left, _ := s.Connections(ctx, "acme", "ana"); len(left) != 0 {
		t.Errorf("connections survived their employee: %+v", left)
	}
}

// testConnectionWritesRace runs switch updates against a delete, and two
// rotations from the same secret against each other: a deleted connection
// never comes back, and only one rotation wins.
func testConnectionWritesRace(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	for i := range 10 {
		id := fmt.Sprintf("r%d", i)
		ok(t, "create", s.CreateConnection(ctx, "acme", conn(id, "ana", slotbook.Google, i%2 == 0)))
		var wg sync.WaitGroup
		for j := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.UpdateConnection(ctx, "acme", "ana", id, slotbook.ConnectionUpdate{ShowInOverview: ptr(j%2 == 0), IsDefault: ptr(j == 1)})
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.DeleteConnection(ctx, "acme", "ana", id)
		}()
		wg.Wait()
		// Whatever the order, after the delete the connection is gone for good.
		s.DeleteConnection(ctx, "acme", "ana", id)
		s.UpdateConnection(ctx, "acme", "ana", id, slotbook.ConnectionUpdate{Name: ptr("late")})
		if _, err := s.Connection(ctx, "acme", "ana", id); slotbook.ErrorCode(err) != slotbook.NotFound {
			t.Fatalf("round %d: deleted connection is back: %v", i, err)
		}
	}
	ok(t, "create k", s.CreateConnection(ctx, "acme", conn("k", "ana", slotbook.Microsoft, false)))
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.SetConnectionAuth(ctx, "acme", "ana", "k", []byte("sealed-k"), fmt.Appendf(nil, "rotated-%d", i), slotbook.Connected) == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d of 6 rotations from the same secret won, want 1", wins)
	}
}

// testBookingWritesRace runs the writes of one booking against each
// other: of concurrent cancels one succeeds and the booking is cancelled
// once; of a confirmation and a release of the same claim exactly one
// succeeds; of concurrent postponements of one removal version one wins.
func testBookingWritesRace(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	now := at(1, 12, 0)
	for round := range 4 {
		id := fmt.Sprintf("c%d", round)
		start := at(2+round, 9, 0)
		ok(t, "book "+id, s.CreateBooking(ctx, "acme", booking(id, "ana", start, start.Add(time.Hour), 0, 0), nil))
		wins, codes := race(6, func(int) error { return s.CancelBooking(ctx, "acme", id, nil, nil) })
		if wins != 1 || codes[slotbook.BookingCancelled] != 5 {
			t.Fatalf("round %d: concurrent cancels: %d won, others %v; want 1 and 5 booking_cancelled", round, wins, codes)
		}
		gone, err := s.CancelledBookings(ctx, "acme", "ana", start, start.Add(time.Hour))
		ok(t, "cancelled", err)
		live, err := s.Bookings(ctx, "acme", "ana", start, start.Add(time.Hour))
		ok(t, "live", err)
		if len(gone) != 1 || len(live) != 0 {
			t.Fatalf("round %d: cancelled %v, live %v; want the booking once, cancelled", round, ids(gone), ids(live))
		}

		p := fmt.Sprintf("p%d", round)
		ok(t, "claim "+p, s.CreateBooking(ctx, "acme", withEvent(pending(p, "bob", start, start.Add(time.Hour), now), p), nil))
		wins, codes = race(2, func(i int) error {
			if i == 0 {
				return s.ConfirmBooking(ctx, "acme", p, "ev", now.Add(time.Second), nil)
			}
			return s.ReleaseBooking(ctx, "acme", p, slotbook.Release{RemovalVersion: "v-" + p, Now: now})
		})
		if wins != 1 {
			t.Fatalf("round %d: confirm against release: %d won (%v), want exactly 1", round, wins, codes)
		}
		b, err := s.Booking(ctx, "acme", p)
		removals, _ := s.Removals(ctx, "acme", "bob")
		switch {
		case err == nil && b.Status == slotbook.Confirmed:
			if len(removals) != 0 {
				t.Fatalf("round %d: confirmed, yet its event is to be removed: %+v", round, removals)
			}
		case slotbook.ErrorCode(err) == slotbook.NotFound:
			if len(removals) != 1 || removals[0].Reason != slotbook.RemovalAbandoned {
				t.Fatalf("round %d: released, removals %+v; want its event's removal", round, removals)
			}
			ok(t, "drop", s.DeleteRemoval(ctx, "acme", "bob", p, removals[0].Version))
		default:
			t.Fatalf("round %d: after the race the booking is %+v, %v", round, b, err)
		}
	}
	r := slotbook.EventRemoval{CompanyID: "acme", EmployeeID: "ana", BookingID: "r1", Event: slotbook.EventRef{Connection: "k1", Key: "r1"},
		Start: now, End: now.Add(time.Hour), Reason: slotbook.RemovalCancelled, Due: now, Version: "v0"}
	ok(t, "removal", s.PutRemoval(ctx, r, ""))
	wins, _ := race(6, func(i int) error {
		next := r
		next.Version, next.Attempts = fmt.Sprintf("v%d", i+1), 1
		return s.PutRemoval(ctx, next, "v0")
	})
	if wins != 1 {
		t.Errorf("%d of 6 postponements of one version won, want 1", wins)
	}
}

// race runs f(0) … f(n-1) at once, released together, and tallies them:
// how many succeeded, and the others by error code.
func race(n int, f func(i int) error) (wins int, codes map[slotbook.Code]int) {
	return raceAfter(n, func(i int) func() error { return func() error { return f(i) } })
}

// raceAfter is race whose racers each do prepare(i) first, before the
// release, and then race with the function it returns.
func raceAfter(n int, prepare func(i int) func() error) (wins int, codes map[slotbook.Code]int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	codes = map[slotbook.Code]int{}
	gate := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			run := prepare(i)
			<-gate
			err := run()
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				wins++
			} else {
				codes[slotbook.ErrorCode(err)]++
			}
		})
	}
	close(gate)
	wg.Wait()
	return wins, codes
}
