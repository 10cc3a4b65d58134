package main

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/apigw/apigwtest"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

var now = time.Date(2027, 3, 22, 7, 0, 0, 0, time.UTC)

// TestRecordedBookAndCancelEvents books through a recorded widget event,
// replays it with its Idempotency-Key, and cancels with the token.
func TestRecordedBookAndCancelEvents(t *testing.T) {
	fn := apigwtest.New(t, httpapi.Book, now)
	resp := fn.Call(t, apigwtest.Event(t, "book-event.json"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("book: %d %s", resp.StatusCode, resp.Body)
	}
	var c struct{ ID, Start, Status, CancelToken string }
	if err := json.Unmarshal([]byte(resp.Body), &c); err != nil {
		t.Fatal(err)
	}
	if c.Status != "confirmed" || c.Start != "2027-03-23T08:00:00+01:00" {
		t.Errorf("booking = %+v", c)
	}
	b, err := fn.Store.Booking(t.Context(), "demo", c.ID)
	if err != nil || b.Status != slotbook.Confirmed || b.Customer.Name != "Lea Frei" {
		t.Errorf("stored booking = %+v, %v", b, err)
	}

	// Lambda may deliver a client's retry to another instance: the sealed
	// token opens there too (same key), and the answer is the same.
	replay := fn.Call(t, apigwtest.Event(t, "book-event.json"))
	if replay.StatusCode != http.StatusCreated || replay.Body != resp.Body || replay.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("replay: %d %v %s", replay.StatusCode, replay.Headers, replay.Body)
	}

	cancel := apigwtest.Event(t, "cancel-event.json")
	cancel.RawPath = strings.ReplaceAll(cancel.RawPath, "BOOKING_ID", c.ID)
	cancel.RequestContext.HTTP.Path = cancel.RawPath
	cancel.PathParameters["bookingId"] = c.ID
	cancel.Headers["x-cancel-token"] = "wrong-token"
	if resp := fn.Call(t, cancel); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cancel with a wrong token: %d %s", resp.StatusCode, resp.Body)
	}
	cancel.Headers["x-cancel-token"] = c.CancelToken
	if resp := fn.Call(t, cancel); resp.StatusCode != http.StatusNoContent {
		t.Errorf("cancel: %d %s", resp.StatusCode, resp.Body)
	}
	if b, _ := fn.Store.Booking(t.Context(), "demo", c.ID); b.Status != slotbook.Cancelled {
		t.Errorf("after cancel: %+v", b)
	}
}
