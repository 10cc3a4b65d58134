package google

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Unique strings that stand for content which must never reach an error:
// event titles and descriptions, tokens, the client secret.
const (
	markTitle    = "MARKER-TITLE-q7w3"
	markDesc     = "MARKER-DESC-k2p9"
	markAccess   = "ya29.MARKER-ACCESS-z8x1"
	markRefresh  = "1//MARKER-REFRESH-r5t6"
	markRotated  = "1//MARKER-ROTATED-m4n2"
	markSecret   = "MARKER-CLIENT-SECRET-c3v4"
	markDeadRT   = "1//MARKER-DEAD-REFRESH-h8j9"
	markAuthCode = "4/MARKER-CODE-b6n1"
)

var markers = []string{markTitle, markDesc, markAccess, markRefresh, markRotated, markSecret, markDeadRT, markAuthCode}

// canned is a scripted answer of the fake.
type canned struct {
	status int
	header map[string]string
	body   string
}

// apiRequest is one request the fake's Calendar API received.
type apiRequest struct {
	method, path string
	query        url.Values
	body         []byte
	at           time.Time
}

// fakeGoogle is an httptest server that speaks the wire format of Google's
// token endpoint and of the Calendar API v3 routes slotbook uses, as
// documented (developers.google.com/calendar/api/v3/reference): JSON
// bodies, Google's error envelope {"error":{"code","message","errors":
// [{"domain","reason","message"}]}}, RFC 6749 token errors.
type fakeGoogle struct {
	t   *testing.T
	srv *httptest.Server

	mu sync.Mutex

	// Token endpoint.
	rotateTo    string            // if set, a refresh answers with this new refresh token
	codes       map[string]string // authorization code → refresh token ("" = none issued)
	tokenScript []canned          // answers served before the normal ones
	tokenForms  []url.Values

	// Calendar API.
	calendarList    []map[string]any            // calendarList entries
	listPageSize    int                         // calendarList and events page size
	busy            map[string][][2]time.Time   // calendar id → busy spans
	calErrors       map[string]string           // calendar id → reason reported inside a 200
	omitted         map[string]bool             // calendar ids left out of the answer
	events          map[string][]map[string]any // calendar id → event resources
	calendarZone    string                      // timeZone of events.list answers
	script          map[string][]canned         // op → answers served before the normal ones
	delay           time.Duration               // every API answer waits this long
	requests        map[string][]apiRequest     // op → requests received
	unauthorizedAPI bool                        // the API refuses every access token
}

func newFake(t *testing.T) *fakeGoogle {
	t.Helper()
	f := &fakeGoogle{
		t:            t,
		codes:        map[string]string{},
		listPageSize: 100,
		busy:         map[string][][2]time.Time{},
		calErrors:    map[string]string{},
		omitted:      map[string]bool{},
		events:       map[string][]map[string]any{},
		script:       map[string][]canned{},
		requests:     map[string][]apiRequest{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("GET /calendar/v3/users/me/calendarList", f.api("calendarList.list", f.calendarListList))
	mux.HandleFunc("POST /calendar/v3/freeBusy", f.api("freeBusy", f.freeBusy))
	mux.HandleFunc("GET /calendar/v3/calendars/{cal}/events", f.api("events.list", f.eventsList))
	mux.HandleFunc("POST /calendar/v3/calendars/{cal}/events", f.api("events.insert", f.eventsInsert))
	mux.HandleFunc("GET /calendar/v3/calendars/{cal}/events/{id}", f.api("events.get", f.eventsGet))
	mux.HandleFunc("PUT /calendar/v3/calendars/{cal}/events/{id}", f.api("events.update", f.eventsUpdate))
	mux.HandleFunc("DELETE /calendar/v3/calendars/{cal}/events/{id}", f.api("events.delete", f.eventsDelete))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// provider returns a Provider pointed at the fake, with millisecond backoff.
func (f *fakeGoogle) provider() *Provider {
	p := New(Config{
		ClientID:     "client-123.apps.googleusercontent.com",
		ClientSecret: markSecret,
		RedirectURL:  "https://app.slotbook.test/oauth/google",
		AuthURL:      f.srv.URL + "/auth",
		TokenURL:     f.srv.URL + "/token",
		APIEndpoint:  f.srv.URL + "/calendar/v3/",
		HTTPClient:   f.srv.Client(),
		MaxRetries:   3,
	})
	p.retryBase = time.Millisecond
	p.retryCap = 4 * time.Millisecond
	return p
}

// queue scripts answers for the next requests of op ("token" for the token
// endpoint).
func (f *fakeGoogle) queue(op string, answers ...canned) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if op == "token" {
		f.tokenScript = append(f.tokenScript, answers...)
		return
	}
	f.script[op] = append(f.script[op], answers...)
}

func (f *fakeGoogle) got(op string) []apiRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]apiRequest(nil), f.requests[op]...)
}

// stored returns a copy of the events stored in calendar cal.
func (f *fakeGoogle) stored(cal string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, ev := range f.events[cal] {
		c := map[string]any{}
		for k, v := range ev {
			c[k] = v
		}
		out = append(out, c)
	}
	return out
}

func (f *fakeGoogle) tokenRequests() []url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]url.Values(nil), f.tokenForms...)
}

func write(w http.ResponseWriter, c canned) {
	for k, v := range c.header {
		w.Header().Set(k, v)
	}
	if c.body != "" {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(c.status)
	_, _ = io.WriteString(w, c.body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// googleError is Google's error envelope; the messages carry a marker to
// prove they never reach slotbook's errors.
func googleError(code int, domain, reason string) canned {
	return canned{status: code, body: fmt.Sprintf(
		`{"error":{"errors":[{"domain":%q,"reason":%q,"message":"about %s"}],"code":%d,"message":"about %s"}}`,
		domain, reason, markTitle, code, markDesc)}
}

// token serves the OAuth token endpoint (refresh_token and
// authorization_code grants), credentials in the form body.
func (f *fakeGoogle) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.tokenForms = append(f.tokenForms, r.PostForm)
	var scripted *canned
	if len(f.tokenScript) > 0 {
		scripted = &f.tokenScript[0]
		f.tokenScript = f.tokenScript[1:]
	}
	rotateTo := f.rotateTo
	f.mu.Unlock()
	if scripted != nil {
		write(w, *scripted)
		return
	}
	if r.PostForm.Get("client_id") == "" || r.PostForm.Get("client_secret") != markSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "The OAuth client was not found."})
		return
	}
	answer := map[string]any{
		"access_token": markAccess,
		"expires_in":   3599,
		"scope":        "https://www.googleapis.com/auth/calendar.freebusy https://www.googleapis.com/auth/calendar.events",
		"token_type":   "Bearer",
	}
	switch r.PostForm.Get("grant_type") {
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		if rt != markRefresh && rt != markRotated {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Token has been expired or revoked: " + rt})
			return
		}
		if rotateTo != "" {
			answer["refresh_token"] = rotateTo
		}
	case "authorization_code":
		f.mu.Lock()
		rt, ok := f.codes[r.PostForm.Get("code")]
		f.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Malformed auth code " + r.PostForm.Get("code")})
			return
		}
		if rt != "" {
			answer["refresh_token"] = rt
		}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	writeJSON(w, http.StatusOK, answer)
}

// api wraps a Calendar API handler: it records the request, checks the
// bearer token, waits for delay and serves scripted answers first.
func (f *fakeGoogle) api(op string, h func(w http.ResponseWriter, r *http.Request, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests[op] = append(f.requests[op], apiRequest{method: r.Method, path: r.URL.Path, query: r.URL.Query(), body: body, at: time.Now()})
		delay := f.delay
		var scripted *canned
		if s := f.script[op]; len(s) > 0 {
			scripted = &s[0]
			f.script[op] = s[1:]
		}
		unauthorized := f.unauthorizedAPI
		f.mu.Unlock()

		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
				return
			}
		}
		if unauthorized || r.Header.Get("Authorization") != "Bearer "+markAccess {
			write(w, googleError(http.StatusUnauthorized, "global", "authError"))
			return
		}
		if scripted != nil {
			write(w, *scripted)
			return
		}
		h(w, r, body)
	}
}

// page returns items[from:from+size] for a page token that is the index.
func page[T any](items []T, token string, size int) ([]T, string) {
	from, _ := strconv.Atoi(token)
	from = min(from, len(items))
	to := min(from+size, len(items))
	next := ""
	if to < len(items) {
		next = strconv.Itoa(to)
	}
	return items[from:to], next
}

func (f *fakeGoogle) calendarListList(w http.ResponseWriter, r *http.Request, _ []byte) {
	f.mu.Lock()
	items, next := page(f.calendarList, r.URL.Query().Get("pageToken"), f.listPageSize)
	f.mu.Unlock()
	answer := map[string]any{"kind": "calendar#calendarList", "etag": `"p33k"`, "items": items}
	if next != "" {
		answer["nextPageToken"] = next
	}
	writeJSON(w, http.StatusOK, answer)
}

func (f *fakeGoogle) freeBusy(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		TimeMin, TimeMax string
		Items            []struct{ ID string }
	}
	if err := json.Unmarshal(body, &req); err != nil {
		write(w, googleError(http.StatusBadRequest, "global", "parseError"))
		return
	}
	tmin, err1 := time.Parse(time.RFC3339, req.TimeMin)
	tmax, err2 := time.Parse(time.RFC3339, req.TimeMax)
	if err1 != nil || err2 != nil {
		write(w, googleError(http.StatusBadRequest, "global", "invalid"))
		return
	}
	if tmax.Sub(tmin) > 60*24*time.Hour {
		write(w, googleError(http.StatusBadRequest, "calendar", "timeRangeTooLong"))
		return
	}
	if len(req.Items) > 50 {
		write(w, googleError(http.StatusBadRequest, "calendar", "tooManyCalendarsRequested"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	calendars := map[string]any{}
	for _, it := range req.Items {
		if f.omitted[it.ID] {
			continue
		}
		if reason := f.calErrors[it.ID]; reason != "" {
			calendars[it.ID] = map[string]any{"errors": []map[string]string{{"domain": "global", "reason": reason}}}
			continue
		}
		busy := []map[string]string{}
		for _, s := range f.busy[it.ID] {
			start, end := maxTime(s[0], tmin), minTime(s[1], tmax)
			if start.Before(end) {
				busy = append(busy, map[string]string{"start": start.UTC().Format(time.RFC3339), "end": end.UTC().Format(time.RFC3339)})
			}
		}
		calendars[it.ID] = map[string]any{"busy": busy}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": "calendar#freeBusy", "timeMin": req.TimeMin, "timeMax": req.TimeMax, "calendars": calendars,
	})
}

func (f *fakeGoogle) eventsList(w http.ResponseWriter, r *http.Request, _ []byte) {
	f.mu.Lock()
	items, next := page(f.events[r.PathValue("cal")], r.URL.Query().Get("pageToken"), f.listPageSize)
	answer := map[string]any{"kind": "calendar#events", "items": items}
	if f.calendarZone != "" {
		answer["timeZone"] = f.calendarZone
	}
	f.mu.Unlock()
	if next != "" {
		answer["nextPageToken"] = next
	}
	writeJSON(w, http.StatusOK, answer)
}

// find returns the index of event id in calendar cal, or -1. f.mu is held.
func (f *fakeGoogle) find(cal, id string) int {
	for i, ev := range f.events[cal] {
		if ev["id"] == id {
			return i
		}
	}
	return -1
}

func (f *fakeGoogle) eventsInsert(w http.ResponseWriter, r *http.Request, body []byte) {
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		write(w, googleError(http.StatusBadRequest, "global", "parseError"))
		return
	}
	cal := r.PathValue("cal")
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, _ := ev["id"].(string); id != "" && f.find(cal, id) >= 0 {
		write(w, googleError(http.StatusConflict, "global", "duplicate"))
		return
	}
	if ev["id"] == nil {
		ev["id"] = fmt.Sprintf("gen%d", len(f.events[cal]))
	}
	ev["status"] = "confirmed"
	ev["kind"] = "calendar#event"
	f.events[cal] = append(f.events[cal], ev)
	writeJSON(w, http.StatusOK, ev)
}

func (f *fakeGoogle) eventsGet(w http.ResponseWriter, r *http.Request, _ []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.find(r.PathValue("cal"), r.PathValue("id"))
	if i < 0 {
		write(w, googleError(http.StatusNotFound, "global", "notFound"))
		return
	}
	writeJSON(w, http.StatusOK, f.events[r.PathValue("cal")][i])
}

func (f *fakeGoogle) eventsUpdate(w http.ResponseWriter, r *http.Request, body []byte) {
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		write(w, googleError(http.StatusBadRequest, "global", "parseError"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	cal, id := r.PathValue("cal"), r.PathValue("id")
	i := f.find(cal, id)
	if i < 0 {
		write(w, googleError(http.StatusNotFound, "global", "notFound"))
		return
	}
	ev["id"] = id
	if ev["status"] == nil {
		ev["status"] = f.events[cal][i]["status"]
	}
	f.events[cal][i] = ev
	writeJSON(w, http.StatusOK, ev)
}

// eventsDelete marks the event cancelled, as Google does: it stays, its id
// stays taken, and a second delete answers 410.
func (f *fakeGoogle) eventsDelete(w http.ResponseWriter, r *http.Request, _ []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cal := r.PathValue("cal")
	i := f.find(cal, r.PathValue("id"))
	switch {
	case i < 0:
		write(w, googleError(http.StatusNotFound, "global", "notFound"))
	case f.events[cal][i]["status"] == "cancelled":
		write(w, googleError(http.StatusGone, "global", "deleted"))
	default:
		f.events[cal][i]["status"] = "cancelled"
		w.WriteHeader(http.StatusNoContent)
	}
}
