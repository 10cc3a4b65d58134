package caldav

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func TestUTCOffset(t *testing.T) {
	for _, tt := range []struct {
		sec  int
		want string
	}{{3600, "+0100"}, {-5 * 3600, "-0500"}, {19800, "+0530"}, {-(3*3600 + 1800), "-0330"}, {0, "+0000"}, {3600 + 61, "+010101"}} {
		if got := utcOffset(tt.sec); got != tt.want {
			t.Errorf("utcOffset(%d) = %q, want %q", tt.sec, got, tt.want)
		}
	}
}

func TestCleanText(t *testing.T) {
	if got, want := cleanText("a\r\nb\rc\x00d\te\x7f"), "a\nb\ncd\te"; got != want {
		t.Errorf("cleanText = %q, want %q", got, want)
	}
}

func TestRetryPolicy(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   bool
	}{{429, true}, {503, true}, {500, false}, {502, false}, {504, false}, {404, false}, {401, false}} {
		if got := retryable(&http.Response{StatusCode: tt.status}); got != tt.want {
			t.Errorf("retryable(HTTP %d) = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestVTimezone(t *testing.T) {
	zurich, _ := time.LoadLocation("Europe/Zurich")
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	for _, tt := range []struct {
		name     string
		loc      *time.Location
		instants []time.Time
		want     []string
	}{
		{"summer time", zurich, []time.Time{time.Date(2025, 6, 2, 9, 0, 0, 0, zurich)},
			[]string{"BEGIN:DAYLIGHT", "DTSTART:20250330T020000", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST"}},
		{"an event across the change", zurich, []time.Time{time.Date(2025, 3, 30, 1, 30, 0, 0, zurich), time.Date(2025, 3, 30, 3, 30, 0, 0, zurich)},
			[]string{"BEGIN:STANDARD", "DTSTART:20241027T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "BEGIN:DAYLIGHT", "DTSTART:20250330T020000"}},
		{"no DST", kolkata, []time.Time{time.Date(2025, 6, 2, 9, 0, 0, 0, kolkata)},
			[]string{"BEGIN:STANDARD", "TZOFFSETTO:+0530"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cal := ical.NewCalendar()
			cal.Props.SetText(ical.PropProductID, "-//t//EN")
			cal.Props.SetText(ical.PropVersion, "2.0")
			cal.Children = append(cal.Children, vtimezone(tt.loc, tt.instants...))
			var buf bytes.Buffer
			if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
				t.Fatal(err)
			}
			text := buf.String()
			for _, w := range tt.want {
				if !strings.Contains(text, w+"\r\n") {
					t.Errorf("VTIMEZONE lacks %q:\n%s", w, text)
				}
			}
		})
	}
}

func TestKeep(t *testing.T) {
	text := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:X\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" +
		"BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20250101T000000Z\r\nSUMMARY:title\r\nDESCRIPTION:secret\r\nLOCATION:room\r\n" +
		"ATTENDEE:mailto:a@example.com\r\nDTSTART:20250303T090000Z\r\nDTEND:20250303T100000Z\r\nRRULE:FREQ=WEEKLY\r\n" +
		"EXDATE:20250310T090000Z\r\nEXDATE:20250317T090000Z\r\nTRANSP:OPAQUE\r\n" +
		"BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:alarm\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	cal, err := ical.NewDecoder(strings.NewReader(text)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name  string
		props []string
		want  []string
	}{
		{"busy", busyProps, []string{"DTEND", "DTSTART", "EXDATE", "RRULE", "TRANSP", "UID"}},
		{"events", eventProps, []string{"DTEND", "DTSTART", "EXDATE", "RRULE", "SUMMARY", "TRANSP", "UID"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := keep(cal, tt.props)
			if len(got.Children) != 1 || got.Children[0].Name != ical.CompEvent || len(got.Children[0].Children) != 0 {
				t.Fatalf("keep left %+v, want one VEVENT without VALARM and no VTIMEZONE", got.Children)
			}
			var names []string
			for name := range got.Children[0].Props {
				names = append(names, name)
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.want) {
				t.Errorf("keep(%s) kept %v, want %v", tt.name, names, tt.want)
			}
			if n := len(got.Children[0].Props.Values(ical.PropExceptionDates)); n != 2 {
				t.Errorf("keep kept %d EXDATEs, want both", n)
			}
		})
	}
}

func TestStatusCode(t *testing.T) {
	for line, want := range map[string]int{"HTTP/1.1 404 Not Found": 404, " HTTP/1.1 200 OK ": 200, "": 0, "HTTP/1.1": 0, "HTTP/1.1 abc": 0} {
		if got := statusCode(line); got != want {
			t.Errorf("statusCode(%q) = %d, want %d", line, got, want)
		}
	}
}
