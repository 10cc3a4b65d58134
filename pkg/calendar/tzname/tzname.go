// Package tzname resolves the time zone names that calendar servers write
// into the zones they mean, for every provider alike: IANA names
// ("Europe/Zurich"), the Windows names that Outlook, Exchange and
// Microsoft Graph write ("W. Europe Standard Time", in iCalendar TZIDs, in
// Graph's dateTimeTimeZone when Prefer: outlook.timezone is not honoured,
// and in mailboxSettings), Graph's "tzone://Microsoft/Utc", and IANA names
// behind a vendor prefix ("/mozilla.org/20070129_1/Europe/Berlin"). The
// zone database is embedded (time/tzdata): provided.al2023 ships none.
package tzname

import (
	"strings"
	"time"
	_ "time/tzdata" // provided.al2023 ships no zone database
)

// Resolve returns the zone name names and true, or false if it names no
// zone this package knows. "Local" is never resolved: it would depend on
// the machine. Surrounding white space and double quotes are ignored.
func Resolve(name string) (*time.Location, bool) {
	name = strings.Trim(strings.TrimSpace(name), `"`)
	switch {
	case name == "" || len(name) > 128 || strings.EqualFold(name, "Local"):
		return nil, false
	case strings.EqualFold(name, "UTC") || strings.EqualFold(name, "tzone://Microsoft/Utc"):
		return time.UTC, true
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc, true
	}
	if iana, ok := windowsZones[name]; ok {
		if loc, err := time.LoadLocation(iana); err == nil {
			return loc, true
		}
	}
	// A vendor prefix: try every tail that follows a slash.
	for i := 0; i < len(name)-1; i++ {
		if name[i] != '/' {
			continue
		}
		if tail := name[i+1:]; tail != "Local" {
			if loc, err := time.LoadLocation(tail); err == nil {
				return loc, true
			}
		}
	}
	return nil, false
}
