package slotbook

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// AuditEntry records one change of a company's data, or one look of the
// vendor's support into it: who, as what, did what to which ids, when. It
// holds ids, never customer data or anything of an external calendar.
type AuditEntry struct {
	ID string
	At time.Time
	// Actor is the caller's sub; "customer" for a customer with the
	// widget (booking, or cancel token), "slotbook" for the system.
	Actor string
	Role  string
	// Action is the route: the method and the path below the company,
	// "POST /bookings/{bookingId}/reschedule".
	Action string
	// Target names the ids the action concerned: "bookingId=…".
	Target string
	// Expires is when the entry may be dropped.
	Expires time.Time
}

// Audit retention.
const (
	// AuditRetentionDays is how long audit entries are kept.
	AuditRetentionDays = 730
	// MaxAuditRangeDays bounds one read of the log.
	MaxAuditRangeDays = 366
)

// The actors that are not signed-in users.
const (
	ActorCustomer = "customer"
	ActorSystem   = "slotbook"
)

// AuditDraft is the audit entry of a request in progress. The request's
// context carries it (WithAuditDraft) to the store, and a store whose
// writes are atomic puts it in the same write as the first change the
// request makes — one DynamoDB transaction — so that no change commits
// unrecorded. Later writes of the request find it written and leave it be.
// A request that changed nothing (a read, or a store without such writes)
// has it appended when it ends (App.EndAudit).
type AuditDraft struct {
	// CompanyID is the company whose log the entry joins.
	CompanyID string

	mu      sync.Mutex
	entry   AuditEntry
	written bool
}

// Entry returns the entry as it stands.
func (d *AuditDraft) Entry() AuditEntry {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.entry
}

// Written records that a committed write carried the entry.
func (d *AuditDraft) Written() {
	d.mu.Lock()
	d.written = true
	d.mu.Unlock()
}

// pending reports whether no write has carried the entry yet.
func (d *AuditDraft) pending() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.written
}

// NewAuditDraft returns a draft of entry e for companyID's log.
func NewAuditDraft(companyID string, e AuditEntry) *AuditDraft {
	return &AuditDraft{CompanyID: companyID, entry: e}
}

type auditDraftKey struct{}

// WithAuditDraft returns ctx carrying d (nil: none).
func WithAuditDraft(ctx context.Context, d *AuditDraft) context.Context {
	return context.WithValue(ctx, auditDraftKey{}, d)
}

// PendingAudit returns the audit entry of ctx's request if no write has
// carried it yet: a store that writes atomically adds it to its next write
// and calls Written once that write has committed.
func PendingAudit(ctx context.Context) (*AuditDraft, bool) {
	d, _ := ctx.Value(auditDraftKey{}).(*AuditDraft)
	if d == nil || !d.pending() {
		return nil, false
	}
	return d, true
}

// auditCreated adds the id of what ctx's request creates to its audit
// entry's target; called before the write that creates it, so that the
// entry written with it names it.
func auditCreated(ctx context.Context, id string) {
	if d, _ := ctx.Value(auditDraftKey{}).(*AuditDraft); d != nil {
		d.Created(id)
	}
}

// Created adds "id=<id>" to the entry's target unless it names it already.
func (d *AuditDraft) Created(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	part := "id=" + id
	if slices.Contains(strings.Split(d.entry.Target, ","), part) {
		return
	}
	if d.entry.Target != "" {
		d.entry.Target += ","
	}
	d.entry.Target += part
}

// BeginAudit starts the audit entry of a request by the caller in ctx (or
// a customer, without one) and returns ctx carrying it: action is the
// route, target the ids of its path.
func (a *App) BeginAudit(ctx context.Context, companyID, action, target string) (context.Context, *AuditDraft) {
	actor, role := ActorCustomer, ActorCustomer
	if p, ok := PrincipalFrom(ctx); ok {
		actor, role = p.Subject, string(p.Role)
	}
	d := NewAuditDraft(companyID, a.auditEntry(actor, role, action, target))
	return WithAuditDraft(ctx, d), d
}

// EndAudit ends the request of d: if it succeeded and no write carried
// the entry (a read, or a store that cannot add it to its writes), the
// entry is appended now. A failure is logged and returned; what the
// request did stands. A request that failed after a write carried its
// entry (a booking claimed, then released) keeps it: it changed the table.
func (a *App) EndAudit(ctx context.Context, d *AuditDraft, succeeded bool) error {
	if !succeeded || !d.pending() {
		return nil
	}
	d.Written()
	return a.writeAudit(WithAuditDraft(ctx, nil), d.CompanyID, d.Entry())
}

// recordSystemAudit appends an entry of slotbook's own (the sweeper's).
func (a *App) recordSystemAudit(ctx context.Context, companyID, action, target string) {
	a.writeAudit(WithAuditDraft(ctx, nil), companyID, a.auditEntry(ActorSystem, ActorSystem, action, target))
}

func (a *App) auditEntry(actor, role, action, target string) AuditEntry {
	now := a.now()
	return AuditEntry{ID: NewID(), At: now, Actor: actor, Role: role, Action: action, Target: target,
		Expires: now.Add(AuditRetentionDays * 24 * time.Hour)}
}

func (a *App) writeAudit(ctx context.Context, companyID string, e AuditEntry) error {
	err := a.store.AppendAudit(ctx, companyID, e)
	if err != nil {
		a.log.ErrorContext(ctx, "audit entry not written", "company", companyID, "action", e.Action, "code", string(ErrorCode(err)))
	}
	return err
}

// AuditLog returns the company's audit entries of the dates from–to (the
// company's zone, inclusive; zero dates: the last 30 days), oldest first:
// to admins, and to support while the company allows it.
func (a *App) AuditLog(ctx context.Context, companyID string, from, to schedule.Date) ([]AuditEntry, error) {
	c, err := a.authorize(ctx, companyID, Read, "")
	if err != nil {
		return nil, err
	}
	if p, _ := PrincipalFrom(ctx); p.Role == RoleStaff {
		return nil, Errorf(Forbidden, "Only admins read the audit log.")
	}
	zone, err := LoadZone(c.Timezone)
	if err != nil {
		return nil, err
	}
	if to == (schedule.Date{}) {
		to = schedule.DateOf(a.now().In(zone))
	}
	if from == (schedule.Date{}) {
		from = to.AddDays(-30)
	}
	if to.Before(from) || from.DaysUntil(to) >= MaxAuditRangeDays {
		return nil, FieldErrorf("to", "must not be before from, and at most %d days after it", MaxAuditRangeDays-1)
	}
	list, err := a.store.AuditEntries(ctx, companyID, schedule.At(from, 0, zone), schedule.At(to.AddDays(1), 0, zone))
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].At = list[i].At.In(zone)
	}
	return list, nil
}
