package slotbook

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"
)

// MaxCalendarIDLength is the longest calendar id (a CalDAV path, a Graph
// id) a connection keeps.
const MaxCalendarIDLength = 1024

// WithPrivateCalendarHosts lets CalDAV and ICS URLs name loopback and
// private addresses, and CalDAV servers be plain http: for local mode and
// tests only, since on AWS such a URL would let a caller make slotbook
// reach into its own network (and a password would cross it in the clear).
// The providers enforce the same at every connection they make.
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

// Connections lists an employee's calendar connections, each with the
// number of events that wait to be removed from it.
func (a *App) Connections(ctx context.Context, companyID, employeeID string) ([]Connection, error) {
	if _, err := a.authorize(ctx, companyID, Read, ""); err != nil {
		return nil, err
	}
	if _, err := a.store.Employee(ctx, companyID, employeeID); err != nil {
		return nil, err
	}
	list, err := a.store.Connections(ctx, companyID, employeeID)
	if err != nil {
		return nil, err
	}
	removals, err := a.store.Removals(ctx, companyID, employeeID)
	if err != nil {
		return nil, err
	}
	waiting := waitingRemovals(removals, a.now())
	for i := range list {
		list[i].PendingRemovals = waiting[list[i].ID]
	}
	return list, nil
}

// Connect connects a calendar: CalDAV and ICS at once, after a test query
// succeeded; Google and Microsoft by returning the consent page, after
// which CompleteOAuth, called by the same signed-in user, stores the
// connection.
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
		u, err := a.consentURL(ctx, oauthState{Company: r.CompanyID, Employee: r.EmployeeID, Provider: r.Provider})
		return ConnectResult{AuthorizationURL: u}, err
	case CalDAV, ICS:
		a.checkCalendarURL(&p, r.Provider, r.URL)
		if r.Provider == CalDAV {
			checkName(&p, "username", r.Username, true)
			checkPassword(&p, r.Password)
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
		i := slices.IndexFunc(cals, func(c CalendarInfo) bool { return c.ID == r.CalendarID })
		if i < 0 {
			return ConnectResult{}, FieldErrorf("calendarId", "is not a calendar of this account")
		}
		cal = cals[i]
	}
	if len(cal.ID) > MaxCalendarIDLength {
		return ConnectResult{}, unprocessableField("calendarId", "the server names this calendar with an id longer than %d characters, which slotbook cannot keep", MaxCalendarIDLength)
	}
	k := Connection{
		ID: NewID(), EmployeeID: r.EmployeeID, Provider: r.Provider, CalendarID: cal.ID,
		Name: firstNonEmpty(r.Name, CleanName(cal.Name)), Status: Connected, CreatedAt: a.now(),
	}
	auditCreated(ctx, k.ID)
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
	if err := a.store.CreateConnection(ctx, r.CompanyID, k); err != nil {
		return ConnectResult{}, err
	}
	return ConnectResult{Connection: k}, nil
}

func checkPassword(p *Problems, pw string) {
	if pw == "" {
		p.Add("password", "is required")
	} else if len(pw) > 1024 {
		p.Add("password", "must be at most 1024 bytes")
	}
}

// unprocessableField returns an Unprocessable error that names one field.
func unprocessableField(field, format string, args ...any) *Error {
	e := FieldErrorf(field, format, args...)
	e.Code = Unprocessable
	return e
}

// testQuery lists an account's calendars, as the proof that slotbook can
// read it. A refusal or a wrong address is the user's to fix: it names
// the field at fault (the URL, or the password); a server that cannot be
// reached is Unavailable.
func (a *App) testQuery(ctx context.Context, prov CalendarProvider, acct Account) ([]CalendarInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*cmpDuration(a.calendarDeadline, DefaultCalendarDeadline))
	defer cancel()
	cals, err := prov.Calendars(ctx, acct)
	credentials := "password"
	if acct.Provider == ICS {
		credentials = "url"
	}
	oauth := acct.Provider == Google || acct.Provider == Microsoft
	switch {
	case err == nil && len(cals) == 0:
		return nil, Errorf(Unprocessable, "The account has no calendar.")
	case err == nil:
		return cals, nil
	case errors.Is(err, ErrAddressNotAllowed):
		e := FieldErrorf("url", "must be an https URL of a public host")
		e.Err = err
		return nil, e
	case errors.Is(err, ErrCalendarNotFound) && !oauth:
		e := unprocessableField("url", "no calendar was found at this address, or this account may not see it")
		e.Err = err
		return nil, e
	case errors.Is(err, ErrCalendarAuth) && !oauth:
		e := unprocessableField(credentials, "the calendar refused these credentials")
		e.Err = err
		return nil, e
	case errors.Is(err, ErrCalendarAuth):
		return nil, &Error{Code: Unprocessable, Message: "The calendar refused the access granted.", Err: err}
	}
	return nil, &Error{Code: Unavailable, Message: "The calendar could not be reached or read.", Err: err}
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
	k.IsDefault = !slices.ContainsFunc(conns, func(o Connection) bool { return o.IsDefault })
	return nil
}

// checkCalendarURL accepts http(s) URLs (webcal:// is read as https://);
// a CalDAV server must be https unless WithPrivateCalendarHosts. Whether
// the host is public is decided where it is dialled: by the providers,
// after DNS, for every connection they make.
func (a *App) checkCalendarURL(p *Problems, provider Provider, raw string) {
	if raw == "" {
		p.Add("url", "is required")
		return
	}
	u, err := url.Parse(strings.Replace(raw, "webcal://", "https://", 1))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > 2048 {
		p.Add("url", "must be an http or https URL")
		return
	}
	if provider == CalDAV && u.Scheme != "https" && !a.privateHosts {
		p.Add("url", "must be an https URL: the password goes with every request")
	}
}

// ConnectionSwitches are the settings of a connection that can change.
type ConnectionSwitches struct {
	Name                                      *string
	CheckConflicts, ShowInOverview, IsDefault *bool
}

// UpdateConnection changes a connection's switches, and nothing else: its
// secret and status stay as they are, whatever happens to them meanwhile.
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
	}
	if sw.IsDefault != nil && *sw.IsDefault && k.Provider == ICS {
		p.Add("isDefault", "an ICS feed is read-only and cannot be the default calendar")
	}
	if err := p.Err(); err != nil {
		return Connection{}, err
	}
	return a.store.UpdateConnection(ctx, companyID, employeeID, connectionID, ConnectionUpdate{
		Name: sw.Name, CheckConflicts: sw.CheckConflicts, ShowInOverview: sw.ShowInOverview, IsDefault: sw.IsDefault,
	})
}

// DeleteConnection disconnects a calendar; its sealed secret goes with it.
func (a *App) DeleteConnection(ctx context.Context, companyID, employeeID, connectionID string) error {
	if _, err := a.authorize(ctx, companyID, EditEmployee, employeeID); err != nil {
		return err
	}
	return a.store.DeleteConnection(ctx, companyID, employeeID, connectionID)
}

// ReconnectRequest asks to give an existing connection new credentials.
type ReconnectRequest struct {
	CompanyID, EmployeeID, ConnectionID string
	// Password is a CalDAV account's new password.
	Password string
	// URL is an ICS feed's new address (its secret).
	URL string
}

// Reconnect gives a connection new credentials in place: same id, same
// switches, same default mark, status connected again. Google and
// Microsoft answer with the consent page (CompleteOAuth finishes); CalDAV
// takes a new password and ICS a new feed URL after a test query, which
// must still show the connection's calendar. Events that wait to be removed
// from the calendar are removed at once.
func (a *App) Reconnect(ctx context.Context, r ReconnectRequest) (ConnectResult, error) {
	if _, err := a.authorize(ctx, r.CompanyID, EditEmployee, r.EmployeeID); err != nil {
		return ConnectResult{}, err
	}
	k, err := a.store.Connection(ctx, r.CompanyID, r.EmployeeID, r.ConnectionID)
	if err != nil {
		return ConnectResult{}, err
	}
	var p Problems
	switch k.Provider {
	case Google, Microsoft:
		if r.Password != "" || r.URL != "" {
			p.Add("password", "is not taken for %s; it reconnects through its consent page", k.Provider)
			return ConnectResult{}, p.Err()
		}
		u, err := a.consentURL(ctx, oauthState{Company: r.CompanyID, Employee: r.EmployeeID, Provider: k.Provider, Connection: k.ID})
		return ConnectResult{AuthorizationURL: u}, err
	case CalDAV:
		checkPassword(&p, r.Password)
		if r.URL != "" {
			p.Add("url", "cannot change: connect the other server as a new calendar")
		}
	case ICS:
		a.checkCalendarURL(&p, ICS, r.URL)
		if r.Password != "" {
			p.Add("password", "is not taken for an ICS feed")
		}
	}
	if err := p.Err(); err != nil {
		return ConnectResult{}, err
	}
	prov, ok := a.providers[k.Provider]
	if !ok {
		return ConnectResult{}, Errorf(Unprocessable, "Connecting %s calendars is not configured here.", k.Provider)
	}
	acct := Account{Provider: k.Provider, URL: k.URL, Username: k.Username, Secret: r.Password}
	secret := r.Password
	if k.Provider == ICS {
		acct.URL, acct.Secret, secret = r.URL, "", r.URL
	}
	cals, err := a.testQuery(ctx, prov, acct)
	if err != nil {
		return ConnectResult{}, err
	}
	if k.Provider != ICS && !slices.ContainsFunc(cals, func(c CalendarInfo) bool { return c.ID == k.CalendarID }) {
		return ConnectResult{}, unprocessableField("password", "opens an account that does not have this calendar")
	}
	k, err = a.reauthorize(ctx, r.CompanyID, k, secret, nil)
	return ConnectResult{Connection: k}, err
}

// reauthorize stores a connection's new secret in place, status
// connected, with the account's address where it is known now, and
// removes the events that waited for the calendar.
func (a *App) reauthorize(ctx context.Context, companyID string, k Connection, secret string, account *string) (Connection, error) {
	sealed, err := a.secrets.Seal(ctx, []byte(secret), secretContext(companyID, k))
	if err != nil {
		return Connection{}, &Error{Code: Internal, Message: "sealing failed", Err: err}
	}
	if err := a.store.SetConnectionAuth(ctx, companyID, k.EmployeeID, k.ID, nil, sealed, Connected); err != nil {
		return Connection{}, err
	}
	if account != nil && *account != k.Account {
		if _, err := a.store.UpdateConnection(ctx, companyID, k.EmployeeID, k.ID, ConnectionUpdate{Account: account}); err != nil {
			return Connection{}, err
		}
	}
	a.retryRemovals(ctx, companyID, k.EmployeeID, k.ID)
	list, err := a.Connections(ctx, companyID, k.EmployeeID)
	if err != nil {
		return Connection{}, err
	}
	for _, c := range list {
		if c.ID == k.ID {
			return c, nil
		}
	}
	return Connection{}, Errorf(NotFound, "There is no such calendar connection.")
}
