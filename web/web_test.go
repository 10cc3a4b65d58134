package web

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, path string) *http.Response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Result()
}

func TestConfigJSONTellsThePagesWhereTheAPIIsAndHowToSignIn(t *testing.T) {
	cfg := Config{API: "https://api.example", Auth: Auth{Mode: "cognito", Domain: "https://x.auth.eu-central-1.amazoncognito.com", ClientID: "abc", Scopes: "openid email profile"}}
	res := get(t, Handler(cfg), "/config.json")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var got Config
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if got != cfg {
		t.Errorf("config.json = %+v, want %+v", got, cfg)
	}
	local := get(t, Handler(Config{Auth: Auth{Mode: "local"}}), "/config.json")
	if b, _ := io.ReadAll(local.Body); string(b) != `{"api":"","auth":{"mode":"local"}}` {
		t.Errorf("local config.json = %s", b)
	}
}

func TestPagesAreServedWithTheirTypesAndHeaders(t *testing.T) {
	h := Handler(Config{Auth: Auth{Mode: "local"}})
	for path, want := range map[string]string{
		"/widget/":                   "text/html",
		"/widget/slotbook-widget.js": "text/javascript",
		"/widget/cancel.html":        "text/html",
		"/widget/reschedule.html":    "text/html",
		"/widget/reschedule.js":      "text/javascript",
		"/widget/page.js":            "text/javascript",
		"/widget/page.css":           "text/css",
		"/dashboard/":                "text/html",
		"/dashboard/app.js":          "text/javascript",
		"/dashboard/app.css":         "text/css",
	} {
		res := get(t, h, path)
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), want) {
			t.Errorf("%s: status %d, type %q, want 200 %s", path, res.StatusCode, res.Header.Get("Content-Type"), want)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
	}
	if csp := get(t, h, "/dashboard/").Header.Get("Content-Security-Policy"); csp != "frame-ancestors 'none'" {
		t.Errorf("dashboard CSP = %q: it holds a token and must not be framed", csp)
	}
	if csp := get(t, h, "/widget/slotbook-widget.js").Header.Get("Content-Security-Policy"); csp != "" {
		t.Errorf("widget CSP = %q", csp)
	}
	if res := get(t, h, "/"); res.StatusCode != http.StatusFound || res.Header.Get("Location") != "/widget/" {
		t.Errorf("/ = %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := get(t, h, "/widget/nope.js"); res.StatusCode != 404 {
		t.Errorf("missing file = %d", res.StatusCode)
	}
}

// TestOnlyThePagesAreEmbedded keeps tests, npm files and Go files out of
// the served files.
func TestOnlyThePagesAreEmbedded(t *testing.T) {
	err := fs.WalkDir(Files(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasPrefix(path, "widget/") && !strings.HasPrefix(path, "dashboard/") {
			t.Errorf("embedded %s", path)
		}
		switch {
		case strings.HasSuffix(path, ".html"), strings.HasSuffix(path, ".js"), strings.HasSuffix(path, ".css"):
		default:
			t.Errorf("embedded %s: not a page, script or style sheet", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
