package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Marker strings: fixtures carry them where Graph and the token endpoint
// would put private data; no error may contain any of them.
const (
	subjectMarker  = "SUBJECT-MARKER-q8z1"
	locationMarker = "LOCATION-MARKER-w2x9"
	bodyMarker     = "BODY-MARKER-k4v7"
	refreshMarker  = "RT-MARKER-p3n6"
	accessMarker   = "AT-MARKER-j5m2"
	errMsgMarker   = "ERRMSG-MARKER-h7c3"
)

var markers = []string{subjectMarker, locationMarker, bodyMarker, refreshMarker, accessMarker, errMsgMarker}

// noLeak fails the test if err's text holds a marker.
func noLeak(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, m := range markers {
		if strings.Contains(err.Error(), m) {
			t.Errorf("error %q contains private marker %q", err, m)
		}
	}
}

const (
	testEmail     = "adele@contoso.example"
	defaultCalID  = "AAMkAD-default=="
	otherCalID    = "AAMkAD_other/+=="
	readOnlyCalID = "AAMkAD-shared=="
	firstRefresh  = refreshMarker + "-0"
)

// fakeEvent is an event of the fake mailbox.
type fakeEvent struct {
	ID            string
	Subject       string
	Body          string
	BodyType      string
	Start, End    time.Time
	ShowAs        string // as Graph spells it in calendarView
	Cancelled     bool
	TransactionID string
}

// seen is one request the fake received.
type seen struct {
	Method, Path  string
	Query         url.Values
	Header        http.Header
	Body          []byte
	Authorization string
}

// fakeGraph speaks Graph's and the identity platform's JSON wire format
// for the calls this package makes.
type fakeGraph struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	requests  []seen
	refresh   map[string]bool // refresh tokens the token endpoint accepts
	access    map[string]bool // access tokens Graph accepts
	issued    int
	rotate    bool // a refresh returns a new refresh token
	calendars []map[string]any
	events    map[string][]*fakeEvent // by calendar id
	nextID    int
	pageSize  int // calendarView and calendars page size

	// statusSpelling maps a showAs value to how getSchedule spells it.
	statusSpelling func(string) string
	// scheduleError, if set, comes as the schedule's error inside a 200.
	scheduleError string
	// hook, if set, may answer a request itself (it returns true) before
	// the fake does.
	hook func(w http.ResponseWriter, r *http.Request, body []byte) bool
}

func newFakeGraph(t *testing.T) *fakeGraph {
	f := &fakeGraph{
		t:        t,
		refresh:  map[string]bool{firstRefresh: true},
		access:   map[string]bool{},
		rotate:   true,
		events:   map[string][]*fakeEvent{},
		pageSize: 2,
		calendars: []map[string]any{
			{"id": otherCalID, "name": "Holidays", "isDefaultCalendar": false, "canEdit": true},
			{"id": readOnlyCalID, "name": "Team (shared)", "isDefaultCalendar": false, "canEdit": false},
			{"id": defaultCalID, "name": "Calendar", "isDefaultCalendar": true, "canEdit": true},
		},
		statusSpelling: func(s string) string { return s },
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// provider returns a Provider pointed at the fake.
func (f *fakeGraph) provider(mod ...func(*Config)) *Provider {
	cfg := Config{
		ClientID:     "client-1",
		ClientSecret: "secret-1",
		RedirectURL:  "https://app.example/oauth/microsoft",
		AuthURL:      f.srv.URL + "/authorize",
		TokenURL:     f.srv.URL + "/token",
		BaseURL:      f.srv.URL + "/v1.0",
		HTTPClient:   f.srv.Client(),
	}
	for _, m := range mod {
		m(&cfg)
	}
	return New(cfg)
}

// set changes the fake under its lock; its handlers run on other goroutines.
func (f *fakeGraph) set(change func(f *fakeGraph)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// setHook installs hook (see fakeGraph.hook).
func (f *fakeGraph) setHook(hook func(w http.ResponseWriter, r *http.Request, body []byte) bool) {
	f.set(func(f *fakeGraph) { f.hook = hook })
}

func (f *fakeGraph) add(calID string, e fakeEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	if e.ID == "" {
		e.ID = fmt.Sprintf("evt-%d", f.nextID)
	}
	if e.ShowAs == "" {
		e.ShowAs = "busy"
	}
	f.events[calID] = append(f.events[calID], &e)
}

// seenRequests returns the requests whose path ends in suffix.
func (f *fakeGraph) seenRequests(method, suffix string) []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []seen
	for _, r := range f.requests {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeGraph) eventCount(calID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events[calID])
}

func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, seen{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(),
		Body: body, Authorization: r.Header.Get("Authorization"),
	})
	hook := f.hook
	f.mu.Unlock()
	if hook != nil && hook(w, r, body) {
		return
	}
	if r.URL.Path == "/token" {
		f.token(w, r, body)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/v1.0/me/") {
		graphError(w, 400, "BadRequest", "Unsupported path "+errMsgMarker)
		return
	}
	f.mu.Lock()
	ok := f.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	f.mu.Unlock()
	if !ok {
		graphError(w, 401, "InvalidAuthenticationToken", "Access token is empty. "+errMsgMarker)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/v1.0/me")
	// Ids may hold "/", "+" and "=": split the escaped path, then unescape.
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.EscapedPath(), "/v1.0/me"), "/"), "/")
	for i, p := range parts {
		parts[i], _ = url.PathUnescape(p)
	}
	switch {
	case r.Method == "GET" && path == "/calendars":
		f.listCalendars(w, r)
	case r.Method == "GET" && path == "/calendar":
		writeJSON(w, 200, map[string]any{
			"@odata.context": f.srv.URL + "/v1.0/$metadata#users('me')/calendar(id)",
			"id":             defaultCalID,
		})
	case r.Method == "POST" && path == "/calendar/getSchedule":
		f.getSchedule(w, r, body)
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "calendars" && parts[2] == "calendarView":
		f.calendarView(w, r, parts[1])
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "calendars" && parts[2] == "events":
		f.createEvent(w, parts[1], body)
	case r.Method == "DELETE" && len(parts) == 2 && parts[0] == "events":
		f.deleteEvent(w, parts[1])
	default:
		graphError(w, 400, "BadRequest", "Resource not found for the segment. "+errMsgMarker)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// graphError answers as Graph does on failure.
func graphError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code":       code,
		"message":    message,
		"innerError": map[string]any{"date": "2025-01-06T10:00:00", "request-id": "5f0b5a4c-0000-0000-0000-000000000000"},
	}})
}

func (f *fakeGraph) token(w http.ResponseWriter, r *http.Request, body []byte) {
	form, _ := url.ParseQuery(string(body))
	if form.Get("client_id") != "client-1" || form.Get("client_secret") != "secret-1" {
		writeJSON(w, 401, map[string]any{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret. " + errMsgMarker})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch form.Get("grant_type") {
	case "refresh_token":
		if !f.refresh[form.Get("refresh_token")] {
			writeJSON(w, 400, map[string]any{
				"error":             "invalid_grant",
				"error_description": "AADSTS70000: The provided value for 'refresh_token' is not valid: " + form.Get("refresh_token"),
				"error_codes":       []int{70000},
			})
			return
		}
	case "authorization_code":
		if form.Get("code") != "code-1" || form.Get("redirect_uri") != "https://app.example/oauth/microsoft" {
			writeJSON(w, 400, map[string]any{"error": "invalid_grant", "error_description": "AADSTS54005: code already redeemed " + errMsgMarker})
			return
		}
	default:
		writeJSON(w, 400, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	f.issued++
	at := fmt.Sprintf("%s-%d", accessMarker, f.issued)
	f.access[at] = true
	ans := map[string]any{
		"token_type": "Bearer", "scope": "Calendars.ReadWrite", "expires_in": 3599, "ext_expires_in": 3599,
		"access_token": at,
	}
	if f.rotate || form.Get("grant_type") == "authorization_code" {
		rt := fmt.Sprintf("%s-%d", refreshMarker, f.issued)
		f.refresh[rt] = true
		ans["refresh_token"] = rt
	} else {
		ans["refresh_token"] = form.Get("refresh_token")
	}
	writeJSON(w, 200, ans)
}

func (f *fakeGraph) listCalendars(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	all := slices.Clone(f.calendars)
	size := f.pageSize
	f.mu.Unlock()
	skip, _ := strconv.Atoi(r.URL.Query().Get("$skip"))
	end := min(skip+size, len(all))
	ans := map[string]any{
		"@odata.context": f.srv.URL + "/v1.0/$metadata#users('me')/calendars(id,name,isDefaultCalendar,canEdit)",
		"value":          all[skip:end],
	}
	if end < len(all) {
		q := r.URL.Query()
		q.Set("$skip", strconv.Itoa(end))
		ans["@odata.nextLink"] = f.srv.URL + r.URL.EscapedPath() + "?" + q.Encode()
	}
	writeJSON(w, 200, ans)
}

// wallUTC writes t as Graph does: UTC wall time without offset.
func wallUTC(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000") }

func dtz(t time.Time) map[string]any {
	return map[string]any{"dateTime": wallUTC(t), "timeZone": "UTC"}
}

func (f *fakeGraph) getSchedule(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Schedules []string
		StartTime struct{ DateTime, TimeZone string }
		EndTime   struct{ DateTime, TimeZone string }
	}
	if err := json.Unmarshal(body, &req); err != nil || len(req.Schedules) == 0 {
		graphError(w, 400, "ErrorInvalidRequest", "bad body")
		return
	}
	from, err1 := time.Parse("2006-01-02T15:04:05", req.StartTime.DateTime)
	to, err2 := time.Parse("2006-01-02T15:04:05", req.EndTime.DateTime)
	if err1 != nil || err2 != nil || req.StartTime.TimeZone != "UTC" || !from.Before(to) {
		graphError(w, 400, "ErrorInvalidRequest", "bad times")
		return
	}
	if to.Sub(from) > 62*24*time.Hour {
		graphError(w, 400, "ErrorInvalidRequest", "The requested time duration specified is too long.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	info := map[string]any{"scheduleId": req.Schedules[0]}
	if f.scheduleError != "" {
		info["error"] = map[string]any{"message": "Mailbox not found " + errMsgMarker, "responseCode": f.scheduleError}
	} else {
		items := []map[string]any{}
		for _, e := range f.events[defaultCalID] {
			if e.Cancelled || !e.Start.Before(to) || !e.End.After(from) {
				continue
			}
			items = append(items, map[string]any{
				"isPrivate": false,
				"status":    f.statusSpelling(e.ShowAs),
				"subject":   e.Subject,
				"location":  locationMarker,
				"start":     map[string]any{"dateTime": wallUTC(e.Start), "timeZone": "UTC"},
				"end":       map[string]any{"dateTime": wallUTC(e.End), "timeZone": "UTC"},
			})
		}
		info["availabilityView"] = "0020"
		info["scheduleItems"] = items
		info["workingHours"] = map[string]any{"daysOfWeek": []string{"monday"}, "startTime": "08:00:00.0000000", "endTime": "17:00:00.0000000"}
	}
	writeJSON(w, 200, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)",
		"value":          []any{info},
	})
}

func (f *fakeGraph) calendarView(w http.ResponseWriter, r *http.Request, calID string) {
	q := r.URL.Query()
	from, err1 := time.Parse(time.RFC3339, q.Get("startDateTime"))
	to, err2 := time.Parse(time.RFC3339, q.Get("endDateTime"))
	if err1 != nil || err2 != nil {
		graphError(w, 400, "ErrorInvalidParameter", "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.")
		return
	}
	sel := strings.Split(q.Get("$select"), ",")
	f.mu.Lock()
	var match []*fakeEvent
	for _, e := range f.events[calID] {
		if e.Start.Before(to) && e.End.After(from) {
			match = append(match, e)
		}
	}
	size := f.pageSize
	f.mu.Unlock()
	skip, _ := strconv.Atoi(q.Get("$skip"))
	end := min(skip+size, len(match))
	values := []map[string]any{}
	for _, e := range match[min(skip, len(match)):end] {
		v := map[string]any{"@odata.etag": `W/"DwAAABYAAAA"`, "id": e.ID}
		for _, s := range sel {
			switch s {
			case "subject":
				v["subject"] = e.Subject
			case "showAs":
				v["showAs"] = e.ShowAs
			case "isCancelled":
				v["isCancelled"] = e.Cancelled
			case "start":
				v["start"] = dtz(e.Start)
			case "end":
				v["end"] = dtz(e.End)
			}
		}
		values = append(values, v)
	}
	ans := map[string]any{
		"@odata.context": f.srv.URL + "/v1.0/$metadata#users('me')/calendars('x')/calendarView",
		"value":          values,
	}
	if end < len(match) {
		q.Set("$skip", strconv.Itoa(end))
		ans["@odata.nextLink"] = f.srv.URL + r.URL.EscapedPath() + "?" + q.Encode()
	}
	writeJSON(w, 200, ans)
}

func (f *fakeGraph) createEvent(w http.ResponseWriter, calID string, body []byte) {
	var ev struct {
		Subject string `json:"subject"`
		Body    struct {
			ContentType string `json:"contentType"`
			Content     string `json:"content"`
		} `json:"body"`
		Start         struct{ DateTime, TimeZone string } `json:"start"`
		End           struct{ DateTime, TimeZone string } `json:"end"`
		ShowAs        string                              `json:"showAs"`
		TransactionID string                              `json:"transactionId"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		graphError(w, 400, "RequestBodyRead", "Cannot read the request body.")
		return
	}
	start, err1 := parseGraphTime(ev.Start.DateTime, ev.Start.TimeZone)
	end, err2 := parseGraphTime(ev.End.DateTime, ev.End.TimeZone)
	if err1 != nil || err2 != nil {
		graphError(w, 400, "TimeZoneNotSupportedException", "bad time")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var e *fakeEvent
	if ev.TransactionID != "" {
		// Graph answers a repeated transactionId with the existing event.
		for _, x := range f.events[calID] {
			if x.TransactionID == ev.TransactionID {
				e = x
			}
		}
	}
	if e == nil {
		f.nextID++
		e = &fakeEvent{
			ID: fmt.Sprintf("AAMkADevt%d=", f.nextID), Subject: ev.Subject, Body: ev.Body.Content, BodyType: ev.Body.ContentType,
			Start: start, End: end, ShowAs: ev.ShowAs, TransactionID: ev.TransactionID,
		}
		f.events[calID] = append(f.events[calID], e)
	}
	writeJSON(w, 201, map[string]any{
		"@odata.context": f.srv.URL + "/v1.0/$metadata#users('me')/calendars('x')/events/$entity",
		"id":             e.ID, "subject": e.Subject, "transactionId": e.TransactionID,
		"body":  map[string]any{"contentType": e.BodyType, "content": e.Body},
		"start": dtz(e.Start), "end": dtz(e.End), "showAs": e.ShowAs,
	})
}

func (f *fakeGraph) deleteEvent(w http.ResponseWriter, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for cal, list := range f.events {
		for i, e := range list {
			if e.ID == id {
				f.events[cal] = slices.Delete(list, i, i+1)
				w.WriteHeader(204)
				return
			}
		}
	}
	graphError(w, 404, "ErrorItemNotFound", "The specified object was not found in the store. "+errMsgMarker)
}
