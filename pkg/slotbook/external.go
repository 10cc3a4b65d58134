package slotbook

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// Reasons why an employee's calendars could not be checked.
const (
	ReasonUnreachable = "calendar_unreachable"
	ReasonNeedsReauth = "calendar_needs_reauth"
)

// DefaultCalendarDeadline bounds the reading of external calendars in one request.
const DefaultCalendarDeadline = 3 * time.Second

// maxProviderCalls caps the provider calls one request runs at once.
const maxProviderCalls = 32

// WithProviders sets the calendar providers, through which external
// calendars are read and bookings written into employees' default
// calendars.
func WithProviders(p map[Provider]CalendarProvider) Option {
	return func(a *App) { a.providers = p }
}

// WithCalendarDeadline sets how long one request may spend reading external calendars.
func WithCalendarDeadline(d time.Duration) Option {
	return func(a *App) { a.calendarDeadline = d }
}

// WithPublicURL sets the address of the booking pages (the widget and its
// cancel page), where links meant for the customer point. Calendar events
// never carry them: the employee's calendar is not the customer's.
func WithPublicURL(u string) Option {
	return func(a *App) { a.publicURL = strings.TrimSuffix(u, "/") }
}

// WithDashboardURL sets the address of the dashboard page. A browser that
// returns from a provider's consent page is then sent back to it instead of
// being shown the API's JSON answer.
func WithDashboardURL(u string) Option {
	return func(a *App) { a.dashboardURL = u }
}

// DashboardURL returns the address of the dashboard page, or "".
func (a *App) DashboardURL() string { return a.dashboardURL }

// secretContext binds a connection's sealed secret to the connection.
func secretContext(companyID string, k Connection) SecretContext {
	return SecretContext{Company: companyID, Employee: k.EmployeeID, Purpose: k.ID}
}

// account opens k's secret and returns what its provider needs to reach
// it for this request. A rotated refresh token is sealed and stored for
// every connection of the same account in group.
func (a *App) account(ctx context.Context, companyID string, k Connection, group []Connection) (Account, error) {
	acct := Account{Provider: k.Provider, Email: k.Account, URL: k.URL, Username: k.Username}
	if len(k.SealedSecret) > 0 {
		secret, err := a.secrets.Open(ctx, k.SealedSecret, secretContext(companyID, k))
		if err != nil {
			return Account{}, fmt.Errorf("open the secret of connection %s: %w", k.ID, err)
		}
		acct.Secret = string(secret)
		clear(secret)
	}
	if k.Provider == ICS {
		acct.URL, acct.Secret = acct.Secret, "" // a feed's URL is its secret
	}
	acct.OnRotate = func(ctx context.Context, refreshToken string) error {
		for _, g := range group {
			sealed, err := a.secrets.Seal(ctx, []byte(refreshToken), secretContext(companyID, g))
			if err != nil {
				return err
			}
			// Only over the secret this call opened: a grant given
			// meanwhile (the connection was re-authorised) stays.
			err = a.store.SetConnectionAuth(ctx, companyID, g.EmployeeID, g.ID, g.SealedSecret, sealed, Connected)
			if err != nil && ErrorCode(err) != Conflict {
				return err
			}
		}
		return nil
	}
	acct.OnAddress = func(ctx context.Context, address string) error {
		address = CleanName(address)
		for _, g := range group {
			if _, err := a.store.UpdateConnection(ctx, companyID, g.EmployeeID, g.ID, ConnectionUpdate{Account: &address}); err != nil && ErrorCode(err) != NotFound {
				return err
			}
		}
		return nil
	}
	return acct, nil
}

// calendarRef is the calendar id to give k's provider: a feed is named by
// its URL, which is its secret and so is not kept in CalendarID.
func calendarRef(k Connection, acct Account) string {
	if k.Provider == ICS {
		return acct.URL
	}
	return k.CalendarID
}

// externalBusy is what the external calendars of some employees say.
type externalBusy struct {
	busy        map[string][]schedule.Interval // employee → busy times
	from        map[string][]string            // employee → the connection of each busy time
	unavailable map[string]string              // employee → reason
	unreadable  map[string][]string            // employee → the connections that could not be read
	connections map[string][]Connection        // employee → calendar connections
}

// readExternalBusy reads the busy times in [from, to) of every calendar
// with checkConflicts on of the given employees: all in parallel, one call
// per account, under one deadline. An employee with a calendar that could
// not be read is unavailable (fail closed); a refused credential marks its
// connections needs_reauth. Nothing read is kept beyond the answer.
//
// The window is given to each provider in the employee's zone, in which
// providers read all-day events and floating times.
//
// own, if not nil, is a booking being moved: its own event, in the
// calendar it was written to, does not count as busy. (Busy times carry no
// identity; the booking's time is cut from that calendar's busy times, so
// an event of the employee's lying exactly within it would go unseen too —
// which only a double booking made outside slotbook could cause.)
func (a *App) readExternalBusy(ctx context.Context, c Company, employees []Employee, from, to time.Time, own *Booking) (externalBusy, error) {
	companyID := c.ID
	out := externalBusy{busy: map[string][]schedule.Interval{}, from: map[string][]string{}, unavailable: map[string]string{},
		unreadable: map[string][]string{}, connections: map[string][]Connection{}}
	if len(a.providers) == 0 {
		return out, nil
	}
	conns := make([][]Connection, len(employees))
	zones := make([]*time.Location, len(employees))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(maxParallel)
	for i, e := range employees {
		g.Go(func() (err error) {
			if zones[i], err = zoneOf(c, e); err != nil {
				return err
			}
			conns[i], err = a.store.Connections(gctx, companyID, e.ID)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return externalBusy{}, err
	}
	return a.externalBusyOf(ctx, c, employees, zones, conns, from, to, own), nil
}

// externalBusyOf is readExternalBusy with the connections read already:
// conns[i] and zones[i] are those of employees[i].
func (a *App) externalBusyOf(ctx context.Context, c Company, employees []Employee, zones []*time.Location, conns [][]Connection, from, to time.Time, own *Booking) externalBusy {
	companyID := c.ID
	out := externalBusy{busy: map[string][]schedule.Interval{}, from: map[string][]string{}, unavailable: map[string]string{},
		unreadable: map[string][]string{}, connections: map[string][]Connection{}}
	for i, e := range employees {
		out.connections[e.ID] = conns[i]
	}

	// One call per employee and account.
	type batch struct {
		employee string
		zone     *time.Location
		conns    []Connection
	}
	var batches []batch
	for i, list := range conns {
		byAccount := map[string]int{}
		for _, k := range list {
			if !k.CheckConflicts {
				continue
			}
			if k.Status == NeedsReauth {
				out.unavailable[employees[i].ID] = ReasonNeedsReauth
				out.unreadable[employees[i].ID] = append(out.unreadable[employees[i].ID], k.ID)
				continue
			}
			key := string(k.Provider) + "\x00" + k.Account + "\x00" + k.URL
			if k.Provider == ICS {
				key = "ics\x00" + k.ID // every feed is its own account
			}
			if j, ok := byAccount[key]; ok {
				batches[j].conns = append(batches[j].conns, k)
				continue
			}
			byAccount[key] = len(batches)
			batches = append(batches, batch{employee: employees[i].ID, zone: zones[i], conns: []Connection{k}})
		}
	}

	deadline, cancel := context.WithTimeout(ctx, cmp.Or(a.calendarDeadline, DefaultCalendarDeadline))
	defer cancel()
	var mu sync.Mutex
	fails := func(employee, reason string, conns []Connection) {
		mu.Lock()
		defer mu.Unlock()
		if out.unavailable[employee] != ReasonNeedsReauth {
			out.unavailable[employee] = reason
		}
		for _, k := range conns {
			out.unreadable[employee] = append(out.unreadable[employee], k.ID)
		}
	}
	var wg sync.WaitGroup
	limit := make(chan struct{}, maxProviderCalls)
	for _, b := range batches {
		wg.Add(1)
		limit <- struct{}{}
		go func() {
			defer func() { <-limit; wg.Done() }()
			busy, from, err := a.batchBusy(deadline, companyID, b.conns, from.In(b.zone), to.In(b.zone), own)
			if err != nil {
				a.log.WarnContext(ctx, "calendar unreadable", "company", companyID, "employee", b.employee,
					"provider", string(b.conns[0].Provider), "connection", b.conns[0].ID, "err", err.Error())
				if errors.Is(err, ErrCalendarAuth) {
					a.markNeedsReauth(ctx, companyID, b.conns)
					fails(b.employee, ReasonNeedsReauth, b.conns)
				} else {
					fails(b.employee, ReasonUnreachable, b.conns)
				}
				return
			}
			mu.Lock()
			out.busy[b.employee] = append(out.busy[b.employee], busy...)
			out.from[b.employee] = append(out.from[b.employee], from...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

// batchBusy asks one account for the busy times of its calendars. Any
// calendar that could not be read fails the whole batch: its employee
// must not be offered a time that might collide. ids names the connection
// of each busy time.
func (a *App) batchBusy(ctx context.Context, companyID string, conns []Connection, from, to time.Time, own *Booking) (busy []schedule.Interval, ids []string, err error) {
	k := conns[0]
	p, ok := a.providers[k.Provider]
	if !ok {
		return nil, nil, fmt.Errorf("no provider for %s", k.Provider)
	}
	acct, err := a.account(ctx, companyID, k, conns)
	if err != nil {
		return nil, nil, err
	}
	refs := make([]string, len(conns))
	for i, c := range conns {
		refs[i] = calendarRef(c, acct)
	}
	results, err := p.Busy(ctx, acct, refs, from, to)
	if err != nil {
		return nil, nil, err
	}
	if len(results) != len(refs) {
		return nil, nil, fmt.Errorf("%s answered for %d of %d calendars", k.Provider, len(results), len(refs))
	}
	for i, r := range results {
		if r.Err != nil {
			return nil, nil, r.Err
		}
		for _, b := range r.Busy {
			iv := schedule.Interval{Start: b.Start, End: b.End}
			if own != nil && own.Event.Connection == conns[i].ID && own.EmployeeID == conns[i].EmployeeID {
				busy = appendWithout(busy, iv, schedule.Interval{Start: own.Start, End: own.End})
			} else {
				busy = append(busy, iv)
			}
			for len(ids) < len(busy) {
				ids = append(ids, conns[i].ID)
			}
		}
	}
	return busy, ids, nil
}

// appendWithout appends to list what of iv lies outside cut.
func appendWithout(list []schedule.Interval, iv, cut schedule.Interval) []schedule.Interval {
	if !iv.End.After(cut.Start) || !cut.End.After(iv.Start) {
		return append(list, iv)
	}
	if iv.Start.Before(cut.Start) {
		list = append(list, schedule.Interval{Start: iv.Start, End: cut.Start})
	}
	if iv.End.After(cut.End) {
		list = append(list, schedule.Interval{Start: cut.End, End: iv.End})
	}
	return list
}

// markNeedsReauth records that the provider refused the connections'
// credentials. It is a status, not calendar data. A connection whose
// secret changed since it was read (re-authorised meanwhile) keeps its
// status.
func (a *App) markNeedsReauth(ctx context.Context, companyID string, conns []Connection) {
	for _, k := range conns {
		a.store.SetConnectionAuth(context.WithoutCancel(ctx), companyID, k.EmployeeID, k.ID, k.SealedSecret, nil, NeedsReauth)
	}
}

// putEvent writes draft into calendar k and returns the event's id.
func (a *App) putEvent(ctx context.Context, c Company, k Connection, draft EventDraft) (string, error) {
	p, ok := a.providers[k.Provider]
	if !ok || k.Provider == ICS {
		return "", Errorf(Unavailable, "The default calendar cannot take bookings.")
	}
	if k.Status == NeedsReauth {
		return "", Errorf(Unavailable, "The default calendar must be connected again.")
	}
	acct, err := a.account(ctx, c.ID, k, []Connection{k})
	if err != nil {
		return "", err
	}
	id, err := p.PutEvent(ctx, acct, k.CalendarID, draft)
	if err != nil {
		if errors.Is(err, ErrCalendarAuth) {
			a.markNeedsReauth(ctx, c.ID, []Connection{k})
		}
		return "", &Error{Code: Unavailable, Message: "The calendar could not be written.", Err: err}
	}
	return id, nil
}

// errNeedsReauth says why a removal waits: its calendar must be connected again.
var errNeedsReauth = errors.New("the calendar must be connected again")

// removeEvent removes the event r names from its calendar — by its id if
// known, else by its key — and then drops r. A calendar that was
// disconnected is not touched (slotbook may no longer reach it) and r is
// dropped too. It fails if the calendar cannot be written now; r then
// stays.
func (a *App) removeEvent(ctx context.Context, r EventRemoval) error {
	k, err := a.store.Connection(ctx, r.CompanyID, r.EmployeeID, r.Event.Connection)
	switch {
	case ErrorCode(err) == NotFound:
		return a.store.DeleteRemoval(ctx, r.CompanyID, r.EmployeeID, r.Event.Key, r.Version)
	case err != nil:
		return err
	case k.Status == NeedsReauth:
		return errNeedsReauth
	}
	p, ok := a.providers[k.Provider]
	if !ok {
		return fmt.Errorf("no provider for %s", k.Provider)
	}
	acct, err := a.account(ctx, r.CompanyID, k, []Connection{k})
	if err != nil {
		return err
	}
	if r.Event.EventID != "" {
		err = p.DeleteEvent(ctx, acct, k.CalendarID, r.Event.EventID)
	} else {
		err = p.DeleteDraftEvent(ctx, acct, k.CalendarID, EventDraft{Key: r.Event.Key, Start: r.Start, End: r.End})
	}
	if err != nil {
		if errors.Is(err, ErrCalendarAuth) {
			a.markNeedsReauth(ctx, r.CompanyID, []Connection{k})
		}
		return err
	}
	return a.store.DeleteRemoval(ctx, r.CompanyID, r.EmployeeID, r.Event.Key, r.Version)
}
