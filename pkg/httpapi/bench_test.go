package httpapi_test

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

// BenchmarkSlotsTenEmployeesTwoCalendars is design.md's fan-out target: a
// slots request for 10 employees with 2 external calendars each (two
// accounts, so 20 provider calls), every provider answering after 80 ms,
// must finish within 80 + 20 ms.
func BenchmarkSlotsTenEmployeesTwoCalendars(b *testing.B) {
	fake := calendartest.New()
	fake.Delay = 80 * time.Millisecond
	providers := map[slotbook.Provider]slotbook.CalendarProvider{slotbook.Google: fake, slotbook.CalDAV: fake}
	e := newEnv(b, slotbook.WithProviders(providers))
	sealer := e.sealer
	admin := token(b, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	var staff []string
	for i := range 10 {
		id := fmt.Sprintf("emp-%d", i)
		staff = append(staff, id)
		e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": id, "name": id})
		e.must(200, "PUT", "/v1/companies/acme/employees/"+id+"/availability", admin, map[string]any{
			"weekly": []map[string]string{{"weekday": "monday", "start": "08:00", "end": "18:00"}}})
		for j, p := range []slotbook.Provider{slotbook.Google, slotbook.CalDAV} {
			secret := fmt.Sprintf("secret-%d-%d", i, j)
			acct := fake.Add(secret, fmt.Sprintf("%s@%s.example", id, p))
			acct.Events["primary"] = []slotbook.ExternalEvent{{Start: zurichB(22, 9+j, 0), End: zurichB(22, 9+j, 30), Busy: true}}
			kid := fmt.Sprintf("k%d", j)
			sealed, err := sealer.Seal(b.Context(), []byte(secret), slotbook.SecretContext{Company: "acme", Employee: id, Purpose: kid})
			if err != nil {
				b.Fatal(err)
			}
			if err := e.store.CreateConnection(b.Context(), "acme", slotbook.Connection{
				ID: kid, EmployeeID: id, Provider: p, Account: acct.Email, CalendarID: "primary",
				CheckConflicts: true, Status: slotbook.Connected, SealedSecret: sealed,
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
	e.must(200, "PUT", "/v1/companies/acme/services/consult", admin, map[string]any{
		"name": "Consultation", "durationMinutes": 60, "employees": staff})

	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-28", nil))
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.StopTimer()
	if calls := fake.Count("Busy"); calls < 20*b.N {
		b.Fatalf("%d provider calls for %d requests, want 20 each", calls, b.N)
	}
}

func zurichB(day, hour, minute int) time.Time {
	z, _ := time.LoadLocation("Europe/Zurich")
	return time.Date(2027, 3, day, hour, minute, 0, 0, z)
}

// BenchmarkSlotsAfterCancellations: a slots request on DynamoDB Local for
// a day on which one time was booked and cancelled 300 times (a customer,
// or a bot, booking and cancelling in a loop). Cancelled bookings must not
// stay in the range every slots read and every claim queries.
func BenchmarkSlotsAfterCancellations(b *testing.B) {
	e := newEnvOn(b, dynamotest.NewStore(b))
	admin := token(b, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	for i := range 300 {
		body := bookingBody("2027-03-22T10:00:00+01:00")
		body["customer"].(map[string]any)["name"] = fmt.Sprintf("Loop %d", i)
		var c confirmation
		e.must(201, "POST", "/v1/companies/acme/bookings", "", body).Decode(b, &c)
		e.must(204, "DELETE", "/v1/companies/acme/bookings/"+c.ID, admin, nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, httptest.NewRequest("GET", slotsOfMonday, nil))
		if rec.Code != 200 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
