package slotbook

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// AnyEmployee, as a booking's or a slot query's employee, lets the server
// choose among the service's employees (api.md, "Any employee").
const AnyEmployee = "any"

// fairnessLookback is how far back bookings count for "whose latest
// booking was made longest ago".
const fairnessLookback = 90 * 24 * time.Hour

// candidate is an employee who may take an "any" booking, with what the
// choice rule weighs.
type candidate struct {
	id     string
	inWeek int       // confirmed bookings starting in the booking's calendar week
	latest time.Time // when their latest booking was made; zero if never
}

// bookAny books r with the employee the choice rule picks among those of
// the service who are free at r.Start: the fewest confirmed bookings
// starting in the same calendar week (Monday to Sunday, company zone), then
// the one whose latest booking was made longest ago (never booked first),
// then the smaller id. Each candidate is checked live (external calendars
// included) and claimed as a named booking would be; a candidate who is
// not free, or loses a race for the time, is passed over for the next, so
// "any" fails (SlotTaken) only when nobody is free. Racing "any" requests
// all follow the same order, so with N employees free exactly N succeed.
func (a *App) bookAny(ctx context.Context, r BookingRequest) (BookingResult, error) {
	c, err := a.store.Company(ctx, r.CompanyID)
	if err != nil {
		return BookingResult{}, notFoundAs(err, "There is no such company.")
	}
	svc, err := a.store.Service(ctx, r.CompanyID, r.ServiceID)
	if err != nil {
		return BookingResult{}, notFoundAs(err, "There is no such service.")
	}
	order, err := a.candidates(ctx, c, svc, r.Start)
	if err != nil {
		return BookingResult{}, err
	}
	if len(order) == 0 {
		return BookingResult{}, Errorf(SlotTaken, "Nobody is free at this time. Choose another slot.")
	}
	id, token := NewID(), newCancelToken()
	auditCreated(ctx, id)
	var last error
	unavailable := 0
	for i, cand := range order {
		named := r
		named.fp, named.EmployeeID = r.fingerprint(), cand.id
		// A fresh event key per attempt: an attempt that wrote and then
		// let go of an event keeps that key's removal.
		key := id
		if i > 0 {
			key = id + "." + NewID()[:10]
		}
		res, err := a.claim(ctx, named, id, token, key, nil)
		switch ErrorCode(err) {
		case "":
			return res, nil
		case SlotTaken, NotFound:
			last = err
			continue
		case Unavailable:
			unavailable++
			last = err
			continue
		case Conflict:
			// Another request with the same Idempotency-Key claimed first.
			if r.IdempotencyKey != "" {
				if rec, rerr := a.store.Idempotency(ctx, r.CompanyID, r.IdempotencyKey, a.now()); rerr == nil {
					return a.resume(ctx, named, rec, 0)
				}
			}
			return BookingResult{}, err
		default:
			return BookingResult{}, err
		}
	}
	if unavailable == len(order) {
		return BookingResult{}, last
	}
	return BookingResult{}, Errorf(SlotTaken, "Nobody is free at this time any more. Choose another slot.")
}

// candidates returns the service's employees in the order of the choice
// rule for a booking at start.
func (a *App) candidates(ctx context.Context, c Company, svc Service, start time.Time) ([]candidate, error) {
	zone, err := LoadZone(c.Timezone)
	if err != nil {
		return nil, err
	}
	day := schedule.DateOf(start.In(zone))
	monday := day.AddDays(-((int(day.Weekday()) + 6) % 7))
	weekStart, weekEnd := schedule.At(monday, 0, zone), schedule.At(monday.AddDays(6), schedule.EndOfDay, zone)
	now := a.now()
	from := now.Add(-fairnessLookback)
	if weekStart.Before(from) {
		from = weekStart
	}
	to := now.Add(time.Duration(c.HorizonDays) * 24 * time.Hour)
	if weekEnd.After(to) {
		to = weekEnd
	}
	var out []candidate
	for _, id := range svc.Employees {
		bs, err := a.store.Bookings(ctx, c.ID, id, from, to)
		if err != nil {
			return nil, err
		}
		cand := candidate{id: id}
		for _, b := range bs {
			if !b.Blocks(now) {
				continue
			}
			if b.Status == Confirmed && !b.Start.Before(weekStart) && b.Start.Before(weekEnd) {
				cand.inWeek++
			}
			if b.CreatedAt.After(cand.latest) {
				cand.latest = b.CreatedAt
			}
		}
		out = append(out, cand)
	}
	slices.SortFunc(out, func(x, y candidate) int {
		return cmp.Or(cmp.Compare(x.inWeek, y.inWeek), x.latest.Compare(y.latest), cmp.Compare(x.id, y.id))
	})
	return out, nil
}
