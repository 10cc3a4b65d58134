// Package icsfeed reads iCalendar feeds (the "subscribe by URL" calendars of
// Google, Outlook, iCloud, booking tools, …) for slotbook: a read-only
// slotbook.CalendarProvider.
//
// The rules:
//
//   - Account.URL is the feed, https, http or webcal (fetched as https).
//     Account.Username and Account.Secret, if set, go as basic auth.
//   - Every call fetches the feed with GET, bounded by the context's
//     deadline and by Config.MaxBytes (5 MB; a larger feed is an error,
//     never silently cut), parses it with go-ical and expands it with
//     icalbusy. Nothing is kept between calls.
//   - A feed has one calendar: ID the feed URL, Name its X-WR-CALNAME or
//     the host, ReadOnly. Calendars is also the test query of a new
//     connection. PutEvent and DeleteEvent fail with ErrReadOnly.
//   - Pass from and to in the employee's zone: all-day and floating times
//     are read in from.Location().
//   - 401 and 403 wrap slotbook.ErrCalendarAuth. Errors never contain the
//     feed's path or query (private feed URLs carry secret tokens), the
//     response body or event data.
//   - By default the client connects to public addresses only (see
//     calhttp.Public; the URL comes from a user), refuses redirects from
//     https to http and to other schemes; such refusals wrap
//     slotbook.ErrAddressNotAllowed. Feeds may be plain http. Tests and
//     local development set Config.AllowPrivateNetworks.
package icsfeed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
	"github.com/slotbook/slotbook/pkg/calendar/icalbusy"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Config configures a Provider. The zero value is ready for production.
type Config struct {
	// HTTPClient is the client feeds are fetched with. Nil means a client
	// that refuses addresses that are not public and redirects from https
	// to http, unless AllowPrivateNetworks is set.
	HTTPClient *http.Client
	// AllowPrivateNetworks lets the default client reach addresses that
	// are not public (loopback, private, link-local, …) and follow any
	// redirect: for tests and local development only.
	AllowPrivateNetworks bool
	// MaxBytes caps a feed (after decompression); 0 means 5 MB.
	MaxBytes int64
	// UserAgent is sent with every request; empty means "slotbook".
	UserAgent string
}

// Provider is the ICS feed slotbook.CalendarProvider.
type Provider struct {
	cfg Config
}

var _ slotbook.CalendarProvider = (*Provider)(nil)

// ErrReadOnly is returned by PutEvent and DeleteEvent: a feed cannot be
// written.
var ErrReadOnly = &slotbook.Error{Code: slotbook.Unprocessable, Message: "An ICS feed is read-only: bookings cannot be written into it."}

// New returns a Provider.
func New(cfg Config) *Provider {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = calhttp.Client(cfg.AllowPrivateNetworks)
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 5 << 20
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "slotbook"
	}
	return &Provider{cfg: cfg}
}

// Calendars fetches the feed and describes its one calendar.
func (p *Provider) Calendars(ctx context.Context, acct slotbook.Account) ([]slotbook.CalendarInfo, error) {
	cals, u, err := p.fetch(ctx, acct)
	if err != nil {
		return nil, fmt.Errorf("icsfeed: read feed: %w", err)
	}
	name := u.Hostname()
	for _, cal := range cals {
		if prop := cal.Props.Get("X-WR-CALNAME"); prop != nil {
			if n := strings.TrimSpace(icalbusy.UnescapeText(prop.Value)); n != "" {
				name = n
				break
			}
		}
	}
	return []slotbook.CalendarInfo{{ID: strings.TrimSpace(acct.URL), Name: name, Primary: true, ReadOnly: true}}, nil
}

// Busy fetches the feed once and returns its busy times in [from, to) for
// each calendar ID, which must be the feed's URL. A feed that cannot be
// read gives each calendar an Err; refused credentials fail the call.
func (p *Provider) Busy(ctx context.Context, acct slotbook.Account, calendarIDs []string, from, to time.Time) ([]slotbook.BusyResult, error) {
	if len(calendarIDs) == 0 {
		return nil, nil
	}
	out := make([]slotbook.BusyResult, len(calendarIDs))
	cals, _, err := p.fetch(ctx, acct)
	if err != nil {
		err = fmt.Errorf("icsfeed: read feed: %w", err)
		if errors.Is(err, slotbook.ErrCalendarAuth) {
			return nil, err
		}
		for i := range out {
			out[i].Err = err
		}
		return out, nil
	}
	busy, err := icalbusy.Busy(cals, from, to, from.Location())
	if err != nil {
		err = fmt.Errorf("icsfeed: read feed: %w", err)
	}
	for i, id := range calendarIDs {
		switch {
		case strings.TrimSpace(id) != strings.TrimSpace(acct.URL):
			out[i].Err = errors.New("icsfeed: the calendar is not this account's feed")
		case err != nil:
			out[i].Err = err
		default:
			out[i].Busy = busy
		}
	}
	return out, nil
}

// Events fetches the feed and returns its events that overlap [from, to).
func (p *Provider) Events(ctx context.Context, acct slotbook.Account, calendarID string, from, to time.Time) ([]slotbook.ExternalEvent, error) {
	if strings.TrimSpace(calendarID) != strings.TrimSpace(acct.URL) {
		return nil, errors.New("icsfeed: read events: the calendar is not this account's feed")
	}
	cals, _, err := p.fetch(ctx, acct)
	if err != nil {
		return nil, fmt.Errorf("icsfeed: read events: %w", err)
	}
	events, err := icalbusy.Events(cals, from, to, from.Location())
	if err != nil {
		return nil, fmt.Errorf("icsfeed: read events: %w", err)
	}
	return events, nil
}

// PutEvent fails with ErrReadOnly.
func (p *Provider) PutEvent(ctx context.Context, acct slotbook.Account, calendarID string, ev slotbook.EventDraft) (string, error) {
	return "", fmt.Errorf("icsfeed: write event: %w", ErrReadOnly)
}

// DeleteEvent fails with ErrReadOnly.
func (p *Provider) DeleteEvent(ctx context.Context, acct slotbook.Account, calendarID, eventID string) error {
	return fmt.Errorf("icsfeed: delete event: %w", ErrReadOnly)
}

// DeleteDraftEvent does nothing: PutEvent never writes into a feed, so
// there is no event of a draft to remove.
func (p *Provider) DeleteDraftEvent(context.Context, slotbook.Account, string, slotbook.EventDraft) error {
	return nil
}

// fetch GETs and parses the feed. Its errors name the host at most.
func (p *Provider) fetch(ctx context.Context, acct slotbook.Account) ([]*ical.Calendar, *url.URL, error) {
	u, err := feedURL(acct.URL)
	if err != nil {
		return nil, nil, err
	}
	user, pass := acct.Username, acct.Secret
	if u.User != nil {
		if user == "" {
			user = u.User.Username()
			pass, _ = u.User.Password()
		}
		u.User = nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, errors.New("invalid feed URL")
	}
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	req.Header.Set("User-Agent", p.cfg.UserAgent)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := p.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", u.Host, calhttp.Scrub(err))
	}
	if resp.StatusCode/100 != 2 {
		calhttp.Discard(resp.Body)
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			return nil, nil, fmt.Errorf("%s refused the credentials (HTTP %d): %w", u.Host, resp.StatusCode, slotbook.ErrCalendarAuth)
		}
		return nil, nil, fmt.Errorf("%s answered HTTP %d", u.Host, resp.StatusCode)
	}
	body, err := io.ReadAll(calhttp.LimitBody(resp.Body, p.cfg.MaxBytes))
	resp.Body.Close()
	if errors.Is(err, calhttp.ErrTooLarge) {
		return nil, nil, fmt.Errorf("feed from %s is larger than %d bytes: %w", u.Host, p.cfg.MaxBytes, calhttp.ErrTooLarge)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", u.Host, calhttp.Scrub(err))
	}
	cals, err := parse(body)
	if err != nil {
		return nil, nil, fmt.Errorf("feed from %s: %w", u.Host, err)
	}
	return cals, u, nil
}

// feedURL checks a feed URL; webcal means https.
func feedURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, errors.New("invalid feed URL")
	}
	switch strings.ToLower(u.Scheme) {
	case "webcal", "webcals", "https":
		u.Scheme = "https"
	case "http":
		u.Scheme = "http"
	default:
		return nil, errors.New("the feed URL must be https, http or webcal")
	}
	if u.Host == "" {
		return nil, errors.New("invalid feed URL")
	}
	u.Fragment = ""
	return u, nil
}

// parse reads every VCALENDAR of a feed. go-ical panics on some malformed
// lines; that, like any parse error, means "not a feed", and the error
// says nothing of the content.
func parse(body []byte) (cals []*ical.Calendar, err error) {
	text := bytes.TrimLeft(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")), " \t\r\n")
	if len(text) < 15 || !strings.EqualFold(string(text[:15]), "BEGIN:VCALENDAR") {
		return nil, errors.New("not an iCalendar feed")
	}
	defer func() {
		if r := recover(); r != nil {
			cals, err = nil, errors.New("malformed iCalendar data")
		}
	}()
	// go-ical reports io.EOF both after the last calendar and inside a
	// cut-off one; only a feed that ends with END:VCALENDAR is whole.
	end := bytes.TrimRight(text, " \t\r\n")
	if len(end) < 13 || !strings.EqualFold(string(end[len(end)-13:]), "END:VCALENDAR") {
		return nil, errors.New("malformed iCalendar data: truncated")
	}
	dec := ical.NewDecoder(bytes.NewReader(text))
	for {
		cal, err := dec.Decode()
		if err == io.EOF && len(cals) > 0 {
			break
		}
		if err != nil {
			return nil, errors.New("malformed iCalendar data")
		}
		cals = append(cals, cal)
	}
	return cals, nil
}
