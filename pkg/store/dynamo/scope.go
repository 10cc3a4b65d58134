package dynamo

import (
	"context"
	"sync"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Read scopes (slotbook.ReadScoper). A booking checks the employee's
// bookings, then claims the time in a transaction conditioned on the
// versions of the days it touches, then confirms it in another. Without a
// scope each write reads those versions and the bookings around again
// first: two round trips more for the claim and four for the
// confirmation. Under a scope, Bookings reads the versions of the days of
// its range first and the bookings second, and keeps both as a claim view
// that the claim, then the confirmation, use for their first attempt.
//
// That is as safe as reading them again: a booking that overlaps the claim
// commits with a bump of a day they share. Had it committed before the
// versions were read, the bookings, read after them, hold it; had it
// committed after, a version differs and the transaction fails — and the
// write falls back to reading afresh, as without a scope. After its own
// commit, the write knows the versions and bookings exactly: its bump and
// its booking, on top of a view no one else changed.

// scopeKey keys a request's read scope in its context.
type scopeKey struct{}

// readScope is what one request read in order to write, by employee
// partition.
type readScope struct {
	mu    sync.Mutex
	views map[string]*scopedView
	// created is the item of each booking this request claimed, by id.
	created map[string]bookingItem
}

// scopedView is a claim view that holds for any blocked time within
// [from, to): the versions of every UTC day the range touches (a day
// missing from versions had none), read before the live bookings that
// start within [from−maxBlocked, to+maxBlocked].
type scopedView struct {
	from, to time.Time
	days     map[string]bool
	versions map[string]int64
	near     []bookingItem
}

// maxScopedDays bounds the range a scoped Bookings read keeps a view of:
// a booking's check reads about nine days (its date in any zone, with the
// longest service and buffers either side); longer reads, such as the
// fairness count of an "any" booking, are not for claims.
const maxScopedDays = 14

// WithReadScope implements slotbook.ReadScoper.
func (s *Store) WithReadScope(ctx context.Context) context.Context {
	return context.WithValue(ctx, scopeKey{}, &readScope{views: map[string]*scopedView{}, created: map[string]bookingItem{}})
}

// scopeOf returns ctx's read scope, or nil.
func scopeOf(ctx context.Context) *readScope {
	sc, _ := ctx.Value(scopeKey{}).(*readScope)
	return sc
}

// scopedBookings is Bookings under a scope: the versions of the days of
// [from, to), then the bookings, kept as the employee's view.
func (s *Store) scopedBookings(ctx context.Context, sc *readScope, companyID, employeeID string, from, to time.Time) ([]bookingItem, error) {
	pk := employeePK(companyID, employeeID)
	days := utcDays(from, to)
	versions, err := s.versions(ctx, pk, days)
	if err != nil {
		return nil, err
	}
	near, err := s.bookingsNear(ctx, companyID, employeeID, "B#", from, to)
	if err != nil {
		return nil, err
	}
	v := &scopedView{from: from, to: to, days: map[string]bool{}, versions: versions, near: near}
	for _, d := range days {
		v.days[d] = true
	}
	sc.mu.Lock()
	sc.views[pk] = v
	sc.mu.Unlock()
	return near, nil
}

// claimView returns the view of pk for the blocked time [start, end), if
// the scope has one that holds for it.
func (sc *readScope) claimView(pk string, start, end time.Time) (claimView, bool) {
	if sc == nil {
		return claimView{}, false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	v, ok := sc.views[pk]
	if !ok || start.Before(v.from) || v.to.Before(end) {
		return claimView{}, false
	}
	out := claimView{days: utcDays(start, end), versions: map[string]int64{}, near: v.near}
	for _, d := range out.days {
		if !v.days[d] {
			return claimView{}, false
		}
		if n, ok := v.versions[d]; ok {
			out.versions[d] = n
		}
	}
	return out, true
}

// committed records a write of pk that bumped the days of cv, which it
// read as cv has them: the view of pk is now one of the blocked time
// [start, end), with those versions one up and item (if not nil) among
// the bookings.
func (sc *readScope) committed(pk string, cv claimView, start, end time.Time, item *bookingItem) {
	if sc == nil {
		return
	}
	v := &scopedView{from: start, to: end, days: map[string]bool{}, versions: map[string]int64{}, near: cv.near}
	for _, d := range cv.days {
		v.days[d] = true
		v.versions[d] = cv.versions[d] + 1
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if item != nil {
		v.near = append(v.near[:len(v.near):len(v.near)], *item)
		sc.created[item.ID] = *item
	}
	sc.views[pk] = v
}

// forget drops the view of pk: a write found it stale.
func (sc *readScope) forget(pk string) {
	if sc == nil {
		return
	}
	sc.mu.Lock()
	delete(sc.views, pk)
	sc.mu.Unlock()
}

// createdItem returns the item of booking id as this request claimed it.
func (sc *readScope) createdItem(id string) (bookingItem, bool) {
	if sc == nil {
		return bookingItem{}, false
	}
	sc.mu.Lock()
	defer sc.mu.Unlock()
	it, ok := sc.created[id]
	return it, ok
}

// done forgets booking id and the view of pk: the booking is confirmed,
// and the request makes no further claim there.
func (sc *readScope) done(pk, id string) {
	if sc == nil {
		return
	}
	sc.mu.Lock()
	delete(sc.views, pk)
	delete(sc.created, id)
	sc.mu.Unlock()
}

var _ slotbook.ReadScoper = (*Store)(nil)
