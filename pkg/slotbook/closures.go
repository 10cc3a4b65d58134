package slotbook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slotbook/slotbook/pkg/holiday"
	"github.com/slotbook/slotbook/pkg/schedule"
)

// Closure is a span of whole dates, in the company's zone, on which the
// whole company is closed: no employee has slots then.
type Closure struct {
	ID string
	// Start and End are the first and the last closed date (inclusive).
	Start, End schedule.Date
	Name       string
}

// Limits of closures.
const (
	// MaxClosureDays is the longest closure.
	MaxClosureDays = 366
	// FirstHolidayYear and LastHolidayYear bound the years whose public
	// holidays can be imported.
	FirstHolidayYear = 2000
	LastHolidayYear  = 2100
)

// Validate checks a closure's own fields (not its id, which the App gives).
func (c Closure) Validate() error {
	var p Problems
	checkName(&p, "name", c.Name, true)
	switch {
	case !c.Start.Valid():
		p.Add("start", "must be a date such as 2026-12-24")
	case !c.End.Valid():
		p.Add("end", "must be a date such as 2026-12-26")
	case c.End.Before(c.Start):
		p.Add("end", "must not be before start")
	case c.Start.DaysUntil(c.End) >= MaxClosureDays:
		p.Add("end", "must be at most %d days after start, both counted", MaxClosureDays)
	case !DateInRange(c.Start) || !DateInRange(c.End):
		p.Add("start", "%s", DateRangeMessage)
	}
	return p.Err()
}

// Closures lists the company's closures that overlap from–to (zero dates:
// all of them), by start, to any signed-in reader of the company.
func (a *App) Closures(ctx context.Context, companyID string, from, to schedule.Date) ([]Closure, error) {
	if _, err := a.authorize(ctx, companyID, Read, ""); err != nil {
		return nil, err
	}
	if from == (schedule.Date{}) {
		from = schedule.Date{Year: 1900, Month: time.January, Day: 1}
	}
	if to == (schedule.Date{}) {
		to = schedule.Date{Year: 2200, Month: time.December, Day: 31}
	}
	if to.Before(from) {
		return nil, FieldErrorf("to", "must not be before from")
	}
	return a.store.Closures(ctx, companyID, from, to)
}

// CreateClosure adds a closure (an admin's). Bookings already made on its
// dates stay; the dashboard shows them on the closed dates.
func (a *App) CreateClosure(ctx context.Context, companyID string, c Closure) (Closure, error) {
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return Closure{}, err
	}
	c.Name = strings.TrimSpace(c.Name)
	if err := c.Validate(); err != nil {
		return Closure{}, err
	}
	c.ID = NewID()
	auditCreated(ctx, c.ID)
	if err := a.store.CreateClosure(ctx, companyID, c); err != nil {
		return Closure{}, err
	}
	return c, nil
}

// DeleteClosure removes a closure (an admin's): its dates have slots again.
func (a *App) DeleteClosure(ctx context.Context, companyID, closureID string) error {
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return err
	}
	return a.store.DeleteClosure(ctx, companyID, closureID)
}

// ImportResult is what an import of public holidays did.
type ImportResult struct {
	Region string
	Year   int
	// Added are the closures made; Kept the holidays that were closures
	// already (imported before).
	Added []Closure
	Kept  int
}

// ImportHolidays adds the public holidays of an ISO 3166-2 region (or a
// country's national ones) in year as one-day closures (an admin's). Each
// holiday's closure id is derived from its date, so importing twice, or
// two regions that share a holiday, adds it once; a deleted one comes back
// with the next import.
func (a *App) ImportHolidays(ctx context.Context, companyID, region string, year int) (ImportResult, error) {
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return ImportResult{}, err
	}
	var p Problems
	if year < FirstHolidayYear || year > LastHolidayYear {
		p.Add("year", "must be a year from %d to %d", FirstHolidayYear, LastHolidayYear)
	}
	if err := p.Err(); err != nil {
		return ImportResult{}, err
	}
	list, err := holiday.List(region, year)
	if errors.Is(err, holiday.ErrUnknownRegion) {
		return ImportResult{}, unprocessableField("region", "must be an ISO 3166-2 code slotbook knows: a Swiss canton (CH-ZH), a German state (DE-BY), an Austrian state (AT-9), or CH, DE, AT")
	} else if err != nil {
		return ImportResult{}, FieldErrorf("year", "%s", err.Error())
	}
	res := ImportResult{Region: strings.ToUpper(region), Year: year, Added: []Closure{}}
	for _, h := range list {
		c := Closure{ID: HolidayClosureID(h.Date), Start: h.Date, End: h.Date, Name: h.Name}
		switch err := a.store.CreateClosure(ctx, companyID, c); {
		case err == nil:
			res.Added = append(res.Added, c)
		case ErrorCode(err) == Conflict:
			res.Kept++
		default:
			return ImportResult{}, err
		}
	}
	return res, nil
}

// HolidayClosureID is the id of the closure of a public holiday on d.
func HolidayClosureID(d schedule.Date) string {
	return fmt.Sprintf("holiday-%04d%02d%02d", d.Year, d.Month, d.Day)
}

// companyClosed returns the instants of the company's closures that may
// touch span (with a day's margin each side, for slots that run across
// midnight): each from 00:00 of its first date to 00:00 after its last, in
// the company's zone, which is 23 or 25 hours for a date of a clock change.
func (a *App) companyClosed(ctx context.Context, c Company, span schedule.Interval) ([]schedule.Interval, error) {
	zone, err := LoadZone(c.Timezone)
	if err != nil {
		return nil, err
	}
	list, err := a.closuresAround(ctx, c.ID, zone, span)
	if err != nil {
		return nil, err
	}
	return closedFrom(c, list)
}

// closuresAround returns the closures whose dates (in zone) touch span,
// with a day's margin each side.
func (a *App) closuresAround(ctx context.Context, companyID string, zone *time.Location, span schedule.Interval) ([]Closure, error) {
	first := schedule.DateOf(span.Start.In(zone)).AddDays(-1)
	last := schedule.DateOf(span.End.In(zone)).AddDays(1)
	return a.store.Closures(ctx, companyID, first, last)
}

// closureSpan is a closure's instants in zone.
func closureSpan(cl Closure, zone *time.Location) schedule.Interval {
	return schedule.Interval{Start: schedule.At(cl.Start, 0, zone), End: schedule.At(cl.End.AddDays(1), 0, zone)}
}
