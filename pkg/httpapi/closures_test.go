package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// openEveryDay sets up company id in Europe/Zurich with ana working every
// day 09:00–12:00 and consult (60 minutes) offered by her.
func (e *env) openEveryDay(id string) string {
	e.t.Helper()
	admin := token(e.t, "boss-"+id, id, slotbook.RoleAdmin)
	base := "/v1/companies/" + id
	e.must(201, "PUT", base+"/settings", admin, settingsBody{
		"name": id, "timezone": "Europe/Zurich", "bookingIntervalMinutes": 60, "minNoticeMinutes": 0, "horizonDays": 730, "supportAccess": false,
	})
	e.must(201, "POST", base+"/employees", admin, map[string]any{"id": "ana", "name": "Ana"})
	var weekly []map[string]string
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		weekly = append(weekly, map[string]string{"weekday": d, "start": "09:00", "end": "12:00"})
	}
	e.must(200, "PUT", base+"/employees/ana/availability", admin, map[string]any{"weekly": weekly})
	e.must(201, "POST", base+"/services", admin, map[string]any{"id": "consult", "name": "Consultation", "durationMinutes": 60, "employees": []string{"ana"}})
	return admin
}

// slotsOn returns company id's free starts on date.
func (e *env) slotsOn(id, date string) []string {
	e.t.Helper()
	var got slotsAnswer
	e.must(200, "GET", fmt.Sprintf("/v1/companies/%s/slots?service=consult&from=%s&to=%s", id, date, date), "", nil).Decode(e.t, &got)
	return starts(got)
}

type closureAnswer struct{ ID, Start, End, Name string }

// TestClosuresByRegion: Lucerne's holidays close Corpus Christi for a
// Lucerne company, not for a Zurich one; Good Friday and St. Stephen's Day
// close both; importing twice adds nothing; deleting one brings its slots
// back; booking, "any" and moving into a closed date are 409.
func TestClosuresByRegion(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e := newEnvOn(t, store())
		lu, zh := e.openEveryDay("luzern"), e.openEveryDay("zuerich")
		var first, again struct {
			Region string
			Year   int
			Added  []closureAnswer
			Kept   int
		}
		e.must(200, "POST", "/v1/companies/luzern/closures/import", lu, map[string]any{"region": "CH-LU", "year": 2027}).Decode(t, &first)
		e.must(200, "POST", "/v1/companies/zuerich/closures/import", zh, map[string]any{"region": "ch-zh", "year": 2027})
		if first.Region != "CH-LU" || len(first.Added) < 10 || first.Kept != 0 {
			t.Fatalf("first import: %+v", first)
		}
		e.must(200, "POST", "/v1/companies/luzern/closures/import", lu, map[string]any{"region": "CH-LU", "year": 2027}).Decode(t, &again)
		if len(again.Added) != 0 || again.Kept != len(first.Added) {
			t.Errorf("second import added %d, kept %d; want 0 and %d", len(again.Added), again.Kept, len(first.Added))
		}
		var list struct{ Closures []closureAnswer }
		e.must(200, "GET", "/v1/companies/luzern/closures?from=2027-01-01&to=2027-12-31", lu, nil).Decode(t, &list)
		if len(list.Closures) != len(first.Added) {
			t.Errorf("%d closures after two imports, want %d", len(list.Closures), len(first.Added))
		}

		for _, c := range []struct {
			date     string
			lu, zh   bool // closed?
			whatDate string
		}{
			{"2027-05-27", true, false, "Fronleichnam"},
			{"2027-03-26", true, true, "Karfreitag"},
			{"2027-12-26", true, true, "Stephanstag"},
			{"2027-05-28", false, false, "an ordinary Friday"},
		} {
			for _, co := range []struct {
				id     string
				closed bool
			}{{"luzern", c.lu}, {"zuerich", c.zh}} {
				got := e.slotsOn(co.id, c.date)
				if closed := len(got) == 0; closed != co.closed {
					t.Errorf("%s, %s (%s): slots %v, closed %v", co.id, c.date, c.whatDate, got, co.closed)
				}
			}
		}

		// A booking, an "any" booking and a move into a closed date: 409.
		body := bookingBody("2027-05-27T09:00:00+02:00")
		if r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/luzern/bookings", Body: body}); r.Status != 409 || r.Problem(t).Code != "slot_taken" {
			t.Errorf("booking on Corpus Christi in Lucerne: %d %s", r.Status, r.Body)
		}
		body["employee"] = "any"
		if r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/luzern/bookings", Body: body}); r.Status != 409 || r.Problem(t).Code != "slot_taken" {
			t.Errorf("an any booking on Corpus Christi in Lucerne: %d %s", r.Status, r.Body)
		}
		var c confirmation
		e.must(201, "POST", "/v1/companies/luzern/bookings", "", bookingBody("2027-05-28T09:00:00+02:00")).Decode(t, &c)
		if r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/luzern/bookings/" + c.ID + "/reschedule", Token: lu,
			Body: map[string]any{"start": "2027-05-27T10:00:00+02:00"}}); r.Status != 409 || r.Problem(t).Code != "slot_taken" {
			t.Errorf("moving onto Corpus Christi: %d %s", r.Status, r.Body)
		}
		e.must(201, "POST", "/v1/companies/zuerich/bookings", "", bookingBody("2027-05-27T09:00:00+02:00"))

		// The overview shows the closure, and no availability that day.
		var ov struct {
			Closures  []closureAnswer
			Employees []struct{ Availability []struct{ Start, End string } }
		}
		e.must(200, "GET", "/v1/companies/luzern/overview?from=2027-05-27&to=2027-05-27", lu, nil).Decode(t, &ov)
		if len(ov.Closures) != 1 || ov.Closures[0].Name == "" || ov.Closures[0].Start != "2027-05-27" || len(ov.Employees[0].Availability) != 0 {
			t.Errorf("overview of Corpus Christi: %+v", ov)
		}

		// Deleting it brings the slots back.
		id := slices.IndexFunc(list.Closures, func(c closureAnswer) bool { return c.Start == "2027-05-27" })
		if id < 0 {
			t.Fatalf("no closure on 2027-05-27 in %+v", list.Closures)
		}
		e.must(204, "DELETE", "/v1/companies/luzern/closures/"+list.Closures[id].ID, lu, nil)
		if got := e.slotsOn("luzern", "2027-05-27"); len(got) != 3 {
			t.Errorf("slots after the delete: %v", got)
		}
		// Importing again brings it back, once.
		e.must(200, "POST", "/v1/companies/luzern/closures/import", lu, map[string]any{"region": "CH-LU", "year": 2027}).Decode(t, &again)
		if len(again.Added) != 1 || again.Added[0].Start != "2027-05-27" {
			t.Errorf("the third import added %+v", again.Added)
		}
	})
}

// TestClosureInput: ranges, names and regions are checked and named.
func TestClosureInput(t *testing.T) {
	e := newEnv(t)
	admin := e.openEveryDay("acme")
	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"start": "2027-12-26", "end": "2027-12-24", "name": "Backwards"}, 400, "end"},
		{map[string]any{"start": "2027-01-01", "end": "2028-01-02", "name": "367 days"}, 400, "end"},
		{map[string]any{"start": "2027-02-30", "end": "2027-03-01", "name": "No such date"}, 400, "start"},
		{map[string]any{"start": "2027-12-24", "end": "2027-12-26", "name": " "}, 400, "name"},
	} {
		r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/closures", Token: admin, Body: c.body, BadRequest: true})
		if r.Status != c.status || !slices.Contains(r.Problem(t).Fields(), c.field) {
			t.Errorf("%v: %d %s, want %d naming %s", c.body, r.Status, r.Body, c.status, c.field)
		}
	}
	// 366 days, both counted, is the longest: a leap year whole.
	var year struct{ Closures []closureAnswer }
	e.must(201, "POST", "/v1/companies/acme/closures", admin, map[string]any{"start": "2028-01-01", "end": "2028-12-31", "name": "A whole leap year"})
	e.must(200, "GET", "/v1/companies/acme/closures?from=2028-01-01&to=2028-12-31", admin, nil).Decode(t, &year)
	if len(year.Closures) != 1 || year.Closures[0].End != "2028-12-31" {
		t.Errorf("closures %+v", year.Closures)
	}
	// The widget's profile does not list closures: closed dates simply have no times.
	var profile map[string]any
	e.must(200, "GET", "/v1/companies/acme/profile", "", nil).Decode(t, &profile)
	if _, ok := profile["closures"]; ok || strings.Contains(fmt.Sprint(profile), "leap year") {
		t.Errorf("the profile shows closures: %v", profile)
	}
	if got := e.slotsOn("acme", "2028-02-29"); len(got) != 0 {
		t.Errorf("slots on a closed leap day: %v", got)
	}
	for _, c := range []struct {
		body   map[string]any
		status int
		field  string
	}{
		{map[string]any{"region": "CH-XX", "year": 2027}, 422, "region"},
		{map[string]any{"region": "Narnia", "year": 2027}, 422, "region"},
		{map[string]any{"region": "CH-ZH", "year": 1999}, 400, "year"},
		{map[string]any{"region": "CH-ZH"}, 400, "year"},
	} {
		r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/closures/import", Token: admin, Body: c.body, BadRequest: true})
		if r.Status != c.status || !slices.Contains(r.Problem(t).Fields(), c.field) {
			t.Errorf("%v: %d %s, want %d naming %s", c.body, r.Status, r.Body, c.status, c.field)
		}
	}
}
