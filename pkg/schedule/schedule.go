// Package schedule computes free booking slots. It is pure: times and
// intervals go in, slots come out; it does no I/O and knows nothing of
// storage, HTTP or calendar providers.
//
// The rules (api.md, "Slot rules"):
//
//  1. Availability is the weekly hours of the employee's zone, replaced on a
//     date by that date's override (an empty override is a day off). Wall
//     clock times become instants per date (see At), so DST days are 23 or 25
//     hours long.
//  2. A slot [start, start+duration) lies inside availability, and
//     [start−bufferBefore, end+bufferAfter) overlaps no busy time: absences,
//     external busy times and existing bookings widened by their own buffers.
//     Buffers may reach outside working hours.
//  3. Candidate starts step through absolute time by the booking interval
//     from the start of each availability window. A window is a date's
//     availability with touching intervals joined; a slot may run on into a
//     window that touches its own (across midnight) but starts inside its own.
//     Windows of neighbouring dates that overlap (a wall time read past a gap
//     at the end of its day, as in America/Nuuk) are joined into one, whose
//     grid starts at the earlier start.
//  4. start ≥ now + minimum notice, and start < now + horizon days (days of
//     24 hours).
//  5. Only starts inside the asked range are returned: from 00:00 of the
//     first date to 24:00 of the last, in the viewer's zone.
package schedule

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// MaxRangeDays is the largest number of dates one query may span.
const MaxRangeDays = 62

// Interval is the half-open span of time [Start, End).
type Interval struct {
	Start, End time.Time
}

// Range is the half-open span of wall-clock time [Start, End) within a day.
type Range struct {
	Start, End Clock
}

// Availability is when an employee works, as wall-clock times.
type Availability struct {
	// Weekly holds the working hours of each day of the week, indexed by
	// time.Weekday (Sunday is 0).
	Weekly [7][]Range
	// Overrides replace the weekly hours on their date. An override with no
	// ranges is a day off.
	Overrides map[Date][]Range
}

// Booking is an existing booking, which blocks its own time and its buffers.
type Booking struct {
	Start, End                time.Time
	BufferBefore, BufferAfter time.Duration
}

// Query is everything the engine needs to compute one employee's slots.
type Query struct {
	// Zone is the employee's zone, in which Availability is read.
	Zone         *time.Location
	Availability Availability
	// Busy holds times that must stay clear of a slot and its buffers:
	// absences and external calendars' busy times. Any order.
	Busy []Interval
	// BusySources, if set, names the source of each busy time (same
	// order as Busy), for Explain; Slots does not read it.
	BusySources []Source
	// Bookings are existing bookings; each blocks its time widened by its
	// own buffers. Any order.
	Bookings []Booking
	// BookingIDs, if set, names each booking (same order as Bookings),
	// for Explain; Slots does not read it.
	BookingIDs []string
	// Closed holds times without availability whatever the employee's
	// hours say: the company's closed dates, as instants. A slot must lie
	// outside them; unlike Busy, a buffer may reach into them, as it may
	// reach outside working hours. Any order.
	Closed []Interval

	// Duration, the buffers and Step are whole seconds.
	Duration     time.Duration // length of the service
	BufferBefore time.Duration // must stay clear before a slot
	BufferAfter  time.Duration // must stay clear after a slot
	Step         time.Duration // the booking interval

	Now         time.Time
	MinNotice   time.Duration // earliest start is Now+MinNotice
	HorizonDays int           // starts must be before Now plus this many days

	// From and To are the first and last date asked for, inclusive, read in
	// Viewer's zone. Returned slots are in Viewer's zone too.
	From, To Date
	Viewer   *time.Location
}

// Errors returned by Slots for a query that cannot be answered.
var (
	ErrRangeOrder = errors.New("schedule: the last date is before the first")
	ErrRangeLong  = fmt.Errorf("schedule: the range is longer than %d days", MaxRangeDays)
	ErrQuery      = errors.New("schedule: invalid query")
)

// Span returns the instants that the dates from and to (inclusive) cover in
// loc: from 00:00 of from to 24:00 of to. It fails if to is before from or
// the range is longer than MaxRangeDays.
func Span(from, to Date, loc *time.Location) (Interval, error) {
	if to.Before(from) {
		return Interval{}, ErrRangeOrder
	}
	if from.DaysUntil(to) >= MaxRangeDays {
		return Interval{}, ErrRangeLong
	}
	return Interval{At(from, 0, loc), At(to, EndOfDay, loc)}, nil
}

// Slots returns the free slots of q in order of start, in q.Viewer's zone.
// It returns ErrQuery if a zone is missing, Duration or Step is not
// positive, a buffer, MinNotice or HorizonDays is negative, or Duration,
// Step or a buffer is not a whole number of seconds.
func Slots(q Query) ([]Interval, error) {
	p, err := prepare(q)
	if err != nil || p.lo >= p.hi {
		return nil, err
	}
	lo, hi, dur, step := p.lo, p.hi, p.dur, p.step
	wins := p.windows(q)
	blocked := forbidden(q, dur)

	var out []Interval
	// b indexes the first blocked span that may still matter. It only moves
	// forward: windows are sorted and disjoint, so a span that ends before
	// one candidate start ends before every later one.
	b := 0
	for i, w := range wins {
		reach := reachOf(wins, i)
		s := w.start
		if s < lo { // jump to the first grid point not before lo
			s += ceilDiv(lo-s, step) * step
		}
		for ; s < w.end && s < hi && s+dur <= reach; s += step {
			for b < len(blocked) && blocked[b].end <= s {
				b++
			}
			if b < len(blocked) && blocked[b].start < s {
				// s is blocked: move to the first grid point at or after
				// the end of the blocked span.
				s += ceilDiv(blocked[b].end-s, step)*step - step
				continue
			}
			out = append(out, Interval{
				Start: time.Unix(s, 0).In(q.Viewer),
				End:   time.Unix(s+dur, 0).In(q.Viewer),
			})
		}
	}
	return out, nil
}

// plan holds the limits of a query in Unix seconds: the asked range
// [spanLo, spanHi), the earliest start notice allows, the first start the
// horizon forbids (past spanHi if it does not limit the range), and the
// starts that may be offered, [lo, hi).
type plan struct {
	spanLo, spanHi int64
	notice, beyond int64
	lo, hi         int64
	dur, step      int64
}

// prepare checks q and computes its limits: rule 4 and 5. Starts are whole
// seconds, so the limits are rounded up to whole seconds.
func prepare(q Query) (plan, error) {
	if q.Zone == nil || q.Viewer == nil || q.Duration <= 0 || q.Step <= 0 ||
		q.BufferBefore < 0 || q.BufferAfter < 0 || q.MinNotice < 0 || q.HorizonDays < 0 ||
		!wholeSeconds(q.Duration, q.Step, q.BufferBefore, q.BufferAfter) {
		return plan{}, ErrQuery
	}
	span, err := Span(q.From, q.To, q.Viewer)
	if err != nil {
		return plan{}, err
	}
	p := plan{spanLo: span.Start.Unix(), spanHi: span.End.Unix(), dur: seconds(q.Duration), step: seconds(q.Step)}
	p.notice = ceilSec(q.Now.Add(q.MinNotice))
	p.beyond = p.spanHi + 1
	// A horizon that reaches past the span does not limit it; testing that
	// first also keeps the horizon's Duration from overflowing.
	if days := span.End.Sub(q.Now) / (24 * time.Hour); int64(q.HorizonDays) <= int64(days) {
		p.beyond = ceilSec(q.Now.Add(time.Duration(q.HorizonDays) * 24 * time.Hour))
	}
	p.lo, p.hi = max(p.spanLo, p.notice), min(p.spanHi, p.beyond)
	return p, nil
}

// windows returns the availability windows of the employee's dates around
// starts [lo, hi), less closed times: one date more on each side so that a
// slot may run on across midnight, and more after it while a slot longer
// than a day could still run on (rules 1–3).
func (p plan) windows(q Query) []span {
	return cut(p.openWindows(q, p.lo, p.hi), q.Closed)
}

// openWindows is windows for starts [lo, hi) before closed times are cut.
func (p plan) openWindows(q Query, lo, hi int64) []span {
	first := DateOf(time.Unix(lo, 0).In(q.Zone)).AddDays(-1)
	last := DateOf(time.Unix(hi-1, 0).In(q.Zone)).AddDays(1)
	return windows(q.Availability, q.Zone, first, last, hi-1+p.dur)
}

// reachOf returns how far a slot starting in wins[i] may run: to the end
// of the windows that follow it while they touch.
func reachOf(wins []span, i int) int64 {
	reach := wins[i].end
	for j := i + 1; j < len(wins) && wins[j].start <= reach; j++ {
		reach = max(reach, wins[j].end)
	}
	return reach
}

// span is a half-open span of Unix seconds [start, end).
type span struct{ start, end int64 }

// windows returns the availability windows of the dates first..last as
// Unix seconds, sorted, each date's touching ranges joined. After last it
// adds dates while availability runs on without a break and ends before
// need, the latest end a slot can have, so that a slot longer than a day
// can run on across several midnights.
func windows(a Availability, loc *time.Location, first, last Date, need int64) []span {
	n := first.DaysUntil(last) + 1
	out := make([]span, 0, n*2)
	d := first
	for ; !last.Before(d); d = d.AddDays(1) {
		out = appendDay(out, a, loc, d)
	}
	if len(out) > 0 {
		// Follow availability on from the end of last for as long as it
		// runs without a break and a slot could still need it.
		for reach := out[len(out)-1].end; reach < need; d = d.AddDays(1) {
			mark := len(out)
			out = appendDay(out, a, loc, d)
			next := reach
			for _, w := range out[mark:] {
				if w.start > next {
					break
				}
				next = max(next, w.end)
			}
			if next == reach {
				break // a break in availability: no slot runs on past it
			}
			reach = next
		}
	}
	// Different dates can overlap only around zone oddities (a skipped
	// date); join overlaps so windows stay disjoint and sorted.
	slices.SortFunc(out, func(x, y span) int { return cmp64(x.start, y.start) })
	return joinOverlapping(out)
}

// appendDay appends to out the windows of date d: its ranges as Unix
// seconds, sorted, touching ones joined.
func appendDay(out []span, a Availability, loc *time.Location, d Date) []span {
	ranges, ok := a.Overrides[d]
	if !ok {
		ranges = a.Weekly[d.Weekday()]
	}
	mark := len(out)
	for _, r := range ranges {
		if r.End <= r.Start {
			continue
		}
		s, e := At(d, r.Start, loc).Unix(), At(d, r.End, loc).Unix()
		if e > s {
			out = append(out, span{s, e})
		}
	}
	return append(out[:mark], joinTouching(out[mark:])...)
}

// cut returns the sorted, disjoint spans wins less the instants of closed
// (any order). Closed time is rounded out to whole seconds.
func cut(wins []span, closed []Interval) []span {
	if len(closed) == 0 || len(wins) == 0 {
		return wins
	}
	cs := make([]span, 0, len(closed))
	for _, c := range closed {
		if c.End.After(c.Start) {
			cs = append(cs, span{floorSec(c.Start), ceilSec(c.End)})
		}
	}
	slices.SortFunc(cs, func(x, y span) int { return cmp64(x.start, y.start) })
	cs = joinTouching(cs)
	out := make([]span, 0, len(wins))
	j := 0
	for _, w := range wins {
		for j < len(cs) && cs[j].end <= w.start {
			j++
		}
		s := w.start
		for k := j; k < len(cs) && cs[k].start < w.end; k++ {
			if cs[k].start > s {
				out = append(out, span{s, cs[k].start})
			}
			s = max(s, cs[k].end)
		}
		if s < w.end {
			out = append(out, span{s, w.end})
		}
	}
	return out
}

// joinTouching sorts spans in place and joins those that overlap or touch.
func joinTouching(s []span) []span {
	if len(s) < 2 {
		return s
	}
	slices.SortFunc(s, func(x, y span) int { return cmp64(x.start, y.start) })
	k := 0
	for _, x := range s[1:] {
		if x.start <= s[k].end {
			s[k].end = max(s[k].end, x.end)
			continue
		}
		k++
		s[k] = x
	}
	return s[:k+1]
}

// joinOverlapping joins sorted spans that overlap (but not those that only touch).
func joinOverlapping(s []span) []span {
	if len(s) < 2 {
		return s
	}
	k := 0
	for _, x := range s[1:] {
		if x.start < s[k].end {
			s[k].end = max(s[k].end, x.end)
			continue
		}
		k++
		s[k] = x
	}
	return s[:k+1]
}

// forbidden returns, sorted and joined, the open spans (start, end) of
// slot starts that would put a slot or its buffers on busy time: a start s
// collides with busy [bs, be) when s−bufferBefore < be and
// s+dur+bufferAfter > bs.
func forbidden(q Query, dur int64) []span {
	before, after := seconds(q.BufferBefore), seconds(q.BufferAfter)
	out := make([]span, 0, len(q.Busy)+len(q.Bookings))
	for _, b := range q.Busy {
		if f, ok := forbids(b.Start, b.End, dur, before, after); ok {
			out = append(out, f)
		}
	}
	for _, b := range q.Bookings {
		if f, ok := forbids(b.Start.Add(-b.BufferBefore), b.End.Add(b.BufferAfter), dur, before, after); ok {
			out = append(out, f)
		}
	}
	if !slices.IsSortedFunc(out, func(x, y span) int { return cmp64(x.start, y.start) }) {
		slices.SortFunc(out, func(x, y span) int { return cmp64(x.start, y.start) })
	}
	return joinOverlapping(out)
}

// forbids returns the open span (start, end) of slot starts that busy time
// [start, end) forbids to a slot of dur seconds with buffers before and
// after; ok is false for an empty busy time. Busy time is rounded out to
// whole seconds, which blocks the same whole-second starts, but only once
// it is known not to be empty: an empty span blocks nothing, however it
// would round.
func forbids(start, end time.Time, dur, before, after int64) (span, bool) {
	if !end.After(start) {
		return span{}, false
	}
	return span{floorSec(start) - dur - after, ceilSec(end) + before}, true
}

// has reports whether the open span f holds s.
func (f span) has(s int64) bool { return f.start < s && s < f.end }

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func wholeSeconds(ds ...time.Duration) bool {
	for _, d := range ds {
		if d%time.Second != 0 {
			return false
		}
	}
	return true
}

func floorSec(t time.Time) int64 { return t.Unix() }

func ceilSec(t time.Time) int64 {
	if t.Nanosecond() != 0 {
		return t.Unix() + 1
	}
	return t.Unix()
}

func ceilDiv(a, b int64) int64 {
	if a <= 0 {
		return 0
	}
	return (a + b - 1) / b
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Windows returns the availability of a in loc that overlaps span, less
// the closed times, as instants clipped to span, sorted; touching windows
// are joined. It is what a dashboard shows as working time.
func Windows(a Availability, loc *time.Location, span Interval, closed ...Interval) []Interval {
	if !span.End.After(span.Start) {
		return nil
	}
	first := DateOf(span.Start.In(loc)).AddDays(-1)
	last := DateOf(span.End.Add(-time.Nanosecond).In(loc))
	var out []Interval
	lo, hi := span.Start.Unix(), span.End.Unix()
	for _, w := range cut(joinTouching(windows(a, loc, first, last, 0)), closed) {
		s, e := max(w.start, lo), min(w.end, hi)
		if e > s {
			out = append(out, Interval{Start: time.Unix(s, 0).In(span.Start.Location()), End: time.Unix(e, 0).In(span.Start.Location())})
		}
	}
	return out
}
