package google

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// retryTransport retries requests that Google throttled or failed to serve.
// It sits under the OAuth transport, so a retry reuses the access token,
// and it also carries token refreshes.
type retryTransport struct {
	p    *Provider
	base http.RoundTripper
}

// RoundTrip sends req and, while the answer is worth retrying and retries
// are left, waits and sends it again. It returns the last answer when it
// gives up, so the caller sees Google's status; it never waits past the
// request context's deadline, nor longer than maxRetryAfter for one
// Retry-After.
func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	hasBody := req.Body != nil && req.Body != http.NoBody
	for attempt := 0; ; attempt++ {
		r := req
		if attempt > 0 && hasBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			return nil, err
		}
		if attempt >= t.p.maxRetries || (hasBody && req.GetBody == nil) {
			return resp, nil
		}
		if !retryable(resp) {
			return resp, nil
		}
		wait := t.backoff(attempt)
		if ra, ok := retryAfter(resp.Header, time.Now()); ok {
			if ra > t.p.maxRetryAfter {
				return resp, nil
			}
			wait = max(wait, ra)
		}
		if deadline, ok := ctx.Deadline(); ok && time.Now().Add(wait).After(deadline) {
			return resp, nil // the retry could not finish in time
		}
		discard(resp)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// backoff returns the wait before retry attempt+1: retryBase doubled per
// attempt, at most retryCap, with "equal jitter" (half fixed, half random)
// so that callers throttled together do not return together.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := t.p.retryBase << min(attempt, 20)
	if d <= 0 || d > t.p.retryCap {
		d = t.p.retryCap
	}
	half := d / 2
	return half + rand.N(half+1)
}

// retryable reports whether Google asks to try resp's request again. For a
// 403 it reads the error reason from the body and puts the body back.
func retryable(resp *http.Response) bool {
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		return true
	case code >= 500 && code != http.StatusNotImplemented:
		return true
	case code == http.StatusForbidden:
		return rateLimited(resp)
	}
	return false
}

// rateLimited reports whether a 403 answer names a rate limit as its reason.
func rateLimited(resp *http.Response) bool {
	head, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if err != nil {
		return false
	}
	var answer struct {
		Error struct {
			Errors []struct {
				Reason string `json:"reason"`
			} `json:"errors"`
		} `json:"error"`
	}
	if json.Unmarshal(head, &answer) != nil {
		return false
	}
	for _, e := range answer.Error.Errors {
		if e.Reason == "rateLimitExceeded" || e.Reason == "userRateLimitExceeded" {
			return true
		}
	}
	return false
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// discard reads a little of an unwanted body, so the connection can be
// reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
