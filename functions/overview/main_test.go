package main

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/apigw/apigwtest"
	"github.com/slotbook/slotbook/pkg/httpapi"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

var now = time.Date(2027, 3, 22, 7, 0, 0, 0, time.UTC)

// TestRecordedListBookingsEvent lists bookings through a recorded
// dashboard event with the JWT authorizer's claims.
func TestRecordedListBookingsEvent(t *testing.T) {
	fn := apigwtest.New(t, httpapi.Overview, now)
	app := slotbook.NewApp(fn.Store, seal.NewEphemeral(), func() time.Time { return now })
	_, err := app.Book(t.Context(), slotbook.BookingRequest{
		CompanyID: "demo", ServiceID: "haircut", EmployeeID: "ben",
		Start:    time.Date(2027, 3, 24, 10, 0, 0, 0, time.UTC),
		Customer: slotbook.Customer{Name: "Max Muster", Email: "max@mail.example"},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp := fn.Call(t, apigwtest.Event(t, "list-bookings-event.json"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `"start":"2027-03-24T11:00:00+01:00"`) || !strings.Contains(resp.Body, "Max Muster") {
		t.Errorf("status %d, body %s", resp.StatusCode, resp.Body)
	}
	e := apigwtest.Event(t, "list-bookings-event.json")
	e.RequestContext.Authorizer.JWT.Claims["custom:role"] = "support"
	delete(e.RequestContext.Authorizer.JWT.Claims, "custom:company")
	if resp := fn.Call(t, e); resp.StatusCode != http.StatusForbidden {
		t.Errorf("support without supportAccess: %d %s", resp.StatusCode, resp.Body)
	}
}
