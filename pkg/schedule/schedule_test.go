package schedule

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// hours reads working hours written "08:00-12:00"; it panics on a typo in
// the test data.
func hours(specs ...string) []Range {
	out := make([]Range, 0, len(specs))
	for _, s := range specs {
		start, end, ok := strings.Cut(s, "-")
		a, errA := ParseClock(start)
		b, errB := ParseClock(end)
		if !ok || errA != nil || errB != nil {
			panic("bad hours " + s)
		}
		out = append(out, Range{a, b})
	}
	return out
}

// everyDay returns availability with the same hours on all seven weekdays.
func everyDay(specs ...string) Availability {
	var a Availability
	for wd := range a.Weekly {
		a.Weekly[wd] = hours(specs...)
	}
	return a
}

// with returns a with the given date overrides added.
func with(a Availability, overrides map[string][]Range) Availability {
	a.Overrides = map[Date][]Range{}
	for s, r := range overrides {
		d, err := ParseDate(s)
		if err != nil {
			panic(err)
		}
		a.Overrides[d] = r
	}
	return a
}

// instant reads "2006-01-02 15:04" as a wall clock in loc, or
// "2006-01-02 15:04 -07:00" with an explicit offset (for the hour that
// occurs twice); it panics on a typo in the test data.
func instant(loc *time.Location, s string) time.Time {
	var t time.Time
	var err error
	if len(s) > len("2006-01-02 15:04") {
		t, err = time.Parse(instantLayout, s)
	} else {
		t, err = time.ParseInLocation("2006-01-02 15:04", s, loc)
	}
	if err != nil {
		panic(err)
	}
	return t.In(loc)
}

// query returns the query of one employee in zone with the given hours,
// asked for the dates from–to by a viewer in the same zone: hour-long
// services on an hourly grid, no buffers, nothing busy, asked long before
// with a ten-year horizon. Cases change what they are about.
func query(zone *time.Location, from, to string, a Availability, change ...func(*Query)) Query {
	f, errF := ParseDate(from)
	l, errL := ParseDate(to)
	if errF != nil || errL != nil {
		panic("bad dates " + from + " " + to)
	}
	q := Query{
		Zone:         zone,
		Availability: a,
		Duration:     time.Hour,
		Step:         time.Hour,
		Now:          time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC),
		HorizonDays:  3650,
		From:         f,
		To:           l,
		Viewer:       zone,
	}
	for _, c := range change {
		c(&q)
	}
	return q
}

func step(d time.Duration) func(*Query) {
	return func(q *Query) { q.Step = d }
}

func duration(d time.Duration) func(*Query) {
	return func(q *Query) { q.Duration = d }
}

// grid sets both the booking interval and the service length.
func grid(d time.Duration) func(*Query) {
	return func(q *Query) { q.Step, q.Duration = d, d }
}

func buffers(before, after time.Duration) func(*Query) {
	return func(q *Query) { q.BufferBefore, q.BufferAfter = before, after }
}

func busy(loc *time.Location, spans ...string) func(*Query) {
	return func(q *Query) {
		for _, s := range spans {
			start, end, _ := strings.Cut(s, " / ")
			q.Busy = append(q.Busy, Interval{instant(loc, start), instant(loc, end)})
		}
	}
}

func booking(loc *time.Location, start, end string, before, after time.Duration) func(*Query) {
	return func(q *Query) {
		q.Bookings = append(q.Bookings, Booking{instant(loc, start), instant(loc, end), before, after})
	}
}

// closed closes whole dates of loc: "2027-12-24" or "2027-12-24/2028-01-02"
// (both inclusive), from 00:00 of the first to 24:00 of the last.
func closed(loc *time.Location, ranges ...string) func(*Query) {
	return func(q *Query) {
		for _, r := range ranges {
			a, b, ok := strings.Cut(r, "/")
			if !ok {
				b = a
			}
			first, errA := ParseDate(a)
			last, errB := ParseDate(b)
			if errA != nil || errB != nil {
				panic("bad closure " + r)
			}
			q.Closed = append(q.Closed, Interval{At(first, 0, loc), At(last.AddDays(1), 0, loc)})
		}
	}
}

func now(t time.Time, notice time.Duration) func(*Query) {
	return func(q *Query) { q.Now, q.MinNotice = t, notice }
}

func horizon(days int) func(*Query) {
	return func(q *Query) { q.HorizonDays = days }
}

func viewer(loc *time.Location) func(*Query) {
	return func(q *Query) { q.Viewer = loc }
}

// Layouts of the wanted slot starts, in the viewer's zone.
const (
	clockLayout = "15:04 -07:00"
	dayLayout   = "01-02 15:04 -07:00"
)

func TestSlots(t *testing.T) {
	zurich := loadZone(t, "Europe/Zurich")
	newYork := loadZone(t, "America/New_York")
	lordHowe := loadZone(t, "Australia/Lord_Howe")
	kolkata := loadZone(t, "Asia/Kolkata")
	kathmandu := loadZone(t, "Asia/Kathmandu")
	havana := loadZone(t, "America/Havana")
	santiago := loadZone(t, "America/Santiago")
	const m = time.Minute

	tests := []struct {
		name   string
		q      Query
		layout string // of want; clockLayout if empty
		want   []string
	}{
		// Plain days. 2027-06-01 is a Tuesday.
		{
			name: "plain day offers every hour the service fits in",
			q:    query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-11:30")),
			want: []string{"09:00 +02:00", "10:00 +02:00"},
		},
		{
			name: "split day offers slots in both ranges",
			q:    query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-11:00", "13:00-15:00")),
			want: []string{"09:00 +02:00", "10:00 +02:00", "13:00 +02:00", "14:00 +02:00"},
		},
		{
			name: "weekday without hours offers nothing",
			q: query(zurich, "2027-06-01", "2027-06-01", Availability{Weekly: [7][]Range{
				time.Monday: hours("09:00-17:00"), time.Wednesday: hours("09:00-17:00"),
			}}),
			want: nil,
		},

		// Closed dates: no availability, whatever the hours say.
		{
			name:   "a closure on the spring-forward Sunday closes all of its 23 hours, and only them",
			q:      query(zurich, "2027-03-27", "2027-03-29", everyDay("00:00-01:00", "23:00-24:00"), closed(zurich, "2027-03-28")),
			layout: dayLayout,
			want:   []string{"03-27 00:00 +01:00", "03-27 23:00 +01:00", "03-29 00:00 +02:00", "03-29 23:00 +02:00"},
		},
		{
			name:   "a closure on the fall-back Sunday closes all of its 25 hours, and only them",
			q:      query(zurich, "2027-10-30", "2027-11-01", everyDay("00:00-01:00", "23:00-24:00"), closed(zurich, "2027-10-31")),
			layout: dayLayout,
			want:   []string{"10-30 00:00 +02:00", "10-30 23:00 +02:00", "11-01 00:00 +01:00", "11-01 23:00 +01:00"},
		},
		{
			name: "a closure wins over a date's override",
			q: query(zurich, "2027-06-01", "2027-06-03", with(everyDay("09:00-11:00"), map[string][]Range{"2027-06-02": hours("13:00-15:00")}),
				closed(zurich, "2027-06-02")),
			layout: dayLayout,
			want:   []string{"06-01 09:00 +02:00", "06-01 10:00 +02:00", "06-03 09:00 +02:00", "06-03 10:00 +02:00"},
		},
		{
			name:   "a closure across the year end",
			q:      query(zurich, "2027-12-23", "2028-01-03", everyDay("09:00-10:00"), closed(zurich, "2027-12-24/2028-01-02")),
			layout: dayLayout,
			want:   []string{"12-23 09:00 +01:00", "01-03 09:00 +01:00"},
		},
		{
			name: "a slot may not run into a closed date, but its buffer may",
			q:    query(zurich, "2027-06-01", "2027-06-01", everyDay("22:00-24:00"), buffers(0, 30*m), closed(zurich, "2027-06-02")),
			want: []string{"22:00 +02:00", "23:00 +02:00"},
		},
		{
			name: "a closed date in the company's zone is closed in the employee's zone too",
			q: query(newYork, "2027-06-01", "2027-06-02", everyDay("17:00-19:00"),
				closed(zurich, "2027-06-02")), // Zurich's 2 June is 18:00 on 1 June to 18:00 on 2 June in New York
			layout: dayLayout,
			want:   []string{"06-01 17:00 -04:00", "06-02 18:00 -04:00"},
		},

		// Spring-forward and fall-back days.
		{
			name: "Zurich spring-forward day is 23 hours long",
			q:    query(zurich, "2027-03-28", "2027-03-28", everyDay("00:00-24:00")),
			want: []string{"00:00 +01:00", "01:00 +01:00", "03:00 +02:00", "04:00 +02:00", "05:00 +02:00",
				"06:00 +02:00", "07:00 +02:00", "08:00 +02:00", "09:00 +02:00", "10:00 +02:00", "11:00 +02:00",
				"12:00 +02:00", "13:00 +02:00", "14:00 +02:00", "15:00 +02:00", "16:00 +02:00", "17:00 +02:00",
				"18:00 +02:00", "19:00 +02:00", "20:00 +02:00", "21:00 +02:00", "22:00 +02:00", "23:00 +02:00"},
		},
		{
			name: "Zurich fall-back day is 25 hours long",
			q:    query(zurich, "2027-10-31", "2027-10-31", everyDay("00:00-24:00")),
			want: []string{"00:00 +02:00", "01:00 +02:00", "02:00 +02:00", "02:00 +01:00", "03:00 +01:00",
				"04:00 +01:00", "05:00 +01:00", "06:00 +01:00", "07:00 +01:00", "08:00 +01:00", "09:00 +01:00",
				"10:00 +01:00", "11:00 +01:00", "12:00 +01:00", "13:00 +01:00", "14:00 +01:00", "15:00 +01:00",
				"16:00 +01:00", "17:00 +01:00", "18:00 +01:00", "19:00 +01:00", "20:00 +01:00", "21:00 +01:00",
				"22:00 +01:00", "23:00 +01:00"},
		},
		{
			name: "New York spring-forward day is 23 hours long",
			q:    query(newYork, "2027-03-14", "2027-03-14", everyDay("00:00-24:00")),
			want: []string{"00:00 -05:00", "01:00 -05:00", "03:00 -04:00", "04:00 -04:00", "05:00 -04:00",
				"06:00 -04:00", "07:00 -04:00", "08:00 -04:00", "09:00 -04:00", "10:00 -04:00", "11:00 -04:00",
				"12:00 -04:00", "13:00 -04:00", "14:00 -04:00", "15:00 -04:00", "16:00 -04:00", "17:00 -04:00",
				"18:00 -04:00", "19:00 -04:00", "20:00 -04:00", "21:00 -04:00", "22:00 -04:00", "23:00 -04:00"},
		},
		{
			name: "New York fall-back day is 25 hours long",
			q:    query(newYork, "2027-11-07", "2027-11-07", everyDay("00:00-24:00")),
			want: []string{"00:00 -04:00", "01:00 -04:00", "01:00 -05:00", "02:00 -05:00", "03:00 -05:00",
				"04:00 -05:00", "05:00 -05:00", "06:00 -05:00", "07:00 -05:00", "08:00 -05:00", "09:00 -05:00",
				"10:00 -05:00", "11:00 -05:00", "12:00 -05:00", "13:00 -05:00", "14:00 -05:00", "15:00 -05:00",
				"16:00 -05:00", "17:00 -05:00", "18:00 -05:00", "19:00 -05:00", "20:00 -05:00", "21:00 -05:00",
				"22:00 -05:00", "23:00 -05:00"},
		},
		{
			name: "hours across the spring gap last two real hours",
			q:    query(zurich, "2027-03-28", "2027-03-28", everyDay("01:00-04:00"), grid(30*m)),
			want: []string{"01:00 +01:00", "01:30 +01:00", "03:00 +02:00", "03:30 +02:00"},
		},
		{
			name: "hours across the repeated hour last four real hours",
			q:    query(zurich, "2027-10-31", "2027-10-31", everyDay("01:00-04:00"), grid(30*m)),
			want: []string{"01:00 +02:00", "01:30 +02:00", "02:00 +02:00", "02:30 +02:00",
				"02:00 +01:00", "02:30 +01:00", "03:00 +01:00", "03:30 +01:00"},
		},
		{
			name: "hours starting in the spring gap start an hour later",
			q:    query(zurich, "2027-03-28", "2027-03-28", everyDay("02:30-05:00"), duration(30*m)),
			want: []string{"03:30 +02:00", "04:30 +02:00"},
		},
		{
			name: "hours ending in the spring gap end an hour later",
			q:    query(zurich, "2027-03-28", "2027-03-28", everyDay("00:00-02:30"), grid(30*m)),
			want: []string{"00:00 +01:00", "00:30 +01:00", "01:00 +01:00", "01:30 +01:00", "03:00 +02:00"},
		},
		{
			name: "New York hours across the spring gap last two real hours",
			q:    query(newYork, "2027-03-14", "2027-03-14", everyDay("01:00-04:00")),
			want: []string{"01:00 -05:00", "03:00 -04:00"},
		},
		{
			name: "New York hours across the repeated hour last four real hours",
			q:    query(newYork, "2027-11-07", "2027-11-07", everyDay("00:30-03:30")),
			want: []string{"00:30 -04:00", "01:30 -04:00", "01:30 -05:00", "02:30 -05:00"},
		},
		{
			name: "Havana date whose midnight is skipped starts at 01:00",
			q:    query(havana, "2027-03-14", "2027-03-14", everyDay("00:00-03:00")),
			want: []string{"01:00 -04:00", "02:00 -04:00"},
		},
		{
			name: "Santiago evening before a midnight fall-back is four hours long",
			q:    query(santiago, "2027-04-03", "2027-04-03", everyDay("21:00-24:00")),
			want: []string{"21:00 -03:00", "22:00 -03:00", "23:00 -03:00", "23:00 -04:00"},
		},

		{
			name: "Nuuk hours read past the gap at the end of a day join the next day's window",
			q: query(loadZone(t, "America/Nuuk"), "2027-03-27", "2027-03-28", with(Availability{},
				map[string][]Range{"2027-03-27": hours("22:00-23:30"), "2027-03-28": hours("00:00-02:00")}),
				grid(45*m)),
			// 23:00–24:00 of the 27th is skipped: 23:30 reads as 00:30 -01:00
			// of the 28th, inside the 28th's hours; one grid from 22:00 -02:00.
			layout: dayLayout,
			want:   []string{"03-27 22:00 -02:00", "03-27 22:45 -02:00", "03-28 00:30 -01:00", "03-28 01:15 -01:00"},
		},

		// Offsets that are not whole hours.
		{
			name: "Kolkata grid runs from the window start in local time",
			q:    query(kolkata, "2027-06-01", "2027-06-01", everyDay("09:00-11:00"), step(45*m), duration(30*m)),
			want: []string{"09:00 +05:30", "09:45 +05:30", "10:30 +05:30"},
		},
		{
			name: "Kathmandu hours seen from UTC start at a quarter past",
			q: query(kathmandu, "2027-06-01", "2027-06-01", everyDay("09:00-11:00"),
				viewer(time.UTC)),
			want: []string{"03:15 +00:00", "04:15 +00:00"},
		},
		{
			name: "Kathmandu grid runs from the window start in local time",
			q:    query(kathmandu, "2027-06-01", "2027-06-01", everyDay("08:50-10:00"), grid(20*m)),
			want: []string{"08:50 +05:45", "09:10 +05:45", "09:30 +05:45"},
		},

		// Lord Howe changes its clocks by 30 minutes.
		{
			name: "Lord Howe autumn day repeats half an hour",
			q:    query(lordHowe, "2027-04-04", "2027-04-04", everyDay("01:00-03:00"), grid(30*m)),
			want: []string{"01:00 +11:00", "01:30 +11:00", "01:30 +10:30", "02:00 +10:30", "02:30 +10:30"},
		},
		{
			name: "Lord Howe spring day skips half an hour",
			q:    query(lordHowe, "2027-10-03", "2027-10-03", everyDay("01:00-04:00"), grid(30*m)),
			want: []string{"01:00 +10:30", "01:30 +10:30", "02:30 +11:00", "03:00 +11:00", "03:30 +11:00"},
		},
		{
			name: "Lord Howe hours starting in the gap start half an hour later",
			q:    query(lordHowe, "2027-10-03", "2027-10-03", everyDay("02:15-03:15"), grid(15*m)),
			want: []string{"02:45 +11:00", "03:00 +11:00"},
		},

		// The viewer's zone selects the dates and shows the times.
		{
			name: "New York viewer gets the slots of the New York date",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-17:00"),
				step(2*time.Hour), viewer(newYork)),
			layout: dayLayout,
			want:   []string{"06-01 03:00 -04:00", "06-01 05:00 -04:00", "06-01 07:00 -04:00", "06-01 09:00 -04:00"},
		},
		{
			name: "Zurich viewer gets New York evenings of two New York dates",
			q: query(newYork, "2027-06-01", "2027-06-01", everyDay("16:00-20:00"),
				viewer(zurich)),
			layout: dayLayout,
			want:   []string{"06-01 00:00 +02:00", "06-01 01:00 +02:00", "06-01 22:00 +02:00", "06-01 23:00 +02:00"},
		},
		{
			name: "New York viewer sees Zurich 09:00 at 04:00 between the two DST changes",
			q: query(zurich, "2027-03-20", "2027-03-20", everyDay("09:00-10:00"),
				viewer(newYork)),
			want: []string{"04:00 -04:00"},
		},
		{
			name: "viewer date ending at a skipped midnight ends at the gap",
			q: query(zurich, "2027-09-04", "2027-09-04", everyDay("05:00-07:00"),
				viewer(santiago)),
			// Santiago's 2027-09-04 runs from 00:00 -04:00 to 01:00 -03:00
			// on the 5th, both 06:00 in Zurich: it holds 06:00 Zurich of
			// the 4th and 05:00 Zurich of the 5th (23:00 -04:00), but not
			// 06:00 Zurich of the 5th (01:00 -03:00 of the 5th).
			layout: dayLayout,
			want:   []string{"09-04 00:00 -04:00", "09-04 23:00 -04:00"},
		},

		// Date overrides.
		{
			name: "override replaces the weekday's hours",
			q: query(zurich, "2027-06-01", "2027-06-01", with(everyDay("09:00-12:00"),
				map[string][]Range{"2027-06-01": hours("14:00-16:00")})),
			want: []string{"14:00 +02:00", "15:00 +02:00"},
		},
		{
			name: "empty override is a day off",
			q: query(zurich, "2027-06-01", "2027-06-02", with(everyDay("09:00-11:00"),
				map[string][]Range{"2027-06-01": {}})),
			layout: dayLayout,
			want:   []string{"06-02 09:00 +02:00", "06-02 10:00 +02:00"},
		},
		{
			name: "override gives hours to a weekday without hours",
			q: query(zurich, "2027-06-01", "2027-06-01", with(Availability{},
				map[string][]Range{"2027-06-01": hours("10:00-11:00")})),
			want: []string{"10:00 +02:00"},
		},

		// Busy times and midnight.
		{
			name: "absence across midnight blocks both days",
			q: query(zurich, "2027-06-01", "2027-06-02", everyDay("00:00-24:00"), grid(2*time.Hour),
				busy(zurich, "2027-06-01 22:00 / 2027-06-02 02:00")),
			layout: dayLayout,
			want: []string{"06-01 00:00 +02:00", "06-01 02:00 +02:00", "06-01 04:00 +02:00", "06-01 06:00 +02:00",
				"06-01 08:00 +02:00", "06-01 10:00 +02:00", "06-01 12:00 +02:00", "06-01 14:00 +02:00",
				"06-01 16:00 +02:00", "06-01 18:00 +02:00", "06-01 20:00 +02:00",
				"06-02 02:00 +02:00", "06-02 04:00 +02:00", "06-02 06:00 +02:00", "06-02 08:00 +02:00",
				"06-02 10:00 +02:00", "06-02 12:00 +02:00", "06-02 14:00 +02:00", "06-02 16:00 +02:00",
				"06-02 18:00 +02:00", "06-02 20:00 +02:00", "06-02 22:00 +02:00"},
		},
		{
			name: "last slot runs on past midnight into the next date's hours",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("00:00-24:00"),
				grid(100*m)),
			want: []string{"00:00 +02:00", "01:40 +02:00", "03:20 +02:00", "05:00 +02:00", "06:40 +02:00",
				"08:20 +02:00", "10:00 +02:00", "11:40 +02:00", "13:20 +02:00", "15:00 +02:00", "16:40 +02:00",
				"18:20 +02:00", "20:00 +02:00", "21:40 +02:00", "23:20 +02:00"},
		},
		{
			name: "slot cannot run on past midnight into a day off",
			q: query(zurich, "2027-06-01", "2027-06-01", with(everyDay("00:00-24:00"),
				map[string][]Range{"2027-06-02": nil}), grid(100*m)),
			want: []string{"00:00 +02:00", "01:40 +02:00", "03:20 +02:00", "05:00 +02:00", "06:40 +02:00",
				"08:20 +02:00", "10:00 +02:00", "11:40 +02:00", "13:20 +02:00", "15:00 +02:00", "16:40 +02:00",
				"18:20 +02:00", "20:00 +02:00", "21:40 +02:00"},
		},
		{
			name: "service longer than a day runs on across several dates",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("00:00-24:00"),
				step(12*time.Hour), duration(64*time.Hour)),
			// 12:00 runs to 04:00 on the 4th.
			want: []string{"00:00 +02:00", "12:00 +02:00"},
		},
		{
			name: "service longer than a day needs hours without a break",
			q: query(zurich, "2027-06-01", "2027-06-01", with(everyDay("00:00-24:00"),
				map[string][]Range{"2027-06-03": hours("00:00-12:00")}),
				step(12*time.Hour), duration(50*time.Hour)),
			// 00:00 runs to 02:00 on the 3rd; 12:00 would run to 14:00.
			want: []string{"00:00 +02:00"},
		},
		{
			name: "slot may touch busy time on both sides",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-10:00"), grid(30*m),
				busy(zurich, "2027-06-01 09:00 / 2027-06-01 09:30")),
			want: []string{"08:00 +02:00", "08:30 +02:00", "09:30 +02:00"},
		},
		{
			name: "busy time ending a fraction of a second late blocks the slot",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-10:00"), grid(30*m),
				func(q *Query) {
					q.Busy = []Interval{{instant(zurich, "2027-06-01 08:00"), instant(zurich, "2027-06-01 09:00").Add(time.Nanosecond)}}
				}),
			want: []string{"09:30 +02:00"},
		},
		{
			name: "busy time starting a fraction of a second early blocks the slot",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-10:00"), grid(30*m),
				func(q *Query) {
					q.Busy = []Interval{{instant(zurich, "2027-06-01 09:00").Add(-time.Nanosecond), instant(zurich, "2027-06-01 10:00")}}
				}),
			want: []string{"08:00 +02:00"},
		},
		{
			name: "empty busy time blocks nothing",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-10:00"), grid(30*m),
				busy(zurich, "2027-06-01 09:00 / 2027-06-01 09:00", "2027-06-01 09:20 / 2027-06-01 09:10")),
			want: []string{"08:00 +02:00", "08:30 +02:00", "09:00 +02:00", "09:30 +02:00"},
		},
		{
			name: "empty busy time a fraction of a second past the hour blocks nothing",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-10:00"), grid(30*m),
				func(q *Query) {
					t := instant(zurich, "2027-06-01 09:00").Add(time.Nanosecond)
					q.Busy = []Interval{{t, t}}
					q.Bookings = []Booking{{Start: t, End: t}}
				}),
			want: []string{"08:00 +02:00", "08:30 +02:00", "09:00 +02:00", "09:30 +02:00"},
		},
		{
			name: "busy times in any order all block",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-12:00"), grid(30*m),
				busy(zurich, "2027-06-01 11:00 / 2027-06-01 11:30", "2027-06-01 08:00 / 2027-06-01 08:30",
					"2027-06-01 09:40 / 2027-06-01 09:50", "2027-06-01 09:00 / 2027-06-01 10:10")),
			want: []string{"08:30 +02:00", "10:30 +02:00", "11:30 +02:00"},
		},
		{
			name: "busy time in another zone blocks the same instant",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-11:00"),
				busy(newYork, "2027-06-01 03:00 / 2027-06-01 04:00")),
			want: []string{"08:00 +02:00", "10:00 +02:00"},
		},

		// Buffers.
		{
			name: "buffer before may reach before working hours",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-10:00"), grid(30*m),
				buffers(30*m, 0)),
			want: []string{"08:00 +02:00", "08:30 +02:00", "09:00 +02:00", "09:30 +02:00"},
		},
		{
			name: "buffer after may reach after working hours",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-09:00"), grid(30*m),
				buffers(0, 30*m)),
			want: []string{"08:00 +02:00", "08:30 +02:00"},
		},
		{
			name: "buffer before keeps clear of busy time before working hours",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-09:30"), step(15*m), duration(30*m),
				buffers(30*m, 0), busy(zurich, "2027-06-01 07:40 / 2027-06-01 08:00")),
			want: []string{"08:30 +02:00", "08:45 +02:00", "09:00 +02:00"},
		},
		{
			name: "buffer after keeps clear of busy time",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-10:00"), step(15*m), duration(30*m),
				buffers(0, 30*m), busy(zurich, "2027-06-01 09:30 / 2027-06-01 09:45")),
			want: []string{"08:00 +02:00", "08:15 +02:00", "08:30 +02:00"},
		},
		{
			name: "booking without buffers blocks only its own time",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-12:00"), grid(30*m),
				booking(zurich, "2027-06-01 10:00", "2027-06-01 11:00", 0, 0)),
			want: []string{"09:00 +02:00", "09:30 +02:00", "11:00 +02:00", "11:30 +02:00"},
		},
		{
			name: "booking's buffer after and the slot's buffer before add up",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-13:00"), step(15*m), duration(30*m),
				buffers(15*m, 0), booking(zurich, "2027-06-01 10:00", "2027-06-01 11:00", 0, 15*m)),
			want: []string{"09:00 +02:00", "09:15 +02:00", "09:30 +02:00",
				"11:30 +02:00", "11:45 +02:00", "12:00 +02:00", "12:15 +02:00", "12:30 +02:00"},
		},
		{
			name: "booking's buffer before and the slot's buffer after add up",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-12:00"), step(15*m), duration(30*m),
				buffers(0, 10*m), booking(zurich, "2027-06-01 10:00", "2027-06-01 11:00", 20*m, 0)),
			want: []string{"09:00 +02:00", "11:00 +02:00", "11:15 +02:00", "11:30 +02:00"},
		},
		{
			name: "booking's buffer of a fraction of a second blocks the slot ending inside it",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-10:00"), duration(time.Hour-time.Second),
				booking(zurich, "2027-06-01 10:00", "2027-06-01 11:00", 1500*time.Millisecond, 0)),
			want: nil,
		},
		{
			name: "booking's buffer may reach outside working hours",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-11:00"), grid(30*m),
				booking(zurich, "2027-06-01 08:00", "2027-06-01 08:45", 0, 30*m)),
			want: []string{"09:30 +02:00", "10:00 +02:00", "10:30 +02:00"},
		},

		// The grid.
		{
			name: "grid starts at the window's start",
			q:    query(zurich, "2027-06-01", "2027-06-01", everyDay("08:10-09:30"), grid(15*m)),
			want: []string{"08:10 +02:00", "08:25 +02:00", "08:40 +02:00", "08:55 +02:00", "09:10 +02:00"},
		},
		{
			name: "each window has its own grid",
			q:    query(zurich, "2027-06-01", "2027-06-01", everyDay("08:10-09:00", "13:05-14:00"), grid(15*m)),
			want: []string{"08:10 +02:00", "08:25 +02:00", "08:40 +02:00", "13:05 +02:00", "13:20 +02:00", "13:35 +02:00"},
		},
		{
			name: "touching ranges form one window with one grid",
			q:    query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-09:10", "09:10-10:00"), grid(30*m)),
			want: []string{"08:00 +02:00", "08:30 +02:00", "09:00 +02:00", "09:30 +02:00"},
		},
		{
			name: "overlapping ranges in any order form one window",
			q:    query(zurich, "2027-06-01", "2027-06-01", everyDay("09:05-10:00", "08:00-09:30"), grid(30*m)),
			want: []string{"08:00 +02:00", "08:30 +02:00", "09:00 +02:00", "09:30 +02:00"},
		},
		{
			name: "range ending before it starts is ignored",
			q:    query(zurich, "2027-06-01", "2027-06-01", everyDay("12:00-10:00", "08:00-09:00", "11:00-11:00")),
			want: []string{"08:00 +02:00"},
		},
		{
			name: "blocked start moves to the next grid point, not to the busy end",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:10-09:30"), grid(15*m),
				busy(zurich, "2027-06-01 08:30 / 2027-06-01 08:50")),
			want: []string{"08:10 +02:00", "08:55 +02:00", "09:10 +02:00"},
		},
		{
			name: "step shorter than the service offers overlapping starts",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-09:30"), step(15*m),
				duration(time.Hour)),
			want: []string{"08:00 +02:00", "08:15 +02:00", "08:30 +02:00"},
		},

		// Minimum notice and horizon.
		{
			name: "start exactly at now plus notice is offered",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-11:00"),
				now(instant(zurich, "2027-06-01 08:00"), time.Hour)),
			want: []string{"09:00 +02:00", "10:00 +02:00"},
		},
		{
			name: "notice counts real time across the spring gap",
			q: query(zurich, "2027-03-28", "2027-03-28", everyDay("00:00-06:00"), grid(30*m),
				now(instant(zurich, "2027-03-28 00:30"), 3*time.Hour)),
			// 00:30 +01:00 plus three hours is 03:30 +01:00, that is 04:30 +02:00.
			want: []string{"04:30 +02:00", "05:00 +02:00", "05:30 +02:00"},
		},
		{
			name: "notice counts real time across the repeated hour",
			q: query(zurich, "2027-10-31", "2027-10-31", everyDay("00:00-04:00"), grid(30*m),
				now(instant(zurich, "2027-10-31 01:30 +02:00"), 2*time.Hour)),
			// 01:30 +02:00 plus two hours is 03:30 +02:00, that is 02:30 +01:00.
			want: []string{"02:30 +01:00", "03:00 +01:00", "03:30 +01:00"},
		},
		{
			name: "now a fraction of a second past the hour skips that hour",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("08:00-11:00"),
				now(instant(zurich, "2027-06-01 08:00").Add(time.Millisecond), 0)),
			want: []string{"09:00 +02:00", "10:00 +02:00"},
		},
		{
			name: "first midnight is offered when now has a fraction of a second",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("00:00-02:00"),
				now(instant(zurich, "2027-05-30 10:00").Add(500*time.Millisecond), 0)),
			want: []string{"00:00 +02:00", "01:00 +02:00"},
		},
		{
			name: "horizon excludes starts at and after now plus the horizon",
			q: query(zurich, "2027-06-01", "2027-06-03", everyDay("09:00-12:00"),
				now(instant(zurich, "2027-06-01 10:00"), 0), horizon(1)),
			layout: dayLayout,
			want:   []string{"06-01 10:00 +02:00", "06-01 11:00 +02:00", "06-02 09:00 +02:00"},
		},
		{
			name: "horizon days are 24 hours long across DST",
			q: query(zurich, "2027-03-27", "2027-03-28", everyDay("09:00-12:00"),
				now(instant(zurich, "2027-03-27 10:00"), 0), horizon(1)),
			layout: dayLayout,
			want:   []string{"03-27 10:00 +01:00", "03-27 11:00 +01:00", "03-28 09:00 +02:00", "03-28 10:00 +02:00"},
		},
		{
			name: "horizon a fraction of a second past a start keeps it",
			q: query(zurich, "2027-06-02", "2027-06-02", everyDay("09:00-11:00"),
				now(instant(zurich, "2027-06-01 09:00").Add(500*time.Millisecond), 0), horizon(1)),
			want: []string{"09:00 +02:00"},
		},
		{
			name: "horizon of zero days offers nothing",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-11:00"),
				now(instant(zurich, "2027-05-01 09:00"), 0), horizon(0)),
			want: nil,
		},
		{
			name: "horizon too large for a Duration does not limit",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-11:00"),
				horizon(math.MaxInt)),
			want: []string{"09:00 +02:00", "10:00 +02:00"},
		},
		{
			name: "notice beyond the range offers nothing",
			q: query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-11:00"),
				now(instant(zurich, "2027-05-31 09:00"), 48*time.Hour)),
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			layout := tt.layout
			if layout == "" {
				layout = clockLayout
			}
			got, err := Slots(tt.q)
			if err != nil {
				t.Fatalf("Slots: %v", err)
			}
			if gotStarts := startsOf(got, layout); !slices.Equal(gotStarts, tt.want) {
				t.Errorf("Slots starts = %q (%d), want %q (%d)", gotStarts, len(gotStarts), tt.want, len(tt.want))
			}
			for _, s := range got {
				if !s.End.Equal(s.Start.Add(tt.q.Duration)) {
					t.Errorf("slot %v ends at %v, want start + %v", s.Start, s.End, tt.q.Duration)
				}
				if s.Start.Location() != tt.q.Viewer || s.End.Location() != tt.q.Viewer {
					t.Errorf("slot %v–%v is not in the viewer's zone %v", s.Start, s.End, tt.q.Viewer)
				}
			}
		})
	}
}

// startsOf formats the starts of slots with layout; nil for no slots.
func startsOf(slots []Interval, layout string) []string {
	var out []string
	for _, s := range slots {
		out = append(out, s.Start.Format(layout))
	}
	return out
}

func TestSlotsRange(t *testing.T) {
	zurich := loadZone(t, "Europe/Zurich")
	tests := []struct {
		name     string
		from, to string
		wantErr  error
		wantDays int // dates with slots
	}{
		{"one date is a range", "2027-06-01", "2027-06-01", nil, 1},
		{"62 dates are allowed", "2027-06-01", "2027-08-01", nil, 62},
		{"62 dates across a year end are allowed", "2027-12-01", "2028-01-31", nil, 62},
		{"63 dates are too many", "2027-06-01", "2027-08-02", ErrRangeLong, 0},
		{"last date before the first is refused", "2027-06-02", "2027-06-01", ErrRangeOrder, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := query(zurich, tt.from, tt.to, everyDay("09:00-10:00"))
			got, err := Slots(q)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Slots(%s…%s) error = %v, want %v", tt.from, tt.to, err, tt.wantErr)
			}
			if len(got) != tt.wantDays {
				t.Errorf("Slots(%s…%s) = %d slots, want %d", tt.from, tt.to, len(got), tt.wantDays)
			}
			if tt.wantErr == nil {
				first, last := DateOf(got[0].Start), DateOf(got[len(got)-1].Start)
				if first.String() != tt.from || last.String() != tt.to {
					t.Errorf("Slots(%s…%s) runs from %v to %v", tt.from, tt.to, first, last)
				}
			}
		})
	}
}

func TestSpan(t *testing.T) {
	zurich := loadZone(t, "Europe/Zurich")
	got, err := Span(mustDate(t, "2027-03-28"), mustDate(t, "2027-03-28"), zurich)
	if err != nil {
		t.Fatal(err)
	}
	if got.End.Sub(got.Start) != 23*time.Hour {
		t.Errorf("Span(2027-03-28, 2027-03-28, Zurich) = %v–%v, want 23 hours", got.Start, got.End)
	}
	got, err = Span(mustDate(t, "2027-10-30"), mustDate(t, "2027-10-31"), zurich)
	if err != nil {
		t.Fatal(err)
	}
	if got.End.Sub(got.Start) != 49*time.Hour {
		t.Errorf("Span(2027-10-30, 2027-10-31, Zurich) = %v–%v, want 49 hours", got.Start, got.End)
	}
}

func TestSlotsInvalidQuery(t *testing.T) {
	zurich := loadZone(t, "Europe/Zurich")
	tests := []struct {
		name   string
		change func(*Query)
	}{
		{"no employee zone", func(q *Query) { q.Zone = nil }},
		{"no viewer zone", func(q *Query) { q.Viewer = nil }},
		{"zero duration", func(q *Query) { q.Duration = 0 }},
		{"negative duration", func(q *Query) { q.Duration = -time.Hour }},
		{"zero step", func(q *Query) { q.Step = 0 }},
		{"negative step", func(q *Query) { q.Step = -time.Minute }},
		{"negative buffer before", func(q *Query) { q.BufferBefore = -time.Minute }},
		{"negative buffer after", func(q *Query) { q.BufferAfter = -time.Minute }},
		{"negative notice", func(q *Query) { q.MinNotice = -time.Minute }},
		{"negative horizon", func(q *Query) { q.HorizonDays = -1 }},
		{"duration shorter than a second", func(q *Query) { q.Duration = time.Millisecond }},
		{"step shorter than a second", func(q *Query) { q.Step = time.Millisecond }},
		{"duration not a whole number of seconds", func(q *Query) { q.Duration = time.Hour + time.Millisecond }},
		{"step not a whole number of seconds", func(q *Query) { q.Step = time.Hour + time.Millisecond }},
		{"buffer before not a whole number of seconds", func(q *Query) { q.BufferBefore = 1500 * time.Millisecond }},
		{"buffer after not a whole number of seconds", func(q *Query) { q.BufferAfter = 1500 * time.Millisecond }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := query(zurich, "2027-06-01", "2027-06-01", everyDay("09:00-17:00"), tt.change)
			got, err := Slots(q)
			if !errors.Is(err, ErrQuery) || got != nil {
				t.Errorf("Slots = %d slots, %v, want ErrQuery", len(got), err)
			}
		})
	}
}

func TestWindows(t *testing.T) {
	zurich, _ := time.LoadLocation("Europe/Zurich")
	var a Availability
	a.Weekly[time.Sunday] = []Range{{Start: 0, End: 4 * 60}, {Start: 4 * 60, End: 6 * 60}}
	a.Weekly[time.Monday] = []Range{{Start: 22 * 60, End: EndOfDay}}
	a.Overrides = map[Date][]Range{{2027, 3, 29}: {{Start: 9 * 60, End: 10 * 60}}}
	// The week of the spring-forward Sunday, 2027-03-28, seen from New York.
	ny, _ := time.LoadLocation("America/New_York")
	span, _ := Span(Date{2027, 3, 27}, Date{2027, 3, 29}, ny)
	got := Windows(a, zurich, span)
	var s []string
	for _, w := range got {
		s = append(s, w.Start.Format("01-02 15:04 -07")+"→"+w.End.Format("01-02 15:04 -07"))
	}
	want := []string{
		// Sunday 00:00–06:00 Zurich is 5 hours (02:00→03:00 skipped): 19:00 EDT Sat → 00:00 EDT Sun.
		"03-27 19:00 -04→03-28 00:00 -04",
		// Monday's override 09:00–10:00 CEST replaces 22:00–24:00.
		"03-29 03:00 -04→03-29 04:00 -04",
	}
	if !slices.Equal(s, want) {
		t.Errorf("Windows = %v, want %v", s, want)
	}
}
