package httpapi_test

import (
	"bytes"
	"flag"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/local/devauth"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
	"github.com/slotbook/slotbook/pkg/store/inmem"
)

const secret = "test-secret"

// now is a Monday morning in Zurich.
var now = time.Date(2027, 3, 22, 7, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	flag.Parse()
	code := dynamotest.Main(m)
	// Every operation of the contract must have been answered with a 2xx
	// by some test, checked against the spec (only on a full run).
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		if missing := apitest.LoadSpec(&testing.T{}).Unanswered(); len(missing) > 0 {
			println("operations of api/openapi.yaml that no test answered with 2xx:")
			for _, op := range missing {
				println("  " + op)
			}
			code = 1
		}
	}
	os.Exit(code)
}

// env is a server over a fresh store.
type env struct {
	t      testing.TB
	client *apitest.Client
	store  slotbook.Store
	app    *slotbook.App
	h      http.Handler
	logs   *logBuffer
	clock  *clock
	sealer slotbook.Sealer
}

// clock is the server's time: now, moved on by the test.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return now.Add(c.off)
}

// advance moves the server's clock on by d.
func (e *env) advance(d time.Duration) {
	e.clock.mu.Lock()
	defer e.clock.mu.Unlock()
	e.clock.off += d
}

// logBuffer keeps the server's log lines for the test to read.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newEnv(t testing.TB, opts ...slotbook.Option) *env {
	return newEnvOn(t, inmem.New(), opts...)
}

func newEnvOn(t testing.TB, store slotbook.Store, opts ...slotbook.Option) *env {
	logs := &logBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	clk := &clock{}
	sealer := seal.NewEphemeral()
	app := slotbook.NewApp(store, sealer, clk.Now, append([]slotbook.Option{slotbook.WithLogger(log)}, opts...)...)
	h := httpapi.NewHandler(app, devauth.NewVerifier(secret), log)
	return &env{t: t, client: apitest.NewClient(t, h), store: store, app: app, h: h, logs: logs, clock: clk, sealer: sealer}
}

func token(t testing.TB, sub, company string, role slotbook.Role) string {
	t.Helper()
	tok, err := devauth.Sign(secret, slotbook.Principal{Subject: sub, Company: company, Role: role}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (e *env) do(method, path, tok string, body any) *apitest.Response {
	e.t.Helper()
	return e.client.Do(apitest.Request{Method: method, Path: path, Token: tok, Body: body})
}

// must does a request that has to answer want.
func (e *env) must(want int, method, path, tok string, body any) *apitest.Response {
	e.t.Helper()
	r := e.do(method, path, tok, body)
	if r.Status != want {
		e.t.Fatalf("%s %s = %d, want %d; body %s", method, path, r.Status, want, r.Body)
	}
	return r
}

type (
	settingsBody = map[string]any
	slotsAnswer  struct {
		Timezone string `json:"timezone"`
		From     string `json:"from"`
		To       string `json:"to"`
		Slots    []struct {
			Start, End, Employee string
		} `json:"slots"`
		Unavailable []any `json:"unavailable"`
	}
)

// seed creates company acme (Europe/Zurich, 30-minute grid) with employee
// ana (Mondays 09:00–12:00), service "consult" (60 minutes, ana).
func (e *env) seed(admin string) {
	e.t.Helper()
	e.must(201, "PUT", "/v1/companies/acme/settings", admin, settingsBody{
		"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30,
		"minNoticeMinutes": 0, "horizonDays": 60, "supportAccess": false,
	})
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "ana", "name": "Ana", "email": "ana@acme.example"})
	e.must(200, "PUT", "/v1/companies/acme/employees/ana/availability", admin, map[string]any{
		"weekly": []map[string]string{{"weekday": "monday", "start": "09:00", "end": "12:00"}},
	})
	e.must(201, "POST", "/v1/companies/acme/services", admin, map[string]any{
		"id": "consult", "name": "Consultation", "durationMinutes": 60, "employees": []string{"ana"},
	})
}

func starts(a slotsAnswer) []string {
	var out []string
	for _, s := range a.Slots {
		out = append(out, s.Start)
	}
	return out
}

func TestSlotsLeaveOutAbsencesAndFollowTheViewersZone(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(201, "POST", "/v1/companies/acme/employees/ana/absences", admin, map[string]any{
		"start": "2027-03-22T10:00:00+01:00", "end": "2027-03-22T10:30:00+01:00", "reason": "dentist",
	})

	t.Run("in the company's zone", func(t *testing.T) {
		var got slotsAnswer
		e.must(200, "GET", "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-22", "", nil).Decode(t, &got)
		want := []string{"2027-03-22T09:00:00+01:00", "2027-03-22T10:30:00+01:00", "2027-03-22T11:00:00+01:00"}
		if !slices.Equal(starts(got), want) {
			t.Errorf("starts = %v, want %v", starts(got), want)
		}
		if got.Timezone != "Europe/Zurich" || got.Slots[0].End != "2027-03-22T10:00:00+01:00" || got.Slots[0].Employee != "ana" {
			t.Errorf("answer = %+v", got)
		}
	})
	t.Run("in the viewer's zone", func(t *testing.T) {
		// New York is already on summer time (since 14 March), Zurich not yet.
		var got slotsAnswer
		e.must(200, "GET", "/v1/companies/acme/slots?service=consult&employee=ana&from=2027-03-22&to=2027-03-22&timezone=America/New_York", "", nil).Decode(t, &got)
		want := []string{"2027-03-22T04:00:00-04:00", "2027-03-22T05:30:00-04:00", "2027-03-22T06:00:00-04:00"}
		if !slices.Equal(starts(got), want) || got.Timezone != "America/New_York" {
			t.Errorf("starts = %v in %s, want %v", starts(got), got.Timezone, want)
		}
	})
	t.Run("deleting the absence frees its time", func(t *testing.T) {
		var list struct{ Absences []struct{ ID string } }
		e.must(200, "GET", "/v1/companies/acme/employees/ana/absences?from=2027-03-22&to=2027-03-22", admin, nil).Decode(t, &list)
		if len(list.Absences) != 1 {
			t.Fatalf("absences = %+v, want one", list)
		}
		e.must(204, "DELETE", "/v1/companies/acme/employees/ana/absences/"+list.Absences[0].ID, admin, nil)
		var got slotsAnswer
		e.must(200, "GET", "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-22", "", nil).Decode(t, &got)
		if len(got.Slots) != 5 {
			t.Errorf("starts = %v, want 5 from 09:00 to 11:00", starts(got))
		}
	})
}

func TestSlotsLeaveOutBookingsWithTheirBuffers(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	zurich, _ := time.LoadLocation("Europe/Zurich")
	// A booking 10:00–10:30 with 15 minutes after it blocks until 10:45;
	// with the 30-minute grid the next 60-minute slot starts at 11:00.
	err := e.store.CreateBooking(t.Context(), "acme", slotbook.Booking{
		ID: "b1", EmployeeID: "ana", ServiceID: "consult",
		Start: time.Date(2027, 3, 22, 10, 0, 0, 0, zurich), End: time.Date(2027, 3, 22, 10, 30, 0, 0, zurich),
		BufferAfter: 15 * time.Minute, Status: slotbook.Confirmed,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got slotsAnswer
	e.must(200, "GET", "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-22", "", nil).Decode(t, &got)
	want := []string{"2027-03-22T09:00:00+01:00", "2027-03-22T11:00:00+01:00"}
	if !slices.Equal(starts(got), want) {
		t.Errorf("starts = %v, want %v", starts(got), want)
	}
}

func TestSlotsOfEveryEmployeeAreSortedByStartThenEmployee(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "bea", "name": "Bea", "timezone": "Europe/London"})
	// Bea works 08:00–09:30 London time = 09:00–10:30 in Zurich.
	e.must(200, "PUT", "/v1/companies/acme/employees/bea/availability", admin, map[string]any{
		"weekly": []map[string]string{{"weekday": "monday", "start": "08:00", "end": "09:30"}},
	})
	e.must(200, "PUT", "/v1/companies/acme/services/consult", admin, map[string]any{
		"name": "Consultation", "durationMinutes": 60, "employees": []string{"bea", "ana"},
	})
	var got slotsAnswer
	e.must(200, "GET", "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-22", "", nil).Decode(t, &got)
	var seq []string
	for _, s := range got.Slots {
		seq = append(seq, s.Start[11:16]+" "+s.Employee)
	}
	want := []string{"09:00 ana", "09:00 bea", "09:30 ana", "09:30 bea", "10:00 ana", "10:30 ana", "11:00 ana"}
	if !slices.Equal(seq, want) {
		t.Errorf("slots = %v, want %v", seq, want)
	}
}

func TestSettingsRoundTrip(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)

	t.Run("settings update answers 200 and reads back", func(t *testing.T) {
		body := settingsBody{"name": "Acme AG", "timezone": "Europe/Berlin", "bookingIntervalMinutes": 15,
			"minNoticeMinutes": 120, "horizonDays": 30, "supportAccess": true}
		e.must(200, "PUT", "/v1/companies/acme/settings", admin, body)
		var got map[string]any
		e.must(200, "GET", "/v1/companies/acme/settings", admin, nil).Decode(t, &got)
		for k, v := range body {
			if got[k] != v && !(isNumber(v) && got[k] == float64(v.(int))) {
				t.Errorf("settings[%s] = %v, want %v", k, got[k], v)
			}
		}
	})
	t.Run("employee created without id gets one and a Location", func(t *testing.T) {
		r := e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"name": "Noel"})
		var got struct{ ID, Name, Email, Timezone string }
		r.Decode(t, &got)
		if got.ID == "" || got.Name != "Noel" || r.Header.Get("Location") != "/v1/companies/acme/employees/"+got.ID {
			t.Fatalf("created %+v at %q", got, r.Header.Get("Location"))
		}
		e.must(200, "GET", "/v1/companies/acme/employees/"+got.ID, admin, nil)
		e.must(200, "PUT", "/v1/companies/acme/employees/"+got.ID, admin, map[string]any{"name": "Noël", "timezone": "Asia/Kolkata"})
		var list struct {
			Employees []struct{ ID, Name, Timezone string }
		}
		e.must(200, "GET", "/v1/companies/acme/employees", admin, nil).Decode(t, &list)
		i := slices.IndexFunc(list.Employees, func(x struct{ ID, Name, Timezone string }) bool { return x.ID == got.ID })
		if len(list.Employees) != 2 || i < 0 || list.Employees[i].Name != "Noël" || list.Employees[i].Timezone != "Asia/Kolkata" {
			t.Errorf("employees = %+v", list.Employees)
		}
	})
	t.Run("availability with overrides reads back as written", func(t *testing.T) {
		body := map[string]any{
			"weekly": []map[string]string{
				{"weekday": "tuesday", "start": "08:00", "end": "12:00"},
				{"weekday": "tuesday", "start": "13:00", "end": "24:00"},
			},
			"overrides": []map[string]any{
				{"date": "2027-12-24", "intervals": []map[string]string{{"start": "08:00", "end": "12:00"}}},
				{"date": "2027-12-25", "intervals": []map[string]string{}},
			},
		}
		var put, got map[string]any
		e.must(200, "PUT", "/v1/companies/acme/employees/ana/availability", admin, body).Decode(t, &put)
		e.must(200, "GET", "/v1/companies/acme/employees/ana/availability", admin, nil).Decode(t, &got)
		if want := jsonOf(t, body); jsonOf(t, got) != want || jsonOf(t, put) != want {
			t.Errorf("availability = %s, want %s", jsonOf(t, got), want)
		}
	})
	t.Run("services list, read, delete", func(t *testing.T) {
		e.must(201, "POST", "/v1/companies/acme/services", admin, map[string]any{
			"name": "Quick check", "durationMinutes": 15, "bufferBeforeMinutes": 5, "bufferAfterMinutes": 10,
		})
		var list struct{ Services []struct{ ID string } }
		e.must(200, "GET", "/v1/companies/acme/services", admin, nil).Decode(t, &list)
		if len(list.Services) != 2 {
			t.Fatalf("services = %+v", list)
		}
		e.must(200, "GET", "/v1/companies/acme/services/consult", admin, nil)
		e.must(204, "DELETE", "/v1/companies/acme/services/consult", admin, nil)
		e.must(404, "GET", "/v1/companies/acme/services/consult", admin, nil)
	})
	t.Run("profile shows names but no e-mail", func(t *testing.T) {
		r := e.must(200, "GET", "/v1/companies/acme/profile", "", nil)
		if strings.Contains(string(r.Body), "ana@acme.example") {
			t.Errorf("profile leaks an e-mail: %s", r.Body)
		}
		var p struct{ MinNoticeMinutes, HorizonDays int }
		r.Decode(t, &p)
		var c struct{ MinNoticeMinutes, HorizonDays int }
		e.must(200, "GET", "/v1/companies/acme/settings", admin, nil).Decode(t, &c)
		if p != c || p.HorizonDays == 0 {
			t.Errorf("profile notice and horizon = %+v, settings say %+v", p, c)
		}
	})
	t.Run("deleting an employee takes them off services", func(t *testing.T) {
		e.must(201, "POST", "/v1/companies/acme/services", admin, map[string]any{"id": "cut", "name": "Cut", "durationMinutes": 30, "employees": []string{"ana"}})
		e.must(204, "DELETE", "/v1/companies/acme/employees/ana", admin, nil)
		var svc struct{ Employees []string }
		e.must(200, "GET", "/v1/companies/acme/services/cut", admin, nil).Decode(t, &svc)
		if len(svc.Employees) != 0 {
			t.Errorf("service still lists %v", svc.Employees)
		}
		e.must(404, "GET", "/v1/companies/acme/employees/ana/availability", admin, nil)
	})
}

func isNumber(v any) bool { _, ok := v.(int); return ok }

// TestNextFreeAnswersTheFirstFreeStart: one request finds the first free
// start weeks ahead, in the viewer's zone, null past the horizon, and 404
// for what does not exist.
func TestNextFreeAnswersTheFirstFreeStart(t *testing.T) {
	e := newEnv(t)
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	type answer struct {
		Start       *string `json:"start"`
		Timezone    string  `json:"timezone"`
		Until       string  `json:"until"`
		Unavailable []any   `json:"unavailable"`
	}
	get := func(query string) answer {
		t.Helper()
		var a answer
		e.must(200, "GET", "/v1/companies/acme/next-free?"+query, "", nil).Decode(t, &a)
		return a
	}
	if a := get("service=consult"); a.Start == nil || *a.Start != "2027-03-22T09:00:00+01:00" {
		t.Errorf("free today: %+v, want 09:00 today", a)
	}
	// Ana is away today and the next two Mondays.
	e.must(201, "POST", "/v1/companies/acme/employees/ana/absences", admin, map[string]any{
		"start": "2027-03-22T00:00:00+01:00", "end": "2027-04-06T00:00:00+02:00", "reason": "holiday",
	})
	for _, tc := range []struct{ query, want, zone string }{
		{"service=consult", "2027-04-12T09:00:00+02:00", "Europe/Zurich"},
		{"service=consult&employee=ana", "2027-04-12T09:00:00+02:00", "Europe/Zurich"},
		{"service=consult&employee=any&timezone=America/New_York", "2027-04-12T03:00:00-04:00", "America/New_York"},
	} {
		if a := get(tc.query); a.Start == nil || *a.Start != tc.want || a.Timezone != tc.zone || len(a.Unavailable) != 0 {
			t.Errorf("%s: %+v, want %s in %s", tc.query, a, tc.want, tc.zone)
		}
	}
	settings := settingsBody{"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30,
		"minNoticeMinutes": 0, "horizonDays": 20, "supportAccess": false}
	e.must(200, "PUT", "/v1/companies/acme/settings", admin, settings)
	if a := get("service=consult"); a.Start != nil || a.Until < "2027-04-11" {
		t.Errorf("past the horizon: %+v, want null, searched to the horizon (11 April)", a)
	}
	e.must(404, "GET", "/v1/companies/acme/next-free?service=nope", "", nil)
	e.must(404, "GET", "/v1/companies/acme/next-free?service=consult&employee=nope", "", nil)
	e.must(404, "GET", "/v1/companies/nope/next-free?service=consult", "", nil)
}
