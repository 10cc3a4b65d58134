package holiday

import (
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/aa"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// lang picks which of a rule's names a region shows.
type lang int

const (
	langDE lang = iota
	langFR
	langIT
)

// rule is one holiday: how to find its date in a year, and its name.
type rule struct {
	// names by lang; an empty French or Italian name falls back to German.
	names [3]string
	// date returns the holiday's date in year, or false when the holiday
	// does not occur that year.
	date func(year int) (schedule.Date, bool)
}

func (r rule) nameIn(l lang) string {
	if n := r.names[l]; n != "" {
		return n
	}
	return r.names[langDE]
}

// newRule makes a rule named de, fr, it (fr and it may be left out).
func newRule(date func(year int) (schedule.Date, bool), names ...string) rule {
	var r rule
	copy(r.names[:], names)
	r.date = date
	return r
}

// fromCal adapts a holiday definition of github.com/rickar/cal (its date
// rule, start and end year; not its name).
func fromCal(h *cal.Holiday, names ...string) rule {
	return newRule(func(year int) (schedule.Date, bool) {
		t, _ := h.Calc(year)
		if t.IsZero() {
			return schedule.Date{}, false
		}
		// cal returns midnight in cal.DefaultLoc; where a zone skips or
		// repeats midnight that may be off by an hour either way, so read
		// the date at noon.
		return schedule.DateOf(t.Add(12 * time.Hour)), true
	}, names...)
}

// fixed is a holiday on the same day every year.
func fixed(m time.Month, day int, names ...string) rule {
	return newRule(func(year int) (schedule.Date, bool) {
		return schedule.Date{Year: year, Month: m, Day: day}, true
	}, names...)
}

// since limits r to the years from first on.
func (r rule) since(first int) rule {
	date := r.date
	r.date = func(year int) (schedule.Date, bool) {
		if year < first {
			return schedule.Date{}, false
		}
		return date(year)
	}
	return r
}

// only limits r to the given years.
func (r rule) only(years ...int) rule {
	date := r.date
	r.date = func(year int) (schedule.Date, bool) {
		for _, y := range years {
			if y == year {
				return date(year)
			}
		}
		return schedule.Date{}, false
	}
	return r
}

// unless drops r's date in the years where skip reports true for it.
func (r rule) unless(skip func(schedule.Date) bool) rule {
	date := r.date
	r.date = func(year int) (schedule.Date, bool) {
		d, ok := date(year)
		if !ok || skip(d) {
			return schedule.Date{}, false
		}
		return d, true
	}
	return r
}

// easter returns Easter Sunday (Gregorian) of year, by rickar/cal's rule.
func easter(year int) schedule.Date {
	d, _ := easterRule.date(year)
	return d
}

var easterRule = fromCal(aa.Easter, "Ostersonntag")

// nthWeekday returns the n-th (1-based) given weekday of month m in year.
func nthWeekday(year int, m time.Month, wd time.Weekday, n int) schedule.Date {
	first := schedule.Date{Year: year, Month: m, Day: 1}
	shift := (int(wd) - int(first.Weekday()) + 7) % 7
	return first.AddDays(shift + 7*(n-1))
}
