// Package google reads and writes Google Calendar for slotbook: it
// implements slotbook.CalendarProvider and slotbook.OAuthProvider with the
// generated client google.golang.org/api/calendar/v3 and golang.org/x/oauth2.
//
// Every call builds its own client from the account's refresh token and
// keeps nothing afterwards: no token, no event, no cache. The package does
// not log, and it silences the SDK's own request/response logging.
//
// Quirks of Google it handles:
//
//   - freeBusy takes at most 50 calendars and about 60 days a query: Busy
//     splits calendars into batches of 50 and the range into windows of at
//     most 60 days, and merges the answers. A calendar that Google reports
//     with errors inside a 200 answer, or leaves out, gets a
//     BusyResult.Err: it is unreadable, never free.
//   - The generated client never retries. calhttp.Retry under the OAuth
//     transport retries 429, 5xx (except 501) and 403 with reason
//     rateLimitExceeded or userRateLimitExceeded, with exponential backoff
//     and jitter, waiting at least Retry-After, and gives up at once when
//     the wait would cross the context's deadline. Other 4xx are final.
//     Every request it retries is safe to repeat: reads, inserts with our
//     own event id, deletes.
//   - Each call refreshes the access token first, so a 401 from the API
//     comes after a fresh refresh and means the grant is gone: it wraps
//     slotbook.ErrCalendarAuth, as do invalid_grant from the token
//     endpoint and a 403 insufficientPermissions (the user unticked a
//     scope on Google's consent page). A refresh token that Google rotates
//     is handed to Account.OnRotate once.
//   - PutEvent inserts with an event id derived from the draft's key (see
//     EventID), so a repeated insert answers 409 instead of making a second
//     event; 409 counts as success. Google keeps deleted events as
//     "cancelled" and still refuses their ids, so a 409 for a cancelled
//     event restores it with events.update.
//   - All-day events (start.date) span [date 00:00, end.date 00:00) in the
//     event's own time zone if Google names one, else in the calendar's
//     time zone (events.list reports it), else in UTC.
//   - The primary calendar's id is the user's e-mail address (Google:
//     "usually"); other calendars have opaque ids. Calendars reports that
//     address as CalendarInfo.Owner when the id is one.
//   - The API endpoint must end in a slash or the client resolves paths
//     one level too high; New adds a missing slash.
//
// Errors are *Error values that carry only the operation, the HTTP status
// and Google's error reason ("google: freeBusy: status 503
// (backendError)"): never a response body, an event's title or description,
// or a token.
package google

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	calendar "google.golang.org/api/calendar/v3"
	"google.golang.org/api/option"

	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Google's production endpoints, used where Config leaves them empty.
const (
	DefaultAuthURL     = "https://accounts.google.com/o/oauth2/auth"
	DefaultTokenURL    = "https://oauth2.googleapis.com/token"
	DefaultAPIEndpoint = "https://www.googleapis.com/calendar/v3/"
)

// DefaultMaxRetries is how often a request is retried when Config.MaxRetries
// is zero.
const DefaultMaxRetries = 4

// Scopes are the OAuth scopes slotbook asks for, the fewest that cover what
// it does: the calendar list (Calendars), free/busy (Busy), and reading and
// writing events (Events with titles, PutEvent, DeleteEvent;
// calendar.events includes calendar.events.readonly).
var Scopes = []string{
	calendar.CalendarCalendarlistReadonlyScope,
	calendar.CalendarFreebusyScope,
	calendar.CalendarEventsScope,
}

// Config configures a Provider. Only the OAuth client's id, secret and
// redirect URL are needed in production; the rest have Google's defaults
// and exist for tests and tuning.
type Config struct {
	ClientID     string
	ClientSecret string
	// RedirectURL is slotbook's OAuth callback, registered with Google.
	RedirectURL string

	// AuthURL is Google's consent page; DefaultAuthURL if empty.
	AuthURL string
	// TokenURL is Google's token endpoint; DefaultTokenURL if empty.
	TokenURL string
	// APIEndpoint is the base URL of the Calendar API, ending in
	// "/calendar/v3/"; DefaultAPIEndpoint if empty. A missing final slash
	// is added.
	APIEndpoint string

	// HTTPClient, if not nil, supplies the transport and timeout that
	// every request (API and token endpoint) is sent with.
	HTTPClient *http.Client
	// MaxRetries is how often a throttled or failed request is retried:
	// 0 means DefaultMaxRetries, a negative value means never.
	MaxRetries int
}

// Provider is the Google Calendar provider. It holds configuration only and
// is safe for concurrent use.
type Provider struct {
	oauth     oauth2.Config
	endpoint  string
	transport http.RoundTripper
	timeout   time.Duration
	// backoff: the first retry waits about 250 ms, each further one twice
	// as long, at most 4 s; a Retry-After over 30 s is not waited for.
	// Tests shorten it.
	backoff calhttp.Backoff
}

var (
	_ slotbook.CalendarProvider = (*Provider)(nil)
	_ slotbook.OAuthProvider    = (*Provider)(nil)
)

// New returns a Provider for cfg.
func New(cfg Config) *Provider {
	p := &Provider{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       Scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:  orDefault(cfg.AuthURL, DefaultAuthURL),
				TokenURL: orDefault(cfg.TokenURL, DefaultTokenURL),
				// Google accepts both styles; naming one saves the oauth2
				// package from probing, and tests can check the form.
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		endpoint:  orDefault(cfg.APIEndpoint, DefaultAPIEndpoint),
		transport: http.DefaultTransport,
		backoff: calhttp.Backoff{
			Retries:       cfg.MaxRetries,
			Base:          250 * time.Millisecond,
			Cap:           4 * time.Second,
			MaxRetryAfter: 30 * time.Second,
		},
	}
	if !strings.HasSuffix(p.endpoint, "/") {
		p.endpoint += "/"
	}
	if cfg.HTTPClient != nil {
		if cfg.HTTPClient.Transport != nil {
			p.transport = cfg.HTTPClient.Transport
		}
		p.timeout = cfg.HTTPClient.Timeout
	}
	switch {
	case cfg.MaxRetries == 0:
		p.backoff.Retries = DefaultMaxRetries
	case cfg.MaxRetries < 0:
		p.backoff.Retries = 0
	}
	return p
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// AuthCodeURL returns Google's consent page for state. It asks for offline
// access and forces the consent prompt, so that Google issues a refresh
// token even to an account that connected before.
func (p *Provider) AuthCodeURL(state string) string {
	return p.oauth.AuthCodeURL(state, oauth2.AccessTypeOffline, oauth2.ApprovalForce)
}

// Exchange trades an authorization code for a refresh token. The code is
// sent once, without retries: Google accepts a code only once. An answer
// without a refresh token is an error. A refused code does not wrap
// slotbook.ErrCalendarAuth: no stored credentials are involved.
func (p *Provider) Exchange(ctx context.Context, code string) (string, error) {
	const op = "token exchange"
	client := &http.Client{Transport: p.transport, Timeout: p.timeout}
	tok, err := p.oauth.Exchange(context.WithValue(ctx, oauth2.HTTPClient, client), code)
	if err != nil {
		e := tokenError(op, err)
		if e.Err == slotbook.ErrCalendarAuth {
			e.Err = nil
		}
		return "", e
	}
	if tok.RefreshToken == "" {
		return "", &Error{Op: op, problem: "no refresh token in the answer"}
	}
	return tok.RefreshToken, nil
}

var discardLogger = slog.New(slog.DiscardHandler)

// service returns a Calendar client for one call on behalf of acct. Its
// first request refreshes the access token.
func (p *Provider) service(ctx context.Context, op string, acct slotbook.Account) (*calendar.Service, error) {
	if acct.Secret == "" {
		return nil, &Error{Op: op, problem: "no refresh token", Err: slotbook.ErrCalendarAuth}
	}
	rt := &calhttp.Retry{Base: p.transport, Backoff: p.backoff, Retryable: retryable}
	tokenClient := &http.Client{Transport: rt, Timeout: p.timeout}
	src := &rotatingSource{
		ctx:      ctx,
		src:      p.oauth.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, tokenClient), &oauth2.Token{RefreshToken: acct.Secret}),
		current:  acct.Secret,
		onRotate: acct.OnRotate,
	}
	client := &http.Client{Transport: &oauth2.Transport{Source: src, Base: rt}, Timeout: p.timeout}
	svc, err := calendar.NewService(ctx,
		option.WithHTTPClient(client),
		option.WithEndpoint(p.endpoint),
		option.WithLogger(discardLogger), // it would log bodies at debug level
	)
	if err != nil {
		return nil, &Error{Op: op, problem: "client setup failed"}
	}
	return svc, nil
}

// rotatingSource hands out the access tokens of src and reports a refresh
// token that Google issued in place of the stored one. Its first error
// sticks: within one call a refused grant is not asked for again.
type rotatingSource struct {
	ctx      context.Context
	src      oauth2.TokenSource
	onRotate func(ctx context.Context, refreshToken string) error

	mu      sync.Mutex
	current string
	err     error
}

// Token implements oauth2.TokenSource: it returns an access token and
// hands a rotated refresh token to onRotate once.
func (s *rotatingSource) Token() (*oauth2.Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	tok, err := s.src.Token()
	if err != nil {
		s.err = tokenError("token refresh", err)
		return nil, s.err
	}
	if tok.RefreshToken != "" && tok.RefreshToken != s.current {
		if s.onRotate != nil {
			if err := s.onRotate(s.ctx, tok.RefreshToken); err != nil {
				// Without the new token the connection breaks later;
				// better to fail now, while the caller can see why.
				return nil, &Error{Op: "save rotated refresh token", Err: err}
			}
		}
		s.current = tok.RefreshToken
	}
	return tok, nil
}

// clientFaults are the OAuth error codes that blame slotbook's OAuth client
// (its id, secret or request), not the user's grant: refusing them must not
// send every employee to reconnect.
var clientFaults = map[string]bool{
	"invalid_client":         true,
	"unauthorized_client":    true,
	"invalid_request":        true,
	"invalid_scope":          true,
	"unsupported_grant_type": true,
	"deleted_client":         true,
	"disabled_client":        true,
}

// tokenError turns an error of the token endpoint into an *Error without
// the answer's body or description. A refused grant (invalid_grant, or a
// 400/401 that does not blame the client) wraps slotbook.ErrCalendarAuth.
func tokenError(op string, err error) *Error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		e := &Error{Op: op, Reason: safeReason(re.ErrorCode)}
		if re.Response != nil {
			e.Status = re.Response.StatusCode
		}
		if re.ErrorCode == "invalid_grant" ||
			(!clientFaults[re.ErrorCode] && (e.Status == http.StatusBadRequest || e.Status == http.StatusUnauthorized)) {
			e.Err = slotbook.ErrCalendarAuth
		}
		return e
	}
	return transportError(op, err)
}
