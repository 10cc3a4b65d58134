package microsoft

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"github.com/microsoft/kiota-abstractions-go/serialization"
	"github.com/microsoft/kiota-abstractions-go/store"
	formserialization "github.com/microsoft/kiota-serialization-form-go"
	jsonserialization "github.com/microsoft/kiota-serialization-json-go"
	multipartserialization "github.com/microsoft/kiota-serialization-multipart-go"
	textserialization "github.com/microsoft/kiota-serialization-text-go"
	msgraph "github.com/microsoftgraph/msgraph-sdk-go"
	"github.com/microsoftgraph/msgraph-sdk-go/users"
	"golang.org/x/oauth2"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// The Microsoft identity platform's endpoints for work, school and personal
// accounts, and Graph's v1.0 API.
const (
	DefaultAuthURL  = "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
	DefaultTokenURL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
	DefaultBaseURL  = "https://graph.microsoft.com/v1.0"
)

// scopes are the delegated permissions a connection asks for:
// offline_access for the refresh token and Calendars.ReadWrite, the one
// permission that covers getSchedule, calendarView with subjects and
// creating and deleting events (it includes Calendars.Read and
// Calendars.ReadBasic). Only /me/calendar… paths are used, which need no
// User.Read: the mailbox's address is read from the owner of its default
// calendar, not from /me.
var scopes = []string{"offline_access", "Calendars.ReadWrite"}

// defaultMaxRetries is how often a throttled or unavailable request is
// retried when Config.MaxRetries is 0.
const defaultMaxRetries = 3

// Config configures a Provider.
type Config struct {
	// ClientID and ClientSecret identify the app registration.
	ClientID, ClientSecret string
	// RedirectURL is where the consent page sends the user back.
	RedirectURL string
	// AuthURL and TokenURL default to DefaultAuthURL and DefaultTokenURL.
	AuthURL, TokenURL string
	// BaseURL is Graph's root, DefaultBaseURL if empty. Access tokens are
	// sent only to this scheme and host.
	BaseURL string
	// HTTPClient is the base for all requests (its Transport and Timeout);
	// http.DefaultTransport if nil.
	HTTPClient *http.Client
	// MaxRetries caps the retries of a throttled (429) or unavailable
	// (503, 504) request; 0 means 3, a negative value none.
	MaxRetries int
}

// Provider is the Microsoft Graph calendar provider. It is safe for
// concurrent use and holds no account data between calls.
type Provider struct {
	oauth   oauth2.Config
	base    *http.Client // for the token endpoint
	adapter *msgraph.GraphRequestAdapter
	initErr error
}

var (
	_ slotbook.CalendarProvider = (*Provider)(nil)
	_ slotbook.OAuthProvider    = (*Provider)(nil)
)

// New returns a Provider for cfg. A bad BaseURL is reported by every call.
//
// The SDK registers its serialisers in package-level registries when a
// client is made: call New at start-up, not while another Provider is
// serving calls.
func New(cfg Config) *Provider {
	if cfg.AuthURL == "" {
		cfg.AuthURL = DefaultAuthURL
	}
	if cfg.TokenURL == "" {
		cfg.TokenURL = DefaultTokenURL
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	switch {
	case cfg.MaxRetries == 0:
		cfg.MaxRetries = defaultMaxRetries
	case cfg.MaxRetries < 0:
		cfg.MaxRetries = 0
	}
	base := cfg.HTTPClient
	if base == nil {
		base = &http.Client{}
	}
	p := &Provider{
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   cfg.AuthURL,
				TokenURL:  cfg.TokenURL,
				AuthStyle: oauth2.AuthStyleInParams,
			},
		},
		base: base,
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
		p.initErr = errors.New("microsoft: BaseURL must be an absolute http(s) URL")
		return p
	}
	p.adapter, err = newAdapter(u, base, cfg.MaxRetries)
	if err != nil {
		p.initErr = errors.New("microsoft: cannot build the request adapter")
		return p
	}
	p.adapter.SetBaseUrl(cfg.BaseURL)
	registerSerializers()
	p.adapter.EnableBackingStore(store.BackingStoreFactoryInstance)
	return p
}

// me returns the request builder of /me. It is what GraphServiceClient.Me
// returns, built without the service client: the client's type refers to
// every request builder of Graph, which links all of them into the binary
// (about 110 MB); the builders used here are a few MB.
func (p *Provider) me() *users.UserItemRequestBuilder {
	return users.NewUserItemRequestBuilderInternal(map[string]string{
		"baseurl":   p.adapter.GetBaseUrl(),
		"user%2Did": "me-token-to-replace", // the URL-replace handler turns /users/me-token-to-replace into /me
	}, p.adapter)
}

var registerOnce sync.Once

// registerSerializers registers the JSON, text, form and multipart
// serializers, as NewGraphServiceClient does.
func registerSerializers() {
	registerOnce.Do(func() {
		abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
			return jsonserialization.NewJsonSerializationWriterFactory()
		})
		abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
			return textserialization.NewTextSerializationWriterFactory()
		})
		abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
			return formserialization.NewFormSerializationWriterFactory()
		})
		abstractions.RegisterDefaultSerializer(func() serialization.SerializationWriterFactory {
			return multipartserialization.NewMultipartSerializationWriterFactory()
		})
		abstractions.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return jsonserialization.NewJsonParseNodeFactory() })
		abstractions.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return textserialization.NewTextParseNodeFactory() })
		abstractions.RegisterDefaultDeserializer(func() serialization.ParseNodeFactory { return formserialization.NewFormParseNodeFactory() })
	})
}

// AuthCodeURL returns the Microsoft consent page for state, asking for
// offline_access and Calendars.ReadWrite.
func (p *Provider) AuthCodeURL(state string) string {
	return p.oauth.AuthCodeURL(state)
}

// Exchange trades an authorization code for a refresh token. A refused
// code wraps slotbook.ErrCalendarAuth.
func (p *Provider) Exchange(ctx context.Context, code string) (string, error) {
	const op = "exchange code"
	tok, err := p.oauth.Exchange(context.WithValue(ctx, oauth2.HTTPClient, p.base), code)
	if err != nil {
		return "", tokenError(ctx, op, err)
	}
	if tok.RefreshToken == "" {
		// offline_access was not granted.
		return "", &Error{Op: op, Code: "no_refresh_token", Err: slotbook.ErrCalendarAuth}
	}
	return tok.RefreshToken, nil
}

// maxParallel caps the requests one call has under way at once; Graph
// allows about four per mailbox.
const maxParallel = 4

// session is one call's access to one account: the token source made from
// the account's refresh token, and what happened to it. It lives in the
// call's context and dies with the call.
type session struct {
	ctx  context.Context
	acct slotbook.Account
	src  oauth2.TokenSource
	sem  chan struct{}

	mu         sync.Mutex
	tok        *oauth2.Token
	refresh    string // the newest refresh token
	tokenErr   error  // the refresh failed; every request of the call fails with it
	rotateErr  error  // OnRotate failed
	addressed  bool   // OnAddress was called
	addressErr error  // OnAddress failed
}

type sessionKey struct{}

// begin starts a call for acct and returns the context that carries it.
func (p *Provider) begin(ctx context.Context, acct slotbook.Account) (context.Context, *session) {
	s := &session{
		ctx:     ctx,
		acct:    acct,
		sem:     make(chan struct{}, maxParallel),
		refresh: acct.Secret,
	}
	// An expired token with the refresh token makes the source refresh on
	// first use. The token endpoint is reached with the base client and
	// the call's deadline.
	s.src = p.oauth.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, p.base),
		&oauth2.Token{RefreshToken: acct.Secret, Expiry: time.Unix(1, 0)})
	return context.WithValue(ctx, sessionKey{}, s), s
}

func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

// accessToken returns a valid access token, refreshing it at most once per
// call, and hands a rotated refresh token to OnRotate.
func (s *session) accessToken() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokenErr != nil {
		return "", s.tokenErr
	}
	if s.tok.Valid() {
		return s.tok.AccessToken, nil
	}
	if s.acct.Secret == "" {
		s.tokenErr = &Error{Op: "refresh token", Code: "no_refresh_token", Err: slotbook.ErrCalendarAuth}
		return "", s.tokenErr
	}
	tok, err := s.src.Token()
	if err != nil {
		s.tokenErr = tokenError(s.ctx, "refresh token", err)
		return "", s.tokenErr
	}
	s.tok = tok
	if tok.RefreshToken != "" && tok.RefreshToken != s.refresh {
		s.refresh = tok.RefreshToken
		if s.acct.OnRotate != nil {
			if err := s.acct.OnRotate(s.ctx, tok.RefreshToken); err != nil {
				// The old refresh token stays valid at Microsoft, so the
				// call goes on; end reports the failure.
				s.rotateErr = err
			}
		}
	}
	return tok.AccessToken, nil
}

// learnAddress hands the mailbox's address, learned during the call, to
// OnAddress, at most once per call. A failure is kept for end: the call's
// reads stand, but the caller must learn that the address was not saved.
func (s *session) learnAddress(address string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addressed || s.acct.OnAddress == nil {
		return
	}
	s.addressed = true
	if err := s.acct.OnAddress(s.ctx, address); err != nil {
		s.addressErr = err
	}
}

// end finishes a call: err is the call's error. A refresh that failed wins
// over what it caused; a rotated refresh token or a learned address that
// could not be saved fails the call, so that the caller learns of it.
func (s *session) end(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokenErr != nil && err != nil {
		return s.tokenErr
	}
	if err != nil {
		return err
	}
	if s.rotateErr != nil {
		return &Error{Op: "save rotated refresh token", Err: s.rotateErr}
	}
	if s.addressErr != nil {
		return &Error{Op: "save mailbox address", Err: s.addressErr}
	}
	return nil
}

// ready reports a Provider that could not be built.
func (p *Provider) ready() error {
	return p.initErr
}
