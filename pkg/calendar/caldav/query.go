package caldav

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"
)

// The read path. It sends its calendar-query REPORTs and parses their
// multistatus itself instead of using go-webdav's QueryCalendar, because
// of what real servers do (found with Radicale 3.1.8 and Xandikos 0.2.8):
//
//   - Partial retrieval: asked for calendar-data with a <comp>/<prop>
//     selection, Xandikos answers calendar-data 404 for every event that
//     lacks one of the properties named (every event lacks DURATION or
//     DTEND, most lack RRULE), and QueryCalendar then fails the whole
//     query. Events without calendar-data are fetched in full with one
//     calendar-multiget and cut down to the same properties here.
//   - Recurrence: Xandikos's time-range filter never expands RRULE or
//     RDATE (a weekly series whose DTSTART lies before the window is left
//     out although its instances fall inside), and once it has indexed a
//     collection (from the seventh query with the same filter) it looks at
//     the first VEVENT of an object only, so a RECURRENCE-ID override
//     moved into the window is left out too. A server that misses an
//     event turns busy time into free time. So the read does not depend
//     on the server expanding anything: besides the time-range query it
//     asks for every event that has an RRULE, an RDATE or a RECURRENCE-ID,
//     whatever its dates, and expands them itself (icalbusy). An object
//     holds one UID, so one with several VEVENTs has RECURRENCE-IDs: only
//     objects of one plain VEVENT, which servers do filter right, are left
//     to the time-range filter. A server that refuses a prop-filter query
//     gets one query for all its events instead. Each answer is bounded
//     by Config.MaxResponseBytes; past it the calendar is unreadable.
//   - Floating times and all-day dates: both servers read them in UTC (or
//     the calendar's zone), slotbook in the employee's zone, so an event
//     near the window's edges is left out. The time range sent is wider
//     than the window by windowMargin; icalbusy cuts to the window.

// windowMargin widens the time range sent to the server on both sides:
// more than the 26 hours between the farthest UTC offsets (-12 and +14),
// by which a server may read a floating or all-day event differently.
const windowMargin = 48 * time.Hour

// errNoCalendarData is returned when the server gives no calendar data for
// an event it listed, even when asked for the whole object.
var errNoCalendarData = errors.New("server sent no calendar data for an event")

// query returns the VEVENTs of a calendar that may be busy in [from, to),
// each object cut down to its VEVENTs and their props.
func (s *session) query(ctx context.Context, calendarID string, from, to time.Time, props []string) ([]*ical.Calendar, error) {
	cal, err := s.resolve(calendarID)
	if err != nil {
		return nil, err
	}
	answers, err := s.queries(ctx, cal, from, to, props)
	if err != nil {
		return nil, err
	}
	objs, missing, err := collect(cal, answers)
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		if err := s.multiget(ctx, cal, missing, objs); err != nil {
			return nil, err
		}
	}
	keys := make([]string, 0, len(objs))
	for k := range objs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cals := make([]*ical.Calendar, 0, len(keys))
	for _, k := range keys {
		c, err := guard(func() (*ical.Calendar, error) {
			return ical.NewDecoder(strings.NewReader(objs[k])).Decode()
		})
		delete(objs, k)
		if err != nil {
			return nil, err
		}
		cals = append(cals, keep(c, props))
	}
	return cals, nil
}

// queries sends, at once, the calendar-query for the widened window and
// those for the events with an RRULE, an RDATE or a RECURRENCE-ID, and
// returns their answers. Where the server refuses a prop-filter query, the
// answers are the window's and one for all events.
func (s *session) queries(ctx context.Context, cal *url.URL, from, to time.Time, props []string) ([]*reportMultistatus, error) {
	filters := []string{
		`<C:time-range start="` + from.Add(-windowMargin).UTC().Format(icalUTC) +
			`" end="` + to.Add(windowMargin).UTC().Format(icalUTC) + `"/>`,
		`<C:prop-filter name="RRULE"/>`,
		`<C:prop-filter name="RDATE"/>`,
		`<C:prop-filter name="RECURRENCE-ID"/>`,
	}
	answers := make([]*reportMultistatus, len(filters))
	errs := make([]error, len(filters))
	var wg sync.WaitGroup
	for i, f := range filters {
		wg.Go(func() {
			answers[i], errs[i] = s.report(ctx, cal, "1", calendarQuery(props, f))
		})
	}
	wg.Wait()
	if errs[0] != nil {
		return nil, errs[0]
	}
	for _, err := range errs[1:] {
		if err == nil {
			continue
		}
		// The server answered the time-range query but refused a
		// prop-filter (RFC 4791's supported-filter precondition is a 403;
		// others say 400, 500 or 501). Read all its events instead.
		var he *httpError
		if !errors.As(err, &he) || he.status == http.StatusUnauthorized {
			return nil, err
		}
		all, err := s.report(ctx, cal, "1", calendarQuery(props, ""))
		if err != nil {
			return nil, err
		}
		return []*reportMultistatus{answers[0], all}, nil
	}
	return answers, nil
}

// collect returns the calendar data of the objects in answers by
// objectKey, and the hrefs of those the server sent no data for. An error
// status for the calendar itself is an error.
func collect(cal *url.URL, answers []*reportMultistatus) (objs map[string]string, missing []string, err error) {
	objs = map[string]string{}
	hrefs := map[string]string{} // objectKey → href as the server wrote it
	for _, ms := range answers {
		for _, r := range ms.Responses {
			key, isCollection := objectKey(cal, r.href())
			if isCollection {
				if st := statusCode(r.Status); st != 0 && st/100 != 2 {
					return nil, nil, &httpError{status: st}
				}
				continue
			}
			if data, ok := r.data(); ok {
				objs[key] = data
			} else {
				hrefs[key] = r.href()
			}
		}
	}
	for key, href := range hrefs {
		if _, ok := objs[key]; !ok {
			missing = append(missing, href)
		}
	}
	slices.Sort(missing)
	return objs, missing, nil
}

// multiget fetches the whole calendar data of hrefs into objs. An object
// the server reports gone (404) is left out; one it sends no data for
// otherwise fails the read.
func (s *session) multiget(ctx context.Context, cal *url.URL, hrefs []string, objs map[string]string) error {
	ms, err := s.report(ctx, cal, "", calendarMultiget(hrefs))
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, r := range ms.Responses {
		key, isCollection := objectKey(cal, r.href())
		if isCollection {
			continue
		}
		if data, ok := r.data(); ok {
			objs[key], done[key] = data, true
		} else if statusCode(r.Status) == http.StatusNotFound {
			done[key] = true // deleted since the query: no longer busy
		}
	}
	for _, href := range hrefs {
		if key, _ := objectKey(cal, href); !done[key] {
			return errNoCalendarData
		}
	}
	return nil
}

// icalUTC is the iCalendar UTC date-time format of time-range.
const icalUTC = "20060102T150405Z"

// calendarQuery returns a calendar-query REPORT body that asks for the
// VEVENT properties props of the objects whose VEVENT matches filter (the
// content of its comp-filter; empty for every VEVENT).
func calendarQuery(props []string, filter string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` +
		`<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:prop><C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT">`)
	for _, p := range props {
		b.WriteString(`<C:prop name="` + xmlText(p) + `"/>`)
	}
	b.WriteString(`</C:comp></C:comp></C:calendar-data></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` + filter +
		`</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`)
	return b.String()
}

// calendarMultiget returns a calendar-multiget REPORT body that asks for
// the whole calendar data of hrefs.
func calendarMultiget(hrefs []string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` +
		`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:prop><C:calendar-data/></D:prop>`)
	for _, h := range hrefs {
		b.WriteString(`<D:href>` + xmlText(h) + `</D:href>`)
	}
	b.WriteString(`</C:calendar-multiget>`)
	return b.String()
}

func xmlText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// reportMultistatus is the part of a REPORT answer the read path uses.
type reportMultistatus struct {
	Responses []reportResponse `xml:"DAV: response"`
}

type reportResponse struct {
	Href     []string `xml:"DAV: href"`
	Status   string   `xml:"DAV: status"`
	Propstat []struct {
		Status string `xml:"DAV: status"`
		Prop   struct {
			CalendarData *struct {
				Text string `xml:",chardata"`
			} `xml:"urn:ietf:params:xml:ns:caldav calendar-data"`
		} `xml:"DAV: prop"`
	} `xml:"DAV: propstat"`
}

func (r *reportResponse) href() string {
	if len(r.Href) == 0 {
		return ""
	}
	return strings.TrimSpace(r.Href[0])
}

// data returns the calendar data of a response, if the server sent any.
func (r *reportResponse) data() (string, bool) {
	for _, ps := range r.Propstat {
		if st := statusCode(ps.Status); st != 0 && st/100 != 2 {
			continue
		}
		if cd := ps.Prop.CalendarData; cd != nil && strings.TrimSpace(cd.Text) != "" {
			return cd.Text, true
		}
	}
	return "", false
}

// statusCode reads the code of a DAV: status line ("HTTP/1.1 404 Not
// Found"); 0 if there is none.
func statusCode(line string) int {
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// objectKey returns the key under which an href counts as one object (its
// URL resolved against the calendar, the path unescaped, so that one
// object named two ways by two answers counts once) and whether it names
// the calendar itself.
func objectKey(cal *url.URL, href string) (key string, isCollection bool) {
	ref, err := url.Parse(href)
	if err != nil {
		return href, false
	}
	u := cal.ResolveReference(ref)
	return u.Scheme + "://" + u.Host + u.Path, strings.TrimSuffix(u.Path, "/") == strings.TrimSuffix(cal.Path, "/")
}

// report sends a REPORT to u and decodes its multistatus answer.
func (s *session) report(ctx context.Context, u *url.URL, depth, body string) (*reportMultistatus, error) {
	var ms reportMultistatus
	if err := s.multistatus(ctx, "REPORT", u, depth, body, &ms); err != nil {
		return nil, err
	}
	return &ms, nil
}

// keep returns the VEVENTs of cal with the properties props only: nothing
// else the server sent (titles, descriptions, attendees, alarms) outlives
// the read.
func keep(cal *ical.Calendar, props []string) *ical.Calendar {
	out := ical.NewCalendar()
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		e := ical.NewComponent(ical.CompEvent)
		for _, p := range props {
			if v, ok := c.Props[p]; ok {
				e.Props[p] = v
			}
		}
		out.Children = append(out.Children, e)
	}
	return out
}
