package slotbook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
)

// StateTTL is how long an OAuth authorization URL stays valid.
const StateTTL = 15 * time.Minute

// WithOAuth sets the OAuth providers and the key that signs the state of
// their authorization URLs (every instance that may see the callback needs
// the same key).
func WithOAuth(p map[Provider]OAuthProvider, stateKey []byte) Option {
	return func(a *App) { a.oauth, a.stateKey = p, stateKey }
}

// WithPrivateCalendarHosts lets CalDAV and ICS URLs name loopback and
// private addresses: for local mode and tests only, since on AWS such a URL
// would let a caller make slotbook reach into its own network.
func WithPrivateCalendarHosts() Option {
	return func(a *App) { a.privateHosts = true }
}

// ConnectRequest asks to connect an employee's calendar.
type ConnectRequest struct {
	CompanyID, EmployeeID string
	Provider              Provider
	// URL is the CalDAV server or the ICS feed.
	URL      string
	Username string
	Password string
	// CalendarID picks one calendar of a CalDAV account; empty means the first.
	CalendarID string
	Name       string
	// Switches; nil means the default: check conflicts, hide titles, and
	// default calendar if the employee has none yet.
	CheckConflicts, ShowInOverview, IsDefault *bool
}

// ConnectResult is a new connection, or, for OAuth providers, where to
// send the user to grant access.
type ConnectResult struct {
	Connection       Connection
	AuthorizationURL string
}

// Connections lists an employee's calendar connections.
func (a *App) Connections(ctx context.Context, companyID, employeeID string) ([]Connection, error) {
	if _, err := a.authorize(ctx, companyID, Read, ""); err != nil {
		return nil, err
	}
	if _, err := a.store.Employee(ctx, companyID, employeeID); err != nil {
		return nil, err
	}
	return a.store.Connections(ctx, companyID, employeeID)
}

// Connect connects a calendar: CalDAV and ICS at once, after a test query
// succeeded; Google and Microsoft by returning the consent page, after
// which OAuthCallback stores the connection.
func (a *App) Connect(ctx context.Context, r ConnectRequest) (ConnectResult, error) {
	if _, err := a.authorize(ctx, r.CompanyID, EditEmployee, r.EmployeeID); err != nil {
		return ConnectResult{}, err
	}
	if _, err := a.store.Employee(ctx, r.CompanyID, r.EmployeeID); err != nil {
		return ConnectResult{}, err
	}
	var p Problems
	switch r.Provider {
	case Google, Microsoft:
		if r.URL != "" || r.Username != "" || r.Password != "" {
			p.Add("url", "is not taken for %s; it connects through its consent page", r.Provider)
		}
		if err := p.Err(); err != nil {
			return ConnectResult{}, err
		}
		op, ok := a.oauth[r.Provider]
		if !ok {
			return ConnectResult{}, Errorf(Unprocessable, "Connecting %s calendars is not configured here.", r.Provider)
		}
		state := a.signState(oauthState{Company: r.CompanyID, Employee: r.EmployeeID, Provider: r.Provider, Expires: a.now().Add(StateTTL).Unix(), Nonce: NewID()})
		return ConnectResult{AuthorizationURL: op.AuthCodeURL(state)}, nil
	case CalDAV, ICS:
		a.checkCalendarURL(&p, r.URL)
		if r.Provider == CalDAV {
			checkName(&p, "username", r.Username, true)
			if r.Password == "" {
				p.Add("password", "is required")
			} else if len(r.Password) > 1024 {
				p.Add("password", "must be at most 1024 bytes")
			}
		} else if r.Username != "" || r.Password != "" {
			p.Add("username", "is not taken for an ICS feed")
		}
		if r.Provider == ICS && r.IsDefault != nil && *r.IsDefault {
			p.Add("isDefault", "an ICS feed is read-only and cannot be the default calendar")
		}
		checkName(&p, "name", r.Name, false)
		if err := p.Err(); err != nil {
			return ConnectResult{}, err
		}
	default:
		return ConnectResult{}, FieldErrorf("provider", "must be google, microsoft, caldav or ics")
	}

	prov, ok := a.providers[r.Provider]
	if !ok {
		return ConnectResult{}, Errorf(Unprocessable, "Connecting %s calendars is not configured here.", r.Provider)
	}
	acct := Account{Provider: r.Provider, URL: r.URL, Username: r.Username, Secret: r.Password}
	cals, err := a.testQuery(ctx, prov, acct)
	if err != nil {
		return ConnectResult{}, err
	}
	cal := cals[0]
	if r.CalendarID != "" {
		found := false
		for _, c := range cals {
			if c.ID == r.CalendarID {
				cal, found = c, true
			}
		}
		if !found {
			return ConnectResult{}, FieldErrorf("calendarId", "is not a calendar of this account")
		}
	}
	k := Connection{
		ID: NewID(), EmployeeID: r.EmployeeID, Provider: r.Provider, CalendarID: cal.ID,
		Name: firstNonEmpty(r.Name, cal.Name), Status: Connected, CreatedAt: a.now(),
	}
	secret := r.Password
	if r.Provider == CalDAV {
		k.URL, k.Username, k.Account = r.URL, r.Username, r.Username
	} else {
		// A feed's URL often carries a private token: it is sealed like a
		// password, and only its host is kept in the clear.
		u, _ := url.Parse(r.URL)
		k.Account, k.CalendarID, secret = u.Hostname(), "feed", r.URL
	}
	if cal.ReadOnly && r.IsDefault != nil && *r.IsDefault {
		return ConnectResult{}, FieldErrorf("isDefault", "this calendar is read-only and cannot be the default calendar")
	}
	if err := a.applySwitches(ctx, r.CompanyID, &k, r.CheckConflicts, r.ShowInOverview, r.IsDefault, !cal.ReadOnly && r.Provider != ICS); err != nil {
		return ConnectResult{}, err
	}
	if k.SealedSecret, err = a.secrets.Seal(ctx, []byte(secret), secretContext(r.CompanyID, k)); err != nil {
		return ConnectResult{}, &Error{Code: Internal, Message: "sealing failed", Err: err}
	}
	if err := a.store.PutConnection(ctx, r.CompanyID, k); err != nil {
		return ConnectResult{}, err
	}
	return ConnectResult{Connection: k}, nil
}

// testQuery lists an account's calendars, as the proof that slotbook can
// read it; it fails with Unprocessable (refused) or Unavailable.
func (a *App) testQuery(ctx context.Context, prov CalendarProvider, acct Account) ([]CalendarInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*cmpDuration(a.calendarDeadline, DefaultCalendarDeadline))
	defer cancel()
	cals, err := prov.Calendars(ctx, acct)
	switch {
	case errors.Is(err, ErrCalendarAuth):
		return nil, &Error{Code: Unprocessable, Message: "The calendar refused these credentials.", Err: err}
	case err != nil:
		return nil, &Error{Code: Unavailable, Message: "The calendar could not be reached or read.", Err: err}
	case len(cals) == 0:
		return nil, Errorf(Unprocessable, "The account has no calendar.")
	}
	return cals, nil
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// applySwitches sets a connection's switches; nil keeps a new
// connection's defaults. A writable calendar becomes the default when the
// employee has none.
func (a *App) applySwitches(ctx context.Context, companyID string, k *Connection, check, show, isDefault *bool, writable bool) error {
	k.CheckConflicts = true
	if check != nil {
		k.CheckConflicts = *check
	}
	if show != nil {
		k.ShowInOverview = *show
	}
	if isDefault != nil {
		k.IsDefault = *isDefault
		return nil
	}
	if !writable {
		return nil
	}
	conns, err := a.store.Connections(ctx, companyID, k.EmployeeID)
	if err != nil {
		return err
	}
	k.IsDefault = true
	for _, o := range conns {
		if o.IsDefault {
			k.IsDefault = false
		}
	}
	return nil
}

// checkCalendarURL accepts http(s) URLs of public hosts (any host with
// WithPrivateCalendarHosts). webcal:// is read as https://.
func (a *App) checkCalendarURL(p *Problems, raw string) {
	if raw == "" {
		p.Add("url", "is required")
		return
	}
	u, err := url.Parse(strings.Replace(raw, "webcal://", "https://", 1))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > 2048 {
		p.Add("url", "must be an http or https URL")
		return
	}
	if a.privateHosts {
		return
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".internal") {
		p.Add("url", "must name a public host")
		return
	}
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsLinkLocalMulticast()) {
		p.Add("url", "must name a public host")
	}
}

// ConnectionSwitches are the settings of a connection that can change.
type ConnectionSwitches struct {
	Name                                      *string
	CheckConflicts, ShowInOverview, IsDefault *bool
}

// UpdateConnection changes a connection's switches.
func (a *App) UpdateConnection(ctx context.Context, companyID, employeeID, connectionID string, sw ConnectionSwitches) (Connection, error) {
	if _, err := a.authorize(ctx, companyID, EditEmployee, employeeID); err != nil {
		return Connection{}, err
	}
	k, err := a.store.Connection(ctx, companyID, employeeID, connectionID)
	if err != nil {
		return Connection{}, err
	}
	var p Problems
	if sw.Name != nil {
		checkName(&p, "name", *sw.Name, true)
		k.Name = *sw.Name
	}
	if sw.IsDefault != nil && *sw.IsDefault && k.Provider == ICS {
		p.Add("isDefault", "an ICS feed is read-only and cannot be the default calendar")
	}
	if err := p.Err(); err != nil {
		return Connection{}, err
	}
	if sw.CheckConflicts != nil {
		k.CheckConflicts = *sw.CheckConflicts
	}
	if sw.ShowInOverview != nil {
		k.ShowInOverview = *sw.ShowInOverview
	}
	if sw.IsDefault != nil {
		k.IsDefault = *sw.IsDefault
	}
	if err := a.store.PutConnection(ctx, companyID, k); err != nil {
		return Connection{}, err
	}
	return k, nil
}

// DeleteConnection disconnects a calendar; its sealed secret goes with it.
func (a *App) DeleteConnection(ctx context.Context, companyID, employeeID, connectionID string) error {
	if _, err := a.authorize(ctx, companyID, EditEmployee, employeeID); err != nil {
		return err
	}
	return a.store.DeleteConnection(ctx, companyID, employeeID, connectionID)
}

// oauthState is what the signed state of an authorization URL carries.
type oauthState struct {
	Company  string   `json:"c"`
	Employee string   `json:"e"`
	Provider Provider `json:"p"`
	Expires  int64    `json:"x"`
	Nonce    string   `json:"n"`
}

func (a *App) signState(s oauthState) string {
	body, _ := json.Marshal(s)
	mac := hmac.New(sha256.New, a.stateKey)
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (a *App) verifyState(raw string) (oauthState, error) {
	bad := Errorf(Forbidden, "The authorization link is not valid or has expired; connect again.")
	b64, sig, ok := strings.Cut(raw, ".")
	if !ok || len(raw) > 1024 {
		return oauthState{}, bad
	}
	body, err1 := base64.RawURLEncoding.DecodeString(b64)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return oauthState{}, bad
	}
	mac := hmac.New(sha256.New, a.stateKey)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return oauthState{}, bad
	}
	var s oauthState
	if json.Unmarshal(body, &s) != nil || a.now().Unix() > s.Expires || !ValidID(s.Company) || !ValidID(s.Employee) {
		return oauthState{}, bad
	}
	return s, nil
}

// OAuthCallback finishes connecting a Google or Microsoft calendar: it
// checks the signed state, trades the code for a refresh token, finds the
// account's primary calendar and stores the connection with the refresh
// token sealed. providerError is the error the provider sent instead of a
// code (the user declined).
func (a *App) OAuthCallback(ctx context.Context, code, state, providerError string) (Connection, error) {
	s, err := a.verifyState(state)
	if err != nil {
		return Connection{}, err
	}
	if providerError != "" {
		return Connection{}, Errorf(Forbidden, "The calendar was not connected: access was not granted.")
	}
	if code == "" || len(code) > 4096 {
		return Connection{}, FieldErrorf("code", "is required")
	}
	op, ok1 := a.oauth[s.Provider]
	prov, ok2 := a.providers[s.Provider]
	if !ok1 || !ok2 {
		return Connection{}, Errorf(Unprocessable, "Connecting %s calendars is not configured here.", s.Provider)
	}
	refresh, err := op.Exchange(ctx, code)
	if err != nil {
		if errors.Is(err, ErrCalendarAuth) {
			return Connection{}, &Error{Code: Forbidden, Message: "The provider did not accept the authorization; connect again.", Err: err}
		}
		return Connection{}, &Error{Code: Unavailable, Message: "The provider could not be reached; connect again.", Err: err}
	}
	k := Connection{ID: NewID(), EmployeeID: s.Employee, Provider: s.Provider, Status: Connected, CreatedAt: a.now()}
	var rotated string
	acct := Account{Provider: s.Provider, Secret: refresh, OnRotate: func(_ context.Context, t string) error { rotated = t; return nil }}
	cals, err := a.testQuery(ctx, prov, acct)
	if err != nil {
		return Connection{}, err
	}
	cal := cals[0]
	k.CalendarID, k.Name, k.Account = cal.ID, cal.Name, firstNonEmpty(cal.Owner, cal.ID)
	if rotated != "" {
		refresh = rotated
	}
	if err := a.applySwitches(ctx, s.Company, &k, nil, nil, nil, !cal.ReadOnly); err != nil {
		return Connection{}, err
	}
	if k.SealedSecret, err = a.secrets.Seal(ctx, []byte(refresh), secretContext(s.Company, k)); err != nil {
		return Connection{}, &Error{Code: Internal, Message: "sealing failed", Err: err}
	}
	if err := a.store.PutConnection(ctx, s.Company, k); err != nil {
		return Connection{}, err
	}
	return k, nil
}
