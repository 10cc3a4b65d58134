package icalbusy

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// MaxSteps is the number of instances one call may generate while
// expanding recurrences, counting those before the window. At well under
// 100 ns a step it bounds a call to a fraction of a second.
const MaxSteps = 1_000_000

// MaxEvents is the number of events Events returns at most.
const MaxEvents = 10_000

// ErrTooComplex is returned when the events need more than MaxSteps
// instances to expand, or Events would return more than MaxEvents: the
// calendar cannot be read within bounds, which must count as unreadable,
// never as free.
var ErrTooComplex = errors.New("icalbusy: calendar too complex to expand")

// Busy returns the time in [from, to) during which the events of cals are
// busy: opaque, not cancelled, recurrences expanded. The intervals are
// clipped to the window, sorted, and merged where they overlap or touch
// (slotbook.MergeBusy); zero-length events block nothing and are left out. loc is the zone of
// all-day and floating times (the employee's); nil means UTC.
func Busy(cals []*ical.Calendar, from, to time.Time, loc *time.Location) (busy []slotbook.BusyInterval, err error) {
	err = expand(cals, from, to, loc, false, func(in instance) error {
		if !in.busy || !in.end.After(in.start) {
			return nil
		}
		s, e := maxTime(in.start, from), minTime(in.end, to)
		// Recurrences arrive in order, so most merging happens here and a
		// second-by-second rule costs no memory.
		if n := len(busy); n > 0 && !s.Before(busy[n-1].Start) && !s.After(busy[n-1].End) {
			busy[n-1].End = maxTime(busy[n-1].End, e)
			return nil
		}
		busy = append(busy, slotbook.BusyInterval{Start: s, End: e})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return slotbook.MergeBusy(busy, from, to), nil
}

// Events returns the events of cals that overlap [from, to), sorted by
// start, with their SUMMARY as title and Busy false for transparent ones.
// A zero-length event counts if it starts inside the window. Times are in
// loc, the zone of all-day and floating times (the employee's); nil means
// UTC.
func Events(cals []*ical.Calendar, from, to time.Time, loc *time.Location) ([]slotbook.ExternalEvent, error) {
	var out []slotbook.ExternalEvent
	err := expand(cals, from, to, loc, true, func(in instance) error {
		if len(out) >= MaxEvents {
			return ErrTooComplex
		}
		out = append(out, slotbook.ExternalEvent{Start: in.start, End: in.end, Title: in.title, Busy: in.busy})
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b slotbook.ExternalEvent) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.End.Compare(b.End)
	})
	return out, nil
}

// instance is one occurrence of an event that overlaps the window.
type instance struct {
	start, end time.Time
	busy       bool
	title      string
}

// series is the components of one UID: the masters (normally one) and the
// overrides (components with RECURRENCE-ID).
type series struct {
	masters   []*ical.Component
	overrides []*ical.Component
}

// expand calls emit for every instance of the events of cals that overlaps
// [from, to). A panic in a parser of untrusted text becomes an error.
func expand(cals []*ical.Calendar, from, to time.Time, loc *time.Location, titles bool, emit func(instance) error) (err error) {
	if loc == nil {
		loc = time.UTC
	}
	if !to.After(from) {
		return nil
	}
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("icalbusy: malformed event")
		}
	}()
	x := &expander{from: from.In(loc), to: to.In(loc), loc: loc, titles: titles, emit: emit, zones: map[string]*time.Location{}}
	for i, s := range groupByUID(cals) {
		if err := x.series(s); err != nil {
			if errors.Is(err, ErrTooComplex) {
				return err
			}
			return fmt.Errorf("icalbusy: event %d: %w", i+1, err)
		}
	}
	return nil
}

// groupByUID collects the VEVENTs of cals by UID, in order of first
// appearance. A CalDAV object holds one UID; an ICS feed holds them all,
// overrides possibly far from their master. Events without UID stand alone.
func groupByUID(cals []*ical.Calendar) []*series {
	var out []*series
	byUID := map[string]*series{}
	for _, cal := range cals {
		if cal == nil || cal.Component == nil {
			continue
		}
		for _, c := range cal.Children {
			if c.Name != ical.CompEvent {
				continue
			}
			uid := ""
			if p := c.Props.Get(ical.PropUID); p != nil {
				uid = p.Value
			}
			s := byUID[uid]
			if s == nil || uid == "" {
				s = &series{}
				out = append(out, s)
				if uid != "" {
					byUID[uid] = s
				}
			}
			if c.Props.Get(ical.PropRecurrenceID) != nil {
				s.overrides = append(s.overrides, c)
			} else {
				s.masters = append(s.masters, c)
			}
		}
	}
	return out
}

// expander holds the state of one call.
type expander struct {
	from, to time.Time
	loc      *time.Location
	titles   bool
	emit     func(instance) error
	steps    int
	zones    map[string]*time.Location
}

func (x *expander) series(s *series) error {
	// Every override takes its instance out of the master's series,
	// whether or not the override itself is cancelled or in the window.
	replaced := exclusions{}
	for _, o := range s.overrides {
		p := o.Props.Get(ical.PropRecurrenceID)
		t, err := x.parseTime(p)
		if err != nil {
			return fmt.Errorf("RECURRENCE-ID: %w", err)
		}
		replaced.add(t)
		if cancelled(o) {
			continue
		}
		ev, err := x.event(o)
		if err != nil {
			return err
		}
		if ev == nil {
			continue
		}
		if err := x.instance(ev, ev.start); err != nil {
			return err
		}
	}
	for _, m := range s.masters {
		if cancelled(m) {
			continue
		}
		ev, err := x.event(m)
		if err != nil {
			return err
		}
		if ev == nil {
			continue
		}
		if err := x.recurrences(m, ev, replaced); err != nil {
			return err
		}
	}
	return nil
}

// event is what one component says about time.
type event struct {
	start  time.Time      // first instance, an instant
	frame  *time.Location // zone whose wall clock recurrences keep
	allDay bool
	// The length of an instance: nominal days (same wall clock), then an
	// exact duration.
	days  int
	exact time.Duration
	busy  bool
	title string
}

// end returns the end of the instance that starts at start.
func (ev *event) end(start time.Time) time.Time {
	if ev.days != 0 {
		start = start.In(ev.frame).AddDate(0, 0, ev.days)
	}
	return start.Add(ev.exact)
}

// event reads the times of c; nil if c has no DTSTART (nothing to block).
func (x *expander) event(c *ical.Component) (*event, error) {
	sp := c.Props.Get(ical.PropDateTimeStart)
	if sp == nil {
		return nil, nil
	}
	st, err := x.parseTime(sp)
	if err != nil {
		return nil, fmt.Errorf("DTSTART: %w", err)
	}
	ev := &event{start: st.t, frame: st.frame, allDay: st.date, busy: !transparent(c)}
	if x.titles {
		if p := c.Props.Get(ical.PropSummary); p != nil {
			ev.title = UnescapeText(p.Value)
		}
	}
	switch {
	case c.Props.Get(ical.PropDateTimeEnd) != nil:
		et, err := x.parseTime(c.Props.Get(ical.PropDateTimeEnd))
		if err != nil {
			return nil, fmt.Errorf("DTEND: %w", err)
		}
		if et.t.Before(st.t) {
			return nil, errors.New("DTEND before DTSTART")
		}
		if st.date && et.date {
			ev.days = daysBetween(st.t, et.t)
		} else {
			ev.exact = et.t.Sub(st.t)
		}
	case c.Props.Get(ical.PropDuration) != nil:
		days, exact, err := parseDuration(c.Props.Get(ical.PropDuration).Value)
		if err != nil {
			return nil, fmt.Errorf("DURATION: %w", err)
		}
		ev.days, ev.exact = days, exact
	case st.date:
		ev.days = 1
	}
	return ev, nil
}

// recurrences emits the instances of master m: DTSTART, RDATEs and the
// RRULE, less EXDATEs and the instances overrides replaced.
func (x *expander) recurrences(m *ical.Component, ev *event, replaced exclusions) error {
	ex := replaced.clone()
	for _, p := range m.Props.Values(ical.PropExceptionDates) {
		if err := x.eachValue(&p, func(t timeValue, _ *timeValue) error {
			ex.add(t)
			return nil
		}); err != nil {
			return fmt.Errorf("EXDATE: %w", err)
		}
	}
	emit := func(start time.Time) error {
		if ex.has(start, ev.frame) {
			return nil
		}
		return x.instance(ev, start)
	}
	if err := emit(ev.start); err != nil {
		return err
	}
	rdates := map[int64]bool{ev.start.Unix(): true}
	for _, p := range m.Props.Values(ical.PropRecurrenceDates) {
		if err := x.eachValue(&p, func(t timeValue, end *timeValue) error {
			if x.steps++; x.steps > MaxSteps {
				return ErrTooComplex
			}
			if rdates[t.t.Unix()] || ex.has(t.t, ev.frame) {
				return nil
			}
			rdates[t.t.Unix()] = true
			if end == nil {
				return x.instance(ev, t.t)
			}
			if end.t.Before(t.t) {
				return errors.New("RDATE period ends before it starts")
			}
			one := *ev
			one.days, one.exact = 0, end.t.Sub(t.t)
			return x.instance(&one, t.t)
		}); err != nil {
			return fmt.Errorf("RDATE: %w", err)
		}
	}
	rule := m.Props.Get(ical.PropRecurrenceRule)
	if rule == nil {
		return nil
	}
	return x.rrule(rule.Value, ev, func(start time.Time) error {
		if rdates[start.Unix()] {
			return nil
		}
		return emit(start)
	})
}

// instance emits the instance of ev that starts at start if it overlaps
// the window.
func (x *expander) instance(ev *event, start time.Time) error {
	end := ev.end(start)
	overlaps := start.Before(x.to) && end.After(x.from)
	if end.Equal(start) {
		overlaps = !start.Before(x.from) && start.Before(x.to)
	}
	if !overlaps {
		return nil
	}
	return x.emit(instance{start: start.In(x.loc), end: end.In(x.loc), busy: ev.busy, title: ev.title})
}

// exclusions is a set of instance starts: instants, and dates for
// DATE-valued EXDATEs and RECURRENCE-IDs of date-time series, which name
// a whole day of DTSTART's zone.
type exclusions struct {
	instants map[int64]bool
	dates    map[string]bool
}

func (e *exclusions) add(t timeValue) {
	if e.instants == nil {
		e.instants, e.dates = map[int64]bool{}, map[string]bool{}
	}
	e.instants[t.t.Unix()] = true
	if t.date {
		e.dates[t.t.Format("20060102")] = true
	}
}

func (e exclusions) has(start time.Time, frame *time.Location) bool {
	return e.instants[start.Unix()] || e.dates[start.In(frame).Format("20060102")]
}

func (e exclusions) clone() exclusions {
	c := exclusions{instants: map[int64]bool{}, dates: map[string]bool{}}
	for k := range e.instants {
		c.instants[k] = true
	}
	for k := range e.dates {
		c.dates[k] = true
	}
	return c
}

func cancelled(c *ical.Component) bool {
	p := c.Props.Get(ical.PropStatus)
	return p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "CANCELLED")
}

func transparent(c *ical.Component) bool {
	p := c.Props.Get(ical.PropTransparency)
	return p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT")
}

// UnescapeText decodes an iCalendar TEXT value (RFC 5545, 3.3.11): \n and
// \N are line breaks; \\, \; and \, stand for themselves, as do \: and \"
// that some writers add. It is the one unescaper of the calendar
// providers: a SUMMARY, an X-WR-CALNAME. The value is taken as one text,
// not a list, so a comma stays in a title (go-ical's Text would cut
// there), and an unknown escape is kept as it is rather than failing the
// calendar.
func UnescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		case '\\', ';', ',', ':', '"':
			b.WriteByte(s[i])
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
