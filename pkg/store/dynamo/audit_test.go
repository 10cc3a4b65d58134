package dynamo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

// TestAuditEntryCommitsWithTheChange: a request's audit entry is written in
// the same DynamoDB write as its first change — a single put and a
// transaction alike — so the two commit together or not at all: a refused
// write leaves no entry, a write whose entry cannot be stored does not
// happen, and later writes of the request do not write it again.
func TestAuditEntryCommitsWithTheChange(t *testing.T) {
	s := dynamotest.NewStore(t)
	base := t.Context()
	company := slotbook.Company{ID: "acme", Name: "Acme", Timezone: "UTC", BookingIntervalMinutes: 15, HorizonDays: 30}
	if _, err := s.PutCompany(base, company); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2027, 3, 20, 12, 0, 0, 0, time.UTC)
	request := func(action, target string) (context.Context, slotbook.AuditEntry) {
		e := slotbook.AuditEntry{ID: slotbook.NewID(), At: at, Actor: "boss", Role: "admin", Action: action, Target: target,
			Expires: at.Add(slotbook.AuditRetentionDays * 24 * time.Hour)}
		return slotbook.WithAuditDraft(base, slotbook.NewAuditDraft("acme", e)), e
	}
	entries := func() map[string]slotbook.AuditEntry {
		t.Helper()
		list, err := s.AuditEntries(base, "acme", at.Add(-time.Hour), at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]slotbook.AuditEntry{}
		for _, e := range list {
			out[e.ID] = e
		}
		return out
	}
	pending := func(ctx context.Context) bool { _, ok := slotbook.PendingAudit(ctx); return ok }

	// A transaction (a new employee) carries it; later writes of the
	// request find it written.
	ctx, created := request("POST /employees", "id=ana")
	if err := s.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "ana", Name: "Ana"}); err != nil {
		t.Fatal(err)
	}
	if pending(ctx) {
		t.Error("the entry is still pending after the write that carried it")
	}
	if err := s.CreateService(ctx, "acme", slotbook.Service{ID: "cut", Name: "Cut", DurationMinutes: 30, Employees: []string{"ana"}}); err != nil {
		t.Fatal(err)
	}
	if got := entries(); len(got) != 1 || got[created.ID].Target != "id=ana" {
		t.Fatalf("entries %+v, want the one of the request", got)
	}

	// A single put (the settings) carries it too.
	ctx, saved := request("PUT /settings", "")
	renamed := company
	renamed.Name = "Acme Hair"
	if _, err := s.PutCompany(ctx, renamed); err != nil {
		t.Fatal(err)
	}
	if _, ok := entries()[saved.ID]; !ok || pending(ctx) {
		t.Errorf("the settings' entry was not written with them (pending %v)", pending(ctx))
	}

	// A refused write leaves no entry, and the entry stays pending.
	ctx, refused := request("DELETE /services/{serviceId}", "serviceId=nope")
	if err := s.DeleteService(ctx, "acme", "nope"); slotbook.ErrorCode(err) != slotbook.NotFound {
		t.Fatalf("deleting a missing service: %v", err)
	}
	if _, ok := entries()[refused.ID]; ok || !pending(ctx) {
		t.Errorf("a refused write left its entry (pending %v)", pending(ctx))
	}

	// An entry that cannot be stored (larger than an item may be) stops
	// the change: neither commits, on either kind of write.
	huge := strings.Repeat("x", 420<<10)
	ctx, _ = request("PUT /settings", huge)
	again := renamed
	again.Name = "Not Saved"
	if _, err := s.PutCompany(ctx, again); err == nil {
		t.Error("the settings were saved without their entry")
	}
	ctx, _ = request("POST /employees", huge)
	if err := s.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "ben", Name: "Ben"}); err == nil {
		t.Error("the employee was created without its entry")
	}
	if c, err := s.Company(base, "acme"); err != nil || c.Name != "Acme Hair" {
		t.Errorf("company %+v, %v: a write without its entry changed it", c, err)
	}
	if _, err := s.Employee(base, "acme", "ben"); slotbook.ErrorCode(err) != slotbook.NotFound {
		t.Errorf("employee ben: %v, want NotFound", err)
	}
	if got := entries(); len(got) != 2 {
		t.Errorf("%d entries, want the two of the changes made", len(got))
	}
}
