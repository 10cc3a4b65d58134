package main

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/slotbook/slotbook/pkg/aws/apigw/apigwtest"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

// now is the Monday before the event's date, 08:00 in Zurich.
var now = time.Date(2027, 3, 22, 7, 0, 0, 0, time.UTC)

// TestRecordedSlotsEvent feeds a recorded API Gateway HTTP API event
// through the function, wired as on Lambda, on DynamoDB Local.
func TestRecordedSlotsEvent(t *testing.T) {
	fn := apigwtest.New(t, httpapi.Widget, now)
	event := apigwtest.Event(t, "slots-event.json")
	resp := fn.Call(t, event)
	if resp.StatusCode != 200 || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("status %d, headers %v, body %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	if got := resp.Headers["X-Request-Id"]; got != event.RequestContext.RequestID {
		t.Errorf("X-Request-Id = %q, want API Gateway's %q", got, event.RequestContext.RequestID)
	}
	var body struct {
		Slots []struct{ Start, End, Employee string }
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	// Tuesday: Ana works 08:00–12:00 and 13:00–17:00, Ben 10:00–18:00; a
	// haircut takes 30 minutes plus 10 after, on a 15-minute grid.
	if len(body.Slots) == 0 {
		t.Fatal("no slots")
	}
	first, last := body.Slots[0], body.Slots[len(body.Slots)-1]
	if first.Start != "2027-03-23T08:00:00+01:00" || first.Employee != "ana" {
		t.Errorf("first slot = %+v, want Ana at 08:00", first)
	}
	if last.Start != "2027-03-23T17:30:00+01:00" || last.End != "2027-03-23T18:00:00+01:00" || last.Employee != "ben" {
		t.Errorf("last slot = %+v, want Ben at 17:30", last)
	}
	// Ana: 08:00…11:30 (15) and 13:00…16:30 (15); Ben: 10:00…17:30 (31).
	if len(body.Slots) != 61 {
		t.Errorf("%d slots, want 61", len(body.Slots))
	}
}

// TestOtherRoutesAreNotServedHere checks that the function serves only its own routes.
func TestOtherRoutesAreNotServedHere(t *testing.T) {
	fn := apigwtest.New(t, httpapi.Widget, now)
	resp := fn.Call(t, events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: "/v1/companies/demo/settings",
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/companies/demo/settings"}},
	})
	if resp.StatusCode != 404 || resp.Headers["Content-Type"] != "application/problem+json" {
		t.Errorf("status %d, headers %v; want a 404 problem", resp.StatusCode, resp.Headers)
	}
}
