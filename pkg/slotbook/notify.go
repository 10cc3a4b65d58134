package slotbook

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"
)

// Language is the language of the mails slotbook sends.
type Language string

// The languages of slotbook's mails.
const (
	German  Language = "de"
	English Language = "en"
)

// Defaults of a company's notification settings (api.md, "Booking lifecycle").
const (
	DefaultLanguage              = German
	DefaultReminderMinutesBefore = 1440
	DefaultNotifyEmployees       = true
	// MaxReminderMinutesBefore is the earliest a reminder may go: 30 days.
	MaxReminderMinutesBefore = 30 * 24 * 60
)

// Defaults and bounds of a company's booking lifecycle settings.
const (
	DefaultMaxCustomerReschedules = 1
	MaxCancelNoticeMinutes        = 30 * 24 * 60
	MaxMaxCustomerReschedules     = 100
)

// ValidLanguage reports whether l is a language slotbook writes mails in.
func ValidLanguage(l Language) bool { return l == German || l == English }

// NotificationKind says what a mail tells.
type NotificationKind string

// The kinds of mails.
const (
	NoticeBooked      NotificationKind = "booked"
	NoticeRescheduled NotificationKind = "rescheduled"
	NoticeCancelled   NotificationKind = "cancelled"
	NoticeReminder    NotificationKind = "reminder"
)

// Recipient is who a mail is for.
type Recipient string

// The recipients of mails.
const (
	ToCustomer Recipient = "customer"
	ToEmployee Recipient = "employee"
	// ToWebhook: not a mail but a webhook event, to the subscription
	// Notification.WebhookID names.
	ToWebhook Recipient = "webhook"
)

// NotificationState is where a notification stands.
type NotificationState string

// The states of a notification.
const (
	// NotificationPending: to be sent at Due (again, after a failed try).
	NotificationPending NotificationState = "pending"
	// NotificationSent: the mail service took the mail.
	NotificationSent NotificationState = "sent"
	// NotificationFailed: every try failed, or the mail service refused it
	// for good; ErrorClass says why.
	NotificationFailed NotificationState = "failed"
	// NotificationSkipped: not sent, and never to be (a reminder of a
	// booking cancelled or moved meanwhile, an employee without address);
	// ErrorClass says why.
	NotificationSkipped NotificationState = "skipped"
)

// Why a notification was skipped.
const (
	SkipCancelled  = "booking_cancelled"
	SkipMoved      = "booking_moved"
	SkipGone       = "booking_gone"
	SkipNoAddress  = "no_address"
	SkipTooLate    = "too_late"
	SkipNotWanted  = "employees_not_notified"
	SkipNotPending = "booking_not_confirmed"
)

// Notification is one mail that slotbook is to send, or has sent, about a
// booking: the outbox entry, written in the same atomic step as the
// booking change it tells of, and then its delivery record. It holds ids,
// times and states, never the mail's content or an error's text: the
// content is composed when it is sent, from the booking as it is then.
type Notification struct {
	CompanyID string
	BookingID string
	// ID is unique among the booking's notifications: the sequence, the
	// kind and the recipient ("0-booked-customer"), or "reminder".
	ID   string
	Kind NotificationKind
	To   Recipient
	// Sequence is the iCalendar SEQUENCE the mail carries.
	Sequence int
	// BookingStart is the start of the booking the mail is about: a
	// reminder whose booking has moved since is not sent.
	BookingStart time.Time
	// Lang is the mail's language.
	Lang Language
	// Due is when the mail is to be sent (next); while a sender holds it,
	// the end of its lease.
	Due      time.Time
	State    NotificationState
	Attempts int
	// ErrorClass is why the last try failed (ErrorClass of a
	// DeliveryError) or why it was skipped; never an error's text.
	ErrorClass string
	SentAt     time.Time
	// SealedToken is the booking's cancel token, sealed to the booking,
	// for the links of a customer's mail; nil in the employee's.
	SealedToken []byte
	// Version tells this state from later ones, so that two senders never
	// both send one notification.
	Version string

	// Of webhook events (To ToWebhook): the subscription, when the change
	// happened, and what the event tells beyond the booking as it is when
	// sent — the employee and start the change left it with, and the
	// previous ones of a move, or who cancelled.
	WebhookID        string
	CreatedAt        time.Time
	EmployeeID       string
	PreviousStart    time.Time
	PreviousEmployee string
	CancelledBy      string
}

// ReminderID is the id of a booking's one reminder: a reschedule moves it.
const ReminderID = "reminder"

// notificationID is the id of a mail of kind to to at seq.
func notificationID(seq int, kind NotificationKind, to Recipient) string {
	return fmt.Sprintf("%d-%s-%s", seq, kind, to)
}

// Message is what a mail says, ready to be composed: the Mailer turns it
// into a MIME message with a text/calendar part.
type Message struct {
	// ID is unique per notification, for the Message-ID.
	ID   string
	Kind NotificationKind
	To   Recipient
	Lang Language
	// ToName and ToAddress are the recipient.
	ToName, ToAddress string
	CompanyName       string
	// Zone is the zone the mail names times in: the company's.
	Zone         *time.Location
	ServiceName  string
	EmployeeName string
	// Start and End are the booking's time.
	Start, End time.Time
	// UID is the booking's iCalendar UID, the same for its whole life.
	UID      string
	Sequence int
	// Customer, Phone and Notes are the booking's details, for the
	// employee's mail.
	Customer Customer
	Notes    string
	// CancelURL is the customer's cancel link (customer mails, while the
	// booking stands).
	CancelURL string
	// RescheduleURL is the customer's link to move the booking (with
	// CancelURL).
	RescheduleURL string
	// BookingURL is the booking in the dashboard (employee mails).
	BookingURL string
}

// Cancelled reports whether the mail tells of a cancellation (METHOD:CANCEL).
func (m Message) Cancelled() bool { return m.Kind == NoticeCancelled }

// Mailer sends slotbook's mails: it composes a Message and hands it to a
// mail service. A failure it returns should be a *DeliveryError.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// DeliveryError is a failed send: Class names the failure for the
// operator without its text (which may quote the mail), and Permanent
// says whether trying again can help.
type DeliveryError struct {
	// Class is a short name: "unreachable", "timeout", "refused",
	// "rejected_recipient", "throttled", "rejected", "not_configured".
	Class     string
	Permanent bool
	Err       error
}

// Error names the class; the cause's text may hold addresses or content
// and is left to Unwrap.
func (e *DeliveryError) Error() string { return "mail: " + e.Class }

// Unwrap returns the cause.
func (e *DeliveryError) Unwrap() error { return e.Err }

// errorClass returns the class of a send's error.
func errorClass(err error) (class string, permanent bool) {
	var d *DeliveryError
	if errors.As(err, &d) {
		return d.Class, d.Permanent
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout", false
	}
	return "unknown", false
}

// Delivery timing.
const (
	// SendLease is how long a sender holds a notification: after it, a
	// sender that died is taken over.
	SendLease = 2 * time.Minute
	// SendDeadline bounds one send.
	SendDeadline = 20 * time.Second
	// MaxSendAttempts is how often a mail is tried before it is failed.
	MaxSendAttempts = 6
)

// retryDelays are the pauses after the 1st, 2nd, … failed try.
var retryDelays = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour}

// RetryDelay returns the pause after the attempts-th failed try.
func RetryDelay(attempts int) time.Duration {
	return retryDelays[min(max(attempts, 1), len(retryDelays))-1]
}

// WithMailer sets the Mailer; without one, notifications are recorded
// and stay pending until a process with a Mailer sends them.
func WithMailer(m Mailer) Option { return func(a *App) { a.mailer = m } }

// languageOf returns the language of b's mails.
func languageOf(c Company, b Booking) Language {
	if ValidLanguage(b.Lang) {
		return b.Lang
	}
	if ValidLanguage(c.Language) {
		return c.Language
	}
	return DefaultLanguage
}

// bookedNotifications are the mails of a booking just confirmed: to the
// customer, to the employee if the company wants it, and the customer's
// reminder unless the booking is too close for one.
func (a *App) bookedNotifications(ctx context.Context, c Company, emp Employee, b Booking, token string, sealed []byte, now time.Time) []Notification {
	return a.changeNotifications(ctx, c, emp, b, NoticeBooked, token, sealed, now, change{})
}

// changeNotifications are the mails that tell of a change of b (booked,
// rescheduled, cancelled) at b.Sequence, with the reminder it implies,
// and the change's events to the company's webhooks (ch says what they
// tell beyond the booking). The customer's mails carry the cancel token
// sealed: sealed if the caller has it so already, else token sealed here.
func (a *App) changeNotifications(ctx context.Context, c Company, emp Employee, b Booking, kind NotificationKind, token string, sealed []byte, now time.Time, ch change) []Notification {
	base := Notification{
		CompanyID: c.ID, BookingID: b.ID, Kind: kind, Sequence: b.Sequence, BookingStart: b.Start,
		Lang: languageOf(c, b), Due: now, State: NotificationPending,
	}
	if sealed == nil && token != "" {
		s, err := a.sealCancelToken(ctx, c.ID, b.ID, token)
		if err != nil {
			// The mail goes without its links rather than the booking failing.
			a.log.WarnContext(ctx, "cancel token not sealed for the mail", "company", c.ID, "booking", b.ID, "err", err.Error())
		}
		sealed = s
	}
	cust := base
	cust.ID, cust.To, cust.SealedToken, cust.Version = notificationID(b.Sequence, kind, ToCustomer), ToCustomer, sealed, NewID()
	out := []Notification{cust}
	if c.NotifyEmployees && emp.Email != "" {
		e := base
		e.ID, e.To, e.Version = notificationID(b.Sequence, kind, ToEmployee), ToEmployee, NewID()
		out = append(out, e)
	}
	if kind != NoticeCancelled && c.ReminderMinutesBefore > 0 {
		due := b.Start.Add(-minutes(c.ReminderMinutesBefore))
		if due.After(now) {
			r := base
			r.ID, r.Kind, r.To, r.Due, r.SealedToken, r.Version = ReminderID, NoticeReminder, ToCustomer, due, sealed, NewID()
			out = append(out, r)
		}
	}
	return append(out, a.webhookEvents(ctx, c, b, kind, now, ch)...)
}

// BookingNotifications returns the notifications of a booking: what was
// sent to whom and when, what failed and why. Staff see those of their
// own bookings only.
func (a *App) BookingNotifications(ctx context.Context, companyID, bookingID string) ([]Notification, error) {
	_, ns, err := a.BookingDetail(ctx, companyID, bookingID)
	return ns, err
}

// BookingDetail returns one booking (as Booking does) with its
// notifications, checking access and reading the booking once.
func (a *App) BookingDetail(ctx context.Context, companyID, bookingID string) (Booking, []Notification, error) {
	b, err := a.Booking(ctx, companyID, bookingID)
	if err != nil {
		return Booking{}, nil, err
	}
	ns, err := a.store.Notifications(ctx, companyID, bookingID)
	return b, ns, err
}

// Booking returns one booking, in the company's zone, to a signed-in
// reader of the company (staff: their own bookings only).
func (a *App) Booking(ctx context.Context, companyID, bookingID string) (Booking, error) {
	c, err := a.authorize(ctx, companyID, Read, "")
	if err != nil {
		return Booking{}, err
	}
	b, err := a.store.Booking(ctx, companyID, bookingID)
	if err != nil {
		return Booking{}, notFoundAs(err, "There is no such booking.")
	}
	if b.Status == Pending && !b.Blocks(a.now()) {
		return Booking{}, Errorf(NotFound, "There is no such booking.")
	}
	if p, _ := PrincipalFrom(ctx); p.Role == RoleStaff && p.Subject != b.EmployeeID {
		return Booking{}, Errorf(Forbidden, "Staff see only their own bookings.")
	}
	b = inCompanyZone(c, b)
	b.CreatedAt = b.CreatedAt.In(b.Start.Location())
	return b, nil
}

// maxDeliverBatch bounds the notifications one DeliverDue call sends.
const maxDeliverBatch = 100

// DeliverDue sends the notifications of every company that are due, at
// most limit (maxDeliverBatch if limit is not positive), and returns how
// many it sent. The local server calls it every few seconds; on AWS the
// notify function sends each notification at its time and calls it as a
// safety net.
func (a *App) DeliverDue(ctx context.Context, limit int) (sent int, err error) {
	if limit <= 0 {
		limit = maxDeliverBatch
	}
	due, err := a.store.DueNotifications(ctx, a.now(), limit)
	if err != nil {
		return 0, err
	}
	for _, n := range due {
		ok, err := a.deliver(ctx, n)
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// Deliver sends one notification if it is pending and due, and reports
// whether it sent it. It is what the notify function runs for a
// notification whose time has come; a notification that is not due (yet,
// or any more) is left alone.
func (a *App) Deliver(ctx context.Context, companyID, bookingID, id string) (bool, error) {
	n, err := a.store.Notification(ctx, companyID, bookingID, id)
	if ErrorCode(err) == NotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return a.deliver(ctx, n)
}

// deliver sends n. It first takes n for SendLease (a sender that takes it
// meanwhile wins, and this one stops), then sends and records the result:
// sent; pending again after RetryDelay; or failed, after MaxSendAttempts
// or a permanent refusal. A crash while holding n leaves it pending, due
// when the lease ends. It returns an error only when the store fails.
func (a *App) deliver(ctx context.Context, n Notification) (bool, error) {
	now := a.now()
	if n.State != NotificationPending || n.Due.After(now) {
		return false, nil
	}
	if n.To == ToWebhook && a.webhooks == nil || n.To != ToWebhook && a.mailer == nil {
		return false, nil
	}
	held := n
	// While held it shows no failure: the notify function tells a held
	// notification from one waiting to be tried again by that.
	held.Due, held.Attempts, held.ErrorClass, held.Version = now.Add(SendLease), n.Attempts+1, "", NewID()
	if err := a.store.PutNotification(ctx, held, n.Version); err != nil {
		if ErrorCode(err) == Conflict || ErrorCode(err) == NotFound {
			return false, nil // another sender has it, or it changed meanwhile
		}
		return false, err
	}
	if n.To == ToWebhook {
		next, err := a.sendWebhook(ctx, held, n.Attempts)
		if err != nil {
			return false, err
		}
		return a.settle(ctx, n, held, next), nil
	}
	msg, skip, err := a.message(ctx, held)
	if err != nil {
		return false, err
	}
	next := held
	next.Version = NewID()
	switch {
	case skip != "":
		next.State, next.ErrorClass, next.Attempts = NotificationSkipped, skip, n.Attempts
	default:
		sctx, cancel := context.WithTimeout(ctx, SendDeadline)
		err := a.mailer.Send(sctx, msg)
		cancel()
		if err == nil {
			next.State, next.ErrorClass, next.SentAt = NotificationSent, "", a.now()
			break
		}
		class, permanent := errorClass(err)
		next.ErrorClass = class
		if permanent || held.Attempts >= MaxSendAttempts {
			next.State = NotificationFailed
			// Ids and the class only: the cause's text may quote the mail.
			a.log.ErrorContext(ctx, "notification failed", "company", n.CompanyID, "booking", n.BookingID,
				"notification", n.ID, "class", class, "attempts", held.Attempts)
		} else {
			next.Due = a.now().Add(RetryDelay(held.Attempts))
			a.log.WarnContext(ctx, "notification to be retried", "company", n.CompanyID, "booking", n.BookingID,
				"notification", n.ID, "class", class, "attempts", held.Attempts)
		}
	}
	return a.settle(ctx, n, held, next), nil
}

// settle records the state of a notification after its attempt (held is
// the state this sender took it in) and reports whether it was sent.
func (a *App) settle(ctx context.Context, n, held, next Notification) bool {
	if err := a.store.PutNotification(ctx, next, held.Version); err != nil {
		a.log.WarnContext(ctx, "notification state not recorded", "company", n.CompanyID, "booking", n.BookingID,
			"notification", n.ID, "code", string(ErrorCode(err)))
	}
	return next.State == NotificationSent
}

// message composes the message of n from the booking as it is now, or
// says why n is not to be sent.
func (a *App) message(ctx context.Context, n Notification) (m Message, skip string, err error) {
	b, err := a.store.Booking(ctx, n.CompanyID, n.BookingID)
	switch {
	case ErrorCode(err) == NotFound:
		return Message{}, SkipGone, nil
	case err != nil:
		return Message{}, "", err
	case n.Kind != NoticeCancelled && b.Status == Cancelled:
		return Message{}, SkipCancelled, nil
	case b.Status == Pending:
		return Message{}, SkipNotPending, nil
	case n.Kind == NoticeReminder && !b.Start.Equal(n.BookingStart):
		return Message{}, SkipMoved, nil
	case n.Kind == NoticeReminder && !b.Start.After(a.now()):
		return Message{}, SkipTooLate, nil
	}
	c, err := a.store.Company(ctx, n.CompanyID)
	if ErrorCode(err) == NotFound {
		return Message{}, SkipGone, nil
	} else if err != nil {
		return Message{}, "", err
	}
	emp, err := a.store.Employee(ctx, n.CompanyID, b.EmployeeID)
	if err != nil && ErrorCode(err) != NotFound {
		return Message{}, "", err
	}
	svc, err := a.store.Service(ctx, n.CompanyID, b.ServiceID)
	if err != nil && ErrorCode(err) != NotFound {
		return Message{}, "", err
	}
	zone, err := LoadZone(c.Timezone)
	if err != nil {
		zone = time.UTC
	}
	m = Message{
		ID: n.BookingID + "." + n.ID, Kind: n.Kind, To: n.To, Lang: n.Lang,
		CompanyName: c.Name, Zone: zone, ServiceName: svc.Name, EmployeeName: emp.Name,
		Start: b.Start.In(zone), End: b.End.In(zone), UID: b.ID + "@slotbook", Sequence: n.Sequence,
		Customer: b.Customer, Notes: b.Notes,
	}
	if !ValidLanguage(m.Lang) {
		m.Lang = languageOf(c, b)
	}
	switch n.To {
	case ToEmployee:
		if !c.NotifyEmployees {
			return Message{}, SkipNotWanted, nil
		}
		if emp.Email == "" {
			return Message{}, SkipNoAddress, nil
		}
		m.ToName, m.ToAddress = emp.Name, emp.Email
		if a.dashboardURL != "" {
			q := url.Values{"employee": {emp.ID}, "date": {b.Start.In(zone).Format(time.DateOnly)}, "booking": {b.ID}}
			m.BookingURL = a.dashboardURL + "#/week?" + q.Encode()
		}
	default:
		m.ToName, m.ToAddress = b.Customer.Name, b.Customer.Email
		if len(n.SealedToken) > 0 && a.publicURL != "" && n.Kind != NoticeCancelled {
			tok, err := a.openCancelToken(ctx, n.SealedToken, n.CompanyID, b.EmployeeID, b.ID)
			if err != nil {
				a.log.WarnContext(ctx, "cancel token not opened for the mail", "company", n.CompanyID, "booking", n.BookingID)
			} else {
				m.CancelURL = a.CancelURL(n.CompanyID, b.ID, tok, m.Lang)
				m.RescheduleURL = a.RescheduleURL(n.CompanyID, b.ID, tok, m.Lang)
			}
		}
	}
	if m.ToAddress == "" || !PlainAddress(m.ToAddress) {
		return Message{}, SkipNoAddress, nil
	}
	return m, "", nil
}

// CancelURL is the link to the widget's cancel page for a booking. The
// token travels in the fragment, which browsers never send to a server.
func (a *App) CancelURL(companyID, bookingID, token string, lang Language) string {
	f := url.Values{"company": {companyID}, "booking": {bookingID}, "token": {token}, "lang": {string(lang)}}
	return a.publicURL + "/cancel.html#" + f.Encode()
}

// RescheduleURL is the link to the widget's page that moves a booking,
// the token in the fragment as with CancelURL.
func (a *App) RescheduleURL(companyID, bookingID, token string, lang Language) string {
	f := url.Values{"company": {companyID}, "booking": {bookingID}, "token": {token}, "lang": {string(lang)}}
	return a.publicURL + "/reschedule.html#" + f.Encode()
}

// skipReminder marks a booking's pending reminder skipped for reason
// after the booking was cancelled, or moved too close for one; the sender
// checks the booking anyway, so a failure here costs nothing but an early
// state in the dashboard.
func (a *App) skipReminder(ctx context.Context, companyID, bookingID, reason string) {
	n, err := a.store.Notification(ctx, companyID, bookingID, ReminderID)
	if err != nil || n.State != NotificationPending {
		return
	}
	next := n
	next.State, next.ErrorClass, next.Version = NotificationSkipped, reason, NewID()
	if err := a.store.PutNotification(ctx, next, n.Version); err != nil && ErrorCode(err) != Conflict {
		a.log.WarnContext(ctx, "reminder not marked skipped", "company", companyID, "booking", bookingID, "code", string(ErrorCode(err)))
	}
}

// SortNotifications orders a booking's notifications as stores return
// them: by id.
func SortNotifications(ns []Notification) {
	slices.SortFunc(ns, func(x, y Notification) int {
		return cmp.Or(cmp.Compare(x.CompanyID, y.CompanyID), cmp.Compare(x.BookingID, y.BookingID), cmp.Compare(x.ID, y.ID))
	})
}
