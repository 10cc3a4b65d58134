package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/caldav/radicaletest"
	"github.com/slotbook/slotbook/pkg/calendar/microsoft/graphtest"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/mail/maildevtest"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

// chromium is the browser the tests drive: Debian's package, never a
// downloaded one.
const chromium = "/usr/bin/chromium"

// TestBrowser runs the browser tests of web/e2e (node --test, playwright-core
// driving a headless chromium) against the local server on DynamoDB Local:
// booking through the widget, the dashboard's week view, cancelling, the
// 409 and 503 messages, a CalDAV calendar (a real Radicale) connected in
// the dashboard and written by a booking, the confirmation mail in MailDev
// and its cancel link. Screenshots land in .build/e2e. Without node,
// chromium or web/node_modules (make tools installs them) the test skips,
// and under CI=true it fails.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser tests are not short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	webDir := filepath.Join(root, "web")
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "node"
	case !exists(chromium):
		missing = chromium + " (apt-get install chromium)"
	case !exists(filepath.Join(webDir, "node_modules", "playwright-core")):
		missing = "web/node_modules/playwright-core (npm ci --prefix web)"
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the browser tests need %s; make tools installs it", missing)
		}
		t.Skipf("the browser tests need %s; make tools installs it", missing)
	}

	// Microsoft 365 behind a consent page at an https address, which the
	// browser tests hand over to the Graph stand-in.
	graph := graphtest.New(t)
	mailbox := graph.AddMailbox("adele.vance@contoso.example", "Adele Vance")
	graph.SignInAs(mailbox.Address)
	// What the browser tests may do to the mailbox: revoke its grants, and
	// count slotbook's events in it.
	control := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/revoke":
			graph.RevokeRefreshTokens(mailbox.Address)
		case "/events":
			n := 0
			for _, e := range graph.Events(mailbox.DefaultCalendarID) {
				if e.TransactionID != "" {
					n++
				}
			}
			fmt.Fprint(w, n)
		default:
			http.NotFound(w, r)
		}
	}))
	defer control.Close()
	md := maildevtest.Start(t)
	srv := start(t, map[string]string{
		config.EnvSMTPURL:               md.SMTPURL,
		config.EnvPort:                  "0",
		config.EnvDynamoDBEndpoint:      dynamotest.Endpoint(t),
		config.EnvTable:                 dynamotest.TableName(t),
		config.EnvSealKeyFile:           filepath.Join(t.TempDir(), "seal.key"),
		config.EnvMicrosoftClientID:     graphtest.ClientID,
		config.EnvMicrosoftClientSecret: graphtest.ClientSecret,
		config.EnvMicrosoftAuthURL:      "https://login.microsoftonline.test/common/oauth2/v2.0/authorize",
		config.EnvMicrosoftTokenURL:     graph.TokenURL,
		config.EnvGraphURL:              graph.BaseURL,
	})
	defer srv.stop()
	tok := regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(srv.stdout.String())
	if tok == nil {
		t.Fatalf("welcome text lacks a token:\n%s", srv.stdout.String())
	}
	const davUser, davPassword = "ben", "radicale-e2e-password"
	dav := radicaletest.Start(t, radicaletest.Options{Users: map[string]string{davUser: davPassword}})
	davCalendar := dav.MakeCalendar(t, davUser, davPassword, "work", "Ben at work")

	artifacts := filepath.Join(root, ".build", "e2e")
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	// Each test file writes the states it audited here (harness.mjs).
	if err := os.RemoveAll(filepath.Join(artifacts, "audited")); err != nil {
		t.Fatal(err)
	}

	ctx := t.Context()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-concurrency=1", "--test-reporter=spec", "e2e/")
	cmd.Dir = webDir
	cmd.Env = append(os.Environ(),
		"SLOTBOOK_URL="+srv.base,
		"SLOTBOOK_TOKEN="+tok[1],
		"SLOTBOOK_CHROMIUM="+chromium,
		"SLOTBOOK_ARTIFACTS="+artifacts,
		"SLOTBOOK_CALDAV_URL="+dav.URL,
		"SLOTBOOK_CALDAV_USER="+davUser,
		"SLOTBOOK_CALDAV_PASSWORD="+davPassword,
		"SLOTBOOK_CALDAV_CALENDAR="+davCalendar,
		"SLOTBOOK_GRAPH_AUTHORIZE="+graph.AuthURL,
		"SLOTBOOK_GRAPH_MAILBOX="+mailbox.Address,
		"SLOTBOOK_GRAPH_CONTROL="+control.URL,
		"SLOTBOOK_MAILDEV_URL="+md.WebURL,
	)
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		t.Log(lines.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("browser tests failed (%v); screenshots in %s", err, artifacts)
	}
	t.Logf("screenshots in %s", artifacts)
	checkAudited(t, filepath.Join(webDir, "e2e", "audited-states.txt"), filepath.Join(artifacts, "audited"))
}

// checkAudited holds the states the browser tests audited with axe-core
// (one JSON list per test file in dir) to the list of states that must
// be audited (want, a line each, # comments): a state the tests stop
// auditing, or a new one missing from the list, fails the test.
func checkAudited(t *testing.T, want, dir string) {
	t.Helper()
	text, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for line := range strings.Lines(string(text)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			listed[line] = true
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no audited states in %s (%v)", dir, err)
	}
	audited, audits := map[string]bool{}, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		if err := json.Unmarshal(b, &states); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, s := range states {
			audited[s] = true
		}
		audits += len(states)
	}
	for s := range listed {
		if !audited[s] {
			t.Errorf("state %q was not audited with axe-core", s)
		}
	}
	for s := range audited {
		if !listed[s] {
			t.Errorf("state %q was audited but is not in %s: add it", s, want)
		}
	}
	names := slices.Sorted(maps.Keys(audited))
	t.Logf("axe-core: %d audits of %d states, no serious or critical WCAG 2.1 A/AA violation:\n  %s", audits, len(names), strings.Join(names, "\n  "))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
