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
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
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

	cmd      *exec.Cmd
	exited   chan struct{}
	log      *syncBuffer
	stopOnce sync.Once
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
		if os.Getenv("CI") == "true" {
			t.Fatal("radicaletest: radicale is required under CI=true (apt-get install -y radicale)")
		}
		t.Skip("radicaletest: radicale is not installed (apt-get install -y radicale)")
	}
	dir := t.TempDir()
	if err := writeFiles(dir, opts); err != nil {
		t.Fatalf("radicaletest: %v", err)
	}
	var lastErr error
	for range 3 { // another process may take the free port first
		s, err := start(dir, opts)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("radicaletest: %v", lastErr)
	return nil
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

func start(dir string, opts Options) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Dir: dir, exited: make(chan struct{}), log: &syncBuffer{}}
	s.cmd = exec.Command("radicale", Args(dir, port, opts)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start radicale: %w", err)
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("radicale exited at start: %s", s.log.String())
		default:
		}
		if s.answers() {
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("radicale did not answer within 20 s: %s", s.log.String())
}

func (s *Server) answers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, s.URL+"/", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// Stop stops the server; a second call does nothing. Tests use it to see
// what a client does when its server is gone.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
}

// Log returns what Radicale wrote (warnings and errors).
func (s *Server) Log() string { return s.log.String() }

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
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("radicaletest: %v", err)
	}
	req.SetBasicAuth(user, password)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("radicaletest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("radicaletest: %s %s: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return ""
	}
	return b.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects Radicale's output from two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // enough to diagnose; never block Radicale
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
