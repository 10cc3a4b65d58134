package google

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"net/http"
	"slices"
	"strings"
	"time"

	calendar "google.golang.org/api/calendar/v3"

	"github.com/slotbook/slotbook/pkg/calendar/tzname"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// The fields asked for: what slotbook shows, nothing more. The calendar's
// timeZone places all-day events.
const (
	calendarListFields = "items(id,summary,summaryOverride,primary,accessRole),nextPageToken"
	eventListFields    = "items(summary,start,end,transparency,status),nextPageToken,timeZone"
)

// maxPages bounds how many pages a listing follows, against a server that
// keeps handing out page tokens.
const maxPages = 200

// Calendars lists the account's calendars from its calendar list, following
// every page, the primary calendar first. The name is the user's own name
// for the calendar where they set one. Calendars the user may only read or
// only see free/busy of are ReadOnly. Owner is the account's address on
// every calendar: the primary calendar's id, which Google makes the user's
// e-mail address, if it is one (other calendars have opaque ids such as
// "c_…@group.calendar.google.com", or are other people's).
func (p *Provider) Calendars(ctx context.Context, acct slotbook.Account) ([]slotbook.CalendarInfo, error) {
	const op = "calendarList.list"
	svc, err := p.service(ctx, op, acct)
	if err != nil {
		return nil, err
	}
	var out []slotbook.CalendarInfo
	var owner string
	page := ""
	for n := 0; ; n++ {
		if n == maxPages {
			return nil, &Error{Op: op, problem: "too many pages"}
		}
		call := svc.CalendarList.List().Fields(calendarListFields).MaxResults(250).Context(ctx)
		if page != "" {
			call.PageToken(page)
		}
		res, err := call.Do()
		if err != nil {
			return nil, apiError(op, err)
		}
		for _, c := range res.Items {
			if c == nil || c.Id == "" {
				continue
			}
			if c.Primary && owner == "" && slotbook.PlainAddress(c.Id) {
				owner = c.Id
			}
			name := c.Summary
			if c.SummaryOverride != "" {
				name = c.SummaryOverride
			}
			out = append(out, slotbook.CalendarInfo{
				ID:       c.Id,
				Name:     name,
				Primary:  c.Primary,
				ReadOnly: c.AccessRole == "reader" || c.AccessRole == "freeBusyReader",
			})
		}
		if res.NextPageToken == "" || res.NextPageToken == page {
			break
		}
		page = res.NextPageToken
	}
	for i := range out {
		out[i].Owner = owner
	}
	slices.SortStableFunc(out, func(a, b slotbook.CalendarInfo) int {
		switch {
		case a.Primary == b.Primary:
			return 0
		case a.Primary:
			return -1
		}
		return 1
	})
	return out, nil
}

// Events returns the events of a calendar that overlap [from, to), with
// recurring events expanded, in order of start, for the overview. It asks
// only for title, start, end, show-as and status. Cancelled events are
// left out; transparent ("show as available") ones are not Busy. All-day
// events span whole days in the event's time zone, else the calendar's,
// else UTC.
func (p *Provider) Events(ctx context.Context, acct slotbook.Account, calendarID string, from, to time.Time) ([]slotbook.ExternalEvent, error) {
	const op = "events.list"
	if !from.Before(to) {
		return nil, &Error{Op: op, problem: "empty time range"}
	}
	svc, err := p.service(ctx, op, acct)
	if err != nil {
		return nil, err
	}
	var out []slotbook.ExternalEvent
	page := ""
	for n := 0; ; n++ {
		if n == maxPages {
			return nil, &Error{Op: op, problem: "too many pages"}
		}
		call := svc.Events.List(calendarID).
			SingleEvents(true).
			OrderBy("startTime").
			TimeMin(from.UTC().Format(time.RFC3339)).
			TimeMax(to.UTC().Format(time.RFC3339)).
			MaxResults(2500).
			Fields(eventListFields).
			Context(ctx)
		if page != "" {
			call.PageToken(page)
		}
		res, err := call.Do()
		if err != nil {
			return nil, apiError(op, err)
		}
		calZone := loadZone(res.TimeZone, time.UTC)
		for _, ev := range res.Items {
			if ev == nil || ev.Status == "cancelled" {
				continue
			}
			start, end, ok := eventSpan(ev, calZone)
			if !ok {
				return nil, &Error{Op: op, problem: "malformed response"}
			}
			out = append(out, slotbook.ExternalEvent{
				Start: start,
				End:   end,
				Title: ev.Summary,
				Busy:  ev.Transparency != "transparent",
			})
		}
		if res.NextPageToken == "" || res.NextPageToken == page {
			break
		}
		page = res.NextPageToken
	}
	return out, nil
}

// eventSpan returns an event's start and end instants.
func eventSpan(ev *calendar.Event, calZone *time.Location) (start, end time.Time, ok bool) {
	start, ok1 := instant(ev.Start, calZone)
	end, ok2 := instant(ev.End, calZone)
	if !ok1 || !ok2 || end.Before(start) {
		return time.Time{}, time.Time{}, false
	}
	return start, end, true
}

// instant reads an EventDateTime: a dateTime as it is, a date (all-day) as
// its midnight in the event's zone, else calZone.
func instant(dt *calendar.EventDateTime, calZone *time.Location) (time.Time, bool) {
	switch {
	case dt == nil:
		return time.Time{}, false
	case dt.DateTime != "":
		t, err := time.Parse(time.RFC3339, dt.DateTime)
		return t, err == nil
	case dt.Date != "":
		d, err := time.Parse(time.DateOnly, dt.Date)
		if err != nil {
			return time.Time{}, false
		}
		zone := loadZone(dt.TimeZone, calZone)
		return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zone), true
	}
	return time.Time{}, false
}

// loadZone returns the zone name names (see tzname.Resolve), or def if
// it is empty or unknown.
func loadZone(name string, def *time.Location) *time.Location {
	if loc, ok := tzname.Resolve(name); ok {
		return loc
	}
	return def
}

// eventIDEncoding is base32hex without padding, in lower case: exactly the
// characters Google allows in event ids (a–v, 0–9).
var eventIDEncoding = base32.HexEncoding.WithPadding(base32.NoPadding)

// EventID returns the Google event id that PutEvent gives the event of a
// booking key: the SHA-256 of the key in lower-case base32hex, 52
// characters of a–v and 0–9. The same key always gives the same id, so a
// caller can delete the event even if PutEvent's answer was lost.
func EventID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return strings.ToLower(eventIDEncoding.EncodeToString(sum[:]))
}

// PutEvent writes ev into the calendar with the id EventID(ev.Key) and
// returns that id. Writing the same draft again makes no second event:
// Google answers the repeated insert with 409, which counts as success. If
// the event with that id had been deleted (Google keeps it as cancelled and
// still refuses the id), it is restored with the draft's content.
func (p *Provider) PutEvent(ctx context.Context, acct slotbook.Account, calendarID string, ev slotbook.EventDraft) (string, error) {
	const op = "events.insert"
	if ev.Key == "" {
		return "", &Error{Op: op, problem: "draft without key"}
	}
	if !ev.Start.Before(ev.End) {
		return "", &Error{Op: op, problem: "draft ends before it starts"}
	}
	// Google wants IANA names: the zone is sent as tzname resolved it.
	zone, zoneName := time.UTC, ""
	if ev.TimeZone != "" {
		loc, ok := tzname.Resolve(ev.TimeZone)
		if !ok {
			return "", &Error{Op: op, problem: "unknown time zone"}
		}
		zone, zoneName = loc, loc.String()
	}
	svc, err := p.service(ctx, op, acct)
	if err != nil {
		return "", err
	}
	id := EventID(ev.Key)
	event := &calendar.Event{
		Id:          id,
		Summary:     ev.Title,
		Description: ev.Description,
		Start:       &calendar.EventDateTime{DateTime: ev.Start.In(zone).Format(time.RFC3339), TimeZone: zoneName},
		End:         &calendar.EventDateTime{DateTime: ev.End.In(zone).Format(time.RFC3339), TimeZone: zoneName},
	}
	_, err = svc.Events.Insert(calendarID, event).Fields("id").Context(ctx).Do()
	if err == nil {
		return id, nil
	}
	if !isStatus(err, http.StatusConflict) {
		return "", apiError(op, err)
	}

	// The id exists: an earlier try went through, or the event was deleted.
	got, err := svc.Events.Get(calendarID, id).Fields("status").Context(ctx).Do()
	if err != nil {
		return "", apiError("events.get", err)
	}
	if got.Status != "cancelled" {
		return id, nil
	}
	event.Status = "confirmed"
	if _, err := svc.Events.Update(calendarID, id, event).Fields("id").Context(ctx).Do(); err != nil {
		return "", apiError("events.update", err)
	}
	return id, nil
}

// DeleteEvent deletes an event. An event that does not exist (404) or was
// deleted already (410) is no error.
func (p *Provider) DeleteEvent(ctx context.Context, acct slotbook.Account, calendarID, eventID string) error {
	const op = "events.delete"
	if eventID == "" {
		return &Error{Op: op, problem: "no event id"}
	}
	svc, err := p.service(ctx, op, acct)
	if err != nil {
		return err
	}
	err = svc.Events.Delete(calendarID, eventID).Context(ctx).Do()
	if err == nil || isStatus(err, http.StatusNotFound, http.StatusGone) {
		return nil
	}
	return apiError(op, err)
}

// DeleteDraftEvent deletes the event PutEvent writes for draft: its id is
// EventID(draft.Key), known without PutEvent's answer. One that does not
// exist, or was deleted already, is no error.
func (p *Provider) DeleteDraftEvent(ctx context.Context, acct slotbook.Account, calendarID string, draft slotbook.EventDraft) error {
	if draft.Key == "" {
		return &Error{Op: "events.delete", problem: "draft without key"}
	}
	return p.DeleteEvent(ctx, acct, calendarID, EventID(draft.Key))
}
