package schedule

import (
	"fmt"
	"time"
)

// Date is a calendar date without a zone, as written "2026-12-24".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads a date written YYYY-MM-DD. It rejects dates that do not
// exist ("2026-02-30") instead of normalising them.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("schedule: %q is not a date of the form YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the date of t's wall clock in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// AddDays returns the date n calendar days after d (before, for negative n).
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// Before reports whether d comes before e.
func (d Date) Before(e Date) bool {
	return d.days() < e.days()
}

// DaysUntil returns the number of calendar days from d to e (negative if e is before d).
func (d Date) DaysUntil(e Date) int {
	return int(e.days() - d.days())
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return cmp64(d.days(), e.days())
}

// Valid reports whether d is a date of the calendar (not 31 April).
func (d Date) Valid() bool {
	return d.Month >= time.January && d.Month <= time.December && d.Day >= 1 && d.AddDays(0) == d
}

func (d Date) days() int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// Clock is a wall-clock time of day in minutes after midnight, 0 through
// 1440; 1440 ("24:00") means the midnight that ends the day.
type Clock int

// EndOfDay is "24:00", the midnight at the end of a day.
const EndOfDay Clock = 24 * 60

// ParseClock reads "HH:MM" (00:00 to 23:59, and 24:00).
func ParseClock(s string) (Clock, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("schedule: %q is not a time of the form HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("schedule: %q is not a time between 00:00 and 24:00", s)
	}
	return Clock(h*60 + m), nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats c as HH:MM.
func (c Clock) String() string {
	return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60)
}

// At returns the instant at which wall clock c occurs on date d in loc,
// following RFC 5545: a wall time that occurs twice (when clocks fall back)
// means its first occurrence, and a wall time skipped by a gap (when clocks
// spring forward) is read with the offset in force before the gap, so 02:30
// in a 02:00→03:00 gap becomes 03:30. Go's time.Date promises neither.
func At(d Date, c Clock, loc *time.Location) time.Time {
	// The wall time read as if it were UTC; the real instant is this minus
	// the zone's offset.
	wall := time.Date(d.Year, d.Month, d.Day, 0, int(c), 0, 0, time.UTC).Unix()
	// Offsets a day either side bracket any single transition near the wall
	// time (the instant lies within ±14h of wall).
	before := offsetAt(wall-86400, loc)
	after := offsetAt(wall+86400, loc)
	first, second := wall-before, wall-after
	okFirst := offsetAt(first, loc) == before
	okSecond := offsetAt(second, loc) == after
	var unix int64
	switch {
	case okFirst && okSecond:
		unix = min(first, second) // occurs twice: the first occurrence
	case okFirst:
		unix = first
	case okSecond:
		unix = second
	default:
		unix = first // in a gap: the offset in force before it
	}
	return time.Unix(unix, 0).In(loc)
}

func offsetAt(unix int64, loc *time.Location) int64 {
	_, off := time.Unix(unix, 0).In(loc).Zone()
	return int64(off)
}
