package dynamo

import (
	"context"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// A closure is an item of its company's partition under
// CL#<start date>#<id>, so that the closures around a range are one query;
// CLI#<id> points to it for the delete by id.

func skClosure(start schedule.Date, id string) string { return "CL#" + start.String() + "#" + id }
func skClosureRef(id string) string                   { return "CLI#" + id }

type closureItem struct {
	key
	ID    string `dynamodbav:"id"`
	Start string `dynamodbav:"start"` // YYYY-MM-DD
	End   string `dynamodbav:"end"`
	Name  string `dynamodbav:"name"`
}

func (i closureItem) closure() (slotbook.Closure, bool) {
	start, err1 := schedule.ParseDate(i.Start)
	end, err2 := schedule.ParseDate(i.End)
	return slotbook.Closure{ID: i.ID, Start: start, End: end, Name: i.Name}, err1 == nil && err2 == nil
}

// Closures implements slotbook.Store. A closure is at most
// MaxClosureDays long, so the ones that overlap from–to start at most that
// long before from.
func (s *Store) Closures(ctx context.Context, companyID string, from, to schedule.Date) ([]slotbook.Closure, error) {
	out := []slotbook.Closure{}
	if !validIDs(companyID) {
		return out, nil
	}
	items, err := query[closureItem](ctx, s, "list closures", companyPK(companyID),
		"CL#"+from.AddDays(-slotbook.MaxClosureDays).String(), "CL#"+to.String()+"#~")
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		c, ok := it.closure()
		if ok && !c.End.Before(from) && !to.Before(c.Start) {
			out = append(out, c)
		}
	}
	return out, nil
}

// CreateClosure implements slotbook.Store.
func (s *Store) CreateClosure(ctx context.Context, companyID string, c slotbook.Closure) error {
	if !validIDs(companyID, c.ID) {
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	pk, sk := companyPK(companyID), skClosure(c.Start, c.ID)
	ref, err := s.putAction(refItem{key: key{pk, skClosureRef(c.ID)}, Target: sk}, absent)
	if err != nil {
		return fail("create closure", err)
	}
	put, err := s.putAction(closureItem{key{pk, sk}, c.ID, c.Start.String(), c.End.String(), c.Name}, "")
	if err != nil {
		return fail("create closure", err)
	}
	t := &txn{}
	t.add(actClosureRef, ref)
	t.add(actClosure, put)
	res, err := t.run(ctx, s, "create closure")
	switch {
	case err != nil:
		return err
	case res.ConflictAt(actClosureRef):
		return conflict("closure")
	case !res.Committed():
		return slotbook.Errorf(slotbook.Unavailable, "The closures changed meanwhile; try again.")
	}
	return nil
}

// DeleteClosure implements slotbook.Store.
func (s *Store) DeleteClosure(ctx context.Context, companyID, closureID string) error {
	if !validIDs(companyID, closureID) {
		return notFound("closure")
	}
	pk := companyPK(companyID)
	var ref refItem
	found, err := s.get(ctx, "get closure", pk, skClosureRef(closureID), &ref)
	if err != nil {
		return err
	}
	if !found {
		return notFound("closure")
	}
	t := &txn{}
	t.add(actClosureRef, s.deleteAction(pk, skClosureRef(closureID), exists))
	t.add(actClosure, s.deleteAction(pk, ref.Target, ""))
	res, err := t.run(ctx, s, "delete closure")
	switch {
	case err != nil:
		return err
	case !res.Committed():
		return notFound("closure") // deleted meanwhile
	}
	return nil
}
