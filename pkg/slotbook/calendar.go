package slotbook

import (
	"context"
	"errors"
	"time"
)

// Provider names a kind of external calendar.
type Provider string

// The providers slotbook reads and writes.
const (
	Google    Provider = "google"    // Google Calendar, OAuth 2
	Microsoft Provider = "microsoft" // Microsoft 365 / Exchange Online through Graph, OAuth 2
	CalDAV    Provider = "caldav"    // iCloud, Nextcloud, Fastmail, … with user and password
	ICS       Provider = "ics"       // a read-only iCalendar feed
)

// ConnectionStatus says whether slotbook can reach a connected calendar.
type ConnectionStatus string

// The statuses of a connection.
const (
	Connected ConnectionStatus = "connected"
	// NeedsReauth: the provider refused the stored credentials (a revoked
	// or expired refresh token); the employee must connect again.
	NeedsReauth ConnectionStatus = "needs_reauth"
)

// Connection links an employee to one external calendar. It holds no
// calendar data; its secret is sealed and is opened only for one request.
type Connection struct {
	ID         string
	EmployeeID string
	Provider   Provider
	// Account identifies the account: the e-mail address of a Google or
	// Microsoft account, the user name of a CalDAV account, the host of an
	// ICS feed.
	Account string
	// CalendarID is the provider's id of the calendar: a Google calendar
	// id, a Graph calendar id, a CalDAV calendar's path, the feed URL.
	CalendarID string
	Name       string
	// URL is the CalDAV server or the ICS feed; empty for OAuth providers.
	URL string
	// Username is the CalDAV user name.
	Username string

	CheckConflicts bool // its busy times block slots
	ShowInOverview bool // the dashboard may show its events' titles
	IsDefault      bool // bookings are written here; at most one per employee
	Status         ConnectionStatus
	// SealedSecret is the OAuth refresh token or the CalDAV password,
	// sealed for (company, employee, connection). Never shown.
	SealedSecret []byte
	CreatedAt    time.Time
	// PendingRemovals counts the events of cancelled or abandoned bookings
	// that wait to be removed from this calendar (App.Connections counts
	// them; it is not stored).
	PendingRemovals int
}

// Account is what a provider needs to reach one account during one
// request. Secret is the opened refresh token or password: it must not be
// kept, logged or put into an error.
type Account struct {
	Provider Provider
	Email    string // Connection.Account
	URL      string // CalDAV server or ICS feed
	Username string // CalDAV user
	Secret   string
	// OnRotate, if not nil, persists a refresh token that the provider
	// issued in place of Secret (Microsoft rotates them on every refresh).
	OnRotate func(ctx context.Context, refreshToken string) error
	// OnAddress, if not nil, persists the account's mailbox address when a
	// provider learned it during a call because Email did not hold one
	// (Microsoft connections made before the address was read at connect
	// time).
	OnAddress func(ctx context.Context, address string) error
}

// CalendarInfo describes one calendar of an account.
type CalendarInfo struct {
	ID      string
	Name    string
	Primary bool // the account's main calendar, the default choice
	// ReadOnly calendars cannot take bookings.
	ReadOnly bool
	// Owner is the account's e-mail address, where the provider tells it.
	Owner string
}

// BusyResult is one calendar's busy time in a window, or why it could not
// be read.
type BusyResult struct {
	Busy []BusyInterval
	Err  error
}

// BusyInterval is a span of time in which a calendar is busy. It carries
// no title, description, attendees or location.
type BusyInterval struct {
	Start, End time.Time
}

// ExternalEvent is an event of an external calendar as the overview shows
// it: the title only where the company allows it, never stored.
type ExternalEvent struct {
	Start, End time.Time
	Title      string
	// Busy is false for events that do not block time (free, transparent).
	Busy bool
}

// EventDraft is the event a booking writes into a calendar.
type EventDraft struct {
	// Key identifies the booking; the provider derives its event id from
	// it, so that writing the same draft twice makes one event.
	Key         string
	Title       string
	Description string
	Start, End  time.Time
	TimeZone    string // IANA zone for providers that want one
}

// CalendarProvider reads and writes the calendars of one provider. Every
// method talks to the provider live and keeps nothing: no cache, no log of
// titles or bodies. Errors wrap ErrCalendarAuth when the provider refused
// the credentials (the connection then needs re-authorisation); any other
// error means the calendar could not be reached or read in time.
type CalendarProvider interface {
	// Calendars lists the account's calendars, the primary first. For
	// CalDAV and ICS it is also the test query of a new connection.
	Calendars(ctx context.Context, acct Account) ([]CalendarInfo, error)
	// Busy returns the busy times in [from, to) of each calendar of one
	// account, in the order of calendarIDs, each clipped to [from, to),
	// sorted and merged as MergeBusy returns them. A calendar the provider could
	// not read gets an Err, never an empty (free) result. An error for the
	// whole call (auth, unreachable) may be returned instead.
	Busy(ctx context.Context, acct Account, calendarIDs []string, from, to time.Time) ([]BusyResult, error)
	// Events returns the events of one calendar that overlap [from, to),
	// with titles, for the overview.
	Events(ctx context.Context, acct Account, calendarID string, from, to time.Time) ([]ExternalEvent, error)
	// PutEvent writes ev into the calendar and returns the provider's id
	// of the event. Writing the same draft (same Key) again must not make
	// a second event.
	PutEvent(ctx context.Context, acct Account, calendarID string, ev EventDraft) (eventID string, err error)
	// DeleteEvent removes an event; an event that is gone already is no error.
	DeleteEvent(ctx context.Context, acct Account, calendarID, eventID string) error
	// DeleteDraftEvent removes the event that PutEvent wrote, or may have
	// written, for draft. The caller need not know the event's id (the
	// answer to PutEvent may have been lost): the provider finds the event
	// by draft.Key, looking no further than draft.Start to draft.End. No
	// such event is no error.
	DeleteDraftEvent(ctx context.Context, acct Account, calendarID string, draft EventDraft) error
}

// OAuthProvider connects accounts of a provider through OAuth 2.
type OAuthProvider interface {
	// AuthCodeURL returns the provider's consent page for state.
	AuthCodeURL(state string) string
	// Exchange trades an authorization code for a refresh token.
	Exchange(ctx context.Context, code string) (refreshToken string, err error)
}

// ErrCalendarAuth is wrapped by provider errors that mean the stored
// credentials were refused: an OAuth invalid_grant, a 401 after refresh, a
// CalDAV 401 or 403.
var ErrCalendarAuth = errors.New("calendar credentials refused")

// ErrCalendarNotFound is wrapped by provider errors that mean the server
// has no calendar at the address given, or will not show it to this
// account: a CalDAV 404, or a 403 (which wraps ErrCalendarAuth too). When
// a calendar is connected it is the user's mistake in the URL, not an
// outage.
var ErrCalendarNotFound = errors.New("no calendar at this address")

// ErrAddressNotAllowed is wrapped by provider errors that mean a
// user-given URL (a CalDAV server, an ICS feed) leads to an address
// slotbook must not reach from where it runs: loopback, private, link-local
// or otherwise not public, or plain http where https is required.
var ErrAddressNotAllowed = errors.New("address not allowed")
