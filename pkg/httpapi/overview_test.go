package httpapi_test

import (
	"strings"
	"testing"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/calendartest"
)

type overviewAnswer struct {
	Timezone  string
	Employees []struct {
		ID, Name     string
		Availability []struct{ Start, End string }
		Absences     []struct{ ID, Start, End, Reason string }
		Bookings     []struct{ ID, Service, Start, End, Status string }
		External     []map[string]string
		Errors       []struct{ Calendar, Reason string }
	}
}

func TestOverviewShowsTheDayWithTitlesOnlyWhereAllowed(t *testing.T) {
	e, fake, admin := calendarEnv(t)
	shown := fake.Add("https://feeds.example/shown.ics", "")
	shown.Events["primary"] = []slotbook.ExternalEvent{{Start: zurich(t, 22, 11, 0), End: zurich(t, 22, 11, 30), Title: "Parent meeting", Busy: true}}
	hidden := fake.Add("https://feeds.example/hidden.ics", "")
	hidden.Events["primary"] = []slotbook.ExternalEvent{{Start: zurich(t, 22, 9, 0), End: zurich(t, 22, 9, 15), Title: "Therapy", Busy: true}}
	e.must(201, "POST", "/v1/companies/acme/employees/ana/calendars", admin, map[string]any{"provider": "ics", "url": "https://feeds.example/shown.ics", "showInOverview": true})
	hiddenK := e.connectFeed(admin, "https://feeds.example/hidden.ics")
	fake.Add("https://feeds.example/broken.ics", "")
	broken := e.connectFeed(admin, "https://feeds.example/broken.ics")
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00"))
	fake.Set(func(p *calendartest.Provider) {
		p.Accounts["https://feeds.example/broken.ics"].Fail = errString("timeout")
	})
	e.must(201, "POST", "/v1/companies/acme/employees/ana/absences", admin, map[string]any{"start": "2027-03-22T08:00:00+01:00", "end": "2027-03-22T09:00:00+01:00", "reason": "Doctor"})

	var o overviewAnswer
	e.must(200, "GET", "/v1/companies/acme/overview?from=2027-03-22&to=2027-03-22", admin, nil).Decode(t, &o)
	if o.Timezone != "Europe/Zurich" || len(o.Employees) != 1 {
		t.Fatalf("overview = %+v", o)
	}
	ana := o.Employees[0]
	if len(ana.Availability) != 1 || ana.Availability[0].Start != "2027-03-22T09:00:00+01:00" || ana.Availability[0].End != "2027-03-22T12:00:00+01:00" {
		t.Errorf("availability = %+v", ana.Availability)
	}
	if len(ana.Absences) != 1 || ana.Absences[0].Reason != "Doctor" || len(ana.Bookings) != 1 || ana.Bookings[0].Start != "2027-03-22T10:00:00+01:00" {
		t.Errorf("absences %+v, bookings %+v", ana.Absences, ana.Bookings)
	}
	if len(ana.External) != 2 {
		t.Fatalf("external = %+v", ana.External)
	}
	if x := ana.External[0]; x["calendar"] != hiddenK.ID || x["start"] != "2027-03-22T09:00:00+01:00" || x["title"] != "" {
		t.Errorf("hidden calendar's event = %v; want a busy block without title", x)
	}
	if x := ana.External[1]; x["title"] != "Parent meeting" {
		t.Errorf("shown calendar's event = %v", x)
	}
	if len(ana.Errors) != 1 || ana.Errors[0].Calendar != broken.ID || ana.Errors[0].Reason != "calendar_unreachable" {
		t.Errorf("errors = %+v", ana.Errors)
	}

	t.Run("in another zone", func(t *testing.T) {
		var o overviewAnswer
		e.must(200, "GET", "/v1/companies/acme/overview?from=2027-03-22&to=2027-03-22&timezone=America/New_York", admin, nil).Decode(t, &o)
		if o.Employees[0].Availability[0].Start != "2027-03-22T04:00:00-04:00" {
			t.Errorf("availability in New York = %+v", o.Employees[0].Availability)
		}
	})
	t.Run("support sees no titles", func(t *testing.T) {
		e.must(200, "PUT", "/v1/companies/acme/settings", admin, map[string]any{"name": "Acme", "timezone": "Europe/Zurich",
			"bookingIntervalMinutes": 30, "minNoticeMinutes": 0, "horizonDays": 60, "supportAccess": true})
		r := e.must(200, "GET", "/v1/companies/acme/overview?from=2027-03-22&to=2027-03-22", token(t, "help", "", slotbook.RoleSupport), nil)
		if strings.Contains(string(r.Body), "Parent meeting") || strings.Contains(string(r.Body), "Therapy") {
			t.Errorf("support sees titles: %s", r.Body)
		}
	})
	t.Run("staff see only themselves", func(t *testing.T) {
		e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "bob", "name": "Bob"})
		bob := token(t, "bob", "acme", slotbook.RoleStaff)
		var o overviewAnswer
		e.must(200, "GET", "/v1/companies/acme/overview?from=2027-03-22&to=2027-03-28", bob, nil).Decode(t, &o)
		if len(o.Employees) != 1 || o.Employees[0].ID != "bob" {
			t.Errorf("bob's overview = %+v", o.Employees)
		}
		e.must(403, "GET", "/v1/companies/acme/overview?from=2027-03-22&to=2027-03-28&employee=ana", bob, nil)
	})
	e.must(400, "GET", "/v1/companies/acme/overview?from=2027-03-01&to=2027-04-01", admin, nil)
}
