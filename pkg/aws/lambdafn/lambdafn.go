// Package lambdafn wires one slotbook function for AWS Lambda: it reads the
// environment (pkg/config, and the region, credentials and Runtime API that
// Lambda sets), builds the clients once per cold start, and serves the
// function's route group through the API Gateway adapter. Every
// functions/<name>/main.go is one call to Start.
//
// Nothing at start makes a network call: the DynamoDB and KMS clients are
// built from the environment without aws-sdk-go-v2's config package, and
// the OAuth secrets are read from Parameter Store, through the Parameters
// and Secrets Lambda Extension (pkg/aws/paramstore), on first need.
package lambdafn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/slotbook/slotbook/pkg/aws/apigw"
	"github.com/slotbook/slotbook/pkg/aws/paramstore"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
)

// What Lambda puts into a function's environment, besides the template's
// variables.
const (
	envRegion        = "AWS_REGION"
	envDefaultRegion = "AWS_DEFAULT_REGION"
	envAccessKeyID   = "AWS_ACCESS_KEY_ID"
	envSecretKey     = "AWS_SECRET_ACCESS_KEY"
	envSessionToken  = "AWS_SESSION_TOKEN"
	// envRuntimeAPI is where the Lambda Runtime API listens (host:port).
	envRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"
)

// Start serves group on Lambda; it does not return. A configuration that
// cannot work is reported as an init error (Runtime.ConfigError), which
// Lambda shows in its logs and as the answer of the invocation.
// The Book function also takes SweepEvent, which its schedule sends.
func Start(group httpapi.Group) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, app, err := build(context.Background(), os.Getenv, time.Now, log, group)
	if err != nil {
		log.Error("init", "err", err.Error())
		if rerr := ReportInitError(os.Getenv(envRuntimeAPI), err, "Runtime.ConfigError"); rerr != nil {
			log.Error("init", "err", rerr.Error())
		}
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

// build builds the handler of group and the App behind it (NewApp).
func build(ctx context.Context, getenv func(string) string, now func() time.Time, log *slog.Logger, group httpapi.Group) (http.Handler, *slotbook.App, error) {
	app, cfg, err := NewApp(ctx, getenv, now, log)
	if err != nil {
		return nil, nil, err
	}
	var auth apigw.Authenticator
	if cfg.JWTIssuer != "" {
		auth.Bearer = apigw.NewCognito(cfg.JWTIssuer, cfg.JWTAudience)
	}
	return httpapi.NewHandler(app, auth, log, group), app, nil
}

// NewApp builds a function's App from the environment that getenv reads —
// the store, the sealer, the calendar providers — with opts added last
// (the notify function's mailer), and returns the configuration it read.
// It makes no network call, except to a DynamoDB Local named by
// config.EnvDynamoDBEndpoint (tests), whose table it creates if missing.
func NewApp(ctx context.Context, getenv func(string) string, now func() time.Time, log *slog.Logger, opts ...slotbook.Option) (*slotbook.App, config.Config, error) {
	cfg, err := config.FromEnv(getenv)
	if err != nil {
		return nil, config.Config{}, err
	}
	if cfg.Table == "" {
		return nil, config.Config{}, errors.New("lambdafn: " + config.EnvTable + " is not set")
	}
	// The AWS configuration (read from the environment, no call) is needed
	// unless both the store and the sealer are local (tests).
	storeCfg := dynamo.Config{Table: cfg.Table, Endpoint: cfg.DynamoDBEndpoint}
	if storeCfg.Endpoint == "" {
		if storeCfg.AWS, err = AWSConfig(getenv); err != nil {
			return nil, config.Config{}, err
		}
	}
	store, err := dynamo.Open(ctx, storeCfg)
	if err != nil {
		return nil, config.Config{}, err
	}

	var secrets slotbook.Sealer
	switch {
	case cfg.SealKeyFile != "":
		if secrets, err = seal.NewLocal(cfg.SealKeyFile); err != nil {
			return nil, config.Config{}, err
		}
	case cfg.KMSKeyID == "":
		return nil, config.Config{}, errors.New("lambdafn: " + config.EnvKMSKeyID + " is not set")
	default:
		a, err := AWSConfig(getenv)
		if err != nil {
			return nil, config.Config{}, err
		}
		secrets = seal.NewKMS(kms.NewFromConfig(a), cfg.KMSKeyID)
	}

	var params config.ParameterStore
	if cfg.SecretsPath != "" {
		params = paramstore.New(getenv(paramstore.EnvPort), getenv(envSessionToken))
	}
	base, err := cfg.Options(params)
	if err != nil {
		return nil, config.Config{}, err
	}
	base = append(base, slotbook.WithLogger(log))
	return slotbook.NewApp(store, secrets, now, append(base, opts...)...), cfg, nil
}

// AWSConfig is the AWS configuration of a Lambda function: the region and
// the execution role's credentials, which Lambda puts into the
// environment. On Lambda, aws-sdk-go-v2's default chain
// (config.LoadDefaultConfig) finds these same variables first; building the
// configuration without that package keeps its shared-config, SSO, STS and
// IMDS code (about 1.6 MB) out of every function.
func AWSConfig(getenv func(string) string) (aws.Config, error) {
	region := getenv(envRegion)
	if region == "" {
		region = getenv(envDefaultRegion)
	}
	id, secret := getenv(envAccessKeyID), getenv(envSecretKey)
	var errs []error
	if region == "" {
		errs = append(errs, errors.New(envRegion+" is not set"))
	}
	if id == "" || secret == "" {
		errs = append(errs, errors.New(envAccessKeyID+" and "+envSecretKey+" (the execution role's credentials) are not set"))
	}
	if err := errors.Join(errs...); err != nil {
		return aws.Config{}, fmt.Errorf("lambdafn: AWS configuration: %w", err)
	}
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(id, secret, getenv(envSessionToken)),
	}, nil
}
