package tzname

import (
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	tests := []struct {
		name, want string // want "" for no zone
	}{
		{"Europe/Zurich", "Europe/Zurich"},
		{`"Europe/Zurich"`, "Europe/Zurich"},
		{" Europe/Zurich ", "Europe/Zurich"},
		{"UTC", "UTC"},
		{"utc", "UTC"},
		{"Etc/UTC", "Etc/UTC"},
		// Windows names, as Outlook writes them into TZIDs and Graph into
		// dateTimeTimeZone and mailboxSettings.
		{"W. Europe Standard Time", "Europe/Berlin"},
		{"Pacific Standard Time", "America/Los_Angeles"},
		{"tzone://Microsoft/Utc", "UTC"},
		// IANA names behind a vendor prefix.
		{"/citadel.org/20190914_1/America/New_York", "America/New_York"},
		{"/softwarestudio.org/Olson_20011030_5/America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"},
		{"/mozilla.org/20070129_1/Europe/Berlin", "Europe/Berlin"},
		{"Local", ""},
		{"/vendor/Local", ""},
		{"", ""},
		{"Mars/Olympus_Mons", ""},
		{"W. Mars Standard Time", ""},
		{"../../../etc/passwd", ""},
	}
	for _, tt := range tests {
		got := ""
		loc, ok := Resolve(tt.name)
		if ok {
			got = loc.String()
		}
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestWindowsZonesResolve(t *testing.T) {
	for win, iana := range windowsZones {
		if _, err := time.LoadLocation(iana); err != nil {
			t.Errorf("windowsZones[%q] = %q: %v", win, iana, err)
		}
	}
}
