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
	"github.com/slotbook/slotbook/pkg/seal"
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

// WithProviders sets the calendar providers. Bookings are then written
// into employees' default calendars through them, unless WithCalendars
// sets another writer.
func WithProviders(p map[Provider]CalendarProvider) Option {
	return func(a *App) { a.providers = p }
}

// WithCalendarDeadline sets how long one request may spend reading external calendars.
func WithCalendarDeadline(d time.Duration) Option {
	return func(a *App) { a.calendarDeadline = d }
}

// WithPublicURL sets the address of the booking pages, for the cancel
// link in calendar events.
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
func secretContext(companyID string, k Connection) seal.Context {
	return seal.Context{Company: companyID, Employee: k.EmployeeID, Connection: k.ID}
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
			if err := a.store.SetConnectionAuth(ctx, companyID, g.EmployeeID, g.ID, sealed, Connected); err != nil {
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
	unavailable map[string]string              // employee → reason
}

// readExternalBusy reads the busy times in [from, to) of every calendar
// with checkConflicts on of the given employees: all in parallel, one call
// per account, under one deadline. An employee with a calendar that could
// not be read is unavailable (fail closed); a refused credential marks its
// connections needs_reauth. Nothing read is kept beyond the answer.
//
// The window is given to each provider in the employee's zone, in which
// providers read all-day events and floating times.
func (a *App) readExternalBusy(ctx context.Context, c Company, employees []Employee, from, to time.Time) (externalBusy, error) {
	companyID := c.ID
	out := externalBusy{busy: map[string][]schedule.Interval{}, unavailable: map[string]string{}}
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
	fails := func(employee, reason string) {
		mu.Lock()
		defer mu.Unlock()
		if out.unavailable[employee] != ReasonNeedsReauth {
			out.unavailable[employee] = reason
		}
	}
	var wg sync.WaitGroup
	limit := make(chan struct{}, maxProviderCalls)
	for _, b := range batches {
		wg.Add(1)
		limit <- struct{}{}
		go func() {
			defer func() { <-limit; wg.Done() }()
			busy, err := a.batchBusy(deadline, companyID, b.conns, from.In(b.zone), to.In(b.zone))
			if err != nil {
				a.log.WarnContext(ctx, "calendar unreadable", "company", companyID, "employee", b.employee,
					"provider", string(b.conns[0].Provider), "connection", b.conns[0].ID, "err", err.Error())
				if errors.Is(err, ErrCalendarAuth) {
					a.markNeedsReauth(ctx, companyID, b.conns)
					fails(b.employee, ReasonNeedsReauth)
				} else {
					fails(b.employee, ReasonUnreachable)
				}
				return
			}
			mu.Lock()
			out.busy[b.employee] = append(out.busy[b.employee], busy...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, nil
}

// batchBusy asks one account for the busy times of its calendars. Any
// calendar that could not be read fails the whole batch: its employee
// must not be offered a time that might collide.
func (a *App) batchBusy(ctx context.Context, companyID string, conns []Connection, from, to time.Time) ([]schedule.Interval, error) {
	k := conns[0]
	p, ok := a.providers[k.Provider]
	if !ok {
		return nil, fmt.Errorf("no provider for %s", k.Provider)
	}
	acct, err := a.account(ctx, companyID, k, conns)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(conns))
	for i, c := range conns {
		ids[i] = calendarRef(c, acct)
	}
	results, err := p.Busy(ctx, acct, ids, from, to)
	if err != nil {
		return nil, err
	}
	if len(results) != len(ids) {
		return nil, fmt.Errorf("%s answered for %d of %d calendars", k.Provider, len(results), len(ids))
	}
	var busy []schedule.Interval
	for _, r := range results {
		if r.Err != nil {
			return nil, r.Err
		}
		for _, b := range r.Busy {
			busy = append(busy, schedule.Interval{Start: b.Start, End: b.End})
		}
	}
	return busy, nil
}

// markNeedsReauth records that the provider refused the connections'
// credentials. It is a status, not calendar data.
func (a *App) markNeedsReauth(ctx context.Context, companyID string, conns []Connection) {
	for _, k := range conns {
		a.store.SetConnectionAuth(context.WithoutCancel(ctx), companyID, k.EmployeeID, k.ID, nil, NeedsReauth)
	}
}

// providerCalendars writes bookings into employees' default calendars
// through the providers.
type providerCalendars struct{ app *App }

// PutBookingEvent implements Calendars.
func (pc providerCalendars) PutBookingEvent(ctx context.Context, c Company, e Employee, draft EventDraft) (EventRef, bool, error) {
	a := pc.app
	conns, err := a.store.Connections(ctx, c.ID, e.ID)
	if err != nil {
		return EventRef{}, false, err
	}
	for _, k := range conns {
		if !k.IsDefault {
			continue
		}
		p, ok := a.providers[k.Provider]
		if !ok || k.Provider == ICS {
			return EventRef{}, false, Errorf(Unavailable, "The default calendar cannot take bookings.")
		}
		if k.Status == NeedsReauth {
			return EventRef{}, false, Errorf(Unavailable, "The default calendar must be connected again.")
		}
		acct, err := a.account(ctx, c.ID, k, []Connection{k})
		if err != nil {
			return EventRef{}, false, err
		}
		id, err := p.PutEvent(ctx, acct, k.CalendarID, draft)
		if err != nil {
			if errors.Is(err, ErrCalendarAuth) {
				a.markNeedsReauth(ctx, c.ID, []Connection{k})
			}
			return EventRef{}, false, &Error{Code: Unavailable, Message: "The calendar could not be written.", Err: err}
		}
		return EventRef{Connection: k.ID, EventID: id}, true, nil
	}
	return EventRef{}, false, nil
}

// DeleteBookingEvent implements Calendars.
func (pc providerCalendars) DeleteBookingEvent(ctx context.Context, c Company, e Employee, ref EventRef) error {
	a := pc.app
	k, err := a.store.Connection(ctx, c.ID, e.ID, ref.Connection)
	if ErrorCode(err) == NotFound {
		return nil // the calendar was disconnected; there is nothing slotbook may touch
	}
	if err != nil {
		return err
	}
	p, ok := a.providers[k.Provider]
	if !ok {
		return Errorf(Unavailable, "The calendar cannot be reached.")
	}
	acct, err := a.account(ctx, c.ID, k, []Connection{k})
	if err != nil {
		return err
	}
	if err := p.DeleteEvent(ctx, acct, k.CalendarID, ref.EventID); err != nil {
		if errors.Is(err, ErrCalendarAuth) {
			a.markNeedsReauth(ctx, c.ID, []Connection{k})
		}
		return &Error{Code: Unavailable, Message: "The calendar could not be written.", Err: err}
	}
	return nil
}
