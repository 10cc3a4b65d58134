package storetest

import (
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// testAudit: entries come back in time order within [from, to), per
// company; an id is written once.
func testAudit(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	entry := func(id string, at time.Time) slotbook.AuditEntry {
		return slotbook.AuditEntry{ID: id, At: at, Actor: "boss", Role: "admin", Action: "PUT /settings", Target: "", Expires: at.AddDate(2, 0, 0)}
	}
	ok(t, "a2", s.AppendAudit(ctx, "acme", entry("a2", at(22, 10, 0))))
	ok(t, "a1", s.AppendAudit(ctx, "acme", entry("a1", at(22, 9, 0))))
	ok(t, "a3", s.AppendAudit(ctx, "acme", entry("a3", at(23, 9, 0))))
	ok(t, "other company", s.AppendAudit(ctx, "acme-2", entry("a4", at(22, 9, 30))))
	got, err := s.AuditEntries(ctx, "acme", at(22, 0, 0), at(23, 9, 0))
	ok(t, "read", err)
	if len(got) != 2 || got[0].ID != "a1" || got[1].ID != "a2" || got[0].Actor != "boss" || !got[0].At.Equal(at(22, 9, 0)) || got[0].Action != "PUT /settings" {
		t.Errorf("entries %+v", got)
	}
	if all, _ := s.AuditEntries(ctx, "acme", at(1, 0, 0), at(31, 0, 0)); len(all) != 3 {
		t.Errorf("%d entries in March, want 3", len(all))
	}
}

// testRetention: companies that keep customer data for a while are
// listed with how far their erasure has come; a new retention keeps that
// progress; 0 removes the record, and progress on a removed record does
// not bring it back.
func testRetention(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	ok(t, "acme 30", s.SetRetention(ctx, "acme", 30))
	ok(t, "acme-2 90", s.SetRetention(ctx, "acme-2", 90))
	ok(t, "done", s.RetentionDone(ctx, "acme", at(10, 0, 0)))
	ok(t, "acme 60", s.SetRetention(ctx, "acme", 60))
	list, err := s.Retentions(ctx)
	ok(t, "list", err)
	if len(list) != 2 || list[0].CompanyID != "acme" || list[0].Days != 60 || !list[0].DoneUntil.Equal(at(10, 0, 0)) || list[1].Days != 90 {
		t.Errorf("retentions %+v", list)
	}
	ok(t, "keep again", s.SetRetention(ctx, "acme", 0))
	ok(t, "late progress", s.RetentionDone(ctx, "acme", at(11, 0, 0)))
	if list, _ := s.Retentions(ctx); len(list) != 1 || list[0].CompanyID != "acme-2" {
		t.Errorf("after keeping again: %+v", list)
	}
}
