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
}

func connectionOut(k slotbook.Connection) connectionJSON {
	return connectionJSON{k.ID, string(k.Provider), k.Account, k.CalendarID, k.Name,
		k.CheckConflicts, k.ShowInOverview, k.IsDefault, string(k.Status)}
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
	if res.AuthorizationURL != "" {
		return writeJSON(w, http.StatusAccepted, map[string]string{"authorizationUrl": res.AuthorizationURL})
	}
	location(w, r, res.Connection.ID)
	return writeJSON(w, http.StatusCreated, connectionOut(res.Connection))
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

// oauthCallback answers the provider's redirect after the user granted
// (or declined) access.
func (s *server) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if q.Get("state") == "" {
		return slotbook.FieldErrorf("state", "is required")
	}
	k, err := s.app.OAuthCallback(r.Context(), q.Get("code"), q.Get("state"), q.Get("error"))
	if dash := s.app.DashboardURL(); dash != "" && wantsPage(r) {
		return s.backToDashboard(w, r, dash, k, err)
	}
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, connectionOut(k))
}

// wantsPage tells a browser's navigation, which asks for HTML, from an API
// client.
func wantsPage(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// backToDashboard answers a browser that returns from a consent page with
// 303 to the dashboard's calendars page, which then says what happened:
// employee and connected on success, connectError (a problem code, never
// the provider's words) when nothing was connected.
func (s *server) backToDashboard(w http.ResponseWriter, r *http.Request, dash string, k slotbook.Connection, err error) error {
	v := url.Values{}
	if err != nil {
		v.Set("connectError", problemFor(r, s.log, err).Code)
	} else {
		v.Set("employee", k.EmployeeID)
		v.Set("connected", k.ID)
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, dash+"#/calendars?"+v.Encode(), http.StatusSeeOther)
	return nil
}
