package calhttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"syscall"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// The kinds of failure Scrub tells apart, for errors.Is.
var (
	// ErrTimeout: no answer came in time (the context's deadline, a
	// client or dial timeout).
	ErrTimeout = errors.New("no answer in time")
	// ErrUnreachable: no connection could be made or kept (DNS, refused,
	// reset, TLS).
	ErrUnreachable = errors.New("server unreachable")
	// ErrRequestFailed: the request failed in another way, told apart no
	// further.
	ErrRequestFailed = errors.New("request failed")
	// ErrMalformed: the error was not one of sending a request or of
	// receiving its answer, but of reading the answer (a decoder's), and
	// may quote it.
	ErrMalformed = errors.New("malformed response")
)

var (
	errDeadline         = fmt.Errorf("%w: %w", ErrTimeout, context.DeadlineExceeded)
	errPrivateAddress   = fmt.Errorf("%w: %w", slotbook.ErrAddressNotAllowed, ErrPrivateAddress)
	errInsecureRedirect = fmt.Errorf("%w: %w", slotbook.ErrAddressNotAllowed, ErrInsecureRedirect)
	errNoTLS            = fmt.Errorf("%w: the server does not speak TLS", ErrUnreachable)
)

// Scrub returns what may be kept of err, the failure of an HTTP request
// (from http.Client.Do or a RoundTripper) or of reading its answer, in an
// error, a log line or a metric. A *url.Error quotes the request's URL,
// and with it the path and query of a private feed, user info and
// tokens; decoders and some libraries (go-webdav) quote the answer. So
// Scrub keeps none of err's text but what is known to hold neither: the
// kind of failure, and for network and TLS failures the operation and
// the system's reason ("dial tcp: connect: connection refused", the host
// name of a certificate that does not match). Callers add the operation
// and, where it is no secret, the host.
//
// The result wraps, for errors.Is:
//
//   - context.Canceled, if err does;
//   - ErrTimeout and context.DeadlineExceeded for the context's deadline
//     (and http.Client.Timeout, which net/http reports as one);
//     ErrTimeout alone for other timeouts;
//   - slotbook.ErrAddressNotAllowed with ErrPrivateAddress or
//     ErrInsecureRedirect, for the refusals of a Client;
//   - ErrTooLarge, for a body from LimitBody past its limit;
//   - ErrUnreachable, for network and TLS failures;
//   - ErrRequestFailed, for any other failure of a request (a
//     *url.Error);
//   - ErrMalformed, for anything else: an error of reading the answer.
//
// Scrub(nil) is nil.
func Scrub(err error) error {
	var (
		ne net.Error
		oe *net.OpError
		cv *tls.CertificateVerificationError
		rh tls.RecordHeaderError
		ue *url.Error
	)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return errDeadline
	case errors.Is(err, ErrPrivateAddress):
		return errPrivateAddress
	case errors.Is(err, ErrInsecureRedirect):
		return errInsecureRedirect
	case errors.Is(err, ErrTooLarge):
		return ErrTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	case errors.As(err, &cv):
		return fmt.Errorf("%w: TLS certificate refused: %s", ErrUnreachable, cv.Err.Error())
	case errors.As(err, &rh), errors.Is(err, http.ErrSchemeMismatch):
		return errNoTLS
	case errors.As(err, &oe):
		return fmt.Errorf("%w: %s", ErrUnreachable, opReason(oe))
	case errors.As(err, &ue):
		return ErrRequestFailed
	}
	return ErrMalformed
}

// opReason describes a network failure by its operation and, where it is
// one of the system's, its reason; never by its addresses.
func opReason(oe *net.OpError) string {
	s := oe.Op + " " + oe.Net
	var (
		se    *os.SyscallError
		dns   *net.DNSError
		errno syscall.Errno
	)
	switch {
	case errors.As(oe.Err, &dns):
		return s + ": " + dns.Error()
	case errors.As(oe.Err, &se):
		return s + ": " + se.Error()
	case errors.As(oe.Err, &errno):
		return s + ": " + errno.Error()
	}
	return s
}
