package storetest

import (
	"testing"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// testCustomerData: a customer's bookings are found by e-mail in any case,
// live and cancelled, across employees and never across companies;
// anonymizing one keeps its time and status, drops its customer data, and
// takes it out of the customer's list.
func testCustomerData(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	mk := func(company, id, employee string, day int, email string) slotbook.Booking {
		b := booking(id, employee, at(day, 9, 0), at(day, 10, 0), 0, 0)
		b.Customer, b.Notes = slotbook.Customer{Name: "Zoë Kunde", Email: email, Phone: "+41 1"}, "notes"
		ok(t, id, s.CreateBooking(ctx, company, b, nil))
		return b
	}
	mk("acme", "c1", "ana", 22, "zoe@Kunde.example")
	mk("acme", "c2", "bob", 23, "ZOE@kunde.example")
	mk("acme", "c3", "ana", 24, "other@kunde.example")
	mk("acme-2", "c4", "ana", 22, "zoe@kunde.example")
	ok(t, "cancel c2", s.CancelBooking(ctx, "acme", "c2", nil, nil))
	got, err := s.CustomerBookings(ctx, "acme", "Zoe@Kunde.Example")
	ok(t, "list", err)
	if len(got) != 2 || got[0].ID != "c1" || got[1].ID != "c2" || got[1].Status != slotbook.Cancelled || got[0].Notes != "notes" {
		t.Fatalf("zoe's bookings %+v", got)
	}
	ok(t, "anonymize c1", s.AnonymizeBooking(ctx, "acme", "c1"))
	ok(t, "anonymize c2", s.AnonymizeBooking(ctx, "acme", "c2"))
	b, _ := s.Booking(ctx, "acme", "c1")
	if !b.Anonymized || b.Customer != (slotbook.Customer{}) || b.Notes != "" || !b.Start.Equal(at(22, 9, 0)) || b.Status != slotbook.Confirmed {
		t.Errorf("anonymized c1 %+v", b)
	}
	if b, _ := s.Booking(ctx, "acme", "c2"); !b.Anonymized || b.Status != slotbook.Cancelled {
		t.Errorf("anonymized c2 %+v", b)
	}
	if got, _ := s.CustomerBookings(ctx, "acme", "zoe@kunde.example"); len(got) != 0 {
		t.Errorf("after anonymizing: %+v", got)
	}
	if got, _ := s.CustomerBookings(ctx, "acme-2", "zoe@kunde.example"); len(got) != 1 || got[0].ID != "c4" {
		t.Errorf("acme-2's zoe %+v", got)
	}
	wantCode(t, "anonymize a missing one", s.AnonymizeBooking(ctx, "acme", "nope"), slotbook.NotFound)
}
