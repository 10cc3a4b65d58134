package google

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
)

// Google's retry policy. The generated client never retries; calhttp.Retry
// does, under the OAuth transport, so that a retry reuses the access token
// and token refreshes are retried too. Every request it retries is safe
// to repeat: reads, inserts with our own event id, deletes.

// retryable reports whether Google asks to try resp's request again: 429,
// 5xx but 501, and 403 with reason rateLimitExceeded or
// userRateLimitExceeded (Google's usage limits; other 403s are final).
// For a 403 it reads the error reason from the body and puts the body
// back.
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
