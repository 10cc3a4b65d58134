// Package sesmail sends slotbook's mails through Amazon SES (API v2): the
// MIME message that pkg/mail composes goes as raw content to SendEmail,
// from the stack's MailFrom address. It is a mail.Transport.
package sesmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"github.com/aws/smithy-go"
	gomail "github.com/wneessen/go-mail"

	"github.com/slotbook/slotbook/pkg/mail"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Transport sends through SES.
type Transport struct {
	client *sesv2.Client
	// ConfigurationSet, if set, names the SES configuration set (event
	// publishing, suppression) the mails go with.
	ConfigurationSet string
}

var _ mail.Transport = (*Transport)(nil)

// New returns a Transport over client.
func New(client *sesv2.Client) *Transport { return &Transport{client: client} }

// Deliver implements mail.Transport.
func (t *Transport) Deliver(ctx context.Context, msg *gomail.Msg) error {
	from, err := msg.GetSender(true) // "Company <address>": SES shows the company's name
	if err != nil {
		return &slotbook.DeliveryError{Class: "bad_address", Permanent: true, Err: err}
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return &slotbook.DeliveryError{Class: "bad_address", Permanent: true, Err: err}
	}
	to := make([]string, 0, len(rcpts))
	for _, r := range rcpts { // go-mail gives "<address>"
		a, err := netmail.ParseAddress(r)
		if err != nil {
			return &slotbook.DeliveryError{Class: "bad_address", Permanent: true, Err: err}
		}
		to = append(to, a.Address)
	}
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		return &slotbook.DeliveryError{Class: "compose", Permanent: true, Err: err}
	}
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(from),
		Destination:      &types.Destination{ToAddresses: to},
		Content:          &types.EmailContent{Raw: &types.RawMessage{Data: raw.Bytes()}},
	}
	if t.ConfigurationSet != "" {
		in.ConfigurationSetName = aws.String(t.ConfigurationSet)
	}
	if _, err := t.client.SendEmail(ctx, in); err != nil {
		return classify(err)
	}
	return nil
}

// classify names a failed SendEmail (SES API v2 reference, SendEmail,
// Errors): throttling and a paused or suspended account are worth another
// try (an operator may fix the account meanwhile); a rejected message or a
// bad request is not.
func classify(err error) error {
	var api smithy.APIError
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return &slotbook.DeliveryError{Class: "timeout", Err: err}
	case errors.As(err, &api):
		switch api.ErrorCode() {
		case "TooManyRequestsException", "LimitExceededException", "ThrottlingException":
			return &slotbook.DeliveryError{Class: "throttled", Err: err}
		case "AccountSuspendedException", "SendingPausedException", "MailFromDomainNotVerifiedException", "NotFoundException":
			return &slotbook.DeliveryError{Class: "not_configured", Err: err}
		case "MessageRejected":
			return &slotbook.DeliveryError{Class: "rejected", Permanent: true, Err: err}
		case "BadRequestException":
			return &slotbook.DeliveryError{Class: "bad_request", Permanent: true, Err: err}
		}
		if f := api.ErrorFault(); f == smithy.FaultClient {
			return &slotbook.DeliveryError{Class: "rejected", Permanent: true, Err: err}
		}
		return &slotbook.DeliveryError{Class: "unavailable", Err: fmt.Errorf("%s", api.ErrorCode())}
	}
	return &slotbook.DeliveryError{Class: "unreachable", Err: err}
}
