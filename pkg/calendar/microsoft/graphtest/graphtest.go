// Package graphtest is a fake Microsoft 365 tenant for tests: an
// httptest server that speaks the wire format of Microsoft Graph's calendar
// API (v1.0) and of the Microsoft identity platform's OAuth 2 endpoints, for
// the calls slotbook makes, with the semantics Microsoft documents rather
// than the ones slotbook's code assumes:
//
//   - Calendar and event ids are opaque strings that look like Exchange's
//     ("AAMkAD…=", with '/', '+' and '='), never an e-mail address.
//   - Calendars carry an owner (emailAddress {name, address}): the mailbox
//     for its own calendars, the sharer for a calendar shared with it
//     (learn.microsoft.com/graph/api/resources/calendar, property owner).
//   - getSchedule takes the SMTP addresses of users, distribution lists or
//     resources ("schedules", learn.microsoft.com/graph/api/calendar-getschedule).
//     They are matched against the tenant's mailboxes without regard to
//     case; a schedule it cannot resolve comes back inside the 200 as that
//     schedule's error {message, responseCode} with responseCode
//     ErrorMailRecipientNotFound and the message "Unable to resolve e-mail
//     address … to an Active Directory object." ("If getSchedule cannot
//     identify a specified user or resource, it returns a single schedule
//     item and indicates the error", learn.microsoft.com/graph/outlook-get-free-busy-schedule;
//     the code and message as in Microsoft's Exchange troubleshooting article
//     "ErrorMailRecipientNotFound response when viewing free/busy
//     information" and microsoftgraph/microsoft-graph-docs#11225, where one
//     tenant answered the numeric code "5009" instead). At most 20 schedules,
//     a window under 62 days, an interval of 5 to 1440 minutes.
//   - Request bodies are read without regard to the case of property names:
//     the SDK sends "Schedules", and Microsoft's own getSchedule example does
//     too. Answers use camelCase, as Graph does. Paths are matched without
//     regard to case (Microsoft's example posts to …/getschedule).
//   - Errors come with their HTTP status in Graph's error JSON
//     {"error":{"code","message","innerError"}}; only getSchedule reports a
//     failure for one schedule inside a 200.
//   - calendars, the default calendar and calendarView honour $select: only
//     id and the properties asked for come back. transactionId comes back
//     only if it was set ("This property is only returned in a response
//     payload if an app has set it", resources/event). A create with the
//     transactionId of an event of the same calendar answers that event
//     instead of making a second one (event.transactionId: "to avoid
//     redundant POST operations in case of client retries").
//   - calendarView's startDateTime and endDateTime without an offset are
//     UTC; times are answered in UTC, or in the IANA zone named by
//     Prefer: outlook.timezone, or (SetAnswerZone) in a zone of the test's
//     choice under a Windows name, as servers that ignore the header do.
//   - The token endpoint rotates refresh tokens on every refresh and keeps
//     the old ones valid ("Refresh tokens replace themselves with a fresh
//     token upon every use. The Microsoft identity platform doesn't revoke
//     old refresh tokens", learn.microsoft.com/entra/identity-platform/refresh-tokens).
//     A refresh token is issued only when offline_access was granted.
//     Authorization codes are single-use and bound to the client and the
//     redirect URI.
//   - The authorize endpoint behaves like a consent page that the user
//     approved: it redirects (302) to redirect_uri with code and state
//     (RFC 6749 section 4.1.2), for the account set with SignInAs.
//
// The server keeps everything in memory; its handlers run on other
// goroutines, so every method takes the server's lock.
//
// Point pkg/calendar/microsoft's provider at it:
//
//	srv := graphtest.New(t)
//	mb := srv.AddMailbox("adele@contoso.example", "Adele Vance")
//	srv.SignInAs(mb.Address) // the account that approves the consent page
//	p := graph.New(graph.Config{
//		ClientID: graphtest.ClientID, ClientSecret: graphtest.ClientSecret,
//		RedirectURL: callbackURL,
//		AuthURL:     srv.AuthURL, TokenURL: srv.TokenURL, BaseURL: srv.BaseURL,
//	})
//
// A browser (or an HTTP client that does not follow redirects) that opens
// p.AuthCodeURL(state) is sent to callbackURL?code=…&state=…; the code
// trades for a refresh token of mb. mb.RefreshToken stands for a
// connection made earlier. The package imports nothing of slotbook's but
// pkg/calendar/oauthtest, the OAuth 2 server it shares with googletest.
package graphtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
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
	ClientID     = "graphtest-client-3f9c"
	ClientSecret = "graphtest-secret-" + TokenMarker
)

// Markers that the server puts into what must never reach an error of the
// code under test: TokenMarker is part of every access token, refresh token,
// authorization code and the client secret; MessageMarker is part of every
// error message and error description the server writes.
const (
	TokenMarker   = "GRAPHTEST-TOKEN-v6q2"
	MessageMarker = "GRAPHTEST-MESSAGE-r8d4"
)

// Markers lists TokenMarker and MessageMarker.
var Markers = []string{TokenMarker, MessageMarker}

// Event is an event in a calendar of the fake tenant.
type Event struct {
	// ID is the event's id; AddEvent makes an opaque one if it is empty.
	ID       string
	Subject  string
	Body     string
	BodyType string // "text" or "html"
	Location string
	// Start and End are instants; the server answers them in UTC or in the
	// zone the client asks for.
	Start, End time.Time
	// ShowAs is free, tentative, busy, oof, workingElsewhere or unknown;
	// busy if empty.
	ShowAs      string
	IsCancelled bool
	// TransactionID is the client's transactionId, if it set one.
	TransactionID string
}

// Calendar describes a calendar to add to a mailbox.
type Calendar struct {
	// ID is the calendar's id; AddCalendar makes an opaque one if it is
	// empty.
	ID   string
	Name string
	// ReadOnly calendars answer canEdit false and refuse writes.
	ReadOnly bool
	// OwnerName and OwnerAddress are the calendar's owner as Graph reports
	// it: the mailbox if OwnerAddress is empty; the person who shared the
	// calendar otherwise.
	OwnerName, OwnerAddress string
}

// Mailbox is a mailbox of the fake tenant, as AddMailbox made it.
type Mailbox struct {
	// Address is the mailbox's primary SMTP address.
	Address string
	// Name is the display name.
	Name string
	// DefaultCalendarID is the opaque id of its default calendar.
	DefaultCalendarID string
	// RefreshToken is a refresh token of the mailbox, as if it had been
	// connected before.
	RefreshToken string
}

// Request is one request the server received.
type Request struct {
	Method string
	// Path is the URL path, unescaped.
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Failure is a scripted answer given in place of the normal one (see Fail
// and FailToken). Its Code is the Graph error code in the API and the
// OAuth error code at the token endpoint; a Body is sent as
// application/json; an empty Message stands for one that holds
// MessageMarker.
type Failure = oauthtest.Failure

// Server is a fake Microsoft 365 tenant. Make one with New.
type Server struct {
	// URL is the server's root, without a trailing slash.
	URL string
	// BaseURL is Graph's root ("…/v1.0"), for graph.Config.BaseURL.
	BaseURL string
	// TokenURL is the OAuth token endpoint.
	TokenURL string
	// AuthURL is the OAuth authorize endpoint (the consent page).
	AuthURL string

	t   testing.TB
	srv *httptest.Server

	// oauth is the identity platform; its accounts are mailbox keys.
	oauth *oauthtest.Server
	fails oauthtest.Scripts[*http.Request, Failure]

	mu         sync.Mutex
	n          int                  // counter for ids
	mailboxes  map[string]*mailbox  // by lower-case address
	calendars  map[string]*calendar // by id
	pageSize   int
	capitalise bool
	// answerZone, if set, is the zone every time is answered in, under
	// answerName, whatever Prefer asks for.
	answerZone *time.Location
	answerName string
	requests   []Request
}

type mailbox struct {
	address, name string
	defaultID     string
	calendars     []string // ids in the order added
}

type calendar struct {
	id, name                string
	readOnly                bool
	ownerName, ownerAddress string
	mailbox                 string // key of the mailbox whose calendar it is
	events                  []*Event
}

// New starts a server for the test and stops it when the test ends. It
// holds no mailboxes yet: add them with AddMailbox.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		t:         t,
		mailboxes: map[string]*mailbox{},
		calendars: map[string]*calendar{},
		oauth:     oauthtest.New(identityPlatform),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL
	s.BaseURL = s.URL + "/v1.0"
	s.TokenURL = s.URL + "/common/oauth2/v2.0/token"
	s.AuthURL = s.URL + "/common/oauth2/v2.0/authorize"
	return s
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

func key(address string) string { return strings.ToLower(strings.TrimSpace(address)) }

// next returns a fresh number. s.mu is held.
func (s *Server) next() int {
	s.n++
	return s.n
}

// opaqueID returns an id shaped like Exchange's: base64 with '/', '+' and
// '='. s.mu is held.
func (s *Server) opaqueID(kind string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("graphtest/%s/%d", kind, s.next())))
	b := base64.StdEncoding.EncodeToString(sum[:]) // 44 characters, the last '='
	return "AAMkAD" + b[:14] + "/" + b[14:28] + "+" + b[28:43] + "AAA="
}

// AddMailbox adds a work mailbox with a default calendar named "Calendar"
// and returns it with a refresh token.
func (s *Server) AddMailbox(address, name string) Mailbox {
	s.t.Helper()
	if _, err := mail.ParseAddress(address); err != nil {
		s.t.Fatalf("graphtest: AddMailbox(%q): not an address", address)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(address)
	if s.mailboxes[k] != nil {
		s.t.Fatalf("graphtest: mailbox %s added twice", address)
	}
	m := &mailbox{address: address, name: name}
	s.mailboxes[k] = m
	m.defaultID = s.addCalendar(k, Calendar{Name: "Calendar"})
	return Mailbox{Address: address, Name: name, DefaultCalendarID: m.defaultID, RefreshToken: s.oauth.AddAccount(k)}
}

// AddCalendar adds a calendar to the mailbox at address and returns its
// id.
func (s *Server) AddCalendar(address string, c Calendar) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	k := key(address)
	if s.mailboxes[k] == nil {
		s.t.Fatalf("graphtest: AddCalendar: no mailbox %s", address)
	}
	if c.ID != "" && s.calendars[c.ID] != nil {
		s.t.Fatalf("graphtest: calendar %s added twice", c.ID)
	}
	return s.addCalendar(k, c)
}

// addCalendar adds c to mailbox k. s.mu is held.
func (s *Server) addCalendar(k string, c Calendar) string {
	m := s.mailboxes[k]
	id := c.ID
	if id == "" {
		id = s.opaqueID("calendar")
	}
	cal := &calendar{id: id, name: c.Name, readOnly: c.ReadOnly, ownerName: c.OwnerName, ownerAddress: c.OwnerAddress, mailbox: k}
	if cal.ownerAddress == "" {
		cal.ownerName, cal.ownerAddress = m.name, m.address
	}
	s.calendars[id] = cal
	m.calendars = append(m.calendars, id)
	return id
}

// AddEvent adds e to the calendar calendarID and returns the event's id.
func (s *Server) AddEvent(calendarID string, e Event) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.calendars[calendarID]
	if cal == nil {
		s.t.Fatalf("graphtest: AddEvent: no calendar %s", calendarID)
	}
	if e.ID == "" {
		e.ID = s.opaqueID("event")
	}
	if e.ShowAs == "" {
		e.ShowAs = "busy"
	}
	cal.events = append(cal.events, &e)
	return e.ID
}

// Events returns a copy of the events of the calendar calendarID, in the
// order they were made.
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

// Requests returns the requests received whose method is method (any if
// empty) and whose URL path ends in suffix, in the order received.
func (s *Server) Requests(method, suffix string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if (method == "" || r.Method == method) && strings.HasSuffix(r.Path, suffix) {
			out = append(out, r)
		}
	}
	return out
}

// Fail makes the next n Graph requests whose method is method (any if
// empty) and whose path ends in suffix ("" for every path) answer f instead;
// n < 0 makes every such request fail. Scripts are tried in the order
// given.
func (s *Server) Fail(method, suffix string, n int, f Failure) {
	s.fails.Add(n, f, func(r *http.Request) bool {
		return (method == "" || method == r.Method) && strings.HasSuffix(r.URL.Path, suffix)
	})
}

// FailToken makes the next n requests to the token endpoint answer f
// instead (n < 0: every one). f.Code is the OAuth error code.
func (s *Server) FailToken(n int, f Failure) { s.oauth.FailToken(n, f) }

// SetRotation sets whether a refresh issues a new refresh token (true, as
// Microsoft does and the default) or hands back the one used.
func (s *Server) SetRotation(on bool) { s.oauth.SetRotation(on) }

// SetPageSize caps the items of one page of a collection (0: no cap beyond
// $top, which defaults to 10).
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// SetCapitalisedStatuses makes getSchedule spell statuses capitalised
// ("Busy"), as the example of Microsoft's getSchedule guide does; by default
// they are camelCase ("busy"), as in the API reference.
func (s *Server) SetCapitalisedStatuses(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.capitalise = on
}

// SetAnswerZone makes getSchedule and calendarView answer every time in
// loc, under the zone name name, whatever Prefer: outlook.timezone asks
// for: a mailbox whose server does not honour the header answers in the
// mailbox's own zone under its Windows name ("W. Europe Standard Time",
// the name mailboxSettings gives too). The fake does not translate names:
// the test gives the zone the name stands for. A nil loc restores the
// default (UTC, or the IANA zone that Prefer names).
func (s *Server) SetAnswerZone(name string, loc *time.Location) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answerZone, s.answerName = loc, name
}

// SignInAs makes the mailbox at address the account that signs in, and
// approves the consent, on the authorize endpoint from now on.
func (s *Server) SignInAs(address string) {
	s.t.Helper()
	if !s.oauth.SignInAs(key(address)) {
		s.t.Fatalf("graphtest: SignInAs: no mailbox %s", address)
	}
}

// DenyConsent makes the next sign-in decline the consent: the authorize
// endpoint redirects with error=access_denied.
func (s *Server) DenyConsent() { s.oauth.DenyConsent() }

// RevokeRefreshTokens revokes every refresh token of the mailbox at
// address: refreshing answers invalid_grant.
func (s *Server) RevokeRefreshTokens(address string) { s.oauth.RevokeRefreshTokens(key(address)) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body,
	})
	s.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))

	switch {
	case r.URL.Path == "/common/oauth2/v2.0/token":
		s.oauth.Token(w, r)
	case r.URL.Path == "/common/oauth2/v2.0/authorize":
		s.oauth.Authorize(w, r)
	case strings.HasPrefix(r.URL.Path, "/v1.0/"):
		if f, ok := s.fails.Take(r); ok {
			s.oauth.AnswerFailure(w, r, f, func(w http.ResponseWriter) {
				r.Body = io.NopCloser(bytes.NewReader(body))
				s.api(w, r, body)
			}, graphError)
			return
		}
		s.api(w, r, body)
	default:
		http.NotFound(w, r)
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
		"code":    code,
		"message": message,
		"innerError": map[string]any{
			"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        "5f0b5a4c-1c3e-4c55-9a7e-0d3c2b1a0f00",
			"client-request-id": "5f0b5a4c-1c3e-4c55-9a7e-0d3c2b1a0f01",
		},
	}})
}

// identityPlatform is the Microsoft identity platform's OAuth 2 server:
// refresh tokens rotate on every refresh and the old ones stay valid
// ("Refresh tokens replace themselves with a fresh token upon every use.
// The Microsoft identity platform doesn't revoke old refresh tokens",
// learn.microsoft.com/entra/identity-platform/refresh-tokens); a code
// gives a refresh token only if offline_access was granted; errors carry
// AADSTS codes.
var identityPlatform = oauthtest.Config{
	Name:          "graphtest",
	ClientID:      ClientID,
	ClientSecret:  ClientSecret,
	MessageMarker: MessageMarker,
	Code:          func(n int) string { return fmt.Sprintf("1.AR.%s.code%d", TokenMarker, n) },
	AccessToken:   func(n int) string { return fmt.Sprintf("eyJ0eXAi.%s.at%d", TokenMarker, n) },
	RefreshToken:  func(n int) string { return fmt.Sprintf("0.AR.%s.rt%d", TokenMarker, n) },
	Offline: func(q url.Values, _ bool) bool {
		return slices.Contains(strings.Fields(q.Get("scope")), "offline_access")
	},
	Rotate:              true,
	EchoRefreshToken:    true,
	UnknownClientStatus: http.StatusBadRequest,
	Texts: oauthtest.Texts{
		UnknownClient:           "AADSTS700016: Application not found in the directory. ",
		BadRedirect:             "AADSTS50011: The redirect URI is not valid. ",
		UnsupportedResponseType: "AADSTS700054: response_type is not enabled for the application. ",
		AccessDenied:            "AADSTS65004: User declined to consent to access the app. ",
		InvalidClient:           "AADSTS7000215: Invalid client secret provided. ",
		InvalidRefreshToken:     "AADSTS70000: The provided value for 'refresh_token' is not valid: ",
		InvalidCode:             "AADSTS54005: OAuth2 Authorization code was already redeemed or is not valid. ",
		UnsupportedGrantType:    "AADSTS70003: unsupported grant type. ",
	},
	ContentType: "application/json; charset=utf-8",
	TokenFields: map[string]any{
		"token_type": "Bearer", "scope": "https://graph.microsoft.com/Calendars.ReadWrite",
		"expires_in": 3599, "ext_expires_in": 3599,
	},
	WriteError: oauthError,
	BodyType:   func(string) string { return "application/json" },
}

// oauthError answers as the identity platform's token endpoint does.
func oauthError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"error":             code,
		"error_description": description,
		"error_codes":       []int{9002313},
		"timestamp":         time.Now().UTC().Format("2006-01-02 15:04:05Z"),
	})
}

// api serves Graph's /v1.0/me/… calendar routes.
func (s *Server) api(w http.ResponseWriter, r *http.Request, body []byte) {
	m := s.oauth.Account(r)
	if m == "" {
		graphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty or invalid. "+MessageMarker)
		return
	}
	// Ids hold '/', '+' and '=': split the escaped path, then unescape.
	raw := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.EscapedPath(), "/v1.0"), "/"), "/")
	seg := make([]string, len(raw))
	for i, p := range raw {
		seg[i], _ = url.PathUnescape(p)
	}
	is := func(i int, name string) bool { return len(seg) > i && strings.EqualFold(seg[i], name) }
	if !is(0, "me") {
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment '"+seg[0]+"'. "+MessageMarker)
		return
	}
	switch {
	case r.Method == http.MethodGet && len(seg) == 2 && is(1, "calendars"):
		s.listCalendars(w, r, m)
	case r.Method == http.MethodGet && len(seg) == 2 && is(1, "calendar"):
		s.getDefaultCalendar(w, r, m)
	case r.Method == http.MethodPost && len(seg) == 3 && is(1, "calendar") && is(2, "getSchedule"):
		s.getSchedule(w, r, body)
	case r.Method == http.MethodGet && len(seg) == 4 && is(1, "calendars") && is(3, "calendarView"):
		s.calendarView(w, r, m, seg[2])
	case r.Method == http.MethodPost && len(seg) == 4 && is(1, "calendars") && is(3, "events"):
		s.createEvent(w, m, seg[2], body)
	case r.Method == http.MethodDelete && len(seg) == 3 && is(1, "events"):
		s.deleteEvent(w, m, seg[2])
	default:
		graphError(w, http.StatusBadRequest, "BadRequest", "Resource not found for the segment. "+MessageMarker)
	}
}

// selection returns the properties $select asks for, nil for all.
func selection(q url.Values) []string {
	sel := q.Get("$select")
	if sel == "" {
		return nil
	}
	return strings.Split(sel, ",")
}

// project returns id and the properties of all that sel asks for (all if
// sel is nil), as Graph honours $select.
func project(all map[string]any, sel []string) map[string]any {
	out := map[string]any{"id": all["id"]}
	if e, ok := all["@odata.etag"]; ok {
		out["@odata.etag"] = e
	}
	for k, v := range all {
		if sel == nil || slices.ContainsFunc(sel, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), k) }) {
			out[k] = v
		}
	}
	return out
}

// calendarJSON is the full calendar resource. s.mu is held.
func (s *Server) calendarJSON(cal *calendar) map[string]any {
	return map[string]any{
		"@odata.etag":         `W/"nfZyf7VcrEKLNoU37KWlkQAAA0x0+w=="`,
		"id":                  cal.id,
		"name":                cal.name,
		"color":               "auto",
		"hexColor":            "",
		"isDefaultCalendar":   s.mailboxes[cal.mailbox].defaultID == cal.id,
		"changeKey":           "nfZyf7VcrEKLNoU37KWlkQAAA0x0+w==",
		"canShare":            !cal.readOnly,
		"canViewPrivateItems": !cal.readOnly,
		"canEdit":             !cal.readOnly,
		"isRemovable":         s.mailboxes[cal.mailbox].defaultID != cal.id,
		"owner":               map[string]any{"name": cal.ownerName, "address": cal.ownerAddress},
	}
}

// page returns the slice of n items that the query's $top and $skip ask
// for, and the $skip of the next page (-1 if none).
func (s *Server) page(q url.Values, n int) (from, to, next int) {
	s.mu.Lock()
	size := s.pageSize
	s.mu.Unlock()
	top := 10
	if t, err := strconv.Atoi(q.Get("$top")); err == nil && t > 0 {
		top = min(t, 1000)
	}
	if size > 0 {
		top = min(top, size)
	}
	from, _ = strconv.Atoi(q.Get("$skip"))
	from = min(max(from, 0), n)
	to = min(from+top, n)
	next = -1
	if to < n {
		next = to
	}
	return from, to, next
}

// nextLink is the absolute URL of the page at skip.
func (s *Server) nextLink(r *http.Request, skip int) string {
	q := r.URL.Query()
	q.Set("$skip", strconv.Itoa(skip))
	return s.URL + r.URL.EscapedPath() + "?" + q.Encode()
}

// listCalendars lists the mailbox's calendars in the order they were
// added, the default one last: Graph documents no order, and code that
// takes the first as the default must not pass.
func (s *Server) listCalendars(w http.ResponseWriter, r *http.Request, m string) {
	sel := selection(r.URL.Query())
	s.mu.Lock()
	mb := s.mailboxes[m]
	ids := slices.Clone(mb.calendars)
	slices.SortStableFunc(ids, func(a, b string) int {
		switch {
		case a == mb.defaultID:
			return 1
		case b == mb.defaultID:
			return -1
		}
		return 0
	})
	all := make([]map[string]any, len(ids))
	for i, id := range ids {
		all[i] = project(s.calendarJSON(s.calendars[id]), sel)
	}
	s.mu.Unlock()
	from, to, next := s.page(r.URL.Query(), len(all))
	ans := map[string]any{
		"@odata.context": s.BaseURL + "/$metadata#users('" + m + "')/calendars",
		"value":          all[from:to],
	}
	if next >= 0 {
		ans["@odata.nextLink"] = s.nextLink(r, next)
	}
	writeJSON(w, http.StatusOK, ans)
}

func (s *Server) getDefaultCalendar(w http.ResponseWriter, r *http.Request, m string) {
	s.mu.Lock()
	cal := s.calendars[s.mailboxes[m].defaultID]
	ans := project(s.calendarJSON(cal), selection(r.URL.Query()))
	s.mu.Unlock()
	ans["@odata.context"] = s.BaseURL + "/$metadata#users('" + m + "')/calendar"
	writeJSON(w, http.StatusOK, ans)
}

// dateTimeTimeZone is Graph's dateTimeTimeZone; the struct decodes
// property names without regard to case, as Graph does.
type dateTimeTimeZone struct {
	DateTime string
	TimeZone string
}

// instant reads a dateTimeTimeZone: a wall time in UTC or an IANA zone.
// Windows zone names are not supported by this fake.
func (d dateTimeTimeZone) instant() (time.Time, bool) {
	loc := time.UTC
	if z := strings.TrimSpace(d.TimeZone); z != "" && !strings.EqualFold(z, "UTC") {
		l, err := time.LoadLocation(z)
		if err != nil {
			return time.Time{}, false
		}
		loc = l
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", d.DateTime, loc)
	return t, err == nil
}

// zoneOf returns the zone times are answered in: the one SetAnswerZone
// set, else the one Prefer: outlook.timezone asks for, else UTC (none
// asked for, or one this fake does not know).
func (s *Server) zoneOf(r *http.Request) (*time.Location, string) {
	s.mu.Lock()
	loc, name := s.answerZone, s.answerName
	s.mu.Unlock()
	if loc != nil {
		return loc, name
	}
	for _, p := range r.Header.Values("Prefer") {
		name, ok := strings.CutPrefix(strings.TrimSpace(p), "outlook.timezone=")
		if !ok {
			continue
		}
		name = strings.Trim(name, `"`)
		if l, err := time.LoadLocation(name); err == nil && name != "" && name != "Local" {
			return l, name
		}
	}
	return time.UTC, "UTC"
}

// dtz writes t as Graph does: a wall time without offset in zone.
func dtz(t time.Time, loc *time.Location, zone string) map[string]any {
	return map[string]any{"dateTime": t.In(loc).Format("2006-01-02T15:04:05.0000000"), "timeZone": zone}
}

// getSchedule answers the free/busy of each schedule: the default calendar
// of the mailbox whose address it is (any case), or an error for that
// schedule inside the 200.
func (s *Server) getSchedule(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Schedules                []string
		StartTime, EndTime       *dateTimeTimeZone
		AvailabilityViewInterval *int
	}
	if err := json.Unmarshal(body, &req); err != nil || req.StartTime == nil || req.EndTime == nil {
		graphError(w, http.StatusBadRequest, "RequestBodyRead", "Cannot read the request body. "+MessageMarker)
		return
	}
	from, ok1 := req.StartTime.instant()
	to, ok2 := req.EndTime.instant()
	interval := 30
	if req.AvailabilityViewInterval != nil {
		interval = *req.AvailabilityViewInterval
	}
	switch {
	case len(req.Schedules) == 0 || len(req.Schedules) > 20:
		graphError(w, http.StatusBadRequest, "ErrorInvalidParameter", "Between 1 and 20 schedules are allowed. "+MessageMarker)
		return
	case !ok1 || !ok2:
		graphError(w, http.StatusBadRequest, "TimeZoneNotSupportedException", "A valid TimeZone value must be specified. "+MessageMarker)
		return
	case !from.Before(to) || to.Sub(from) >= 62*24*time.Hour:
		graphError(w, http.StatusBadRequest, "ErrorInvalidParameter", "The requested time duration specified is invalid or too long. "+MessageMarker)
		return
	case interval < 5 || interval > 1440:
		graphError(w, http.StatusBadRequest, "ErrorInvalidParameter", "availabilityViewInterval must be between 5 and 1440. "+MessageMarker)
		return
	}
	loc, zone := s.zoneOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	infos := make([]map[string]any, 0, len(req.Schedules))
	for _, sched := range req.Schedules {
		info := map[string]any{"scheduleId": sched}
		mb := s.mailboxes[key(sched)]
		if mb == nil {
			info["error"] = map[string]any{
				"message":      "Unable to resolve e-mail address " + sched + " to an Active Directory object. " + MessageMarker,
				"responseCode": "ErrorMailRecipientNotFound",
			}
			infos = append(infos, info)
			continue
		}
		items := []map[string]any{}
		for _, e := range s.calendars[mb.defaultID].events {
			if e.IsCancelled || !e.Start.Before(to) || !e.End.After(from) {
				continue
			}
			status := e.ShowAs
			if s.capitalise {
				status = strings.ToUpper(status[:1]) + status[1:]
			}
			items = append(items, map[string]any{
				"isPrivate": false,
				"status":    status,
				"subject":   e.Subject,
				"location":  e.Location,
				"isMeeting": false,
				"start":     dtz(e.Start, loc, zone),
				"end":       dtz(e.End, loc, zone),
			})
		}
		info["availabilityView"] = strings.Repeat("0", max(1, int(to.Sub(from)/(time.Duration(interval)*time.Minute))))
		info["scheduleItems"] = items
		info["workingHours"] = map[string]any{
			"daysOfWeek": []string{"monday", "tuesday", "wednesday", "thursday", "friday"},
			"startTime":  "08:00:00.0000000", "endTime": "17:00:00.0000000",
			"timeZone": map[string]any{"name": "UTC"},
		}
		infos = append(infos, info)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": s.BaseURL + "/$metadata#Collection(microsoft.graph.scheduleInformation)",
		"value":          infos,
	})
}

// queryParam returns the query parameter name without regard to case.
func queryParam(q url.Values, name string) string {
	for k, v := range q {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// viewTime reads calendarView's startDateTime or endDateTime: ISO 8601,
// UTC when it has no offset.
func viewTime(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", v, time.UTC)
	return t, err == nil
}

// eventJSON is the full event resource; transactionId only if set.
func eventJSON(e *Event, loc *time.Location, zone string) map[string]any {
	v := map[string]any{
		"@odata.etag": `W/"DwAAABYAAAA9Hk7WMWbERYGmX1xe6ZpUAAAAAA=="`,
		"id":          e.ID,
		"subject":     e.Subject,
		"body":        map[string]any{"contentType": e.BodyType, "content": e.Body},
		"start":       dtz(e.Start, loc, zone),
		"end":         dtz(e.End, loc, zone),
		"showAs":      e.ShowAs,
		"isCancelled": e.IsCancelled,
		"location":    map[string]any{"displayName": e.Location},
	}
	if e.TransactionID != "" {
		v["transactionId"] = e.TransactionID
	}
	return v
}

func (s *Server) calendarView(w http.ResponseWriter, r *http.Request, m, calID string) {
	q := r.URL.Query()
	from, ok1 := viewTime(queryParam(q, "startDateTime"))
	to, ok2 := viewTime(queryParam(q, "endDateTime"))
	if !ok1 || !ok2 {
		graphError(w, http.StatusBadRequest, "ErrorInvalidParameter",
			"This request requires a time window specified by the query string parameters StartDateTime and EndDateTime. "+MessageMarker)
		return
	}
	loc, zone := s.zoneOf(r)
	sel := selection(q)
	s.mu.Lock()
	cal := s.calendars[calID]
	if cal == nil || cal.mailbox != m {
		s.mu.Unlock()
		graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store. "+MessageMarker)
		return
	}
	var match []map[string]any
	for _, e := range cal.events {
		if e.Start.Before(to) && e.End.After(from) {
			match = append(match, project(eventJSON(e, loc, zone), sel))
		}
	}
	s.mu.Unlock()
	start, end, next := s.page(q, len(match))
	ans := map[string]any{
		"@odata.context": s.BaseURL + "/$metadata#users('" + m + "')/calendars('" + calID + "')/calendarView",
		"value":          append([]map[string]any{}, match[start:end]...),
	}
	if next >= 0 {
		ans["@odata.nextLink"] = s.nextLink(r, next)
	}
	writeJSON(w, http.StatusOK, ans)
}

var showAsValues = []string{"free", "tentative", "busy", "oof", "workingElsewhere", "unknown"}

func (s *Server) createEvent(w http.ResponseWriter, m, calID string, body []byte) {
	var in struct {
		Subject       string
		Body          *struct{ ContentType, Content string }
		Start, End    *dateTimeTimeZone
		ShowAs        string
		TransactionID string
		IsCancelled   bool
		Location      *struct{ DisplayName string }
	}
	if err := json.Unmarshal(body, &in); err != nil {
		graphError(w, http.StatusBadRequest, "RequestBodyRead", "Cannot read the request body. "+MessageMarker)
		return
	}
	if in.Start == nil || in.End == nil {
		graphError(w, http.StatusBadRequest, "ErrorInvalidRequest", "Start and End are required. "+MessageMarker)
		return
	}
	start, ok1 := in.Start.instant()
	end, ok2 := in.End.instant()
	if !ok1 || !ok2 {
		graphError(w, http.StatusBadRequest, "TimeZoneNotSupportedException", "A valid TimeZone value must be specified. "+MessageMarker)
		return
	}
	if end.Before(start) {
		graphError(w, http.StatusBadRequest, "ErrorInvalidRequest", "The end of the event is before its start. "+MessageMarker)
		return
	}
	showAs := "busy"
	if in.ShowAs != "" {
		i := slices.IndexFunc(showAsValues, func(v string) bool { return strings.EqualFold(v, in.ShowAs) })
		if i < 0 {
			graphError(w, http.StatusBadRequest, "RequestBodyRead", "Cannot convert the literal to the expected type 'microsoft.graph.freeBusyStatus'. "+MessageMarker)
			return
		}
		showAs = showAsValues[i]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cal := s.calendars[calID]
	switch {
	case cal == nil || cal.mailbox != m:
		graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store. "+MessageMarker)
		return
	case cal.readOnly:
		graphError(w, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again. "+MessageMarker)
		return
	}
	var e *Event
	if in.TransactionID != "" {
		for _, x := range cal.events {
			if x.TransactionID == in.TransactionID {
				e = x
			}
		}
	}
	if e == nil {
		e = &Event{ID: s.opaqueID("event"), Subject: in.Subject, Start: start, End: end, ShowAs: showAs,
			IsCancelled: in.IsCancelled, TransactionID: in.TransactionID}
		if in.Body != nil {
			e.Body, e.BodyType = in.Body.Content, strings.ToLower(in.Body.ContentType)
		}
		if in.Location != nil {
			e.Location = in.Location.DisplayName
		}
		cal.events = append(cal.events, e)
	}
	ans := eventJSON(e, time.UTC, "UTC")
	ans["@odata.context"] = s.BaseURL + "/$metadata#users('" + m + "')/calendars('" + calID + "')/events/$entity"
	writeJSON(w, http.StatusCreated, ans)
}

func (s *Server) deleteEvent(w http.ResponseWriter, m, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, calID := range s.mailboxes[m].calendars {
		cal := s.calendars[calID]
		for i, e := range cal.events {
			if e.ID != id {
				continue
			}
			if cal.readOnly {
				graphError(w, http.StatusForbidden, "ErrorAccessDenied", "Access is denied. Check credentials and try again. "+MessageMarker)
				return
			}
			cal.events = slices.Delete(cal.events, i, i+1)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	graphError(w, http.StatusNotFound, "ErrorItemNotFound", "The specified object was not found in the store. "+MessageMarker)
}
