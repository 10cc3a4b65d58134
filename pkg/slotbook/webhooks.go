package slotbook

import (
	"cmp"
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// WebhookEvent is the type of a webhook event.
type WebhookEvent string

// The events a webhook can subscribe to.
const (
	EventBookingCreated     WebhookEvent = "booking.created"
	EventBookingRescheduled WebhookEvent = "booking.rescheduled"
	EventBookingCancelled   WebhookEvent = "booking.cancelled"
)

// WebhookEvents are the events a webhook can subscribe to.
var WebhookEvents = []WebhookEvent{EventBookingCreated, EventBookingRescheduled, EventBookingCancelled}

// Who cancelled a booking, as booking.cancelled tells.
const (
	CancelledByCustomer = "customer"
	CancelledByStaff    = "staff"
)

// Webhook is a company's subscription: the events of its bookings are
// POSTed to URL, signed with a secret that only slotbook and the receiver
// know.
type Webhook struct {
	ID     string
	URL    string
	Events []WebhookEvent
	// SealedSecret is the signing secret, sealed for (company, webhook);
	// shown once, when the webhook is made.
	SealedSecret []byte
	CreatedAt    time.Time
	// Disabled is set when the receiver answered 410 Gone: no more events
	// are sent to it.
	Disabled bool
}

// WebhookDelivery is the log of one event to one webhook: its attempts,
// never its body.
type WebhookDelivery struct {
	// ID is the event's id, the same in every attempt.
	ID        string
	WebhookID string
	BookingID string
	Type      WebhookEvent
	CreatedAt time.Time
	// State is pending (to be tried again), sent, failed or skipped.
	State    NotificationState
	Attempts []DeliveryAttempt
	// Expires is when the log entry may be dropped.
	Expires time.Time
}

// DeliveryAttempt is one POST of a delivery: when, the status code the
// receiver answered (0 if none), and the class of the failure, if any.
type DeliveryAttempt struct {
	At     time.Time
	Status int
	Error  string
}

// WebhookSender is the HTTP side of webhooks: it checks a URL and POSTs
// an event. package webhook implements it. Both refuse addresses that are
// not public unless the sender was made for local mode.
type WebhookSender interface {
	// Check reports why u cannot receive webhooks (not https, a name that
	// resolves to an address that is not public), or nil.
	Check(ctx context.Context, u *url.URL) error
	// Post sends body with header to u without following redirects and
	// returns the status code of the answer.
	Post(ctx context.Context, u string, body []byte, header map[string]string) (status int, err error)
}

// WithWebhookSender sets the WebhookSender; without one, webhooks can be
// neither made nor sent.
func WithWebhookSender(s WebhookSender) Option { return func(a *App) { a.webhooks = s } }

// Limits and timing of webhooks.
const (
	MaxWebhooks       = 10
	MaxWebhookURL     = 2000
	WebhookTimeout    = 10 * time.Second
	WebhookLogKeep    = 30 * 24 * time.Hour
	webhookSecretSize = 32
)

// webhookDelays are the pauses after the 1st, 2nd, … failed attempt,
// before jitter: 9 retries over about two days.
var webhookDelays = []time.Duration{20 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// MaxWebhookAttempts is how often an event is tried before it is failed.
var MaxWebhookAttempts = len(webhookDelays) + 1

// WebhookRetryDelay returns the pause after the attempts-th failed
// attempt: webhookDelays with ±20 % jitter, so that receivers that failed
// together are not retried together.
func WebhookRetryDelay(attempts int) time.Duration {
	d := webhookDelays[min(max(attempts, 1), len(webhookDelays))-1]
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// change is what a booking change tells webhooks beyond the booking.
type change struct {
	previousStart    time.Time
	previousEmployee string
	cancelledBy      string
}

// eventOf is the webhook event of a mail kind, or "".
func eventOf(kind NotificationKind) WebhookEvent {
	switch kind {
	case NoticeBooked:
		return EventBookingCreated
	case NoticeRescheduled:
		return EventBookingRescheduled
	case NoticeCancelled:
		return EventBookingCancelled
	}
	return ""
}

// webhookEvents are the events of a change of b to the company's webhooks
// that subscribe to it: recorded with the change, in its outbox, so that
// one change makes one event per webhook, whatever retries and replays
// follow. A store that cannot list the webhooks now loses the events of
// this change (it is logged); the change itself goes on.
func (a *App) webhookEvents(ctx context.Context, c Company, b Booking, kind NotificationKind, now time.Time, ch change) []Notification {
	ev := eventOf(kind)
	if ev == "" {
		return nil
	}
	hooks, ok := webhooksRead(ctx, c.ID)
	var err error
	if !ok {
		hooks, err = a.store.Webhooks(ctx, c.ID)
	}
	if err != nil {
		a.log.WarnContext(ctx, "webhooks not read; the change sends no events", "company", c.ID, "booking", b.ID, "err", err.Error())
		return nil
	}
	var out []Notification
	for _, w := range hooks {
		if w.Disabled || !slices.Contains(w.Events, ev) {
			continue
		}
		out = append(out, Notification{
			CompanyID: c.ID, BookingID: b.ID, ID: fmt.Sprintf("%d-%s-webhook-%s", b.Sequence, kind, w.ID),
			Kind: kind, To: ToWebhook, Sequence: b.Sequence, BookingStart: b.Start, Due: now,
			State: NotificationPending, Version: NewID(),
			WebhookID: w.ID, CreatedAt: now, EmployeeID: b.EmployeeID,
			PreviousStart: ch.previousStart, PreviousEmployee: ch.previousEmployee, CancelledBy: ch.cancelledBy,
		})
	}
	return out
}

// webhookSecretContext binds a webhook's secret to it.
func webhookSecretContext(companyID, webhookID string) SecretContext {
	return SecretContext{Company: companyID, Employee: "webhook", Purpose: "webhook:" + webhookID}
}

// Webhooks lists the company's webhooks, to its admins.
func (a *App) Webhooks(ctx context.Context, companyID string) ([]Webhook, error) {
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return nil, err
	}
	return a.store.Webhooks(ctx, companyID)
}

// CreateWebhook subscribes url to events (an admin's) and returns the
// webhook with its signing secret, which is shown only now. The URL must
// be https and reach a public address (local mode: http and loopback too).
func (a *App) CreateWebhook(ctx context.Context, companyID, rawURL string, events []WebhookEvent) (Webhook, string, error) {
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return Webhook{}, "", err
	}
	var p Problems
	u, err := url.Parse(rawURL)
	switch {
	case rawURL == "":
		p.Add("url", "is required")
	case len(rawURL) > MaxWebhookURL || err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Fragment != "":
		p.Add("url", "must be an https URL of at most %d characters, without user or fragment", MaxWebhookURL)
	}
	if len(events) == 0 {
		p.Add("events", "must name at least one of booking.created, booking.rescheduled, booking.cancelled")
	}
	for _, e := range events {
		if !slices.Contains(WebhookEvents, e) {
			p.Add("events", "must be booking.created, booking.rescheduled or booking.cancelled, not %q", string(e))
			break
		}
	}
	if err := p.Err(); err != nil {
		return Webhook{}, "", err
	}
	if a.webhooks == nil {
		return Webhook{}, "", Errorf(Unavailable, "Webhooks cannot be sent from here.")
	}
	if err := a.webhooks.Check(ctx, u); err != nil {
		return Webhook{}, "", unprocessableField("url", "%s", err.Error())
	}
	existing, err := a.store.Webhooks(ctx, companyID)
	if err != nil {
		return Webhook{}, "", err
	}
	if len(existing) >= MaxWebhooks {
		return Webhook{}, "", Errorf(Conflict, "A company may have at most %d webhooks.", MaxWebhooks)
	}
	var raw [webhookSecretSize]byte
	crand.Read(raw[:]) // never fails (crypto/rand documents it)
	secret := "whsec_" + base64.RawURLEncoding.EncodeToString(raw[:])
	w := Webhook{ID: NewID(), URL: u.String(), Events: slices.Compact(slices.Sorted(slices.Values(events))), CreatedAt: a.now()}
	auditCreated(ctx, w.ID)
	if w.SealedSecret, err = a.secrets.Seal(ctx, []byte(secret), webhookSecretContext(companyID, w.ID)); err != nil {
		return Webhook{}, "", &Error{Code: Internal, Message: "sealing failed", Err: err}
	}
	if err := a.store.CreateWebhook(ctx, companyID, w); err != nil {
		return Webhook{}, "", err
	}
	return w, secret, nil
}

// DeleteWebhook ends a subscription (an admin's); events already made
// for it are not sent.
func (a *App) DeleteWebhook(ctx context.Context, companyID, webhookID string) error {
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return err
	}
	return a.store.DeleteWebhook(ctx, companyID, webhookID)
}

// WebhookDeliveries returns a webhook's delivery log, newest first (an
// admin's).
func (a *App) WebhookDeliveries(ctx context.Context, companyID, webhookID string) ([]WebhookDelivery, error) {
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return nil, err
	}
	if _, err := a.store.Webhook(ctx, companyID, webhookID); err != nil {
		return nil, err
	}
	return a.store.WebhookDeliveries(ctx, companyID, webhookID)
}

// SignWebhook returns the Slotbook-Signature header of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// WebhookPayload is the body of a webhook POST.
type WebhookPayload struct {
	ID        string       `json:"id"`
	Type      WebhookEvent `json:"type"`
	CreatedAt string       `json:"createdAt"`
	Data      WebhookData  `json:"data"`
}

// WebhookData is what an event tells: the booking (never its cancel
// token, never anything of an external calendar) and, for a move, where
// it was; for a cancel, who cancelled.
type WebhookData struct {
	Booking          WebhookBooking `json:"booking"`
	PreviousStart    string         `json:"previousStart,omitempty"`
	PreviousEmployee string         `json:"previousEmployee,omitempty"`
	CancelledBy      string         `json:"cancelledBy,omitempty"`
}

// WebhookBooking is a booking as events show it.
type WebhookBooking struct {
	ID              string          `json:"id"`
	Service         string          `json:"service"`
	Employee        string          `json:"employee"`
	Start           string          `json:"start"`
	End             string          `json:"end"`
	Status          string          `json:"status"`
	Customer        WebhookCustomer `json:"customer"`
	Notes           string          `json:"notes"`
	Lang            string          `json:"lang,omitempty"`
	RescheduleCount int             `json:"rescheduleCount"`
}

// WebhookCustomer is a booking's customer as events show it.
type WebhookCustomer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// Why a webhook event was skipped or failed.
const (
	SkipWebhookGone     = "webhook_gone"
	SkipWebhookDisabled = "webhook_disabled"
	FailEndpointGone    = "endpoint_gone"
)

// sendWebhook makes one attempt of the webhook event n (held by this
// sender) and returns n as it stands after it.
func (a *App) sendWebhook(ctx context.Context, n Notification, prevAttempts int) (Notification, error) {
	next := n
	next.Version = NewID()
	w, err := a.store.Webhook(ctx, n.CompanyID, n.WebhookID)
	switch {
	case ErrorCode(err) == NotFound:
		next.State, next.ErrorClass, next.Attempts = NotificationSkipped, SkipWebhookGone, prevAttempts
		return next, nil
	case err != nil:
		return Notification{}, err
	case w.Disabled:
		next.State, next.ErrorClass, next.Attempts = NotificationSkipped, SkipWebhookDisabled, prevAttempts
		return next, nil
	}
	body, err := a.webhookBody(ctx, n)
	if ErrorCode(err) == NotFound {
		next.State, next.ErrorClass, next.Attempts = NotificationSkipped, SkipGone, prevAttempts
		return next, nil
	} else if err != nil {
		return Notification{}, err
	}
	secret, err := a.secrets.Open(ctx, w.SealedSecret, webhookSecretContext(n.CompanyID, w.ID))
	if err != nil {
		return Notification{}, &Error{Code: Internal, Message: "opening failed", Err: err}
	}
	deliveryID := n.BookingID + "." + n.ID
	pctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	status, perr := a.webhooks.Post(pctx, w.URL, body, map[string]string{
		"Content-Type":       "application/json",
		"User-Agent":         "slotbook-webhooks/1",
		"Slotbook-Signature": SignWebhook(string(secret), a.now(), body),
		"Slotbook-Event":     string(eventOf(n.Kind)),
		"Slotbook-Delivery":  deliveryID,
		"Idempotency-Key":    deliveryID,
	})
	cancel()
	attempt := DeliveryAttempt{At: a.now(), Status: status}
	switch {
	case perr == nil && status >= 200 && status < 300:
		next.State, next.ErrorClass, next.SentAt = NotificationSent, "", a.now()
	case perr == nil && status == 410:
		next.State, next.ErrorClass = NotificationFailed, FailEndpointGone
		w.Disabled = true
		if err := a.store.UpdateWebhook(ctx, n.CompanyID, w); err != nil && ErrorCode(err) != NotFound {
			a.log.WarnContext(ctx, "webhook not switched off", "company", n.CompanyID, "webhook", w.ID, "code", string(ErrorCode(err)))
		}
	default:
		next.ErrorClass = webhookErrorClass(status, perr)
		if n.Attempts >= MaxWebhookAttempts || isPermanent(perr) {
			next.State = NotificationFailed
		} else {
			next.Due = a.now().Add(WebhookRetryDelay(n.Attempts))
		}
	}
	attempt.Error = next.ErrorClass
	d := WebhookDelivery{ID: deliveryID, WebhookID: w.ID, BookingID: n.BookingID, Type: eventOf(n.Kind),
		CreatedAt: n.CreatedAt, State: next.State, Expires: a.now().Add(WebhookLogKeep)}
	if err := a.store.RecordDeliveryAttempt(ctx, n.CompanyID, d, attempt); err != nil {
		a.log.WarnContext(ctx, "webhook delivery not logged", "company", n.CompanyID, "webhook", w.ID, "code", string(ErrorCode(err)))
	}
	a.log.InfoContext(ctx, "webhook attempt", "company", n.CompanyID, "webhook", w.ID, "delivery", deliveryID,
		"status", status, "class", next.ErrorClass, "attempt", n.Attempts)
	return next, nil
}

// webhookErrorClass names why an attempt failed, without the answer's or
// the error's text: the status code, or the class of a DeliveryError.
func webhookErrorClass(status int, err error) string {
	if err == nil {
		return "http_" + strconv.Itoa(status)
	}
	class, _ := errorClass(err)
	return class
}

// isPermanent reports whether a failed POST cannot succeed if retried (an
// address that is not allowed).
func isPermanent(err error) bool {
	_, permanent := errorClass(err)
	return err != nil && permanent
}

// webhookBody is the JSON of the event n, from the booking as it is now,
// with the employee and time the change left it with.
func (a *App) webhookBody(ctx context.Context, n Notification) ([]byte, error) {
	b, err := a.store.Booking(ctx, n.CompanyID, n.BookingID)
	if err != nil {
		return nil, err
	}
	zone := time.UTC
	if c, err := a.store.Company(ctx, n.CompanyID); err == nil {
		if z, err := LoadZone(c.Timezone); err == nil {
			zone = z
		}
	}
	start, end, status := n.BookingStart, n.BookingStart.Add(b.End.Sub(b.Start)), string(Confirmed)
	if n.Kind == NoticeCancelled {
		status = string(Cancelled)
	}
	p := WebhookPayload{
		ID: n.BookingID + "." + n.ID, Type: eventOf(n.Kind), CreatedAt: n.CreatedAt.In(zone).Format(time.RFC3339),
		Data: WebhookData{
			Booking: WebhookBooking{
				ID: b.ID, Service: b.ServiceID, Employee: cmp.Or(n.EmployeeID, b.EmployeeID),
				Start: start.In(zone).Format(time.RFC3339), End: end.In(zone).Format(time.RFC3339), Status: status,
				Customer: WebhookCustomer{b.Customer.Name, b.Customer.Email, b.Customer.Phone}, Notes: b.Notes, Lang: string(b.Lang), RescheduleCount: b.Reschedules,
			},
			PreviousEmployee: n.PreviousEmployee, CancelledBy: n.CancelledBy,
		},
	}
	if !n.PreviousStart.IsZero() {
		p.Data.PreviousStart = n.PreviousStart.In(zone).Format(time.RFC3339)
	}
	return json.Marshal(p)
}

// webhooksKey keys the webhooks a request read ahead in its context.
type webhooksKey struct{}

// readWebhooks is a company's webhooks as a request read them.
type readWebhooks struct {
	companyID string
	hooks     []Webhook
}

// withWebhooks returns ctx with company's webhooks, read just now, for the
// change the request is about to record (see claim).
func withWebhooks(ctx context.Context, companyID string, hooks []Webhook) context.Context {
	return context.WithValue(ctx, webhooksKey{}, readWebhooks{companyID, hooks})
}

// webhooksRead returns the webhooks of company that ctx carries, if any.
func webhooksRead(ctx context.Context, companyID string) ([]Webhook, bool) {
	r, ok := ctx.Value(webhooksKey{}).(readWebhooks)
	if !ok || r.companyID != companyID {
		return nil, false
	}
	return r.hooks, true
}
