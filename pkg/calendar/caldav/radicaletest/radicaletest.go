// Package radicaletest gives tests a real CalDAV server: Debian's Radicale
// (3.1.8), started on a free loopback port with its own storage folder and
// stopped when the test ends.
//
// Radicale is started with --config "" so that the machine's
// /etc/radicale/config (Debian's sets auth remote_user and a rights file)
// does not apply; everything else comes from flags:
//
//	radicale --config "" --server-hosts 127.0.0.1:PORT \
//	    --storage-filesystem-folder DIR/collections \
//	    --auth-type none --rights-type owner_only --logging-level warning
//
// With Options.Users it checks passwords instead (--auth-type htpasswd
// --auth-htpasswd-filename DIR/users --auth-htpasswd-encryption plain
// --auth-delay 0); with auth-type none any user name and password are
// accepted, and the user name decides the principal (/alice/).
//
// Where radicale is not installed (apt-get install -y radicale), tests
// skip — except under CI=true, where they fail: CI must never pass by
// skipping.
package radicaletest

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/local/servertest"
)

// Options configure a Radicale server.
type Options struct {
	// Users maps user names to passwords and turns on password checks
	// (htpasswd, plain text). Nil means no checks: any name, any password.
	Users map[string]string
	// Rights, if not empty, is the text of a Radicale rights file
	// (rights type from_file); by default each user may read and write
	// only below /<user>/ (owner_only).
	Rights string
}

// Server is a running Radicale.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT, without a
	// trailing slash.
	URL string
	// Dir holds the storage folder, the htpasswd and the rights file.
	Dir string

	proc *servertest.Process
}

// Available reports whether radicale can be started here.
func Available() bool {
	_, err := exec.LookPath("radicale")
	return err == nil
}

// Start starts Radicale for the test and stops it when the test ends.
// Without radicale it skips the test, or fails it under CI=true.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if !Available() {
		servertest.SkipOrFail(t, "radicaletest: radicale is required under CI=true (apt-get install -y radicale)",
			"radicaletest: radicale is not installed (apt-get install -y radicale)")
	}
	dir := t.TempDir()
	if err := writeFiles(dir, opts); err != nil {
		t.Fatalf("radicaletest: %v", err)
	}
	proc, err := servertest.Start(servertest.Program{
		Name: "radicale", Path: "radicale",
		Args: func(port int) []string { return Args(dir, port, opts) },
		// Any answer will do: with password checks, it is a 401.
		Ready:  func(url string) bool { return servertest.Status(http.MethodOptions, url+"/") != 0 },
		Within: 20 * time.Second, Poll: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("radicaletest: %v", err)
	}
	t.Cleanup(proc.Stop)
	return &Server{URL: proc.URL, Dir: dir, proc: proc}
}

// Args returns the command line that starts Radicale on port with its
// files in dir.
func Args(dir string, port int, opts Options) []string {
	args := []string{
		"--config", "",
		"--server-hosts", fmt.Sprintf("127.0.0.1:%d", port),
		"--storage-filesystem-folder", filepath.Join(dir, "collections"),
		"--logging-level", "warning",
	}
	if opts.Users != nil {
		args = append(args, "--auth-type", "htpasswd",
			"--auth-htpasswd-filename", filepath.Join(dir, "users"),
			"--auth-htpasswd-encryption", "plain",
			"--auth-delay", "0")
	} else {
		args = append(args, "--auth-type", "none")
	}
	if opts.Rights != "" {
		args = append(args, "--rights-type", "from_file", "--rights-file", filepath.Join(dir, "rights"))
	} else {
		args = append(args, "--rights-type", "owner_only")
	}
	return args
}

func writeFiles(dir string, opts Options) error {
	if opts.Users != nil {
		names := make([]string, 0, len(opts.Users))
		for name := range opts.Users {
			names = append(names, name)
		}
		sort.Strings(names)
		var b strings.Builder
		for _, name := range names {
			fmt.Fprintf(&b, "%s:%s\n", name, opts.Users[name])
		}
		if err := os.WriteFile(filepath.Join(dir, "users"), []byte(b.String()), 0o600); err != nil {
			return err
		}
	}
	if opts.Rights != "" {
		if err := os.WriteFile(filepath.Join(dir, "rights"), []byte(opts.Rights), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// Stop stops the server; a second call does nothing. Tests use it to see
// what a client does when its server is gone.
func (s *Server) Stop() { s.proc.Stop() }

// Log returns what Radicale wrote (warnings and errors).
func (s *Server) Log() string { return s.proc.Log() }

// MakeCalendar creates the calendar /<user>/<name>/ for VEVENTs with a
// display name, and returns its path.
func (s *Server) MakeCalendar(t testing.TB, user, password, name, displayName string) string {
	t.Helper()
	path := "/" + user + "/" + name + "/"
	s.MakeCalendarAt(t, user, password, path, displayName)
	return path
}

// MakeCalendarAt creates a calendar at path (ending in a slash) as user,
// for the given components (VEVENT if none). The parent must exist: a
// user's principal /<user>/ appears with the user's first request.
func (s *Server) MakeCalendarAt(t testing.TB, user, password, path, displayName string, components ...string) {
	t.Helper()
	if len(components) == 0 {
		components = []string{"VEVENT"}
	}
	var comps strings.Builder
	for _, c := range components {
		comps.WriteString(`<C:comp name="` + xmlEscape(c) + `"/>`)
	}
	body := `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>` + xmlEscape(displayName) + `</D:displayname>
    <C:supported-calendar-component-set>` + comps.String() + `</C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>`
	status, _ := s.Do(t, "MKCALENDAR", user, password, path, "application/xml", body)
	if status != http.StatusCreated {
		t.Fatalf("radicaletest: MKCALENDAR %s as %s: status %d", path, user, status)
	}
}

// Put stores an iCalendar object at path.
func (s *Server) Put(t testing.TB, user, password, path, ics string) {
	t.Helper()
	ics = strings.ReplaceAll(strings.ReplaceAll(ics, "\r\n", "\n"), "\n", "\r\n")
	status, body := s.Do(t, http.MethodPut, user, password, path, "text/calendar; charset=utf-8", ics)
	if status != http.StatusCreated && status != http.StatusNoContent && status != http.StatusOK {
		t.Fatalf("radicaletest: PUT %s: status %d: %s", path, status, body)
	}
}

// Get returns the status and body of GET path.
func (s *Server) Get(t testing.TB, user, password, path string) (int, string) {
	t.Helper()
	return s.Do(t, http.MethodGet, user, password, path, "", "")
}

// Objects returns the paths of the objects in a calendar, sorted.
func (s *Server) Objects(t testing.TB, user, password, calendarPath string) []string {
	t.Helper()
	status, body := s.Do(t, "PROPFIND", user, password, calendarPath, "application/xml",
		`<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`,
		"Depth", "1")
	if status != http.StatusMultiStatus {
		t.Fatalf("radicaletest: PROPFIND %s: status %d", calendarPath, status)
	}
	var out []string
	for _, part := range strings.Split(body, "<href>")[1:] {
		href, _, _ := strings.Cut(part, "</href>")
		if href != calendarPath {
			out = append(out, href)
		}
	}
	sort.Strings(out)
	return out
}

// Do sends one request with basic auth and returns status and body; extra
// holds header name/value pairs.
func (s *Server) Do(t testing.TB, method, user, password, path, contentType, body string, extra ...string) (int, string) {
	t.Helper()
	header := []string{"Authorization", basicAuth(user, password)}
	if contentType != "" {
		header = append(header, "Content-Type", contentType)
	}
	status, answer, err := servertest.Do(10*time.Second, method, s.URL+path, strings.NewReader(body), append(header, extra...)...)
	if err != nil {
		t.Fatalf("radicaletest: %s %s: %v", method, path, err)
	}
	return status, answer
}

// basicAuth is the Authorization header of HTTP basic authentication.
func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return ""
	}
	return b.String()
}
