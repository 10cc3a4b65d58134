package main

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
