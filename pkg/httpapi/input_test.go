package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/local/devauth"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// Round-trip through a generic value so key order does not matter.
	var g any
	json.Unmarshal(b, &g)
	b, _ = json.Marshal(g)
	return string(b)
}

// TestBadInputIsAProblemNamingTheField sends broken requests: each gets a
// 4xx problem+json naming the field, never a 500, and stored data stays as
// it was.
func TestBadInputIsAProblemNamingTheField(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	long := strings.Repeat("x", 201)
	valid := settingsBody{"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30,
		"minNoticeMinutes": 0, "horizonDays": 60, "supportAccess": false}
	with := func(k string, v any) settingsBody {
		b := settingsBody{}
		for kk, vv := range valid {
			b[kk] = vv
		}
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	const settings = "/v1/companies/acme/settings"
	const avail = "/v1/companies/acme/employees/ana/availability"
	day := func(weekday, start, end string) map[string]any {
		return map[string]any{"weekly": []map[string]string{{"weekday": weekday, "start": start, "end": end}}}
	}
	cases := []struct {
		name         string
		method, path string
		body         any
		contentType  string
		wantStatus   int
		wantField    string // "" when the problem blames no field
	}{
		{"unknown field", "PUT", settings, with("color", "red"), "", 400, "color"},
		{"wrong type", "PUT", settings, with("bookingIntervalMinutes", "30"), "", 400, "bookingIntervalMinutes"},
		{"fraction for a whole number", "PUT", settings, with("horizonDays", 1.5), "", 400, "horizonDays"},
		{"missing required field", "PUT", settings, with("timezone", nil), "", 400, "timezone"},
		{"not a zone", "PUT", settings, with("timezone", "Mars/Olympus"), "", 400, "timezone"},
		{"Local is no IANA zone", "PUT", settings, with("timezone", "Local"), "", 400, "timezone"},
		{"zone path trick", "PUT", settings, with("timezone", "../../etc/passwd"), "", 400, "timezone"},
		{"interval too small", "PUT", settings, with("bookingIntervalMinutes", 1), "", 400, "bookingIntervalMinutes"},
		{"negative notice", "PUT", settings, with("minNoticeMinutes", -5), "", 400, "minNoticeMinutes"},
		{"name too long", "PUT", settings, with("name", long), "", 400, "name"},
		{"blank name", "PUT", settings, with("name", "   "), "", 400, "name"},
		{"control characters", "PUT", settings, with("name", "a\u0000b"), "", 400, "name"},
		{"malformed JSON", "PUT", settings, `{"name": "Acme",`, "", 400, "body"},
		{"JSON but not an object", "PUT", settings, `[1,2]`, "", 400, "body"},
		{"two JSON values", "PUT", settings, jsonOf(t, valid) + ` {}`, "", 400, "body"},
		{"empty body", "PUT", settings, "", "application/json", 400, "body"},
		{"not JSON", "PUT", settings, "name=Acme", "application/x-www-form-urlencoded", 415, ""},
		{"too large", "PUT", settings, `{"name":"` + strings.Repeat("a", 70<<10) + `"}`, "", 413, ""},
		{"unknown field inside an array", "PUT", avail, map[string]any{"weekly": []map[string]string{
			{"weekday": "monday", "start": "08:00", "end": "12:00"}, {"weekday": "monday", "start": "13:00", "end": "14:00", "color": "red"}}}, "", 400, "weekly[1].color"},
		{"unknown weekday", "PUT", avail, day("funday", "08:00", "12:00"), "", 400, "weekly[0].weekday"},
		{"hour 25", "PUT", avail, day("monday", "25:00", "26:00"), "", 400, "weekly[0].start"},
		{"start 24:00", "PUT", avail, day("monday", "24:00", "24:00"), "", 400, "weekly[0].start"},
		{"single-digit hour", "PUT", avail, day("monday", "8:00", "12:00"), "", 400, "weekly[0].start"},
		{"end before start", "PUT", avail, day("monday", "12:00", "08:00"), "", 400, "weekly[0].end"},
		{"overlapping intervals", "PUT", avail, map[string]any{"weekly": []map[string]string{
			{"weekday": "monday", "start": "08:00", "end": "12:00"}, {"weekday": "monday", "start": "11:00", "end": "13:00"}}}, "", 400, "weekly[1]"},
		{"impossible override date", "PUT", avail, map[string]any{"overrides": []map[string]any{
			{"date": "2027-02-30", "intervals": []any{}}}}, "", 400, "overrides[0].date"},
		{"two overrides of one date", "PUT", avail, map[string]any{"overrides": []map[string]any{
			{"date": "2027-12-24", "intervals": []any{}}, {"date": "2027-12-24", "intervals": []any{}}}}, "", 400, "overrides[1].date"},
		{"override interval ends first", "PUT", avail, map[string]any{"overrides": []map[string]any{
			{"date": "2027-12-24", "intervals": []map[string]string{{"start": "10:00", "end": "09:00"}}}}}, "", 400, "overrides[0].intervals[0].end"},
		{"absence without offset", "POST", "/v1/companies/acme/employees/ana/absences",
			map[string]any{"start": "2027-03-22T10:00:00", "end": "2027-03-22T11:00:00+01:00"}, "", 400, "start"},
		{"absence ends before it starts", "POST", "/v1/companies/acme/employees/ana/absences",
			map[string]any{"start": "2027-03-22T10:00:00+01:00", "end": "2027-03-22T09:00:00+01:00"}, "", 400, "end"},
		{"absence without end", "POST", "/v1/companies/acme/employees/ana/absences",
			map[string]any{"start": "2027-03-22T10:00:00+01:00"}, "", 400, "end"},
		{"bad e-mail", "POST", "/v1/companies/acme/employees", map[string]any{"name": "Eve", "email": "eve at example"}, "", 400, "email"},
		{"id with key separator", "POST", "/v1/companies/acme/employees", map[string]any{"id": "a#b", "name": "Eve"}, "", 400, "id"},
		{"existing employee id", "POST", "/v1/companies/acme/employees", map[string]any{"id": "ana", "name": "Ana 2"}, "", 409, ""},
		{"id differs from path", "PUT", "/v1/companies/acme/employees/ana", map[string]any{"id": "bob", "name": "Ana"}, "", 400, "id"},
		{"service without duration", "POST", "/v1/companies/acme/services", map[string]any{"name": "X"}, "", 400, "durationMinutes"},
		{"service too long", "POST", "/v1/companies/acme/services", map[string]any{"name": "X", "durationMinutes": 1441}, "", 400, "durationMinutes"},
		{"service lists an employee twice", "POST", "/v1/companies/acme/services",
			map[string]any{"name": "X", "durationMinutes": 30, "employees": []string{"ana", "ana"}}, "", 400, "employees[1]"},
		{"service names an unknown employee", "POST", "/v1/companies/acme/services",
			map[string]any{"name": "X", "durationMinutes": 30, "employees": []string{"ghost"}}, "", 422, ""},
		{"slots without service", "GET", "/v1/companies/acme/slots?from=2027-03-22&to=2027-03-22", nil, "", 400, "service"},
		{"slots with a bad date", "GET", "/v1/companies/acme/slots?service=consult&from=2027-13-01&to=2027-03-22", nil, "", 400, "from"},
		{"slots over 62 days", "GET", "/v1/companies/acme/slots?service=consult&from=2027-03-01&to=2027-05-02", nil, "", 400, "to"},
		{"slots backwards", "GET", "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-21", nil, "", 400, "to"},
		{"slots in no zone", "GET", "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-22&timezone=Nowhere", nil, "", 400, "timezone"},
		{"next free without service", "GET", "/v1/companies/acme/next-free", nil, "", 400, "service"},
		{"next free with a hostile service", "GET", "/v1/companies/acme/next-free?service=%3Cscript%3E", nil, "", 400, "service"},
		{"next free in no zone", "GET", "/v1/companies/acme/next-free?service=consult&timezone=Nowhere", nil, "", 400, "timezone"},
		{"slots with a repeated parameter", "GET", "/v1/companies/acme/slots?service=consult&service=x&from=2027-03-22&to=2027-03-22", nil, "", 400, "service"},
		{"slots of an unknown service", "GET", "/v1/companies/acme/slots?service=nope&from=2027-03-22&to=2027-03-22", nil, "", 404, ""},
		{"slots of an employee without the service", "GET", "/v1/companies/acme/slots?service=consult&employee=bob&from=2027-03-22&to=2027-03-22", nil, "", 404, ""},
		{"slots of an unknown company", "GET", "/v1/companies/nobody/slots?service=consult&from=2027-03-22&to=2027-03-22", nil, "", 404, ""},
		{"absences with a bad date", "GET", "/v1/companies/acme/employees/ana/absences?from=yesterday", nil, "", 400, "from"},
		{"unknown route", "GET", "/v1/companies/acme/nothing", nil, "", 404, ""},
		{"unknown method", "PATCH", settings, nil, "", 405, ""},
	}
	before := e.must(200, "GET", settings, admin, nil).Body
	beforeAvail := e.must(200, "GET", avail, admin, nil).Body
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.client.Do(apitest.Request{Method: c.method, Path: c.path, Token: admin, Body: c.body, ContentType: c.contentType, BadRequest: true})
			if r.Status != c.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", r.Status, c.wantStatus, r.Body)
			}
			p := r.Problem(t)
			if p.Status != c.wantStatus || p.Code == "" || p.Detail == "" {
				t.Errorf("problem = %+v", p)
			}
			if c.wantField != "" && !slices.Contains(p.Fields(), c.wantField) {
				t.Errorf("problem blames %v, want %q; detail %q", p.Fields(), c.wantField, p.Detail)
			}
			if strings.Contains(string(r.Body), "goroutine") || strings.Contains(string(r.Body), ".go:") {
				t.Errorf("answer shows internals: %s", r.Body)
			}
		})
	}
	if after := e.must(200, "GET", settings, admin, nil).Body; string(after) != string(before) {
		t.Errorf("settings changed by bad input:\n%s\nwas\n%s", after, before)
	}
	if after := e.must(200, "GET", avail, admin, nil).Body; string(after) != string(beforeAvail) {
		t.Errorf("availability changed by bad input:\n%s\nwas\n%s", after, beforeAvail)
	}
}

// TestAccessRules checks who may call the settings routes (api.md, "Who
// may call what").
func TestAccessRules(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "bob", "name": "Bob"})
	expired, _ := devauth.Sign(secret, slotbook.Principal{Subject: "boss", Company: "acme", Role: slotbook.RoleAdmin}, time.Now().Add(-2*time.Hour), time.Hour)
	forged, _ := devauth.Sign("another-secret", slotbook.Principal{Subject: "boss", Company: "acme", Role: slotbook.RoleAdmin}, time.Now(), time.Hour)
	var (
		staffAna     = token(t, "ana", "acme", slotbook.RoleStaff)
		otherAdmin   = token(t, "eve", "other", slotbook.RoleAdmin)
		support      = token(t, "help", "", slotbook.RoleSupport)
		availability = map[string]any{"weekly": []map[string]string{{"weekday": "friday", "start": "08:00", "end": "10:00"}}}
		absence      = map[string]any{"start": "2027-04-01T08:00:00+02:00", "end": "2027-04-01T09:00:00+02:00"}
	)
	settings := settingsBody{"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30,
		"minNoticeMinutes": 0, "horizonDays": 60, "supportAccess": false}
	cases := []struct {
		name         string
		method, path string
		token        string
		body         any
		want         int
	}{
		{"no token", "GET", "/v1/companies/acme/settings", "", nil, 401},
		{"expired token", "GET", "/v1/companies/acme/settings", expired, nil, 401},
		{"forged token", "GET", "/v1/companies/acme/settings", forged, nil, 401},
		{"garbage token", "GET", "/v1/companies/acme/settings", "not.a.jwt", nil, 401},
		{"admin of another company reads", "GET", "/v1/companies/acme/employees", otherAdmin, nil, 403},
		{"admin of another company writes", "PUT", "/v1/companies/acme/settings", otherAdmin, settings, 403},
		{"admin of another company probes an unknown one", "GET", "/v1/companies/ghost/settings", otherAdmin, nil, 403},
		{"staff reads the company", "GET", "/v1/companies/acme/services", staffAna, nil, 200},
		{"staff edits own availability", "PUT", "/v1/companies/acme/employees/ana/availability", staffAna, availability, 200},
		{"staff adds own absence", "POST", "/v1/companies/acme/employees/ana/absences", staffAna, absence, 201},
		{"staff edits own record", "PUT", "/v1/companies/acme/employees/ana", staffAna, map[string]any{"name": "Ana K"}, 200},
		{"staff edits a colleague", "PUT", "/v1/companies/acme/employees/bob/availability", staffAna, availability, 403},
		{"staff adds a colleague's absence", "POST", "/v1/companies/acme/employees/bob/absences", staffAna, absence, 403},
		{"staff creates an employee", "POST", "/v1/companies/acme/employees", staffAna, map[string]any{"name": "X"}, 403},
		{"staff deletes themselves", "DELETE", "/v1/companies/acme/employees/ana", staffAna, nil, 403},
		{"staff changes settings", "PUT", "/v1/companies/acme/settings", staffAna, settings, 403},
		{"staff creates a service", "POST", "/v1/companies/acme/services", staffAna, map[string]any{"name": "X", "durationMinutes": 30}, 403},
		{"support while access is off", "GET", "/v1/companies/acme/settings", support, nil, 403},
		{"support on an unknown company", "GET", "/v1/companies/ghost/settings", support, nil, 403},
		{"admin creates another company", "PUT", "/v1/companies/other/settings", admin, settings, 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A request without a token breaks the contract on purpose.
			r := e.client.Do(apitest.Request{Method: c.method, Path: c.path, Token: c.token, Body: c.body, BadRequest: c.token == ""})
			if r.Status != c.want {
				t.Fatalf("status = %d, want %d; body %s", r.Status, c.want, r.Body)
			}
			if c.want == 401 && r.Header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
		})
	}

	t.Run("support reads once the company allows it, and never writes", func(t *testing.T) {
		settings["supportAccess"] = true
		e.must(200, "PUT", "/v1/companies/acme/settings", admin, settings)
		e.must(200, "GET", "/v1/companies/acme/settings", support, nil)
		e.must(200, "GET", "/v1/companies/acme/employees/ana/availability", support, nil)
		e.must(403, "PUT", "/v1/companies/acme/employees/ana/availability", support, availability)
		e.must(403, "PUT", "/v1/companies/acme/settings", support, settings)
		settings["supportAccess"] = false
		e.must(200, "PUT", "/v1/companies/acme/settings", admin, settings)
		e.must(403, "GET", "/v1/companies/acme/settings", support, nil)
	})
	t.Run("the public widget routes need no token", func(t *testing.T) {
		e.must(200, "GET", "/v1/companies/acme/profile", "", nil)
		e.must(200, "GET", "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-28", "", nil)
	})
}

// TestEveryAnswerCarriesARequestID checks the id that ties an answer to its log line.
func TestEveryAnswerCarriesARequestID(t *testing.T) {
	e := newEnv(t)
	r := e.client.Do(apitest.Request{Method: "GET", Path: "/v1/companies/acme/profile",
		Header: http.Header{"X-Request-Id": {"abc-123"}}})
	if got := r.Header.Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("X-Request-Id = %q, want the caller's abc-123", got)
	}
	r = e.client.Do(apitest.Request{Method: "GET", Path: "/v1/companies/acme/profile",
		Header: http.Header{"X-Request-Id": {"<script>"}}})
	if got := r.Header.Get("X-Request-Id"); got == "" || got == "<script>" {
		t.Errorf("X-Request-Id = %q, want a fresh id instead of an unsafe one", got)
	}
}

// TestDatesOutsideTheRangeAreRefused: a date, or the date of a time, before
// 2000-01-01 or after 2199-12-31 is 400 naming the field on every route
// that takes one — never a 500 from a key that rolls over into the year
// 10000 — and nothing is stored.
func TestDatesOutsideTheRangeAreRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e := newEnvOn(t, store())
		admin := token(t, "boss", "acme", slotbook.RoleAdmin)
		e.seed(admin)
		type req struct {
			method, path string
			body         any
			field        string
		}
		var cases []req
		for _, d := range []string{"9999-12-30", "9999-12-31", "2200-01-01", "1999-12-31", "0001-01-01"} {
			for _, p := range []string{
				"/v1/companies/acme/slots?service=consult&from=%s&to=%s",
				"/v1/companies/acme/bookings?from=%s&to=%s",
				"/v1/companies/acme/overview?from=%s&to=%s",
				"/v1/companies/acme/employees/ana/absences?from=%s&to=%s",
			} {
				cases = append(cases, req{"GET", fmt.Sprintf(p, d, d), nil, "from"})
			}
			cases = append(cases,
				req{"POST", "/v1/companies/acme/employees/ana/absences", map[string]any{"start": d + "T09:00:00Z", "end": d + "T10:00:00Z"}, "start"},
				req{"POST", "/v1/companies/acme/employees/ana/absences", map[string]any{"start": "2027-03-22T09:00:00Z", "end": d + "T10:00:00Z"}, "end"},
				req{"PUT", "/v1/companies/acme/employees/ana/availability", map[string]any{"weekly": []any{}, "overrides": []map[string]any{{"date": d, "intervals": []any{}}}}, "overrides[0].date"},
				req{"POST", "/v1/companies/acme/bookings", bookingBody(d + "T10:00:00+01:00"), "start"},
			)
		}
		// The last day in range is taken.
		e.must(200, "GET", "/v1/companies/acme/slots?service=consult&from=2199-12-31&to=2199-12-31", "", nil)
		e.must(200, "GET", "/v1/companies/acme/overview?from=2199-12-31&to=2199-12-31", admin, nil)
		for _, c := range cases {
			tok := admin
			if strings.Contains(c.path, "/slots") || c.method == "POST" && strings.HasSuffix(c.path, "/bookings") {
				tok = ""
			}
			r := e.client.Do(apitest.Request{Method: c.method, Path: c.path, Token: tok, Body: c.body, BadRequest: true})
			if r.Status != 400 || !slices.Contains(r.Problem(t).Fields(), c.field) {
				t.Errorf("%s %s %v: %d %s, want 400 naming %s", c.method, c.path, c.body, r.Status, r.Body, c.field)
			}
		}
		var abs struct{ Absences []any }
		e.must(200, "GET", "/v1/companies/acme/employees/ana/absences", admin, nil).Decode(t, &abs)
		var av struct{ Overrides []any }
		e.must(200, "GET", "/v1/companies/acme/employees/ana/availability", admin, nil).Decode(t, &av)
		if len(abs.Absences) != 0 || len(av.Overrides) != 0 {
			t.Errorf("stored: absences %v, overrides %v", abs.Absences, av.Overrides)
		}
	})
}
