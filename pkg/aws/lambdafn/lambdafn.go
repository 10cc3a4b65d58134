// Package lambdafn wires one slotbook function for AWS Lambda: it reads the
// environment, builds the clients once per cold start, and serves the
// function's route group through the API Gateway adapter. Every
// functions/<name>/main.go is one call to Start.
package lambdafn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/slotbook/slotbook/pkg/aws/apigw"
	"github.com/slotbook/slotbook/pkg/aws/lambdatest"
	"github.com/slotbook/slotbook/pkg/calendar"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
)

// Environment variables of the functions (set by template.yaml).
const (
	EnvTable    = "SLOTBOOK_TABLE"             // the DynamoDB table
	EnvEndpoint = "SLOTBOOK_DYNAMODB_ENDPOINT" // a DynamoDB Local instead of AWS (tests)
	EnvKMSKey   = "SLOTBOOK_KMS_KEY_ID"        // the KMS key that seals secrets
	EnvSealKey  = "SLOTBOOK_SEAL_KEY_FILE"     // a local key file instead of KMS (tests)
	// EnvSecretsPath is an SSM Parameter Store path holding the
	// SecureString parameters google-client-secret,
	// microsoft-client-secret and oauth-state-key.
	EnvSecretsPath = "SLOTBOOK_SECRETS_PATH"
	// EnvStateKey signs OAuth states where there is no SSM path (tests).
	EnvStateKey = "SLOTBOOK_OAUTH_STATE_KEY"
	// EnvPublicURL is where the booking pages live (links for customers).
	EnvPublicURL = "SLOTBOOK_PUBLIC_URL"
	// EnvDashboardURL is the dashboard page, where a browser returning from
	// a calendar provider's consent page is sent back to.
	EnvDashboardURL = "SLOTBOOK_DASHBOARD_URL"
	// EnvCalendarDeadline bounds calendar reads per request, e.g. "3s".
	EnvCalendarDeadline = "SLOTBOOK_CALENDAR_DEADLINE"
	// EnvJWTIssuer and EnvJWTAudience name the Cognito user pool and app
	// clients whose ID tokens the function verifies itself on routes that
	// have no authorizer (a dashboard user cancelling a booking).
	EnvJWTIssuer   = "SLOTBOOK_JWT_ISSUER"
	EnvJWTAudience = "SLOTBOOK_JWT_AUDIENCE"
)

// Start serves group on Lambda; it does not return. A configuration that
// cannot work is reported as an init error, which Lambda shows in its logs.
// The Book function also takes SweepEvent, which its schedule sends.
func Start(group httpapi.Group) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, app, err := build(context.Background(), os.Getenv, time.Now, log, group)
	if err != nil {
		log.Error("init", "err", err)
		lambdatest.ReportInitError(err, "Runtime.ConfigError")
		os.Exit(1)
	}
	if group == httpapi.Book {
		lambda.Start(WithSweep(apigw.NewHandler(h), app, log))
	}
	lambda.Start(apigw.NewHandler(h))
}

// SweepEvent is the payload of the Book function's schedule
// (template.yaml, BookFunction's Sweep event): it runs slotbook.App.Sweep
// instead of serving a request. Only a direct invocation can send it; an
// API Gateway event never has this shape.
const SweepEvent = `{"slotbook":"sweep"}`

// WithSweep returns a handler of API Gateway events that also runs a
// Sweep of app when invoked with SweepEvent, answering its report.
func WithSweep(api apigw.Handler, app *slotbook.App, log *slog.Logger) func(ctx context.Context, payload json.RawMessage) (any, error) {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		var probe struct {
			Slotbook string `json:"slotbook"`
		}
		if json.Unmarshal(payload, &probe) == nil && probe.Slotbook == "sweep" {
			rep, err := app.Sweep(ctx)
			if err != nil {
				log.ErrorContext(ctx, "sweep failed", "err", err.Error())
				return nil, errors.New("sweep failed")
			}
			log.InfoContext(ctx, "sweep", "removed", rep.Removed, "released", rep.Released, "postponed", rep.Postponed, "kept", rep.Kept)
			return rep, nil
		}
		var e events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &e); err != nil {
			return nil, fmt.Errorf("lambdafn: not an API Gateway event: %w", err)
		}
		return api(ctx, e)
	}
}

// New builds the handler of group from the environment that getenv reads;
// now tells the time.
func New(ctx context.Context, getenv func(string) string, now func() time.Time, log *slog.Logger, group httpapi.Group) (http.Handler, error) {
	h, _, err := build(ctx, getenv, now, log, group)
	return h, err
}

// build builds the handler of group and the App behind it.
func build(ctx context.Context, getenv func(string) string, now func() time.Time, log *slog.Logger, group httpapi.Group) (http.Handler, *slotbook.App, error) {
	table := getenv(EnvTable)
	if table == "" {
		return nil, nil, errors.New("lambdafn: " + EnvTable + " is not set")
	}
	var (
		store   *dynamo.Store
		secrets slotbook.Sealer
		err     error
	)
	if endpoint := getenv(EnvEndpoint); endpoint != "" {
		if store, err = dynamo.Open(ctx, dynamo.Config{Table: table, Endpoint: endpoint}); err != nil {
			return nil, nil, err
		}
	}
	if keyFile := getenv(EnvSealKey); keyFile != "" {
		if secrets, err = seal.NewLocal(keyFile); err != nil {
			return nil, nil, err
		}
	}
	env := getenv
	if store == nil || secrets == nil || getenv(EnvSecretsPath) != "" {
		awsCfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("lambdafn: AWS configuration: %w", err)
		}
		if path := getenv(EnvSecretsPath); path != "" {
			if env, err = withSSM(ctx, ssm.NewFromConfig(awsCfg), path, getenv); err != nil {
				return nil, nil, err
			}
		}
		if store == nil {
			store = dynamo.New(dynamodb.NewFromConfig(awsCfg), table)
		}
		if secrets == nil {
			keyID := getenv(EnvKMSKey)
			if keyID == "" {
				return nil, nil, errors.New("lambdafn: " + EnvKMSKey + " is not set")
			}
			secrets = seal.NewKMS(kms.NewFromConfig(awsCfg), keyID)
		}
	}
	opts, err := calendarOptions(env)
	if err != nil {
		return nil, nil, err
	}
	app := slotbook.NewApp(store, secrets, now, append(opts, slotbook.WithLogger(log))...)
	var auth apigw.Authenticator
	if issuer := getenv(EnvJWTIssuer); issuer != "" {
		auth.Bearer = apigw.NewCognito(issuer, strings.Split(getenv(EnvJWTAudience), ","))
	}
	return httpapi.NewHandler(app, auth, log, group), app, nil
}

// calendarOptions configures the calendar providers from the environment.
func calendarOptions(getenv func(string) string) ([]slotbook.Option, error) {
	set := calendar.New(calendar.FromEnv(getenv))
	opts := []slotbook.Option{slotbook.WithProviders(set.Calendars), slotbook.WithPublicURL(getenv(EnvPublicURL)), slotbook.WithDashboardURL(getenv(EnvDashboardURL))}
	if len(set.OAuth) > 0 {
		key := getenv(EnvStateKey)
		if len(key) < 32 {
			return nil, errors.New("lambdafn: the OAuth state key (oauth-state-key) must be at least 32 characters")
		}
		opts = append(opts, slotbook.WithOAuth(set.OAuth, []byte(key)))
	}
	if d := getenv(EnvCalendarDeadline); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return nil, fmt.Errorf("lambdafn: %s=%q is not a duration", EnvCalendarDeadline, d)
		}
		opts = append(opts, slotbook.WithCalendarDeadline(dur))
	}
	return opts, nil
}

// ssmAPI is the part of the SSM client withSSM uses.
type ssmAPI interface {
	GetParametersByPath(ctx context.Context, in *ssm.GetParametersByPathInput, optFns ...func(*ssm.Options)) (*ssm.GetParametersByPathOutput, error)
}

// withSSM returns getenv extended by the secrets under path in SSM
// Parameter Store, read once per cold start and kept only in memory.
func withSSM(ctx context.Context, client ssmAPI, path string, getenv func(string) string) (func(string) string, error) {
	names := map[string]string{
		"google-client-secret":    calendar.EnvGoogleClientSecret,
		"microsoft-client-secret": calendar.EnvMicrosoftClientSecret,
		"oauth-state-key":         EnvStateKey,
	}
	secrets := map[string]string{}
	p := ssm.NewGetParametersByPathPaginator(client, &ssm.GetParametersByPathInput{
		Path: aws.String(path), WithDecryption: aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("lambdafn: read secrets under %s: %w", path, err)
		}
		for _, prm := range page.Parameters {
			name := aws.ToString(prm.Name)
			if env, ok := names[name[strings.LastIndex(name, "/")+1:]]; ok {
				secrets[env] = aws.ToString(prm.Value)
			}
		}
	}
	return func(k string) string {
		if v, ok := secrets[k]; ok {
			return v
		}
		return getenv(k)
	}, nil
}
