// Package oauthtest is the OAuth 2 authorization server (RFC 6749) inside
// the fakes of calendar vendors (pkg/calendar/microsoft/graphtest, pkg/calendar/google/googletest):
// their handlers mount its authorize and token endpoints, and a Config
// carries what each vendor documents differently.
//
//   - The authorize endpoint behaves like a consent page that the user
//     approved: it redirects (302) to redirect_uri with code and state
//     (section 4.1.2), for the account set with SignInAs, or the only
//     account there is. DenyConsent makes the next one decline it
//     (error=access_denied).
//   - Authorization codes are single-use and bound to the client and the
//     redirect URI; whether one gives a refresh token is the vendor's rule
//     (Config.Offline).
//   - The token endpoint serves the authorization_code and refresh_token
//     grants, with the client credentials in the form or as HTTP basic
//     authentication (section 2.3.1). It answers unknown clients
//     invalid_client and unknown, used or revoked grants invalid_grant.
//     Whether a refresh rotates the refresh token is the vendor's default
//     (Config.Rotate) until SetRotation.
//   - FailToken scripts answers in place of the token endpoint's, and
//     AnswerFailure gives the vendor's API the same kinds of failure.
//
// Every token, code and message it makes holds the vendor's markers, so
// that tests can tell when one leaks into an error of the code under test.
// The package imports nothing of slotbook's.
package oauthtest

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Config describes one vendor's authorization server.
type Config struct {
	// Name is the name of the vendor's kit; it starts what the server
	// tells a test that uses it wrongly.
	Name string
	// ClientID and ClientSecret are the client credentials the server
	// accepts.
	ClientID, ClientSecret string
	// MessageMarker ends every error message and description the server
	// writes.
	MessageMarker string
	// Code, AccessToken and RefreshToken make the authorization code, the
	// access token and the refresh token numbered n; each must hold the
	// vendor's token marker.
	Code, AccessToken, RefreshToken func(n int) string
	// Offline reports whether a code that the authorize query q asked for
	// gives a refresh token; consented says whether the account has been
	// given one before.
	Offline func(q url.Values, consented bool) bool
	// Rotate is whether a refresh issues a new refresh token, until
	// SetRotation says otherwise.
	Rotate bool
	// EchoRefreshToken makes a refresh that does not rotate answer the
	// refresh token it used; without it, such a refresh answers none.
	EchoRefreshToken bool
	// EchoScope makes the consent page's redirect carry the scope asked
	// for.
	EchoScope bool
	// UnknownClientStatus is the HTTP status of the consent page for a
	// client it does not know.
	UnknownClientStatus int
	// Texts are the vendor's words for what the server refuses.
	Texts Texts
	// ContentType is the Content-Type of a token answer.
	ContentType string
	// TokenFields are the fields of a token answer besides access_token
	// and refresh_token: token_type, scope, expires_in and the like.
	TokenFields map[string]any
	// WriteError writes an error answer of the token endpoint: the HTTP
	// status, the OAuth error code (empty for a scripted Failure that has
	// none) and its description.
	WriteError func(w http.ResponseWriter, status int, code, description string)
	// BodyType returns the Content-Type of a scripted Failure's Body.
	BodyType func(body string) string
}

// Texts are a vendor's messages for what its authorization server refuses.
// Config.MessageMarker follows each.
type Texts struct {
	// UnknownClient and BadRedirect are the consent page's text for a
	// client_id it does not know and for a redirect_uri that is not an
	// absolute URL.
	UnknownClient, BadRedirect string
	// UnsupportedResponseType and AccessDenied are the error_description
	// of the consent page's redirect for a response_type other than code
	// and for a declined consent; it sends none if the text is empty.
	UnsupportedResponseType, AccessDenied string
	// InvalidClient is the description of invalid_client.
	InvalidClient string
	// InvalidRefreshToken is the description of invalid_grant for a
	// refresh token, which follows it.
	InvalidRefreshToken string
	// InvalidCode is the description of invalid_grant for an
	// authorization code.
	InvalidCode string
	// UnsupportedGrantType is the description of unsupported_grant_type.
	UnsupportedGrantType string
}

// Failure is a scripted answer given in place of the normal one (see
// FailToken and AnswerFailure).
type Failure struct {
	// Status is the HTTP status of the answer.
	Status int
	// Code is the error code: the OAuth error code at the token endpoint,
	// the vendor's own in its API. Message is the error's message; a
	// default that holds the message marker if empty.
	Code, Message string
	// RetryAfter, if set, is sent as the Retry-After header.
	RetryAfter string
	// Body, if set, is sent as it is instead of an error.
	Body string
	// Apply carries the request out before the failure is answered: the
	// change is made, its answer is lost on the way back.
	Apply bool
	// Drop closes the connection without an answer.
	Drop bool
	// Hang answers nothing until the client gives up.
	Hang bool
}

// Server is an authorization server. Make one with New and mount its
// Authorize and Token handlers. Its methods may be called from any
// goroutine.
type Server struct {
	cfg Config

	mu        sync.Mutex
	n         int               // counter for tokens and codes
	consented map[string]bool   // account → given a refresh token before
	refresh   map[string]string // refresh token → account
	access    map[string]string // access token → account
	codes     map[string]grant  // authorization code → grant
	rotate    bool
	signIn    string // account of the next sign-in
	deny      bool   // the next consent is declined
	forms     []url.Values
	fails     Scripts[*http.Request, Failure]
}

type grant struct {
	account, clientID, redirectURI string
	refresh                        bool
}

// New returns an authorization server that knows no accounts yet: add
// them with AddAccount.
func New(cfg Config) *Server {
	return &Server{
		cfg:       cfg,
		consented: map[string]bool{},
		refresh:   map[string]string{},
		access:    map[string]string{},
		codes:     map[string]grant{},
		rotate:    cfg.Rotate,
	}
}

// next returns a fresh number. s.mu is held.
func (s *Server) next() int {
	s.n++
	return s.n
}

// newRefreshToken issues a refresh token for account a. s.mu is held.
func (s *Server) newRefreshToken(a string) string {
	rt := s.cfg.RefreshToken(s.next())
	s.refresh[rt] = a
	s.consented[a] = true
	return rt
}

// AddAccount adds the account a, a key the vendor chooses, and returns a
// refresh token of it, as if it had been connected before.
func (s *Server) AddAccount(a string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newRefreshToken(a)
}

// Account returns the account whose access token r carries as its bearer
// token, or "" if it carries none the server issued.
func (s *Server) Account(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
}

// SignInAs makes the account a the one that signs in, and approves the
// consent, on the authorize endpoint from now on. It reports false, and
// changes nothing, if a was not added.
func (s *Server) SignInAs(a string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.consented[a]; !ok {
		return false
	}
	s.signIn = a
	return true
}

// DenyConsent makes the next sign-in decline the consent: the authorize
// endpoint redirects with error=access_denied.
func (s *Server) DenyConsent() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deny = true
}

// RevokeRefreshTokens revokes every refresh token of the account a:
// refreshing answers invalid_grant.
func (s *Server) RevokeRefreshTokens(a string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for rt, owner := range s.refresh {
		if owner == a {
			delete(s.refresh, rt)
		}
	}
}

// SetRotation sets whether a refresh issues a new refresh token.
func (s *Server) SetRotation(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rotate = on
}

// FailToken makes the next n requests to the token endpoint answer f
// instead (n < 0: every one). f.Code is the OAuth error code.
func (s *Server) FailToken(n int, f Failure) {
	s.fails.Add(n, f, nil)
}

// TokenRequests returns the forms posted to the token endpoint, in the
// order received.
func (s *Server) TokenRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.forms)
}

// Authorize is the authorize endpoint: the consent page, approved (or
// declined, see DenyConsent) by the account set with SignInAs, or by the
// only account.
func (s *Server) Authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method != http.MethodGet || q.Get("client_id") != s.cfg.ClientID {
		http.Error(w, s.text(s.cfg.Texts.UnknownClient), s.cfg.UnknownClientStatus)
		return
	}
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || !redirect.IsAbs() {
		http.Error(w, s.text(s.cfg.Texts.BadRedirect), http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	refuse := func(code, description string) {
		back.Set("error", code)
		if description != "" {
			back.Set("error_description", s.text(description))
		}
	}
	s.mu.Lock()
	deny := s.deny
	s.deny = false
	who := s.signIn
	if who == "" && len(s.consented) == 1 {
		for a := range s.consented {
			who = a
		}
	}
	switch {
	case q.Get("response_type") != "code":
		refuse("unsupported_response_type", s.cfg.Texts.UnsupportedResponseType)
	case deny:
		refuse("access_denied", s.cfg.Texts.AccessDenied)
	case who == "":
		s.mu.Unlock()
		http.Error(w, s.cfg.Name+": no account signs in: call SignInAs", http.StatusBadRequest)
		return
	default:
		code := s.cfg.Code(s.next())
		s.codes[code] = grant{
			account: who, clientID: s.cfg.ClientID, redirectURI: q.Get("redirect_uri"),
			refresh: s.cfg.Offline(q, s.consented[who]),
		}
		back.Set("code", code)
		if s.cfg.EchoScope {
			back.Set("scope", q.Get("scope"))
		}
	}
	s.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// Token is the token endpoint. It records the form, then answers a
// scripted failure if one is due, else the grant.
func (s *Server) Token(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	s.mu.Lock()
	s.forms = append(s.forms, form)
	s.mu.Unlock()
	if f, ok := s.fails.Take(r); ok {
		s.AnswerFailure(w, r, f, func(w http.ResponseWriter) { s.grant(w, r, form) }, s.cfg.WriteError)
		return
	}
	s.grant(w, r, form)
}

// grant serves the refresh_token and authorization_code grants.
func (s *Server) grant(w http.ResponseWriter, r *http.Request, form url.Values) {
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if r.Method != http.MethodPost || id != s.cfg.ClientID || secret != s.cfg.ClientSecret {
		s.cfg.WriteError(w, http.StatusUnauthorized, "invalid_client", s.text(s.cfg.Texts.InvalidClient))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var a, refresh string
	switch form.Get("grant_type") {
	case "refresh_token":
		rt := form.Get("refresh_token")
		a = s.refresh[rt]
		if a == "" {
			s.cfg.WriteError(w, http.StatusBadRequest, "invalid_grant", s.text(s.cfg.Texts.InvalidRefreshToken+rt+" "))
			return
		}
		switch {
		case s.rotate:
			refresh = s.newRefreshToken(a)
		case s.cfg.EchoRefreshToken:
			refresh = rt
		}
	case "authorization_code":
		code := form.Get("code")
		g, ok := s.codes[code]
		delete(s.codes, code) // single use
		if !ok || g.clientID != id || g.redirectURI != form.Get("redirect_uri") {
			s.cfg.WriteError(w, http.StatusBadRequest, "invalid_grant", s.text(s.cfg.Texts.InvalidCode))
			return
		}
		a = g.account
		if g.refresh {
			refresh = s.newRefreshToken(a)
		}
	default:
		s.cfg.WriteError(w, http.StatusBadRequest, "unsupported_grant_type", s.text(s.cfg.Texts.UnsupportedGrantType))
		return
	}
	at := s.cfg.AccessToken(s.next())
	s.access[at] = a
	ans := maps.Clone(s.cfg.TokenFields)
	if ans == nil {
		ans = map[string]any{}
	}
	ans["access_token"] = at
	if refresh != "" {
		ans["refresh_token"] = refresh
	}
	w.Header().Set("Content-Type", s.cfg.ContentType)
	// RFC 6749 section 5.1: a token answer must not be cached.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	json.NewEncoder(w).Encode(ans)
}

// text is a message of the server: t followed by the message marker.
func (s *Server) text(t string) string { return t + s.cfg.MessageMarker }

// AnswerFailure answers f in place of the normal answer, which normal
// writes. With f.Apply, normal runs first and its answer is thrown away.
// With f.Hang it answers nothing until the client gives up; with f.Drop it
// closes the connection. Otherwise it sends f.RetryAfter, if set, and then
// f.Body as it is, or else the error that writeError writes with f's
// status, code and message (a default that holds the message marker if
// f.Message is empty).
func (s *Server) AnswerFailure(w http.ResponseWriter, r *http.Request, f Failure, normal func(http.ResponseWriter),
	writeError func(w http.ResponseWriter, status int, code, message string)) {
	if f.Apply {
		normal(httptest.NewRecorder())
	}
	if f.Hang {
		<-r.Context().Done()
		return
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", s.cfg.BodyType(f.Body))
		w.WriteHeader(f.Status)
		io.WriteString(w, f.Body)
		return
	}
	msg := f.Message
	if msg == "" {
		msg = s.text("Scripted failure. ")
	}
	writeError(w, f.Status, f.Code, msg)
}

// Scripts is a list of scripted answers F, each for the next n requests R
// that it matches. The zero value is an empty list; its methods may be
// called from any goroutine.
type Scripts[R, F any] struct {
	mu   sync.Mutex
	list []*script[R, F]
}

type script[R, F any] struct {
	match func(R) bool // nil: every request
	left  int          // < 0: every time
	f     F
}

// Add scripts f for the next n requests that match accepts (every request
// if match is nil); n < 0 scripts it for every such request. Scripts are
// tried in the order added.
func (s *Scripts[R, F]) Add(n int, f F, match func(R) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, &script[R, F]{match: match, left: n, f: f})
}

// Take returns the first script that matches r, using up one of its
// requests, and whether there was one.
func (s *Scripts[R, F]) Take(r R) (F, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sc := range s.list {
		if sc.match != nil && !sc.match(r) {
			continue
		}
		if sc.left > 0 {
			if sc.left--; sc.left == 0 {
				s.list = slices.Delete(s.list, i, i+1)
			}
		}
		return sc.f, true
	}
	var none F
	return none, false
}
