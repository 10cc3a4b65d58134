package caldav

import (
	"bytes"
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

func TestRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		header  string
		attempt int
		want    time.Duration
	}{{"3", 0, 3 * time.Second}, {"", 0, 500 * time.Millisecond}, {"", 2, 2 * time.Second}, {"soon", 1, time.Second}, {"99999", 0, time.Minute}} {
		if got := retryAfter(tt.header, tt.attempt); got != tt.want {
			t.Errorf("retryAfter(%q, %d) = %v, want %v", tt.header, tt.attempt, got, tt.want)
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
