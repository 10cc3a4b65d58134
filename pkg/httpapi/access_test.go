package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
	"github.com/slotbook/slotbook/pkg/store/inmem"
)

// kind is who may call a route, by api.md's rules.
type kind int

const (
	public         kind = iota // anyone
	read                       // admin and staff of the company; support while supportAccess is on
	ownEmployee                // admin; staff for their own employee only
	adminOnly                  // admin of the company only
	readOwn                    // reads of personal data: admin, support; staff only of their own employee
	adminOrSupport             // admin, and support while allowed; never staff
)

// routeCase is one route with a request that succeeds for a caller who may make it.
type routeCase struct {
	method, path string // path with {e} for the employee concerned
	kind         kind
	body         any
	ok           int
}

// bodyFor makes, for the routes it names, the body for the caller of tok
// (in env e whose admin is admin) instead of routeCase.body.
var bodyFor = map[string]func(e *env, tok, admin string) any{
	"/v1/companies/acme/employees/{e}/calendars/oauth": oauthBody,
}

// oauthBody starts a Google connection of ana as the caller of tok (as the
// admin, if that caller may not) and returns the code and state that the
// consent page hands back, to complete it.
func oauthBody(e *env, tok, admin string) any {
	e.t.Helper()
	starter := tok
	if tok == "" {
		starter = admin
	} else if r := e.do("POST", "/v1/companies/acme/employees/ana/calendars", tok, map[string]any{"provider": "google"}); r.Status != 202 {
		starter = admin
	}
	ret := e.consent("refresh:oauth-grant", e.startOAuth(starter, ""))
	return map[string]any{"code": ret.Code, "state": ret.State}
}

func routeCases() []routeCase {
	settings := map[string]any{"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30,
		"minNoticeMinutes": 0, "horizonDays": 60, "supportAccess": true}
	week := map[string]any{"weekly": []map[string]string{{"weekday": "tuesday", "start": "09:00", "end": "12:00"}}}
	return []routeCase{
		{"GET", "/v1/companies/acme/settings", read, nil, 200},
		{"PUT", "/v1/companies/acme/settings", adminOnly, settings, 200},
		{"GET", "/v1/companies/acme/employees", read, nil, 200},
		{"POST", "/v1/companies/acme/employees", adminOnly, map[string]any{"name": "New"}, 201},
		{"GET", "/v1/companies/acme/employees/{e}", read, nil, 200},
		{"PUT", "/v1/companies/acme/employees/{e}", ownEmployee, map[string]any{"name": "Renamed"}, 200},
		{"DELETE", "/v1/companies/acme/employees/{e}", adminOnly, nil, 204},
		{"GET", "/v1/companies/acme/employees/{e}/availability", read, nil, 200},
		{"PUT", "/v1/companies/acme/employees/{e}/availability", ownEmployee, week, 200},
		{"GET", "/v1/companies/acme/employees/{e}/absences", read, nil, 200},
		{"POST", "/v1/companies/acme/employees/{e}/absences", ownEmployee, map[string]any{"start": "2027-04-01T08:00:00+02:00", "end": "2027-04-01T09:00:00+02:00"}, 201},
		{"DELETE", "/v1/companies/acme/employees/{e}/absences/{absence}", ownEmployee, nil, 204},
		{"GET", "/v1/companies/acme/employees/{e}/calendars", read, nil, 200},
		{"POST", "/v1/companies/acme/employees/{e}/calendars", ownEmployee, map[string]any{"provider": "ics", "url": "https://feeds.example/a.ics"}, 201},
		{"PUT", "/v1/companies/acme/employees/{e}/calendars/{calendar}", ownEmployee, map[string]any{"showInOverview": true}, 200},
		{"DELETE", "/v1/companies/acme/employees/{e}/calendars/{calendar}", ownEmployee, nil, 204},
		{"POST", "/v1/companies/acme/employees/{e}/calendars/{calendar}/reconnect", ownEmployee, map[string]any{"url": "https://feeds.example/a.ics"}, 200},
		{"POST", "/v1/companies/acme/employees/{e}/calendars/oauth", ownEmployee, nil, 201},
		{"GET", "/v1/companies/acme/audit?from=2027-03-01&to=2027-03-31", adminOrSupport, nil, 200},
		{"GET", "/v1/companies/acme/customers/export?email=chris@client.example", adminOnly, nil, 200},
		{"POST", "/v1/companies/acme/customers/erase", adminOnly, map[string]any{"email": "nobody@client.example"}, 200},
		{"GET", "/v1/companies/acme/webhooks", adminOnly, nil, 200},
		{"POST", "/v1/companies/acme/webhooks", adminOnly, map[string]any{"url": "https://crm.example/hook", "events": []string{"booking.created"}}, 201},
		{"DELETE", "/v1/companies/acme/webhooks/{webhook}", adminOnly, nil, 204},
		{"GET", "/v1/companies/acme/webhooks/{webhook}/deliveries", adminOnly, nil, 200},
		{"GET", "/v1/companies/acme/closures", read, nil, 200},
		{"POST", "/v1/companies/acme/closures", adminOnly, map[string]any{"start": "2027-12-24", "end": "2027-12-26", "name": "Christmas"}, 201},
		{"POST", "/v1/companies/acme/closures/import", adminOnly, map[string]any{"region": "CH-ZH", "year": 2027}, 200},
		{"DELETE", "/v1/companies/acme/closures/{closure}", adminOnly, nil, 204},
		{"GET", "/v1/companies/acme/services", read, nil, 200},
		{"POST", "/v1/companies/acme/services", adminOnly, map[string]any{"name": "X", "durationMinutes": 30}, 201},
		{"GET", "/v1/companies/acme/services/consult", read, nil, 200},
		{"PUT", "/v1/companies/acme/services/consult", adminOnly, map[string]any{"name": "X", "durationMinutes": 30, "employees": []string{"ana"}}, 200},
		{"DELETE", "/v1/companies/acme/services/consult", adminOnly, nil, 204},
		{"GET", "/v1/companies/acme/bookings?from=2027-03-22&to=2027-03-28&employee={e}", readOwn, nil, 200},
		{"GET", "/v1/companies/acme/overview?from=2027-03-22&to=2027-03-28&employee={e}", readOwn, nil, 200},
		{"GET", "/v1/companies/acme/availability/explain?service=consult&employee={e}&date=2027-03-22", readOwn, nil, 200},
		{"GET", "/v1/companies/acme/bookings/{booking}", readOwn, nil, 200},
		{"DELETE", "/v1/companies/acme/bookings/{booking}", ownEmployee, nil, 204},
		{"POST", "/v1/companies/acme/bookings/{booking}/reschedule", ownEmployee, map[string]any{"start": "2027-03-22T10:30:00+01:00"}, 200},
		{"GET", "/v1/companies/acme/profile", public, nil, 200},
		{"GET", "/v1/companies/acme/slots?service=consult&from=2027-03-22&to=2027-03-28", public, nil, 200},
		{"GET", "/v1/companies/acme/next-free?service=consult", public, nil, 200},
		{"POST", "/v1/companies/acme/bookings", public, bookingBody("2027-03-22T11:00:00+01:00"), 201},
	}
}

// caller is a role, in the company or outside it.
type caller struct {
	name   string
	token  func(t testing.TB) string
	may    func(k kind) bool // for a route that concerns employee ana
	status int               // when it may not
}

func callers() []caller {
	tok := func(sub, company string, role slotbook.Role) func(t testing.TB) string {
		return func(t testing.TB) string { return token(t, sub, company, role) }
	}
	return []caller{
		{"no token", func(testing.TB) string { return "" }, func(k kind) bool { return k == public }, 401},
		{"admin", tok("boss", "acme", slotbook.RoleAdmin), func(kind) bool { return true }, 0},
		{"admin of another company", tok("eve", "other", slotbook.RoleAdmin), func(k kind) bool { return k == public }, 403},
		{"staff, own employee", tok("ana", "acme", slotbook.RoleStaff), func(k kind) bool { return k != adminOnly && k != adminOrSupport }, 403},
		{"staff, a colleague", tok("bob", "acme", slotbook.RoleStaff), func(k kind) bool { return k == public || k == read }, 403},
		{"staff of another company", tok("ana", "other", slotbook.RoleStaff), func(k kind) bool { return k == public }, 403},
		{"support, access on", tok("help", "", slotbook.RoleSupport), func(k kind) bool {
			return k == public || k == read || k == readOwn || k == adminOrSupport
		}, 403},
	}
}

// TestEveryRouteByRole walks every route × role × own/foreign company and
// checks the status: BOLA must be impossible. It also checks that the
// table covers every route slotbook serves.
func TestEveryRouteByRole(t *testing.T) {
	covered := map[string]bool{}
	for _, rc := range routeCases() {
		covered[rc.method+" "+templateOf(rc.path)] = true
	}
	for _, r := range httpapi.Routes() {
		if r.Pattern == "/v1/oauth/callback" {
			continue // authorised by its signed state, tested in TestOAuthConnectAndReauth
		}
		if !covered[r.Method+" "+r.Pattern] {
			t.Errorf("route %s %s is not in the table", r.Method, r.Pattern)
		}
	}
	walkRoutes(t, callers(), func(t *testing.T) slotbook.Store { return inmem.New() })
}

// TestEveryWriteAuditedOnDynamoDB walks the routes on DynamoDB Local as the
// callers that may write: there the audit entry is written in the same
// transaction as the request's first change, and a request must still
// leave exactly one entry (not one from its write and one when it ends),
// naming what it created, and none when it was refused.
func TestEveryWriteAuditedOnDynamoDB(t *testing.T) {
	var writers []caller
	for _, c := range callers() {
		if c.name == "admin" || c.name == "staff, own employee" || c.name == "support, access on" {
			writers = append(writers, c)
		}
	}
	walkRoutes(t, writers, func(t *testing.T) slotbook.Store { return dynamotest.NewStore(t) })
}

// walkRoutes calls every route of routeCases as each of callers, each on a
// fresh server over a store of store, and checks the status and the audit
// entries it leaves.
func walkRoutes(t *testing.T, callers []caller, store func(t *testing.T) slotbook.Store) {
	for _, rc := range routeCases() {
		for _, c := range callers {
			t.Run(fmt.Sprintf("%s %s as %s", rc.method, strings.Split(rc.path, "?")[0], c.name), func(t *testing.T) {
				e, fake, admin := calendarEnvOn(t, store(t))
				fake.Add("https://feeds.example/a.ics", "")
				fake.Add("oauth-grant", "ana@gmail.example")
				e.must(201, "POST", "/v1/companies/acme/employees", admin, map[string]any{"id": "bob", "name": "Bob"})
				path := strings.ReplaceAll(rc.path, "{e}", "ana")
				if strings.Contains(path, "{absence}") {
					var a struct{ ID string }
					e.must(201, "POST", "/v1/companies/acme/employees/ana/absences", admin, map[string]any{"start": "2027-04-01T08:00:00+02:00", "end": "2027-04-01T09:00:00+02:00"}).Decode(t, &a)
					path = strings.ReplaceAll(path, "{absence}", a.ID)
				}
				if strings.Contains(path, "{calendar}") {
					k := e.connectFeed(admin, "https://feeds.example/a.ics")
					path = strings.ReplaceAll(path, "{calendar}", k.ID)
				}
				if strings.Contains(path, "{webhook}") {
					var h struct{ ID string }
					e.must(201, "POST", "/v1/companies/acme/webhooks", admin, map[string]any{"url": "https://crm.example/h", "events": []string{"booking.cancelled"}}).Decode(t, &h)
					path = strings.ReplaceAll(path, "{webhook}", h.ID)
				}
				if strings.Contains(path, "{closure}") {
					var c struct{ ID string }
					e.must(201, "POST", "/v1/companies/acme/closures", admin, map[string]any{"start": "2027-08-01", "end": "2027-08-01", "name": "National day"}).Decode(t, &c)
					path = strings.ReplaceAll(path, "{closure}", c.ID)
				}
				if strings.Contains(path, "{booking}") {
					var b confirmation
					e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T09:00:00+01:00")).Decode(t, &b)
					path = strings.ReplaceAll(path, "{booking}", b.ID)
				}
				// support is let in by the company's switch; it stays off in the
				// "admin" cases' data, so switch it on for everyone here.
				e.must(200, "PUT", "/v1/companies/acme/settings", admin, map[string]any{"name": "Acme", "timezone": "Europe/Zurich",
					"bookingIntervalMinutes": 30, "minNoticeMinutes": 0, "horizonDays": 60, "supportAccess": true})

				want := rc.ok
				if !c.may(rc.kind) {
					want = c.status
				}
				tok := c.token(t)
				body := rc.body
				if f := bodyFor[rc.path]; f != nil {
					body = f(e, tok, admin)
				}
				before := auditEntries(t, e)
				r := e.client.Do(apitest.Request{Method: rc.method, Path: path, Token: tok, Body: body,
					BadRequest: tok == "" && rc.kind != public})
				if r.Status != want {
					t.Errorf("status %d, want %d: %s", r.Status, want, r.Body)
				}
				// The audit log: one entry naming the caller for a change, a
				// support read or a read of a customer's data; none for a
				// refused request or an ordinary read.
				// By id, not by place: entries of one instant are in id order.
				var added []slotbook.AuditEntry
				for _, x := range auditEntries(t, e) {
					if !slices.ContainsFunc(before, func(y slotbook.AuditEntry) bool { return y.ID == x.ID }) {
						added = append(added, x)
					}
				}
				action := rc.method + " " + strings.TrimPrefix(templateOf(rc.path), "/v1/companies/{companyId}")
				// Public routes ignore credentials: their caller is the customer.
				actor := subjectOf(c.name)
				if rc.kind == public {
					actor = slotbook.ActorCustomer
				}
				recorded := r.Status < 400 && (rc.method != "GET" ||
					rc.kind != public && (c.name == "support, access on" || strings.Contains(rc.path, "/customers/")))
				switch {
				case !recorded && len(added) != 0:
					t.Errorf("%d audit entries for a request that changed nothing: %+v", len(added), added)
				case recorded && (len(added) != 1 || added[0].Action != action || added[0].Actor != actor):
					t.Errorf("audit entries %+v, want one of %s by %s", added, action, actor)
				}
			})
		}
	}
}

func templateOf(path string) string {
	path = strings.Split(path, "?")[0]
	for old, tmpl := range map[string]string{
		"/v1/companies/acme": "/v1/companies/{companyId}", "{e}": "{employeeId}", "{absence}": "{absenceId}",
		"{calendar}": "{calendarId}", "{booking}": "{bookingId}", "/services/consult": "/services/{serviceId}",
		"{closure}": "{closureId}", "{webhook}": "{webhookId}",
	} {
		path = strings.ReplaceAll(path, old, tmpl)
	}
	return path
}

// TestSupportIsLockedOutWhenTheCompanySaysSo: every route of a company
// whose supportAccess is off answers support 403.
func TestSupportIsLockedOutWhenTheCompanySaysSo(t *testing.T) {
	e, _, _ := calendarEnv(t)
	support := token(t, "help", "", slotbook.RoleSupport)
	for _, rc := range routeCases() {
		if rc.kind == public {
			continue
		}
		path := strings.NewReplacer("{e}", "ana", "{absence}", "x1", "{calendar}", "x2", "{booking}", "x3", "{closure}", "x4", "{webhook}", "x5").Replace(rc.path)
		body := rc.body
		if bodyFor[rc.path] != nil {
			body = map[string]any{"code": "c", "state": "s"}
		}
		r := e.client.Do(apitest.Request{Method: rc.method, Path: path, Token: support, Body: body})
		if r.Status != http.StatusForbidden {
			t.Errorf("%s %s as support with access off: %d, want 403", rc.method, path, r.Status)
		}
	}
}

// TestSupportAccessIsLogged: who, which company, which route — no data.
func TestSupportAccessIsLogged(t *testing.T) {
	e, _, admin := calendarEnv(t)
	e.must(200, "PUT", "/v1/companies/acme/settings", admin, map[string]any{"name": "Acme", "timezone": "Europe/Zurich",
		"bookingIntervalMinutes": 30, "minNoticeMinutes": 0, "horizonDays": 60, "supportAccess": true})
	e.must(200, "GET", "/v1/companies/acme/employees/ana", token(t, "help-desk-7", "", slotbook.RoleSupport), nil)
	var line string
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, `"msg":"support access"`) {
			line = l
		}
	}
	for _, want := range []string{`"sub":"help-desk-7"`, `"company":"acme"`, `"route":"GET /v1/companies/{companyId}/employees/{employeeId}"`} {
		if !strings.Contains(line, want) {
			t.Errorf("support access line %q lacks %s", line, want)
		}
	}
	if strings.Contains(line, "ana@acme.example") {
		t.Errorf("the log line holds data: %s", line)
	}
}

// TestAccessDecidesWhoIsAsked holds each route's Access to its meaning: a
// token that is not valid is refused (401) wherever a sign-in is needed or
// taken, even next to a valid cancel token, and ignored where the route is
// anonymous, so a stale dashboard token in a widget's page cannot break
// booking.
func TestAccessDecidesWhoIsAsked(t *testing.T) {
	e := newEnv(t)
	e.seed(token(t, "boss", "acme", slotbook.RoleAdmin))
	fill := strings.NewReplacer("{companyId}", "acme", "{employeeId}", "ana", "{serviceId}", "cut",
		"{absenceId}", "a1", "{calendarId}", "k1", "{bookingId}", "b1", "{closureId}", "c1", "{webhookId}", "w1")
	seen := map[httpapi.Access]bool{}
	free := []string{"09:00", "10:00", "11:00", "11:30", "10:30"} // one booking per route that needs one
	for _, r := range httpapi.Routes() {
		seen[r.Access] = true
		t.Run(r.Method+" "+r.Pattern, func(t *testing.T) {
			req := apitest.Request{Method: r.Method, Path: fill.Replace(r.Pattern), Token: "not-a-jwt", BadRequest: true}
			if r.Access == httpapi.AnonymousOrSignedIn {
				// What would succeed without the bearer: the booking's own cancel token.
				var b confirmation
				e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T"+free[0]+":00+01:00")).Decode(t, &b)
				free = free[1:]
				req.Path = strings.ReplaceAll(r.Pattern, "{bookingId}", b.ID)
				req.Path = fill.Replace(req.Path)
				req.Header = http.Header{"X-Cancel-Token": {b.CancelToken}}
			}
			res := e.client.Do(req)
			refused := res.Status == 401
			if want := r.Access != httpapi.Anonymous; refused != want {
				t.Errorf("%s route answered %d to a token that is not valid", r.Access, res.Status)
			}
			if r.Public() != (r.Access != httpapi.SignedIn) {
				t.Errorf("Public() = %v for a %s route", r.Public(), r.Access)
			}
		})
	}
	for _, a := range []httpapi.Access{httpapi.SignedIn, httpapi.Anonymous, httpapi.AnonymousOrSignedIn} {
		if !seen[a] {
			t.Errorf("no route is %s: the test above proves nothing for it", a)
		}
	}
}

// auditEntries reads acme's whole audit log from the store.
func auditEntries(t *testing.T, e *env) []slotbook.AuditEntry {
	t.Helper()
	list, err := e.store.AuditEntries(t.Context(), "acme", time.Unix(0, 0), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// subjectOf is the audit actor of a caller of callers().
func subjectOf(caller string) string {
	switch caller {
	case "no token":
		return slotbook.ActorCustomer
	case "admin":
		return "boss"
	case "staff, own employee":
		return "ana"
	case "staff, a colleague":
		return "bob"
	case "support, access on":
		return "help"
	}
	return "?"
}
