package microsoft

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// newAdapter builds the SDK's request adapter for base: bearer tokens from
// the call's session, sent only to base's scheme and host, over a fixed
// middleware pipeline on the base client's transport.
func newAdapter(base *url.URL, client *http.Client, maxRetries int) (*msgraph.GraphRequestAdapter, error) {
	hosts, err := authentication.NewAllowedHostsValidatorErrorCheck([]string{base.Hostname()})
	if err != nil {
		return nil, err
	}
	auth := authentication.NewBaseBearerTokenAuthenticationProvider(&tokenProvider{
		scheme: base.Scheme,
		hosts:  hosts,
	})
	parent := client.Transport
	if parent == nil {
		parent = http.DefaultTransport
	}
	options := msgraph.GetDefaultClientOptions()
	replace := make(map[string]string, len(msgraphcore.ReplacementPairs))
	for k, v := range msgraphcore.ReplacementPairs {
		replace[k] = v
	}
	// The order is fixed, outermost first. There is no compression handler
	// (kiota-http-go #183), no redirect handler (Graph's calendar calls do
	// not redirect; a 3xx is an error), and the retry handler sits
	// innermost so that it resends exactly the request it was given.
	pipeline := []khttp.Middleware{
		recorder{},
		msgraphcore.NewGraphTelemetryHandler(&options),
		khttp.NewUrlReplaceHandler(true, replace), // /users/me-token-to-replace → /me
		rawPathReplace(replace),                   // … in the escaped path too
		khttp.NewParametersNameDecodingHandler(),  // %24select → $select
		khttp.NewUserAgentHandler(),
		&retryHandler{maxRetries: maxRetries, baseDelay: 200 * time.Millisecond, maxWait: 30 * time.Second},
	}
	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(parent, pipeline...),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
		Timeout: client.Timeout,
	}
	return msgraph.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, httpClient)
}

// rawPathReplace applies the URL-replace pairs to URL.RawPath as well. The
// kiota handler rewrites only URL.Path; when an id holds an escaped "/"
// (%2F), RawPath is set, no longer matches, and net/http would send the
// path re-escaped from Path, turning the id's "/" into a path separator.
type rawPathReplace map[string]string

// Intercept implements khttp.Middleware.
func (pairs rawPathReplace) Intercept(pipeline khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	if req.URL.RawPath != "" {
		req.URL.RawPath = khttp.ReplacePathTokens(req.URL.RawPath, pairs)
	}
	return pipeline.Next(req, index)
}

// tokenProvider is the kiota AccessTokenProvider over the call's session.
type tokenProvider struct {
	scheme string
	hosts  *authentication.AllowedHostsValidator
}

// GetAuthorizationToken returns the call's access token for Graph's host;
// other hosts get none.
func (t *tokenProvider) GetAuthorizationToken(ctx context.Context, u *url.URL, _ map[string]any) (string, error) {
	if u == nil || u.Scheme != t.scheme || !t.hosts.IsUrlHostValid(u) {
		return "", nil
	}
	s := sessionFrom(ctx)
	if s == nil {
		return "", errors.New("microsoft: request outside a call")
	}
	return s.accessToken()
}

// GetAllowedHostsValidator returns the hosts that get a token.
func (t *tokenProvider) GetAllowedHostsValidator() *authentication.AllowedHostsValidator {
	return t.hosts
}

// statusKey carries a *status into one SDK call, so that its error can be
// classified by the final HTTP status even when the SDK could not parse the
// answer and lost it.
type statusKey struct{}

type status struct{ code atomic.Int32 }

func withStatus(ctx context.Context) (context.Context, *status) {
	st := &status{}
	return context.WithValue(ctx, statusKey{}, st), st
}

func (s *status) get() int { return int(s.code.Load()) }

// recorder is the outermost middleware: it keeps a call to at most
// maxParallel requests at once and records the final status (after
// retries) of each request.
type recorder struct{}

// Intercept implements khttp.Middleware.
func (recorder) Intercept(pipeline khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if s := sessionFrom(ctx); s != nil {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	resp, err := pipeline.Next(req, index)
	if st, ok := ctx.Value(statusKey{}).(*status); ok && resp != nil {
		st.code.Store(int32(resp.StatusCode))
	}
	return resp, err
}

// retryHandler resends a request that was throttled (429) or found the
// service unavailable (503, 504). It waits as Retry-After says, or backs
// off exponentially with jitter, and never waits past the request's
// deadline: if the wait would cross it, the last answer is returned at
// once. POSTs are resent too: getSchedule only reads, and creating an event
// carries a transactionId, which makes a repeat harmless.
type retryHandler struct {
	maxRetries int
	baseDelay  time.Duration
	maxWait    time.Duration // a longer Retry-After is not waited for
}

// Intercept implements khttp.Middleware.
func (h *retryHandler) Intercept(pipeline khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	for attempt := 0; ; attempt++ {
		// Every attempt sends the same bytes with the same headers.
		r := req.Clone(ctx)
		if body != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			r.ContentLength = int64(len(body))
		}
		if attempt > 0 {
			r.Header.Set("Retry-Attempt", strconv.Itoa(attempt))
		}
		resp, err := pipeline.Next(r, index)
		if err != nil || attempt >= h.maxRetries || !retryable(resp.StatusCode) {
			return resp, err
		}
		wait, ok := h.delay(resp, attempt)
		if !ok {
			return resp, nil
		}
		if deadline, has := ctx.Deadline(); has && !time.Now().Add(wait).Before(deadline) {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

func retryable(status int) bool {
	return status == http.StatusTooManyRequests ||
		status == http.StatusServiceUnavailable ||
		status == http.StatusGatewayTimeout
}

// delay returns how long to wait before the next attempt; false if the
// server asks for longer than maxWait.
func (h *retryHandler) delay(resp *http.Response, attempt int) (time.Duration, bool) {
	if ra := strings.TrimSpace(resp.Header.Get("Retry-After")); ra != "" {
		if secs, err := strconv.ParseFloat(ra, 64); err == nil {
			d := time.Duration(max(secs, 0) * float64(time.Second))
			return d, d <= h.maxWait
		}
		if at, err := http.ParseTime(ra); err == nil {
			d := max(time.Until(at), 0)
			return d, d <= h.maxWait
		}
	}
	d := h.baseDelay << attempt
	d += rand.N(h.baseDelay/2 + 1)
	return d, d <= h.maxWait
}
