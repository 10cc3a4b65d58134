package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/caldav"
	"github.com/slotbook/slotbook/pkg/calendar/caldav/radicaletest"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

// TestEraseCustomerOnDynamoDB: three bookings of one customer, two of them
// past; the export shows them; the erasure cancels the future one (its
// event leaves a real Radicale calendar) and anonymizes all three; a raw
// scan of the whole table then finds neither the e-mail nor the name; a
// second erasure changes nothing.
func TestEraseCustomerOnDynamoDB(t *testing.T) {
	dav := radicaletest.Start(t, radicaletest.Options{Users: map[string]string{"ana": "ana-dav-pass"}})
	calPath := dav.MakeCalendar(t, "ana", "ana-dav-pass", "work", "Work")
	table := dynamotest.NewTable(t)
	e := newEnvOn(t, dynamo.New(dynamotest.Client(t), table),
		slotbook.WithProviders(map[slotbook.Provider]slotbook.CalendarProvider{slotbook.CalDAV: caldav.New(caldav.Config{AllowPrivateNetworks: true})}),
		slotbook.WithPrivateCalendarHosts())
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(201, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{
		"provider": "caldav", "url": dav.URL + "/", "username": "ana", "password": "ana-dav-pass"})

	const name, email = "Erika Erased-Muster", "Erika.Erased@Client.example"
	body := func(start string) map[string]any {
		b := bookingBody(start)
		b["customer"] = map[string]any{"name": name, "email": email, "phone": "+41 44 765 43 21"}
		b["notes"] = "Allergic to lavender"
		return b
	}
	var future confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", body("2027-03-22T09:00:00+01:00"))
	e.must(201, "POST", "/v1/companies/acme/bookings", "", body("2027-03-22T10:00:00+01:00"))
	e.must(201, "POST", "/v1/companies/acme/bookings", "", body("2027-03-29T09:00:00+02:00")).Decode(t, &future)
	other := e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-29T11:00:00+02:00"))
	if n := len(dav.Objects(t, "ana", "ana-dav-pass", calPath)); n != 4 {
		t.Fatalf("%d events in the calendar, want 4", n)
	}
	e.advance(5 * time.Hour) // 13:00 on 22 March: two of Erika's are past

	var export struct {
		Email    string
		Bookings []struct {
			ID, Status, Notes string
			Customer          struct{ Name, Email, Phone string }
		}
	}
	e.must(200, "GET", "/v1/companies/acme/customers/export?email=erika.erased@client.EXAMPLE", admin, nil).Decode(t, &export)
	if len(export.Bookings) != 3 || export.Bookings[0].Customer.Name != name || export.Bookings[0].Notes != "Allergic to lavender" ||
		export.Bookings[2].ID != future.ID {
		t.Fatalf("export %+v", export)
	}

	var res struct{ BookingsAnonymized, FutureBookingsCancelled int }
	e.must(200, "POST", "/v1/companies/acme/customers/erase", admin, map[string]any{"email": email}).Decode(t, &res)
	if res.BookingsAnonymized != 2 || res.FutureBookingsCancelled != 1 {
		t.Errorf("erase = %+v, want 2 anonymized, 1 cancelled", res)
	}
	objects := dav.Objects(t, "ana", "ana-dav-pass", calPath)
	if len(objects) != 3 {
		t.Errorf("%d events after the erasure, want 3 (the future one gone)", len(objects))
	}
	for _, o := range objects {
		if _, ics := dav.Get(t, "ana", "ana-dav-pass", o); strings.Contains(ics, future.ID) {
			t.Errorf("the cancelled booking's event is still there: %s", o)
		}
	}
	var after movedBooking
	e.must(200, "GET", "/v1/companies/acme/bookings/"+future.ID, admin, nil).Decode(t, &after)
	if after.Status != "cancelled" {
		t.Errorf("the future booking is %s", after.Status)
	}

	items := dynamotest.ScanText(t, table)
	if len(items) < 20 || !strings.Contains(strings.Join(items, "\n"), "Chris Client") {
		t.Fatalf("the scan (%d items) does not see the other customer: it would miss these too", len(items))
	}
	for i, it := range items {
		for _, s := range []string{strings.ToLower(email), email, name, "Erika", "765 43 21", "lavender"} {
			if strings.Contains(it, s) {
				t.Errorf("item %d holds %q: %.300s", i, s, it)
			}
		}
	}
	e.must(200, "GET", "/v1/companies/acme/customers/export?email="+email, admin, nil).Decode(t, &export)
	if len(export.Bookings) != 0 {
		t.Errorf("the export after the erasure: %+v", export.Bookings)
	}
	e.must(200, "POST", "/v1/companies/acme/customers/erase", admin, map[string]any{"email": email}).Decode(t, &res)
	if res.BookingsAnonymized != 0 || res.FutureBookingsCancelled != 0 {
		t.Errorf("a second erase = %+v, want nothing", res)
	}
	_ = other
}

// TestRetentionErasesExpiredCustomerData: with retentionDays, the sweeper
// erases a booking's customer data that long after its end, and no
// earlier; the audit log says the system did it. On both stores.
func TestRetentionErasesExpiredCustomerData(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e := newEnvOn(t, store())
		admin := token(t, "boss", "acme", slotbook.RoleAdmin)
		e.seed(admin)
		e.must(200, "PUT", "/v1/companies/acme/settings", admin, settingsBody{
			"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30, "minNoticeMinutes": 0, "horizonDays": 60,
			"supportAccess": false, "retentionDays": 30,
		})
		var s struct{ RetentionDays *int }
		e.must(200, "GET", "/v1/companies/acme/settings", admin, nil).Decode(t, &s)
		if s.RetentionDays == nil || *s.RetentionDays != 30 {
			t.Fatalf("retentionDays = %v", s.RetentionDays)
		}
		var a, b confirmation
		e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T09:00:00+01:00")).Decode(t, &a)
		e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-29T09:00:00+02:00")).Decode(t, &b)
		sweep := func() slotbook.SweepReport {
			rep, err := e.app.Sweep(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			return rep
		}
		customer := func(id string) (string, bool) {
			var got struct {
				Customer   struct{ Email string }
				Anonymized bool
			}
			e.must(200, "GET", "/v1/companies/acme/bookings/"+id, admin, nil).Decode(t, &got)
			return got.Customer.Email, got.Anonymized
		}
		if rep := sweep(); rep.Anonymized != 0 {
			t.Errorf("a sweep right away erased %d", rep.Anonymized)
		}
		e.advance(35 * 24 * time.Hour) // 26 April: A ended 35 days ago, B 28
		if rep := sweep(); rep.Anonymized != 1 {
			t.Errorf("the sweep after 35 days erased %d, want 1", rep.Anonymized)
		}
		if email, anon := customer(a.ID); email != "" || !anon {
			t.Errorf("A after its retention: %q, anonymized %v", email, anon)
		}
		if email, anon := customer(b.ID); email == "" || anon {
			t.Errorf("B before its retention: %q, anonymized %v", email, anon)
		}
		e.advance(3 * 24 * time.Hour)
		if rep := sweep(); rep.Anonymized != 1 {
			t.Errorf("the sweep 3 days later erased %d, want 1 (B)", rep.Anonymized)
		}
		if rep := sweep(); rep.Anonymized != 0 {
			t.Errorf("another sweep erased %d", rep.Anonymized)
		}
		var log struct {
			Entries []struct{ Actor, Action, Target string }
		}
		e.must(200, "GET", "/v1/companies/acme/audit?from=2027-04-01&to=2027-04-30", admin, nil).Decode(t, &log)
		if len(log.Entries) != 2 || log.Entries[0].Actor != slotbook.ActorSystem {
			t.Errorf("audit of the erasures %+v", log.Entries)
		}
	})
}
