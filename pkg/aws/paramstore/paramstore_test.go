package paramstore_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/paramstore"
	"github.com/slotbook/slotbook/pkg/aws/paramstore/paramstoretest"
)

const (
	token  = "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"
	secret = "gOCSPX-the-google-client-secret"
	name   = "/slotbook/prod/google-client-secret"
)

func TestParameterReturnsTheDecryptedValue(t *testing.T) {
	ext := paramstoretest.New(t, token, map[string]string{name: secret})
	got, err := paramstore.New(ext.Port, token).Parameter(t.Context(), name)
	if err != nil || got != secret {
		t.Fatalf("Parameter(%q) = %q, %v; want %q", name, got, err, secret)
	}
	reqs := ext.Requests()
	if len(reqs) != 1 || reqs[0].Name != name || !reqs[0].Decrypt || reqs[0].Status != http.StatusOK {
		t.Errorf("the extension saw %+v; want one request for %s with withDecryption=true", reqs, name)
	}
}

func TestParameterFailsCleanly(t *testing.T) {
	ext := paramstoretest.New(t, token, map[string]string{name: secret})
	for _, tc := range []struct {
		name   string
		client *paramstore.Client
		param  string
		fail   int
		want   string
	}{
		{"a wrong token is refused", paramstore.New(ext.Port, "another-token"), name, 0, "answered 401"},
		{"a missing parameter", paramstore.New(ext.Port, token), "/slotbook/prod/nope", 0, "answered 400"},
		{"SSM unreachable behind the extension", paramstore.New(ext.Port, token), name, http.StatusBadGateway, "answered 502"},
		{"no extension at all", paramstore.New(closedPort(t), token), name, 0, "did not answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ext.Fail(tc.fail, "could not reach SSM; the request carried "+token)
			defer ext.Fail(0, "")
			got, err := tc.client.Parameter(t.Context(), tc.param)
			if err == nil || got != "" {
				t.Fatalf("Parameter = %q, %v; want an error", got, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, tc.param) {
				t.Errorf("error %q does not say %q and name %s", msg, tc.want, tc.param)
			}
			if strings.Contains(msg, token) || strings.Contains(msg, secret) {
				t.Errorf("error %q holds the token or the secret", msg)
			}
		})
	}
}

func TestParameterEndsWithItsContext(t *testing.T) {
	// An extension that takes the connection and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err = paramstore.New(port, token).Parameter(ctx, name)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(began) > 2*time.Second {
		t.Errorf("Parameter = %v after %v; want the context's deadline at once", err, time.Since(began))
	}
}

func TestTheDefaultPortIsTheExtensions(t *testing.T) {
	// Nothing listens on 2773 here (or something else does): the request
	// must go to localhost:2773 all the same.
	_, err := paramstore.New("", token).Parameter(t.Context(), name)
	if err == nil {
		t.Fatal("a parameter came back from localhost:2773, where no extension runs in tests")
	}
	if !strings.Contains(err.Error(), "localhost:2773") {
		t.Errorf("error %q does not show a request to localhost:2773", err)
	}
}

// closedPort returns a port that nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}
