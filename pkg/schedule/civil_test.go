package schedule

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// zoneCache holds every location a test asked for, so that the property
// tests do not read the zone database on every check.
var zoneCache sync.Map

// fataler is what loadZone needs of a *testing.T, *testing.B or *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// loadZone returns the named location or stops the test.
func loadZone(t fataler, name string) *time.Location {
	t.Helper()
	if loc, ok := zoneCache.Load(name); ok {
		return loc.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time.LoadLocation(%q): %v", name, err)
	}
	zoneCache.Store(name, loc)
	return loc
}

func mustDate(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatalf("ParseDate(%q): %v", s, err)
	}
	return d
}

func mustClock(t testing.TB, s string) Clock {
	t.Helper()
	c, err := ParseClock(s)
	if err != nil {
		t.Fatalf("ParseClock(%q): %v", s, err)
	}
	return c
}

// instantLayout shows an instant as the wall clock and offset it has in its
// location, which tells apart the two 02:30s of an autumn night.
const instantLayout = "2006-01-02 15:04 -07:00"

func TestAt(t *testing.T) {
	tests := []struct {
		name  string
		zone  string
		date  string
		clock string
		want  string // wall clock and offset in zone
	}{
		// Europe/Zurich: 2027-03-28 02:00 CET → 03:00 CEST; 2027-10-31 03:00 CEST → 02:00 CET.
		{"Zurich before the spring gap", "Europe/Zurich", "2027-03-28", "01:59", "2027-03-28 01:59 +01:00"},
		{"Zurich gap start reads as 03:00", "Europe/Zurich", "2027-03-28", "02:00", "2027-03-28 03:00 +02:00"},
		{"Zurich 02:30 in the gap reads as 03:30", "Europe/Zurich", "2027-03-28", "02:30", "2027-03-28 03:30 +02:00"},
		{"Zurich first time after the gap", "Europe/Zurich", "2027-03-28", "03:00", "2027-03-28 03:00 +02:00"},
		{"Zurich 24:00 of a 23-hour day", "Europe/Zurich", "2027-03-28", "24:00", "2027-03-29 00:00 +02:00"},
		{"Zurich before the repeated hour", "Europe/Zurich", "2027-10-31", "01:59", "2027-10-31 01:59 +02:00"},
		{"Zurich repeated 02:00 is the first", "Europe/Zurich", "2027-10-31", "02:00", "2027-10-31 02:00 +02:00"},
		{"Zurich repeated 02:30 is the first", "Europe/Zurich", "2027-10-31", "02:30", "2027-10-31 02:30 +02:00"},
		{"Zurich repeated 02:59 is the first", "Europe/Zurich", "2027-10-31", "02:59", "2027-10-31 02:59 +02:00"},
		{"Zurich after the repeated hour", "Europe/Zurich", "2027-10-31", "03:00", "2027-10-31 03:00 +01:00"},
		{"Zurich 24:00 of a 25-hour day", "Europe/Zurich", "2027-10-31", "24:00", "2027-11-01 00:00 +01:00"},

		// America/New_York: 2027-03-14 02:00 EST → 03:00 EDT; 2027-11-07 02:00 EDT → 01:00 EST.
		{"New York before the spring gap", "America/New_York", "2027-03-14", "01:59", "2027-03-14 01:59 -05:00"},
		{"New York 02:30 in the gap reads as 03:30", "America/New_York", "2027-03-14", "02:30", "2027-03-14 03:30 -04:00"},
		{"New York first time after the gap", "America/New_York", "2027-03-14", "03:00", "2027-03-14 03:00 -04:00"},
		{"New York repeated 01:00 is the first", "America/New_York", "2027-11-07", "01:00", "2027-11-07 01:00 -04:00"},
		{"New York repeated 01:30 is the first", "America/New_York", "2027-11-07", "01:30", "2027-11-07 01:30 -04:00"},
		{"New York after the repeated hour", "America/New_York", "2027-11-07", "02:00", "2027-11-07 02:00 -05:00"},

		// Australia/Lord_Howe, 30-minute DST: 2027-04-04 02:00 +11 → 01:30 +10:30;
		// 2027-10-03 02:00 +10:30 → 02:30 +11.
		{"Lord Howe before the repeated half hour", "Australia/Lord_Howe", "2027-04-04", "01:29", "2027-04-04 01:29 +11:00"},
		{"Lord Howe repeated 01:30 is the first", "Australia/Lord_Howe", "2027-04-04", "01:30", "2027-04-04 01:30 +11:00"},
		{"Lord Howe repeated 01:45 is the first", "Australia/Lord_Howe", "2027-04-04", "01:45", "2027-04-04 01:45 +11:00"},
		{"Lord Howe after the repeated half hour", "Australia/Lord_Howe", "2027-04-04", "02:00", "2027-04-04 02:00 +10:30"},
		{"Lord Howe before the half-hour gap", "Australia/Lord_Howe", "2027-10-03", "01:59", "2027-10-03 01:59 +10:30"},
		{"Lord Howe gap start reads as 02:30", "Australia/Lord_Howe", "2027-10-03", "02:00", "2027-10-03 02:30 +11:00"},
		{"Lord Howe 02:15 in the gap reads as 02:45", "Australia/Lord_Howe", "2027-10-03", "02:15", "2027-10-03 02:45 +11:00"},
		{"Lord Howe first time after the gap", "Australia/Lord_Howe", "2027-10-03", "02:30", "2027-10-03 02:30 +11:00"},

		// Zones whose offset is not whole hours.
		{"Kolkata half-hour offset", "Asia/Kolkata", "2027-06-01", "09:00", "2027-06-01 09:00 +05:30"},
		{"Kolkata 24:00", "Asia/Kolkata", "2027-06-01", "24:00", "2027-06-02 00:00 +05:30"},
		{"Kathmandu quarter-hour offset", "Asia/Kathmandu", "2027-06-01", "09:00", "2027-06-01 09:00 +05:45"},
		{"Kathmandu midnight", "Asia/Kathmandu", "2027-06-01", "00:00", "2027-06-01 00:00 +05:45"},
		{"Chatham spring gap reads with +12:45", "Pacific/Chatham", "2027-09-26", "03:00", "2027-09-26 04:00 +13:45"},
		{"St. John's repeated 01:30 is the first", "America/St_Johns", "2027-11-07", "01:30", "2027-11-07 01:30 -02:30"},

		// Europe/Dublin has "negative DST" (winter is the DST period in
		// the tz data); the offsets are what count.
		{"Dublin spring gap", "Europe/Dublin", "2027-03-28", "01:30", "2027-03-28 02:30 +01:00"},
		{"Dublin repeated hour is the first", "Europe/Dublin", "2027-10-31", "01:30", "2027-10-31 01:30 +01:00"},

		// America/Santiago skips midnight: 2027-09-04 24:00 -04 → 2027-09-05 01:00 -03
		// (time.Date returns 2027-09-04 23:00 for 2027-09-05 00:00), and
		// repeats 23:00–24:00 on 2027-04-03.
		{"Santiago skipped midnight reads as 01:00", "America/Santiago", "2027-09-05", "00:00", "2027-09-05 01:00 -03:00"},
		{"Santiago skipped 00:30 reads as 01:30", "America/Santiago", "2027-09-05", "00:30", "2027-09-05 01:30 -03:00"},
		{"Santiago first time after the gap", "America/Santiago", "2027-09-05", "01:00", "2027-09-05 01:00 -03:00"},
		{"Santiago 24:00 before the gap is the gap's end", "America/Santiago", "2027-09-04", "24:00", "2027-09-05 01:00 -03:00"},
		{"Santiago last minute before the gap", "America/Santiago", "2027-09-04", "23:59", "2027-09-04 23:59 -04:00"},
		{"Santiago repeated 23:30 is the first", "America/Santiago", "2027-04-03", "23:30", "2027-04-03 23:30 -03:00"},
		{"Santiago 24:00 after the repeated hour", "America/Santiago", "2027-04-03", "24:00", "2027-04-04 00:00 -04:00"},
		{"Santiago midnight after the repeated hour", "America/Santiago", "2027-04-04", "00:00", "2027-04-04 00:00 -04:00"},

		// America/Havana skips midnight on 2027-03-14 and repeats
		// 00:00–01:00 on 2027-11-07.
		{"Havana skipped midnight reads as 01:00", "America/Havana", "2027-03-14", "00:00", "2027-03-14 01:00 -04:00"},
		{"Havana 24:00 before the gap", "America/Havana", "2027-03-13", "24:00", "2027-03-14 01:00 -04:00"},
		{"Havana repeated midnight is the first", "America/Havana", "2027-11-07", "00:00", "2027-11-07 00:00 -04:00"},
		{"Havana 24:00 before the repeated hour", "America/Havana", "2027-11-06", "24:00", "2027-11-07 00:00 -04:00"},
		{"Havana repeated 00:30 is the first", "America/Havana", "2027-11-07", "00:30", "2027-11-07 00:30 -04:00"},

		// America/Nuuk skips 23:00–24:00 of 2027-03-27: a wall time of one
		// date becomes an instant of the next.
		{"Nuuk 23:30 in the gap falls on the next date", "America/Nuuk", "2027-03-27", "23:30", "2027-03-28 00:30 -01:00"},
		{"Nuuk 24:00 after the gap", "America/Nuuk", "2027-03-27", "24:00", "2027-03-28 00:00 -01:00"},

		// 24:00 is the next midnight, across month, year and leap day.
		{"24:00 at the end of a year", "UTC", "2027-12-31", "24:00", "2028-01-01 00:00 +00:00"},
		{"24:00 before a leap day", "UTC", "2028-02-28", "24:00", "2028-02-29 00:00 +00:00"},
		{"24:00 on a leap day", "Europe/Zurich", "2028-02-29", "24:00", "2028-03-01 00:00 +01:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := loadZone(t, tt.zone)
			d, c := mustDate(t, tt.date), mustClock(t, tt.clock)
			got := At(d, c, loc)
			if got.Format(instantLayout) != tt.want || got.Location() != loc {
				t.Errorf("At(%v, %v, %s) = %v, want %v", d, c, tt.zone, got.Format(instantLayout), tt.want)
			}
			if ref := refAt(d, c, loc); !ref.Equal(got) {
				t.Errorf("At(%v, %v, %s) = %v, but the reference search finds %v", d, c, tt.zone, got.Format(instantLayout), ref.Format(instantLayout))
			}
		})
	}
}

// TestZoneFacts checks the tz-database transitions the DST tables above
// are built on, so that a changed zone database shows up as its own
// failure instead of as puzzling wrong slots.
func TestZoneFacts(t *testing.T) {
	tests := []struct {
		zone string
		// the last second before a transition and the first after it,
		// as wall clocks with offsets
		before, after string
	}{
		{"Europe/Zurich", "2027-03-28 01:59:59 +01:00", "2027-03-28 03:00:00 +02:00"},
		{"Europe/Zurich", "2027-10-31 02:59:59 +02:00", "2027-10-31 02:00:00 +01:00"},
		{"America/New_York", "2027-03-14 01:59:59 -05:00", "2027-03-14 03:00:00 -04:00"},
		{"America/New_York", "2027-11-07 01:59:59 -04:00", "2027-11-07 01:00:00 -05:00"},
		{"Australia/Lord_Howe", "2027-04-04 01:59:59 +11:00", "2027-04-04 01:30:00 +10:30"},
		{"Australia/Lord_Howe", "2027-10-03 01:59:59 +10:30", "2027-10-03 02:30:00 +11:00"},
		{"America/Santiago", "2027-09-04 23:59:59 -04:00", "2027-09-05 01:00:00 -03:00"},
		{"America/Santiago", "2027-04-03 23:59:59 -03:00", "2027-04-03 23:00:00 -04:00"},
		{"America/Havana", "2027-03-13 23:59:59 -05:00", "2027-03-14 01:00:00 -04:00"},
		{"America/Havana", "2027-11-07 00:59:59 -04:00", "2027-11-07 00:00:00 -05:00"},
		{"America/Nuuk", "2027-03-27 22:59:59 -02:00", "2027-03-28 00:00:00 -01:00"},
		{"Pacific/Chatham", "2027-09-26 02:44:59 +12:45", "2027-09-26 03:45:00 +13:45"},
	}
	const layout = "2006-01-02 15:04:05 -07:00"
	for _, tt := range tests {
		loc := loadZone(t, tt.zone)
		before, err := time.Parse(layout, tt.before)
		if err != nil {
			t.Fatal(err)
		}
		_, end := before.In(loc).ZoneBounds()
		got := []string{end.Add(-time.Second).In(loc).Format(layout), end.In(loc).Format(layout)}
		if want := []string{tt.before, tt.after}; !slices.Equal(got, want) {
			t.Errorf("%s: transition after %s is %v, want %v", tt.zone, tt.before, got, want)
		}
	}
	for _, zone := range []string{"Asia/Kolkata", "Asia/Kathmandu"} {
		loc := loadZone(t, zone)
		_, end := time.Date(2026, 1, 1, 0, 0, 0, 0, loc).ZoneBounds()
		if !end.IsZero() && end.Year() < 2029 {
			t.Errorf("%s: unexpected transition at %v", zone, end)
		}
	}
}

func TestParseClock(t *testing.T) {
	good := []struct {
		in   string
		want Clock
	}{
		{"00:00", 0},
		{"00:01", 1},
		{"08:30", 8*60 + 30},
		{"23:59", 23*60 + 59},
		{"24:00", EndOfDay},
	}
	for _, tt := range good {
		got, err := ParseClock(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseClock(%q) = %v, %v, want %v, nil", tt.in, got, err, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("ParseClock(%q).String() = %q, want %q", tt.in, got.String(), tt.in)
		}
	}
	bad := []string{"", "24:01", "24:30", "25:00", "7:00", "07:0", "07:000", "12:60", "99:99",
		"12-30", "1230", " 9:00", "+1:00", "-1:00", "12:3a", "a2:30", "12:30\n", "１２:30"}
	for _, in := range bad {
		if got, err := ParseClock(in); err == nil {
			t.Errorf("ParseClock(%q) = %v, nil, want an error", in, got)
		}
	}
}

func TestParseDate(t *testing.T) {
	good := []struct {
		in   string
		want Date
	}{
		{"2026-12-24", Date{2026, time.December, 24}},
		{"2028-02-29", Date{2028, time.February, 29}},
		{"2027-01-01", Date{2027, time.January, 1}},
	}
	for _, tt := range good {
		got, err := ParseDate(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v, want %v, nil", tt.in, got, err, tt.want)
		}
		if got.String() != tt.in {
			t.Errorf("ParseDate(%q).String() = %q, want %q", tt.in, got.String(), tt.in)
		}
	}
	bad := []string{"", "2026-02-30", "2027-02-29", "2026-04-31", "2026-13-01", "2026-00-10",
		"2026-01-00", "2026-1-01", "2026-01-1", "26-01-01", "2026/01/01", "2026-01-01T00:00:00Z",
		" 2026-01-01", "2026-01-01 "}
	for _, in := range bad {
		if got, err := ParseDate(in); err == nil {
			t.Errorf("ParseDate(%q) = %v, nil, want an error", in, got)
		}
	}
}

func TestDateOf(t *testing.T) {
	// 2027-06-01 23:30 UTC is already June 2 in Zurich and still June 1 in New York.
	instant := time.Date(2027, 6, 1, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		zone string
		want Date
	}{
		{"UTC", Date{2027, time.June, 1}},
		{"Europe/Zurich", Date{2027, time.June, 2}},
		{"America/New_York", Date{2027, time.June, 1}},
	}
	for _, tt := range tests {
		if got := DateOf(instant.In(loadZone(t, tt.zone))); got != tt.want {
			t.Errorf("DateOf(%v in %s) = %v, want %v", instant, tt.zone, got, tt.want)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	addDays := []struct {
		d    string
		n    int
		want string
	}{
		{"2027-06-01", 0, "2027-06-01"},
		{"2027-06-01", 1, "2027-06-02"},
		{"2027-06-30", 1, "2027-07-01"},
		{"2027-12-31", 1, "2028-01-01"},
		{"2028-02-28", 1, "2028-02-29"},
		{"2027-02-28", 1, "2027-03-01"},
		{"2027-03-01", -1, "2027-02-28"},
		{"2027-06-01", 61, "2027-08-01"},
		{"2027-03-27", 2, "2027-03-29"}, // across a DST change: calendar days, not 24 hours
	}
	for _, tt := range addDays {
		d := mustDate(t, tt.d)
		if got := d.AddDays(tt.n).String(); got != tt.want {
			t.Errorf("%v.AddDays(%d) = %v, want %v", d, tt.n, got, tt.want)
		}
		want := mustDate(t, tt.want)
		if got := d.DaysUntil(want); got != tt.n {
			t.Errorf("%v.DaysUntil(%v) = %d, want %d", d, want, got, tt.n)
		}
		if got := d.Before(want); got != (tt.n > 0) {
			t.Errorf("%v.Before(%v) = %v, want %v", d, want, got, tt.n > 0)
		}
	}
	weekdays := []struct {
		d    string
		want time.Weekday
	}{
		{"2027-06-01", time.Tuesday},
		{"2027-03-28", time.Sunday},
		{"2028-02-29", time.Tuesday},
		{"1969-12-31", time.Wednesday},
	}
	for _, tt := range weekdays {
		if got := mustDate(t, tt.d).Weekday(); got != tt.want {
			t.Errorf("%s.Weekday() = %v, want %v", tt.d, got, tt.want)
		}
	}
}

// refAt is the test's own reading of wall clock c on date d in loc,
// written without At's trick of bracketing offsets: it lists the zone's
// periods around the date with ZoneBounds and looks for the wall clock in
// each period's span of local time. A wall time shown by several periods
// means the earliest instant; one shown by none lies in a gap and is read
// with the offset of the period before the gap.
func refAt(d Date, c Clock, loc *time.Location) time.Time {
	wall := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() + int64(c)*60
	type period struct {
		start, end int64 // instants; math extremes when unbounded
		offset     int64
	}
	var periods []period
	t := time.Unix(wall-3*86400, 0).In(loc)
	for {
		_, off := t.Zone()
		start, end := t.ZoneBounds()
		p := period{start: -1 << 62, end: 1 << 62, offset: int64(off)}
		if !start.IsZero() {
			p.start = start.Unix()
		}
		if !end.IsZero() {
			p.end = end.Unix()
		}
		periods = append(periods, p)
		if end.IsZero() || end.Unix() > wall+3*86400 {
			break
		}
		t = end.In(loc)
	}
	best, found := int64(0), false
	for _, p := range periods {
		if p.start+p.offset <= wall && wall < p.end+p.offset {
			if u := wall - p.offset; !found || u < best {
				best, found = u, true
			}
		}
	}
	if !found {
		for i := 0; i+1 < len(periods); i++ {
			p, next := periods[i], periods[i+1]
			if p.end+p.offset <= wall && wall < p.end+next.offset {
				best, found = wall-p.offset, true
				break
			}
		}
	}
	if !found {
		panic("refAt: " + d.String() + " " + c.String() + " is in no period of " + loc.String())
	}
	return time.Unix(best, 0).In(loc)
}
