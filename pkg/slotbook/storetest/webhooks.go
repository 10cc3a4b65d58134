package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// testWebhooks: webhooks round-trip per company; an id is taken once; an
// update and a delete reach only the one named; the delivery log keeps
// every attempt, newest delivery first.
func testWebhooks(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	w := slotbook.Webhook{ID: "w1", URL: "https://crm.example/hook?x=1", Events: []slotbook.WebhookEvent{slotbook.EventBookingCancelled, slotbook.EventBookingCreated},
		SealedSecret: []byte{0, 1, 2, 255}, CreatedAt: at(1, 9, 0)}
	ok(t, "create", s.CreateWebhook(ctx, "acme", w))
	wantCode(t, "create again", s.CreateWebhook(ctx, "acme", w), slotbook.Conflict)
	ok(t, "other company", s.CreateWebhook(ctx, "acme-2", slotbook.Webhook{ID: "w1", URL: "https://other.example/", Events: []slotbook.WebhookEvent{slotbook.EventBookingCreated}}))
	got, err := s.Webhook(ctx, "acme", "w1")
	ok(t, "read", err)
	if got.URL != w.URL || !slices.Equal(got.Events, w.Events) || !bytes.Equal(got.SealedSecret, w.SealedSecret) || !got.CreatedAt.Equal(w.CreatedAt) || got.Disabled {
		t.Errorf("read back %+v, want %+v", got, w)
	}
	w.Disabled = true
	ok(t, "switch off", s.UpdateWebhook(ctx, "acme", w))
	wantCode(t, "update a missing one", s.UpdateWebhook(ctx, "acme", slotbook.Webhook{ID: "nope"}), slotbook.NotFound)
	list, _ := s.Webhooks(ctx, "acme")
	if len(list) != 1 || !list[0].Disabled {
		t.Errorf("list %+v", list)
	}
	if other, _ := s.Webhook(ctx, "acme-2", "w1"); other.Disabled || other.URL != "https://other.example/" {
		t.Errorf("acme-2's webhook changed: %+v", other)
	}

	d1 := slotbook.WebhookDelivery{ID: "b1.0-booked-webhook-w1", WebhookID: "w1", BookingID: "b1", Type: slotbook.EventBookingCreated,
		CreatedAt: at(2, 9, 0), State: slotbook.NotificationPending, Expires: at(30, 9, 0)}
	ok(t, "attempt 1", s.RecordDeliveryAttempt(ctx, "acme", d1, slotbook.DeliveryAttempt{At: at(2, 9, 0), Status: 500, Error: "http_500"}))
	d1.State = slotbook.NotificationSent
	ok(t, "attempt 2", s.RecordDeliveryAttempt(ctx, "acme", d1, slotbook.DeliveryAttempt{At: at(2, 9, 1), Status: 204}))
	d2 := d1
	d2.ID, d2.CreatedAt, d2.Type = "b1.1-cancelled-webhook-w1", at(3, 9, 0), slotbook.EventBookingCancelled
	ok(t, "another delivery", s.RecordDeliveryAttempt(ctx, "acme", d2, slotbook.DeliveryAttempt{At: at(3, 9, 0), Status: 200}))
	log, err := s.WebhookDeliveries(ctx, "acme", "w1")
	ok(t, "log", err)
	if len(log) != 2 || log[0].ID != d2.ID || log[1].State != slotbook.NotificationSent || len(log[1].Attempts) != 2 ||
		log[1].Attempts[0].Status != 500 || log[1].Attempts[0].Error != "http_500" || log[1].Attempts[1].Status != 204 || !log[1].CreatedAt.Equal(d1.CreatedAt) {
		t.Errorf("log %+v", log)
	}
	if other, _ := s.WebhookDeliveries(ctx, "acme-2", "w1"); len(other) != 0 {
		t.Errorf("acme-2 sees acme's log: %+v", other)
	}
	ok(t, "delete", s.DeleteWebhook(ctx, "acme", "w1"))
	wantCode(t, "delete again", s.DeleteWebhook(ctx, "acme", "w1"), slotbook.NotFound)
	wantCode(t, "read deleted", func() error { _, err := s.Webhook(ctx, "acme", "w1"); return err }(), slotbook.NotFound)
}

// testDeliveryAttemptsRace: attempts logged at once by racing senders are
// all kept.
func testDeliveryAttemptsRace(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	d := slotbook.WebhookDelivery{ID: "b1.0-booked-webhook-w1", WebhookID: "w1", BookingID: "b1", Type: slotbook.EventBookingCreated,
		CreatedAt: at(2, 9, 0), State: slotbook.NotificationPending, Expires: at(30, 9, 0)}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ok(t, "attempt", s.RecordDeliveryAttempt(ctx, "acme", d, slotbook.DeliveryAttempt{At: at(2, 9, 0).Add(time.Duration(i) * time.Second), Status: 500 + i}))
		})
	}
	wg.Wait()
	log, _ := s.WebhookDeliveries(ctx, "acme", "w1")
	if len(log) != 1 || len(log[0].Attempts) != 8 {
		t.Fatalf("log %+v, want one delivery with 8 attempts", log)
	}
	seen := map[int]bool{}
	for _, a := range log[0].Attempts {
		seen[a.Status] = true
	}
	if len(seen) != 8 {
		t.Errorf("attempts %s", fmt.Sprint(log[0].Attempts))
	}
}
