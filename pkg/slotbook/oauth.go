package slotbook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"
)

// StateTTL is how long an OAuth authorization URL stays valid.
const StateTTL = 15 * time.Minute

// WithOAuth sets the OAuth providers and the key that signs the state of
// their authorization URLs (every instance that may see the callback needs
// the same key).
func WithOAuth(p map[Provider]OAuthProvider, stateKey []byte) Option {
	return func(a *App) {
		a.oauth, a.stateKey = p, nil
		if stateKey != nil {
			a.stateKey = func(context.Context) ([]byte, error) { return stateKey, nil }
		}
	}
}

// WithOAuthStateKey is WithOAuth with a key that is fetched when a state is
// first signed or verified, e.g. from a parameter store: key is called on
// every signing and verification, so it should keep the key once it has it.
// While it fails, starting and completing OAuth flows answer Unavailable,
// and the next attempt calls it again. Its errors must not hold the key.
func WithOAuthStateKey(p map[Provider]OAuthProvider, key func(context.Context) ([]byte, error)) Option {
	return func(a *App) { a.oauth, a.stateKey = p, key }
}

// oauthState is what the signed state of an authorization URL carries:
// the connection it is for, who started it, until when, and a one-time
// value. Connecting a calendar takes the code back to the API with the
// same user's credentials (CompleteOAuth), so a consent link sent to
// someone else cannot attach their calendar to the sender's employee.
type oauthState struct {
	Company  string   `json:"c"`
	Employee string   `json:"e"`
	Provider Provider `json:"p"`
	// Subject is the sub of the user who started the flow.
	Subject string `json:"s"`
	// Connection, if set, names the connection to re-authorise in place.
	Connection string `json:"k,omitempty"`
	Expires    int64  `json:"x"`
	Nonce      string `json:"n"`
}

// consentURL returns the provider's consent page for a state of s, started
// by the caller in ctx.
func (a *App) consentURL(ctx context.Context, s oauthState) (string, error) {
	op, ok := a.oauth[s.Provider]
	if !ok {
		return "", Errorf(Unprocessable, "Connecting %s calendars is not configured here.", s.Provider)
	}
	p, _ := PrincipalFrom(ctx)
	s.Subject, s.Expires, s.Nonce = p.Subject, a.now().Add(StateTTL).Unix(), NewID()
	state, err := a.signState(ctx, s)
	if err != nil {
		return "", err
	}
	return op.AuthCodeURL(state), nil
}

func (a *App) signState(ctx context.Context, s oauthState) (string, error) {
	body, _ := json.Marshal(s)
	mac, err := a.stateMAC(ctx, body)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac), nil
}

// stateMAC returns the MAC of a state's body under the state key; a key
// that cannot be had is Unavailable.
func (a *App) stateMAC(ctx context.Context, body []byte) ([]byte, error) {
	key, err := a.stateKey(ctx)
	if err != nil {
		return nil, &Error{Code: Unavailable, Message: "Calendars cannot be connected right now; try again in a minute.", Err: err}
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(body)
	return mac.Sum(nil), nil
}

// errBadState is the answer to a state that is not slotbook's, or expired.
func errBadState() error {
	return FieldErrorf("state", "is not a valid authorization of slotbook, or it has expired; connect again")
}

func (a *App) verifyState(ctx context.Context, raw string) (oauthState, error) {
	b64, sig, ok := strings.Cut(raw, ".")
	if !ok || len(raw) > 2048 {
		return oauthState{}, errBadState()
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return oauthState{}, errBadState()
	}
	want, err := a.stateMAC(ctx, body)
	if err != nil {
		return oauthState{}, err
	}
	if !hmac.Equal(got, want) {
		return oauthState{}, errBadState()
	}
	var s oauthState
	if json.Unmarshal(body, &s) != nil || a.now().Unix() > s.Expires || !ValidID(s.Company) || !ValidID(s.Employee) ||
		!ValidID(s.Nonce) || s.Subject == "" || (s.Connection != "" && !ValidID(s.Connection)) {
		return oauthState{}, errBadState()
	}
	return s, nil
}

// OAuthReturn is what a provider's consent page sent back, checked: the
// flow it belongs to and its code, which only the user who started the
// flow can turn into a connection (CompleteOAuth).
type OAuthReturn struct {
	CompanyID, EmployeeID string
	// ConnectionID is set when an existing connection is re-authorised.
	ConnectionID string
	Code, State  string
}

// MaxOAuthCodeLength bounds an authorization code.
const MaxOAuthCodeLength = 4096

// OAuthCallback checks what a provider's consent page sent back to the
// callback URL: a state slotbook signed that has not expired, and a code.
// It stores nothing: the browser that comes back is not known to be the
// user who started the flow, so the code goes on to CompleteOAuth, which
// that user calls with their own credentials. providerError is the error
// the provider sent instead of a code (the user declined).
func (a *App) OAuthCallback(ctx context.Context, code, state, providerError string) (OAuthReturn, error) {
	s, err := a.verifyState(ctx, state)
	if err != nil {
		return OAuthReturn{}, err
	}
	ret := OAuthReturn{CompanyID: s.Company, EmployeeID: s.Employee, ConnectionID: s.Connection}
	if providerError != "" {
		return ret, Errorf(Forbidden, "The calendar was not connected: access was not granted.")
	}
	if code == "" || len(code) > MaxOAuthCodeLength {
		return ret, FieldErrorf("code", "is required, at most %d characters", MaxOAuthCodeLength)
	}
	ret.Code, ret.State = code, state
	return ret, nil
}

// CompleteOAuth finishes connecting (or re-authorising) a Google or
// Microsoft calendar with the code the consent page gave. Only the user who
// started the flow may, for the company and employee it was started for,
// and only once: the state's one-time value is remembered until the state
// expires. It trades the code for a refresh token, finds the account's
// primary calendar (or, re-authorising, checks that the account still has
// the connection's calendar) and stores the refresh token sealed. reconnected
// tells an existing connection that got new credentials from a new one.
func (a *App) CompleteOAuth(ctx context.Context, companyID, employeeID, code, state string) (k Connection, reconnected bool, err error) {
	if _, err := a.authorize(ctx, companyID, EditEmployee, employeeID); err != nil {
		return Connection{}, false, err
	}
	s, err := a.verifyState(ctx, state)
	if err != nil {
		return Connection{}, false, err
	}
	if p, _ := PrincipalFrom(ctx); p.Subject != s.Subject || s.Company != companyID || s.Employee != employeeID {
		return Connection{}, false, Errorf(Forbidden, "This authorization was started by someone else, or for another employee; connect again.")
	}
	if code == "" || len(code) > MaxOAuthCodeLength {
		return Connection{}, false, FieldErrorf("code", "is required, at most %d characters", MaxOAuthCodeLength)
	}
	op, ok1 := a.oauth[s.Provider]
	prov, ok2 := a.providers[s.Provider]
	if !ok1 || !ok2 {
		return Connection{}, false, Errorf(Unprocessable, "Connecting %s calendars is not configured here.", s.Provider)
	}
	var old Connection
	if s.Connection != "" {
		if old, err = a.store.Connection(ctx, companyID, employeeID, s.Connection); err != nil {
			return Connection{}, false, err
		}
		if old.Provider != s.Provider {
			return Connection{}, false, errBadState()
		}
	}
	// Once only, before the code is used.
	if err := a.store.UseNonce(ctx, companyID, s.Nonce, a.now(), time.Unix(s.Expires, 0)); err != nil {
		if ErrorCode(err) == Conflict {
			return Connection{}, false, FieldErrorf("state", "has been used already; connect again")
		}
		return Connection{}, false, err
	}
	refresh, err := op.Exchange(ctx, code)
	if err != nil {
		if errors.Is(err, ErrCalendarAuth) {
			return Connection{}, false, &Error{Code: Forbidden, Message: "The provider did not accept the authorization; connect again.", Err: err}
		}
		return Connection{}, false, &Error{Code: Unavailable, Message: "The provider could not be reached; connect again.", Err: err}
	}
	var rotated string
	acct := Account{Provider: s.Provider, Secret: refresh, OnRotate: func(_ context.Context, t string) error { rotated = t; return nil }}
	cals, err := a.testQuery(ctx, prov, acct)
	if err != nil {
		return Connection{}, false, err
	}
	if rotated != "" {
		refresh = rotated
	}
	owner := CleanName(cals[0].Owner)
	if s.Connection != "" {
		if !slices.ContainsFunc(cals, func(c CalendarInfo) bool { return c.ID == old.CalendarID }) {
			return Connection{}, false, Errorf(Unprocessable, "The account that granted access does not have this connection's calendar; connect it as a new calendar.")
		}
		var account *string
		if owner != "" {
			account = &owner
		}
		k, err := a.reauthorize(ctx, companyID, old, refresh, account)
		return k, true, err
	}
	cal := cals[0]
	if len(cal.ID) > MaxCalendarIDLength {
		return Connection{}, false, Errorf(Unprocessable, "The provider names this calendar with an id longer than %d characters, which slotbook cannot keep.", MaxCalendarIDLength)
	}
	k = Connection{ID: NewID(), EmployeeID: employeeID, Provider: s.Provider, Status: Connected, CreatedAt: a.now(),
		CalendarID: cal.ID, Name: CleanName(cal.Name), Account: owner}
	auditCreated(ctx, k.ID)
	if err := a.applySwitches(ctx, companyID, &k, nil, nil, nil, !cal.ReadOnly); err != nil {
		return Connection{}, false, err
	}
	if k.SealedSecret, err = a.secrets.Seal(ctx, []byte(refresh), secretContext(companyID, k)); err != nil {
		return Connection{}, false, &Error{Code: Internal, Message: "sealing failed", Err: err}
	}
	if err := a.store.CreateConnection(ctx, companyID, k); err != nil {
		return Connection{}, false, err
	}
	return k, false, nil
}
