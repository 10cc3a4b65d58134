// Package config is slotbook's configuration from the environment. Every
// SLOTBOOK_* variable is named here, once; FromEnv reads them into a Config
// and refuses a value that cannot work with an error naming the variable,
// and Config.Options turns a Config into the options of a slotbook.App:
// the calendar providers, the links, the OAuth state key. The Lambda
// functions (pkg/aws/lambdafn) and the local server (cmd/devserver) both
// wire from it, each adding only what is its own: the AWS clients; the
// local server's defaults, port and sign-in.
//
// Secrets (the OAuth client secrets and the key that signs OAuth states)
// are given in the environment (local mode, tests) or, on AWS, read from
// Parameter Store under SLOTBOOK_SECRETS_PATH on first need — the first
// token refresh, code exchange or state that needs one — and kept for the
// life of the process. Nothing is read at start, and a process whose
// requests never need a secret never reads one.
package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/webhook"
)

// The environment variables of a slotbook process.
const (
	// EnvTable is the DynamoDB table (required on Lambda; the local server
	// defaults to "slotbook" when it has a DynamoDB endpoint).
	EnvTable = "SLOTBOOK_TABLE"
	// EnvDynamoDBEndpoint is a DynamoDB Local to use instead of AWS, whose
	// table is created if missing; the local server keeps its data in
	// memory without it.
	EnvDynamoDBEndpoint = "SLOTBOOK_DYNAMODB_ENDPOINT"
	// EnvKMSKeyID is the KMS key that seals calendar credentials on AWS.
	EnvKMSKeyID = "SLOTBOOK_KMS_KEY_ID"
	// EnvSealKeyFile is a local key file that seals them instead of KMS
	// (local mode, tests); it is created if missing.
	EnvSealKeyFile = "SLOTBOOK_SEAL_KEY_FILE"
	// EnvSecretsPath is the Parameter Store path (no trailing slash) of
	// the SecureString parameters ParamGoogleClientSecret,
	// ParamMicrosoftClientSecret and ParamOAuthStateKey.
	EnvSecretsPath = "SLOTBOOK_SECRETS_PATH"
	// EnvOAuthStateKey is the key that signs OAuth states, at least
	// MinStateKeyLength characters, where it is not in Parameter Store.
	EnvOAuthStateKey = "SLOTBOOK_OAUTH_STATE_KEY"
	// EnvPublicURL is where the booking pages live (links for customers).
	EnvPublicURL = "SLOTBOOK_PUBLIC_URL"
	// EnvDashboardURL is the dashboard page, where a browser returning
	// from a calendar provider's consent page is sent back to.
	EnvDashboardURL = "SLOTBOOK_DASHBOARD_URL"
	// EnvCalendarDeadline bounds the calendar reads of a request, e.g. "3s".
	EnvCalendarDeadline = "SLOTBOOK_CALENDAR_DEADLINE"
	// EnvJWTIssuer and EnvJWTAudience (comma-separated) name the Cognito
	// user pool and app clients whose ID tokens a function verifies itself
	// on routes that have no authorizer.
	EnvJWTIssuer   = "SLOTBOOK_JWT_ISSUER"
	EnvJWTAudience = "SLOTBOOK_JWT_AUDIENCE"

	// EnvOAuthRedirectURL is slotbook's OAuth callback, the API's URL +
	// /v1/oauth/callback.
	EnvOAuthRedirectURL = "SLOTBOOK_OAUTH_REDIRECT_URL"
	// EnvGoogleClientID turns Google calendars on; its secret is
	// EnvGoogleClientSecret or the parameter ParamGoogleClientSecret.
	EnvGoogleClientID     = "SLOTBOOK_GOOGLE_CLIENT_ID"
	EnvGoogleClientSecret = "SLOTBOOK_GOOGLE_CLIENT_SECRET"
	// EnvGoogleAuthURL, EnvGoogleTokenURL and EnvGoogleAPIURL replace
	// Google's endpoints (tests).
	EnvGoogleAuthURL  = "SLOTBOOK_GOOGLE_AUTH_URL"
	EnvGoogleTokenURL = "SLOTBOOK_GOOGLE_TOKEN_URL"
	EnvGoogleAPIURL   = "SLOTBOOK_GOOGLE_API_URL"
	// EnvMicrosoftClientID turns Microsoft 365 calendars on; its secret is
	// EnvMicrosoftClientSecret or the parameter ParamMicrosoftClientSecret.
	EnvMicrosoftClientID     = "SLOTBOOK_MICROSOFT_CLIENT_ID"
	EnvMicrosoftClientSecret = "SLOTBOOK_MICROSOFT_CLIENT_SECRET"
	// EnvMicrosoftAuthURL, EnvMicrosoftTokenURL and EnvGraphURL replace
	// Microsoft's endpoints (tests, sovereign clouds).
	EnvMicrosoftAuthURL  = "SLOTBOOK_MICROSOFT_AUTH_URL"
	EnvMicrosoftTokenURL = "SLOTBOOK_MICROSOFT_TOKEN_URL"
	EnvGraphURL          = "SLOTBOOK_GRAPH_URL"

	// EnvMailFrom is the address slotbook's mails come from: on AWS an
	// address of a verified SES identity (the stack parameter MailFrom).
	EnvMailFrom = "SLOTBOOK_MAIL_FROM"
	// EnvSMTPURL (smtp://host:port) is where the local server sends mails;
	// without it they are written as .eml files into EnvMailDir.
	EnvSMTPURL = "SLOTBOOK_SMTP_URL"
	// EnvMailDir is the local server's folder of .eml files (default
	// .build/mail).
	EnvMailDir = "SLOTBOOK_MAIL_DIR"

	// EnvScheduleGroup and EnvSchedulerRoleARN are the notify function's
	// EventBridge Scheduler group and the role its schedules run with.
	EnvScheduleGroup    = "SLOTBOOK_SCHEDULE_GROUP"
	EnvSchedulerRoleARN = "SLOTBOOK_SCHEDULER_ROLE_ARN"
	// EnvSESURL and EnvSchedulerURL replace the SES and Scheduler
	// endpoints (tests).
	EnvSESURL       = "SLOTBOOK_SES_URL"
	EnvSchedulerURL = "SLOTBOOK_SCHEDULER_URL"

	// EnvPort is the local server's port (default 3000).
	EnvPort = "PORT"
	// EnvDevJWTSecret signs the local server's HS256 JWTs.
	EnvDevJWTSecret = "SLOTBOOK_DEV_JWT_SECRET"
	// EnvCORSOrigins are origins, comma-separated, besides the local
	// server's own, whose pages may call its signed-in routes.
	EnvCORSOrigins = "SLOTBOOK_CORS_ORIGINS"

	// EnvTestDynamoDBEndpoint is a DynamoDB that tests use instead of
	// starting DynamoDB Local (pkg/store/dynamo/dynamotest); no slotbook
	// process reads it.
	EnvTestDynamoDBEndpoint = "SLOTBOOK_TEST_DYNAMODB_ENDPOINT"
)

// The parameters under EnvSecretsPath, SecureStrings all.
const (
	ParamGoogleClientSecret    = "google-client-secret"
	ParamMicrosoftClientSecret = "microsoft-client-secret"
	ParamOAuthStateKey         = "oauth-state-key"
)

// MinStateKeyLength is the length an OAuth state key has at least.
const MinStateKeyLength = 32

// Secret is a secret given in the environment. It prints as [hidden], so
// that a Config in a log line or an error shows none.
type Secret string

// String returns [hidden], or "" for no secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[hidden]"
}

// GoString is String, for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue is String, for log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Config is what the environment tells a slotbook process.
type Config struct {
	Table            string
	DynamoDBEndpoint string
	KMSKeyID         string
	SealKeyFile      string

	PublicURL    string
	DashboardURL string

	// MailFrom is the sender of mails; SMTPURL and MailDir the local
	// server's transports.
	MailFrom string
	SMTPURL  string
	MailDir  string
	// The notify function's: its schedule group and role, and endpoints
	// that replace AWS's (tests).
	ScheduleGroup    string
	SchedulerRoleARN string
	SESURL           string
	SchedulerURL     string

	// CalendarDeadline is 0 for slotbook's default.
	CalendarDeadline time.Duration
	// Calendar configures the providers: the redirect URL, the client ids,
	// the endpoints. Its Secret fields are left to Options (which fills
	// those that are nil), and AllowPrivateNetworks to the caller.
	Calendar calendar.Config

	// Secrets given in the environment; on AWS they are in Parameter
	// Store under SecretsPath instead.
	GoogleClientSecret    Secret
	MicrosoftClientSecret Secret
	OAuthStateKey         Secret
	SecretsPath           string

	JWTIssuer   string
	JWTAudience []string

	// The local server's own.
	Port         string
	DevJWTSecret Secret
	CORSOrigins  []string
}

var secretsPath = regexp.MustCompile(`^(/[A-Za-z0-9_.-]+)+$`)

// FromEnv reads a Config through getenv (os.Getenv, or a map in tests).
// A value that cannot work is an error naming its variable (several are
// joined); a variable that is not set is not an error here.
func FromEnv(getenv func(string) string) (Config, error) {
	var errs []error
	c := Config{
		Table:            getenv(EnvTable),
		DynamoDBEndpoint: getenv(EnvDynamoDBEndpoint),
		KMSKeyID:         getenv(EnvKMSKeyID),
		SealKeyFile:      getenv(EnvSealKeyFile),
		PublicURL:        getenv(EnvPublicURL),
		DashboardURL:     getenv(EnvDashboardURL),
		MailFrom:         getenv(EnvMailFrom),
		SMTPURL:          getenv(EnvSMTPURL),
		MailDir:          getenv(EnvMailDir),
		ScheduleGroup:    getenv(EnvScheduleGroup),
		SchedulerRoleARN: getenv(EnvSchedulerRoleARN),
		SESURL:           getenv(EnvSESURL),
		SchedulerURL:     getenv(EnvSchedulerURL),
		Calendar: calendar.Config{
			RedirectURL:       getenv(EnvOAuthRedirectURL),
			GoogleClientID:    getenv(EnvGoogleClientID),
			GoogleAuthURL:     getenv(EnvGoogleAuthURL),
			GoogleTokenURL:    getenv(EnvGoogleTokenURL),
			GoogleAPIURL:      getenv(EnvGoogleAPIURL),
			MicrosoftClientID: getenv(EnvMicrosoftClientID),
			MicrosoftAuthURL:  getenv(EnvMicrosoftAuthURL),
			MicrosoftTokenURL: getenv(EnvMicrosoftTokenURL),
			GraphURL:          getenv(EnvGraphURL),
		},
		GoogleClientSecret:    Secret(getenv(EnvGoogleClientSecret)),
		MicrosoftClientSecret: Secret(getenv(EnvMicrosoftClientSecret)),
		OAuthStateKey:         Secret(getenv(EnvOAuthStateKey)),
		SecretsPath:           getenv(EnvSecretsPath),
		JWTIssuer:             getenv(EnvJWTIssuer),
		JWTAudience:           list(getenv(EnvJWTAudience)),
		Port:                  getenv(EnvPort),
		DevJWTSecret:          Secret(getenv(EnvDevJWTSecret)),
	}
	for _, o := range list(getenv(EnvCORSOrigins)) {
		c.CORSOrigins = append(c.CORSOrigins, strings.TrimSuffix(o, "/"))
	}
	for _, u := range []struct{ env, value string }{
		{EnvDynamoDBEndpoint, c.DynamoDBEndpoint},
		{EnvPublicURL, c.PublicURL}, {EnvDashboardURL, c.DashboardURL},
		{EnvOAuthRedirectURL, c.Calendar.RedirectURL},
		{EnvGoogleAuthURL, c.Calendar.GoogleAuthURL}, {EnvGoogleTokenURL, c.Calendar.GoogleTokenURL}, {EnvGoogleAPIURL, c.Calendar.GoogleAPIURL},
		{EnvMicrosoftAuthURL, c.Calendar.MicrosoftAuthURL}, {EnvMicrosoftTokenURL, c.Calendar.MicrosoftTokenURL}, {EnvGraphURL, c.Calendar.GraphURL},
		{EnvJWTIssuer, c.JWTIssuer}, {EnvSESURL, c.SESURL}, {EnvSchedulerURL, c.SchedulerURL},
	} {
		if u.value == "" {
			continue
		}
		if p, err := url.Parse(u.value); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s=%q is not an http(s) URL", u.env, u.value))
		}
	}
	if f := c.MailFrom; f != "" && !slotbook.PlainAddress(f) {
		errs = append(errs, fmt.Errorf("%s=%q is not a plain e-mail address such as bookings@example.com", EnvMailFrom, f))
	}
	if u := c.SMTPURL; u != "" {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "smtp" && p.Scheme != "smtps") || p.Hostname() == "" {
			errs = append(errs, fmt.Errorf("%s=%q is not an smtp://host:port URL", EnvSMTPURL, u))
		}
	}
	if d := getenv(EnvCalendarDeadline); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			errs = append(errs, fmt.Errorf("%s=%q is not a positive duration such as 3s", EnvCalendarDeadline, d))
		}
		c.CalendarDeadline = dur
	}
	if k := c.OAuthStateKey; k != "" && len(k) < MinStateKeyLength {
		errs = append(errs, fmt.Errorf("%s is %d characters long, want at least %d", EnvOAuthStateKey, len(k), MinStateKeyLength))
	}
	if p := c.SecretsPath; p != "" && !secretsPath.MatchString(p) {
		errs = append(errs, fmt.Errorf("%s=%q is not a Parameter Store path such as /slotbook/prod (no trailing slash)", EnvSecretsPath, p))
	}
	if p := c.Port; p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s=%q is not a port number", EnvPort, p))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// list splits a comma-separated value, trimming spaces and dropping empty items.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ParameterStore reads a parameter by its full name, decrypted.
// pkg/aws/paramstore's Client (the Parameters and Secrets Lambda
// Extension) is one. Its errors must not hold the value.
type ParameterStore interface {
	Parameter(ctx context.Context, name string) (string, error)
}

// Options returns the options of a slotbook.App that c configures: the
// calendar providers (CalDAV and ICS always; Google and Microsoft with
// their client ids, built on first use), OAuth with its state key when
// either is configured, the links and the calendar deadline, and private
// calendar hosts where c.Calendar.AllowPrivateNetworks is on. A secret
// that the environment does not give is read from params under
// c.SecretsPath on first need, and kept; params may be nil where there is
// no SecretsPath. It reads nothing itself. An OAuth app whose secret, or
// the state key, is neither given nor under a SecretsPath is an error
// naming the variables.
func (c Config) Options(params ParameterStore) ([]slotbook.Option, error) {
	if c.SecretsPath != "" && params == nil {
		return nil, fmt.Errorf("config: %s is set, but this process cannot read Parameter Store (only the Lambda functions do)", EnvSecretsPath)
	}
	var errs []error
	secret := func(given Secret, param string) *fetched {
		switch {
		case given != "":
			return &fetched{read: func(context.Context) (string, error) { return string(given), nil }}
		case c.SecretsPath != "":
			name := c.SecretsPath + "/" + param
			return &fetched{read: func(ctx context.Context) (string, error) { return params.Parameter(ctx, name) }}
		}
		return nil
	}
	cal := c.Calendar
	if cal.GoogleClientID != "" && cal.GoogleClientSecret == nil {
		if s := secret(c.GoogleClientSecret, ParamGoogleClientSecret); s != nil {
			cal.GoogleClientSecret = s.get
		} else {
			errs = append(errs, missing(EnvGoogleClientID, EnvGoogleClientSecret, ParamGoogleClientSecret))
		}
	}
	if cal.MicrosoftClientID != "" && cal.MicrosoftClientSecret == nil {
		if s := secret(c.MicrosoftClientSecret, ParamMicrosoftClientSecret); s != nil {
			cal.MicrosoftClientSecret = s.get
		} else {
			errs = append(errs, missing(EnvMicrosoftClientID, EnvMicrosoftClientSecret, ParamMicrosoftClientSecret))
		}
	}
	set := calendar.New(cal)
	opts := []slotbook.Option{
		slotbook.WithProviders(set.Calendars),
		slotbook.WithPublicURL(c.PublicURL),
		slotbook.WithDashboardURL(c.DashboardURL),
	}
	// Webhook receivers follow the calendars' rule: public and https on
	// AWS, loopback and http allowed in local mode.
	opts = append(opts, slotbook.WithWebhookSender(webhook.New(cal.AllowPrivateNetworks)))
	if cal.AllowPrivateNetworks {
		opts = append(opts, slotbook.WithPrivateCalendarHosts())
	}
	if c.CalendarDeadline > 0 {
		opts = append(opts, slotbook.WithCalendarDeadline(c.CalendarDeadline))
	}
	if len(set.OAuth) > 0 {
		key := secret(c.OAuthStateKey, ParamOAuthStateKey)
		if key == nil {
			errs = append(errs, fmt.Errorf("an OAuth app is configured (%s or %s), but neither %s nor %s (parameter %s) is set",
				EnvGoogleClientID, EnvMicrosoftClientID, EnvOAuthStateKey, EnvSecretsPath, ParamOAuthStateKey))
		} else {
			read := key.read
			// A key that is too short is refused, and not kept: the
			// next state asks Parameter Store again.
			key.read = func(ctx context.Context) (string, error) {
				k, err := read(ctx)
				if err == nil && len(k) < MinStateKeyLength {
					return "", fmt.Errorf("config: the parameter %s/%s is %d characters long, want at least %d", c.SecretsPath, ParamOAuthStateKey, len(k), MinStateKeyLength)
				}
				return k, err
			}
			opts = append(opts, slotbook.WithOAuthStateKey(set.OAuth, func(ctx context.Context) ([]byte, error) {
				k, err := key.get(ctx)
				return []byte(k), err
			}))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return opts, nil
}

func missing(idEnv, secretEnv, param string) error {
	return fmt.Errorf("%s is set, but neither %s nor %s (parameter %s) is", idEnv, secretEnv, EnvSecretsPath, param)
}

// fetched is a secret read on first need and kept for the life of the
// process. Callers that need it while a read is under way wait for that
// read (or for their own context); a read that fails is not kept, so the
// next need reads again.
type fetched struct {
	read func(context.Context) (string, error)

	mu     sync.Mutex
	value  string
	ok     bool
	flight *flight
}

// flight is one read under way, and its outcome once done is closed.
type flight struct {
	done  chan struct{}
	value string
	err   error
}

func (f *fetched) get(ctx context.Context) (string, error) {
	f.mu.Lock()
	if f.ok {
		v := f.value
		f.mu.Unlock()
		return v, nil
	}
	if fl := f.flight; fl != nil {
		f.mu.Unlock()
		select {
		case <-fl.done:
			return fl.value, fl.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	fl := &flight{done: make(chan struct{})}
	f.flight = fl
	f.mu.Unlock()

	v, err := f.read(ctx)
	f.mu.Lock()
	if err == nil {
		f.value, f.ok = v, true
	}
	f.flight = nil
	f.mu.Unlock()
	fl.value, fl.err = v, err
	close(fl.done)
	return v, err
}
