package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// connectionJSON is a calendar connection as the API shows it: never its
// secret, nor a feed's URL (which often is one).
type connectionJSON struct {
	ID             string `json:"id"`
	Provider       string `json:"provider"`
	Account        string `json:"account"`
	CalendarID     string `json:"calendarId"`
	Name           string `json:"name"`
	CheckConflicts bool   `json:"checkConflicts"`
	ShowInOverview bool   `json:"showInOverview"`
	IsDefault      bool   `json:"isDefault"`
	Status         string `json:"status"`
	// PendingRemovals counts events of cancelled bookings that wait to be
	// removed from the calendar until it can be written again.
	PendingRemovals int `json:"pendingRemovals"`
}

func connectionOut(k slotbook.Connection) connectionJSON {
	return connectionJSON{k.ID, string(k.Provider), k.Account, k.CalendarID, k.Name,
		k.CheckConflicts, k.ShowInOverview, k.IsDefault, string(k.Status), k.PendingRemovals}
}

type connectInput struct {
	Provider       string `json:"provider"`
	URL            string `json:"url"`
	Username       string `json:"username"`
	Password       string `json:"password"`
	CalendarID     string `json:"calendarId"`
	Name           string `json:"name"`
	CheckConflicts *bool  `json:"checkConflicts"`
	ShowInOverview *bool  `json:"showInOverview"`
	IsDefault      *bool  `json:"isDefault"`
}

type switchesInput struct {
	Name           *string `json:"name"`
	CheckConflicts *bool   `json:"checkConflicts"`
	ShowInOverview *bool   `json:"showInOverview"`
	IsDefault      *bool   `json:"isDefault"`
}

func (s *server) listConnections(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	list, err := s.app.Connections(r.Context(), cid, eid)
	if err != nil {
		return err
	}
	out := make([]connectionJSON, len(list))
	for i, k := range list {
		out[i] = connectionOut(k)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"calendars": out})
}

// createConnection answers POST …/calendars: 202 with the consent page
// for OAuth providers, 201 with the connection for CalDAV and ICS.
func (s *server) createConnection(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	var in connectInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Provider == "" {
		return slotbook.FieldErrorf("provider", "is required")
	}
	res, err := s.app.Connect(r.Context(), slotbook.ConnectRequest{
		CompanyID: cid, EmployeeID: eid, Provider: slotbook.Provider(in.Provider),
		URL: in.URL, Username: in.Username, Password: in.Password, CalendarID: in.CalendarID, Name: in.Name,
		CheckConflicts: in.CheckConflicts, ShowInOverview: in.ShowInOverview, IsDefault: in.IsDefault,
	})
	if err != nil {
		return err
	}
	return writeConnectResult(w, r, res, http.StatusCreated)
}

// writeConnectResult answers 202 with the consent page of an OAuth
// provider, or status with the connection (201 Created with its Location).
func writeConnectResult(w http.ResponseWriter, r *http.Request, res slotbook.ConnectResult, status int) error {
	if res.AuthorizationURL != "" {
		return writeJSON(w, http.StatusAccepted, map[string]string{"authorizationUrl": res.AuthorizationURL})
	}
	if status == http.StatusCreated {
		location(w, r, res.Connection.ID)
	}
	return writeJSON(w, status, connectionOut(res.Connection))
}

func (s *server) putConnection(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	kid, err := pathID(r, "calendarId")
	if err != nil {
		return err
	}
	var in switchesInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	k, err := s.app.UpdateConnection(r.Context(), cid, eid, kid, slotbook.ConnectionSwitches{
		Name: in.Name, CheckConflicts: in.CheckConflicts, ShowInOverview: in.ShowInOverview, IsDefault: in.IsDefault,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, connectionOut(k))
}

func (s *server) deleteConnection(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	kid, err := pathID(r, "calendarId")
	if err != nil {
		return err
	}
	if err := s.app.DeleteConnection(r.Context(), cid, eid, kid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type reconnectInput struct {
	Password string `json:"password"`
	URL      string `json:"url"`
}

// reconnectConnection answers POST …/calendars/{calendarId}/reconnect: new
// credentials for a connection in place — 202 with the consent page for
// OAuth providers, 200 with the connection for CalDAV (a new password)
// and ICS (a new feed URL).
func (s *server) reconnectConnection(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	kid, err := pathID(r, "calendarId")
	if err != nil {
		return err
	}
	var in reconnectInput
	if r.ContentLength != 0 {
		if err := decode(w, r, &in); err != nil {
			return err
		}
	}
	res, err := s.app.Reconnect(r.Context(), slotbook.ReconnectRequest{
		CompanyID: cid, EmployeeID: eid, ConnectionID: kid, Password: in.Password, URL: in.URL,
	})
	if err != nil {
		return err
	}
	return writeConnectResult(w, r, res, http.StatusOK)
}

type oauthInput struct {
	Code  string `json:"code"`
	State string `json:"state"`
}

// completeOAuth answers POST …/employees/{employeeId}/calendars/oauth: the
// user who started a Google or Microsoft connection hands in the code the
// consent page gave, with their own credentials. 201 with a new
// connection, 200 with one re-authorised in place.
func (s *server) completeOAuth(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	var in oauthInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var p slotbook.Problems
	if in.Code == "" {
		p.Add("code", "is required")
	}
	if in.State == "" {
		p.Add("state", "is required")
	}
	if err := p.Err(); err != nil {
		return err
	}
	k, reconnected, err := s.app.CompleteOAuth(r.Context(), cid, eid, in.Code, in.State)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if reconnected {
		status = http.StatusOK
	}
	return writeConnectResult(w, r, slotbook.ConnectResult{Connection: k}, status)
}

// oauthReturnJSON is the callback's answer to a client that is not a
// browser: the code, and where the user who started the flow hands it in.
type oauthReturnJSON struct {
	Code     string `json:"code"`
	State    string `json:"state"`
	Complete string `json:"complete"`
}

// oauthCallback answers the provider's redirect after the user granted
// (or declined) access. It stores nothing: whoever's browser comes back,
// only the user who started the flow can complete it (completeOAuth).
func (s *server) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("state") == "" {
		return slotbook.FieldErrorf("state", "is required")
	}
	ret, err := s.app.OAuthCallback(r.Context(), q.Get("code"), q.Get("state"), q.Get("error"))
	if dash := s.app.DashboardURL(); dash != "" && wantsPage(r) {
		return s.backToDashboard(w, r, dash, ret, err)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, oauthReturnJSON{Code: ret.Code, State: ret.State,
		Complete: "/v1/companies/" + ret.CompanyID + "/employees/" + ret.EmployeeID + "/calendars/oauth"})
}

// wantsPage tells a browser's navigation, which asks for HTML, from an API
// client.
func wantsPage(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// backToDashboard answers a browser that returns from a consent page with
// 303 to the dashboard's calendars page of the employee, with the code
// and state in the fragment (which browsers never send to a server): the
// dashboard completes the flow with its own credentials. When the consent
// page gave no code, connectError carries a problem code instead, never
// the provider's words.
func (s *server) backToDashboard(w http.ResponseWriter, r *http.Request, dash string, ret slotbook.OAuthReturn, err error) error {
	v := url.Values{}
	if ret.EmployeeID != "" {
		v.Set("employee", ret.EmployeeID)
	}
	if err != nil {
		v.Set("connectError", problemFor(r, s.log, err).Code)
	} else {
		v.Set("oauthCode", ret.Code)
		v.Set("oauthState", ret.State)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, dash+"#/calendars?"+v.Encode(), http.StatusSeeOther)
	return nil
}
