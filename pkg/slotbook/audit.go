package slotbook

import (
	"context"
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

// RecordAudit appends an entry for the caller in ctx (or the customer,
// without one) to the company's audit log. A failure is logged and
// returned; the change it records stands.
func (a *App) RecordAudit(ctx context.Context, companyID, action, target string) error {
	actor, role := ActorCustomer, ActorCustomer
	if p, ok := PrincipalFrom(ctx); ok {
		actor, role = p.Subject, string(p.Role)
	}
	return a.appendAudit(ctx, companyID, actor, role, action, target)
}

// recordSystemAudit appends an entry of slotbook's own (the sweeper's).
func (a *App) recordSystemAudit(ctx context.Context, companyID, action, target string) {
	a.appendAudit(ctx, companyID, ActorSystem, ActorSystem, action, target)
}

func (a *App) appendAudit(ctx context.Context, companyID, actor, role, action, target string) error {
	now := a.now()
	e := AuditEntry{ID: NewID(), At: now, Actor: actor, Role: role, Action: action, Target: target,
		Expires: now.Add(AuditRetentionDays * 24 * time.Hour)}
	err := a.store.AppendAudit(ctx, companyID, e)
	if err != nil {
		a.log.ErrorContext(ctx, "audit entry not written", "company", companyID, "action", action, "code", string(ErrorCode(err)))
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
