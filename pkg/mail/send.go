package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Transport hands a composed mail to a mail service. Its errors are
// *slotbook.DeliveryError, whose text never quotes the mail.
type Transport interface {
	Deliver(ctx context.Context, msg *gomail.Msg) error
}

// Sender is the slotbook.Mailer of a process: it composes each message
// from From and hands it to Transport.
type Sender struct {
	From      From
	Transport Transport
	// Now tells the time of the Date header and DTSTAMP (time.Now if nil).
	Now func() time.Time
}

var _ slotbook.Mailer = (*Sender)(nil)

// Send implements slotbook.Mailer.
func (s *Sender) Send(ctx context.Context, m slotbook.Message) error {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	msg, err := Compose(s.From, m, now())
	if err != nil {
		var d *slotbook.DeliveryError
		if errors.As(err, &d) {
			return err
		}
		return &slotbook.DeliveryError{Class: "compose", Permanent: true, Err: err}
	}
	return s.Transport.Deliver(ctx, msg)
}

// SMTP delivers through an SMTP server (local mode: SLOTBOOK_SMTP_URL).
type SMTP struct {
	client *gomail.Client
}

// NewSMTP returns the transport of an smtp://host:port URL (STARTTLS when
// the server offers it; user and password from the URL, if any) or an
// smtps:// one (TLS from the start).
func NewSMTP(rawURL string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("mail: %q is not an smtp://host:port URL", rawURL)
	}
	port := 25
	if u.Scheme == "smtps" {
		port = 465
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("mail: %q: bad port", rawURL)
		}
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(10 * time.Second)}
	if u.Scheme == "smtps" {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(user), gomail.WithPassword(pass))
	}
	c, err := gomail.NewClient(u.Hostname(), opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP client: %w", err)
	}
	return &SMTP{client: c}, nil
}

// Deliver implements Transport: one connection per mail, which a local
// server's trickle of mails needs no more than.
func (s *SMTP) Deliver(ctx context.Context, msg *gomail.Msg) error {
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return classifySMTP(err)
	}
	return nil
}

// classifySMTP names an SMTP failure: a server that cannot be reached or
// answers 4xx is worth another try; a 5xx refusal is not.
func classifySMTP(err error) error {
	var send *gomail.SendError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return &slotbook.DeliveryError{Class: "timeout", Err: err}
	case errors.As(err, &send) && send.IsTemp():
		return &slotbook.DeliveryError{Class: "throttled", Err: err}
	case errors.As(err, &send) && send.Reason == gomail.ErrSMTPRcptTo:
		return &slotbook.DeliveryError{Class: "rejected_recipient", Permanent: true, Err: err}
	case errors.As(err, &send) && send.ErrorCode() >= 500:
		return &slotbook.DeliveryError{Class: "rejected", Permanent: true, Err: err}
	}
	return &slotbook.DeliveryError{Class: "unreachable", Err: err}
}

// Dir writes each mail as an .eml file into a folder (local mode without a
// mail server: .build/mail/).
type Dir struct {
	Path string
}

// Deliver implements Transport.
func (d Dir) Deliver(_ context.Context, msg *gomail.Msg) error {
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return &slotbook.DeliveryError{Class: "unwritable", Err: err}
	}
	name := fmt.Sprintf("%s-%s.eml", time.Now().UTC().Format("20060102T150405.000000000Z"), safeName(msg.GetMessageID()))
	if err := msg.WriteToFile(filepath.Join(d.Path, name)); err != nil {
		return &slotbook.DeliveryError{Class: "unwritable", Err: err}
	}
	return nil
}

// safeName keeps the characters of s that are safe in a file name.
func safeName(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b = append(b, c)
		}
	}
	return string(b)
}
