package caldav

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/slotbook/slotbook/pkg/calendar/tzname"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// buildCalendar returns the calendar object of ev. Its times carry the
// draft's zone (TZID and a VTIMEZONE for the periods the event touches)
// where the zone is known, else they are UTC.
func buildCalendar(ev slotbook.EventDraft, uid string, now time.Time) (*ical.Calendar, error) {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, "-//slotbook//slotbook//EN")
	cal.Props.SetText(ical.PropVersion, "2.0")

	e := ical.NewEvent()
	e.Props.SetText(ical.PropUID, uid)
	e.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC().Truncate(time.Second))
	e.Props.SetText(ical.PropSummary, cleanText(ev.Title))
	if d := cleanText(ev.Description); d != "" {
		e.Props.SetText(ical.PropDescription, d)
	}
	e.Props.SetText(ical.PropTransparency, "OPAQUE")
	e.Props.SetText(ical.PropStatus, string(ical.EventConfirmed))

	start, end := ev.Start.UTC().Truncate(time.Second), ev.End.UTC().Truncate(time.Second)
	if !end.After(start) {
		return nil, errors.New("the event must end after it starts")
	}
	if loc := zone(ev.TimeZone); loc != nil {
		start, end = start.In(loc), end.In(loc)
		cal.Children = append(cal.Children, vtimezone(loc, start, end))
	}
	// SetDateTime writes TZID=<zone name> for a zone, Z for UTC.
	e.Props.SetDateTime(ical.PropDateTimeStart, start)
	e.Props.SetDateTime(ical.PropDateTimeEnd, end)
	cal.Children = append(cal.Children, e.Component)
	return cal, nil
}

// zone returns the zone name names (see tzname.Resolve), or nil for "",
// UTC and names it does not know: the event is then written in UTC.
func zone(name string) *time.Location {
	loc, ok := tzname.Resolve(name)
	if !ok || loc == time.UTC {
		return nil
	}
	return loc
}

// vtimezone describes loc for the instants given: one STANDARD or DAYLIGHT
// observance for each zone period they fall into, starting at that
// period's transition. That is all a reader needs to map the event's
// local times back to instants.
func vtimezone(loc *time.Location, instants ...time.Time) *ical.Component {
	tz := ical.NewComponent(ical.CompTimezone)
	tz.Props.SetText(ical.PropTimezoneID, loc.String())
	seen := map[int64]bool{}
	for _, t := range instants {
		t = t.In(loc)
		name, offset := t.Zone()
		begin, _ := t.ZoneBounds()
		prevOffset := offset
		if begin.IsZero() {
			// No transitions known: a fixed zone, say so from 1970 on.
			begin = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Add(-time.Duration(offset) * time.Second)
		} else {
			_, prevOffset = begin.Add(-time.Second).In(loc).Zone()
		}
		if seen[begin.Unix()] {
			continue
		}
		seen[begin.Unix()] = true
		kind := ical.CompTimezoneStandard
		if t.IsDST() {
			kind = ical.CompTimezoneDaylight
		}
		obs := ical.NewComponent(kind)
		// DTSTART of an observance is the local time before the change.
		onset := begin.In(time.FixedZone("", prevOffset))
		obs.Props.Set(&ical.Prop{Name: ical.PropDateTimeStart, Params: ical.Params{}, Value: onset.Format("20060102T150405")})
		obs.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetFrom, Params: ical.Params{}, Value: utcOffset(prevOffset)})
		obs.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetTo, Params: ical.Params{}, Value: utcOffset(offset)})
		if name != "" && !strings.HasPrefix(name, "+") && !strings.HasPrefix(name, "-") {
			obs.Props.SetText(ical.PropTimezoneName, name)
		}
		tz.Children = append(tz.Children, obs)
	}
	return tz
}

// utcOffset formats seconds east of UTC as an iCalendar UTC-OFFSET.
func utcOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := fmt.Sprintf("%s%02d%02d", sign, sec/3600, sec/60%60)
	if sec%60 != 0 {
		s += fmt.Sprintf("%02d", sec%60)
	}
	return s
}

// cleanText prepares a title or description for an iCalendar TEXT value:
// line breaks become \n (go-ical refuses a bare CR), other control
// characters go.
func cleanText(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
