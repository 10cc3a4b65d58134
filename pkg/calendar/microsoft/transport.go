package microsoft

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/microsoft/kiota-abstractions-go/authentication"
	khttp "github.com/microsoft/kiota-http-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"

	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
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
	// not redirect; a 3xx is an error), and no kiota retry handler: the
	// pipeline's parent transport is calhttp.Retry, under every
	// middleware, so that it resends exactly the request the pipeline
	// made, with Graph's policy (retryable) and calhttp's backoff.
	pipeline := []khttp.Middleware{
		recorder{},
		msgraphcore.NewGraphTelemetryHandler(&options),
		khttp.NewUrlReplaceHandler(true, replace), // /users/me-token-to-replace → /me
		rawPathReplace(replace),                   // … in the escaped path too
		khttp.NewParametersNameDecodingHandler(),  // %24select → $select
		khttp.NewUserAgentHandler(),
		replayable{},
	}
	retry := &calhttp.Retry{Base: parent, Backoff: backoff(maxRetries), Retryable: retryable}
	httpClient := &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(retry, pipeline...),
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

// Graph's retry policy, for calhttp.Retry: a request that was throttled
// (429) or found the service unavailable (503, 504) is sent again; other
// statuses are final (a 500 from getSchedule is how personal accounts
// refuse it, and falls back to calendarView instead). POSTs are resent
// too: getSchedule only reads, and creating an event carries a
// transactionId, which makes a repeat harmless.
func retryable(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is how Graph requests are retried: from 200 ms on, and for a
// Retry-After of at most 30 s (Graph's throttling asks for seconds).
func backoff(retries int) calhttp.Backoff {
	return calhttp.Backoff{Retries: retries, Base: 200 * time.Millisecond, Cap: 30 * time.Second, MaxRetryAfter: 30 * time.Second}
}

// replayable is the innermost middleware: it gives a request with a body
// the GetBody that kiota leaves unset (it sets Body alone, to a reader of
// the serialised request), so that calhttp.Retry can send the same bytes
// again. Without it, a POST would be sent once.
type replayable struct{}

// Intercept implements khttp.Middleware.
func (replayable) Intercept(pipeline khttp.Pipeline, index int, req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		return pipeline.Next(req, index)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r.ContentLength = int64(len(body))
	return pipeline.Next(r, index)
}
