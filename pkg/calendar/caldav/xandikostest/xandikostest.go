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
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/local/servertest"
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

	proc *servertest.Process
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
		servertest.SkipOrFail(t, "xandikostest: xandikos is required under CI=true (apt-get install -y xandikos)",
			"xandikostest: xandikos is not installed (apt-get install -y xandikos)")
	}
	dir := t.TempDir()
	proc, err := servertest.Start(servertest.Program{
		Name: "xandikos", Path: "xandikos",
		Args: func(port int) []string { return Args(dir, port) },
		// --defaults creates the default calendar before Xandikos
		// listens, but be sure.
		Ready: func(url string) bool {
			return servertest.Status("PROPFIND", url+Calendar, "Depth", "0") == http.StatusMultiStatus
		},
		Within: 30 * time.Second, Poll: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("xandikostest: %v", err)
	}
	t.Cleanup(proc.Stop)
	return &Server{URL: proc.URL, Dir: dir, proc: proc}
}

// Args returns the command line that starts Xandikos on port serving dir.
func Args(dir string, port int) []string {
	return []string{"-d", dir, "--defaults", "-l", "127.0.0.1", "-p", fmt.Sprint(port)}
}

// Stop stops the server; a second call does nothing.
func (s *Server) Stop() { s.proc.Stop() }

// Log returns what Xandikos wrote (its access log and errors).
func (s *Server) Log() string { return s.proc.Log() }

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
	if contentType != "" {
		extra = append([]string{"Content-Type", contentType}, extra...)
	}
	status, answer, err := servertest.Do(10*time.Second, method, s.URL+path, strings.NewReader(body), extra...)
	if err != nil {
		t.Fatalf("xandikostest: %s %s: %v", method, path, err)
	}
	return status, answer
}
