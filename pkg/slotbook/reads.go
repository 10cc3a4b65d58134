package slotbook

import (
	"context"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// Reading ahead. On AWS every store call is a network round trip, and a
// request waits for those made one after another. So a slots request or a
// booking asks the store at once for everything it may need — in ranges
// wide enough for any zone, before it knows the company's — and decides
// afterwards: what the company offers in one Look, then each employee's
// absences, bookings and calendar connections, all at once.

// readParallel caps the store calls one request runs at once.
const readParallel = 64

// employeeData is what the engine needs of one employee, read ahead.
type employeeData struct {
	availability Availability
	absences     []Absence
	bookings     []Booking
	// connections are read only when calendar providers are set.
	connections []Connection
}

// wideRange is an instant range that holds, for every zone, the dates
// from–to and the busyMargin either side: what employeeQuery reads.
func wideRange(from, to schedule.Date) (lo, hi time.Time) {
	const zoneSlack = 26 * time.Hour // UTC−12 to UTC+14, and a DST hour
	lo = schedule.At(from, 0, time.UTC).Add(-zoneSlack - busyMargin)
	hi = schedule.At(to.AddDays(1), 0, time.UTC).Add(zoneSlack + busyMargin)
	return lo, hi
}

// readEmployees reads, all at once, the absences and bookings in [lo, hi)
// of each employee of ids, and their calendar connections (if providers are
// set). The employees and their availability come from the caller's Look.
func (a *App) readEmployees(ctx context.Context, g *errgroup.Group, companyID string, ids []string, lo, hi time.Time) map[string]*employeeData {
	out := make(map[string]*employeeData, len(ids))
	for _, id := range ids {
		d := &employeeData{}
		out[id] = d
		g.Go(func() (err error) {
			d.absences, err = a.store.Absences(ctx, companyID, id, lo, hi)
			return err
		})
		g.Go(func() (err error) {
			d.bookings, err = a.store.Bookings(ctx, companyID, id, lo, hi)
			return err
		})
		if len(a.providers) > 0 {
			g.Go(func() (err error) {
				d.connections, err = a.store.Connections(ctx, companyID, id)
				return err
			})
		}
	}
	return out
}

// closedFrom is the closed times of closures in the company's zone.
func closedFrom(c Company, list []Closure) ([]schedule.Interval, error) {
	zone, err := LoadZone(c.Timezone)
	if err != nil {
		return nil, err
	}
	out := make([]schedule.Interval, 0, len(list))
	for _, cl := range list {
		out = append(out, closureSpan(cl, zone))
	}
	return out, nil
}
