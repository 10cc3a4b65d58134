// Package icalbusy turns the VEVENTs of iCalendar data into the busy
// intervals and overview events of a window [from, to). It is pure: no I/O,
// no clock, no logging; the CalDAV and ICS providers feed it what they
// fetched and forget both afterwards.
//
// The rules:
//
//   - Only DTSTART, DTEND, DURATION, RRULE, RDATE, EXDATE, RECURRENCE-ID,
//     UID, TRANSP and STATUS are read, and SUMMARY by Events. Description,
//     location, attendees and everything else are never looked at.
//   - Times: a value ending in Z is UTC; a TZID parameter names an IANA zone
//     (resolved with Go's zone database, embedded through time/tzdata), a
//     Windows zone name, or a prefixed IANA name such as
//     "/mozilla.org/20070129_1/Europe/Berlin", as tzname.Resolve reads
//     them; any other TZID is an error.
//     Floating times (no Z, no TZID) are read in the zone the caller passes,
//     the employee's.
//   - All-day events (VALUE=DATE) cover [date 00:00, end date 00:00) in the
//     caller's zone, days stepped with AddDate so DST days are 23 or 25
//     hours long. Without DTEND or DURATION a date event lasts one day and a
//     date-time event has zero length. DURATION's days and weeks are
//     nominal (same wall-clock time on a later day), its hours, minutes and
//     seconds exact.
//   - Recurrence: the RRULE (parsed and expanded by rrule-go, the library
//     behind go-ical's RecurrenceSet) is expanded on wall-clock time in
//     DTSTART's zone, so instances keep their local time across DST
//     changes; RDATE adds instances (DATE, DATE-TIME or PERIOD), EXDATE
//     removes them, DTSTART is always the first instance. A component with
//     the same UID and a RECURRENCE-ID replaces the instance it names: the
//     original instance is dropped wherever the override moves it, and the
//     override counts with its own times, status and transparency — so an
//     override can move an instance into the window or out of it.
//     RANGE=THISANDFUTURE is treated like a single override.
//   - STATUS:CANCELLED components (and instances of a cancelled series) are
//     left out. TRANSP:TRANSPARENT events are not busy; Events still returns
//     them, with Busy false.
//   - An event that cannot be read (a malformed date, an unknown zone, an
//     RRULE rrule-go refuses, DTEND before DTSTART) fails the whole call:
//     the calendar then counts as unreadable, never as free. An event
//     without DTSTART has no time to block and is skipped.
//
// Expansion is bounded so that a hostile RRULE cannot spin: expansion stops
// past the window, a rule without COUNT starts at its last period before
// the window instead of at DTSTART, the search for a rule's next instance
// never runs more than about 400 calendar years past the window, rules
// whose BYHOUR/BYMINUTE/BYSECOND can never match are recognised up front
// (rrule-go would loop forever on them), rules with more than 1440
// BYHOUR×BYMINUTE×BYSECOND combinations, BYxxx lists over 400 entries or
// COUNT counted from before 1583 are refused, and one call generates at
// most MaxSteps instances (RDATEs included). A calendar over these bounds
// yields ErrTooComplex, never a silently shortened (and so too free)
// result.
//
// Errors never contain property values: a calendar's text may hold titles,
// descriptions or locations, and those must not reach a log.
package icalbusy
