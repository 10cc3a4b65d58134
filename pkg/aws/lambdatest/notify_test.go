package lambdatest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/notifyfn"
	"github.com/slotbook/slotbook/pkg/aws/schedules/schedulertest"
	"github.com/slotbook/slotbook/pkg/aws/sesmail/sestest"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/webhook"
)

// TestNotifyBootstrap runs the built notify function: the safety net's
// event sends the due mails of a booking through SES (the stand-in), and
// a stream record of its reminder sets a schedule that invokes this very
// function (its ARN from the Runtime API) at the reminder's time; a
// webhook event to a loopback address is refused at the dial (AWS rules).
func TestNotifyBootstrap(t *testing.T) {
	ses := sestest.New(t, "salon.example")
	sched := schedulertest.New(t, "slotbook-notify")
	w := run(t, "NotifyFunction", map[string]string{
		config.EnvSESURL: ses.URL, config.EnvSchedulerURL: sched.URL,
		config.EnvScheduleGroup: "slotbook-notify", config.EnvSchedulerRoleARN: "arn:aws:iam::123456789012:role/slotbook-scheduler",
		config.EnvPublicURL: "https://book.salon.example",
	})
	// A booking, made as the Book function makes it (same table, same key).
	sealer, err := seal.NewLocal(w.env[config.EnvSealKeyFile])
	if err != nil {
		t.Fatal(err)
	}
	// A webhook to a receiver on loopback, subscribed as in local mode: the
	// function, on AWS rules, must refuse to dial it.
	hits := 0
	rcv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer rcv.Close()
	app := slotbook.NewApp(w.store, sealer, nil, slotbook.WithWebhookSender(webhook.New(true)))
	boss, _ := slotbook.NewPrincipal("boss", "demo", "admin")
	hook, _, err := app.CreateWebhook(slotbook.WithPrincipal(t.Context(), boss), "demo", rcv.URL, []slotbook.WebhookEvent{slotbook.EventBookingCreated})
	if err != nil {
		t.Fatal(err)
	}
	_, at := bookableTuesday(w.now)
	start, _ := time.Parse(time.RFC3339, at(9, 0))
	res, err := app.Book(t.Context(), slotbook.BookingRequest{CompanyID: "demo", ServiceID: "haircut", EmployeeID: "ana", Start: start,
		Customer: slotbook.Customer{Name: "Smoke Test", Email: "smoke@client.example"}})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	r, err := w.rt.Invoke(ctx, []byte(notifyfn.DeliverDueEvent))
	if err != nil || r.Err != nil {
		t.Fatalf("deliver-due: %v %v\n%s", err, r.Err, w.out)
	}
	if string(r.Payload) != `{"sent":2}` {
		t.Errorf("deliver-due answered %s, want 2 sent", r.Payload)
	}
	sent := ses.Sent()
	if len(sent) != 2 {
		t.Fatalf("SES took %d mails", len(sent))
	}
	// The webhook event was tried once, refused at the dial, and failed for
	// good; the log says why.
	log, err := w.store.WebhookDeliveries(t.Context(), "demo", hook.ID)
	if err != nil || len(log) != 1 || log[0].State != slotbook.NotificationFailed || len(log[0].Attempts) != 1 ||
		log[0].Attempts[0].Error != "address_not_allowed" || hits != 0 {
		t.Errorf("webhook log %+v (%v), %d hits on loopback", log, err, hits)
	}
	for _, m := range sent {
		if m.From != w.env[config.EnvMailFrom] || !strings.Contains(string(m.Raw), "BEGIN:VCALENDAR") {
			t.Errorf("mail from %s to %v without its calendar", m.From, m.To)
		}
	}

	// The reminder's stream record: a schedule at its time.
	n, err := w.store.Notification(t.Context(), "demo", res.Booking.ID, slotbook.ReminderID)
	if err != nil {
		t.Fatal(err)
	}
	record := fmt.Sprintf(`{"Records":[{"eventID":"1","eventName":"INSERT","eventSource":"aws:dynamodb","awsRegion":"eu-central-1",
		"dynamodb":{"Keys":{"PK":{"S":"C#demo"},"SK":{"S":"M#%[1]s#reminder"}},"SequenceNumber":"100","StreamViewType":"NEW_IMAGE",
		"NewImage":{"company":{"S":"demo"},"booking":{"S":"%[1]s"},"id":{"S":"reminder"},"state":{"S":"pending"},"attempts":{"N":"0"},"due":{"S":%[2]q}}}}]}`,
		res.Booking.ID, n.Due.UTC().Format(time.RFC3339Nano))
	r, err = w.rt.Invoke(ctx, []byte(record))
	if err != nil || r.Err != nil {
		t.Fatalf("stream: %v %v\n%s", err, r.Err, w.out)
	}
	var resp struct{ BatchItemFailures []any }
	if json.Unmarshal(r.Payload, &resp); len(resp.BatchItemFailures) != 0 {
		t.Errorf("batch failures %s", r.Payload)
	}
	got := sched.Schedules("slotbook-notify")
	if len(got) != 1 || !got[0].At.Equal(n.Due.Truncate(time.Second)) || got[0].TargetArn != w.rt.FunctionARN {
		t.Errorf("schedules %+v, want one at %v invoking %s", got, n.Due, w.rt.FunctionARN)
	}
	w.checkGranted(t)
}
