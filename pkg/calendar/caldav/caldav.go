// Package caldav reads and writes CalDAV calendars (iCloud, Nextcloud,
// Fastmail, Radicale, …) for slotbook: a slotbook.CalendarProvider over
// github.com/emersion/go-webdav's CalDAV client with HTTP basic auth.
//
// The rules:
//
//   - Account.URL is the server (or its DAV root, such as Nextcloud's
//     /remote.php/dav), Account.Username and Account.Secret the user and
//     (app-specific) password. User info inside the URL is ignored.
//   - Calendars discovers the principal, its calendar home and the
//     calendars that take VEVENTs; it is the test query of a connection.
//     A calendar is ReadOnly when its current-user-privilege-set lacks
//     write; servers that do not say are taken as writable. The first
//     writable calendar is Primary and listed first; Owner is the first
//     mailto: of the principal's calendar-user-address-set, if any. A
//     calendar's ID is its path, or its full URL where the calendar home
//     lies on another host (iCloud's pNN-caldav.icloud.com; go-webdav's
//     FindCalendarHomeSet drops the host, so the home set is read here).
//   - Busy and Events send calendar-query REPORTs that ask for the VEVENT
//     properties needed and nothing else (Busy: UID, DTSTART, DTEND,
//     DURATION, RRULE, RDATE, EXDATE, RECURRENCE-ID, TRANSP, STATUS; Events
//     adds SUMMARY): one with a time-range filter (the window widened by
//     two days) and one each for the events with an RRULE, an RDATE or a
//     RECURRENCE-ID, whatever their dates, so that no server's recurrence
//     handling is trusted (see query.go); icalbusy expands the result.
//     Events the server sends no partial data for are fetched whole with
//     calendar-multiget. Whatever the server sends beyond the properties
//     asked for is dropped unread. The free-busy-query REPORT is not used:
//     too few servers support it. Pass from and to in the employee's zone:
//     all-day and floating times are read in from.Location().
//   - PutEvent writes <calendar>/<uid>.ics with a UID derived from
//     EventDraft.Key (SHA-256), so writing a draft again overwrites the
//     same object. Times carry the draft's TZID with a VTIMEZONE, or UTC.
//     The event id is the object's path (its URL for calendars on another
//     host). A PUT the server answers with 207 (Xandikos's way of
//     refusing one) is an error. DeleteEvent deletes only objects directly
//     inside the calendar and counts 404 and 410 as done; DeleteDraftEvent
//     deletes <calendar>/<UID(draft.Key)>.ics the same way.
//   - 401 wraps slotbook.ErrCalendarAuth; 404 (also inside a 207 answer
//     to a PROPFIND, and 409 to PutEvent's PUT: no parent collection)
//     wraps slotbook.ErrCalendarNotFound; 403 wraps both:
//     at connect time it means a URL the user may not use, later that the
//     credentials no longer reach the calendar. Unreachable servers wrap
//     neither. Errors carry the status and the operation, never a response
//     body, event data or the password.
//   - 429 and 503 are retried (Config.MaxRetries) by calhttp.Retry: with
//     exponential backoff from half a second, at least as long as
//     Retry-After says, but not for a Retry-After over a minute and only
//     when the wait ends before the context's deadline.
//   - By default the client connects to public addresses only (see
//     calhttp.Public; the URL comes from a user) and refuses plain http
//     server, calendar-home, calendar and event URLs and redirects from
//     https to http (the password goes in basic auth); such refusals wrap
//     slotbook.ErrAddressNotAllowed. Tests and local development set
//     Config.AllowPrivateNetworks, which allows both.
package caldav

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-webdav/caldav"

	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
	"github.com/slotbook/slotbook/pkg/calendar/icalbusy"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Config configures a Provider. The zero value is ready for production.
type Config struct {
	// HTTPClient is the client requests go through. Nil means a client
	// that refuses addresses that are not public and redirects from https
	// to http, unless AllowPrivateNetworks is set. Deadlines come from the
	// context of each call.
	HTTPClient *http.Client
	// AllowPrivateNetworks lets the default client reach addresses that
	// are not public (loopback, private, link-local, …) and allows plain
	// http URLs: for tests and local development only.
	AllowPrivateNetworks bool
	// MaxRetries is how often a 429 or 503 is retried; 0 means 2, a
	// negative value none.
	MaxRetries int
	// MaxResponseBytes caps one response body; 0 means 20 MB.
	MaxResponseBytes int64
	// Concurrency is how many calendars Busy reads at once; 0 means 4.
	// Each read sends its four calendar-query REPORTs at once.
	Concurrency int
	// UserAgent is sent with every request; empty means "slotbook".
	UserAgent string
	// Now returns the time for DTSTAMP; nil means time.Now.
	Now func() time.Time
}

// Provider is the CalDAV slotbook.CalendarProvider. It keeps no state
// between calls but its configuration.
type Provider struct {
	cfg Config
	// client is cfg.HTTPClient with its transport under calhttp.Retry:
	// redirects, cookies and timeout as configured, each request retried.
	client *http.Client
}

var _ slotbook.CalendarProvider = (*Provider)(nil)

// New returns a Provider.
func New(cfg Config) *Provider {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = calhttp.Client(cfg.AllowPrivateNetworks)
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 2
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 20 << 20
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "slotbook"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := *cfg.HTTPClient
	client.Transport = &calhttp.Retry{Base: cfg.HTTPClient.Transport, Backoff: backoff(cfg.MaxRetries), Retryable: retryable}
	return &Provider{cfg: cfg, client: &client}
}

// The VEVENT properties a query asks for: those icalbusy reads.
var (
	busyProps = []string{
		ical.PropUID, ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDuration,
		ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates,
		ical.PropRecurrenceID, ical.PropTransparency, ical.PropStatus,
	}
	eventProps = append(busyProps[:len(busyProps):len(busyProps)], ical.PropSummary)
)

// Calendars lists the account's calendars that hold events, the primary
// (first writable) first.
func (p *Provider) Calendars(ctx context.Context, acct slotbook.Account) ([]slotbook.CalendarInfo, error) {
	const op = "list calendars"
	s, err := p.session(acct)
	if err != nil {
		return nil, fmt.Errorf("caldav: %s: %w", op, err)
	}
	principal, err := s.principal(ctx)
	if err != nil {
		return nil, wrapErr(op+": find principal", err)
	}
	home, owner, err := s.homeSet(ctx, principal)
	if err != nil {
		return nil, wrapErr(op+": find calendar home", err)
	}
	hc, err := caldav.NewClient(s.doer, origin(home))
	if err != nil {
		return nil, fmt.Errorf("caldav: %s: invalid calendar home", op)
	}
	cals, err := guard(func() ([]caldav.Calendar, error) { return hc.FindCalendars(ctx, home.Path) })
	if err != nil {
		return nil, wrapErr(op, err)
	}
	// Best effort: a server that does not report privileges is writable.
	writable, _ := s.privileges(ctx, home)

	var out []slotbook.CalendarInfo
	primary := -1
	for _, cal := range cals {
		if !holdsEvents(cal.SupportedComponentSet) {
			continue
		}
		p := cal.Path
		if !strings.HasSuffix(p, "/") {
			p += "/"
		}
		info := slotbook.CalendarInfo{ID: s.calendarID(home, p), Name: cal.Name, Owner: owner}
		if info.Name == "" {
			info.Name = path.Base(strings.TrimSuffix(p, "/"))
		}
		if w, known := writable[strings.TrimSuffix(p, "/")]; known && !w {
			info.ReadOnly = true
		}
		if primary < 0 && !info.ReadOnly {
			primary = len(out)
			info.Primary = true
		}
		out = append(out, info)
	}
	if primary > 0 {
		first := out[primary]
		copy(out[1:primary+1], out[:primary])
		out[0] = first
	}
	return out, nil
}

func holdsEvents(comps []string) bool {
	if len(comps) == 0 {
		return true // the server does not say: any component
	}
	for _, c := range comps {
		if strings.EqualFold(c, ical.CompEvent) {
			return true
		}
	}
	return false
}

// Busy returns the busy times in [from, to) of each calendar, read in
// parallel. A calendar that cannot be read gets an Err; refused
// credentials fail the whole call.
func (p *Provider) Busy(ctx context.Context, acct slotbook.Account, calendarIDs []string, from, to time.Time) ([]slotbook.BusyResult, error) {
	if len(calendarIDs) == 0 {
		return nil, nil
	}
	s, err := p.session(acct)
	if err != nil {
		return nil, fmt.Errorf("caldav: read busy times: %w", err)
	}
	out := make([]slotbook.BusyResult, len(calendarIDs))
	sem := make(chan struct{}, p.cfg.Concurrency)
	var wg sync.WaitGroup
	for i, id := range calendarIDs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			cals, err := s.query(ctx, id, from, to, busyProps)
			if err != nil {
				out[i].Err = wrapErr("read busy times", err)
				return
			}
			busy, err := icalbusy.Busy(cals, from, to, from.Location())
			if err != nil {
				out[i].Err = fmt.Errorf("caldav: read busy times: %w", err)
				return
			}
			out[i].Busy = busy
		}()
	}
	wg.Wait()
	for _, r := range out {
		if errors.Is(r.Err, slotbook.ErrCalendarAuth) {
			return nil, r.Err
		}
	}
	return out, nil
}

// Events returns the events of one calendar that overlap [from, to), with
// titles.
func (p *Provider) Events(ctx context.Context, acct slotbook.Account, calendarID string, from, to time.Time) ([]slotbook.ExternalEvent, error) {
	const op = "read events"
	s, err := p.session(acct)
	if err != nil {
		return nil, fmt.Errorf("caldav: %s: %w", op, err)
	}
	cals, err := s.query(ctx, calendarID, from, to, eventProps)
	if err != nil {
		return nil, wrapErr(op, err)
	}
	events, err := icalbusy.Events(cals, from, to, from.Location())
	if err != nil {
		return nil, fmt.Errorf("caldav: %s: %w", op, err)
	}
	return events, nil
}

// PutEvent writes ev as <calendar>/<uid>.ics and returns that path (the
// URL for a calendar on another host). Writing the same draft again
// overwrites the object.
func (p *Provider) PutEvent(ctx context.Context, acct slotbook.Account, calendarID string, ev slotbook.EventDraft) (string, error) {
	const op = "write event"
	if ev.Key == "" || !ev.End.After(ev.Start) {
		return "", fmt.Errorf("caldav: %s: the draft needs a key and an end after its start", op)
	}
	s, err := p.session(acct)
	if err != nil {
		return "", fmt.Errorf("caldav: %s: %w", op, err)
	}
	calURL, err := s.resolve(calendarID)
	if err != nil {
		return "", fmt.Errorf("caldav: %s: %w", op, err)
	}
	uid := UID(ev.Key)
	cal, err := buildCalendar(ev, uid, p.cfg.Now())
	if err != nil {
		return "", fmt.Errorf("caldav: %s: %w", op, err)
	}
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return "", fmt.Errorf("caldav: %s: encode event: %w", op, err)
	}
	obj := *calURL
	obj.Path += uid + ".ics"
	// A plain PUT rather than go-webdav's PutCalendarObject, which fails
	// after a successful write when the server sends a weak ETag.
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, obj.String(), bytes.NewReader(buf.Bytes()))
	if err != nil {
		return "", fmt.Errorf("caldav: %s: invalid calendar URL", op)
	}
	req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
	resp, err := s.doer.Do(req)
	var he *httpError
	if errors.As(err, &he) && he.status == http.StatusConflict {
		// RFC 4918 9.7.1: a PUT whose parent collection does not exist
		// fails with 409 (Radicale; Xandikos says 404).
		return "", fmt.Errorf("caldav: %s: no such calendar (HTTP 409): %w", op, slotbook.ErrCalendarNotFound)
	}
	if err != nil {
		return "", wrapErr(op, err)
	}
	calhttp.Discard(resp.Body)
	if resp.StatusCode == http.StatusMultiStatus {
		// Xandikos answers a PUT it refuses (a UID in use by another
		// object, invalid data) with 207 and the failure inside: no
		// event was written.
		return "", fmt.Errorf("caldav: %s: the server refused the event (HTTP 207)", op)
	}
	return s.calendarID(&obj, obj.Path), nil
}

// DeleteEvent deletes the object eventID of the calendar; one that is gone
// already is no error.
func (p *Provider) DeleteEvent(ctx context.Context, acct slotbook.Account, calendarID, eventID string) error {
	const op = "delete event"
	s, err := p.session(acct)
	if err != nil {
		return fmt.Errorf("caldav: %s: %w", op, err)
	}
	calURL, err := s.resolve(calendarID)
	if err != nil {
		return fmt.Errorf("caldav: %s: %w", op, err)
	}
	obj, err := s.resolveObject(eventID)
	if err != nil {
		return fmt.Errorf("caldav: %s: %w", op, err)
	}
	// Only an object directly inside the calendar: a stray id must never
	// delete a collection.
	name, inside := strings.CutPrefix(obj.Path, calURL.Path)
	if origin(obj) != origin(calURL) || !inside || name == "" || strings.Contains(name, "/") {
		return fmt.Errorf("caldav: %s: the event is not an object of this calendar", op)
	}
	c, err := caldav.NewClient(s.doer, origin(obj))
	if err != nil {
		return fmt.Errorf("caldav: %s: invalid event URL", op)
	}
	_, err = guard(func() (struct{}, error) { return struct{}{}, c.RemoveAll(ctx, obj.Path) })
	var he *httpError
	if errors.As(err, &he) && (he.status == http.StatusNotFound || he.status == http.StatusGone) {
		return nil
	}
	return wrapErr(op, err)
}

// DeleteDraftEvent deletes the object PutEvent writes for draft,
// <calendar>/<UID(draft.Key)>.ics, whose path is known without PutEvent's
// answer. One that is gone already is no error.
func (p *Provider) DeleteDraftEvent(ctx context.Context, acct slotbook.Account, calendarID string, draft slotbook.EventDraft) error {
	if draft.Key == "" {
		return errors.New("caldav: delete event: the draft needs a key")
	}
	s, err := p.session(acct)
	if err != nil {
		return fmt.Errorf("caldav: delete event: %w", err)
	}
	calURL, err := s.resolve(calendarID)
	if err != nil {
		return fmt.Errorf("caldav: delete event: %w", err)
	}
	obj := *calURL
	obj.Path += UID(draft.Key) + ".ics"
	return p.DeleteEvent(ctx, acct, calendarID, s.calendarID(&obj, obj.Path))
}

// UID returns the iCalendar UID PutEvent gives the event of a booking key:
// the same key always gives the same UID, and so the same object.
func UID(key string) string {
	// Hashing keeps the key's characters out of the object's path.
	sum := sha256.Sum256([]byte("slotbook booking event\x00" + key))
	return "slotbook-" + hex.EncodeToString(sum[:16])
}

// errInvalidID is returned for a calendar or event ID that is neither a
// path nor an http(s) URL.
var errInvalidID = errors.New("invalid calendar or event id")

// session is one account during one call.
type session struct {
	base *url.URL // the account's server URL, without user info
	doer *doer
	// allowHTTP permits plain http URLs (Config.AllowPrivateNetworks).
	allowHTTP bool
}

// errPlainHTTP is returned for an http URL where https is required.
var errPlainHTTP = fmt.Errorf("plain http is not allowed, use https: %w", slotbook.ErrAddressNotAllowed)

func (p *Provider) session(acct slotbook.Account) (*session, error) {
	u, err := url.Parse(strings.TrimSpace(acct.URL))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("the account's server URL must be an http or https URL")
	}
	// The password goes in basic auth with every request: in production
	// it must never cross the network in the clear.
	if u.Scheme == "http" && !p.cfg.AllowPrivateNetworks {
		return nil, fmt.Errorf("the account's server URL: %w", errPlainHTTP)
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	return &session{base: u, allowHTTP: p.cfg.AllowPrivateNetworks, doer: &doer{
		client:    p.client,
		user:      acct.Username,
		pass:      acct.Secret,
		userAgent: p.cfg.UserAgent,
		maxBytes:  p.cfg.MaxResponseBytes,
	}}, nil
}

// resolve returns the URL of a calendar ID: a path on the account's
// server, or a full http(s) URL. The path ends in a slash.
func (s *session) resolve(calendarID string) (*url.URL, error) {
	u, err := s.resolveObject(calendarID)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u, nil
}

// resolveObject returns the URL of a calendar or object ID.
func (s *session) resolveObject(id string) (*url.URL, error) {
	if strings.HasPrefix(id, "/") {
		u := *s.base
		u.Path, u.RawPath = path.Clean(id), ""
		if strings.HasSuffix(id, "/") && u.Path != "/" {
			u.Path += "/"
		}
		return &u, nil
	}
	u, err := url.Parse(id)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path == "" {
		return nil, errInvalidID
	}
	if u.Scheme == "http" && !s.allowHTTP {
		return nil, fmt.Errorf("the calendar or event URL: %w", errPlainHTTP)
	}
	u.User, u.RawQuery, u.Fragment, u.RawPath = nil, "", "", ""
	return u, nil
}

// calendarID returns the ID of the collection or object at path p on the
// host of u: the path alone on the account's server, else the full URL.
func (s *session) calendarID(u *url.URL, p string) string {
	if origin(u) == origin(s.base) {
		return p
	}
	full := url.URL{Scheme: u.Scheme, Host: u.Host, Path: p}
	return full.String()
}

// origin returns scheme://host/ of u.
func origin(u *url.URL) string {
	return u.Scheme + "://" + u.Host + "/"
}

// errPanic stands for a panic in a parser of the server's response
// (go-ical panics on some malformed lines).
var errPanic = errors.New("malformed response")

func guard[T any](f func() (T, error)) (v T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			v, err = zero, errPanic
		}
	}()
	return f()
}
