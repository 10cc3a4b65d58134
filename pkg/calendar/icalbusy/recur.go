package icalbusy

import (
	"errors"
	"strings"
	"time"

	"github.com/teambition/rrule-go"
)

// The bounds a rule must keep before it is expanded at all.
const (
	maxInterval = 1_000_000
	maxByValues = 400  // entries of one BYxxx list
	maxTimeSet  = 1440 // BYHOUR × BYMINUTE × BYSECOND combinations
	// cycleYears is the Gregorian cycle: 146097 days, exactly 20871 weeks,
	// so shifting a date by it keeps weekday, leap day and week number.
	cycleYears = 400
	// lastYear is where rrule-go stops searching (its MAXYEAR).
	lastYear = 9999
)

// rrule emits the start of every instance of the RRULE value of ev that
// may overlap the window, in order.
//
// rrule-go works on the wall clock of its DTSTART's zone, and it does so
// with time.Date in that zone, which would shift gap times and compare
// instants across DST. So the rule is expanded on "wall time": the wall
// clock of DTSTART's zone written as UTC, where every day has 24 hours,
// and each instance is put back into the zone afterwards.
//
// Bounding: a rule without COUNT is rebased to its last period before the
// window; the whole computation is shifted by whole 400-year cycles so that
// the window lies within 400 years of rrule-go's year 9999, where any
// search for a next instance ends; rules whose time filters can never
// match (on which rrule-go would loop forever) produce nothing; and every
// instance counts against MaxSteps.
func (x *expander) rrule(value string, ev *event, emit func(time.Time) error) error {
	if !ev.start.Before(x.to) {
		return nil // every instance starts at or after DTSTART
	}
	opt, untilRaw, err := parseRule(value)
	if err != nil {
		return err
	}
	if err := checkBounds(opt); err != nil {
		return err
	}
	dt := wall(ev.start, ev.frame)
	if !reachable(opt, dt) {
		return nil
	}
	var until time.Time
	if untilRaw != "" {
		if until, err = parseUntil(untilRaw, ev.frame); err != nil {
			return err
		}
	}
	if opt.Count == 0 {
		// An instance that starts before target cannot reach the window.
		target := wall(x.from, ev.frame).AddDate(0, 0, -ev.days-2).Add(-ev.exact)
		dt = rebase(opt, dt, target)
	} else if dt.Year() < 1583 {
		// Counted from before the Gregorian calendar: nothing real, and
		// expensive to count through.
		return ErrTooComplex
	}
	stop := wall(x.to, ev.frame).AddDate(0, 0, 1)
	shift := max(0, (lastYear-1-stop.Year())/cycleYears*cycleYears)
	// Nothing past stop is wanted; saying so also keeps rrule-go from its
	// default UNTIL of DTSTART + 292 years, which an old rule could reach.
	if until.IsZero() || until.After(stop) {
		until = stop
	}
	opt.Dtstart = dt.AddDate(shift, 0, 0)
	opt.Until = until.AddDate(shift, 0, 0)
	stop = stop.AddDate(shift, 0, 0)
	r, err := rrule.NewRRule(*opt)
	if err != nil {
		return errors.New("invalid RRULE")
	}
	next := r.Iterator()
	for {
		w, ok := next()
		if !ok || w.After(stop) {
			return nil
		}
		if x.steps++; x.steps > MaxSteps {
			return ErrTooComplex
		}
		if err := emit(unwall(w.AddDate(-shift, 0, 0), ev.frame)); err != nil {
			return err
		}
	}
}

// parseRule reads an RRULE value the way go-ical's RecurrenceSet does
// (rrule.StrToROption), after upper-casing it (names are case-insensitive)
// and dropping X- extensions. UNTIL is returned raw: its meaning depends
// on DTSTART's zone, which the parser does not know.
//
// RecurrenceSet itself is not used: it adds the EXDATE values as RDATEs
// (it reads the wrong property), fails on comma-separated EXDATE lists,
// parses UNTIL as UTC and hands rrule-go a DTSTART in its zone.
func parseRule(value string) (*rrule.ROption, string, error) {
	v := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(value)), "RRULE:")
	var parts []string
	var until string
	for _, part := range strings.Split(v, ";") {
		part = strings.TrimSpace(part)
		switch {
		case part == "" || strings.HasPrefix(part, "X-"):
		case strings.HasPrefix(part, "UNTIL="):
			until = strings.TrimPrefix(part, "UNTIL=")
		default:
			parts = append(parts, part)
		}
	}
	opt, err := rrule.StrToROption(strings.Join(parts, ";"))
	if err != nil {
		return nil, "", errors.New("invalid RRULE")
	}
	return opt, until, nil
}

// parseUntil returns UNTIL as wall time of frame. A date includes the whole
// day; a UTC time is converted; a floating time is already wall time.
func parseUntil(s string, frame *time.Location) (time.Time, error) {
	switch {
	case len(s) == len(dateLayout):
		d, err := time.Parse(dateLayout, s)
		if err != nil {
			return time.Time{}, errors.New("invalid RRULE UNTIL")
		}
		return d.Add(24*time.Hour - time.Second), nil
	case strings.HasSuffix(s, "Z"):
		t, err := time.Parse(dateTimeLayout+"Z", s)
		if err != nil {
			return time.Time{}, errors.New("invalid RRULE UNTIL")
		}
		return wall(t, frame), nil
	default:
		t, err := time.Parse(dateTimeLayout, s)
		if err != nil {
			return time.Time{}, errors.New("invalid RRULE UNTIL")
		}
		return t, nil
	}
}

// checkBounds refuses rules whose size alone makes them expensive: each
// period of rrule-go's expansion is generated whole, so the number of
// times a day must stay small.
func checkBounds(o *rrule.ROption) error {
	if o.Interval > maxInterval {
		return ErrTooComplex
	}
	if len(o.Byeaster) > 0 {
		// Not RFC 5545, and Easter does not repeat in 400 years.
		return errors.New("invalid RRULE")
	}
	for _, n := range []int{len(o.Bysetpos), len(o.Bymonth), len(o.Bymonthday), len(o.Byyearday),
		len(o.Byweekno), len(o.Byweekday), len(o.Byhour), len(o.Byminute), len(o.Bysecond)} {
		if n > maxByValues {
			return ErrTooComplex
		}
	}
	if max(1, len(o.Byhour))*max(1, len(o.Byminute))*max(1, len(o.Bysecond)) > maxTimeSet {
		return ErrTooComplex
	}
	return nil
}

// reachable reports whether a sub-daily rule's BYHOUR, BYMINUTE and
// BYSECOND can ever match. rrule-go steps the clock by INTERVAL until they
// do, and loops forever when they cannot (FREQ=HOURLY;INTERVAL=24;BYHOUR=1
// with DTSTART at 00:00). Stepping by INTERVAL units from DTSTART reaches
// exactly the times of day congruent to DTSTART modulo gcd(INTERVAL, units
// per day).
func reachable(o *rrule.ROption, dt time.Time) bool {
	var unit int // seconds
	switch o.Freq {
	case rrule.HOURLY:
		unit = 3600
	case rrule.MINUTELY:
		unit = 60
	case rrule.SECONDLY:
		unit = 1
	default:
		return true
	}
	perDay := 86400 / unit
	g := gcd(max(o.Interval, 1), perDay)
	pos := (dt.Hour()*3600 + dt.Minute()*60 + dt.Second()) / unit
	for p := pos % g; p < perDay; p += g {
		sec := p * unit
		if in(o.Byhour, sec/3600) &&
			(unit > 60 || in(o.Byminute, sec/60%60)) &&
			(unit > 1 || in(o.Bysecond, sec%60)) {
			return true
		}
	}
	return false
}

// rebase moves the wall-time DTSTART dt of a rule without COUNT forward by
// whole periods to at most target, so that expansion does not walk through
// years of instances before the window. The periods are whole days for
// daily and shorter rules (as many as bring a sub-daily rule back to the
// same time of day), whole weeks, or whole months and years where the day
// of month survives the move.
func rebase(o *rrule.ROption, dt, target time.Time) time.Time {
	if !dt.Before(target) {
		return dt
	}
	n := max(o.Interval, 1)
	switch o.Freq {
	case rrule.YEARLY:
		if dt.Month() == time.February && dt.Day() == 29 {
			return dt
		}
		if k := (target.Year() - dt.Year() - 1) / n; k > 0 {
			return dt.AddDate(k*n, 0, 0)
		}
	case rrule.MONTHLY:
		if dt.Day() > 28 {
			return dt
		}
		months := (target.Year()-dt.Year())*12 + int(target.Month()) - int(dt.Month()) - 1
		if k := months / n; k > 0 {
			return dt.AddDate(0, k*n, 0)
		}
	default:
		var period int // days
		switch o.Freq {
		case rrule.WEEKLY:
			period = 7 * n
		case rrule.DAILY:
			period = n
		case rrule.HOURLY:
			period = n / gcd(n, 24)
		case rrule.MINUTELY:
			period = n / gcd(n, 1440)
		default: // SECONDLY
			period = n / gcd(n, 86400)
		}
		days := int(target.Sub(dt) / (24 * time.Hour))
		if k := days / period; k > 0 {
			return dt.AddDate(0, 0, k*period)
		}
	}
	return dt
}

// wall returns the wall clock of t in frame, written as UTC.
func wall(t time.Time, frame *time.Location) time.Time {
	y, m, d := t.In(frame).Date()
	h, mi, s := t.In(frame).Clock()
	return time.Date(y, m, d, h, mi, s, 0, time.UTC)
}

// unwall returns the instant at wall time w in frame.
func unwall(w time.Time, frame *time.Location) time.Time {
	y, m, d := w.Date()
	h, mi, s := w.Clock()
	return time.Date(y, m, d, h, mi, s, 0, frame)
}

func in(list []int, v int) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
