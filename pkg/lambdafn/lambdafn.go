// Package lambdafn wires one slotbook function for AWS Lambda: it reads the
// environment, builds the clients once per cold start, and serves the
// function's route group through the API Gateway adapter. Every
// functions/<name>/main.go is one call to Start.
package lambdafn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/slotbook/slotbook/pkg/apigw"
	"github.com/slotbook/slotbook/pkg/dynamo"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Environment variables of the functions (set by template.yaml).
const (
	EnvTable    = "SLOTBOOK_TABLE"             // the DynamoDB table
	EnvEndpoint = "SLOTBOOK_DYNAMODB_ENDPOINT" // a DynamoDB Local instead of AWS (tests)
	EnvKMSKey   = "SLOTBOOK_KMS_KEY_ID"        // the KMS key that seals secrets
	EnvSealKey  = "SLOTBOOK_SEAL_KEY_FILE"     // a local key file instead of KMS (tests)
)

// Start serves group on Lambda; it does not return. A configuration that
// cannot work is reported as an init error, which Lambda shows in its logs.
func Start(group httpapi.Group) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	h, err := New(context.Background(), os.Getenv, time.Now, log, group)
	if err != nil {
		log.Error("init", "err", err)
		os.Exit(1)
	}
	lambda.Start(apigw.NewHandler(h))
}

// New builds the handler of group from the environment that getenv reads;
// now tells the time.
func New(ctx context.Context, getenv func(string) string, now func() time.Time, log *slog.Logger, group httpapi.Group) (http.Handler, error) {
	table := getenv(EnvTable)
	if table == "" {
		return nil, errors.New("lambdafn: " + EnvTable + " is not set")
	}
	var (
		store   *dynamo.Store
		secrets seal.Sealer
		err     error
	)
	if endpoint := getenv(EnvEndpoint); endpoint != "" {
		if store, err = dynamo.Open(ctx, dynamo.Config{Table: table, Endpoint: endpoint}); err != nil {
			return nil, err
		}
	}
	if keyFile := getenv(EnvSealKey); keyFile != "" {
		if secrets, err = seal.NewLocal(keyFile); err != nil {
			return nil, err
		}
	}
	if store == nil || secrets == nil {
		awsCfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, fmt.Errorf("lambdafn: AWS configuration: %w", err)
		}
		if store == nil {
			store = dynamo.New(dynamodb.NewFromConfig(awsCfg), table)
		}
		if secrets == nil {
			keyID := getenv(EnvKMSKey)
			if keyID == "" {
				return nil, errors.New("lambdafn: " + EnvKMSKey + " is not set")
			}
			secrets = seal.NewKMS(kms.NewFromConfig(awsCfg), keyID)
		}
	}
	app := slotbook.NewApp(store, now, slotbook.WithSecrets(secrets))
	return httpapi.NewHandler(app, apigw.Authenticator{}, log, group), nil
}
