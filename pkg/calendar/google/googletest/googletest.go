// Package googletest is a fake Google Calendar for tests: an httptest
// server that speaks the wire format of the Calendar API v3 routes slotbook
// uses and of Google's OAuth 2 endpoints, with the semantics Google
// documents rather than the ones slotbook's code assumes:
//
//   - A user's primary calendar has the user's e-mail address as its id
//     ("Its ID usually matches the user's primary email address",
//     developers.google.com/workspace/calendar/api/concepts/events-calendars);
//     other calendars have opaque ids such as "c_…@group.calendar.google.com".
//     The keyword "primary" names the primary calendar.
//   - freeBusy answers a calendar it does not know, or that is not in the
//     account's calendar list (this fake's stand-in for "not shared with the
//     account"), inside the 200, as that calendar's errors with reason
//     notFound (FreeBusyCalendar.errors,
//     "Optional error(s) (if computation for the calendar failed)"; reasons
//     groupTooBig, tooManyCalendarsRequested, notFound, internalError in the
//     API's Error schema). At most 50 calendars a query
//     (tooManyCalendarsRequested) and, as slotbook's providers.md records,
//     about 60 days (timeRangeTooLong).
//   - Errors come in Google's envelope {"error":{"code","message","errors":
//     [{"domain","reason","message"}]}}; a write to a calendar the account
//     may only read answers 403 requiredAccessLevel.
//   - events.insert takes the client's own id (base32hex, a–v and 0–9, 5 to
//     1024 characters) and answers 409 duplicate for an id in use, including
//     the id of a deleted event: Google keeps deleted events as cancelled.
//     events.list leaves cancelled events out unless showDeleted is set, and
//     takes orderBy=startTime only with singleEvents=true.
//   - The token endpoint issues a refresh token only for access_type=offline,
//     and only on the first consent of an account unless prompt=consent;
//     refresh tokens are not rotated unless SetRotation(true). Codes are
//     single-use and bound to the client and the redirect URI.
//   - The authorize endpoint behaves like a consent page that the user
//     approved: it redirects (302) to redirect_uri with code, state and
//     scope (RFC 6749 section 4.1.2), for the account set with SignInAs.
//
// The server keeps everything in memory; its handlers run on other
// goroutines, so every method takes the server's lock.
//
// Point pkg/calendar/google's provider at it:
//
//	srv := googletest.New(t)
//	ann := srv.AddAccount("ann@example.com", googletest.Calendar{TimeZone: "Europe/Zurich"})
//	srv.SignInAs(ann.Email) // the account that approves the consent page
//	p := google.New(google.Config{
//		ClientID: googletest.ClientID, ClientSecret: googletest.ClientSecret,
//		RedirectURL: callbackURL,
//		AuthURL:     srv.AuthURL, TokenURL: srv.TokenURL, APIEndpoint: srv.APIEndpoint,
//	})
//
// A browser (or an HTTP client that does not follow redirects) that opens
// p.AuthCodeURL(state) is sent to callbackURL?code=…&state=…&scope=…; the
// code trades for a refresh token of ann. ann.RefreshToken stands for a
// connection made earlier. The package imports nothing of slotbook's but
// pkg/calendar/oauthtest, the OAuth 2 server it shares with graphtest.
package googletest

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/oauthtest"
)

// The client credentials the token endpoint accepts.
const (
	ClientID     = "1234567890-googletest.apps.googleusercontent.com"
	ClientSecret = "GOCSPX-" + TokenMarker
)

// Markers that the server puts into what must never reach an error of the
// code under test: TokenMarker is part of every access token, refresh token,
// authorization code and the client secret; MessageMarker is part of every
// error message and error description the server writes.
const (
	TokenMarker   = "GOOGLETEST-TOKEN-k3m8"
	MessageMarker = "GOOGLETEST-MESSAGE-p2w5"
)

// Markers lists TokenMarker and MessageMarker.
var Markers = []string{TokenMarker, MessageMarker}

// Event is an event of a calendar.
type Event struct {
	// ID is the event's id; AddEvent makes one if it is empty.
	ID          string
	Summary     string
	Description string
	Location    string
	// Start and End are the event's instants, written with the offset of
	// their location. For an all-day event only their dates count: the
	// event spans [Start's date, End's date).
	Start, End time.Time
	AllDay     bool
	// TimeZone is the event's own IANA zone, if it names one.
	TimeZone string
	// Status is confirmed, tentative or cancelled; confirmed if empty.
	Status string
	// Transparency is opaque (busy) or transparent (free); opaque if empty.
	Transparency string
}

// Calendar describes a calendar and its entry in an account's calendar
// list.
type Calendar struct {
	// ID is the calendar's id. AddCalendar makes an opaque one if it is
	// empty; AddAccount uses the account's address for the primary one.
	ID string
	// Summary is the calendar's title; the address for a primary calendar
	// if empty.
	Summary string
	// SummaryOverride is the account's own name for the calendar.
	SummaryOverride string
	// TimeZone is the calendar's IANA zone; UTC if empty.
	TimeZone string
	// AccessRole is the account's access: owner (the default), writer,
	// reader or freeBusyReader.
	AccessRole string
}

// Account is an account of the fake, as AddAccount made it.
type Account struct {
	// Email is the account's address, and the id of its primary calendar.
	Email string
	// RefreshToken is a refresh token of the account, as if it had been
	// connected before.
	RefreshToken string
}

// Request is one request that the Calendar API received.
type Request struct {
	// Op names the API method: calendarList.list, freebusy.query,
	// events.list, events.insert, events.get, events.update, events.delete.
	Op     string
	Method string
	// Path is the URL path, unescaped.
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	At     time.Time
}

// Failure is a scripted answer given in place of the normal one (see Fail
// and FailToken).
type Failure struct {
	// Status is the HTTP status of the answer.
	Status int
	// Reason and Domain are the error's reason and domain ("global" if
	// empty); for the token endpoint, Reason is the OAuth error code.
	// Message is the error's message; a default that holds MessageMarker if
	// empty.
	Reason, Domain, Message string
	// RetryAfter, if set, is sent as the Retry-After header.
	RetryAfter string
	// Body, if set, is sent as it is instead of an error JSON.
	Body string
	// Apply carries the request out before the failure is answered: the
	// change is made, its answer is lost on the way back.
	Apply bool
	// Drop closes the connection without an answer.
	Drop bool
	// Hang answers nothing until the client gives up.
	Hang bool
}

// Server is a fake Google Calendar with its OAuth endpoints. Make one with
// New.
type Server struct {
	// URL is the server's root, without a trailing slash.
	URL string
	// APIEndpoint is the Calendar API's base URL, ending in
	// "/calendar/v3/", for google.Config.APIEndpoint.
	APIEndpoint string
	// TokenURL is the OAuth token endpoint.
	TokenURL string
	// AuthURL is the OAuth authorize endpoint (the consent page).
	AuthURL string

	t   testing.TB
	srv *httptest.Server

	// oauth is Google's OAuth 2 server; its accounts are account keys.
	oauth *oauthtest.Server
	fails oauthtest.Scripts[string, Failure] // by API method

	mu        sync.Mutex
	n         int
	accounts  map[string]*account // by lower-case address
	calendars map[string]*calendar
	pageSize  int
	omitted   map[string]bool
	requests  []Request
}

type account struct {
	email string
	list  []*entry
}

type entry struct {
	calendarID      string
	summaryOverride string
	accessRole      string
}

type calendar struct {
	id, summary, timeZone string
	events                []*Event
}

// New starts a server for the test and stops it when the test ends. It
// holds no accounts yet: add them with AddAccount.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:         t,
		accounts:  map[string]*account{},
		calendars: map[string]*calendar{},
		omitted:   map[string]bool{},
		oauth:     oauthtest.New(googleOAuth),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.oauth.Token)
	mux.HandleFunc("GET /o/oauth2/auth", s.oauth.Authorize)
	mux.HandleFunc("GET /calendar/v3/users/me/calendarList", s.api("calendarList.list", s.calendarList))
	mux.HandleFunc("POST /calendar/v3/freeBusy", s.api("freebusy.query", s.freeBusy))
	mux.HandleFunc("GET /calendar/v3/calendars/{cal}/events", s.api("events.list", s.eventsList))
	mux.HandleFunc("POST /calendar/v3/calendars/{cal}/events", s.api("events.insert", s.eventsInsert))
	mux.HandleFunc("GET /calendar/v3/calendars/{cal}/events/{id}", s.api("events.get", s.eventsGet))
	mux.HandleFunc("PUT /calendar/v3/calendars/{cal}/events/{id}", s.api("events.update", s.eventsUpdate))
	mux.HandleFunc("DELETE /calendar/v3/calendars/{cal}/events/{id}", s.api("events.delete", s.eventsDelete))
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.APIEndpoint = s.URL + "/calendar/v3/"
	s.TokenURL = s.URL + "/token"
	s.AuthURL = s.URL + "/o/oauth2/auth"
	return s
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func key(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// next returns a fresh number. s.mu is held.
func (s *Server) next() int {
	s.n++
	return s.n
}

// AddAccount adds an account whose primary calendar has the address email
// as its id, described by primary (its ID is ignored), and returns it with
// a refresh token.
func (s *Server) AddAccount(email string, primary Calendar) Account {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(email)
	if s.accounts[k] != nil || s.calendars[email] != nil {
		s.t.Fatalf("googletest: account %s added twice", email)
	}
	s.accounts[k] = &account{email: email}
	primary.ID = email
	if primary.Summary == "" {
		primary.Summary = email
	}
	s.addCalendar(k, primary)
	return Account{Email: email, RefreshToken: s.oauth.AddAccount(k)}
}

// AddCalendar adds a calendar to the calendar list of the account email
// and returns its id. If a calendar with c.ID exists (another account's
// primary calendar, say), the entry refers to it and c.Summary and
// c.TimeZone are not used.
func (s *Server) AddCalendar(email string, c Calendar) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(email)
	if s.accounts[k] == nil {
		s.t.Fatalf("googletest: AddCalendar: no account %s", email)
	}
	return s.addCalendar(k, c)
}

// addCalendar adds c to account k's list. s.mu is held.
func (s *Server) addCalendar(k string, c Calendar) string {
	if c.ID == "" {
		sum := sha256.Sum256([]byte(fmt.Sprintf("googletest/calendar/%d", s.next())))
		c.ID = "c_" + hex.EncodeToString(sum[:20]) + "@group.calendar.google.com"
	}
	if s.calendars[c.ID] == nil {
		tz := c.TimeZone
		if tz == "" {
			tz = "UTC"
		}
		s.calendars[c.ID] = &calendar{id: c.ID, summary: c.Summary, timeZone: tz}
	}
	role := c.AccessRole
	if role == "" {
		role = "owner"
	}
	a := s.accounts[k]
	a.list = append(a.list, &entry{calendarID: c.ID, summaryOverride: c.SummaryOverride, accessRole: role})
	return c.ID
}

// eventIDEncoding is base32hex in lower case: the characters Google allows
// in event ids.
var eventIDEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// eventIDChars are the characters Google allows in client-chosen event
// ids, which must be 5 to 1024 long (events.insert, property id).
var eventIDChars = regexp.MustCompile(`^[a-v0-9]+$`)

func validEventID(id string) bool {
	return len(id) >= 5 && len(id) <= 1024 && eventIDChars.MatchString(id)
}

// newEventID makes an event id as Google would. s.mu is held.
func (s *Server) newEventID() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("googletest/event/%d", s.next())))
	return strings.ToLower(eventIDEncoding.EncodeToString(sum[:16]))
}

// AddEvent adds e to the calendar calendarID and returns its id.
func (s *Server) AddEvent(calendarID string, e Event) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.calendars[calendarID]
	if cal == nil {
		s.t.Fatalf("googletest: AddEvent: no calendar %s", calendarID)
	}
	if e.ID == "" {
		e.ID = s.newEventID()
	}
	if e.Status == "" {
		e.Status = "confirmed"
	}
	cal.events = append(cal.events, &e)
	return e.ID
}

// Events returns a copy of the events of the calendar calendarID,
// cancelled (deleted) ones included, in the order they were made.
func (s *Server) Events(calendarID string) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.calendars[calendarID]
	if cal == nil {
		return nil
	}
	out := make([]Event, 0, len(cal.events))
	for _, e := range cal.events {
		out = append(out, *e)
	}
	return out
}

// Requests returns the API requests of the method op (all if empty), in
// the order received.
func (s *Server) Requests(op string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if op == "" || r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

// TokenRequests returns the forms posted to the token endpoint.
func (s *Server) TokenRequests() []url.Values { return s.oauth.TokenRequests() }

// Fail makes the next n requests of the API method op (any if empty)
// answer f instead; n < 0 makes every such request fail. Scripts are tried
// in the order given.
func (s *Server) Fail(op string, n int, f Failure) {
	var match func(string) bool
	if op != "" {
		match = func(o string) bool { return o == op }
	}
	s.fails.Add(n, f, match)
}

// FailToken makes the next n requests to the token endpoint answer f
// instead (n < 0: every one). f.Reason is the OAuth error code.
func (s *Server) FailToken(n int, f Failure) { s.oauth.FailToken(n, f.oauth()) }

// oauth is f as the OAuth kit scripts it: Reason is the code; Domain
// goes to the API's error envelope only.
func (f Failure) oauth() oauthtest.Failure {
	return oauthtest.Failure{Status: f.Status, Code: f.Reason, Message: f.Message, RetryAfter: f.RetryAfter,
		Body: f.Body, Apply: f.Apply, Drop: f.Drop, Hang: f.Hang}
}

// OmitFromFreeBusy makes freeBusy leave the calendar calendarID out of its
// answers altogether, as a broken answer would.
func (s *Server) OmitFromFreeBusy(calendarID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.omitted[calendarID] = true
}

// SetRotation sets whether a refresh issues a new refresh token. Google
// does not by default (false).
func (s *Server) SetRotation(on bool) { s.oauth.SetRotation(on) }

// SetPageSize caps the items of one page of a listing (0: no cap beyond
// maxResults).
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// SignInAs makes the account email the one that signs in, and approves the
// consent, on the authorize endpoint from now on.
func (s *Server) SignInAs(email string) {
	s.t.Helper()
	if !s.oauth.SignInAs(key(email)) {
		s.t.Fatalf("googletest: SignInAs: no account %s", email)
	}
}

// DenyConsent makes the next sign-in decline the consent: the authorize
// endpoint redirects with error=access_denied.
func (s *Server) DenyConsent() { s.oauth.DenyConsent() }

// RevokeRefreshTokens revokes every refresh token of the account email:
// refreshing answers invalid_grant.
func (s *Server) RevokeRefreshTokens(email string) { s.oauth.RevokeRefreshTokens(key(email)) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// googleError answers in Google's error envelope.
func googleError(w http.ResponseWriter, status int, domain, reason, message string) {
	if domain == "" {
		domain = "global"
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"errors":  []map[string]string{{"domain": domain, "reason": reason, "message": message}},
		"code":    status,
		"message": message,
	}})
}

// notFound answers that the account has no such calendar or event.
func notFound(w http.ResponseWriter) {
	googleError(w, http.StatusNotFound, "global", "notFound", "Not Found. "+MessageMarker)
}

// readOnly answers that the account may not write to the calendar.
func readOnly(w http.ResponseWriter) {
	googleError(w, http.StatusForbidden, "calendar", "requiredAccessLevel", "You need to have writer access to this calendar. "+MessageMarker)
}

// invalidTimes answers that an event's start or end cannot be read.
func invalidTimes(w http.ResponseWriter) {
	googleError(w, http.StatusBadRequest, "global", "invalid", "Invalid start or end time. "+MessageMarker)
}

// googleOAuth is Google's OAuth 2 server: a code gives a refresh token
// only for access_type=offline, and only on the first consent of an
// account unless prompt=consent; refresh tokens are not rotated
// (developers.google.com/identity/protocols/oauth2/web-server); errors are
// {error, error_description} alone.
var googleOAuth = oauthtest.Config{
	Name:          "googletest",
	ClientID:      ClientID,
	ClientSecret:  ClientSecret,
	MessageMarker: MessageMarker,
	Code:          func(n int) string { return fmt.Sprintf("4/0A%s-code%d", TokenMarker, n) },
	AccessToken:   func(n int) string { return fmt.Sprintf("ya29.a0%s-at%d", TokenMarker, n) },
	RefreshToken:  func(n int) string { return fmt.Sprintf("1//0g%s-rt%d", TokenMarker, n) },
	Offline: func(q url.Values, consented bool) bool {
		consent := slices.Contains(strings.Fields(q.Get("prompt")), "consent")
		return q.Get("access_type") == "offline" && (consent || !consented)
	},
	EchoScope:           true,
	UnknownClientStatus: http.StatusUnauthorized,
	Texts: oauthtest.Texts{
		UnknownClient:        "Error 401: invalid_client. The OAuth client was not found. ",
		BadRedirect:          "Error 400: redirect_uri_mismatch. ",
		InvalidClient:        "The OAuth client was not found. ",
		InvalidRefreshToken:  "Token has been expired or revoked: ",
		InvalidCode:          "Malformed auth code. ",
		UnsupportedGrantType: "Invalid grant_type. ",
	},
	ContentType: "application/json; charset=UTF-8",
	TokenFields: map[string]any{
		"expires_in": 3599,
		"scope":      "https://www.googleapis.com/auth/calendar.freebusy https://www.googleapis.com/auth/calendar.events https://www.googleapis.com/auth/calendar.calendarlist.readonly",
		"token_type": "Bearer",
	},
	WriteError: func(w http.ResponseWriter, status int, code, description string) {
		if code == "" { // a scripted failure without an error code
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, map[string]string{"error": code, "error_description": description})
	},
	BodyType: func(body string) string {
		if strings.HasPrefix(strings.TrimSpace(body), "{") {
			return "application/json; charset=UTF-8"
		}
		return "text/html; charset=UTF-8"
	},
}

// api wraps a Calendar API handler: it records the request, checks the
// bearer token and serves scripted failures first. The handler gets the
// caller's account key.
func (s *Server) api(op string, h func(w http.ResponseWriter, r *http.Request, a string, body []byte)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.requests = append(s.requests, Request{
			Op: op, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body, At: time.Now(),
		})
		s.mu.Unlock()
		a := s.oauth.Account(r)
		normal := func(w http.ResponseWriter) {
			if a == "" {
				googleError(w, http.StatusUnauthorized, "global", "authError", "Request had invalid authentication credentials. "+MessageMarker)
				return
			}
			h(w, r, a, body)
		}
		if f, ok := s.fails.Take(op); ok {
			s.oauth.AnswerFailure(w, r, f.oauth(), normal, func(w http.ResponseWriter, status int, reason, message string) {
				googleError(w, status, f.Domain, reason, message)
			})
			return
		}
		normal(w)
	}
}

// page returns the bounds of the page that pageToken (an index) and
// maxResults (capped at limit) ask for, and the next page's token.
func (s *Server) page(q url.Values, n, limit int) (from, to int, next string) {
	size := limit
	if m, err := strconv.Atoi(q.Get("maxResults")); err == nil && m > 0 {
		size = min(m, limit)
	}
	s.mu.Lock()
	if s.pageSize > 0 {
		size = min(size, s.pageSize)
	}
	s.mu.Unlock()
	from, _ = strconv.Atoi(q.Get("pageToken"))
	from = min(max(from, 0), n)
	to = min(from+size, n)
	if to < n {
		next = strconv.Itoa(to)
	}
	return from, to, next
}

// calendarList lists the account's calendar list in the order the
// calendars were added, the primary one last: Google documents no order,
// and code that takes the first as the primary must not pass.
func (s *Server) calendarList(w http.ResponseWriter, r *http.Request, a string, _ []byte) {
	s.mu.Lock()
	acct := s.accounts[a]
	list := slices.Clone(acct.list)
	slices.SortStableFunc(list, func(x, y *entry) int {
		switch {
		case x.calendarID == acct.email:
			return 1
		case y.calendarID == acct.email:
			return -1
		}
		return 0
	})
	items := make([]map[string]any, 0, len(list))
	for _, e := range list {
		cal := s.calendars[e.calendarID]
		item := map[string]any{
			"kind": "calendar#calendarListEntry", "etag": `"1700000000000000"`,
			"id": cal.id, "summary": cal.summary, "timeZone": cal.timeZone, "accessRole": e.accessRole,
			"defaultReminders": []any{},
		}
		if e.summaryOverride != "" {
			item["summaryOverride"] = e.summaryOverride
		}
		if cal.id == acct.email {
			item["primary"] = true
		}
		items = append(items, item)
	}
	s.mu.Unlock()
	from, to, next := s.page(r.URL.Query(), len(items), 250)
	ans := map[string]any{"kind": "calendar#calendarList", "etag": `"p33k"`, "items": items[from:to]}
	if next != "" {
		ans["nextPageToken"] = next
	}
	writeJSON(w, http.StatusOK, ans)
}

// span returns the instants an event covers: an all-day event from the
// midnight of its start date to the midnight of its end date in its own
// zone, else the calendar's.
func span(e *Event, calZone string) (time.Time, time.Time) {
	if !e.AllDay {
		return e.Start, e.End
	}
	zone := e.TimeZone
	if zone == "" {
		zone = calZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		loc = time.UTC
	}
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc) }
	return day(e.Start), day(e.End)
}

// freeBusy answers the busy periods of each calendar, clipped to the
// query's range and merged; a calendar that it does not know, or that is
// not in the caller's calendar list, gets errors with reason notFound.
func (s *Server) freeBusy(w http.ResponseWriter, _ *http.Request, a string, body []byte) {
	var req struct {
		TimeMin, TimeMax string
		Items            []struct{ ID string }
	}
	if err := json.Unmarshal(body, &req); err != nil {
		googleError(w, http.StatusBadRequest, "global", "parseError", "Parse Error. "+MessageMarker)
		return
	}
	tmin, err1 := time.Parse(time.RFC3339, req.TimeMin)
	tmax, err2 := time.Parse(time.RFC3339, req.TimeMax)
	switch {
	case err1 != nil || err2 != nil:
		googleError(w, http.StatusBadRequest, "global", "invalid", "Invalid value for timeMin or timeMax. "+MessageMarker)
		return
	case !tmin.Before(tmax):
		googleError(w, http.StatusBadRequest, "calendar", "timeRangeEmpty", "The specified time range is empty. "+MessageMarker)
		return
	case tmax.Sub(tmin) > 60*24*time.Hour:
		googleError(w, http.StatusBadRequest, "calendar", "timeRangeTooLong", "The requested time range is too long. "+MessageMarker)
		return
	case len(req.Items) > 50:
		googleError(w, http.StatusBadRequest, "calendar", "tooManyCalendarsRequested", "Too many calendars requested. "+MessageMarker)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	calendars := map[string]any{}
	for _, it := range req.Items {
		if s.omitted[it.ID] {
			continue
		}
		ent, cal := s.entryFor(a, it.ID)
		if ent == nil {
			calendars[it.ID] = map[string]any{
				"errors": []map[string]string{{"domain": "global", "reason": "notFound"}},
				"busy":   []any{},
			}
			continue
		}
		var spans [][2]time.Time
		for _, e := range cal.events {
			if e.Status == "cancelled" || e.Transparency == "transparent" {
				continue
			}
			start, end := span(e, cal.timeZone)
			if start.Before(tmin) {
				start = tmin
			}
			if end.After(tmax) {
				end = tmax
			}
			if start.Before(end) {
				spans = append(spans, [2]time.Time{start, end})
			}
		}
		slices.SortFunc(spans, func(a, b [2]time.Time) int { return a[0].Compare(b[0]) })
		busy := []map[string]string{}
		for i := 0; i < len(spans); {
			start, end := spans[i][0], spans[i][1]
			for i++; i < len(spans) && !spans[i][0].After(end); i++ {
				if spans[i][1].After(end) {
					end = spans[i][1]
				}
			}
			busy = append(busy, map[string]string{"start": start.UTC().Format(time.RFC3339), "end": end.UTC().Format(time.RFC3339)})
		}
		calendars[it.ID] = map[string]any{"busy": busy}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": "calendar#freeBusy", "timeMin": req.TimeMin, "timeMax": req.TimeMax, "calendars": calendars,
	})
}

// entryFor returns the list entry of account a for the calendar named in
// the path ("primary" is the account's primary calendar), or nil. s.mu is
// held.
func (s *Server) entryFor(a, calID string) (*entry, *calendar) {
	acct := s.accounts[a]
	if calID == "primary" {
		calID = acct.email
	}
	for _, e := range acct.list {
		if e.calendarID == calID {
			return e, s.calendars[calID]
		}
	}
	return nil, nil
}

func canWrite(e *entry) bool { return e.accessRole == "owner" || e.accessRole == "writer" }

// eventJSON is the event resource.
func eventJSON(e *Event) map[string]any {
	when := func(t time.Time) map[string]any {
		v := map[string]any{}
		if e.AllDay {
			v["date"] = t.Format(time.DateOnly)
		} else {
			v["dateTime"] = t.Format(time.RFC3339)
		}
		if e.TimeZone != "" {
			v["timeZone"] = e.TimeZone
		}
		return v
	}
	v := map[string]any{
		"kind": "calendar#event", "etag": `"3181161784712000"`,
		"id": e.ID, "status": e.Status, "summary": e.Summary,
		"start": when(e.Start), "end": when(e.End),
		"iCalUID": e.ID + "@google.com",
	}
	if e.Description != "" {
		v["description"] = e.Description
	}
	if e.Location != "" {
		v["location"] = e.Location
	}
	if e.Transparency != "" {
		v["transparency"] = e.Transparency
	}
	return v
}

func (s *Server) eventsList(w http.ResponseWriter, r *http.Request, a string, _ []byte) {
	q := r.URL.Query()
	if q.Get("orderBy") == "startTime" && q.Get("singleEvents") != "true" {
		googleError(w, http.StatusBadRequest, "global", "badRequest", "The requested ordering is not available for the particular query. "+MessageMarker)
		return
	}
	var tmin, tmax time.Time
	var err1, err2 error
	if v := q.Get("timeMin"); v != "" {
		tmin, err1 = time.Parse(time.RFC3339, v)
	}
	if v := q.Get("timeMax"); v != "" {
		tmax, err2 = time.Parse(time.RFC3339, v)
	}
	if err1 != nil || err2 != nil {
		googleError(w, http.StatusBadRequest, "global", "invalid", "Bad Request. "+MessageMarker)
		return
	}
	showDeleted := q.Get("showDeleted") == "true"
	s.mu.Lock()
	ent, cal := s.entryFor(a, r.PathValue("cal"))
	if ent == nil {
		s.mu.Unlock()
		notFound(w)
		return
	}
	type listed struct {
		start time.Time
		v     map[string]any
	}
	var match []listed
	for _, e := range cal.events {
		start, end := span(e, cal.timeZone)
		if (e.Status == "cancelled" && !showDeleted) ||
			(!tmin.IsZero() && !end.After(tmin)) || (!tmax.IsZero() && !start.Before(tmax)) {
			continue
		}
		match = append(match, listed{start, eventJSON(e)})
	}
	zone := cal.timeZone
	s.mu.Unlock()
	if q.Get("orderBy") == "startTime" {
		slices.SortStableFunc(match, func(x, y listed) int { return x.start.Compare(y.start) })
	}
	from, to, next := s.page(q, len(match), 2500)
	items := make([]map[string]any, 0, to-from)
	for _, m := range match[from:to] {
		items = append(items, m.v)
	}
	ans := map[string]any{"kind": "calendar#events", "summary": r.PathValue("cal"), "timeZone": zone, "items": items}
	if next != "" {
		ans["nextPageToken"] = next
	}
	writeJSON(w, http.StatusOK, ans)
}

// eventInput is an event resource as a client sends it.
type eventInput struct {
	ID, Summary, Description, Location, Status, Transparency string
	Start, End                                               *struct{ Date, DateTime, TimeZone string }
}

// decodeEvent reads an event resource into an Event; ok is false if it is
// not valid.
func decodeEvent(body []byte) (e Event, ok bool) {
	var in eventInput
	if json.Unmarshal(body, &in) != nil || in.Start == nil || in.End == nil {
		return e, false
	}
	e = Event{ID: in.ID, Summary: in.Summary, Description: in.Description, Location: in.Location,
		Status: in.Status, Transparency: in.Transparency, TimeZone: in.Start.TimeZone}
	when := func(d struct{ Date, DateTime, TimeZone string }) (time.Time, bool, bool) {
		loc := time.UTC
		if d.TimeZone != "" {
			l, err := time.LoadLocation(d.TimeZone)
			if err != nil {
				return time.Time{}, false, false
			}
			loc = l
		}
		if d.Date != "" {
			t, err := time.ParseInLocation(time.DateOnly, d.Date, loc)
			return t, true, err == nil
		}
		if t, err := time.Parse(time.RFC3339, d.DateTime); err == nil {
			return t, false, true
		}
		// "A time zone offset is required unless a time zone is explicitly
		// specified in timeZone."
		if d.TimeZone == "" {
			return time.Time{}, false, false
		}
		t, err := time.ParseInLocation("2006-01-02T15:04:05", d.DateTime, loc)
		return t, false, err == nil
	}
	start, allDay1, ok1 := when(*in.Start)
	end, allDay2, ok2 := when(*in.End)
	if !ok1 || !ok2 || allDay1 != allDay2 || end.Before(start) {
		return Event{}, false
	}
	e.Start, e.End, e.AllDay = start, end, allDay1
	if e.Status == "" {
		e.Status = "confirmed"
	}
	return e, true
}

func (s *Server) eventsInsert(w http.ResponseWriter, r *http.Request, a string, body []byte) {
	e, ok := decodeEvent(body)
	if !ok {
		invalidTimes(w)
		return
	}
	if e.ID != "" && !validEventID(e.ID) {
		googleError(w, http.StatusBadRequest, "global", "invalid", "Invalid resource id value. "+MessageMarker)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ent, cal := s.entryFor(a, r.PathValue("cal"))
	switch {
	case ent == nil:
		notFound(w)
		return
	case !canWrite(ent):
		readOnly(w)
		return
	}
	if e.ID == "" {
		e.ID = s.newEventID()
	}
	for _, x := range cal.events {
		if x.ID == e.ID {
			googleError(w, http.StatusConflict, "global", "duplicate", "The requested identifier already exists. "+MessageMarker)
			return
		}
	}
	cal.events = append(cal.events, &e)
	writeJSON(w, http.StatusOK, eventJSON(&e))
}

// eventAt returns the list entry of account a for the calendar that r's
// path names and the event it names there; if the account has no such
// calendar or the calendar no such event, it answers notFound and returns
// a nil event. s.mu is held.
func (s *Server) eventAt(w http.ResponseWriter, r *http.Request, a string) (*entry, *Event) {
	if ent, cal := s.entryFor(a, r.PathValue("cal")); ent != nil {
		for _, e := range cal.events {
			if e.ID == r.PathValue("id") {
				return ent, e
			}
		}
	}
	notFound(w)
	return nil, nil
}

// writableEventAt is eventAt for a change: it also answers readOnly, and
// returns nil, if the account may not write to the calendar. s.mu is held.
func (s *Server) writableEventAt(w http.ResponseWriter, r *http.Request, a string) *Event {
	ent, e := s.eventAt(w, r, a)
	if e != nil && !canWrite(ent) {
		readOnly(w)
		return nil
	}
	return e
}

func (s *Server) eventsGet(w http.ResponseWriter, r *http.Request, a string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, e := s.eventAt(w, r, a)
	if e == nil {
		return
	}
	writeJSON(w, http.StatusOK, eventJSON(e))
}

// eventsUpdate replaces an event, a cancelled one too (which restores it
// if the new status says so).
func (s *Server) eventsUpdate(w http.ResponseWriter, r *http.Request, a string, body []byte) {
	in, ok := decodeEvent(body)
	if !ok {
		invalidTimes(w)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.writableEventAt(w, r, a)
	if e == nil {
		return
	}
	in.ID = e.ID
	*e = in
	writeJSON(w, http.StatusOK, eventJSON(e))
}

// eventsDelete marks the event cancelled, as Google does: it stays, its id
// stays taken, and a second delete answers 410.
func (s *Server) eventsDelete(w http.ResponseWriter, r *http.Request, a string, _ []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.writableEventAt(w, r, a)
	switch {
	case e == nil: // answered
	case e.Status == "cancelled":
		googleError(w, http.StatusGone, "global", "deleted", "Resource has been deleted. "+MessageMarker)
	default:
		e.Status = "cancelled"
		w.WriteHeader(http.StatusNoContent)
	}
}
