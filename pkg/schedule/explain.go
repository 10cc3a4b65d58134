package schedule

import (
	"slices"
	"time"
)

// SourceKind tells what a busy time of a Query is.
type SourceKind uint8

// The kinds of busy time.
const (
	// FromAbsence is an absence of the employee.
	FromAbsence SourceKind = iota + 1
	// FromCalendar is a busy time of an external calendar.
	FromCalendar
	// FromUnreadable stands for a calendar that could not be read: the
	// whole range is busy (fail closed).
	FromUnreadable
)

// Source names where a busy time comes from: its kind and the id of the
// absence or calendar connection. Slots never reads it.
type Source struct {
	Kind SourceKind
	ID   string
}

// ReasonCode says why a candidate start is not free (api.md, "Why a time
// is not offered").
type ReasonCode string

// The reasons a start is not free.
const (
	ReasonAbsence       ReasonCode = "ABSENCE"             // an absence collides with the slot or its buffers
	ReasonClosure       ReasonCode = "CLOSURE"             // the slot lies in part on a closed date
	ReasonBooked        ReasonCode = "BOOKED"              // the slot overlaps a booking
	ReasonBuffer        ReasonCode = "BUFFER"              // only buffers collide with a booking
	ReasonExternalBusy  ReasonCode = "EXTERNAL_BUSY"       // an external calendar is busy
	ReasonUnreadable    ReasonCode = "CALENDAR_UNREADABLE" // an external calendar could not be read
	ReasonDoesntFit     ReasonCode = "DOESNT_FIT"          // the service would run past the window
	ReasonMinNotice     ReasonCode = "MIN_NOTICE"          // the start is sooner than the notice allows
	ReasonBeyondHorizon ReasonCode = "BEYOND_HORIZON"      // the start is past the booking horizon
)

// Reason is one reason a start is not free, with the id of what caused
// it: the absence, booking or calendar connection ("" for the others).
type Reason struct {
	Code ReasonCode
	ID   string
}

// Candidate is one candidate start of an explained query: free, or every
// reason it is not.
type Candidate struct {
	Start   time.Time
	Free    bool
	Reasons []Reason
}

// Explain returns every candidate start of q's range — each grid point of
// each availability window, as Slots steps through them — in order, in
// q.Viewer's zone, with every reason that keeps it from being free. A
// start whose slot lies on closed time is a candidate too (of the grid of
// its window before the closure was cut from it), with CLOSURE. The free
// candidates are exactly the slots Slots returns for q: both run on the
// same limits (prepare), windows (plan.windows, reachOf) and busy spans
// (forbids). Busy times name their source through q.BusySources and
// q.BookingIDs. Errors are those of Slots.
func Explain(q Query) ([]Candidate, error) {
	p, err := prepare(q)
	if err != nil {
		return nil, err
	}
	lo, hi := p.spanLo, p.spanHi // every start of the range, offered or not
	open := p.openWindows(q, lo, hi)
	wins := cut(open, q.Closed)
	e := explainer{q: q, p: p, open: open, closed: closedParts(open, wins)}

	var out []Candidate
	seen := map[int64]bool{}
	grid := func(ws []span, closedOnly bool) {
		for i, w := range ws {
			reach := reachOf(ws, i)
			s := w.start
			if s < lo {
				s += ceilDiv(lo-s, p.step) * p.step
			}
			for ; s < w.end && s < hi; s += p.step {
				if seen[s] || closedOnly && !e.onClosure(s) {
					continue
				}
				seen[s] = true
				rs := e.reasons(s, reach)
				out = append(out, Candidate{Start: time.Unix(s, 0).In(q.Viewer), Free: len(rs) == 0, Reasons: rs})
			}
		}
	}
	grid(wins, false)
	grid(open, true) // starts that a closure took away
	slices.SortFunc(out, func(x, y Candidate) int { return x.Start.Compare(y.Start) })
	return out, nil
}

// closedParts returns what of the sorted, disjoint spans open is missing
// from rest (open less the closed times): the closed parts of the windows.
func closedParts(open, rest []span) []span {
	var out []span
	j := 0
	for _, w := range open {
		s := w.start
		for j < len(rest) && rest[j].start < w.end {
			if rest[j].start > s {
				out = append(out, span{s, rest[j].start})
			}
			s = max(s, rest[j].end)
			j++
		}
		if s < w.end {
			out = append(out, span{s, w.end})
		}
	}
	return out
}

// explainer finds the reasons of one candidate start.
type explainer struct {
	q      Query
	p      plan
	open   []span // the windows before closures were cut
	closed []span // the closed parts of the windows
}

// onClosure reports whether a slot at s would lie in part on closed time.
func (e explainer) onClosure(s int64) bool {
	for _, c := range e.closed {
		if c.start < s+e.p.dur && s < c.end {
			return true
		}
	}
	return false
}

// reasons returns every reason start s, whose slot may run to reach (of
// its window less closures), is not free; none if it is free.
func (e explainer) reasons(s, reach int64) []Reason {
	q, p := e.q, e.p
	var out []Reason
	add := func(code ReasonCode, id string) {
		r := Reason{code, id}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if s < p.notice {
		add(ReasonMinNotice, "")
	}
	if s >= p.beyond {
		add(ReasonBeyondHorizon, "")
	}
	if s+p.dur > reach {
		// Past the window less closures: a closure, the window's own end,
		// or both.
		if e.onClosure(s) {
			add(ReasonClosure, "")
		}
		if s+p.dur > e.openReach(s) {
			add(ReasonDoesntFit, "")
		}
	} else if e.onClosure(s) {
		add(ReasonClosure, "")
	}
	before, after := seconds(q.BufferBefore), seconds(q.BufferAfter)
	for i, b := range q.Busy {
		f, ok := forbids(b.Start, b.End, p.dur, before, after)
		if !ok || !f.has(s) {
			continue
		}
		var src Source
		if i < len(q.BusySources) {
			src = q.BusySources[i]
		}
		switch src.Kind {
		case FromAbsence:
			add(ReasonAbsence, src.ID)
		case FromUnreadable:
			add(ReasonUnreadable, src.ID)
		default:
			add(ReasonExternalBusy, src.ID)
		}
	}
	for i, b := range q.Bookings {
		id := ""
		if i < len(q.BookingIDs) {
			id = q.BookingIDs[i]
		}
		f, ok := forbids(b.Start.Add(-b.BufferBefore), b.End.Add(b.BufferAfter), p.dur, before, after)
		if !ok || !f.has(s) {
			continue
		}
		if own, ok := forbids(b.Start, b.End, p.dur, 0, 0); ok && own.has(s) {
			add(ReasonBooked, id)
		} else {
			add(ReasonBuffer, id)
		}
	}
	return out
}

// openReach is how far a slot at s may run in the windows before closures
// were cut: s's own window and those touching it after.
func (e explainer) openReach(s int64) int64 {
	for i, w := range e.open {
		if w.start <= s && s < w.end {
			return reachOf(e.open, i)
		}
	}
	return s
}
