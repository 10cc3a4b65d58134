package config_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/paramstore"
	"github.com/slotbook/slotbook/pkg/aws/paramstore/paramstoretest"
	"github.com/slotbook/slotbook/pkg/calendar"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/local/demo"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/inmem"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

const (
	stateKey        = "state-key-0123456789-0123456789-0123456789"
	googleSecret    = "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tore"
	microsoftSecret = "microsoft-secret-in-parameter-store"
	sessionToken    = "IQoJb3JpZ2luX2VjEXAMPLE-session-token"
	path            = "/slotbook/test"
)

func TestFromEnvReadsEveryVariable(t *testing.T) {
	got, err := config.FromEnv(env(map[string]string{
		config.EnvTable:                 "slotbook-Table-1",
		config.EnvDynamoDBEndpoint:      "http://localhost:8000",
		config.EnvKMSKeyID:              "arn:aws:kms:eu-central-1:123456789012:key/k",
		config.EnvSealKeyFile:           "/tmp/seal.key",
		config.EnvSecretsPath:           "/slotbook/prod",
		config.EnvOAuthStateKey:         stateKey,
		config.EnvPublicURL:             "https://book.example",
		config.EnvDashboardURL:          "https://app.example/dashboard/",
		config.EnvCalendarDeadline:      "2500ms",
		config.EnvJWTIssuer:             "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Ab",
		config.EnvJWTAudience:           "client-a, client-b,",
		config.EnvOAuthRedirectURL:      "https://api.example/v1/oauth/callback",
		config.EnvGoogleClientID:        "g-id",
		config.EnvGoogleClientSecret:    "g-secret",
		config.EnvGoogleAuthURL:         "http://127.0.0.1:1/auth",
		config.EnvGoogleTokenURL:        "http://127.0.0.1:1/token",
		config.EnvGoogleAPIURL:          "http://127.0.0.1:1/calendar/v3/",
		config.EnvMicrosoftClientID:     "m-id",
		config.EnvMicrosoftClientSecret: "m-secret",
		config.EnvMicrosoftAuthURL:      "http://127.0.0.1:2/authorize",
		config.EnvMicrosoftTokenURL:     "http://127.0.0.1:2/token",
		config.EnvGraphURL:              "http://127.0.0.1:2/v1.0",
		config.EnvPort:                  "3001",
		config.EnvDevJWTSecret:          "dev",
		config.EnvCORSOrigins:           "https://a.example/, https://b.example",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Config{
		Table: "slotbook-Table-1", DynamoDBEndpoint: "http://localhost:8000",
		KMSKeyID: "arn:aws:kms:eu-central-1:123456789012:key/k", SealKeyFile: "/tmp/seal.key",
		PublicURL: "https://book.example", DashboardURL: "https://app.example/dashboard/",
		CalendarDeadline: 2500 * time.Millisecond,
		Calendar: calendar.Config{
			RedirectURL:    "https://api.example/v1/oauth/callback",
			GoogleClientID: "g-id", GoogleAuthURL: "http://127.0.0.1:1/auth", GoogleTokenURL: "http://127.0.0.1:1/token", GoogleAPIURL: "http://127.0.0.1:1/calendar/v3/",
			MicrosoftClientID: "m-id", MicrosoftAuthURL: "http://127.0.0.1:2/authorize", MicrosoftTokenURL: "http://127.0.0.1:2/token", GraphURL: "http://127.0.0.1:2/v1.0",
		},
		GoogleClientSecret: "g-secret", MicrosoftClientSecret: "m-secret", OAuthStateKey: stateKey, SecretsPath: "/slotbook/prod",
		JWTIssuer: "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Ab", JWTAudience: []string{"client-a", "client-b"},
		Port: "3001", DevJWTSecret: "dev", CORSOrigins: []string{"https://a.example", "https://b.example"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromEnv =\n\t%#v\nwant\n\t%#v", got, want)
	}

	empty, err := config.FromEnv(env(nil))
	if err != nil || !reflect.DeepEqual(empty, config.Config{}) {
		t.Errorf("FromEnv of an empty environment = %#v, %v; want the zero Config", empty, err)
	}
}

func TestBadValuesAreErrorsNamingTheVariable(t *testing.T) {
	for _, tc := range []struct{ env, value string }{
		{config.EnvCalendarDeadline, "soon"},
		{config.EnvCalendarDeadline, "-3s"},
		{config.EnvOAuthStateKey, "too-short-a-key"},
		{config.EnvSecretsPath, "/slotbook/prod/"},
		{config.EnvSecretsPath, "slotbook"},
		{config.EnvPublicURL, "book.example"},
		{config.EnvDashboardURL, "ftp://app.example/"},
		{config.EnvOAuthRedirectURL, "/v1/oauth/callback"},
		{config.EnvDynamoDBEndpoint, "localhost:8000"},
		{config.EnvGraphURL, "graph"},
		{config.EnvJWTIssuer, "cognito"},
		{config.EnvPort, "http"},
	} {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			_, err := config.FromEnv(env(map[string]string{tc.env: tc.value}))
			if err == nil || !strings.Contains(err.Error(), tc.env) {
				t.Errorf("FromEnv(%s=%q) = %v, want an error naming %s", tc.env, tc.value, err, tc.env)
			}
			if tc.env == config.EnvOAuthStateKey && strings.Contains(err.Error(), tc.value) {
				t.Errorf("the error %q shows the key", err)
			}
		})
	}
}

func TestSecretsPrintHidden(t *testing.T) {
	c, err := config.FromEnv(env(map[string]string{
		config.EnvGoogleClientSecret: googleSecret, config.EnvOAuthStateKey: stateKey, config.EnvDevJWTSecret: "dev-secret-xyz",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("config", "cfg", c, "key", c.OAuthStateKey)
	for _, out := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%s %q", c.OAuthStateKey, c.GoogleClientSecret), logged.String()} {
		for _, s := range []string{googleSecret, stateKey, "dev-secret-xyz"} {
			if strings.Contains(out, s) {
				t.Errorf("%q shows a secret", out)
			}
		}
		if !strings.Contains(out, "[hidden]") {
			t.Errorf("%q does not say [hidden]", out)
		}
	}
}

// app builds an App from c's options over the demo company.
func app(t *testing.T, c config.Config, params config.ParameterStore) *slotbook.App {
	t.Helper()
	opts, err := c.Options(params)
	if err != nil {
		t.Fatal(err)
	}
	a := slotbook.NewApp(inmem.New(), seal.NewEphemeral(), nil, opts...)
	if err := demo.Seed(t.Context(), a, time.Now()); err != nil {
		t.Fatal(err)
	}
	return a
}

// connect starts connecting ana's Google calendar as the demo admin.
func connect(t *testing.T, a *slotbook.App) (*url.URL, error) {
	t.Helper()
	ctx := slotbook.WithPrincipal(t.Context(), demo.Admin)
	r, err := a.Connect(ctx, slotbook.ConnectRequest{CompanyID: demo.CompanyID, EmployeeID: "ana", Provider: slotbook.Google})
	if err != nil {
		return nil, err
	}
	return url.Parse(r.AuthorizationURL)
}

func names(reqs []paramstoretest.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, fmt.Sprintf("%s %d", r.Name, r.Status))
	}
	return out
}

// TestSecretsAreReadOnFirstNeedAndKept: with the secrets in Parameter
// Store, building the options reads nothing; the first OAuth state reads
// the state key; a read that fails answers 503 (Unavailable) without the
// secret and is tried again on the next need; a read that worked is never
// made again.
func TestSecretsAreReadOnFirstNeedAndKept(t *testing.T) {
	ext := paramstoretest.New(t, sessionToken, map[string]string{
		path + "/" + config.ParamGoogleClientSecret:    googleSecret,
		path + "/" + config.ParamMicrosoftClientSecret: microsoftSecret,
		path + "/" + config.ParamOAuthStateKey:         stateKey,
	})
	c, err := config.FromEnv(env(map[string]string{
		config.EnvSecretsPath: path, config.EnvGoogleClientID: "g-id", config.EnvMicrosoftClientID: "m-id",
		config.EnvOAuthRedirectURL: "https://api.slotbook.test/v1/oauth/callback",
	}))
	if err != nil {
		t.Fatal(err)
	}
	a := app(t, c, paramstore.New(ext.Port, sessionToken))
	if reqs := ext.Requests(); len(reqs) != 0 {
		t.Fatalf("building the App read %v", names(reqs))
	}

	ext.Fail(http.StatusBadGateway, "could not reach SSM")
	_, err = connect(t, a)
	if slotbook.ErrorCode(err) != slotbook.Unavailable {
		t.Fatalf("connect while Parameter Store is down = %v, want %s", err, slotbook.Unavailable)
	}
	for _, s := range []string{stateKey, googleSecret, sessionToken} {
		if strings.Contains(err.Error(), s) || strings.Contains(slotbook.ErrorMessage(err), s) {
			t.Errorf("the error %q shows a secret", err)
		}
	}

	ext.Fail(0, "")
	for range 3 {
		u, err := connect(t, a)
		if err != nil {
			t.Fatal(err)
		}
		if u.Query().Get("client_id") != "g-id" || u.Query().Get("state") == "" {
			t.Errorf("consent page %s", u)
		}
	}
	want := []string{path + "/oauth-state-key 502", path + "/oauth-state-key 200"}
	if got := names(ext.Requests()); !reflect.DeepEqual(got, want) {
		t.Errorf("Parameter Store saw %v, want %v: the failed read, one that worked, then none", got, want)
	}
	for _, r := range ext.Requests() {
		if !r.Decrypt {
			t.Errorf("%s was read without withDecryption=true", r.Name)
		}
	}
}

func TestAShortStateKeyInParameterStoreIsRefusedAndReadAgain(t *testing.T) {
	name := path + "/" + config.ParamOAuthStateKey
	ext := paramstoretest.New(t, sessionToken, map[string]string{name: "short"})
	c, err := config.FromEnv(env(map[string]string{config.EnvSecretsPath: path, config.EnvGoogleClientID: "g-id", config.EnvGoogleClientSecret: "g"}))
	if err != nil {
		t.Fatal(err)
	}
	a := app(t, c, paramstore.New(ext.Port, sessionToken))
	_, err = connect(t, a)
	if slotbook.ErrorCode(err) != slotbook.Unavailable || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), "short") {
		t.Fatalf("connect with a 5-character key = %v; want Unavailable naming %s, without the key", err, name)
	}
	ext.Set(name, stateKey)
	if _, err := connect(t, a); err != nil {
		t.Fatalf("after the key was fixed: %v", err)
	}
}

func TestWithoutOAuthAppsNothingIsRead(t *testing.T) {
	ext := paramstoretest.New(t, sessionToken, nil)
	c, err := config.FromEnv(env(map[string]string{config.EnvSecretsPath: path}))
	if err != nil {
		t.Fatal(err)
	}
	a := app(t, c, paramstore.New(ext.Port, sessionToken))
	_, err = connect(t, a)
	if slotbook.ErrorCode(err) != slotbook.Unprocessable {
		t.Errorf("connecting Google without its app = %v, want %s", err, slotbook.Unprocessable)
	}
	if reqs := ext.Requests(); len(reqs) != 0 {
		t.Errorf("a process without OAuth apps read %v", names(reqs))
	}
}

func TestSecretsGivenInTheEnvironmentNeedNoParameterStore(t *testing.T) {
	c, err := config.FromEnv(env(map[string]string{
		config.EnvGoogleClientID: "g-id", config.EnvGoogleClientSecret: googleSecret, config.EnvOAuthStateKey: stateKey,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, app(t, c, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestMissingSecretsAreErrorsNamingTheVariables(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"a Google app without its secret", map[string]string{config.EnvGoogleClientID: "g", config.EnvOAuthStateKey: stateKey},
			[]string{config.EnvGoogleClientID, config.EnvGoogleClientSecret, config.EnvSecretsPath}},
		{"a Microsoft app without its secret", map[string]string{config.EnvMicrosoftClientID: "m", config.EnvOAuthStateKey: stateKey},
			[]string{config.EnvMicrosoftClientID, config.EnvMicrosoftClientSecret, config.EnvSecretsPath}},
		{"an OAuth app without a state key", map[string]string{config.EnvGoogleClientID: "g", config.EnvGoogleClientSecret: "s"},
			[]string{config.EnvOAuthStateKey, config.EnvSecretsPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := config.FromEnv(env(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Options(nil)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Options = %v, want an error naming %s", err, w)
				}
			}
		})
	}
	t.Run("a secrets path where none can be read", func(t *testing.T) {
		c, _ := config.FromEnv(env(map[string]string{config.EnvSecretsPath: path}))
		if _, err := c.Options(nil); err == nil || !strings.Contains(err.Error(), config.EnvSecretsPath) {
			t.Errorf("Options(nil) with %s = %v, want an error naming it", config.EnvSecretsPath, err)
		}
	})
}

// slowStore is a parameter store that answers after a while and counts reads.
type slowStore struct {
	reads chan string
}

func (s slowStore) Parameter(ctx context.Context, name string) (string, error) {
	s.reads <- name
	time.Sleep(50 * time.Millisecond)
	return stateKey, nil
}

// TestConcurrentFirstNeedsReadOnce: requests that need the key at the same
// moment share one read.
func TestConcurrentFirstNeedsReadOnce(t *testing.T) {
	store := slowStore{reads: make(chan string, 100)}
	c, _ := config.FromEnv(env(map[string]string{config.EnvSecretsPath: path, config.EnvGoogleClientID: "g-id", config.EnvGoogleClientSecret: "g"}))
	a := app(t, c, store)
	errs := make(chan error, 20)
	for range 20 {
		go func() { _, err := connect(t, a); errs <- err }()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := len(store.reads); n != 1 {
		t.Errorf("%d reads for 20 concurrent first needs, want 1", n)
	}
}
