package calhttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// secrets are what a feed or server URL, or an answer, may carry: none of
// them may reach a scrubbed error.
var secrets = []string{"hunter2", "private-3f9a", "TOKEN-3f9a", "MARKER-3f9a"}

// secretURL is a URL with user info, a secret path and a token query.
func secretURL(base string) string {
	u, _ := url.Parse(base)
	u.User = url.UserPassword("alice", "hunter2")
	u.Path = "/private-3f9a/basic.ics"
	u.RawQuery = "token=TOKEN-3f9a"
	return u.String()
}

// get sends a GET to raw with client and returns its error.
func get(t *testing.T, ctx context.Context, client *http.Client, raw string) error {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err == nil {
		Discard(resp.Body)
		t.Fatalf("GET %s succeeded, want a failure", raw)
	}
	return err
}

func TestScrub(t *testing.T) {
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hanging.Close()
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	tlsServer := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsServer.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	goneURL := gone.URL
	gone.Close()

	tests := []struct {
		name   string
		err    func(t *testing.T) error
		wantIs []error
		wantIn string // text the result must hold
	}{
		{"the context's deadline", func(t *testing.T) error {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			return get(t, ctx, http.DefaultClient, secretURL(hanging.URL))
		}, []error{ErrTimeout, context.DeadlineExceeded}, "no answer in time"},
		{"a cancelled context", func(t *testing.T) error {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			return get(t, ctx, http.DefaultClient, secretURL(hanging.URL))
		}, []error{context.Canceled}, "canceled"},
		{"a client timeout", func(t *testing.T) error {
			return get(t, context.Background(), &http.Client{Timeout: 50 * time.Millisecond}, secretURL(hanging.URL))
		}, []error{ErrTimeout}, "no answer in time"},
		{"a refused connection", func(t *testing.T) error {
			return get(t, context.Background(), http.DefaultClient, secretURL(goneURL))
		}, []error{ErrUnreachable}, "dial tcp"},
		{"an unknown host", func(t *testing.T) error {
			// As net/http reports it; built, not looked up, to need no DNS.
			dns := &net.DNSError{Err: "no such host", Name: "calendar.invalid", IsNotFound: true}
			return &url.Error{Op: "Get", URL: secretURL("http://calendar.invalid"), Err: &net.OpError{Op: "dial", Net: "tcp", Err: dns}}
		}, []error{ErrUnreachable}, "dial tcp: lookup calendar.invalid: no such host"},
		{"a certificate not trusted", func(t *testing.T) error {
			return get(t, context.Background(), http.DefaultClient, secretURL(tlsServer.URL))
		}, []error{ErrUnreachable}, "TLS certificate refused: x509"},
		{"https to a server that speaks plain http", func(t *testing.T) error {
			return get(t, context.Background(), http.DefaultClient, secretURL(strings.Replace(plain.URL, "http:", "https:", 1)))
		}, []error{ErrUnreachable}, "does not speak TLS"},
		{"https to a server that speaks no http at all", func(t *testing.T) error {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			go func() {
				c, err := l.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				c.Write([]byte("SSH-2.0-OpenSSH_9.6 MARKER-3f9a\r\n"))
			}()
			return get(t, context.Background(), http.DefaultClient, secretURL("https://"+l.Addr().String()))
		}, []error{ErrUnreachable}, "does not speak TLS"},
		{"a private address refused", func(t *testing.T) error {
			return get(t, context.Background(), Client(false), secretURL(plain.URL))
		}, []error{slotbook.ErrAddressNotAllowed, ErrPrivateAddress}, "not a public address"},
		{"an insecure redirect refused", func(t *testing.T) error {
			return &url.Error{Op: "Get", URL: secretURL("http://calendar.example"), Err: fmt.Errorf("redirect from https to http: %w", ErrInsecureRedirect)}
		}, []error{slotbook.ErrAddressNotAllowed, ErrInsecureRedirect}, "insecure"},
		{"a body over its limit", func(t *testing.T) error {
			return fmt.Errorf("read %s: %w", secretURL("https://calendar.example"), ErrTooLarge)
		}, []error{ErrTooLarge}, "too large"},
		{"another failure of a request", func(t *testing.T) error {
			return &url.Error{Op: "Get", URL: secretURL("https://calendar.example"), Err: errors.New(`malformed HTTP response "MARKER-3f9a"`)}
		}, []error{ErrRequestFailed}, "request failed"},
		{"a decoder's error quoting the answer", func(t *testing.T) error {
			return errors.New("XML syntax error: unexpected MARKER-3f9a")
		}, []error{ErrMalformed}, "malformed response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err(t)
			got := Scrub(err)
			for _, target := range tt.wantIs {
				if !errors.Is(got, target) {
					t.Errorf("Scrub(%v) = %v, want it to wrap %v", err, got, target)
				}
			}
			if !strings.Contains(got.Error(), tt.wantIn) {
				t.Errorf("Scrub(%v) = %q, want it to say %q", err, got, tt.wantIn)
			}
			for _, s := range secrets {
				if strings.Contains(got.Error(), s) {
					t.Errorf("Scrub(%v) = %q: it quotes %q", err, got, s)
				}
			}
			var ue *url.Error
			var oe *net.OpError
			if errors.As(got, &ue) || errors.As(got, &oe) {
				t.Errorf("Scrub(%v) = %v still holds a %T", err, got, ue)
			}
		})
	}
}

func TestScrubNil(t *testing.T) {
	if err := Scrub(nil); err != nil {
		t.Errorf("Scrub(nil) = %v, want nil", err)
	}
}
