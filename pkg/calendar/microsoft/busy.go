package microsoft

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// getSchedule limits. Windows stay under both limits on record: 62 days
// for Graph's getSchedule, 42 for Exchange's free/busy. The interval (5 to
// 1440 minutes) shapes only availabilityView, which is not used.
const (
	scheduleWindow   = 41 * 24 * time.Hour
	scheduleInterval = 60
)

// Busy returns the busy times in [from, to) of each calendar, in the order
// of calendarIDs. The account's default calendar is read with getSchedule
// (free/busy only); other calendars, and the default one when getSchedule
// is not available, with calendarView. A calendar that could not be read
// gets an Err. If the credentials are refused, or the default calendar
// cannot be looked up, the whole call fails.
//
// getSchedule takes the mailbox's SMTP address, and answers one it cannot
// resolve with an error for that schedule. When acct.Email is an address,
// getSchedule is started at once, while the default calendar's id is looked
// up. When it is not (connections made before the address was read at
// connect time hold the calendar id there), it is never sent: the address
// is taken from the default calendar's owner, which the lookup reads
// anyway, and handed to acct.OnAddress once; a failure to save it fails the
// call after the calendars were read, as a failure of OnRotate does.
func (p *Provider) Busy(ctx context.Context, acct slotbook.Account, calendarIDs []string, from, to time.Time) ([]slotbook.BusyResult, error) {
	if err := p.ready(); err != nil {
		return nil, err
	}
	results := make([]slotbook.BusyResult, len(calendarIDs))
	if len(calendarIDs) == 0 || !from.Before(to) {
		return results, nil
	}
	from, to = from.UTC(), to.UTC()
	ctx, s := p.begin(ctx, acct)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Most connections are the default calendar: with a known address, ask
	// getSchedule now rather than after the lookup, and drop its answer if
	// no calendar asked for is the default one.
	var sched chan scheduleOutcome
	schedCtx, cancelSched := context.WithCancel(ctx)
	defer cancelSched()
	startSchedule := func(address string) {
		sched = make(chan scheduleOutcome, 1)
		go func() { sched <- p.scheduleBusy(schedCtx, address, from, to) }()
	}
	email := strings.TrimSpace(acct.Email)
	known := slotbook.PlainAddress(email)
	if known {
		startSchedule(email)
	}
	def, err := p.defaultCalendar(ctx)
	if err != nil {
		cancelSched()
		if sched != nil {
			<-sched
		}
		return nil, s.end(err)
	}
	if !known && def.owner != "" {
		s.learnAddress(def.owner)
		if slices.Contains(calendarIDs, def.id) {
			startSchedule(def.owner)
		}
	}

	var wg sync.WaitGroup
	var defaults []int
	for i, id := range calendarIDs {
		if id == def.id && sched != nil {
			defaults = append(defaults, i)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = p.viewBusy(ctx, id, from, to)
		}()
	}
	if sched != nil {
		if len(defaults) == 0 {
			cancelSched()
		}
		out := <-sched
		if len(defaults) > 0 {
			res := out.result
			if out.fallback {
				res = p.viewBusy(ctx, def.id, from, to)
			}
			for _, i := range defaults {
				results[i] = slotbook.BusyResult{Busy: slices.Clone(res.Busy), Err: res.Err}
			}
		}
	}
	wg.Wait()

	for _, r := range results {
		if errors.Is(r.Err, slotbook.ErrCalendarAuth) {
			return nil, s.end(r.Err)
		}
	}
	if err := s.end(nil); err != nil {
		return nil, err
	}
	return results, nil
}

// defaultCalendarInfo is what Busy needs of the mailbox's default
// calendar: its id and its owner's address ("" if Graph named none).
type defaultCalendarInfo struct {
	id, owner string
}

// defaultCalendar looks up the id and the owner of the mailbox's default
// calendar. Its owner is the mailbox itself.
func (p *Provider) defaultCalendar(ctx context.Context) (defaultCalendarInfo, error) {
	var info defaultCalendarInfo
	err := do(ctx, "get default calendar", func(ctx context.Context) error {
		cal, err := p.me().Calendar().Get(ctx, &users.ItemCalendarRequestBuilderGetRequestConfiguration{
			QueryParameters: &users.ItemCalendarRequestBuilderGetQueryParameters{Select: []string{"id", "owner"}},
		})
		if err != nil {
			return err
		}
		if cal == nil || deref(cal.GetId()) == "" {
			return errMalformed
		}
		info = defaultCalendarInfo{id: *cal.GetId(), owner: ownerAddress(cal)}
		return nil
	})
	return info, err
}

// scheduleOutcome is getSchedule's answer for the default calendar; with
// fallback set, getSchedule is not available and calendarView must answer.
type scheduleOutcome struct {
	result   slotbook.BusyResult
	fallback bool
}

// scheduleBusy reads the busy times of the mailbox email in [from, to)
// with getSchedule, one request per window, the windows in parallel.
func (p *Provider) scheduleBusy(ctx context.Context, email string, from, to time.Time) scheduleOutcome {
	type window struct{ from, to time.Time }
	var windows []window
	for start := from; start.Before(to); start = start.Add(scheduleWindow) {
		end := start.Add(scheduleWindow)
		if end.After(to) {
			end = to
		}
		windows = append(windows, window{start, end})
	}
	busy := make([][]slotbook.BusyInterval, len(windows))
	errs := make([]error, len(windows))
	var wg sync.WaitGroup
	for i, w := range windows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			busy[i], errs[i] = p.getSchedule(ctx, email, w.from, w.to)
		}()
	}
	wg.Wait()
	if err := firstError(errs); err != nil {
		return scheduleOutcome{result: slotbook.BusyResult{Err: err}, fallback: fallsBack(err)}
	}
	return scheduleOutcome{result: slotbook.BusyResult{Busy: slotbook.MergeBusy(slices.Concat(busy...), from, to)}}
}

// firstError returns the most telling of errs: refused credentials first,
// then any.
func firstError(errs []error) error {
	var first error
	for _, err := range errs {
		if errors.Is(err, slotbook.ErrCalendarAuth) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	return first
}

// fallsBack reports whether a failed getSchedule should be answered by
// calendarView instead. Personal accounts answer getSchedule with an error
// (a 500 or a 4xx, depending on the day), so any failure falls back except
// refused credentials, throttling, the deadline and a failure reported for
// the schedule itself: those would fail calendarView too, or are the
// calendar's answer.
func fallsBack(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch {
	case e.Err == slotbook.ErrCalendarAuth,
		e.Err == errScheduleError,
		e.Err == context.DeadlineExceeded, e.Err == context.Canceled,
		e.Status == http.StatusTooManyRequests:
		return false
	}
	return true
}

// getSchedule asks for the busy times of one window. The SDK builds the
// request; its answer is decoded here (see decodeSchedule).
func (p *Provider) getSchedule(ctx context.Context, email string, from, to time.Time) ([]slotbook.BusyInterval, error) {
	var busy []slotbook.BusyInterval
	err := do(ctx, "get schedule", func(ctx context.Context) error {
		body := users.NewItemCalendarGetSchedulePostRequestBody()
		body.SetSchedules([]string{email})
		body.SetStartTime(graphTime(from))
		body.SetEndTime(graphTime(to))
		interval := int32(scheduleInterval)
		body.SetAvailabilityViewInterval(&interval)
		info, err := p.me().Calendar().GetSchedule().ToPostRequestInformation(ctx, body,
			&users.ItemCalendarGetScheduleRequestBuilderPostRequestConfiguration{Headers: utcHeaders()})
		if err != nil {
			return err
		}
		raw, err := p.adapter.SendPrimitive(ctx, info, "[]byte", abstractions.ErrorMappings{
			"XXX": odataerrors.CreateODataErrorFromDiscriminatorValue,
		})
		if err != nil {
			return err
		}
		b, _ := raw.([]byte)
		busy, err = decodeSchedule(b)
		return err
	})
	return busy, err
}

// scheduleAnswer is the part of getSchedule's answer that is read. Subjects
// and locations, which Graph sends for one's own mailbox, are not.
type scheduleAnswer struct {
	Value []struct {
		ScheduleItems []struct {
			Status string        `json:"status"`
			Start  *dateTimeZone `json:"start"`
			End    *dateTimeZone `json:"end"`
		} `json:"scheduleItems"`
		Error *struct {
			ResponseCode string `json:"responseCode"`
		} `json:"error"`
	} `json:"value"`
}

type dateTimeZone struct {
	DateTime string `json:"dateTime"`
	TimeZone string `json:"timeZone"`
}

// decodeSchedule reads the busy times of the one schedule asked for. The
// SDK's model would drop a status spelt other than in camelCase ("Busy"),
// so statuses are compared here without regard to case: free does not
// block; tentative, busy, oof, workingElsewhere, unknown and anything else
// do. A failure reported for the schedule makes it unreadable.
func decodeSchedule(b []byte) ([]slotbook.BusyInterval, error) {
	var ans scheduleAnswer
	if err := json.Unmarshal(b, &ans); err != nil || len(ans.Value) != 1 {
		return nil, errMalformed
	}
	info := ans.Value[0]
	if info.Error != nil {
		return nil, &Error{Op: "get schedule", Code: safeCode(info.Error.ResponseCode), Err: errScheduleError}
	}
	var busy []slotbook.BusyInterval
	for _, item := range info.ScheduleItems {
		if strings.EqualFold(strings.TrimSpace(item.Status), "free") {
			continue
		}
		if item.Start == nil || item.End == nil {
			return nil, errMalformed
		}
		start, err := parseGraphTime(item.Start.DateTime, item.Start.TimeZone)
		if err != nil {
			return nil, err
		}
		end, err := parseGraphTime(item.End.DateTime, item.End.TimeZone)
		if err != nil {
			return nil, err
		}
		busy = append(busy, slotbook.BusyInterval{Start: start, End: end})
	}
	return busy, nil
}

// viewBusy reads the busy times of one calendar with calendarView, asking
// only for showAs, start, end and isCancelled.
func (p *Provider) viewBusy(ctx context.Context, calendarID string, from, to time.Time) slotbook.BusyResult {
	const op = "calendar view"
	if calendarID == "" {
		return slotbook.BusyResult{Err: &Error{Op: op, Code: "no_calendar_id"}}
	}
	var busy []slotbook.BusyInterval
	bad := false
	err := calendarView(ctx, p, op, calendarID, from, to,
		[]string{"showAs", "start", "end", "isCancelled"},
		func(e models.Eventable) {
			if derefBool(e.GetIsCancelled()) || !blocks(e.GetShowAs()) {
				return
			}
			start, end, err := eventSpan(e)
			if err != nil {
				bad = true
				return
			}
			busy = append(busy, slotbook.BusyInterval{Start: start, End: end})
		})
	if err == nil && bad {
		err = &Error{Op: op, Err: errMalformed}
	}
	if err != nil {
		return slotbook.BusyResult{Err: err}
	}
	return slotbook.BusyResult{Busy: slotbook.MergeBusy(busy, from, to)}
}
