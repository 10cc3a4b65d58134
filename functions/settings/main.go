// Command settings is the Lambda function of the settings routes: company
// settings, employees, availability, absences and services.
package main

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/slotbook/slotbook/pkg/apigw"
	"github.com/slotbook/slotbook/pkg/dynamo"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	store, err := dynamo.Open(context.Background(), dynamo.Config{
		Table:    os.Getenv("SLOTBOOK_TABLE"),
		Endpoint: os.Getenv("SLOTBOOK_DYNAMODB_ENDPOINT"),
	})
	if err != nil {
		log.Error("init", "err", err)
		os.Exit(1)
	}
	lambda.Start(apigw.NewHandler(newHandler(store, log, time.Now)))
}

// newHandler serves this function's routes over store; now tells the time.
func newHandler(store slotbook.Store, log *slog.Logger, now func() time.Time) http.Handler {
	app := slotbook.NewApp(store, now)
	return httpapi.NewHandler(app, apigw.Authenticator{}, log, httpapi.Settings)
}
