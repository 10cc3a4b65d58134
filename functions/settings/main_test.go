package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/slotbook/slotbook/pkg/apigw"
	"github.com/slotbook/slotbook/pkg/demo"
	"github.com/slotbook/slotbook/pkg/inmem"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

var now = time.Date(2027, 3, 22, 7, 0, 0, 0, time.UTC)

func readEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var e events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func newLambda(t *testing.T) (apigw.Handler, *inmem.Store) {
	store := inmem.New()
	if err := demo.Seed(t.Context(), slotbook.NewApp(store, nil), now); err != nil {
		t.Fatal(err)
	}
	h := newHandler(store, slog.New(slog.NewJSONHandler(io.Discard, nil)), func() time.Time { return now })
	return apigw.NewHandler(h), store
}

// TestRecordedSettingsEvents feeds recorded API Gateway HTTP API events,
// with the JWT authorizer's claims, through the function's handler.
func TestRecordedSettingsEvents(t *testing.T) {
	handle, store := newLambda(t)

	t.Run("admin reads the settings", func(t *testing.T) {
		resp, err := handle(t.Context(), readEvent(t, "get-settings-event.json"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"name":"Demo Hair \u0026 Beauty"`) {
			t.Errorf("status %d, body %s", resp.StatusCode, resp.Body)
		}
	})
	t.Run("without the authorizer's claims it is 401", func(t *testing.T) {
		e := readEvent(t, "get-settings-event.json")
		e.RequestContext.Authorizer = nil
		resp, err := handle(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d, body %s", resp.StatusCode, resp.Body)
		}
	})
	t.Run("claims of another company are 403", func(t *testing.T) {
		e := readEvent(t, "get-settings-event.json")
		e.RequestContext.Authorizer.JWT.Claims["custom:company"] = "other"
		resp, err := handle(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, body %s", resp.StatusCode, resp.Body)
		}
	})
	t.Run("staff sets their own availability", func(t *testing.T) {
		resp, err := handle(t.Context(), readEvent(t, "put-availability-event.json"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, body %s", resp.StatusCode, resp.Body)
		}
		av, err := store.Availability(t.Context(), "demo", "ben")
		if err != nil {
			t.Fatal(err)
		}
		if len(av.Weekly) != 1 || av.Weekly[0].Weekday != time.Tuesday || len(av.Overrides) != 1 {
			t.Errorf("stored availability = %+v", av)
		}
	})
	t.Run("staff may not set a colleague's availability", func(t *testing.T) {
		e := readEvent(t, "put-availability-event.json")
		e.RequestContext.Authorizer.JWT.Claims["sub"] = "ana"
		resp, err := handle(t.Context(), e)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, body %s", resp.StatusCode, resp.Body)
		}
	})
}
