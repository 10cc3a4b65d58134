package calhttp

import (
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff says how often and how long a Retry waits before it sends a
// request again. A provider sets the numbers; the rules are the same for
// all of them.
type Backoff struct {
	// Retries is how often a request is sent again at most; 0 or less
	// means never.
	Retries int
	// Base is the wait before the first retry; each further retry waits
	// twice as long as the one before, up to Cap. Each wait is jittered
	// into [d/2, d] ("equal jitter"), so that clients throttled together
	// do not come back together.
	Base time.Duration
	// Cap is the longest wait of the backoff, before jitter; zero means
	// no cap.
	Cap time.Duration
	// MaxRetryAfter is the longest Retry-After that is waited for: a
	// server that asks for a longer wait is not asked again, and its
	// answer is returned. Zero means Cap; with both zero only the
	// request's deadline bounds the wait.
	MaxRetryAfter time.Duration
}

// Wait returns how long to wait before retry attempt+1 (attempt counts
// from 0) of a request answered with header h at now: the jittered
// backoff, or the answer's Retry-After if that is longer. ok is false if
// no retry should be made: attempt is past Retries, or the server asks
// for a wait longer than MaxRetryAfter.
func (b Backoff) Wait(attempt int, h http.Header, now time.Time) (wait time.Duration, ok bool) {
	if attempt < 0 || attempt >= b.Retries {
		return 0, false
	}
	wait = b.jittered(attempt)
	if ra, has := RetryAfter(h, now); has {
		limit := b.MaxRetryAfter
		if limit <= 0 {
			limit = b.Cap
		}
		if limit > 0 && ra > limit {
			return 0, false
		}
		wait = max(wait, ra)
	}
	return wait, true
}

// jittered returns the backoff before retry attempt+1: Base doubled per
// attempt, at most Cap, then a uniformly random point of its upper half.
func (b Backoff) jittered(attempt int) time.Duration {
	d := max(b.Base, 0)
	for i := 0; i < attempt && d <= math.MaxInt64/2; i++ {
		if b.Cap > 0 && d >= b.Cap {
			break
		}
		d *= 2
	}
	if b.Cap > 0 {
		d = min(d, b.Cap)
	}
	if d == 0 {
		return 0
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// RetryAfter reads the Retry-After header of h (RFC 9110, 10.2.3): a
// number of seconds, or an HTTP-date, which is counted from now (a date
// in the past means no wait). ok is false when there is no such header or
// it is neither. A number too large to count is the longest duration
// there is, so that it is never waited for.
func RetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if digits(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs > math.MaxInt64/int64(time.Second) {
			return math.MaxInt64, true
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// digits reports whether s is a non-empty run of ASCII digits.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Retry is an http.RoundTripper that sends a request again while its
// answer is Retryable and Backoff allows another attempt. It
//
//   - waits as Backoff.Wait says: exponential backoff with jitter, at
//     least the answer's Retry-After;
//   - never waits past the request context's deadline: when the wait
//     would reach it, the last answer is returned at once, as it is when
//     the server asks for a Retry-After over Backoff.MaxRetryAfter and
//     when retries run out, so that the caller sees the server's status;
//   - returns the context's error if the context ends while it waits;
//   - resends a request with a body only if it has GetBody (requests made
//     with http.NewRequest from a bytes or strings reader do): one whose
//     body cannot be had again is sent once;
//   - drains and closes every answer it does not return (see Discard);
//   - never retries a request that got no answer (a transport error): it
//     may have reached the server.
//
// Each retry is a clone of the request with the same headers. Whether a
// request is safe to send twice is the provider's choice, made in
// Retryable and in what it sends through this transport.
type Retry struct {
	// Base sends each attempt; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Backoff says how often and how long to wait.
	Backoff Backoff
	// Retryable reports whether an answer asks for its request to be sent
	// again: the provider's policy. It may read resp.Body if it puts back
	// what it read. Nil means never.
	Retryable func(resp *http.Response) bool
}

// RoundTrip implements http.RoundTripper.
func (t *Retry) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	ctx := req.Context()
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	r := req
	for attempt := 0; ; attempt++ {
		resp, err := base.RoundTrip(r)
		if err != nil || !replayable || t.Retryable == nil || !t.Retryable(resp) {
			return resp, err
		}
		wait, ok := t.Backoff.Wait(attempt, resp.Header, time.Now())
		if !ok {
			return resp, nil
		}
		if deadline, has := ctx.Deadline(); has && !time.Now().Add(wait).Before(deadline) {
			return resp, nil // the retry could not be answered in time
		}
		next := req.Clone(ctx)
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return resp, nil
			}
			next.Body = body
		}
		Discard(resp.Body)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			if next.Body != nil {
				next.Body.Close()
			}
			return nil, ctx.Err()
		case <-timer.C:
		}
		r = next
	}
}
