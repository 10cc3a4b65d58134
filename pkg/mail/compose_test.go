package mail_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/mail"
	"github.com/slotbook/slotbook/pkg/mail/maildevtest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

var zurich, _ = time.LoadLocation("Europe/Zurich")

func message(lang slotbook.Language, kind slotbook.NotificationKind, to slotbook.Recipient) slotbook.Message {
	return slotbook.Message{
		ID: "b1.0-booked-customer", Kind: kind, To: to, Lang: lang,
		ToName: "Zoë <Müller>", ToAddress: "zoe@client.example", CompanyName: "Salon Schön & Co",
		Zone: zurich, ServiceName: "Färben", EmployeeName: "Ana",
		Start: time.Date(2027, 3, 24, 14, 30, 0, 0, zurich), End: time.Date(2027, 3, 24, 15, 30, 0, 0, zurich),
		UID: "b1@slotbook", Sequence: 2,
		Customer:      slotbook.Customer{Name: "Zoë <Müller>", Email: "zoe@client.example", Phone: "+41 44 000 00 00"},
		Notes:         "<script>alert(1)</script>",
		CancelURL:     "https://book.example/widget/cancel.html#company=acme&booking=b1&token=T",
		RescheduleURL: "https://book.example/widget/reschedule.html#company=acme&booking=b1&token=T",
	}
}

func compose(t *testing.T, m slotbook.Message) *maildevtest.Parsed {
	t.Helper()
	msg, err := mail.Compose(mail.From{Address: "bookings@salon.example"}, m, time.Date(2027, 3, 20, 10, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := msg.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	p, err := maildevtest.Parse(b.Bytes())
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	return p
}

func TestGermanConfirmationIsPoliteAndLocal(t *testing.T) {
	p := compose(t, message(slotbook.German, slotbook.NoticeRescheduled, slotbook.ToCustomer))
	if want := "Termin verschoben: Färben am Mittwoch, 24. März 2027 um 14:30 Uhr"; p.Subject != want {
		t.Errorf("subject %q, want %q", p.Subject, want)
	}
	for _, s := range []string{"Guten Tag Zoë <Müller>,", "Ihr Termin wurde verschoben", "14:30–15:30", "Europe/Zurich", "Termin absagen: https://book.example/", "Termin verschieben: https://book.example/widget/reschedule.html#"} {
		if !strings.Contains(p.Plain, s) {
			t.Errorf("text lacks %q:\n%s", s, p.Plain)
		}
	}
	if strings.Contains(p.Plain, " du ") || strings.Contains(p.Plain, " dein") {
		t.Errorf("the German text is not in the polite form:\n%s", p.Plain)
	}
	if !strings.Contains(p.HTML, `href="https://book.example/widget/reschedule.html#company=acme&amp;booking=b1&amp;token=T"`) {
		t.Errorf("the HTML lacks the reschedule button:\n%s", p.HTML)
	}
	if !strings.Contains(p.HTML, "Zoë &lt;Müller&gt;") {
		t.Errorf("the HTML does not escape the name:\n%s", p.HTML)
	}
	uid, seq, start, end, method, err := maildevtest.Event(p.Calendar)
	if err != nil || uid != "b1@slotbook" || seq != "2" || start != "20270324T133000Z" || end != "20270324T143000Z" || method != "REQUEST" {
		t.Errorf("calendar %q %q %q %q %q %v", uid, seq, start, end, method, err)
	}
	if from := p.Header.Get("From"); !strings.Contains(from, "bookings@salon.example") {
		t.Errorf("From %q", from)
	}
	if id := p.Header.Get("Message-Id"); id != "<b1.0-booked-customer@slotbook>" {
		t.Errorf("Message-ID %q", id)
	}
}

func TestEmployeeMailShowsTheCustomerAndEscapesNotes(t *testing.T) {
	m := message(slotbook.English, slotbook.NoticeCancelled, slotbook.ToEmployee)
	m.BookingURL = "https://dash.example/#/week?booking=b1" // links of the customer's are set, and must not show
	p := compose(t, m)
	if !strings.HasPrefix(p.Subject, "Booking cancelled: Färben on Wednesday, 24 March 2027 at 14:30") {
		t.Errorf("subject %q", p.Subject)
	}
	if p.CalendarMethod != "CANCEL" || strings.Contains(p.HTML, "<script>") || !strings.Contains(p.Plain, "+41 44 000 00 00") {
		t.Errorf("method %q; html %s; text %s", p.CalendarMethod, p.HTML, p.Plain)
	}
	if strings.Contains(p.Plain, "cancel.html") || strings.Contains(p.Plain, "reschedule.html") {
		t.Error("an employee mail carries the customer's links")
	}
}

func TestDirWritesEMLFiles(t *testing.T) {
	dir := t.TempDir()
	s := &mail.Sender{From: mail.From{Address: "bookings@salon.example"}, Transport: mail.Dir{Path: dir}}
	if err := s.Send(t.Context(), message(slotbook.English, slotbook.NoticeBooked, slotbook.ToCustomer)); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("%d .eml files", len(files))
	}
}

func TestSMTPDownIsATransientDeliveryError(t *testing.T) {
	smtp, err := mail.NewSMTP("smtp://127.0.0.1:1") // nothing listens on port 1
	if err != nil {
		t.Fatal(err)
	}
	s := &mail.Sender{From: mail.From{Address: "bookings@salon.example"}, Transport: smtp}
	err = s.Send(t.Context(), message(slotbook.English, slotbook.NoticeBooked, slotbook.ToCustomer))
	d, ok := err.(*slotbook.DeliveryError)
	if !ok || d.Permanent || d.Class != "unreachable" || strings.Contains(d.Error(), "zoe@") {
		t.Errorf("error %#v (%v)", err, err)
	}
	if _, err := mail.NewSMTP("http://x"); err == nil {
		t.Error("an http URL was taken as SMTP")
	}
}
