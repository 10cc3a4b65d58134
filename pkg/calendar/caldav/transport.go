package caldav

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
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

// errTooLarge is returned when a response exceeds Config.MaxResponseBytes.
var errTooLarge = errors.New("response too large")

// doer is the webdav.HTTPClient of one account: basic auth, retries of 429
// and 503, a cap on response size, and every failed status turned into an
// httpError before go-webdav can read (and quote) the body.
type doer struct {
	client     *http.Client
	user, pass string
	userAgent  string
	maxRetries int
	maxBytes   int64
}

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	req.SetBasicAuth(d.user, d.pass)
	if d.userAgent != "" {
		req.Header.Set("User-Agent", d.userAgent)
	}
	ctx := req.Context()
	for attempt := 0; ; attempt++ {
		resp, err := d.client.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode/100 == 2 {
			resp.Body = &limitedBody{rc: resp.Body, max: d.maxBytes}
			return resp, nil
		}
		discard(resp.Body)
		status := resp.StatusCode
		if status != http.StatusTooManyRequests && status != http.StatusServiceUnavailable || attempt >= d.maxRetries {
			return nil, &httpError{status: status}
		}
		wait := retryAfter(resp.Header.Get("Retry-After"), attempt)
		if dl, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(dl) {
			return nil, &httpError{status: status} // no time to wait for
		}
		if req.Body != nil && req.Body != http.NoBody {
			if req.GetBody == nil {
				return nil, &httpError{status: status}
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, &httpError{status: status}
			}
			req.Body = body
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); without
// one it backs off 0.5 s, 1 s, 2 s, … Waits are capped at a minute; the
// context deadline decides whether there is time for them at all.
func retryAfter(h string, attempt int) time.Duration {
	wait := 500 * time.Millisecond << attempt
	if h = strings.TrimSpace(h); h != "" {
		if s, err := strconv.Atoi(h); err == nil && s >= 0 {
			wait = time.Duration(s) * time.Second
		} else if t, err := http.ParseTime(h); err == nil {
			wait = max(0, time.Until(t))
		}
	}
	return min(wait, time.Minute)
}

// discard reads a little of an unwanted body, so the connection can be
// reused, and closes it.
func discard(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}

// limitedBody fails with errTooLarge past its limit instead of silently
// truncating, which could turn a busy calendar into a free one.
type limitedBody struct {
	rc        io.ReadCloser
	read, max int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if b.read += int64(n); b.read > b.max {
		return 0, errTooLarge
	}
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

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
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return fmt.Errorf("caldav: %s: %w", op, contextErr(err))
	case errors.Is(err, errTooLarge):
		return fmt.Errorf("caldav: %s: %w", op, errTooLarge)
	case errors.Is(err, errNoCalendarData):
		return fmt.Errorf("caldav: %s: %w", op, errNoCalendarData)
	case errors.Is(err, errInvalidID):
		return fmt.Errorf("caldav: %s: %w", op, errInvalidID)
	case errors.Is(err, slotbook.ErrAddressNotAllowed):
		// errPlainHTTP with this package's context: nothing the server
		// sent.
		return fmt.Errorf("caldav: %s: %w", op, err)
	case errors.Is(err, calhttp.ErrPrivateAddress):
		return fmt.Errorf("caldav: %s: %w: %w", op, slotbook.ErrAddressNotAllowed, calhttp.ErrPrivateAddress)
	case errors.Is(err, calhttp.ErrInsecureRedirect):
		return fmt.Errorf("caldav: %s: %w: %w", op, slotbook.ErrAddressNotAllowed, calhttp.ErrInsecureRedirect)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// Only errors of the network and TLS layers are quoted: they name
		// the host and nothing the server sent. Others (a malformed
		// response, say) may quote the server's bytes.
		var oe *net.OpError
		var cv *tls.CertificateVerificationError
		var rh tls.RecordHeaderError
		switch {
		case ue.Timeout():
			return fmt.Errorf("caldav: %s: server did not answer in time", op)
		case errors.As(ue.Err, &oe):
			return fmt.Errorf("caldav: %s: server unreachable: %v", op, oe)
		case errors.As(ue.Err, &cv):
			return fmt.Errorf("caldav: %s: %v", op, cv)
		case errors.As(ue.Err, &rh):
			return fmt.Errorf("caldav: %s: server does not speak TLS", op)
		}
		return fmt.Errorf("caldav: %s: request failed", op)
	}
	return fmt.Errorf("caldav: %s: invalid response from server", op)
}

func contextErr(err error) error {
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	return context.DeadlineExceeded
}
