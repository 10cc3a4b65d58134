package dynamo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Keys. Every key is built here from ids that slotbook.ValidID accepted,
// which cannot contain '#', so no id can reach into another key's space.
//
//	PK C#<company>               SK CO                   company settings
//	                             SK E#<employee>         employee
//	                             SK S#<service>          service
//	                             SK BI#<booking>         booking id → its key (TTL while pending)
//	                             SK I#<sha256(key)>      Idempotency-Key record (TTL 24 h)
//	                             SK N#<nonce>            used one-time value (TTL at its expiry)
//	                             SK M#<booking>#<id>     a booking's notification (outbox entry, then
//	                                                     its delivery record); while pending it is in
//	                                                     the sparse index OutboxIndex (outbox, outboxDue)
//	PK C#<company>#E#<employee>  SK AV                   availability
//	                             SK X#<start>#<absence>  absence (start: UTC, fixed width)
//	                             SK XI#<absence>         absence id → its key
//	                             SK B#<start>#<booking>  live booking: pending (TTL) or confirmed
//	                             SK BC#<start>#<booking> cancelled booking, kept out of the B# range
//	                             SK V#<date>             version of a UTC day's bookings
//	                             SK K#<connection>       calendar connection (secret sealed)
//	                             SK KD                   the employee's default connection
//	PK SWEEP                     SK C#<company>#E#<employee>#R#<event key>
//	                                                     an event to remove (EventRemoval): the
//	                                                     sweeper reads this one partition
//
// The SWEEP partition holds only what is in flight (a claim's removal-if-
// unconfirmed lives from the claim to the confirmation, a second or so)
// and removals that a calendar has not taken yet, so it stays small; every
// booking writes it twice, far below a partition's thousand writes a
// second.
const (
	attrPK = "PK"
	attrSK = "SK"
)

func companyPK(c string) string     { return "C#" + c }
func employeePK(c, e string) string { return "C#" + c + "#E#" + e }

const skCompany = "CO"
const skAvailability = "AV"

func skEmployee(e string) string   { return "E#" + e }
func skService(s string) string    { return "S#" + s }
func skBookingRef(b string) string { return "BI#" + b }
func skAbsenceRef(a string) string { return "XI#" + a }
func skVersion(d string) string    { return "V#" + d }

// timeKey writes t in UTC with a fixed width, so that keys sort by time.
func timeKey(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func skAbsence(start time.Time, id string) string   { return "X#" + timeKey(start) + "#" + id }
func skBooking(start time.Time, id string) string   { return "B#" + timeKey(start) + "#" + id }
func skCancelled(start time.Time, id string) string { return "BC#" + timeKey(start) + "#" + id }
func skNonce(n string) string                       { return "N#" + n }

// pkSweep is the partition of every company's EventRemovals.
const pkSweep = "SWEEP"

// skRemoval is the sort key of an employee's removal of the event with key;
// event keys are booking ids with an optional ".suffix", so they hold no '#'.
func skRemoval(c, e, eventKey string) string { return removalPrefix(c, e) + eventKey }

func removalPrefix(c, e string) string { return "C#" + c + "#E#" + e + "#R#" }

// pendingTTL is how long after its PendingUntil an abandoned pending
// booking (and its reference) is swept away by the table's TTL.
const pendingTTL = 24 * time.Hour

// key is the primary key of one item.
type key struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
}

type companyItem struct {
	key
	Name          string `dynamodbav:"name"`
	Timezone      string `dynamodbav:"timezone"`
	Interval      int    `dynamodbav:"bookingIntervalMinutes"`
	Notice        int    `dynamodbav:"minNoticeMinutes"`
	Horizon       int    `dynamodbav:"horizonDays"`
	SupportAccess bool   `dynamodbav:"supportAccess"`
	// The notification settings; a company written before them has none
	// and reads with slotbook's defaults.
	Language        string `dynamodbav:"language,omitempty"`
	ReminderMinutes int    `dynamodbav:"reminderMinutesBefore"`
	NotifyEmployees bool   `dynamodbav:"notifyEmployees"`
	CancelNotice    int    `dynamodbav:"cancelNoticeMinutes"`
	// MaxReschedules is nil on a company written before it: the default.
	MaxReschedules *int `dynamodbav:"maxCustomerReschedules"`
	RetentionDays  int  `dynamodbav:"retentionDays,omitempty"`
}

func companyToItem(c slotbook.Company) companyItem {
	return companyItem{key{companyPK(c.ID), skCompany}, c.Name, c.Timezone, c.BookingIntervalMinutes, c.MinNoticeMinutes, c.HorizonDays, c.SupportAccess,
		string(c.Language), c.ReminderMinutesBefore, c.NotifyEmployees, c.CancelNoticeMinutes, &c.MaxCustomerReschedules, c.RetentionDays}
}

func (i companyItem) company(id string) slotbook.Company {
	c := slotbook.Company{ID: id, Name: i.Name, Timezone: i.Timezone, BookingIntervalMinutes: i.Interval,
		MinNoticeMinutes: i.Notice, HorizonDays: i.Horizon, SupportAccess: i.SupportAccess,
		Language: slotbook.Language(i.Language), ReminderMinutesBefore: i.ReminderMinutes, NotifyEmployees: i.NotifyEmployees,
		CancelNoticeMinutes: i.CancelNotice, MaxCustomerReschedules: slotbook.DefaultMaxCustomerReschedules,
		RetentionDays: i.RetentionDays,
	}
	if i.MaxReschedules != nil {
		c.MaxCustomerReschedules = *i.MaxReschedules
	}
	return c.WithNotificationDefaults()
}

type employeeItem struct {
	key
	ID       string `dynamodbav:"id"`
	Name     string `dynamodbav:"name"`
	Email    string `dynamodbav:"email"`
	Timezone string `dynamodbav:"timezone"`
}

func employeeToItem(c string, e slotbook.Employee) employeeItem {
	return employeeItem{key{companyPK(c), skEmployee(e.ID)}, e.ID, e.Name, e.Email, e.Timezone}
}

func (i employeeItem) employee() slotbook.Employee {
	return slotbook.Employee{ID: i.ID, Name: i.Name, Email: i.Email, Timezone: i.Timezone}
}

type availabilityItem struct {
	key
	Weekly    []weeklyAttr   `dynamodbav:"weekly"`
	Overrides []overrideAttr `dynamodbav:"overrides"`
}

type weeklyAttr struct {
	Weekday int `dynamodbav:"d"`
	Start   int `dynamodbav:"s"`
	End     int `dynamodbav:"e"`
}

type overrideAttr struct {
	Date   string      `dynamodbav:"date"`
	Ranges []rangeAttr `dynamodbav:"r"`
}

type rangeAttr struct {
	Start int `dynamodbav:"s"`
	End   int `dynamodbav:"e"`
}

func availabilityToItem(c, e string, a slotbook.Availability) availabilityItem {
	it := availabilityItem{key: key{employeePK(c, e), skAvailability}, Weekly: []weeklyAttr{}, Overrides: []overrideAttr{}}
	for _, w := range a.Weekly {
		it.Weekly = append(it.Weekly, weeklyAttr{int(w.Weekday), int(w.Start), int(w.End)})
	}
	for _, o := range a.Overrides {
		ov := overrideAttr{Date: o.Date.String(), Ranges: []rangeAttr{}}
		for _, r := range o.Intervals {
			ov.Ranges = append(ov.Ranges, rangeAttr{int(r.Start), int(r.End)})
		}
		it.Overrides = append(it.Overrides, ov)
	}
	return it
}

func (i availabilityItem) availability() (slotbook.Availability, error) {
	a := slotbook.Availability{Weekly: []slotbook.WeeklyHours{}, Overrides: []slotbook.DateOverride{}}
	for _, w := range i.Weekly {
		a.Weekly = append(a.Weekly, slotbook.WeeklyHours{Weekday: time.Weekday(w.Weekday), Start: schedule.Clock(w.Start), End: schedule.Clock(w.End)})
	}
	for _, o := range i.Overrides {
		d, err := schedule.ParseDate(o.Date)
		if err != nil {
			return slotbook.Availability{}, fmt.Errorf("stored override: %w", err)
		}
		ov := slotbook.DateOverride{Date: d, Intervals: []schedule.Range{}}
		for _, r := range o.Ranges {
			ov.Intervals = append(ov.Intervals, schedule.Range{Start: schedule.Clock(r.Start), End: schedule.Clock(r.End)})
		}
		a.Overrides = append(a.Overrides, ov)
	}
	return a, nil
}

type absenceItem struct {
	key
	ID     string    `dynamodbav:"id"`
	Start  time.Time `dynamodbav:"start"`
	End    time.Time `dynamodbav:"end"`
	Reason string    `dynamodbav:"reason"`
}

// refItem points from an id to the sort key of the item it names.
type refItem struct {
	key
	Target string `dynamodbav:"target"`
	TTL    int64  `dynamodbav:"ttl,omitempty"` // a pending booking's, like the booking's
}

func (i absenceItem) absence() slotbook.Absence {
	return slotbook.Absence{ID: i.ID, Start: i.Start, End: i.End, Reason: i.Reason}
}

type serviceItem struct {
	key
	ID           string   `dynamodbav:"id"`
	Name         string   `dynamodbav:"name"`
	Duration     int      `dynamodbav:"durationMinutes"`
	BufferBefore int      `dynamodbav:"bufferBeforeMinutes"`
	BufferAfter  int      `dynamodbav:"bufferAfterMinutes"`
	Employees    []string `dynamodbav:"employees"`
}

func serviceToItem(c string, s slotbook.Service) serviceItem {
	emps := s.Employees
	if emps == nil {
		emps = []string{}
	}
	return serviceItem{key{companyPK(c), skService(s.ID)}, s.ID, s.Name, s.DurationMinutes, s.BufferBeforeMinutes, s.BufferAfterMinutes, emps}
}

func (i serviceItem) service() slotbook.Service {
	emps := i.Employees
	if emps == nil {
		emps = []string{}
	}
	return slotbook.Service{ID: i.ID, Name: i.Name, DurationMinutes: i.Duration, BufferBeforeMinutes: i.BufferBefore,
		BufferAfterMinutes: i.BufferAfter, Employees: emps}
}

type bookingItem struct {
	key
	ID            string        `dynamodbav:"id"`
	EmployeeID    string        `dynamodbav:"employee"`
	ServiceID     string        `dynamodbav:"service"`
	Start         time.Time     `dynamodbav:"start"`
	End           time.Time     `dynamodbav:"end"`
	BufferBefore  time.Duration `dynamodbav:"bufferBeforeNs"`
	BufferAfter   time.Duration `dynamodbav:"bufferAfterNs"`
	CustomerName  string        `dynamodbav:"customerName"`
	CustomerEmail string        `dynamodbav:"customerEmail"`
	CustomerPhone string        `dynamodbav:"customerPhone"`
	Notes         string        `dynamodbav:"notes"`
	CreatedAt     time.Time     `dynamodbav:"createdAt"`
	Status        string        `dynamodbav:"status"`
	// PendingNs is PendingUntil in Unix nanoseconds, for conditions.
	PendingNs       int64  `dynamodbav:"pendingNs"`
	CancelTokenHash []byte `dynamodbav:"cancelTokenHash"`
	EventConnection string `dynamodbav:"eventConnection"`
	EventKey        string `dynamodbav:"eventKey"`
	EventID         string `dynamodbav:"eventId"`
	Lang            string `dynamodbav:"lang,omitempty"`
	Sequence        int    `dynamodbav:"seq"`
	Reschedules     int    `dynamodbav:"reschedules"`
	ByCustomer      int    `dynamodbav:"customerReschedules"`
	Anonymized      bool   `dynamodbav:"anonymized,omitempty"`
	// Customer puts the booking into CustomerIndex while it holds
	// customer data: a hash of company and e-mail, never the e-mail.
	Customer string `dynamodbav:"cust,omitempty"`
	TTL      int64  `dynamodbav:"ttl,omitempty"` // pending only
}

func bookingToItem(c string, b slotbook.Booking) bookingItem {
	sk := skBooking(b.Start, b.ID)
	if b.Status == slotbook.Cancelled {
		sk = skCancelled(b.Start, b.ID)
	}
	it := bookingItem{
		key: key{employeePK(c, b.EmployeeID), sk},
		ID:  b.ID, EmployeeID: b.EmployeeID, ServiceID: b.ServiceID, Start: b.Start, End: b.End,
		BufferBefore: b.BufferBefore, BufferAfter: b.BufferAfter,
		CustomerName: b.Customer.Name, CustomerEmail: b.Customer.Email, CustomerPhone: b.Customer.Phone,
		Notes: b.Notes, CreatedAt: b.CreatedAt, Status: string(b.Status),
		CancelTokenHash: b.CancelTokenHash, EventConnection: b.Event.Connection, EventKey: b.Event.Key, EventID: b.Event.EventID,
		Lang: string(b.Lang), Sequence: b.Sequence, Reschedules: b.Reschedules, ByCustomer: b.CustomerReschedules,
		Anonymized: b.Anonymized, Customer: customerKey(c, b.Customer.Email),
	}
	if !b.PendingUntil.IsZero() {
		it.PendingNs = b.PendingUntil.UnixNano()
	}
	if b.Status == slotbook.Pending {
		it.TTL = b.PendingUntil.Add(pendingTTL).Unix()
	}
	return it
}

func (i bookingItem) booking() slotbook.Booking {
	b := slotbook.Booking{
		ID: i.ID, EmployeeID: i.EmployeeID, ServiceID: i.ServiceID, Start: i.Start, End: i.End,
		BufferBefore: i.BufferBefore, BufferAfter: i.BufferAfter,
		Customer: slotbook.Customer{Name: i.CustomerName, Email: i.CustomerEmail, Phone: i.CustomerPhone},
		Notes:    i.Notes, CreatedAt: i.CreatedAt, Status: slotbook.BookingStatus(i.Status),
		CancelTokenHash: i.CancelTokenHash, Event: slotbook.EventRef{Connection: i.EventConnection, Key: i.EventKey, EventID: i.EventID},
		Lang: slotbook.Language(i.Lang), Sequence: i.Sequence, Reschedules: i.Reschedules, CustomerReschedules: i.ByCustomer,
		Anonymized: i.Anonymized,
	}
	if i.PendingNs != 0 {
		b.PendingUntil = time.Unix(0, i.PendingNs)
	}
	return b
}

// idempotencyItem remembers an Idempotency-Key. The key is hashed into the
// sort key, so that no client string becomes part of a key.
type idempotencyItem struct {
	key
	Key         string    `dynamodbav:"key"`
	Fingerprint string    `dynamodbav:"fingerprint"`
	BookingID   string    `dynamodbav:"bookingId"`
	EmployeeID  string    `dynamodbav:"employee"`
	CreatedAt   time.Time `dynamodbav:"createdAt"`
	ExpiresAt   time.Time `dynamodbav:"expiresAt"`
	// ExpiresNs decides expiry in conditions; TTL only sweeps up later.
	ExpiresNs         int64  `dynamodbav:"expiresNs"`
	TTL               int64  `dynamodbav:"ttl"` // the table's TTL attribute, Unix seconds
	SealedCancelToken []byte `dynamodbav:"sealedCancelToken"`
}

func skIdempotency(k string) string {
	sum := sha256.Sum256([]byte(k))
	return "I#" + hex.EncodeToString(sum[:])
}

func idempotencyToItem(c string, r slotbook.Idempotency) idempotencyItem {
	return idempotencyItem{key{companyPK(c), skIdempotency(r.Key)}, r.Key, r.Fingerprint, r.BookingID, r.EmployeeID,
		r.CreatedAt, r.ExpiresAt, r.ExpiresAt.UnixNano(), r.ExpiresAt.Unix() + 1, r.SealedCancelToken}
}

func (i idempotencyItem) idempotency() slotbook.Idempotency {
	return slotbook.Idempotency{Key: i.Key, Fingerprint: i.Fingerprint, BookingID: i.BookingID, EmployeeID: i.EmployeeID,
		CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt, SealedCancelToken: i.SealedCancelToken}
}

// removalItem is an EventRemoval in the SWEEP partition.
type removalItem struct {
	key
	Company    string    `dynamodbav:"company"`
	Employee   string    `dynamodbav:"employee"`
	Booking    string    `dynamodbav:"booking"`
	Connection string    `dynamodbav:"connection"`
	EventKey   string    `dynamodbav:"eventKey"`
	EventID    string    `dynamodbav:"eventId"`
	Start      time.Time `dynamodbav:"start"`
	End        time.Time `dynamodbav:"end"`
	Reason     string    `dynamodbav:"reason"`
	Due        time.Time `dynamodbav:"due"`
	// DueNs is Due in Unix nanoseconds, for the sweeper's filter.
	DueNs    int64  `dynamodbav:"dueNs"`
	Attempts int    `dynamodbav:"attempts"`
	Version  string `dynamodbav:"version"`
}

func removalToItem(r slotbook.EventRemoval) removalItem {
	return removalItem{
		key:     key{pkSweep, skRemoval(r.CompanyID, r.EmployeeID, r.Event.Key)},
		Company: r.CompanyID, Employee: r.EmployeeID, Booking: r.BookingID,
		Connection: r.Event.Connection, EventKey: r.Event.Key, EventID: r.Event.EventID,
		Start: r.Start, End: r.End, Reason: string(r.Reason), Due: r.Due, DueNs: r.Due.UnixNano(),
		Attempts: r.Attempts, Version: r.Version,
	}
}

func (i removalItem) removal() slotbook.EventRemoval {
	return slotbook.EventRemoval{
		CompanyID: i.Company, EmployeeID: i.Employee, BookingID: i.Booking,
		Event: slotbook.EventRef{Connection: i.Connection, Key: i.EventKey, EventID: i.EventID},
		Start: i.Start, End: i.End, Reason: slotbook.RemovalReason(i.Reason), Due: i.Due,
		Attempts: i.Attempts, Version: i.Version,
	}
}

// nonceItem records a used one-time value until it expires.
type nonceItem struct {
	key
	ExpiresNs int64 `dynamodbav:"expiresNs"`
	TTL       int64 `dynamodbav:"ttl"`
}

// TTLAttribute is the table's time-to-live attribute (Unix seconds).
const TTLAttribute = "ttl"

type versionItem struct {
	key
	Version int64 `dynamodbav:"v"`
}
