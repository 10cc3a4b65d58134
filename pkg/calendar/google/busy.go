package google

import (
	"context"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"
	calendar "google.golang.org/api/calendar/v3"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Limits of one freeBusy query, and how many are sent at once.
const (
	freeBusyMaxCalendars = 50
	freeBusyMaxWindow    = 60 * 24 * time.Hour
	freeBusyParallel     = 4
)

// Busy returns the busy times in [from, to) of each calendar, in the order
// of calendarIDs, from Google's freeBusy: free/busy only, no event content.
// Calendars go in batches of at most 50 and the range in windows of at
// most 60 days; the answers are merged per calendar (slotbook.MergeBusy),
// so an event across a window boundary comes back as one interval. A calendar that Google
// reports with errors, or leaves out of its answer, gets an Err and no
// busy times. A query that fails as a whole fails the call.
func (p *Provider) Busy(ctx context.Context, acct slotbook.Account, calendarIDs []string, from, to time.Time) ([]slotbook.BusyResult, error) {
	const op = "freeBusy"
	if len(calendarIDs) == 0 {
		return []slotbook.BusyResult{}, nil
	}
	if !from.Before(to) {
		return nil, &Error{Op: op, problem: "empty time range"}
	}
	svc, err := p.service(ctx, op, acct)
	if err != nil {
		return nil, err
	}

	ids := uniq(calendarIDs)
	type query struct {
		ids      []string
		from, to time.Time
		answer   map[string]calendar.FreeBusyCalendar
	}
	var queries []*query
	for start := from; start.Before(to); start = start.Add(freeBusyMaxWindow) {
		end := minTime(start.Add(freeBusyMaxWindow), to)
		for batch := range slices.Chunk(ids, freeBusyMaxCalendars) {
			queries = append(queries, &query{ids: batch, from: start, to: end})
		}
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(freeBusyParallel)
	for _, q := range queries {
		g.Go(func() error {
			req := &calendar.FreeBusyRequest{
				TimeMin:  q.from.UTC().Format(time.RFC3339),
				TimeMax:  q.to.UTC().Format(time.RFC3339),
				TimeZone: "UTC",
			}
			for _, id := range q.ids {
				req.Items = append(req.Items, &calendar.FreeBusyRequestItem{Id: id})
			}
			resp, err := svc.Freebusy.Query(req).Context(gctx).Do()
			if err != nil {
				return apiError(op, err)
			}
			q.answer = resp.Calendars
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}

	// Fold the answers per calendar; the first failure of a calendar wins.
	busy := make(map[string][]slotbook.BusyInterval, len(ids))
	failed := make(map[string]error)
	for _, q := range queries {
		for _, id := range q.ids {
			if failed[id] != nil {
				continue
			}
			cal, ok := q.answer[id]
			switch {
			case !ok:
				failed[id] = &Error{Op: op, problem: "calendar missing from the answer"}
			case len(cal.Errors) > 0:
				e := &Error{Op: op, problem: "calendar unreadable"}
				for _, ce := range cal.Errors {
					if e.Reason = safeReason(ce.Reason); e.Reason != "" {
						break
					}
				}
				failed[id] = e
			default:
				spans, ok := parsePeriods(cal.Busy)
				if !ok {
					failed[id] = &Error{Op: op, problem: "malformed response"}
					continue
				}
				busy[id] = append(busy[id], spans...)
			}
		}
	}

	results := make([]slotbook.BusyResult, len(calendarIDs))
	for i, id := range calendarIDs {
		if err := failed[id]; err != nil {
			results[i] = slotbook.BusyResult{Err: err}
			continue
		}
		results[i] = slotbook.BusyResult{Busy: slotbook.MergeBusy(busy[id], from, to)}
	}
	return results, nil
}

// parsePeriods converts Google's busy periods; MergeBusy clips them.
func parsePeriods(periods []*calendar.TimePeriod) ([]slotbook.BusyInterval, bool) {
	var out []slotbook.BusyInterval
	for _, tp := range periods {
		if tp == nil {
			continue
		}
		start, err1 := time.Parse(time.RFC3339, tp.Start)
		end, err2 := time.Parse(time.RFC3339, tp.End)
		if err1 != nil || err2 != nil || end.Before(start) {
			return nil, false
		}
		out = append(out, slotbook.BusyInterval{Start: start, End: end})
	}
	return out, true
}

func uniq(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
