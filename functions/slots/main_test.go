package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/slotbook/slotbook/pkg/apigw"
	"github.com/slotbook/slotbook/pkg/demo"
	"github.com/slotbook/slotbook/pkg/inmem"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// now is the Monday before the event's date, 08:00 in Zurich.
var now = time.Date(2027, 3, 22, 7, 0, 0, 0, time.UTC)

// TestRecordedSlotsEvent feeds a recorded API Gateway HTTP API event
// through the function's handler, as Lambda would.
func TestRecordedSlotsEvent(t *testing.T) {
	store := inmem.New()
	if err := demo.Seed(t.Context(), slotbook.NewApp(store, nil), now); err != nil {
		t.Fatal(err)
	}
	handle := apigw.NewHandler(newHandler(store, slog.New(slog.NewJSONHandler(io.Discard, nil)), func() time.Time { return now }))

	var event events.APIGatewayV2HTTPRequest
	raw, err := os.ReadFile("testdata/slots-event.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &event); err != nil {
		t.Fatal(err)
	}
	resp, err := handle(t.Context(), event)
	if err != nil {
		t.Fatal(err)
	}
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

// TestSettingsRoutesAreNotServedHere checks that the function serves only its own routes.
func TestSettingsRoutesAreNotServedHere(t *testing.T) {
	handle := apigw.NewHandler(newHandler(inmem.New(), slog.New(slog.NewJSONHandler(io.Discard, nil)), time.Now))
	resp, err := handle(t.Context(), events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: "/v1/companies/demo/settings",
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/v1/companies/demo/settings"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 404 || resp.Headers["Content-Type"] != "application/problem+json" {
		t.Errorf("status %d, headers %v; want a 404 problem", resp.StatusCode, resp.Headers)
	}
}
