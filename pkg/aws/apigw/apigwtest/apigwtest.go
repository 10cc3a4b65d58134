// Package apigwtest runs a Lambda function's handler in tests as Lambda
// would: wired by lambdafn from its environment, on a fresh DynamoDB Local
// table seeded with the demo company, fed recorded API Gateway HTTP API
// events from testdata/.
package apigwtest

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/slotbook/slotbook/pkg/aws/apigw"
	"github.com/slotbook/slotbook/pkg/aws/lambdafn"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/local/demo"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

// Function is one function under test.
type Function struct {
	Handle apigw.Handler
	Store  slotbook.Store
}

// New wires the function of group through lambdafn, with the demo company
// seeded as of now; the function's clock stands at now.
func New(t *testing.T, group httpapi.Group, now time.Time) *Function {
	t.Helper()
	env := map[string]string{
		config.EnvTable:            dynamotest.NewTable(t),
		config.EnvDynamoDBEndpoint: dynamotest.Endpoint(t),
		config.EnvSealKeyFile:      filepath.Join(t.TempDir(), "seal.key"),
	}
	store, err := dynamo.Open(t.Context(), dynamo.Config{Table: env[config.EnvTable], Endpoint: env[config.EnvDynamoDBEndpoint]})
	if err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(t.Context(), slotbook.NewApp(store, seal.NewEphemeral(), nil), now); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := lambdafn.New(t.Context(), func(k string) string { return env[k] }, func() time.Time { return now }, log, group)
	if err != nil {
		t.Fatal(err)
	}
	return &Function{Handle: apigw.NewHandler(h), Store: store}
}

// Event reads a recorded event from testdata/name.
func Event(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return e
}

// Call feeds e to the function and fails the test on a Lambda-level error.
func (f *Function) Call(t *testing.T, e events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := f.Handle(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
