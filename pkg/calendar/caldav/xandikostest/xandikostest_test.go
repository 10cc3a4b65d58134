package xandikostest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/slotbook/slotbook/pkg/calendar/caldav/xandikostest"
)

const event = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\nBEGIN:VEVENT\nUID:one\nDTSTAMP:20250101T000000Z\nDTSTART:20250101T100000Z\nDTEND:20250101T110000Z\nEND:VEVENT\nEND:VCALENDAR\n"

func TestServer(t *testing.T) {
	s := xandikostest.Start(t)
	if got := s.Objects(t, xandikostest.Calendar); len(got) != 0 {
		t.Errorf("the default calendar holds %v, want nothing", got)
	}
	cal := s.MakeCalendar(t, "work", "Work")
	if cal != "/user/calendars/work/" {
		t.Errorf("MakeCalendar = %q, want /user/calendars/work/", cal)
	}
	s.Put(t, cal+"one.ics", event)
	if got := s.Objects(t, cal); !slices.Equal(got, []string{cal + "one.ics"}) {
		t.Errorf("Objects = %v, want [%sone.ics]", got, cal)
	}
	status, body := s.Get(t, cal+"one.ics")
	if status != http.StatusOK || !strings.Contains(body, "UID:one") {
		t.Errorf("Get = %d %q", status, body)
	}
	// Xandikos refuses a second object with the same UID, and says so
	// with 207 rather than an error status.
	if status, _ := s.Do(t, http.MethodPut, cal+"two.ics", "text/calendar", strings.ReplaceAll(event, "\n", "\r\n")); status != http.StatusMultiStatus {
		t.Errorf("PUT of a UID in use: status %d, want 207", status)
	}
	s.Stop()
	s.Stop() // a second Stop does nothing
	if _, err := http.Get(s.URL + "/"); err == nil {
		t.Error("the server still answers after Stop")
	}
}
