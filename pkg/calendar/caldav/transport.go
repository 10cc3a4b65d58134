package caldav

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// httpError is a response the server gave instead of success. It carries
// the status only: a body may echo calendar data.
type httpError struct {
	status int
}

func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d", e.status) }

// retryable is CalDAV's retry policy: 429 (too many requests) and 503
// (unavailable), the answers that say "later". Every request slotbook
// sends is safe to repeat: reads, and PUTs and DELETEs of objects whose
// names derive from the booking.
func retryable(resp *http.Response) bool {
	return resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable
}

// backoff is how CalDAV requests are retried (see retryable): from half a
// second on, for at most a minute's Retry-After.
func backoff(retries int) calhttp.Backoff {
	return calhttp.Backoff{Retries: retries, Base: 500 * time.Millisecond, Cap: 8 * time.Second, MaxRetryAfter: time.Minute}
}

// doer is the webdav.HTTPClient of one account: basic auth, a cap on
// response size, and every failed status turned into an httpError before
// go-webdav can read (and quote) the body. Its client retries (see
// Provider.client).
type doer struct {
	client     *http.Client
	user, pass string
	userAgent  string
	maxBytes   int64
}

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	req.SetBasicAuth(d.user, d.pass)
	if d.userAgent != "" {
		req.Header.Set("User-Agent", d.userAgent)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		calhttp.Discard(resp.Body)
		return nil, &httpError{status: resp.StatusCode}
	}
	// Past the limit a read fails with calhttp.ErrTooLarge instead of
	// ending early, which could turn a busy calendar into a free one.
	resp.Body = calhttp.LimitBody(resp.Body, d.maxBytes)
	return resp, nil
}

// multistatus sends the WebDAV request method (PROPFIND, REPORT) with the
// XML body to u and decodes its 207 Multi-Status answer into out. Depth is
// sent unless empty. Any other status is an httpError.
func (s *session) multistatus(ctx context.Context, method string, u *url.URL, depth, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	if depth != "" {
		req.Header.Set("Depth", depth)
	}
	resp, err := s.doer.Do(req)
	if err != nil {
		return err
	}
	defer calhttp.Discard(resp.Body)
	if resp.StatusCode != http.StatusMultiStatus {
		return &httpError{status: resp.StatusCode}
	}
	return xml.NewDecoder(resp.Body).Decode(out)
}

// wrapErr turns what a CalDAV call returned into slotbook's terms, keeping
// nothing the server sent but a status: go-webdav quotes response bodies,
// and XML and iCalendar parse errors can quote calendar data.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var he *httpError
	switch {
	case errors.As(err, &he):
		switch he.status {
		case http.StatusUnauthorized:
			return fmt.Errorf("caldav: %s: server refused the credentials (HTTP %d): %w", op, he.status, slotbook.ErrCalendarAuth)
		case http.StatusForbidden:
			// Not allowed for this user: wrong credentials for a later
			// read (the connection needs re-authorisation), or, at
			// connect time, a URL the user may not use.
			return fmt.Errorf("caldav: %s: server refused access (HTTP %d): %w: %w", op, he.status, slotbook.ErrCalendarAuth, slotbook.ErrCalendarNotFound)
		case http.StatusNotFound:
			return fmt.Errorf("caldav: %s: server answered HTTP %d: %w", op, he.status, slotbook.ErrCalendarNotFound)
		}
		return fmt.Errorf("caldav: %s: %w", op, he)
	case errors.Is(err, errUnauthenticated):
		return fmt.Errorf("caldav: %s: %w: %w", op, errUnauthenticated, slotbook.ErrCalendarAuth)
	case errors.Is(err, errNoCalendarData):
		return fmt.Errorf("caldav: %s: %w", op, errNoCalendarData)
	case errors.Is(err, errInvalidID):
		return fmt.Errorf("caldav: %s: %w", op, errInvalidID)
	case errors.Is(err, slotbook.ErrAddressNotAllowed):
		// errPlainHTTP with this package's context: nothing the server
		// sent.
		return fmt.Errorf("caldav: %s: %w", op, err)
	}
	// The rest is a failed request, or an answer that could not be read:
	// go-webdav quotes response bodies, and XML and iCalendar parse
	// errors can quote calendar data. calhttp.Scrub keeps the kind.
	return fmt.Errorf("caldav: %s: %w", op, calhttp.Scrub(err))
}
