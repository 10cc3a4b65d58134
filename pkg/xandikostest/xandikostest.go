// Package xandikostest gives tests a second, independently written CalDAV
// server: Debian's Xandikos (0.2.8), started on a free loopback port with
// its own directory and stopped when the test ends:
//
//	xandikos -d DIR --defaults -l 127.0.0.1 -p PORT
//
// --defaults creates the principal /user/ with the calendar home
// /user/calendars/ and the calendar /user/calendars/calendar/. Xandikos
// checks no passwords: any user name and password are accepted, and every
// request acts as /user/.
//
// Xandikos is stricter than Radicale where slotbook has been caught out:
// it answers partial calendar-data with 404 for events that lack a
// property asked for, answers a refused PUT with 207, and its time-range
// filter does not expand recurrences.
//
// Where xandikos is not installed (apt-get install -y xandikos), tests
// skip — except under CI=true, where they fail: CI must never pass by
// skipping.
package xandikostest

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// The collections --defaults creates.
const (
	Principal = "/user/"
	Home      = "/user/calendars/"
	Calendar  = "/user/calendars/calendar/"
)

// Server is a running Xandikos.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT, without a
	// trailing slash.
	URL string
	// Dir is the directory Xandikos serves (a git repository per
	// collection).
	Dir string

	cmd      *exec.Cmd
	exited   chan struct{}
	log      *syncBuffer
	stopOnce sync.Once
}

// Available reports whether xandikos can be started here.
func Available() bool {
	_, err := exec.LookPath("xandikos")
	return err == nil
}

// Start starts Xandikos for the test and stops it when the test ends.
// Without xandikos it skips the test, or fails it under CI=true.
func Start(t testing.TB) *Server {
	t.Helper()
	if !Available() {
		if os.Getenv("CI") == "true" {
			t.Fatal("xandikostest: xandikos is required under CI=true (apt-get install -y xandikos)")
		}
		t.Skip("xandikostest: xandikos is not installed (apt-get install -y xandikos)")
	}
	var lastErr error
	for range 3 { // another process may take the free port first
		s, err := start(t.TempDir())
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("xandikostest: %v", lastErr)
	return nil
}

// Args returns the command line that starts Xandikos on port serving dir.
func Args(dir string, port int) []string {
	return []string{"-d", dir, "--defaults", "-l", "127.0.0.1", "-p", fmt.Sprint(port)}
}

func start(dir string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), Dir: dir, exited: make(chan struct{}), log: &syncBuffer{}}
	s.cmd = exec.Command("xandikos", Args(dir, port)...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start xandikos: %w", err)
	}
	go func() {
		s.cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("xandikos exited at start: %s", s.log.String())
		default:
		}
		if s.answers() {
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("xandikos did not answer within 30 s: %s", s.log.String())
}

// answers reports whether the default calendar exists yet: --defaults
// creates it before Xandikos listens, but be sure.
func (s *Server) answers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "PROPFIND", s.URL+Calendar, nil)
	req.Header.Set("Depth", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusMultiStatus
}

// Stop stops the server; a second call does nothing.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		s.cmd.Process.Kill()
		<-s.exited
	})
}

// Log returns what Xandikos wrote (its access log and errors).
func (s *Server) Log() string { return s.log.String() }

// MakeCalendar creates the calendar /user/calendars/<name>/ for VEVENTs
// with a display name, and returns its path.
func (s *Server) MakeCalendar(t testing.TB, name, displayName string) string {
	t.Helper()
	path := Home + name + "/"
	var dn bytes.Buffer
	xml.EscapeText(&dn, []byte(displayName))
	body := `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>` + dn.String() + `</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>`
	if status, resp := s.Do(t, "MKCALENDAR", path, "application/xml", body); status != http.StatusCreated {
		t.Fatalf("xandikostest: MKCALENDAR %s: status %d: %s", path, status, resp)
	}
	return path
}

// Put stores an iCalendar object at path. Xandikos answers a PUT it
// refuses with 207: that fails the test too.
func (s *Server) Put(t testing.TB, path, ics string) {
	t.Helper()
	ics = strings.ReplaceAll(strings.ReplaceAll(ics, "\r\n", "\n"), "\n", "\r\n")
	status, body := s.Do(t, http.MethodPut, path, "text/calendar; charset=utf-8", ics)
	if status != http.StatusCreated && status != http.StatusNoContent && status != http.StatusOK {
		t.Fatalf("xandikostest: PUT %s: status %d: %s", path, status, body)
	}
}

// Get returns the status and body of GET path.
func (s *Server) Get(t testing.TB, path string) (int, string) {
	t.Helper()
	return s.Do(t, http.MethodGet, path, "", "")
}

// Objects returns the paths of the objects in a calendar, sorted.
func (s *Server) Objects(t testing.TB, calendarPath string) []string {
	t.Helper()
	status, body := s.Do(t, "PROPFIND", calendarPath, "application/xml",
		`<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`,
		"Depth", "1")
	if status != http.StatusMultiStatus {
		t.Fatalf("xandikostest: PROPFIND %s: status %d", calendarPath, status)
	}
	var ms struct {
		Href []string `xml:"response>href"`
	}
	if err := xml.Unmarshal([]byte(body), &ms); err != nil {
		t.Fatalf("xandikostest: PROPFIND %s: %v", calendarPath, err)
	}
	var out []string
	for _, h := range ms.Href {
		if p, err := url.PathUnescape(h); err == nil {
			h = p
		}
		if strings.TrimSuffix(h, "/") != strings.TrimSuffix(calendarPath, "/") {
			out = append(out, h)
		}
	}
	sort.Strings(out)
	return out
}

// Do sends one request and returns status and body; extra holds header
// name/value pairs.
func (s *Server) Do(t testing.TB, method, path, contentType, body string, extra ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatalf("xandikostest: %v", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("xandikostest: %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("xandikostest: %s %s: %v", method, path, err)
	}
	return resp.StatusCode, string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer collects Xandikos's output from two pipes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // enough to diagnose; never block Xandikos
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
