package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

func date(y int, m time.Month, d int) schedule.Date { return schedule.Date{Year: y, Month: m, Day: d} }

func closureIDs(list []slotbook.Closure) string {
	var out []string
	for _, c := range list {
		out = append(out, c.ID)
	}
	return fmt.Sprint(out)
}

// testClosures: closures are listed by start when they overlap the dates
// asked for (a long one that began before them included), per company;
// an id is taken once; a delete is gone for good.
func testClosures(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	xmas := slotbook.Closure{ID: "xmas", Start: date(2027, 12, 24), End: date(2028, 1, 2), Name: "Weihnachten – Ferien"}
	ok(t, "xmas", s.CreateClosure(ctx, "acme", xmas))
	ok(t, "may", s.CreateClosure(ctx, "acme", slotbook.Closure{ID: "holiday-20270527", Start: date(2027, 5, 27), End: date(2027, 5, 27), Name: "Fronleichnam"}))
	ok(t, "long", s.CreateClosure(ctx, "acme", slotbook.Closure{ID: "long", Start: date(2026, 1, 1), End: date(2026, 12, 31), Name: "Renovation"}))
	ok(t, "other company", s.CreateClosure(ctx, "acme-2", slotbook.Closure{ID: "xmas", Start: date(2027, 12, 25), End: date(2027, 12, 25), Name: "X"}))
	wantCode(t, "the same id again", s.CreateClosure(ctx, "acme", slotbook.Closure{ID: "xmas", Start: date(2027, 1, 1), End: date(2027, 1, 1), Name: "Y"}), slotbook.Conflict)

	for _, c := range []struct {
		from, to schedule.Date
		want     string
	}{
		{date(1900, 1, 1), date(2200, 12, 31), "[long holiday-20270527 xmas]"},
		{date(2027, 5, 27), date(2027, 5, 27), "[holiday-20270527]"},
		{date(2027, 5, 28), date(2027, 12, 23), "[]"},
		{date(2028, 1, 2), date(2028, 1, 9), "[xmas]"},   // the last date counts
		{date(2026, 12, 31), date(2027, 1, 1), "[long]"}, // begun 365 days before
		{date(2027, 12, 31), date(2027, 12, 31), "[xmas]"},
	} {
		got, err := s.Closures(ctx, "acme", c.from, c.to)
		ok(t, "list", err)
		if closureIDs(got) != c.want {
			t.Errorf("closures %s–%s = %s, want %s", c.from, c.to, closureIDs(got), c.want)
		}
	}
	got, _ := s.Closures(ctx, "acme", date(2027, 12, 1), date(2027, 12, 31))
	if len(got) != 1 || got[0] != xmas {
		t.Errorf("the closure read back = %+v, want %+v", got, xmas)
	}
	ok(t, "delete", s.DeleteClosure(ctx, "acme", "xmas"))
	wantCode(t, "delete again", s.DeleteClosure(ctx, "acme", "xmas"), slotbook.NotFound)
	wantCode(t, "delete another company's", s.DeleteClosure(ctx, "acme", "nope"), slotbook.NotFound)
	if got, _ := s.Closures(ctx, "acme-2", date(2027, 12, 25), date(2027, 12, 25)); closureIDs(got) != "[xmas]" {
		t.Errorf("acme-2's closures = %s: another company's delete reached them", closureIDs(got))
	}
	ok(t, "the id again after the delete", s.CreateClosure(ctx, "acme", xmas))
}

// testClosureWritesRace: imports racing for one holiday make it once; of
// deletes racing for one closure, one succeeds.
func testClosureWritesRace(t *testing.T, s slotbook.Store) {
	ctx := t.Context()
	setup(t, s, "acme")
	for round := range 3 {
		c := slotbook.Closure{ID: fmt.Sprintf("holiday-2027080%d", round+1), Start: date(2027, 8, round+1), End: date(2027, 8, round+1), Name: "Bundesfeiertag"}
		var mu sync.Mutex
		created, deleted := 0, 0
		var wg sync.WaitGroup
		for range 6 {
			wg.Go(func() {
				err := s.CreateClosure(ctx, "acme", c)
				mu.Lock()
				defer mu.Unlock()
				switch slotbook.ErrorCode(err) {
				case "":
					created++
				case slotbook.Conflict:
				default:
					t.Errorf("create: %v", err)
				}
			})
		}
		wg.Wait()
		for range 6 {
			wg.Go(func() {
				err := s.DeleteClosure(ctx, "acme", c.ID)
				mu.Lock()
				defer mu.Unlock()
				switch slotbook.ErrorCode(err) {
				case "":
					deleted++
				case slotbook.NotFound:
				default:
					t.Errorf("delete: %v", err)
				}
			})
		}
		wg.Wait()
		left, _ := s.Closures(ctx, "acme", c.Start, c.End)
		if created != 1 || deleted != 1 || len(left) != 0 {
			t.Fatalf("round %d: %d created, %d deleted, %d left; want 1, 1, 0", round, created, deleted, len(left))
		}
	}
}
