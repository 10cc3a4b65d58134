package httpapi

import (
	"net/http"
	"slices"
)

// Group is a set of routes that one Lambda function serves.
type Group string

// The route groups, one per function.
const (
	// Widget: the public booking widget's reads (functions/slots).
	Widget Group = "slots"
	// Settings: company settings, employees, availability, absences,
	// closures, services, calendar connections, webhooks, customer data
	// (functions/settings).
	Settings Group = "settings"
	// Book: create, move and cancel bookings (functions/book).
	Book Group = "book"
	// Overview: the dashboard's reads, the overview and the bookings list (functions/overview).
	Overview Group = "overview"
)

// Access says who may call a route.
type Access int

// The kinds of access a route grants.
const (
	// SignedIn routes need a valid bearer token. On AWS, API Gateway's
	// JWT authorizer guards them before the function runs.
	SignedIn Access = iota
	// Anonymous routes need no sign-in and ignore credentials: the
	// booking widget's reads and bookings, the OAuth callback. API Gateway
	// has no authorizer on them. (One exception, in its handler: /slots
	// reads a bearer for the times a booking could move to, when no cancel
	// token is sent — the dashboard's move form.)
	Anonymous
	// AnonymousOrSignedIn routes need no sign-in, but a bearer token, if
	// sent, is verified and names the caller: a customer cancels with the
	// booking's cancel token, a dashboard user with their sign-in. API
	// Gateway has no authorizer on them; the function verifies the token.
	AnonymousOrSignedIn
)

// String names a for messages and tests.
func (a Access) String() string {
	switch a {
	case SignedIn:
		return "signed-in"
	case Anonymous:
		return "anonymous"
	case AnonymousOrSignedIn:
		return "anonymous-or-signed-in"
	}
	return "unknown"
}

// Route is one method and path that slotbook serves.
type Route struct {
	Group   Group
	Method  string
	Pattern string // a net/http pattern path, e.g. /v1/companies/{companyId}/slots
	Access  Access
}

// Public reports whether r is open without sign-in: API Gateway has no
// authorizer on it.
func (r Route) Public() bool { return r.Access != SignedIn }

type route struct {
	Route
	handle func(s *server, w http.ResponseWriter, r *http.Request) error
}

const company = "/v1/companies/{companyId}"

// routes is every route slotbook serves, and the only list of them.
var routes = []route{
	{Route{Group: Widget, Method: http.MethodGet, Pattern: company + "/profile", Access: Anonymous}, (*server).profile},
	{Route{Group: Widget, Method: http.MethodGet, Pattern: company + "/slots", Access: Anonymous}, (*server).slots},
	{Route{Group: Widget, Method: http.MethodGet, Pattern: company + "/next-free", Access: Anonymous}, (*server).nextFree},

	{Route{Group: Book, Method: http.MethodPost, Pattern: company + "/bookings", Access: Anonymous}, (*server).createBooking},
	{Route{Group: Book, Method: http.MethodDelete, Pattern: company + "/bookings/{bookingId}", Access: AnonymousOrSignedIn}, (*server).cancelBooking},
	{Route{Group: Overview, Method: http.MethodGet, Pattern: company + "/bookings", Access: SignedIn}, (*server).listBookings},
	{Route{Group: Book, Method: http.MethodPost, Pattern: company + "/bookings/{bookingId}/reschedule", Access: AnonymousOrSignedIn}, (*server).rescheduleBooking},
	{Route{Group: Overview, Method: http.MethodGet, Pattern: company + "/bookings/{bookingId}", Access: AnonymousOrSignedIn}, (*server).getBooking},
	{Route{Group: Overview, Method: http.MethodGet, Pattern: company + "/overview", Access: SignedIn}, (*server).overview},
	{Route{Group: Overview, Method: http.MethodGet, Pattern: company + "/availability/explain", Access: SignedIn}, (*server).explain},

	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/settings", Access: SignedIn}, (*server).getSettings},
	{Route{Group: Settings, Method: http.MethodPut, Pattern: company + "/settings", Access: SignedIn}, (*server).putSettings},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/employees", Access: SignedIn}, (*server).listEmployees},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/employees", Access: SignedIn}, (*server).createEmployee},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/employees/{employeeId}", Access: SignedIn}, (*server).getEmployee},
	{Route{Group: Settings, Method: http.MethodPut, Pattern: company + "/employees/{employeeId}", Access: SignedIn}, (*server).putEmployee},
	{Route{Group: Settings, Method: http.MethodDelete, Pattern: company + "/employees/{employeeId}", Access: SignedIn}, (*server).deleteEmployee},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/employees/{employeeId}/availability", Access: SignedIn}, (*server).getAvailability},
	{Route{Group: Settings, Method: http.MethodPut, Pattern: company + "/employees/{employeeId}/availability", Access: SignedIn}, (*server).putAvailability},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/employees/{employeeId}/absences", Access: SignedIn}, (*server).listAbsences},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/employees/{employeeId}/absences", Access: SignedIn}, (*server).createAbsence},
	{Route{Group: Settings, Method: http.MethodDelete, Pattern: company + "/employees/{employeeId}/absences/{absenceId}", Access: SignedIn}, (*server).deleteAbsence},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/audit", Access: SignedIn}, (*server).auditLog},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/customers/export", Access: SignedIn}, (*server).exportCustomer},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/customers/erase", Access: SignedIn}, (*server).eraseCustomer},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/webhooks", Access: SignedIn}, (*server).listWebhooks},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/webhooks", Access: SignedIn}, (*server).createWebhook},
	{Route{Group: Settings, Method: http.MethodDelete, Pattern: company + "/webhooks/{webhookId}", Access: SignedIn}, (*server).deleteWebhook},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/webhooks/{webhookId}/deliveries", Access: SignedIn}, (*server).listDeliveries},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/closures", Access: SignedIn}, (*server).listClosures},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/closures", Access: SignedIn}, (*server).createClosure},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/closures/import", Access: SignedIn}, (*server).importHolidays},
	{Route{Group: Settings, Method: http.MethodDelete, Pattern: company + "/closures/{closureId}", Access: SignedIn}, (*server).deleteClosure},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/services", Access: SignedIn}, (*server).listServices},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/services", Access: SignedIn}, (*server).createService},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/services/{serviceId}", Access: SignedIn}, (*server).getService},
	{Route{Group: Settings, Method: http.MethodPut, Pattern: company + "/services/{serviceId}", Access: SignedIn}, (*server).putService},
	{Route{Group: Settings, Method: http.MethodDelete, Pattern: company + "/services/{serviceId}", Access: SignedIn}, (*server).deleteService},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: company + "/employees/{employeeId}/calendars", Access: SignedIn}, (*server).listConnections},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/employees/{employeeId}/calendars", Access: SignedIn}, (*server).createConnection},
	{Route{Group: Settings, Method: http.MethodPut, Pattern: company + "/employees/{employeeId}/calendars/{calendarId}", Access: SignedIn}, (*server).putConnection},
	{Route{Group: Settings, Method: http.MethodDelete, Pattern: company + "/employees/{employeeId}/calendars/{calendarId}", Access: SignedIn}, (*server).deleteConnection},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/employees/{employeeId}/calendars/{calendarId}/reconnect", Access: SignedIn}, (*server).reconnectConnection},
	{Route{Group: Settings, Method: http.MethodPost, Pattern: company + "/employees/{employeeId}/calendars/oauth", Access: SignedIn}, (*server).completeOAuth},
	{Route{Group: Settings, Method: http.MethodGet, Pattern: "/v1/oauth/callback", Access: Anonymous}, (*server).oauthCallback},
}

// Routes returns the routes of the given groups, or of all groups if none is given.
func Routes(groups ...Group) []Route {
	var out []Route
	for _, rt := range routes {
		if inGroups(rt.Group, groups) {
			out = append(out, rt.Route)
		}
	}
	return out
}

func inGroups(g Group, groups []Group) bool {
	return len(groups) == 0 || slices.Contains(groups, g)
}
