package webhook_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/webhook"
)

// TestANameThatResolvesInwardIsRefusedWhenDialled: a URL that passed the
// subscription check may resolve to a loopback or private address by the
// time of a delivery; the AWS sender refuses it at the address it would
// dial, and the receiver never sees a request.
func TestANameThatResolvesInwardIsRefusedWhenDialled(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++ }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	for _, target := range []string{srv.URL, "http://localhost:" + u.Port() + "/hook"} {
		status, err := webhook.New(false).Post(t.Context(), target, []byte(`{}`), nil)
		var d *slotbook.DeliveryError
		if !errors.As(err, &d) || d.Class != "address_not_allowed" || !d.Permanent || status != 0 {
			t.Errorf("%s: status %d, %v; want address_not_allowed", target, status, err)
		}
	}
	if hits != 0 {
		t.Errorf("the receiver on loopback got %d requests", hits)
	}
	// Local mode may reach it.
	if status, err := webhook.New(true).Post(t.Context(), srv.URL, []byte(`{}`), nil); err != nil || status != 200 || hits != 1 {
		t.Errorf("local mode: %d, %v, %d hits", status, err, hits)
	}
}

// TestRedirectsAreNotFollowed: a 3xx is the answer (and so retried), not
// a way to somewhere else.
func TestRedirectsAreNotFollowed(t *testing.T) {
	other := 0
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { other++ }))
	defer target.Close()
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer srv.Close()
	status, err := webhook.New(true).Post(t.Context(), srv.URL, []byte(`{}`), nil)
	if err != nil || status != http.StatusTemporaryRedirect || other != 0 {
		t.Errorf("status %d, %v; the redirect's target got %d requests", status, err, other)
	}
}

// TestCheck: on AWS only https URLs of public addresses pass.
func TestCheck(t *testing.T) {
	aws := webhook.New(false)
	for raw, ok := range map[string]bool{
		"https://93.184.215.14/hook": true, "http://93.184.215.14/hook": false, "https://127.0.0.1/": false,
		"https://192.168.1.10/": false, "https://[fd00::1]/": false, "https://[::ffff:10.0.0.1]/": false, "https://localhost/": false,
	} {
		u, _ := url.Parse(raw)
		if err := aws.Check(t.Context(), u); (err == nil) != ok {
			t.Errorf("Check(%s) = %v, want ok %v", raw, err, ok)
		}
	}
	u, _ := url.Parse("http://127.0.0.1:9/")
	if err := webhook.New(true).Check(t.Context(), u); err != nil {
		t.Errorf("local mode refuses loopback: %v", err)
	}
}

// TestAReceiverThatHangsTimesOutAfterTenSeconds: a receiver that takes the
// request and never answers costs one attempt of 10 s, classed timeout
// (and so retried), not a sender stuck with it.
func TestAReceiverThatHangsTimesOutAfterTenSeconds(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	began := time.Now()
	status, err := webhook.New(true).Post(t.Context(), srv.URL, []byte(`{}`), nil)
	took := time.Since(began)
	var d *slotbook.DeliveryError
	if !errors.As(err, &d) || d.Class != "timeout" || d.Permanent || status != 0 {
		t.Errorf("status %d, %v; want a timeout to retry", status, err)
	}
	if took < slotbook.WebhookTimeout || took > slotbook.WebhookTimeout+5*time.Second {
		t.Errorf("gave up after %v, want %v", took, slotbook.WebhookTimeout)
	}
}
