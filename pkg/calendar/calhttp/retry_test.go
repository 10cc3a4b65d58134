package calhttp

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 3 ", 3 * time.Second, true},
		{"0", 0, true},
		{"120", 2 * time.Minute, true},
		// Delta-seconds are a non-negative integer; anything else is no
		// Retry-After at all.
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		// The three HTTP-date formats, counted from now.
		{"Tue, 04 Mar 2025 10:01:30 GMT", 90 * time.Second, true},
		{"Tuesday, 04-Mar-25 10:01:30 GMT", 90 * time.Second, true},
		{"Tue Mar  4 10:01:30 2025", 90 * time.Second, true},
		{"Tue, 04 Mar 2025 09:00:00 GMT", 0, true}, // in the past: no wait
		// Too many seconds to count: never waited for.
		{"99999999999999999999", math.MaxInt64, true},
		{"9223372037", math.MaxInt64, true},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.header != "" {
			h.Set("Retry-After", tt.header)
		}
		got, ok := RetryAfter(h, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestBackoffJitterStaysWithinBounds(t *testing.T) {
	b := Backoff{Retries: 10, Base: 100 * time.Millisecond, Cap: time.Second}
	for attempt, full := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		full *= time.Millisecond
		seen := map[time.Duration]bool{}
		for range 500 {
			got, ok := b.Wait(attempt, http.Header{}, time.Now())
			if !ok || got < full/2 || got > full {
				t.Fatalf("Wait(%d) = %v, %v; want within [%v, %v]", attempt, got, ok, full/2, full)
			}
			seen[got] = true
		}
		if len(seen) < 2 {
			t.Errorf("Wait(%d) gave %v every time: no jitter", attempt, seen)
		}
	}
}

func TestBackoffWait(t *testing.T) {
	now := time.Now()
	after := func(v string) http.Header { return http.Header{"Retry-After": {v}} }
	tests := []struct {
		name          string
		b             Backoff
		attempt       int
		h             http.Header
		atLeast, most time.Duration
		wantOK        bool
	}{
		{"no retries left", Backoff{Retries: 2, Base: time.Second, Cap: time.Second}, 2, nil, 0, 0, false},
		{"no retries at all", Backoff{}, 0, nil, 0, 0, false},
		{"a longer Retry-After is waited for", Backoff{Retries: 1, Base: time.Millisecond, Cap: time.Second, MaxRetryAfter: time.Minute}, 0, after("30"), 30 * time.Second, 30 * time.Second, true},
		{"a shorter Retry-After waits the backoff", Backoff{Retries: 1, Base: 2 * time.Second, Cap: 2 * time.Second}, 0, after("0"), time.Second, 2 * time.Second, true},
		{"a Retry-After over MaxRetryAfter is not waited for", Backoff{Retries: 1, Base: time.Millisecond, Cap: time.Second, MaxRetryAfter: time.Minute}, 0, after("61"), 0, 0, false},
		{"without MaxRetryAfter, Cap bounds Retry-After", Backoff{Retries: 1, Base: time.Millisecond, Cap: 10 * time.Second}, 0, after("11"), 0, 0, false},
		{"without MaxRetryAfter, Cap allows Retry-After", Backoff{Retries: 1, Base: time.Millisecond, Cap: 10 * time.Second}, 0, after("10"), 10 * time.Second, 10 * time.Second, true},
		{"without Cap the backoff doubles on", Backoff{Retries: 40, Base: time.Second}, 10, nil, 512 * time.Second, 1024 * time.Second, true},
		{"doubling stops short of overflow", Backoff{Retries: 200, Base: time.Second}, 150, nil, time.Duration(math.MaxInt64 / 4), math.MaxInt64, true},
		{"a zero Base retries at once", Backoff{Retries: 1}, 0, nil, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.b.Wait(tt.attempt, tt.h, now)
			if ok != tt.wantOK || (ok && (got < tt.atLeast || got > tt.most)) {
				t.Errorf("%+v.Wait(%d, %v) = %v, %v; want %v within [%v, %v]", tt.b, tt.attempt, tt.h, got, ok, tt.wantOK, tt.atLeast, tt.most)
			}
		})
	}
}

// script is a RoundTripper that answers with the statuses given, one per
// request, the last again and again, and records what it was sent.
type script struct {
	statuses   []int
	retryAfter string
	err        error // instead of an answer, if set

	mu     sync.Mutex
	bodies []string
	heads  []http.Header
	opened []*trackedBody
}

type trackedBody struct {
	io.Reader
	mu     sync.Mutex
	closed bool
}

func (b *trackedBody) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return nil
}

func (b *trackedBody) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

func (s *script) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body := ""
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		req.Body.Close()
		body = string(b)
	}
	s.bodies = append(s.bodies, body)
	s.heads = append(s.heads, req.Header.Clone())
	if s.err != nil {
		return nil, s.err
	}
	status := s.statuses[min(len(s.bodies), len(s.statuses))-1]
	rb := &trackedBody{Reader: strings.NewReader("answer " + http.StatusText(status))}
	s.opened = append(s.opened, rb)
	resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: rb, Request: req}
	if s.retryAfter != "" {
		resp.Header.Set("Retry-After", s.retryAfter)
	}
	return resp, nil
}

func (s *script) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

func throttled(resp *http.Response) bool { return resp.StatusCode == http.StatusTooManyRequests }

func fast(retries int) Backoff {
	return Backoff{Retries: retries, Base: time.Millisecond, Cap: 4 * time.Millisecond, MaxRetryAfter: time.Minute}
}

func post(t *testing.T, ctx context.Context, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://calendar.example/q", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Test", "kept")
	return req
}

func TestRetry(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		retries      int
		wantStatus   int
		wantRequests int
	}{
		{"a retryable answer is retried until success", []int{429, 429, 200}, 3, 200, 3},
		{"retries run out: the last answer is returned", []int{429}, 2, 429, 3},
		{"an answer that is not retryable is returned at once", []int{503}, 3, 503, 1},
		{"success is returned at once", []int{200}, 3, 200, 1},
		{"no retries: sent once", []int{429, 200}, 0, 429, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{statuses: tt.statuses}
			rt := &Retry{Base: s, Backoff: fast(tt.retries), Retryable: throttled}
			resp, err := rt.RoundTrip(post(t, context.Background(), "the query"))
			if err != nil {
				t.Fatalf("RoundTrip: %v", err)
			}
			if resp.StatusCode != tt.wantStatus || s.requests() != tt.wantRequests {
				t.Errorf("answered %d after %d requests, want %d after %d", resp.StatusCode, s.requests(), tt.wantStatus, tt.wantRequests)
			}
			if b, _ := io.ReadAll(resp.Body); string(b) != "answer "+http.StatusText(tt.wantStatus) {
				t.Errorf("the answer returned has body %q: not the last answer's", b)
			}
			for i := range s.requests() {
				if s.bodies[i] != "the query" || s.heads[i].Get("X-Test") != "kept" {
					t.Errorf("request %d sent body %q, X-Test %q; want the first request's", i, s.bodies[i], s.heads[i].Get("X-Test"))
				}
			}
			for i, b := range s.opened[:len(s.opened)-1] {
				if !b.isClosed() {
					t.Errorf("the body of answer %d, not returned, was left open", i)
				}
			}
		})
	}
}

func TestRetryNeverRetriesATransportError(t *testing.T) {
	s := &script{err: errors.New("connection reset")}
	_, err := (&Retry{Base: s, Backoff: fast(3), Retryable: throttled}).RoundTrip(post(t, context.Background(), "q"))
	if err == nil || s.requests() != 1 {
		t.Errorf("RoundTrip = %v after %d requests, want the error after 1", err, s.requests())
	}
}

func TestRetrySendsABodyItCannotReplayOnce(t *testing.T) {
	s := &script{statuses: []int{429, 200}}
	req := post(t, context.Background(), "q")
	req.GetBody = nil
	resp, err := (&Retry{Base: s, Backoff: fast(3), Retryable: throttled}).RoundTrip(req)
	if err != nil || resp.StatusCode != 429 || s.requests() != 1 {
		t.Errorf("RoundTrip = %v, %v after %d requests, want the 429 after 1", resp, err, s.requests())
	}
}

func TestRetryWithoutPolicyNeverRetries(t *testing.T) {
	s := &script{statuses: []int{429, 200}}
	resp, err := (&Retry{Base: s, Backoff: fast(3)}).RoundTrip(post(t, context.Background(), "q"))
	if err != nil || resp.StatusCode != 429 || s.requests() != 1 {
		t.Errorf("RoundTrip = %v, %v after %d requests, want the 429 after 1", resp, err, s.requests())
	}
}

func TestRetryNeverWaitsPastTheDeadline(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		backoff    Backoff
	}{
		{"a Retry-After past the deadline", "5", fast(3)},
		{"a backoff past the deadline", "", Backoff{Retries: 3, Base: 10 * time.Second, Cap: 10 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &script{statuses: []int{429, 200}, retryAfter: tt.retryAfter}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start := time.Now()
			resp, err := (&Retry{Base: s, Backoff: tt.backoff, Retryable: throttled}).RoundTrip(post(t, ctx, "q"))
			if elapsed := time.Since(start); elapsed > 500*time.Millisecond {
				t.Errorf("returned after %v, want at once", elapsed)
			}
			if err != nil || resp.StatusCode != 429 || s.requests() != 1 {
				t.Errorf("RoundTrip = %v, %v after %d requests, want the 429 at once", resp, err, s.requests())
			}
		})
	}
}

func TestRetryWaitsAtLeastRetryAfter(t *testing.T) {
	s := &script{statuses: []int{429, 200}, retryAfter: "1"}
	start := time.Now()
	resp, err := (&Retry{Base: s, Backoff: fast(1), Retryable: throttled}).RoundTrip(post(t, context.Background(), "q"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("RoundTrip = %v, %v; want the 200", resp, err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("retried after %v, want at least the Retry-After of 1s", waited)
	}
}

func TestRetryStopsWaitingWhenTheContextEnds(t *testing.T) {
	s := &script{statuses: []int{429, 200}, retryAfter: "30"}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	resp, err := (&Retry{Base: s, Backoff: fast(1), Retryable: throttled}).RoundTrip(post(t, ctx, "q"))
	if !errors.Is(err, context.Canceled) || resp != nil {
		t.Errorf("RoundTrip = %v, %v; want context.Canceled", resp, err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("returned %v after the context ended", elapsed)
	}
	if !s.opened[0].isClosed() {
		t.Error("the throttled answer's body was left open")
	}
}
