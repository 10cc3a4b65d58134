package lambdafn_test

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/aws/paramstore"
	"github.com/slotbook/slotbook/pkg/aws/paramstore/paramstoretest"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/httpapi"
)

// awsEnv is a function's environment on AWS as template.yaml and Lambda
// make it, with both OAuth apps configured and their secrets in Parameter
// Store, whose extension listens on extPort.
func awsEnv(extPort string) map[string]string {
	return map[string]string{
		config.EnvTable:             "slotbook-Table-1ABC",
		config.EnvKMSKeyID:          "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000",
		config.EnvSecretsPath:       "/slotbook/prod",
		config.EnvGoogleClientID:    "google-client",
		config.EnvMicrosoftClientID: "microsoft-client",
		config.EnvOAuthRedirectURL:  "https://api.slotbook.test/v1/oauth/callback",
		config.EnvJWTIssuer:         "https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_AbCdEfGhI",
		config.EnvJWTAudience:       "client-a",
		"AWS_REGION":                "eu-central-1",
		"AWS_ACCESS_KEY_ID":         "ASIAEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":     "secret-access-key-example",
		"AWS_SESSION_TOKEN":         "session-token-example",
		paramstore.EnvPort:          extPort,
	}
}

func build(t *testing.T, env map[string]string, group httpapi.Group) error {
	_, err := lambdafn.New(t.Context(), func(k string) string { return env[k] }, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), group)
	return err
}

// TestStartingMakesNoNetworkCall: with the AWS clients and both OAuth apps
// configured, nothing is called while a function starts — not DynamoDB,
// not KMS, not the Parameters and Secrets extension.
func TestStartingMakesNoNetworkCall(t *testing.T) {
	ext := paramstoretest.NewTripwire(t)
	env := awsEnv(ext.Port)
	// Any AWS call would go here (and fail) rather than to AWS.
	for _, group := range []httpapi.Group{httpapi.Widget, httpapi.Book, httpapi.Overview, httpapi.Settings} {
		if err := build(t, env, group); err != nil {
			t.Fatalf("%s: %v", group, err)
		}
	}
	time.Sleep(50 * time.Millisecond) // a call started in the background would have connected by now
	if n := ext.Connections(); n != 0 {
		t.Errorf("%d connections to the Parameters and Secrets extension while starting", n)
	}
}

func TestAConfigurationThatCannotWorkNamesTheVariable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		unset []string
		set   map[string]string
		want  []string
	}{
		{"no table", []string{config.EnvTable}, nil, []string{config.EnvTable}},
		{"no KMS key", []string{config.EnvKMSKeyID}, nil, []string{config.EnvKMSKeyID}},
		{"no region", []string{"AWS_REGION"}, nil, []string{"AWS_REGION"}},
		{"no credentials", []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}, nil, []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}},
		{"a bad deadline", nil, map[string]string{config.EnvCalendarDeadline: "3"}, []string{config.EnvCalendarDeadline}},
		{"a path with a trailing slash", nil, map[string]string{config.EnvSecretsPath: "/slotbook/prod/"}, []string{config.EnvSecretsPath}},
		{"OAuth without a secrets path", []string{config.EnvSecretsPath}, nil, []string{config.EnvGoogleClientSecret, config.EnvOAuthStateKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := awsEnv("1")
			credentials := []string{env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]}
			for _, k := range tc.unset {
				delete(env, k)
			}
			for k, v := range tc.set {
				env[k] = v
			}
			err := build(t, env, httpapi.Settings)
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("New = %v, want an error naming %s", err, w)
				}
			}
			for _, c := range credentials {
				if err != nil && strings.Contains(err.Error(), c) {
					t.Errorf("the error %q shows a credential", err)
				}
			}
		})
	}
	t.Run("AWS_DEFAULT_REGION will do", func(t *testing.T) {
		env := awsEnv("1")
		env["AWS_DEFAULT_REGION"], env["AWS_REGION"] = env["AWS_REGION"], ""
		if err := build(t, env, httpapi.Widget); err != nil {
			t.Error(err)
		}
	})
}
