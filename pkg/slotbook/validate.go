package slotbook

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // LoadZone must work where the system has no zone database (provided.al2023)
	"unicode"
	"unicode/utf8"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// Limits on what slotbook accepts.
const (
	MaxNameLength         = 200
	MaxEmailLength        = 254
	MaxReasonLength       = 200
	MaxIDLength           = 64
	MinBookingInterval    = 5
	MaxBookingInterval    = 240
	MaxMinNotice          = 525600 // a year, in minutes
	MaxHorizonDays        = 730
	MinServiceDuration    = 5
	MaxServiceDuration    = 1440
	MaxBuffer             = 1440
	MaxWeeklyHours        = 70
	MaxOverrides          = 400
	MaxOverrideIntervals  = 10
	MaxServiceEmployees   = 500
	MaxAbsenceDays        = 366
	MaxTimezoneNameLength = 64
)

// PlainAddress reports whether s is a bare e-mail address — local@domain,
// no display name, no angle brackets, no white space — of at most
// MaxEmailLength bytes: what a customer or employee address must be, and
// how a calendar provider tells a mailbox address from an opaque calendar
// id.
func PlainAddress(s string) bool {
	if s == "" || len(s) > MaxEmailLength || strings.ContainsAny(s, " \t\r\n<>") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// ValidID reports whether s can be an id: 1 to 64 letters, digits, '-' and
// '_', starting with a letter or digit. Ids become parts of storage keys,
// so nothing else is allowed in them.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

var idEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewID returns a new random id of 26 characters.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand documents it)
	return idEncoding.EncodeToString(b[:])
}

var zones sync.Map // name → *time.Location

// LoadZone returns the IANA zone called name, or an error if there is no
// such zone. It accepts only real IANA names ("Europe/Zurich", "UTC"), not
// "Local" or file paths.
func LoadZone(name string) (*time.Location, error) {
	if z, ok := zones.Load(name); ok {
		return z.(*time.Location), nil
	}
	if name == "" || name == "Local" || len(name) > MaxTimezoneNameLength ||
		strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
		return nil, fmt.Errorf("slotbook: %q is not an IANA time zone", name)
	}
	z, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("slotbook: %q is not an IANA time zone", name)
	}
	zones.Store(name, z)
	return z, nil
}

// The dates slotbook takes. A date, or a time whose date, lies outside them
// is refused (Invalid, naming the field), so that no stored key and no
// range can roll over into the year 10000.
var (
	FirstDate = schedule.Date{Year: 2000, Month: time.January, Day: 1}
	LastDate  = schedule.Date{Year: 2199, Month: time.December, Day: 31}
)

// DateInRange reports whether d lies within FirstDate … LastDate.
func DateInRange(d schedule.Date) bool {
	return !d.Before(FirstDate) && !LastDate.Before(d)
}

// TimeInRange reports whether t's date in UTC lies within FirstDate …
// LastDate.
func TimeInRange(t time.Time) bool {
	return DateInRange(schedule.DateOf(t.UTC()))
}

// DateRangeMessage says which dates are taken, for a field error.
var DateRangeMessage = fmt.Sprintf("must lie between %s and %s", FirstDate, LastDate)

// CleanName makes a name that an external calendar sent fit to keep and
// to show: invalid UTF-8, control and format characters out (line breaks
// and tabs become spaces; the zero-width joiner of emoji stays), runs of
// spaces folded, trimmed, and at most MaxNameLength characters. A server
// may send anything, of any size.
func CleanName(s string) string {
	var b strings.Builder
	n, space := 0, false
	for _, r := range s {
		if n == MaxNameLength {
			break
		}
		switch {
		case r == utf8.RuneError:
			continue
		case unicode.IsSpace(r):
			space = n > 0
			continue
		case unicode.Is(unicode.Cc, r), unicode.Is(unicode.Cf, r) && r != '\u200d', unicode.Is(unicode.Co, r):
			continue
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
			if n == MaxNameLength {
				break
			}
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

func checkName(p *Problems, field, s string, required bool) {
	switch {
	case strings.TrimSpace(s) == "":
		if required {
			p.Add(field, "is required")
		}
	case !utf8.ValidString(s):
		p.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > MaxNameLength:
		p.Add(field, "must be at most %d characters", MaxNameLength)
	case strings.ContainsFunc(s, isControl):
		p.Add(field, "must not contain control characters")
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func checkRange(p *Problems, field string, v, lo, hi int) {
	if v < lo || v > hi {
		p.Add(field, "must be between %d and %d", lo, hi)
	}
}

func checkZone(p *Problems, field, name string, required bool) {
	if name == "" && !required {
		return
	}
	if _, err := LoadZone(name); err != nil {
		p.Add(field, "must be an IANA time zone such as Europe/Zurich")
	}
}

// Validate checks the company's settings.
func (c Company) Validate() error {
	var p Problems
	checkName(&p, "name", c.Name, true)
	checkZone(&p, "timezone", c.Timezone, true)
	checkRange(&p, "bookingIntervalMinutes", c.BookingIntervalMinutes, MinBookingInterval, MaxBookingInterval)
	checkRange(&p, "minNoticeMinutes", c.MinNoticeMinutes, 0, MaxMinNotice)
	checkRange(&p, "horizonDays", c.HorizonDays, 1, MaxHorizonDays)
	if !ValidLanguage(c.Language) {
		p.Add("language", "must be de or en")
	}
	checkRange(&p, "reminderMinutesBefore", c.ReminderMinutesBefore, 0, MaxReminderMinutesBefore)
	checkRange(&p, "cancelNoticeMinutes", c.CancelNoticeMinutes, 0, MaxCancelNoticeMinutes)
	checkRange(&p, "maxCustomerReschedules", c.MaxCustomerReschedules, 0, MaxMaxCustomerReschedules)
	checkRange(&p, "retentionDays", c.RetentionDays, 0, MaxRetentionDays)
	return p.Err()
}

// Validate checks an employee.
func (e Employee) Validate() error {
	var p Problems
	if !ValidID(e.ID) {
		p.Add("id", "must be 1 to 64 letters, digits, '-' or '_'")
	} else if e.ID == AnyEmployee {
		p.Add("id", "must not be %q, which stands for any employee", AnyEmployee)
	}
	checkName(&p, "name", e.Name, true)
	if e.Email != "" {
		if !PlainAddress(e.Email) {
			p.Add("email", "must be a plain e-mail address such as ana@example.com")
		}
	}
	checkZone(&p, "timezone", e.Timezone, false)
	return p.Err()
}

// Validate checks a service.
func (s Service) Validate() error {
	var p Problems
	if !ValidID(s.ID) {
		p.Add("id", "must be 1 to 64 letters, digits, '-' or '_'")
	}
	checkName(&p, "name", s.Name, true)
	checkRange(&p, "durationMinutes", s.DurationMinutes, MinServiceDuration, MaxServiceDuration)
	checkRange(&p, "bufferBeforeMinutes", s.BufferBeforeMinutes, 0, MaxBuffer)
	checkRange(&p, "bufferAfterMinutes", s.BufferAfterMinutes, 0, MaxBuffer)
	if len(s.Employees) > MaxServiceEmployees {
		p.Add("employees", "must list at most %d employees", MaxServiceEmployees)
	}
	seen := make(map[string]bool, len(s.Employees))
	for i, id := range s.Employees {
		field := fmt.Sprintf("employees[%d]", i)
		switch {
		case !ValidID(id):
			p.Add(field, "is not an employee id")
		case seen[id]:
			p.Add(field, "lists %s twice", id)
		}
		seen[id] = true
	}
	return p.Err()
}

// Validate checks that no two intervals of a day overlap and each ends after
// it starts.
func (a Availability) Validate() error {
	var p Problems
	if len(a.Weekly) > MaxWeeklyHours {
		p.Add("weekly", "must have at most %d entries", MaxWeeklyHours)
	}
	byDay := make(map[time.Weekday][]schedule.Range)
	for i, w := range a.Weekly {
		field := fmt.Sprintf("weekly[%d]", i)
		if w.End <= w.Start {
			p.Add(field+".end", "must be after start")
			continue
		}
		r := schedule.Range{Start: w.Start, End: w.End}
		if overlapsAny(byDay[w.Weekday], r) {
			p.Add(field, "overlaps another interval on %s", strings.ToLower(w.Weekday.String()))
		}
		byDay[w.Weekday] = append(byDay[w.Weekday], r)
	}
	if len(a.Overrides) > MaxOverrides {
		p.Add("overrides", "must have at most %d entries", MaxOverrides)
	}
	dates := make(map[schedule.Date]bool, len(a.Overrides))
	for i, o := range a.Overrides {
		field := fmt.Sprintf("overrides[%d]", i)
		if !DateInRange(o.Date) {
			p.Add(field+".date", "%s", DateRangeMessage)
		}
		if dates[o.Date] {
			p.Add(field+".date", "%s has another override", o.Date)
		}
		dates[o.Date] = true
		if len(o.Intervals) > MaxOverrideIntervals {
			p.Add(field+".intervals", "must have at most %d entries", MaxOverrideIntervals)
		}
		var seen []schedule.Range
		for j, r := range o.Intervals {
			f := fmt.Sprintf("%s.intervals[%d]", field, j)
			if r.End <= r.Start {
				p.Add(f+".end", "must be after start")
				continue
			}
			if overlapsAny(seen, r) {
				p.Add(f, "overlaps another interval of the date")
			}
			seen = append(seen, r)
		}
	}
	return p.Err()
}

func overlapsAny(rs []schedule.Range, r schedule.Range) bool {
	for _, x := range rs {
		if r.Start < x.End && x.Start < r.End {
			return true
		}
	}
	return false
}

// Validate checks an absence.
func (a Absence) Validate() error {
	var p Problems
	if !ValidID(a.ID) {
		p.Add("id", "must be 1 to 64 letters, digits, '-' or '_'")
	}
	switch {
	case !TimeInRange(a.Start):
		p.Add("start", "%s", DateRangeMessage)
	case !TimeInRange(a.End):
		p.Add("end", "%s", DateRangeMessage)
	case !a.End.After(a.Start):
		p.Add("end", "must be after start")
	case a.End.Sub(a.Start) > MaxAbsenceDays*24*time.Hour:
		p.Add("end", "an absence may last at most %d days", MaxAbsenceDays)
	}
	if utf8.RuneCountInString(a.Reason) > MaxReasonLength || !utf8.ValidString(a.Reason) {
		p.Add("reason", "must be valid text of at most %d characters", MaxReasonLength)
	}
	return p.Err()
}
