package icalbusy_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/slotbook/slotbook/pkg/calendar/icalbusy"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

var zurich = mustZone("Europe/Zurich")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// parse wraps VEVENT text into a calendar; each "---" line starts another
// calendar object, as a CalDAV server returns them.
func parse(t *testing.T, events string) []*ical.Calendar {
	t.Helper()
	var cals []*ical.Calendar
	for _, part := range strings.Split(events, "---\n") {
		text := "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + strings.TrimSpace(part) + "\nEND:VCALENDAR\n"
		cal, err := ical.NewDecoder(strings.NewReader(text)).Decode()
		if err != nil {
			t.Fatalf("test fixture does not parse: %v", err)
		}
		cals = append(cals, cal)
	}
	return cals
}

// at returns the wall-clock time "2006-01-02 15:04" in loc.
func at(loc *time.Location, s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// span formats an interval in loc as "01-02 15:04/01-02 15:04".
func span(s, e time.Time, loc *time.Location) string {
	return s.In(loc).Format("01-02 15:04") + "/" + e.In(loc).Format("01-02 15:04")
}

func spans(busy []slotbook.BusyInterval, loc *time.Location) string {
	var out []string
	for _, b := range busy {
		out = append(out, span(b.Start, b.End, loc))
	}
	return strings.Join(out, ", ")
}

func TestBusy(t *testing.T) {
	// Monday 2025-03-03 to Monday 2025-03-17, Zurich; DST starts 2025-03-30.
	from, to := at(zurich, "2025-03-03 00:00"), at(zurich, "2025-03-17 00:00")
	tests := []struct {
		name     string
		events   string
		from, to time.Time // default: the two weeks above
		loc      *time.Location
		want     string
	}{
		{
			name: "weekly RRULE with EXDATE",
			events: `BEGIN:VEVENT
UID:weekly
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY;BYDAY=MO,WE
EXDATE;TZID=Europe/Zurich:20250305T090000
END:VEVENT`,
			want: "03-03 09:00/03-03 10:00, 03-10 09:00/03-10 10:00, 03-12 09:00/03-12 10:00",
		},
		{
			name: "EXDATE with several values, one in UTC",
			events: `BEGIN:VEVENT
UID:multi-exdate
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY;BYDAY=MO,WE
EXDATE;TZID=Europe/Zurich:20250305T090000,20250310T090000
EXDATE:20250312T080000Z
END:VEVENT`,
			want: "03-03 09:00/03-03 10:00",
		},
		{
			name: "RECURRENCE-ID override moves an instance within the window",
			events: `BEGIN:VEVENT
UID:moved
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY
END:VEVENT
BEGIN:VEVENT
UID:moved
RECURRENCE-ID;TZID=Europe/Zurich:20250310T090000
DTSTART;TZID=Europe/Zurich:20250311T140000
DTEND;TZID=Europe/Zurich:20250311T150000
END:VEVENT`,
			want: "03-03 09:00/03-03 10:00, 03-11 14:00/03-11 15:00",
		},
		{
			name: "override listed before its master, as in an ICS feed",
			events: `BEGIN:VEVENT
UID:moved
RECURRENCE-ID;TZID=Europe/Zurich:20250310T090000
DTSTART;TZID=Europe/Zurich:20250311T140000
DTEND;TZID=Europe/Zurich:20250311T150000
END:VEVENT
BEGIN:VEVENT
UID:other
DTSTART:20250304T120000Z
DTEND:20250304T130000Z
END:VEVENT
BEGIN:VEVENT
UID:moved
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY
END:VEVENT`,
			want: "03-03 09:00/03-03 10:00, 03-04 13:00/03-04 14:00, 03-11 14:00/03-11 15:00",
		},
		{
			name: "override moves an instance into the window",
			events: `BEGIN:VEVENT
UID:in
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY
END:VEVENT
BEGIN:VEVENT
UID:in
RECURRENCE-ID;TZID=Europe/Zurich:20250317T090000
DTSTART;TZID=Europe/Zurich:20250310T150000
DTEND;TZID=Europe/Zurich:20250310T160000
END:VEVENT`,
			from: at(zurich, "2025-03-10 00:00"), to: at(zurich, "2025-03-11 00:00"),
			want: "03-10 09:00/03-10 10:00, 03-10 15:00/03-10 16:00",
		},
		{
			name: "override moves an instance out of the window",
			events: `BEGIN:VEVENT
UID:out
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY
END:VEVENT
BEGIN:VEVENT
UID:out
RECURRENCE-ID;TZID=Europe/Zurich:20250310T090000
DTSTART;TZID=Europe/Zurich:20250320T090000
DTEND;TZID=Europe/Zurich:20250320T100000
END:VEVENT`,
			from: at(zurich, "2025-03-10 00:00"), to: at(zurich, "2025-03-11 00:00"),
			want: "",
		},
		{
			name: "cancelled override removes its instance",
			events: `BEGIN:VEVENT
UID:cancel-one
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY
END:VEVENT
BEGIN:VEVENT
UID:cancel-one
RECURRENCE-ID;TZID=Europe/Zurich:20250310T090000
DTSTART;TZID=Europe/Zurich:20250310T090000
DTEND;TZID=Europe/Zurich:20250310T100000
STATUS:CANCELLED
END:VEVENT`,
			want: "03-03 09:00/03-03 10:00",
		},
		{
			name: "override in another calendar object, RECURRENCE-ID in UTC",
			events: `BEGIN:VEVENT
UID:split
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=WEEKLY
END:VEVENT
---
BEGIN:VEVENT
UID:split
RECURRENCE-ID:20250310T080000Z
DTSTART;TZID=Europe/Zurich:20250310T110000
DTEND;TZID=Europe/Zurich:20250310T120000
END:VEVENT`,
			want: "03-03 09:00/03-03 10:00, 03-10 11:00/03-10 12:00",
		},
		{
			name: "COUNT ends the series",
			events: `BEGIN:VEVENT
UID:count
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT`,
			want: "03-03 09:00/03-03 10:00, 03-04 09:00/03-04 10:00, 03-05 09:00/03-05 10:00",
		},
		{
			name: "UNTIL in UTC includes the instance it names",
			events: `BEGIN:VEVENT
UID:until
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RRULE:FREQ=DAILY;UNTIL=20250305T080000Z
END:VEVENT`,
			want: "03-03 09:00/03-03 10:00, 03-04 09:00/03-04 10:00, 03-05 09:00/03-05 10:00",
		},
		{
			name: "UNTIL as a date includes that day",
			events: `BEGIN:VEVENT
UID:until-date
DTSTART;VALUE=DATE:20250303
RRULE:FREQ=DAILY;UNTIL=20250304
END:VEVENT`,
			want: "03-03 00:00/03-05 00:00",
		},
		{
			name: "transparent events are not busy",
			events: `BEGIN:VEVENT
UID:free
DTSTART:20250304T090000Z
DTEND:20250304T100000Z
TRANSP:TRANSPARENT
END:VEVENT`,
			want: "",
		},
		{
			name: "cancelled series is not busy",
			events: `BEGIN:VEVENT
UID:cancelled
DTSTART:20250304T090000Z
DTEND:20250304T100000Z
RRULE:FREQ=DAILY
STATUS:CANCELLED
END:VEVENT`,
			want: "",
		},
		{
			name: "all-day single day covers the day in the employee's zone",
			events: `BEGIN:VEVENT
UID:allday
DTSTART;VALUE=DATE:20250304
DTEND;VALUE=DATE:20250305
END:VEVENT`,
			want: "03-04 00:00/03-05 00:00",
		},
		{
			name: "all-day without DTEND lasts one day",
			events: `BEGIN:VEVENT
UID:allday-noend
DTSTART;VALUE=DATE:20250304
END:VEVENT`,
			want: "03-04 00:00/03-05 00:00",
		},
		{
			name: "all-day multi-day",
			events: `BEGIN:VEVENT
UID:holiday
DTSTART;VALUE=DATE:20250304
DTEND;VALUE=DATE:20250307
END:VEVENT`,
			want: "03-04 00:00/03-07 00:00",
		},
		{
			name: "all-day in another zone is read in the employee's",
			events: `BEGIN:VEVENT
UID:allday-ny
DTSTART;VALUE=DATE:20250304
END:VEVENT`,
			loc:  mustZone("America/New_York"),
			want: "03-04 00:00/03-05 00:00",
		},
		{
			name: "weekly all-day series",
			events: `BEGIN:VEVENT
UID:allday-weekly
DTSTART;VALUE=DATE:20250305
DTEND;VALUE=DATE:20250306
RRULE:FREQ=WEEKLY
EXDATE;VALUE=DATE:20250312
END:VEVENT`,
			want: "03-05 00:00/03-06 00:00",
		},
		{
			name: "floating time is the employee's wall clock",
			events: `BEGIN:VEVENT
UID:floating
DTSTART:20250304T090000
DTEND:20250304T100000
END:VEVENT`,
			want: "03-04 09:00/03-04 10:00",
		},
		{
			name: "DURATION instead of DTEND",
			events: `BEGIN:VEVENT
UID:duration
DTSTART;TZID=Europe/Zurich:20250304T090000
DURATION:PT1H30M
RRULE:FREQ=DAILY;COUNT=2
END:VEVENT`,
			want: "03-04 09:00/03-04 10:30, 03-05 09:00/03-05 10:30",
		},
		{
			name: "RDATE adds instances, PERIOD with its own end",
			events: `BEGIN:VEVENT
UID:rdate
DTSTART;TZID=Europe/Zurich:20250303T090000
DTEND;TZID=Europe/Zurich:20250303T100000
RDATE;TZID=Europe/Zurich:20250306T090000,20250307T090000
RDATE;VALUE=PERIOD:20250310T120000Z/PT2H
END:VEVENT`,
			want: "03-03 09:00/03-03 10:00, 03-06 09:00/03-06 10:00, 03-07 09:00/03-07 10:00, 03-10 13:00/03-10 15:00",
		},
		{
			name: "overlapping events merge, zero-length events block nothing",
			events: `BEGIN:VEVENT
UID:a
DTSTART:20250304T080000Z
DTEND:20250304T090000Z
END:VEVENT
BEGIN:VEVENT
UID:b
DTSTART:20250304T083000Z
DTEND:20250304T100000Z
END:VEVENT
BEGIN:VEVENT
UID:c
DTSTART:20250304T100000Z
DTEND:20250304T103000Z
END:VEVENT
BEGIN:VEVENT
UID:reminder
DTSTART:20250305T080000Z
END:VEVENT`,
			want: "03-04 09:00/03-04 11:30",
		},
		{
			name: "intervals are clipped to the window",
			events: `BEGIN:VEVENT
UID:long
DTSTART;TZID=Europe/Zurich:20250302T220000
DTEND;TZID=Europe/Zurich:20250303T020000
END:VEVENT`,
			want: "03-03 00:00/03-03 02:00",
		},
		{
			name: "Windows zone name",
			events: `BEGIN:VEVENT
UID:outlook
DTSTART;TZID=W. Europe Standard Time:20250304T090000
DTEND;TZID=W. Europe Standard Time:20250304T100000
END:VEVENT`,
			want: "03-04 09:00/03-04 10:00",
		},
		{
			name: "IANA name behind a vendor prefix",
			events: `BEGIN:VEVENT
UID:mozilla
DTSTART;TZID=/mozilla.org/20070129_1/Europe/Zurich:20250304T090000
DTEND;TZID=/mozilla.org/20070129_1/Europe/Zurich:20250304T100000
END:VEVENT`,
			want: "03-04 09:00/03-04 10:00",
		},
		{
			name: "description, location and attendees are never read",
			events: `BEGIN:VEVENT
UID:junk
DTSTART:20250304T080000Z
DTEND:20250304T090000Z
DESCRIPTION:broken escape \q and ;;;
LOCATION;X-JUNK=1:\
ATTENDEE;CN=x:not-a-uri
GEO:nonsense
END:VEVENT`,
			want: "03-04 09:00/03-04 10:00",
		},
		{
			name: "event without DTSTART blocks nothing",
			events: `BEGIN:VEVENT
UID:nostart
SUMMARY:no time
END:VEVENT
BEGIN:VEVENT
UID:ok
DTSTART:20250304T080000Z
DTEND:20250304T090000Z
END:VEVENT`,
			want: "03-04 09:00/03-04 10:00",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := zurich
			if tt.loc != nil {
				loc = tt.loc
			}
			f, e := from, to
			if !tt.from.IsZero() {
				f, e = tt.from, tt.to
			}
			if loc != zurich { // the same wall-clock window in loc
				f, e = at(loc, f.Format("2006-01-02 15:04")), at(loc, e.Format("2006-01-02 15:04"))
			}
			busy, err := icalbusy.Busy(parse(t, tt.events), f, e, loc)
			if err != nil {
				t.Fatalf("Busy: %v", err)
			}
			if got := spans(busy, loc); got != tt.want {
				t.Errorf("Busy =\n  %s\nwant\n  %s", got, tt.want)
			}
		})
	}
}

func TestBusyKeepsWallClockAcrossDST(t *testing.T) {
	// Europe/Zurich springs forward on 2025-03-30 and falls back on
	// 2025-10-26: a 09:00 meeting stays at 09:00, its UTC time moves.
	events := parse(t, `BEGIN:VEVENT
UID:dst
DTSTART;TZID=Europe/Zurich:20250328T090000
DTEND;TZID=Europe/Zurich:20250328T100000
RRULE:FREQ=DAILY
END:VEVENT`)
	for _, tt := range []struct {
		from, to string
		wantUTC  string
	}{
		{"2025-03-28 00:00", "2025-04-01 00:00", "03-28 08:00/03-28 09:00, 03-29 08:00/03-29 09:00, 03-30 07:00/03-30 08:00, 03-31 07:00/03-31 08:00"},
		{"2025-10-25 00:00", "2025-10-28 00:00", "10-25 07:00/10-25 08:00, 10-26 08:00/10-26 09:00, 10-27 08:00/10-27 09:00"},
	} {
		busy, err := icalbusy.Busy(events, at(zurich, tt.from), at(zurich, tt.to), zurich)
		if err != nil {
			t.Fatal(err)
		}
		if got := spans(busy, time.UTC); got != tt.wantUTC {
			t.Errorf("Busy(%s..%s) in UTC =\n  %s\nwant\n  %s", tt.from, tt.to, got, tt.wantUTC)
		}
	}
}

func TestBusyDSTDays(t *testing.T) {
	tests := []struct {
		name   string
		events string
		want   time.Duration
	}{
		{"all-day on the spring-forward day lasts 23 hours", `BEGIN:VEVENT
UID:a
DTSTART;VALUE=DATE:20250330
END:VEVENT`, 23 * time.Hour},
		{"all-day on the fall-back day lasts 25 hours", `BEGIN:VEVENT
UID:b
DTSTART;VALUE=DATE:20251026
DTEND;VALUE=DATE:20251027
END:VEVENT`, 25 * time.Hour},
		{"DURATION P1D is a nominal day", `BEGIN:VEVENT
UID:c
DTSTART;TZID=Europe/Zurich:20250329T120000
DURATION:P1D
END:VEVENT`, 23 * time.Hour},
		{"DTEND keeps its exact length", `BEGIN:VEVENT
UID:d
DTSTART;TZID=Europe/Zurich:20250330T010000
DTEND;TZID=Europe/Zurich:20250330T040000
END:VEVENT`, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busy, err := icalbusy.Busy(parse(t, tt.events), at(zurich, "2025-03-01 00:00"), at(zurich, "2025-11-01 00:00"), zurich)
			if err != nil {
				t.Fatal(err)
			}
			if len(busy) != 1 {
				t.Fatalf("Busy = %s, want one interval", spans(busy, zurich))
			}
			if got := busy[0].End.Sub(busy[0].Start); got != tt.want {
				t.Errorf("length = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBusyUTCSeriesKeepsUTC(t *testing.T) {
	events := parse(t, `BEGIN:VEVENT
UID:utc
DTSTART:20250328T080000Z
DTEND:20250328T090000Z
RRULE:FREQ=DAILY;COUNT=4
END:VEVENT`)
	busy, err := icalbusy.Busy(events, at(zurich, "2025-03-28 00:00"), at(zurich, "2025-04-01 00:00"), zurich)
	if err != nil {
		t.Fatal(err)
	}
	want := "03-28 08:00/03-28 09:00, 03-29 08:00/03-29 09:00, 03-30 08:00/03-30 09:00, 03-31 08:00/03-31 09:00"
	if got := spans(busy, time.UTC); got != want {
		t.Errorf("Busy in UTC =\n  %s\nwant\n  %s", got, want)
	}
}

func TestBusyFloatingFollowsTheEmployeesZone(t *testing.T) {
	events := parse(t, `BEGIN:VEVENT
UID:floating
DTSTART:20250304T090000
DTEND:20250304T100000
END:VEVENT`)
	for _, tt := range []struct {
		zone, wantUTC string
	}{
		{"Europe/Zurich", "03-04 08:00/03-04 09:00"},
		{"America/New_York", "03-04 14:00/03-04 15:00"},
	} {
		loc := mustZone(tt.zone)
		busy, err := icalbusy.Busy(events, at(loc, "2025-03-04 00:00"), at(loc, "2025-03-05 00:00"), loc)
		if err != nil {
			t.Fatal(err)
		}
		if got := spans(busy, time.UTC); got != tt.wantUTC {
			t.Errorf("in %s: Busy in UTC = %s, want %s", tt.zone, got, tt.wantUTC)
		}
	}
}

func TestBusyLongRunningSeries(t *testing.T) {
	// A daily series from 1990 and a yearly birthday from 1931 still land
	// on the right days decades later.
	events := parse(t, `BEGIN:VEVENT
UID:daily
DTSTART;TZID=Europe/Zurich:19900101T073000
DTEND;TZID=Europe/Zurich:19900101T080000
RRULE:FREQ=DAILY;INTERVAL=3
END:VEVENT
BEGIN:VEVENT
UID:birthday
DTSTART;VALUE=DATE:19310307
RRULE:FREQ=YEARLY
END:VEVENT`)
	busy, err := icalbusy.Busy(events, at(zurich, "2027-03-06 00:00"), at(zurich, "2027-03-09 00:00"), zurich)
	if err != nil {
		t.Fatal(err)
	}
	// 1990-01-01 + 3k days: 2027-03-06 is day 13548 = 3·4516.
	want := "03-06 07:30/03-06 08:00, 03-07 00:00/03-08 00:00"
	if got := spans(busy, zurich); got != want {
		t.Errorf("Busy = %s, want %s", got, want)
	}
}

func TestEvents(t *testing.T) {
	events := parse(t, `BEGIN:VEVENT
UID:b
SUMMARY:Dentist\, Dr. Who\; room 2\nsecond line
DTSTART:20250304T100000Z
DTEND:20250304T110000Z
END:VEVENT
BEGIN:VEVENT
UID:a
SUMMARY:Focus time
DTSTART:20250304T080000Z
DTEND:20250304T090000Z
TRANSP:TRANSPARENT
END:VEVENT
BEGIN:VEVENT
UID:c
SUMMARY:Gone
DTSTART:20250304T120000Z
DTEND:20250304T130000Z
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:d
SUMMARY:Reminder
DTSTART:20250304T150000Z
END:VEVENT`)
	got, err := icalbusy.Events(events, at(time.UTC, "2025-03-04 00:00"), at(time.UTC, "2025-03-05 00:00"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	want := []slotbook.ExternalEvent{
		{Start: at(time.UTC, "2025-03-04 08:00"), End: at(time.UTC, "2025-03-04 09:00"), Title: "Focus time", Busy: false},
		{Start: at(time.UTC, "2025-03-04 10:00"), End: at(time.UTC, "2025-03-04 11:00"), Title: "Dentist, Dr. Who; room 2\nsecond line", Busy: true},
		{Start: at(time.UTC, "2025-03-04 15:00"), End: at(time.UTC, "2025-03-04 15:00"), Title: "Reminder", Busy: true},
	}
	if len(got) != len(want) {
		t.Fatalf("Events = %+v, want %+v", got, want)
	}
	for i := range want {
		if !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) || got[i].Title != want[i].Title || got[i].Busy != want[i].Busy {
			t.Errorf("Events[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestBusyLeavesTitlesOut(t *testing.T) {
	// Busy has no field for a title; Events reads SUMMARY only when asked.
	events := parse(t, `BEGIN:VEVENT
UID:x
SUMMARY:MARKER-SUMMARY-5b1f
DTSTART:20250304T080000Z
DTEND:20250304T090000Z
END:VEVENT`)
	busy, err := icalbusy.Busy(events, at(time.UTC, "2025-03-04 00:00"), at(time.UTC, "2025-03-05 00:00"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if s := fmt.Sprintf("%+v", busy); strings.Contains(s, "MARKER") {
		t.Errorf("Busy result holds the title: %s", s)
	}
}

func TestErrorsHoldNoEventData(t *testing.T) {
	const marker = "MARKER-7c3e"
	tests := []struct {
		name, events string
	}{
		{"bad DTSTART", `BEGIN:VEVENT
UID:x
SUMMARY:` + marker + `-SUMMARY
DESCRIPTION:` + marker + `-DESCRIPTION
LOCATION:` + marker + `-LOCATION
DTSTART:2025030` + marker + `
END:VEVENT`},
		{"unknown TZID", `BEGIN:VEVENT
UID:x
SUMMARY:` + marker + `-SUMMARY
DTSTART;TZID=` + marker + `:20250304T080000
END:VEVENT`},
		{"bad RRULE", `BEGIN:VEVENT
UID:x
SUMMARY:` + marker + `-SUMMARY
DTSTART:20250304T080000Z
RRULE:FREQ=` + marker + `
END:VEVENT`},
		{"bad EXDATE", `BEGIN:VEVENT
UID:x
LOCATION:` + marker + `-LOCATION
DTSTART:20250304T080000Z
RRULE:FREQ=DAILY
EXDATE:` + marker + `
END:VEVENT`},
		{"DTEND before DTSTART", `BEGIN:VEVENT
UID:x
SUMMARY:` + marker + `-SUMMARY
DTSTART:20250304T080000Z
DTEND:20250304T070000Z
END:VEVENT`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, call := range []func([]*ical.Calendar, time.Time, time.Time, *time.Location) error{
				func(c []*ical.Calendar, f, e time.Time, l *time.Location) error {
					_, err := icalbusy.Busy(c, f, e, l)
					return err
				},
				func(c []*ical.Calendar, f, e time.Time, l *time.Location) error {
					_, err := icalbusy.Events(c, f, e, l)
					return err
				},
			} {
				err := call(parse(t, tt.events), at(time.UTC, "2025-03-01 00:00"), at(time.UTC, "2025-03-10 00:00"), time.UTC)
				if err == nil {
					t.Fatal("no error, want one: an unreadable event must not read as free")
				}
				if strings.Contains(err.Error(), "MARKER") {
					t.Errorf("error holds event data: %v", err)
				}
			}
		})
	}
}

// TestHostileRules checks that rules that would make rrule-go loop for a
// very long time, or forever, come back promptly: with the right answer
// where one can be given within bounds, else with ErrTooComplex.
func TestHostileRules(t *testing.T) {
	week := [2]time.Time{at(zurich, "2027-03-01 00:00"), at(zurich, "2027-03-08 00:00")}
	tests := []struct {
		name     string
		rule     string
		dtstart  string
		window   [2]time.Time
		want     string // spans, or "ErrTooComplex"
		wantNone bool
	}{
		{
			name:    "SECONDLY without end from 1970 covers the whole week",
			rule:    "FREQ=SECONDLY",
			dtstart: "19700101T000000Z",
			window:  week,
			want:    "03-01 00:00/03-08 00:00",
		},
		{
			name:    "SECONDLY without end over two months exceeds the budget",
			rule:    "FREQ=SECONDLY",
			dtstart: "19700101T000000Z",
			window:  [2]time.Time{at(zurich, "2027-03-01 00:00"), at(zurich, "2027-05-01 00:00")},
			want:    "ErrTooComplex",
		},
		{
			name:    "SECONDLY with a huge COUNT from long ago exceeds the budget",
			rule:    "FREQ=SECONDLY;COUNT=2000000000",
			dtstart: "20000101T000000Z",
			window:  week,
			want:    "ErrTooComplex",
		},
		{
			name:    "SECONDLY on a day that never comes",
			rule:    "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30",
			dtstart: "19700101T000000Z",
			window:  week,
			want:    "",
		},
		{
			name:    "counted SECONDLY on a day that never comes",
			rule:    "FREQ=SECONDLY;COUNT=5;BYMONTH=2;BYMONTHDAY=30",
			dtstart: "19700101T000000Z",
			window:  week,
			want:    "",
		},
		{
			name:    "HOURLY whose BYHOUR can never be reached",
			rule:    "FREQ=HOURLY;INTERVAL=24;BYHOUR=1",
			dtstart: "20270101T000000Z",
			window:  week,
			want:    "",
		},
		{
			name:    "SECONDLY whose BYSECOND can never be reached",
			rule:    "FREQ=SECONDLY;INTERVAL=86400;BYSECOND=30",
			dtstart: "20270101T000000Z",
			window:  week,
			want:    "",
		},
		{
			name:    "time set of every minute of the day",
			rule:    "FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=" + seq(60) + ";BYSECOND=0,1",
			dtstart: "20270101T000000Z",
			window:  week,
			want:    "ErrTooComplex",
		},
		{
			name:    "counted rule from before the Gregorian calendar",
			rule:    "FREQ=DAILY;COUNT=100",
			dtstart: "10000101T000000Z",
			window:  week,
			want:    "ErrTooComplex",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := parse(t, "BEGIN:VEVENT\nUID:h\nDTSTART:"+tt.dtstart+"\nDURATION:PT1S\nRRULE:"+tt.rule+"\nEND:VEVENT")
			type result struct {
				busy []slotbook.BusyInterval
				err  error
			}
			done := make(chan result, 1)
			start := time.Now()
			go func() {
				b, err := icalbusy.Busy(events, tt.window[0], tt.window[1], zurich)
				done <- result{b, err}
			}()
			select {
			case r := <-done:
				t.Logf("returned in %v", time.Since(start))
				got := spans(r.busy, zurich)
				if errors.Is(r.err, icalbusy.ErrTooComplex) {
					got = "ErrTooComplex"
				} else if r.err != nil {
					t.Fatalf("Busy: %v", r.err)
				}
				if got != tt.want {
					t.Errorf("Busy = %q, want %q", got, tt.want)
				}
			case <-time.After(30 * time.Second):
				// Far above the few milliseconds these take: only a rule
				// that spins gets here.
				t.Fatal("Busy did not return: the expansion is not bounded")
			}
		})
	}
}

func seq(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i)
	}
	return strings.Join(s, ",")
}

func TestEventsCapsTheNumberOfEvents(t *testing.T) {
	events := parse(t, `BEGIN:VEVENT
UID:many
DTSTART:20250304T000000Z
DURATION:PT1S
RRULE:FREQ=SECONDLY
END:VEVENT`)
	_, err := icalbusy.Events(events, at(time.UTC, "2025-03-04 00:00"), at(time.UTC, "2025-03-05 00:00"), time.UTC)
	if !errors.Is(err, icalbusy.ErrTooComplex) {
		t.Errorf("Events over 86400 instances: err = %v, want ErrTooComplex", err)
	}
}

func TestUnescapeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Plain title`, "Plain title"},
		{`Dentist\, Dr. Who\; room 2`, "Dentist, Dr. Who; room 2"},
		{`two\nlines\Nthree`, "two\nlines\nthree"},
		{`back\\slash`, `back\slash`},
		{`C:\\new`, `C:\new`},
		{`colon\: and \"quotes\"`, `colon: and "quotes"`},
		{`unknown \q stays`, `unknown \q stays`},
		{`trailing \`, `trailing \`},
	}
	for _, tt := range tests {
		if got := icalbusy.UnescapeText(tt.in); got != tt.want {
			t.Errorf("UnescapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
