package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/api/apitest"
	"github.com/slotbook/slotbook/pkg/mail"
	"github.com/slotbook/slotbook/pkg/mail/maildevtest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// mailEnv is the API with its mails sent over SMTP to a real MailDev, as
// the local server sends them; the test calls DeliverDue where the local
// server's loop would.
func mailEnv(t *testing.T) (*env, *maildevtest.Server, string) {
	md := maildevtest.Start(t)
	smtp, err := mail.NewSMTP(md.SMTPURL)
	if err != nil {
		t.Fatal(err)
	}
	sender := &mail.Sender{From: mail.From{Address: "bookings@acme.example"}, Transport: smtp}
	e := newEnv(t, slotbook.WithPublicURL("https://book.acme.example/widget"), slotbook.WithDashboardURL("https://dash.acme.example/"), slotbook.WithMailer(sender))
	admin := token(t, "boss", "acme", slotbook.RoleAdmin)
	e.seed(admin)
	e.must(200, "PUT", "/v1/companies/acme/settings", admin, settingsBody{
		"name": "Acme", "timezone": "Europe/Zurich", "bookingIntervalMinutes": 30, "minNoticeMinutes": 0, "horizonDays": 60,
		"supportAccess": false, "language": "en", "reminderMinutesBefore": 2,
	})
	return e, md, admin
}

func (e *env) deliver() int {
	e.t.Helper()
	n, err := e.app.DeliverDue(e.t.Context(), 0)
	if err != nil {
		e.t.Fatalf("deliver: %v", err)
	}
	return n
}

// parsed takes a received mail apart, failing the test if it cannot.
func parsed(t *testing.T, m maildevtest.Mail) *maildevtest.Parsed {
	t.Helper()
	p, err := maildevtest.Parse(m.Source)
	if err != nil {
		t.Fatalf("mail %q does not parse: %v", m.Subject, err)
	}
	return p
}

// TestMailsEndToEnd books, replays, cancels and waits for reminders with
// a real SMTP server, and reads what arrived: one confirmation each to the
// customer and the employee, with a calendar part a real iCalendar parser
// reads; a cancellation with the same UID and a higher SEQUENCE; one
// reminder 2 minutes ahead, none for the cancelled booking; nothing more
// for replays.
func TestMailsEndToEnd(t *testing.T) {
	e, md, admin := mailEnv(t)
	key := http.Header{"Idempotency-Key": {"mail-e2e-1"}}
	var b1 confirmation
	r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T09:00:00+01:00"), Header: key})
	if r.Status != 201 {
		t.Fatalf("book: %d %s", r.Status, r.Body)
	}
	r.Decode(t, &b1)
	if r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T09:00:00+01:00"), Header: key}); r.Status != 201 {
		t.Fatalf("replay: %d", r.Status)
	}
	if n := e.deliver(); n != 2 {
		t.Errorf("delivered %d, want 2", n)
	}
	mails := md.WaitFor(2, 5*time.Second)
	if len(mails) != 2 {
		t.Fatalf("%d mails arrived, want 2: one to the customer, one to the employee", len(mails))
	}
	byTo := map[string]maildevtest.Mail{}
	for _, m := range mails {
		byTo[strings.Join(m.To(), ",")] = m
	}
	cust, emp := parsed(t, byTo["chris@client.example"]), parsed(t, byTo["ana@acme.example"])
	if want := "Confirmed: Consultation on Monday, 22 March 2027 at 09:00"; cust.Subject != want {
		t.Errorf("subject %q, want %q", cust.Subject, want)
	}
	for _, typ := range []string{"multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar"} {
		if !slices.Contains(cust.Types, typ) {
			t.Errorf("no %s part: %v", typ, cust.Types)
		}
	}
	uid, seq, start, end, method, err := maildevtest.Event(cust.Calendar)
	if err != nil || uid != b1.ID+"@slotbook" || seq != "0" || start != "20270322T080000Z" || end != "20270322T090000Z" || method != "REQUEST" || cust.CalendarMethod != "REQUEST" {
		t.Errorf("calendar part: uid %q seq %q %s–%s method %q/%q (%v)", uid, seq, start, end, method, cust.CalendarMethod, err)
	}
	if a := cust.AttachedICS; a == nil || !slices.Contains(cust.Attachments, "invite.ics") {
		t.Errorf("no invite.ics attachment: %v", cust.Attachments)
	}
	org := cust.Calendar.Events()[0].Props.Get("ORGANIZER")
	att := cust.Calendar.Events()[0].Props.Get("ATTENDEE")
	if org == nil || org.Value != "mailto:bookings@acme.example" || att == nil || att.Value != "mailto:chris@client.example" {
		t.Errorf("ORGANIZER %v, ATTENDEE %v", org, att)
	}
	for _, body := range []string{cust.Plain, cust.HTML} {
		if !strings.Contains(body, "https://book.acme.example/widget/cancel.html#") || !strings.Contains(body, "token="+b1.CancelToken) {
			t.Errorf("the customer's mail has no cancel link with the token:\n%s", body)
		}
		if !strings.Contains(body, "Europe/Zurich") {
			t.Errorf("the mail does not name the zone:\n%s", body)
		}
	}
	if strings.Contains(emp.Text(), b1.CancelToken) || strings.Contains(string(byTo["ana@acme.example"].Source), b1.CancelToken) {
		t.Error("the employee's mail carries the cancel token")
	}
	if !strings.Contains(emp.Plain, "Chris Client") || !strings.Contains(emp.Plain, "https://dash.acme.example/#/week?") {
		t.Errorf("the employee's mail lacks the customer or the dashboard link:\n%s", emp.Plain)
	}

	// A second booking, cancelled before its reminder.
	var b2 confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00")).Decode(t, &b2)
	e.deliver()
	if r := e.client.Do(apitest.Request{Method: "DELETE", Path: "/v1/companies/acme/bookings/" + b2.ID,
		Header: http.Header{"X-Cancel-Token": {b2.CancelToken}}}); r.Status != 204 {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	e.deliver()
	mails = md.WaitFor(6, 5*time.Second)
	if len(mails) != 6 {
		t.Fatalf("%d mails after the second booking and its cancellation, want 6", len(mails))
	}
	var cancelled *maildevtest.Parsed
	for _, m := range mails {
		if p := parsed(t, m); p.CalendarMethod == "CANCEL" && slices.Contains(m.To(), "chris@client.example") {
			cancelled = p
		}
	}
	if cancelled == nil {
		t.Fatal("no cancellation to the customer")
	}
	uid, seq, _, _, method, err = maildevtest.Event(cancelled.Calendar)
	if err != nil || uid != b2.ID+"@slotbook" || seq != "1" || method != "CANCEL" || !strings.HasPrefix(cancelled.Subject, "Cancelled: Consultation") {
		t.Errorf("cancellation: uid %q seq %q method %q subject %q (%v)", uid, seq, method, cancelled.Subject, err)
	}

	// 08:58: the first booking's reminder, once.
	e.advance(57 * time.Minute)
	if n := e.deliver(); n != 0 {
		t.Errorf("%d mails a minute before the reminder", n)
	}
	e.advance(time.Minute)
	if n := e.deliver(); n != 1 {
		t.Errorf("%d mails at the reminder's time, want 1", n)
	}
	e.advance(2 * time.Hour)
	e.deliver()
	if r := e.client.Do(apitest.Request{Method: "POST", Path: "/v1/companies/acme/bookings", Body: bookingBody("2027-03-22T09:00:00+01:00"), Header: key}); r.Status != 201 {
		t.Fatalf("late replay: %d", r.Status)
	}
	e.deliver()
	mails = md.WaitFor(8, 2*time.Second)
	if len(mails) != 7 {
		t.Fatalf("%d mails in all, want 7 (2 + 2 + 2 cancellations + 1 reminder)", len(mails))
	}
	reminder := parsed(t, mails[6])
	if !strings.HasPrefix(reminder.Subject, "Reminder: Consultation on Monday, 22 March 2027 at 09:00") || reminder.CalendarMethod != "REQUEST" {
		t.Errorf("the 7th mail is %q (%s), want the first booking's reminder", reminder.Subject, reminder.CalendarMethod)
	}
	t.Logf("mails received by the SMTP server: %d", len(mails))

	// The dashboard shows what went when.
	var got struct {
		Notifications []struct{ ID, Kind, To, State, Error string }
	}
	e.must(200, "GET", "/v1/companies/acme/bookings/"+b2.ID, admin, nil).Decode(t, &got)
	var states []string
	for _, n := range got.Notifications {
		states = append(states, n.ID+" "+n.State+" "+n.Error)
	}
	want := []string{"0-booked-customer sent ", "0-booked-employee sent ", "1-cancelled-customer sent ", "1-cancelled-employee sent ", "reminder skipped booking_cancelled"}
	if !slices.Equal(states, want) {
		t.Errorf("notifications of the cancelled booking:\n%q\nwant\n%q", states, want)
	}
}

// TestMailServiceDownNeverDelaysABooking: with the SMTP server down, a
// booking still answers 201, its mails wait (the dashboard says why) and
// arrive once the server is back, once each.
func TestMailServiceDownNeverDelaysABooking(t *testing.T) {
	e, md, admin := mailEnv(t)
	md.Stop()
	var b confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T11:00:00+01:00")).Decode(t, &b)
	if n := e.deliver(); n != 0 {
		t.Fatalf("%d mails sent while the server is down", n)
	}
	var got struct {
		Status        string
		Notifications []struct{ ID, Kind, State, Error string }
	}
	e.must(200, "GET", "/v1/companies/acme/bookings/"+b.ID, admin, nil).Decode(t, &got)
	if got.Status != "confirmed" || len(got.Notifications) != 3 {
		t.Fatalf("booking %s with %d notifications, want 3 (2 confirmations, the reminder)", got.Status, len(got.Notifications))
	}
	for _, n := range got.Notifications {
		if n.Kind == "reminder" {
			continue // not due yet
		}
		if n.State != "pending" || n.Error != "unreachable" {
			t.Errorf("%s: %s %q, want pending, unreachable", n.ID, n.State, n.Error)
		}
	}
	md.Restart()
	e.advance(30 * time.Second)
	if n := e.deliver(); n != 0 {
		t.Errorf("retried before its pause ended (%d)", n)
	}
	e.advance(30 * time.Second)
	if n := e.deliver(); n != 2 {
		t.Errorf("%d sent once the server is back, want 2", n)
	}
	e.advance(time.Hour)
	e.deliver()
	if mails := md.WaitFor(3, 2*time.Second); len(mails) != 2 {
		t.Errorf("%d mails arrived, want 2", len(mails))
	}
}

// TestRescheduleMails: a move mails the customer and the employee under
// the booking's UID with SEQUENCE 1 and the new time; the customer's mail
// carries the reschedule and cancel links; the reminder comes before the
// new time, not the old one.
func TestRescheduleMails(t *testing.T) {
	e, md, _ := mailEnv(t)
	var b confirmation
	e.must(201, "POST", "/v1/companies/acme/bookings", "", bookingBody("2027-03-22T10:00:00+01:00")).Decode(t, &b)
	e.deliver()
	if r := e.reschedule(b.ID, b.CancelToken, "", map[string]any{"start": "2027-03-22T11:00:00+01:00"}); r.Status != 200 {
		t.Fatalf("reschedule: %d %s", r.Status, r.Body)
	}
	if n := e.deliver(); n != 2 {
		t.Errorf("delivered %d after the move, want 2", n)
	}
	mails := md.WaitFor(4, 5*time.Second)
	if len(mails) != 4 {
		t.Fatalf("%d mails, want 4", len(mails))
	}
	var cust, emp *maildevtest.Parsed
	for _, m := range mails[2:] {
		p := parsed(t, m)
		switch {
		case slices.Contains(m.To(), "chris@client.example"):
			cust = p
		case slices.Contains(m.To(), "ana@acme.example"):
			emp = p
		}
	}
	if cust == nil || emp == nil {
		t.Fatalf("the move's mails did not go to the customer and ana: %v, %v", mails[2].To(), mails[3].To())
	}
	if want := "Rescheduled: Consultation on Monday, 22 March 2027 at 11:00"; cust.Subject != want {
		t.Errorf("subject %q, want %q", cust.Subject, want)
	}
	for _, p := range []*maildevtest.Parsed{cust, emp} {
		uid, seq, start, end, method, err := maildevtest.Event(p.Calendar)
		if err != nil || uid != b.ID+"@slotbook" || seq != "1" || start != "20270322T100000Z" || end != "20270322T110000Z" || method != "REQUEST" {
			t.Errorf("calendar part of %q: uid %q seq %q %s–%s method %q (%v)", p.Subject, uid, seq, start, end, method, err)
		}
	}
	for _, link := range []string{"https://book.acme.example/widget/reschedule.html#", "https://book.acme.example/widget/cancel.html#"} {
		if !strings.Contains(cust.Plain, link) || !strings.Contains(cust.Plain, "token="+b.CancelToken) {
			t.Errorf("the customer's move mail lacks %s with the token:\n%s", link, cust.Plain)
		}
	}
	if strings.Contains(emp.Text(), b.CancelToken) {
		t.Error("the employee's move mail carries the cancel token")
	}
	// The reminder (2 minutes ahead) is not sent before the old time…
	e.advance(2*time.Hour - 2*time.Minute) // 09:58
	if n := e.deliver(); n != 0 {
		t.Errorf("%d mails before the old time", n)
	}
	// …but before the new one, once.
	e.advance(time.Hour)
	if n := e.deliver(); n != 1 {
		t.Errorf("%d mails before the new time, want the reminder", n)
	}
	if r := parsed(t, md.WaitFor(5, 5*time.Second)[4]); !strings.HasPrefix(r.Subject, "Reminder: Consultation on Monday, 22 March 2027 at 11:00") {
		t.Errorf("the reminder is %q", r.Subject)
	}
}
