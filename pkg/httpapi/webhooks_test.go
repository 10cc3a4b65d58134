package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/webhook"
)

// received is one POST that the receiver got.
type received struct {
	header http.Header
	body   []byte
	at     time.Time // by the server's clock
}

// receiver is a real HTTP server on loopback that records what it gets and
// answers each event id with the statuses queued for it (then 200).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []received
	answers []int
	clock   func() time.Time
}

func newReceiver(t *testing.T, clock func() time.Time) *receiver {
	r := &receiver{clock: clock}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.got = append(r.got, received{req.Header.Clone(), b, r.clock()})
		status := 200
		if len(r.answers) > 0 {
			status, r.answers = r.answers[0], r.answers[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// event is a webhook body as a receiver reads it.
type event struct {
	ID, Type, CreatedAt string
	Data                struct {
		Booking struct {
			ID, Employee, Start, Status string
			Customer                    struct{ Name, Email string }
		}
		PreviousStart, PreviousEmployee, CancelledBy string
	}
}

// parseEvent reads a delivery's body, which must be a WebhookEvent of
// api/openapi.yaml.
func parseEvent(t *testing.T, b []byte) event {
	t.Helper()
	apitest.LoadSpec(t).ValidateSchema(t, "WebhookEvent", b)
	var e event
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("event %s: %v", b, err)
	}
	return e
}

// verifyAt is README's verify, with the receiver's clock as a parameter
// (the server's clock is the test's).
func verifyAt(now time.Time, secret, header string, body []byte) bool {
	var ts, sig string
	for _, kv := range strings.Split(header, ",") {
		if k, v, _ := strings.Cut(kv, "="); k == "t" {
			ts = v
		} else if k == "v1" {
			sig = v
		}
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	t, err := strconv.ParseInt(ts, 10, 64)
	return err == nil && now.Sub(time.Unix(t, 0)).Abs() < 5*time.Minute &&
		hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil))))
}

// TestWebhooksEndToEnd: a booking sends one booking.created, signed; a
// receiver that fails twice gets it three times with one id, and the log
// says so; a move and a cancel send one event each; a replay sends none; a
// 410 switches the webhook off.
func TestWebhooksEndToEnd(t *testing.T) {
	eachStore(t, func(t *testing.T, store func() slotbook.Store) {
		e := newEnvOn(t, store(), slotbook.WithWebhookSender(webhook.New(true)))
		admin := token(t, "boss", "acme", slotbook.RoleAdmin)
		e.seed(admin)
		rcv := newReceiver(t, e.clock.Now)
		rcv.answers = []int{500, 500}
		var hook struct {
			ID, URL, Secret string
			Events          []string
		}
		r := e.must(201, "POST", "/v1/companies/acme/webhooks", admin, map[string]any{"url": rcv.URL + "/hooks",
			"events": []string{"booking.created", "booking.rescheduled", "booking.cancelled"}})
		r.Decode(t, &hook)
		if !strings.HasPrefix(hook.Secret, "whsec_") || len(hook.Secret) < 40 || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("webhook %+v", hook)
		}
		var list struct{ Webhooks []map[string]any }
		e.must(200, "GET", "/v1/companies/acme/webhooks", admin, nil).Decode(t, &list)
		if len(list.Webhooks) != 1 || list.Webhooks[0]["secret"] != nil || strings.Contains(e.logs.String(), hook.Secret) {
			t.Errorf("the list shows %v; the secret must be shown once only", list.Webhooks)
		}

		key := http.Header{"Idempotency-Key": {"wh-1"}}
		var b confirmation
		r = e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T09:00:00+01:00"), Header: key})
		r.Decode(t, &b)
		e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T09:00:00+01:00"), Header: key})
		e.deliver()
		e.advance(25 * time.Second) // the first retry is due within 30 s
		e.deliver()
		e.advance(3 * time.Minute)
		e.deliver()
		e.advance(time.Hour)
		e.deliver()
		got := rcv.all()
		if len(got) != 3 {
			t.Fatalf("the receiver got %d POSTs, want 3 (500, 500, 200)", len(got))
		}
		ev := parseEvent(t, got[0].body)
		for i, g := range got {
			if parseEvent(t, g.body).ID != ev.ID || g.header.Get("Slotbook-Delivery") != ev.ID {
				t.Errorf("attempt %d has another id: %s", i, g.body)
			}
			if !verifyAt(g.at, hook.Secret, g.header.Get("Slotbook-Signature"), g.body) {
				t.Errorf("attempt %d: the signature %q does not verify", i, g.header.Get("Slotbook-Signature"))
			}
		}
		tampered := slices.Clone(got[2].body)
		tampered[len(tampered)/2] ^= 1
		if verifyAt(got[2].at, hook.Secret, got[2].header.Get("Slotbook-Signature"), tampered) {
			t.Error("the signature verifies a body with one byte changed")
		}
		if verifyAt(got[0].at.Add(10*time.Minute), hook.Secret, got[0].header.Get("Slotbook-Signature"), got[0].body) {
			t.Error("a delivery replayed ten minutes later verifies")
		}
		if ev.Type != "booking.created" || ev.Data.Booking.ID != b.ID || ev.Data.Booking.Start != "2027-03-22T09:00:00+01:00" ||
			ev.Data.Booking.Customer.Email != "chris@client.example" || strings.Contains(string(got[0].body), b.CancelToken) {
			t.Errorf("event %s", got[0].body)
		}

		var log struct {
			Deliveries []struct {
				ID, Type, State string
				Attempts        []struct{ Status int }
			}
		}
		e.must(200, "GET", "/v1/companies/acme/webhooks/"+hook.ID+"/deliveries", admin, nil).Decode(t, &log)
		if len(log.Deliveries) != 1 || log.Deliveries[0].ID != ev.ID || log.Deliveries[0].State != "sent" || len(log.Deliveries[0].Attempts) != 3 ||
			log.Deliveries[0].Attempts[0].Status != 500 || log.Deliveries[0].Attempts[2].Status != 200 {
			t.Errorf("delivery log %+v", log.Deliveries)
		}

		// A move and a cancel: one event each, telling where from and who.
		e.must(200, "POST", "/v1/companies/acme/bookings/"+b.ID+"/reschedule", admin, map[string]any{"start": "2027-03-22T10:00:00+01:00"})
		if r := e.client.Do(apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/" + b.ID, Header: http.Header{"X-Cancel-Token": {b.CancelToken}}}); r.Status != 204 {
			t.Fatalf("cancel: %d %s", r.Status, r.Body)
		}
		e.deliver()
		e.deliver()
		got = rcv.all()
		if len(got) != 5 {
			t.Fatalf("%d POSTs after the move and the cancel, want 5", len(got))
		}
		moved, cancelled := parseEvent(t, got[3].body), parseEvent(t, got[4].body)
		if moved.Type == "booking.cancelled" {
			moved, cancelled = cancelled, moved
		}
		if moved.Type != "booking.rescheduled" || moved.Data.PreviousStart != "2027-03-22T09:00:00+01:00" || moved.Data.PreviousEmployee != "ana" ||
			moved.Data.Booking.Start != "2027-03-22T10:00:00+01:00" {
			t.Errorf("move event %+v", moved)
		}
		if cancelled.Type != "booking.cancelled" || cancelled.Data.CancelledBy != "customer" || cancelled.Data.Booking.Status != "cancelled" {
			t.Errorf("cancel event %+v", cancelled)
		}

		// 410 Gone: the webhook is switched off, and gets nothing more.
		rcv.answers = []int{410}
		e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T11:00:00+01:00"))
		e.deliver()
		e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00")) // freed by the cancel
		e.deliver()
		e.must(200, "GET", "/v1/companies/acme/webhooks", admin, nil).Decode(t, &list)
		if n := len(rcv.all()); n != 6 || list.Webhooks[0]["disabled"] != true {
			t.Errorf("after a 410: %d POSTs, webhook %v", n, list.Webhooks[0])
		}
	})
}

// TestWebhookURLsMustBePublicOnAWS: with the AWS sender, http and
// addresses that are not public are refused when subscribing (422 naming
// url), and non-admins may not touch webhooks.
func TestWebhookURLsMustBePublicOnAWS(t *testing.T) {
	e := newEnv(t, slotbook.WithWebhookSender(webhook.New(false)))
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	for _, u := range []string{"http://example.com/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://[::1]/hook",
		"https://169.254.169.254/latest", "https://localhost/hook"} {
		r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/webhooks", Token: admin,
			Body: map[string]any{"url": u, "events": []string{"booking.created"}}})
		if r.Status != 422 || !slices.Equal(r.Problem(t).Fields(), []string{"url"}) {
			t.Errorf("%s: %d %s, want 422 naming url", u, r.Status, r.Body)
		}
	}
	r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/webhooks", Token: admin, BadRequest: true,
		Body: map[string]any{"url": "https://hooks.example/x", "events": []string{"booking.paid"}}})
	if r.Status != 400 || !slices.Equal(r.Problem(t).Fields(), []string{"events"}) {
		t.Errorf("an unknown event: %d %s", r.Status, r.Body)
	}
}

// subscribe adds a webhook of every event to rcv and returns its id.
func (e *env) subscribe(admin string, rcv *receiver) string {
	e.t.Helper()
	var hook struct{ ID string }
	e.must(201, "POST", "/v1/companies/acme/webhooks", admin, map[string]any{"url": rcv.URL + "/hooks",
		"events": []string{"booking.created", "booking.rescheduled", "booking.cancelled"}}).Decode(e.t, &hook)
	return hook.ID
}

// TestWebhooksTellWhoCancelled: a cancel in the dashboard and a customer's
// erasure send booking.cancelled by staff — the erased one without the
// customer's data, which the erasure took away.
func TestWebhooksTellWhoCancelled(t *testing.T) {
	e := newEnv(t, slotbook.WithWebhookSender(webhook.New(true)))
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	rcv := newReceiver(t, e.clock.Now)
	e.subscribe(admin, rcv)
	var staffCancelled, erased confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T09:00:00+01:00")).Decode(t, &staffCancelled)
	body := bookingBody("2027-03-22T11:00:00+01:00")
	body["customer"] = map[string]any{"name": "Erin Erased", "email": "erin@client.example", "phone": "+41 79 000 00 00"}
	e.must(201, "POST", "/v1/companies/acme/bookings", "", body).Decode(t, &erased)
	e.deliver()

	e.must(204, "DELETE", "/v1/companies/acme/bookings/"+staffCancelled.ID, token(t, "ana", "acme", slotbook.RoleStaff), nil)
	e.must(200, "POST", "/v1/companies/acme/customers/erase", admin, map[string]any{"email": "erin@client.example"})
	e.deliver()
	got := rcv.all()
	if len(got) != 4 {
		t.Fatalf("%d deliveries, want 2 created and 2 cancelled", len(got))
	}
	byBooking := map[string]event{}
	for _, g := range got[2:] {
		ev := parseEvent(t, g.body)
		byBooking[ev.Data.Booking.ID] = ev
		if strings.Contains(string(g.body), "Erin") || strings.Contains(string(g.body), "erin@") || strings.Contains(string(g.body), "+41 79") {
			t.Errorf("an event after the erasure holds the erased customer: %s", g.body)
		}
	}
	for _, id := range []string{staffCancelled.ID, erased.ID} {
		if ev := byBooking[id]; ev.Type != "booking.cancelled" || ev.Data.CancelledBy != "staff" || ev.Data.Booking.Status != "cancelled" {
			t.Errorf("booking %s: event %+v, want booking.cancelled by staff", id, ev)
		}
	}
}

// TestWebhookRetriesForADayThenFail: a receiver that always fails gets the
// event at least 8 times over at least 24 hours, the first retry within
// 30 seconds, each pause with jitter; then the delivery is failed, in the
// log, and tried no more.
func TestWebhookRetriesForADayThenFail(t *testing.T) {
	e := newEnv(t, slotbook.WithWebhookSender(webhook.New(true)))
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	rcv := newReceiver(t, e.clock.Now)
	rcv.answers = slices.Repeat([]int{503}, 100)
	id := e.subscribe(admin, rcv)
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T09:00:00+01:00"))
	// Step the clock in small steps to see when each attempt comes.
	for range 60 * 24 * 4 {
		e.deliver()
		e.advance(time.Minute)
	}
	got := rcv.all()
	if len(got) < 8 || len(got) != slotbook.MaxWebhookAttempts {
		t.Fatalf("%d attempts, want %d (at least 8)", len(got), slotbook.MaxWebhookAttempts)
	}
	if first := got[1].at.Sub(got[0].at); first > 30*time.Second+time.Minute {
		t.Errorf("the first retry came after %v, want within 30 s (as the clock steps, a minute)", first)
	}
	if span := got[len(got)-1].at.Sub(got[0].at); span < 24*time.Hour {
		t.Errorf("all attempts within %v, want at least 24 h", span)
	}
	ids := map[string]bool{}
	for _, g := range got {
		ids[parseEvent(t, g.body).ID] = true
	}
	if len(ids) != 1 {
		t.Errorf("the attempts carry %d ids, want one", len(ids))
	}
	var log struct {
		Deliveries []struct {
			State    string
			Attempts []struct{ Status int }
		}
	}
	e.must(200, "GET", "/v1/companies/acme/webhooks/"+id+"/deliveries", admin, nil).Decode(t, &log)
	if len(log.Deliveries) != 1 || log.Deliveries[0].State != "failed" || len(log.Deliveries[0].Attempts) != len(got) {
		t.Errorf("delivery log %+v, want one failed delivery with every attempt", log.Deliveries)
	}

	// Each pause is its step of the schedule ±20 %, so that receivers that
	// failed together are not all retried together.
	for attempt := 1; attempt < slotbook.MaxWebhookAttempts; attempt++ {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for range 200 {
			d := slotbook.WebhookRetryDelay(attempt)
			lo, hi = min(lo, d), max(hi, d)
		}
		base := (lo + hi) / 2
		if hi == lo || float64(hi-lo) < 0.2*float64(base) || float64(hi-lo) > 0.41*float64(base) {
			t.Errorf("attempt %d: pauses from %v to %v, want about ±20 %% jitter", attempt, lo, hi)
		}
	}
}
