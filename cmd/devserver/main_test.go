package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
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

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

// server is one run of the local server.
type server struct {
	base   string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   func() error
}

func start(t *testing.T, env map[string]string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	s := &server{stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	if env[config.EnvSMTPURL] == "" && env[config.EnvMailDir] == "" {
		env[config.EnvMailDir] = t.TempDir() // not .build/mail of the package folder
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, s.stdout, s.stderr, ready) }()
	select {
	case s.base = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("run: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	s.stop = func() error { cancel(); return <-done }
	return s
}

// TestDevServerServesTheDemo starts the local server as make dev does and
// follows the welcome text: the curl line answers real slots and the token
// opens the settings.
func TestDevServerServesTheDemo(t *testing.T) {
	srv := start(t, map[string]string{config.EnvPort: "0", config.EnvDevJWTSecret: "s3cret"})
	base, stderr := srv.base, srv.stderr
	welcome := srv.stdout.String()
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

	if err := srv.stop(); err != nil {
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

// TestDataSurvivesARestartOnDynamoDB runs the local server on DynamoDB
// Local, writes through the API, restarts the server and reads it back.
func TestDataSurvivesARestartOnDynamoDB(t *testing.T) {
	env := map[string]string{
		config.EnvPort:             "0",
		config.EnvDynamoDBEndpoint: dynamotest.Endpoint(t),
		config.EnvTable:            dynamotest.TableName(t),
		config.EnvSealKeyFile:      filepath.Join(t.TempDir(), "seal.key"),
	}
	first := start(t, env)
	if !strings.Contains(first.stdout.String(), "DynamoDB at "+env[config.EnvDynamoDBEndpoint]) {
		t.Errorf("welcome text does not name the store:\n%s", first.stdout.String())
	}
	tok := regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(first.stdout.String())[1]
	call := func(base, method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call(first.base, "POST", "/v1/companies/demo/employees", `{"id":"cleo","name":"Cleo Brun"}`); code != 201 {
		t.Fatalf("create employee: %d %s", code, body)
	}
	if code, body := call(first.base, "PUT", "/v1/companies/demo/employees/cleo/availability",
		`{"weekly":[{"weekday":"monday","start":"09:00","end":"17:00"}]}`); code != 200 {
		t.Fatalf("put availability: %d %s", code, body)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}

	second := start(t, env)
	defer second.stop()
	code, body := call(second.base, "GET", "/v1/companies/demo/employees/cleo/availability", "")
	if code != 200 || !strings.Contains(body, `"start":"09:00"`) {
		t.Errorf("after restart: %d %s", code, body)
	}
	// The demo was seeded once, not again over the changed data.
	code, body = call(second.base, "GET", "/v1/companies/demo/employees", "")
	if code != 200 || strings.Count(body, `"id"`) != 3 {
		t.Errorf("employees after restart: %d %s", code, body)
	}
}

// TestCrossOriginOnlyForTheWidget: any site may call the public widget
// routes (without credentials), but the signed-in routes answer CORS only
// to the server's own origin and the configured ones, so a page elsewhere
// cannot drive a visitor's dashboard — the default JWT secret is public.
func TestCrossOriginOnlyForTheWidget(t *testing.T) {
	srv := start(t, map[string]string{config.EnvPort: "0", config.EnvCORSOrigins: "https://admin.salon.example, https://other.example/"})
	defer srv.stop()
	ask := func(method, path, origin string, header ...string) http.Header {
		t.Helper()
		req, _ := http.NewRequest(method, srv.base+path, nil)
		req.Header.Set("Origin", origin)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Header
	}
	preflight := func(method, path, origin, headers string) http.Header {
		return ask("OPTIONS", path, origin, "Access-Control-Request-Method", method, "Access-Control-Request-Headers", headers)
	}
	evil := "https://evil.example"
	cases := []struct {
		name        string
		got         http.Header
		allowOrigin string
		authAllowed bool
	}{
		{"foreign site, settings", preflight("GET", "/v1/companies/demo/settings", evil, "authorization"), "", false},
		{"foreign site, settings, the request itself", ask("GET", "/v1/companies/demo/settings", evil, "Authorization", "Bearer x"), "", false},
		{"foreign site, a dashboard cancel with a JWT", preflight("DELETE", "/v1/companies/demo/bookings/b1", evil, "authorization"), "*", false},
		{"foreign site, slots", preflight("GET", "/v1/companies/demo/slots", evil, "content-type"), "*", false},
		{"foreign site, booking", preflight("POST", "/v1/companies/demo/bookings", evil, "content-type,idempotency-key"), "*", false},
		{"foreign site, cancel with the token", preflight("DELETE", "/v1/companies/demo/bookings/b1", evil, "x-cancel-token"), "*", false},
		{"own origin, settings", preflight("PUT", "/v1/companies/demo/settings", srv.base, "authorization,content-type"), srv.base, true},
		{"configured origin, settings", preflight("PUT", "/v1/companies/demo/settings", "https://admin.salon.example", "authorization"), "https://admin.salon.example", true},
		{"configured origin with a slash", preflight("GET", "/v1/companies/demo/settings", "https://other.example", "authorization"), "https://other.example", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.got.Get("Access-Control-Allow-Origin"); got != c.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, c.allowOrigin)
			}
			if got := c.got.Get("Access-Control-Allow-Credentials"); got != "" {
				t.Errorf("Access-Control-Allow-Credentials = %q", got)
			}
			auth := strings.Contains(strings.ToLower(c.got.Get("Access-Control-Allow-Headers")), "authorization")
			if auth != c.authAllowed {
				t.Errorf("Authorization allowed = %v, want %v (%q)", auth, c.authAllowed, c.got.Get("Access-Control-Allow-Headers"))
			}
		})
	}
}

// TestAConfigurationThatCannotWorkIsRefusedNamingTheVariable: the local
// server reads pkg/config as the functions do, and does not start on a
// value that cannot work.
func TestAConfigurationThatCannotWorkIsRefusedNamingTheVariable(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{config.EnvPort: "0", config.EnvCalendarDeadline: "soon"}, config.EnvCalendarDeadline},
		{map[string]string{config.EnvPort: "0", config.EnvGoogleClientID: "id"}, config.EnvGoogleClientSecret},
		{map[string]string{config.EnvPort: "0", config.EnvOAuthStateKey: "short"}, config.EnvOAuthStateKey},
		{map[string]string{config.EnvPort: "web"}, config.EnvPort},
	} {
		err := run(t.Context(), func(k string) string { return tc.env[k] }, io.Discard, io.Discard, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run with %v = %v, want an error naming %s", tc.env, err, tc.want)
		}
	}
}
