package microsoft

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/slotbook/slotbook/pkg/calendar/tzname"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Paging limits: the page size asked for, and the most items one call
// reads before it gives up (a guard against a nextLink that never ends).
const (
	pageSize = 100
	maxItems = 20000
)

// do runs one SDK call f and turns its error into an *Error.
func do(ctx context.Context, op string, f func(ctx context.Context) error) error {
	ctx, st := withStatus(ctx)
	err := f(ctx)
	return apiError(ctx, op, st.get(), err)
}

// utcHeaders asks Graph for times in UTC.
func utcHeaders() *abstractions.RequestHeaders {
	h := abstractions.NewRequestHeaders()
	h.Add("Prefer", `outlook.timezone="UTC"`)
	return h
}

// Calendars lists the account's calendars, the default one first. A
// calendar the account cannot edit is ReadOnly. Owner is the mailbox's SMTP
// address on every calendar: the owner of the default calendar, which is
// the mailbox itself (a calendar shared with the mailbox names the sharer
// as its owner, so only the default one tells the mailbox's address).
// Calendar ids are opaque and are never an address. Reading owner needs no
// permission beyond the calendars' own; /me would need User.Read.
func (p *Provider) Calendars(ctx context.Context, acct slotbook.Account) ([]slotbook.CalendarInfo, error) {
	const op = "list calendars"
	if err := p.ready(); err != nil {
		return nil, err
	}
	ctx, s := p.begin(ctx, acct)
	var out []slotbook.CalendarInfo
	var owner string
	err := do(ctx, op, func(ctx context.Context) error {
		top := int32(pageSize)
		resp, err := p.me().Calendars().Get(ctx, &users.ItemCalendarsRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemCalendarsRequestBuilderGetQueryParameters{
				Select: []string{"id", "name", "isDefaultCalendar", "canEdit", "owner"},
				Top:    &top,
			},
		})
		if err != nil {
			return err
		}
		return iterate(ctx, p, resp, models.CreateCalendarCollectionResponseFromDiscriminatorValue, nil,
			func(c models.Calendarable) {
				primary := derefBool(c.GetIsDefaultCalendar())
				if primary && owner == "" {
					owner = ownerAddress(c)
				}
				out = append(out, slotbook.CalendarInfo{
					ID:       deref(c.GetId()),
					Name:     deref(c.GetName()),
					Primary:  primary,
					ReadOnly: !derefBool(c.GetCanEdit()),
				})
			})
	})
	if err := s.end(err); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Owner = owner
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Primary && !out[j].Primary })
	return out, nil
}

// ownerAddress returns the SMTP address of a calendar's owner, or "" if
// Graph named none or something that is not an address.
func ownerAddress(c models.Calendarable) string {
	o := c.GetOwner()
	if o == nil {
		return ""
	}
	a := strings.TrimSpace(deref(o.GetAddress()))
	if !slotbook.PlainAddress(a) {
		return ""
	}
	return a
}

// Events returns the events of calendarID that overlap [from, to), with
// their subjects, sorted by start. Cancelled events are left out; events
// shown as free have Busy false.
func (p *Provider) Events(ctx context.Context, acct slotbook.Account, calendarID string, from, to time.Time) ([]slotbook.ExternalEvent, error) {
	const op = "list events"
	if err := p.ready(); err != nil {
		return nil, err
	}
	if calendarID == "" {
		return nil, &Error{Op: op, Code: "no_calendar_id"}
	}
	if !from.Before(to) {
		return nil, nil
	}
	ctx, s := p.begin(ctx, acct)
	var out []slotbook.ExternalEvent
	var badTime bool
	err := calendarView(ctx, p, op, calendarID, from, to,
		[]string{"subject", "start", "end", "showAs", "isCancelled"},
		func(e models.Eventable) {
			if derefBool(e.GetIsCancelled()) {
				return
			}
			start, end, err := eventSpan(e)
			if err != nil {
				badTime = true
				return
			}
			out = append(out, slotbook.ExternalEvent{
				Start: start,
				End:   end,
				Title: deref(e.GetSubject()),
				Busy:  blocks(e.GetShowAs()),
			})
		})
	if err == nil && badTime {
		err = &Error{Op: op, Err: errMalformed}
	}
	if err := s.end(err); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out, nil
}

// calendarView reads the events of calendarID in [from, to) with the
// fields in sel, page by page, in UTC, and hands each to f.
func calendarView(ctx context.Context, p *Provider, op, calendarID string, from, to time.Time, sel []string, f func(models.Eventable)) error {
	return do(ctx, op, func(ctx context.Context) error {
		// Whole seconds, widened rather than narrowed.
		start := from.UTC().Truncate(time.Second).Format(time.RFC3339)
		end := to.UTC().Add(time.Second - 1).Truncate(time.Second).Format(time.RFC3339)
		top := int32(pageSize)
		resp, err := p.me().Calendars().ByCalendarId(calendarID).CalendarView().Get(ctx,
			&users.ItemCalendarsItemCalendarViewRequestBuilderGetRequestConfiguration{
				Headers: utcHeaders(),
				QueryParameters: &users.ItemCalendarsItemCalendarViewRequestBuilderGetQueryParameters{
					StartDateTime: &start,
					EndDateTime:   &end,
					Select:        sel,
					Top:           &top,
				},
			})
		if err != nil {
			return err
		}
		return iterate(ctx, p, resp, models.CreateEventCollectionResponseFromDiscriminatorValue, utcHeaders(), f)
	})
}

// iterate hands every item of a collection answer and of the pages its
// @odata.nextLink leads to to f. headers go with every further page.
func iterate[T any](ctx context.Context, p *Provider, first any, create serialization.ParsableFactory, headers *abstractions.RequestHeaders, f func(T)) error {
	if first == nil {
		return errMalformed
	}
	it, err := msgraphcore.NewPageIterator[T](first, p.adapter, create)
	if err != nil {
		return errMalformed
	}
	if headers != nil {
		it.SetHeaders(headers)
	}
	n := 0
	tooMany := false
	err = it.Iterate(ctx, func(item T) bool {
		if n++; n > maxItems {
			tooMany = true
			return false
		}
		f(item)
		return true
	})
	if err != nil {
		return err
	}
	if tooMany {
		return errTooManyItems
	}
	return nil
}

// PutEvent creates ev in calendarID and returns the event's id. The event
// carries a transactionId derived from ev.Key; Graph answers a second
// create with the same transactionId with the event of the first, so
// writing the same draft again, or a retry after an answer that was lost,
// makes no second event. Times are sent in UTC, which every mailbox
// accepts; Outlook shows them in the user's zone.
func (p *Provider) PutEvent(ctx context.Context, acct slotbook.Account, calendarID string, ev slotbook.EventDraft) (string, error) {
	const op = "create event"
	if err := p.ready(); err != nil {
		return "", err
	}
	switch {
	case calendarID == "":
		return "", &Error{Op: op, Code: "no_calendar_id"}
	case ev.Key == "":
		return "", &Error{Op: op, Code: "no_key"}
	case !ev.Start.Before(ev.End):
		return "", &Error{Op: op, Code: "empty_time_span"}
	}
	body := models.NewEvent()
	body.SetSubject(&ev.Title)
	content := models.NewItemBody()
	text := models.TEXT_BODYTYPE
	content.SetContentType(&text)
	content.SetContent(&ev.Description)
	body.SetBody(content)
	body.SetStart(graphTime(ev.Start))
	body.SetEnd(graphTime(ev.End))
	showAs := models.BUSY_FREEBUSYSTATUS
	body.SetShowAs(&showAs)
	tid := TransactionID(ev.Key)
	body.SetTransactionId(&tid)

	ctx, s := p.begin(ctx, acct)
	var id string
	err := do(ctx, op, func(ctx context.Context) error {
		created, err := p.me().Calendars().ByCalendarId(calendarID).Events().Post(ctx, body, nil)
		if err != nil {
			return err
		}
		if created == nil || deref(created.GetId()) == "" {
			return errMalformed
		}
		id = *created.GetId()
		return nil
	})
	if err := s.end(err); err != nil {
		return "", err
	}
	return id, nil
}

// DeleteEvent deletes the event eventID. An event that is gone (404) is no
// error. Graph addresses events by id alone, so calendarID is not needed.
func (p *Provider) DeleteEvent(ctx context.Context, acct slotbook.Account, calendarID, eventID string) error {
	const op = "delete event"
	if err := p.ready(); err != nil {
		return err
	}
	if eventID == "" {
		return &Error{Op: op, Code: "no_event_id"}
	}
	ctx, s := p.begin(ctx, acct)
	err := do(ctx, op, func(ctx context.Context) error {
		return p.me().Events().ByEventId(eventID).Delete(ctx, nil)
	})
	var e *Error
	if errors.As(err, &e) && e.Status == 404 && e.Err == nil {
		err = nil
	}
	return s.end(err)
}

// DeleteDraftEvent deletes the event PutEvent wrote for draft, if there
// is one. Graph chooses event ids itself, so the event is found by the
// transactionId PutEvent gave it (TransactionID(draft.Key)), in a
// calendarView of the draft's time that asks for nothing but
// transactionId. One that is not there is no error.
func (p *Provider) DeleteDraftEvent(ctx context.Context, acct slotbook.Account, calendarID string, draft slotbook.EventDraft) error {
	const op = "delete event"
	if err := p.ready(); err != nil {
		return err
	}
	switch {
	case calendarID == "":
		return &Error{Op: op, Code: "no_calendar_id"}
	case draft.Key == "":
		return &Error{Op: op, Code: "no_key"}
	case !draft.Start.Before(draft.End):
		return &Error{Op: op, Code: "empty_time_span"}
	}
	tid := TransactionID(draft.Key)
	ctx, s := p.begin(ctx, acct)
	var ids []string
	err := calendarView(ctx, p, "find event", calendarID, draft.Start, draft.End, []string{"transactionId"},
		func(e models.Eventable) {
			if deref(e.GetTransactionId()) == tid && deref(e.GetId()) != "" {
				ids = append(ids, *e.GetId())
			}
		})
	for _, id := range ids {
		if err != nil {
			break
		}
		err = do(ctx, op, func(ctx context.Context) error {
			return p.me().Events().ByEventId(id).Delete(ctx, nil)
		})
		var e *Error
		if errors.As(err, &e) && e.Status == 404 && e.Err == nil {
			err = nil
		}
	}
	return s.end(err)
}

// TransactionID returns the transactionId of the event written for a
// draft with key: a UUID-shaped digest of the key, the same for the same
// key and revealing nothing of it.
func TransactionID(key string) string {
	sum := sha256.Sum256([]byte("slotbook/graph/transactionId\x00" + key))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80 // version 8: custom (RFC 9562)
	b[8] = b[8]&0x3f | 0x80 // variant 10
	h := hex.EncodeToString(b)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[0:8], h[8:12], h[12:16], h[16:20], h[20:32])
}

// graphTime is t as Graph's dateTimeTimeZone in UTC.
func graphTime(t time.Time) models.DateTimeTimeZoneable {
	v := models.NewDateTimeTimeZone()
	dt := t.UTC().Format("2006-01-02T15:04:05.0000000")
	tz := "UTC"
	v.SetDateTime(&dt)
	v.SetTimeZone(&tz)
	return v
}

// parseGraphTime reads Graph's dateTimeTimeZone: a wall time without offset
// ("2025-01-06T12:00:00.0000000") and a zone name. The zone is UTC when
// asked for with Prefer: outlook.timezone="UTC"; where Graph does not
// honour that header it is the mailbox's zone, under its Windows name
// ("W. Europe Standard Time") as mailboxSettings names it too, or an IANA
// name. tzname.Resolve reads them all. A zone it cannot interpret is an
// error, never a guess.
func parseGraphTime(dateTime, zone string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, dateTime); err == nil {
		return t.UTC(), nil
	}
	loc := time.UTC
	if strings.TrimSpace(zone) != "" {
		l, ok := tzname.Resolve(zone)
		if !ok {
			return time.Time{}, errMalformed
		}
		loc = l
	}
	// Parsing accepts the fractional seconds though the layout has none.
	t, err := time.ParseInLocation("2006-01-02T15:04:05", dateTime, loc)
	if err != nil {
		return time.Time{}, errMalformed
	}
	return t.UTC(), nil
}

// eventSpan returns an event's start and end.
func eventSpan(e models.Eventable) (start, end time.Time, err error) {
	s, en := e.GetStart(), e.GetEnd()
	if s == nil || en == nil {
		return start, end, errMalformed
	}
	if start, err = parseGraphTime(deref(s.GetDateTime()), deref(s.GetTimeZone())); err != nil {
		return start, end, err
	}
	if end, err = parseGraphTime(deref(en.GetDateTime()), deref(en.GetTimeZone())); err != nil {
		return start, end, err
	}
	if end.Before(start) {
		return start, end, errMalformed
	}
	return start, end, nil
}

// blocks reports whether an event shown as status takes time. Only free
// does not; a status the SDK could not read (nil) counts as busy.
func blocks(status *models.FreeBusyStatus) bool {
	return status == nil || *status != models.FREE_FREEBUSYSTATUS
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefBool(b *bool) bool { return b != nil && *b }
