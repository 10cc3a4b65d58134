package sesmail_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"

	"github.com/slotbook/slotbook/pkg/aws/sesmail"
	"github.com/slotbook/slotbook/pkg/aws/sesmail/sestest"
	"github.com/slotbook/slotbook/pkg/mail"
	"github.com/slotbook/slotbook/pkg/mail/maildevtest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

func client(url string) *sesv2.Client {
	return sesv2.New(sesv2.Options{
		BaseEndpoint: aws.String(url), Region: "eu-central-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDLOCAL", "secret", ""),
		// The SDK's own retries would hide the answers under test.
		RetryMaxAttempts: 1,
	})
}

func message() slotbook.Message {
	z, _ := time.LoadLocation("Europe/Zurich")
	return slotbook.Message{
		ID: "b1.0-booked-customer", Kind: slotbook.NoticeBooked, To: slotbook.ToCustomer, Lang: slotbook.English,
		ToName: "Chris", ToAddress: "chris@client.example", CompanyName: "Acme", Zone: z, ServiceName: "Consultation",
		Start: time.Date(2027, 3, 22, 9, 0, 0, 0, z), End: time.Date(2027, 3, 22, 10, 0, 0, 0, z), UID: "b1@slotbook",
		Customer: slotbook.Customer{Name: "Chris", Email: "chris@client.example"},
	}
}

func TestSendsTheRawMailThroughTheRealClient(t *testing.T) {
	ses := sestest.New(t, "acme.example")
	s := &mail.Sender{From: mail.From{Address: "bookings@acme.example"}, Transport: sesmail.New(client(ses.URL))}
	if err := s.Send(t.Context(), message()); err != nil {
		t.Fatalf("%v: %v", err, errors.Unwrap(err))
	}
	sent := ses.Sent()
	if len(sent) != 1 || sent[0].From != "bookings@acme.example" || strings.Join(sent[0].To, ",") != "chris@client.example" {
		t.Fatalf("sent %d mails, the first from %q to %q", len(sent), sent[0].From, sent[0].To)
	}
	p, err := maildevtest.Parse(sent[0].Raw)
	if err != nil {
		t.Fatal(err)
	}
	uid, seq, _, _, method, err := maildevtest.Event(p.Calendar)
	if err != nil || uid != "b1@slotbook" || seq != "0" || method != "REQUEST" || !strings.HasPrefix(p.Subject, "Confirmed: Consultation") {
		t.Errorf("raw mail: %q %q %q %q (%v)", p.Subject, uid, seq, method, err)
	}
}

func TestSESErrorsAreClassified(t *testing.T) {
	ses := sestest.New(t, "bookings@acme.example")
	s := &mail.Sender{From: mail.From{Address: "bookings@acme.example"}, Transport: sesmail.New(client(ses.URL))}
	for _, c := range []struct {
		sesError  string
		class     string
		permanent bool
	}{
		{"TooManyRequestsException", "throttled", false},
		{"SendingPausedException", "not_configured", false},
		{"MessageRejected", "rejected", true},
		{"InternalFailure", "unavailable", false},
	} {
		ses.FailNext(c.sesError)
		err := s.Send(t.Context(), message())
		var d *slotbook.DeliveryError
		if !errors.As(err, &d) || d.Class != c.class || d.Permanent != c.permanent {
			t.Errorf("%s: %v, want class %s permanent %v", c.sesError, err, c.class, c.permanent)
		}
	}
	// An unverified sender is refused for good, as SES's sandbox does.
	other := &mail.Sender{From: mail.From{Address: "bookings@elsewhere.example"}, Transport: sesmail.New(client(ses.URL))}
	var d *slotbook.DeliveryError
	if err := other.Send(t.Context(), message()); !errors.As(err, &d) || d.Class != "rejected" || !d.Permanent {
		t.Errorf("unverified sender: %v", err)
	}
	if strings.Contains((&slotbook.DeliveryError{Class: "rejected"}).Error(), "chris@") {
		t.Error("the error names the recipient")
	}
	if n := len(ses.Sent()); n != 0 {
		t.Errorf("%d accepted", n)
	}
}
