package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/apigw/apigwtest"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

var now = time.Date(2027, 3, 22, 7, 0, 0, 0, time.UTC)

// TestRecordedSettingsEvents feeds recorded API Gateway HTTP API events,
// with the JWT authorizer's claims, through the function.
func TestRecordedSettingsEvents(t *testing.T) {
	fn := apigwtest.New(t, httpapi.Settings, now)

	t.Run("admin reads the settings", func(t *testing.T) {
		resp := fn.Call(t, apigwtest.Event(t, "get-settings-event.json"))
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"name":"Demo Hair \u0026 Beauty"`) {
			t.Errorf("status %d, body %s", resp.StatusCode, resp.Body)
		}
	})
	t.Run("without the authorizer's claims it is 401", func(t *testing.T) {
		e := apigwtest.Event(t, "get-settings-event.json")
		e.RequestContext.Authorizer = nil
		if resp := fn.Call(t, e); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d, body %s", resp.StatusCode, resp.Body)
		}
	})
	t.Run("claims of another company are 403", func(t *testing.T) {
		e := apigwtest.Event(t, "get-settings-event.json")
		e.RequestContext.Authorizer.JWT.Claims["custom:company"] = "other"
		if resp := fn.Call(t, e); resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, body %s", resp.StatusCode, resp.Body)
		}
	})
	t.Run("staff sets their own availability", func(t *testing.T) {
		resp := fn.Call(t, apigwtest.Event(t, "put-availability-event.json"))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, body %s", resp.StatusCode, resp.Body)
		}
		av, err := fn.Store.Availability(t.Context(), "demo", "ben")
		if err != nil {
			t.Fatal(err)
		}
		if len(av.Weekly) != 1 || av.Weekly[0].Weekday != time.Tuesday || len(av.Overrides) != 1 {
			t.Errorf("stored availability = %+v", av)
		}
	})
	t.Run("staff may not set a colleague's availability", func(t *testing.T) {
		e := apigwtest.Event(t, "put-availability-event.json")
		e.RequestContext.Authorizer.JWT.Claims["sub"] = "ana"
		if resp := fn.Call(t, e); resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, body %s", resp.StatusCode, resp.Body)
		}
	})
}
