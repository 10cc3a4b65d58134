package radicaletest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/slotbook/slotbook/pkg/calendar/caldav/radicaletest"
)

func TestServer(t *testing.T) {
	s := radicaletest.Start(t, radicaletest.Options{})
	cal := s.MakeCalendar(t, "alice", "any", "work", "Work")
	if cal != "/alice/work/" {
		t.Errorf("MakeCalendar = %q, want /alice/work/", cal)
	}
	s.Put(t, "alice", "any", cal+"one.ics", "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:one\nDTSTAMP:20250101T000000Z\nDTSTART:20250101T100000Z\nDTEND:20250101T110000Z\nEND:VEVENT\nEND:VCALENDAR\n")
	if got := s.Objects(t, "alice", "any", cal); len(got) != 1 || got[0] != cal+"one.ics" {
		t.Errorf("Objects = %v, want [%sone.ics]", got, cal)
	}
	status, body := s.Get(t, "alice", "any", cal+"one.ics")
	if status != http.StatusOK || !strings.Contains(body, "UID:one") {
		t.Errorf("Get = %d %q", status, body)
	}
	s.Stop()
	s.Stop() // a second Stop does nothing
}

func TestServerChecksPasswords(t *testing.T) {
	s := radicaletest.Start(t, radicaletest.Options{Users: map[string]string{"bob": "s3cret"}})
	if status, _ := s.Do(t, "PROPFIND", "bob", "wrong", "/bob/", "", "", "Depth", "0"); status != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d, want 401", status)
	}
	if status, _ := s.Do(t, "PROPFIND", "bob", "s3cret", "/bob/", "", "", "Depth", "0"); status != http.StatusMultiStatus {
		t.Errorf("right password: status %d, want 207", status)
	}
}
