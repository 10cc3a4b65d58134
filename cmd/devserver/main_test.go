package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server's and the test's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDevServerServesTheDemo starts the local server as make dev does and
// follows the welcome text: the curl line answers real slots and the token
// opens the settings.
func TestDevServerServesTheDemo(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr syncBuffer
	env := map[string]string{"PORT": "0", "SLOTBOOK_DEV_JWT_SECRET": "s3cret"}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, &stdout, &stderr, ready) }()
	var base string
	select {
	case base = <-ready:
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}

	welcome := stdout.String()
	curl := regexp.MustCompile(`curl '([^']+)'`).FindStringSubmatch(welcome)
	tok := regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(welcome)
	if curl == nil || tok == nil || !strings.HasPrefix(curl[1], base) {
		t.Fatalf("welcome text lacks a curl line or token:\n%s", welcome)
	}

	resp, err := http.Get(curl[1])
	if err != nil {
		t.Fatal(err)
	}
	var slots struct {
		Slots []struct{ Start, Employee string }
	}
	err = json.NewDecoder(resp.Body).Decode(&slots)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", curl[1], resp.StatusCode, err)
	}
	// A week of the demo always has working days with free haircut slots.
	if len(slots.Slots) < 20 {
		t.Errorf("the demo week has only %d slots", len(slots.Slots))
	}

	req, _ := http.NewRequest("GET", base+"/v1/companies/demo/settings", nil)
	req.Header.Set("Authorization", "Bearer "+tok[1])
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("settings with the printed token: %d", resp.StatusCode)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after shutdown: %v", err)
	}
	// One structured JSON log line per request, with a request id.
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	var last map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatalf("log line is not JSON: %q", lines[len(lines)-1])
	}
	if last["msg"] != "request" || last["request_id"] == "" || last["status"] != float64(200) {
		t.Errorf("log line = %v", last)
	}
}
