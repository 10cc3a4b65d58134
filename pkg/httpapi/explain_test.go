package httpapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
)

type explanation struct {
	Date, Timezone string
	Times          []struct {
		Start   string
		Free    bool
		Reasons []struct{ Code, Calendar, Absence, Booking string }
	}
}

// reasonsAt returns the reason codes of start hh:mm, with the id each names.
func (x explanation) reasonsAt(t *testing.T, hhmm string) []string {
	t.Helper()
	for _, c := range x.Times {
		if strings.Contains(c.Start, "T"+hhmm+":00") {
			var out []string
			for _, r := range c.Reasons {
				out = append(out, r.Code+":"+r.Calendar+r.Absence+r.Booking)
			}
			return out
		}
	}
	t.Fatalf("no candidate at %s in %+v", hhmm, x.Times)
	return nil
}

const explainMonday = "/v1/companies/acme/availability/explain?service=consult&employee=ana&date=2027-03-22"

// TestExplainSaysWhyTimesAreNotOffered: ana works Mondays 09:00–12:00 on a
// 30-minute grid with a 60-minute service. An absence, a booking and an
// external event each block the starts they should, named by id and never
// by title; the free starts are the slots; a calendar that cannot be read
// blocks every start; staff may ask only for themselves.
func TestExplainSaysWhyTimesAreNotOffered(t *testing.T) {
	e, fake, admin := calendarEnv(t)
	const feed = "https://feeds.example/private/a.ics"
	acct := fake.Add(feed, "")
	acct.Events["primary"] = []slotbook.ExternalEvent{{Start: zurich(t, 22, 11, 30), End: zurich(t, 22, 11, 45), Title: "Secret Title", Busy: true}}
	k := e.connectFeed(admin, feed)
	var ab struct{ ID string }
	e.must(201, "POST", "/v1/companies/acme/employees/ana/absences", admin, map[string]any{
		"start": "2027-03-22T09:00:00+01:00", "end": "2027-03-22T09:30:00+01:00"}).Decode(t, &ab)

	var x explanation
	r := e.must(200, "GET", explainMonday, admin, nil)
	r.Decode(t, &x)
	if strings.Contains(string(r.Body), "Secret Title") {
		t.Errorf("the explanation shows an external title: %s", r.Body)
	}
	if x.Date != "2027-03-22" || x.Timezone != "Europe/Zurich" || len(x.Times) != 6 {
		t.Fatalf("explanation %+v, want six starts 09:00–11:30", x)
	}
	for hhmm, want := range map[string][]string{
		"09:00": {"ABSENCE:" + ab.ID},
		"09:30": nil,
		"10:00": nil,
		"10:30": nil,
		"11:00": {"EXTERNAL_BUSY:" + k.ID},
		"11:30": {"DOESNT_FIT:", "EXTERNAL_BUSY:" + k.ID},
	} {
		if got := x.reasonsAt(t, hhmm); !slices.Equal(got, want) {
			t.Errorf("%s: reasons %v, want %v", hhmm, got, want)
		}
	}
	// The free starts are the slots.
	var free []string
	for _, c := range x.Times {
		if c.Free {
			free = append(free, c.Start)
		}
	}
	if got := e.starts(); !slices.Equal(got, free) {
		t.Errorf("free %v, slots %v", free, got)
	}

	// A booking: BOOKED over its time, for the customer's booking id.
	var b struct{ ID string }
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T09:30:00+01:00")).Decode(t, &b)
	e.must(200, "GET", explainMonday, admin, nil).Decode(t, &x)
	if got := x.reasonsAt(t, "10:00"); !slices.Equal(got, []string{"BOOKED:" + b.ID}) {
		t.Errorf("10:00 after the booking: %v", got)
	}

	// A feed that cannot be read: every start is CALENDAR_UNREADABLE.
	fake.Set(func(p *calendartest.Provider) { p.Accounts[feed].Fail = errString("503") })
	e.must(200, "GET", explainMonday, admin, nil).Decode(t, &x)
	for _, c := range x.Times {
		if c.Free || !slices.ContainsFunc(c.Reasons, func(r struct{ Code, Calendar, Absence, Booking string }) bool {
			return r.Code == "CALENDAR_UNREADABLE" && r.Calendar == k.ID
		}) {
			t.Errorf("%s with the feed down: %+v", c.Start, c)
		}
	}

	// Staff for themselves only; bad input names the field.
	e.must(200, "GET", explainMonday, token(t, "ana", "acme", slotbook.RoleStaff), nil)
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "bob", "name": "Bob"})
	e.must(403, "GET", explainMonday, token(t, "bob", "acme", slotbook.RoleStaff), nil)
	for _, bad := range []string{"date=2027-02-30", "date=", "service=", "employee=nobody"} {
		q := explainMonday
		name := strings.Split(bad, "=")[0]
		q = strings.Replace(q, name+"=", "x"+name+"=", 1) + "&" + bad
		r := e.client.Do(apitest.Request{Method: "GET", Path: q, Token: admin, BadRequest: true})
		if r.Status != 400 && r.Status != 404 || (r.Status == 400 && !strings.Contains(string(r.Body), `"`+name+`"`)) {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
}
