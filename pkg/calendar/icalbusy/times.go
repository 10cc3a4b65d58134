package icalbusy

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/slotbook/slotbook/pkg/calendar/tzname"
)

// timeValue is one parsed DATE or DATE-TIME value.
type timeValue struct {
	t     time.Time
	date  bool           // VALUE=DATE: midnight in the caller's zone
	frame *time.Location // the zone whose wall clock the value is in
}

const (
	dateLayout     = "20060102"
	dateTimeLayout = "20060102T150405"
)

// parseTime reads a DTSTART, DTEND or RECURRENCE-ID property.
func (x *expander) parseTime(p *ical.Prop) (timeValue, error) {
	return x.parseValue(p, p.Value)
}

// parseValue reads one DATE or DATE-TIME value with the parameters of p.
// Errors name the problem, never the value.
func (x *expander) parseValue(p *ical.Prop, v string) (timeValue, error) {
	v = strings.ToUpper(strings.TrimSpace(v))
	vt := strings.ToUpper(p.Params.Get(ical.ParamValue))
	if vt == string(ical.ValueDate) || (vt == "" && len(v) == len(dateLayout)) {
		t, err := time.ParseInLocation(dateLayout, v, x.loc)
		if err != nil {
			return timeValue{}, errors.New("invalid date")
		}
		return timeValue{t: t, date: true, frame: x.loc}, nil
	}
	if vt != "" && vt != string(ical.ValueDateTime) && vt != string(ical.ValuePeriod) {
		return timeValue{}, errors.New("unsupported value type")
	}
	if strings.HasSuffix(v, "Z") {
		t, err := time.ParseInLocation(dateTimeLayout+"Z", v, time.UTC)
		if err != nil {
			return timeValue{}, errors.New("invalid date-time")
		}
		return timeValue{t: t, frame: time.UTC}, nil
	}
	frame := x.loc
	if tzid := p.Params.Get(ical.ParamTimezoneID); tzid != "" {
		var err error
		if frame, err = x.zone(tzid); err != nil {
			return timeValue{}, err
		}
	}
	// A wall-clock time in a spring-forward gap comes out an hour later,
	// which is what RFC 5545 asks for (the offset before the gap).
	t, err := time.ParseInLocation(dateTimeLayout, v, frame)
	if err != nil {
		return timeValue{}, errors.New("invalid date-time")
	}
	return timeValue{t: t, frame: frame}, nil
}

// eachValue calls fn for each value of a multi-valued EXDATE or RDATE
// property; end is set for PERIOD values (start/end or start/duration).
func (x *expander) eachValue(p *ical.Prop, fn func(t timeValue, end *timeValue) error) error {
	for _, v := range strings.Split(p.Value, ",") {
		if strings.TrimSpace(v) == "" {
			continue
		}
		start, rest, isPeriod := strings.Cut(v, "/")
		t, err := x.parseValue(p, start)
		if err != nil {
			return err
		}
		if !isPeriod {
			if err := fn(t, nil); err != nil {
				return err
			}
			continue
		}
		rest = strings.TrimSpace(rest)
		var end timeValue
		if strings.HasPrefix(strings.TrimLeft(rest, "+-"), "P") {
			days, exact, err := parseDuration(rest)
			if err != nil {
				return err
			}
			end = timeValue{t: t.t.In(t.frame).AddDate(0, 0, days).Add(exact), frame: t.frame}
		} else if end, err = x.parseValue(p, rest); err != nil {
			return err
		}
		if err := fn(t, &end); err != nil {
			return err
		}
	}
	return nil
}

// parseDuration reads an RFC 5545 DURATION: weeks and days nominal, the
// time part exact. Negative and absurdly long durations are errors.
func parseDuration(s string) (days int, exact time.Duration, err error) {
	bad := errors.New("invalid duration")
	s = strings.ToUpper(strings.TrimSpace(s))
	if strings.HasPrefix(s, "-") {
		return 0, 0, errors.New("negative duration")
	}
	s = strings.TrimPrefix(s, "+")
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, 0, bad
	}
	s = s[1:]
	var secs int64
	inTime := false
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return 0, 0, bad
			}
			inTime, s = true, s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 8 || i == len(s) {
			return 0, 0, bad
		}
		n, _ := strconv.Atoi(s[:i])
		unit := s[i]
		s = s[i+1:]
		switch {
		case !inTime && unit == 'W':
			days += 7 * n
		case !inTime && unit == 'D':
			days += n
		case inTime && unit == 'H':
			secs += int64(n) * 3600
		case inTime && unit == 'M':
			secs += int64(n) * 60
		case inTime && unit == 'S':
			secs += int64(n)
		default:
			return 0, 0, bad
		}
	}
	const maxDays = 100 * 366
	if days > maxDays || secs > maxDays*86400 {
		return 0, 0, errors.New("duration too long")
	}
	return days, time.Duration(secs) * time.Second, nil
}

// daysBetween returns the number of calendar days from date a to date b.
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	d := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC))
	return int(d / (24 * time.Hour))
}

// zone resolves a TZID parameter, once per call.
func (x *expander) zone(tzid string) (*time.Location, error) {
	loc, seen := x.zones[tzid]
	if !seen {
		loc, _ = tzname.Resolve(tzid)
		x.zones[tzid] = loc
	}
	if loc == nil {
		return nil, errors.New("unknown time zone in TZID")
	}
	return loc, nil
}
