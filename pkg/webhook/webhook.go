// Package webhook sends slotbook's webhook events over HTTP: it
// implements slotbook.WebhookSender on the guarded client of calhttp, so
// that a receiver's URL can never make slotbook reach an address that is
// not public (the Lambda runtime, instance metadata, the own network) —
// neither when it is subscribed nor at any delivery, whatever its name
// resolves to by then.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"

	"github.com/slotbook/slotbook/pkg/calendar/calhttp"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Sender posts webhook events.
type Sender struct {
	client       *http.Client
	allowPrivate bool
	resolver     *net.Resolver
}

var _ slotbook.WebhookSender = (*Sender)(nil)

// New returns a Sender. With allowPrivate (local mode) receivers may be
// plain http and on loopback or private addresses; otherwise they must be
// https and public.
func New(allowPrivate bool) *Sender {
	c := calhttp.Client(allowPrivate)
	c.Timeout = slotbook.WebhookTimeout
	// A redirect is an answer like any other: a 3xx is not 2xx, so the
	// event is retried; following it could lead anywhere.
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Sender{client: c, allowPrivate: allowPrivate, resolver: net.DefaultResolver}
}

// Check implements slotbook.WebhookSender.
func (s *Sender) Check(ctx context.Context, u *url.URL) error {
	if s.allowPrivate {
		return nil
	}
	if u.Scheme != "https" {
		return errors.New("must be https")
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !calhttp.Public(ip) {
			return errors.New("must reach a public address, not a loopback, private or reserved one")
		}
		return nil
	}
	addrs, err := s.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Errorf("names a host that cannot be resolved: %s", host)
	}
	for _, a := range addrs {
		if !calhttp.Public(a.Unmap()) {
			return errors.New("names a host that resolves to an address that is not public")
		}
	}
	return nil
}

// Post implements slotbook.WebhookSender. The answer's body is read no
// further than a few bytes and never kept.
func (s *Sender) Post(ctx context.Context, u string, body []byte, header map[string]string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("webhook: the URL cannot be requested")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return 0, classify(err)
	}
	calhttp.Discard(res.Body)
	return res.StatusCode, nil
}

// classify turns a failed POST into a DeliveryError whose class says why,
// without the error's text (which may quote the URL).
func classify(err error) error {
	scrubbed := calhttp.Scrub(err)
	var ne net.Error
	switch {
	case errors.Is(err, calhttp.ErrPrivateAddress):
		return &slotbook.DeliveryError{Class: "address_not_allowed", Permanent: true, Err: scrubbed}
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return &slotbook.DeliveryError{Class: "timeout", Err: scrubbed}
	}
	return &slotbook.DeliveryError{Class: "unreachable", Err: scrubbed}
}
