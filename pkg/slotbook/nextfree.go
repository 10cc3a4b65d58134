package slotbook

import (
	"cmp"
	"context"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// NextFreeQuery asks for the first free start of a service from now.
type NextFreeQuery struct {
	CompanyID string
	ServiceID string
	// EmployeeID narrows the search to one employee; empty or AnyEmployee
	// means anyone who offers the service.
	EmployeeID string
	// Timezone is the viewer's zone; empty means the company's.
	Timezone string
}

// NextFreeAnswer is the answer to a NextFreeQuery.
type NextFreeAnswer struct {
	// Timezone is the zone the search read dates in.
	Timezone string
	// Start is the first free start within the horizon; zero when there
	// is none.
	Start time.Time
	// Until is the last date searched, in Timezone: a zero Start means
	// nothing is free only if Until reaches the horizon and nobody is
	// Unavailable.
	Until schedule.Date
	// Unavailable names the employees whose calendars could not be read
	// in the last range searched.
	Unavailable []UnavailableEmployee
}

// DefaultNextFreeBudget is how long NextFree starts new ranges: the
// search of one range takes at most the calendar deadline more, well
// inside a function's timeout, however long the horizon and however slow
// the calendars.
const DefaultNextFreeBudget = 5 * time.Second

// WithNextFreeBudget sets how long NextFree goes on starting new ranges
// (DefaultNextFreeBudget if not set); it always searches the first.
func WithNextFreeBudget(d time.Duration) Option { return func(a *App) { a.nextFreeBudget = d } }

// firstSearchDays is the first range NextFree searches: yesterday to six
// days ahead in UTC holds today in every zone and the rest of its week.
const firstSearchDays = 8

// NextFree finds the first free start of a service from now within the
// company's horizon, so that the widget can open on that week.
//
// It searches ranges of dates in the viewer's zone one after another with
// the same rules as Slots — a short first one, for the common case of a
// time free this week, then the widest range Slots allows — and stops at
// the first range that holds a free start, at the horizon, or when every
// employee it searches has calendars it cannot read (then it says so in
// Unavailable rather than offer a time that might collide), when the
// service has nobody to search, or when its time (WithNextFreeBudget) is
// up: then Until tells how far it got.
func (a *App) NextFree(ctx context.Context, q NextFreeQuery) (NextFreeAnswer, error) {
	began, budget := time.Now(), cmp.Or(a.nextFreeBudget, DefaultNextFreeBudget)
	from := schedule.DateOf(a.now().UTC()).AddDays(-1)
	to := from.AddDays(firstSearchDays - 1)
	tz := q.Timezone
	for {
		ans, err := a.Slots(ctx, SlotQuery{
			CompanyID:  q.CompanyID,
			ServiceID:  q.ServiceID,
			EmployeeID: q.EmployeeID,
			From:       from,
			To:         to,
			Timezone:   tz,
		})
		if err != nil {
			return NextFreeAnswer{}, err
		}
		tz = ans.Timezone
		if len(ans.Slots) > 0 {
			return NextFreeAnswer{Timezone: tz, Start: ans.Slots[0].Start, Until: to, Unavailable: ans.Unavailable}, nil
		}
		viewer, err := LoadZone(tz)
		if err != nil {
			return NextFreeAnswer{}, FieldErrorf("timezone", "must be an IANA time zone such as Europe/Zurich")
		}
		next := to.AddDays(1)
		if len(ans.Unavailable) >= ans.Searched || !schedule.At(next, 0, viewer).Before(ans.Horizon) ||
			time.Since(began) >= budget {
			return NextFreeAnswer{Timezone: tz, Until: to, Unavailable: ans.Unavailable}, nil
		}
		from, to = next, next.AddDays(schedule.MaxRangeDays-1)
	}
}
