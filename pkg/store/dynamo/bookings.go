package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// maxBlocked is the longest time one booking can block: a service of the
// longest duration with both buffers at their longest.
const maxBlocked = time.Duration(slotbook.MaxServiceDuration+2*slotbook.MaxBuffer) * time.Minute

// claimAttempts bounds the optimistic retries of one claim or confirmation.
const claimAttempts = 8

// Bookings implements slotbook.Store: the B# range, which holds live
// bookings only.
func (s *Store) Bookings(ctx context.Context, companyID, employeeID string, from, to time.Time) ([]slotbook.Booking, error) {
	return s.bookingsIn(ctx, companyID, employeeID, "B#", from, to)
}

// CancelledBookings implements slotbook.Store: the BC# range.
func (s *Store) CancelledBookings(ctx context.Context, companyID, employeeID string, from, to time.Time) ([]slotbook.Booking, error) {
	return s.bookingsIn(ctx, companyID, employeeID, "BC#", from, to)
}

// bookingsIn returns the bookings of the range prefix whose time overlaps
// [from, to).
func (s *Store) bookingsIn(ctx context.Context, companyID, employeeID, prefix string, from, to time.Time) ([]slotbook.Booking, error) {
	out := []slotbook.Booking{}
	if !validIDs(companyID, employeeID) {
		return out, nil
	}
	var items []bookingItem
	var err error
	if sc := scopeOf(ctx); sc != nil && prefix == "B#" && len(utcDays(from, to)) <= maxScopedDays {
		items, err = s.scopedBookings(ctx, sc, companyID, employeeID, from, to)
	} else {
		items, err = s.bookingsNear(ctx, companyID, employeeID, prefix, from, to)
	}
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.Start.Before(to) && from.Before(it.End) {
			out = append(out, it.booking())
		}
	}
	return out, nil
}

// bookingsNear reads the employee's bookings of range prefix that start in
// [from−maxBlocked, to], a superset of those whose time, buffers included,
// can overlap [from, to).
func (s *Store) bookingsNear(ctx context.Context, companyID, employeeID, prefix string, from, to time.Time) ([]bookingItem, error) {
	return query[bookingItem](ctx, s, "list bookings", employeePK(companyID, employeeID),
		prefix+timeKey(from.Add(-maxBlocked)), prefix+timeKey(to.Add(maxBlocked))+"~")
}

// CreateBooking implements slotbook.Store.
//
// Overlap is checked in code and made race-free by optimistic versions: a
// booking blocks [start−bufferBefore, end+bufferAfter); every UTC day that
// this touches has a version item. CreateBooking reads those versions,
// then the bookings around, and — if none overlaps — writes the booking
// and bumps every version in one transaction conditioned on the versions
// it read. Two overlapping bookings share at least one day, so at most one
// of two racing transactions commits; the other re-reads, now sees the
// winner, and answers SlotTaken. A booking touches at most 4 days, far
// below the 100 actions of a transaction.
func (s *Store) CreateBooking(ctx context.Context, companyID string, b slotbook.Booking, idem *slotbook.Idempotency) error {
	if !validIDs(companyID, b.EmployeeID, b.ID) {
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	if b.Event.Key != "" && (!validIDs(b.Event.Connection) || !validKey(b.Event.Key)) {
		return slotbook.FieldErrorf("event", "needs a connection id and a key")
	}
	start, end := b.Blocked()
	if !end.After(start) || end.Sub(start) > maxBlocked {
		return slotbook.FieldErrorf("end", "must be after start, and the booking at most %v long", maxBlocked)
	}
	pk, sc := employeePK(companyID, b.EmployeeID), scopeOf(ctx)
	for attempt := range claimAttempts {
		// The first attempt trusts what this request read, if it did.
		var v claimView
		scoped := false
		if attempt == 0 {
			v, scoped = sc.claimView(pk, start, end)
		}
		if !scoped {
			var err error
			if v, err = s.readClaim(ctx, companyID, b.EmployeeID, start, end); err != nil {
				return err
			}
		}
		if v.taken(start, end, b.CreatedAt, "") {
			if scoped {
				continue // the view may be old: look again before refusing
			}
			return slotbook.Errorf(slotbook.SlotTaken, "This time is no longer free.")
		}
		t, err := s.claimActions(companyID, b, idem, v)
		if err != nil {
			return fail("create booking", err)
		}
		res, err := t.run(ctx, s, "create booking")
		switch {
		case err != nil:
			return err
		case res.Committed():
			item := bookingToItem(companyID, b)
			sc.committed(pk, v, start, end, &item)
			return nil
		case res.ConflictAt(actBookingRef), res.ConflictAt(actBooking):
			return conflict("booking")
		case res.ConflictAt(actIdempotency):
			return slotbook.Errorf(slotbook.Conflict, "This Idempotency-Key was used already.")
		case res.ConflictAt(actRemoval):
			return slotbook.Errorf(slotbook.Conflict, "The event key %s has a removal.", b.Event.Key)
		}
		// A version moved (ConflictAt(actVersion)): another booking of this
		// employee committed on one of these days; or the transaction was
		// contended. Look again after a short, jittered pause.
		sc.forget(pk)
		time.Sleep(time.Duration(rand.IntN(10*(attempt+1))) * time.Millisecond)
	}
	return slotbook.Errorf(slotbook.Unavailable, "Too many bookings at once; try again.")
}

// validKey reports whether k can be an event key: a booking id with an
// optional ".suffix" of id characters.
func validKey(k string) bool {
	id, suffix, dotted := strings.Cut(k, ".")
	return slotbook.ValidID(id) && (!dotted || slotbook.ValidID(suffix))
}

// claimView is what a claim or a confirmation reads before it writes: the
// versions of the UTC days a booking's blocked time touches, and the live
// bookings around it.
type claimView struct {
	days     []string
	versions map[string]int64
	near     []bookingItem
}

// readClaim reads the claim view of [start, end) of an employee.
func (s *Store) readClaim(ctx context.Context, companyID, employeeID string, start, end time.Time) (claimView, error) {
	v := claimView{days: utcDays(start, end)}
	var err error
	if v.versions, err = s.versions(ctx, employeePK(companyID, employeeID), v.days); err != nil {
		return claimView{}, err
	}
	v.near, err = s.bookingsNear(ctx, companyID, employeeID, "B#", start, end)
	return v, err
}

// taken reports whether a booking of v other than self that blocks at at
// overlaps [start, end), both widened by their buffers.
func (v claimView) taken(start, end, at time.Time, self string) bool {
	for _, it := range v.near {
		o := it.booking()
		os, oe := o.Blocked()
		if o.ID != self && o.Blocks(at) && os.Before(end) && start.Before(oe) {
			return true
		}
	}
	return false
}

// bumpVersions adds to t the bump of every day version of v.
func (s *Store) bumpVersions(t *txn, pk string, v claimView) {
	for _, d := range v.days {
		t.add(actVersion, s.bumpVersion(pk, d, v.versions))
	}
}

// claimActions writes the id reference, the booking, the idempotency
// record (if any), the event's removal-if-unconfirmed (if any) and the
// bumped day versions.
func (s *Store) claimActions(companyID string, b slotbook.Booking, idem *slotbook.Idempotency, v claimView) (*txn, error) {
	pk := employeePK(companyID, b.EmployeeID)
	item := bookingToItem(companyID, b)
	t := &txn{}
	ref, err := s.putAction(refItem{key: key{companyPK(companyID), skBookingRef(b.ID)}, Target: pk + "|" + item.SK, TTL: item.TTL}, absent)
	if err != nil {
		return nil, err
	}
	t.add(actBookingRef, ref)
	put, err := s.putAction(item, absent)
	if err != nil {
		return nil, err
	}
	t.add(actBooking, put)
	if idem != nil {
		av, err := attributevalue.MarshalMap(idempotencyToItem(companyID, *idem))
		if err != nil {
			return nil, err
		}
		t.add(actIdempotency, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: av,
			// A record that has expired by its own time may be replaced,
			// whether or not the TTL sweep has removed it yet.
			// A retry books again under the id its record names.
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR expiresNs <= :now OR bookingId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(idem.CreatedAt.UnixNano()), ":id": str(b.ID)},
		}})
	}
	if b.Event.Key != "" {
		r := slotbook.EventRemoval{
			CompanyID: companyID, EmployeeID: b.EmployeeID, BookingID: b.ID, Event: b.Event,
			Start: b.Start, End: b.End, Reason: slotbook.RemovalIfUnconfirmed,
			Due: b.PendingUntil.Add(slotbook.RemovalGrace), Version: slotbook.NewID(),
		}
		put, err := s.putAction(removalToItem(r), absent)
		if err != nil {
			return nil, err
		}
		t.add(actRemoval, put)
	}
	s.bumpVersions(t, pk, v)
	return t, nil
}

// bumpVersion raises the version of day d, conditioned on its being the
// one read (or absent, if none was).
func (s *Store) bumpVersion(pk, d string, versions map[string]int64) types.TransactWriteItem {
	v, seen := versions[d]
	up := &types.Update{
		TableName:                 aws.String(s.table),
		Key:                       keyOf(pk, skVersion(d)),
		UpdateExpression:          aws.String("SET v = :next"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":next": num(v + 1)},
	}
	if seen {
		up.ConditionExpression = aws.String("v = :v")
		up.ExpressionAttributeValues[":v"] = num(v)
	} else {
		up.ConditionExpression = aws.String(absent)
	}
	return types.TransactWriteItem{Update: up}
}

// versions reads the version items of days in one BatchGetItem; a
// missing one is left out.
func (s *Store) versions(ctx context.Context, pk string, days []string) (map[string]int64, error) {
	keys := make([]key, len(days))
	for i, d := range days {
		keys[i] = key{pk, skVersion(d)}
	}
	items, err := s.batchGet(ctx, "read day versions", keys)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(days))
	for _, d := range days {
		if av, ok := items[key{pk, skVersion(d)}]; ok {
			var it versionItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, fail("read day versions", err)
			}
			out[d] = it.Version
		}
	}
	return out, nil
}

// utcDays returns the UTC dates that [start, end) touches.
func utcDays(start, end time.Time) []string {
	var out []string
	d := time.Date(start.UTC().Year(), start.UTC().Month(), start.UTC().Day(), 0, 0, 0, 0, time.UTC)
	for ; d.Before(end); d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format(time.DateOnly))
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func num(n int64) types.AttributeValue { return &types.AttributeValueMemberN{Value: itoa(n)} }

// Idempotency implements slotbook.Store.
func (s *Store) Idempotency(ctx context.Context, companyID, k string, now time.Time) (slotbook.Idempotency, error) {
	if !validIDs(companyID) {
		return slotbook.Idempotency{}, notFound("idempotency record")
	}
	var it idempotencyItem
	found, err := s.get(ctx, "get idempotency record", companyPK(companyID), skIdempotency(k), &it)
	if err != nil {
		return slotbook.Idempotency{}, err
	}
	if !found || it.ExpiresNs <= now.UnixNano() {
		return slotbook.Idempotency{}, notFound("idempotency record")
	}
	return it.idempotency(), nil
}

// bookingKey resolves a booking id to the booking's key through its
// reference item; found is false if there is none.
func (s *Store) bookingKey(ctx context.Context, companyID, bookingID string) (pk, sk string, found bool, err error) {
	if !validIDs(companyID, bookingID) {
		return "", "", false, nil
	}
	var ref refItem
	found, err = s.get(ctx, "get booking reference", companyPK(companyID), skBookingRef(bookingID), &ref)
	if err != nil || !found {
		return "", "", false, err
	}
	pk, sk, ok := strings.Cut(ref.Target, "|")
	if !ok {
		return "", "", false, fail("get booking reference", fmt.Errorf("malformed target %q", ref.Target))
	}
	return pk, sk, true, nil
}

// bookingItemOf reads a booking's item through its reference; found is
// false if either is missing. A booking that moved between the two reads
// (cancelled: from B# to BC#) is followed to its new key.
func (s *Store) bookingItemOf(ctx context.Context, companyID, bookingID string) (bookingItem, bool, error) {
	var it bookingItem
	last := ""
	for range 3 {
		pk, sk, found, err := s.bookingKey(ctx, companyID, bookingID)
		if err != nil || !found || sk == last {
			return it, false, err
		}
		if found, err = s.get(ctx, "get booking", pk, sk, &it); err != nil || found {
			return it, found, err
		}
		last = sk
	}
	return it, false, nil
}

// Booking implements slotbook.Store.
func (s *Store) Booking(ctx context.Context, companyID, bookingID string) (slotbook.Booking, error) {
	it, found, err := s.bookingItemOf(ctx, companyID, bookingID)
	if err != nil {
		return slotbook.Booking{}, err
	}
	if !found {
		return slotbook.Booking{}, notFound("booking")
	}
	return it.booking(), nil
}

// update runs one UpdateItem and reports whether its condition held.
func (s *Store) update(ctx context.Context, op, pk, sk, expr, cond string, names map[string]string, values map[string]types.AttributeValue) (bool, error) {
	err := s.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: keyOf(pk, sk),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String(cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return false, nil
	}
	if err != nil {
		return false, fail(op, err)
	}
	return true, nil
}

var statusName = map[string]string{"#st": "status"}

// removalNames names the attributes of removal items in expressions (some
// are DynamoDB reserved words).
var removalNames = map[string]string{"#reason": "reason", "#due": "due", "#dueNs": "dueNs", "#version": "version", "#booking": "booking"}

// ConfirmBooking implements slotbook.Store.
//
// A confirmation bumps the day versions of the booking's time, conditioned
// on the versions it read together with the bookings around. A claim that
// treated the booking as abandoned and took an overlapping time bumps them
// too: whichever commits second fails its condition, re-reads, and sees
// the other. So a confirmation that arrives late (a retried request, a
// slow network) can never confirm a booking whose time another booking
// holds, whatever the clocks say.
func (s *Store) ConfirmBooking(ctx context.Context, companyID, bookingID, eventID string, now time.Time, outbox []slotbook.Notification) error {
	sc := scopeOf(ctx)
	for attempt := range claimAttempts {
		// The first attempt trusts what this request claimed and read, if
		// it did: the transaction's conditions check all of it.
		it, scoped := sc.createdItem(bookingID)
		var v claimView
		if scoped && attempt == 0 {
			b := it.booking()
			start, end := b.Blocked()
			v, scoped = sc.claimView(it.PK, start, end)
		}
		if !scoped || attempt > 0 {
			scoped = false
			var found bool
			var err error
			if it, found, err = s.bookingItemOf(ctx, companyID, bookingID); err != nil {
				return err
			}
			if !found {
				return notFound("booking")
			}
		}
		b := it.booking()
		if b.Status != slotbook.Pending {
			return slotbook.Errorf(slotbook.Conflict, "The booking is not pending.")
		}
		start, end := b.Blocked()
		if !scoped {
			var err error
			if v, err = s.readClaim(ctx, companyID, b.EmployeeID, start, end); err != nil {
				return err
			}
		}
		if v.taken(start, end, now, b.ID) {
			if scoped {
				continue // the view may be old: look again before refusing
			}
			return slotbook.Errorf(slotbook.SlotTaken, "The time was taken meanwhile.")
		}
		t := &txn{}
		t.add(actBooking, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.table), Key: keyOf(it.PK, it.SK),
			UpdateExpression:          aws.String("SET #st = :confirmed, eventId = :ev REMOVE pendingNs, #ttl"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND #st = :pending"),
			ExpressionAttributeNames:  map[string]string{"#st": "status", "#ttl": TTLAttribute},
			ExpressionAttributeValues: map[string]types.AttributeValue{":confirmed": str(string(slotbook.Confirmed)), ":pending": str(string(slotbook.Pending)), ":ev": str(eventID)},
		}})
		t.add(actBookingRef, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.table), Key: keyOf(companyPK(companyID), skBookingRef(bookingID)),
			UpdateExpression:         aws.String("REMOVE #ttl"),
			ConditionExpression:      aws.String(exists),
			ExpressionAttributeNames: map[string]string{"#ttl": TTLAttribute},
		}})
		if b.Event.Key != "" {
			t.add(actRemoval, s.deleteAction(pkSweep, skRemoval(companyID, b.EmployeeID, b.Event.Key), ""))
		}
		s.bumpVersions(t, it.PK, v)
		if err := s.outboxActions(t, companyID, bookingID, outbox); err != nil {
			return err
		}
		res, err := t.run(ctx, s, "confirm booking")
		switch {
		case err != nil:
			return err
		case res.Committed():
			sc.done(it.PK, bookingID)
			return nil
		case res.ConflictAt(actNotification):
			return slotbook.Errorf(slotbook.Conflict, "A notification of this booking exists already.")
		case res.ConflictAt(actBooking), res.ConflictAt(actBookingRef):
			continue // released or confirmed meanwhile: the next read tells
		}
		// A version moved or the transaction was contended: pause, retry.
		sc.forget(it.PK)
		time.Sleep(time.Duration(rand.IntN(10*(attempt+1))) * time.Millisecond)
	}
	return slotbook.Errorf(slotbook.Unavailable, "Too many bookings at once; try again.")
}

// CancelBooking implements slotbook.Store. The booking moves from the B#
// range to the BC# range and its reference follows, in one transaction. A
// cancelled booking no longer blocks, so no day version needs to move: a
// claim that read it as blocking just answered SlotTaken a moment early.
func (s *Store) CancelBooking(ctx context.Context, companyID, bookingID string, removal *slotbook.EventRemoval, outbox []slotbook.Notification) error {
	for range claimAttempts {
		it, found, err := s.bookingItemOf(ctx, companyID, bookingID)
		if err != nil {
			return err
		}
		if !found {
			return notFound("booking")
		}
		b := it.booking()
		switch b.Status {
		case slotbook.Cancelled:
			return slotbook.Errorf(slotbook.BookingCancelled, "The booking is cancelled already.")
		case slotbook.Pending:
			return slotbook.Errorf(slotbook.Conflict, "The booking is still being made; try again in a moment.")
		}
		b.Status = slotbook.Cancelled
		b.Sequence++
		moved := bookingToItem(companyID, b)
		t := &txn{}
		t.add(actBooking, types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table), Key: keyOf(it.PK, it.SK),
			ConditionExpression:       aws.String("#st = :confirmed"),
			ExpressionAttributeNames:  statusName,
			ExpressionAttributeValues: map[string]types.AttributeValue{":confirmed": str(string(slotbook.Confirmed))},
		}})
		put, err := s.putAction(moved, "")
		if err != nil {
			return fail("cancel booking", err)
		}
		t.add(actCancelled, put)
		ref, err := s.putAction(refItem{key: key{companyPK(companyID), skBookingRef(bookingID)}, Target: moved.PK + "|" + moved.SK}, exists)
		if err != nil {
			return fail("cancel booking", err)
		}
		t.add(actBookingRef, ref)
		if removal != nil {
			r := *removal
			r.CompanyID, r.EmployeeID = companyID, b.EmployeeID
			if !validIDs(r.Event.Connection) || !validKey(r.Event.Key) || r.Version == "" {
				return slotbook.FieldErrorf("removal", "needs a connection, a key and a version")
			}
			put, err := s.putAction(removalToItem(r), absent)
			if err != nil {
				return fail("cancel booking", err)
			}
			t.add(actRemoval, put)
		}
		if err := s.outboxActions(t, companyID, bookingID, outbox); err != nil {
			return err
		}
		res, err := t.run(ctx, s, "cancel booking")
		switch {
		case err != nil:
			return err
		case res.Committed():
			return nil
		case res.ConflictAt(actNotification):
			return slotbook.Errorf(slotbook.Conflict, "A notification of this booking exists already.")
		case res.ConflictAt(actRemoval):
			return slotbook.Errorf(slotbook.Conflict, "The event key %s has a removal.", removal.Event.Key)
		}
		// Changed meanwhile (cancelled by another request): read again.
	}
	return slotbook.Errorf(slotbook.Unavailable, "The booking changed meanwhile; try again.")
}

// ReleaseBooking implements slotbook.Store.
func (s *Store) ReleaseBooking(ctx context.Context, companyID, bookingID string, r slotbook.Release) error {
	it, found, err := s.bookingItemOf(ctx, companyID, bookingID)
	if err != nil || !found {
		return err
	}
	b := it.booking()
	if b.Status != slotbook.Pending {
		return slotbook.Errorf(slotbook.Conflict, "A %s booking is not released.", b.Status)
	}
	cond := "attribute_exists(PK) AND #st = :pending"
	values := map[string]types.AttributeValue{":pending": str(string(slotbook.Pending))}
	if !r.AbandonedAt.IsZero() {
		cond += " AND pendingNs <= :at"
		values[":at"] = num(r.AbandonedAt.UnixNano())
	}
	t := &txn{}
	t.add(actBooking, types.TransactWriteItem{Delete: &types.Delete{
		TableName: aws.String(s.table), Key: keyOf(it.PK, it.SK),
		ConditionExpression: aws.String(cond), ExpressionAttributeNames: statusName, ExpressionAttributeValues: values,
	}})
	t.add(actBookingRef, s.deleteAction(companyPK(companyID), skBookingRef(bookingID), ""))
	if b.Event.Key != "" {
		rk := keyOf(pkSweep, skRemoval(companyID, b.EmployeeID, b.Event.Key))
		if r.RemovalVersion != "" {
			// The event may exist: its removal falls due at once. Only the
			// removal-if-unconfirmed of this very booking is turned.
			t.add(actRemoval, types.TransactWriteItem{Update: &types.Update{
				TableName: aws.String(s.table), Key: rk,
				UpdateExpression:         aws.String("SET #reason = :abandoned, #due = :due, #dueNs = :dueNs, #version = :v"),
				ConditionExpression:      aws.String("attribute_exists(PK) AND #booking = :b"),
				ExpressionAttributeNames: removalNames,
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":abandoned": str(string(slotbook.RemovalAbandoned)), ":due": str(r.Now.UTC().Format(time.RFC3339Nano)),
					":dueNs": num(r.Now.UnixNano()), ":v": str(r.RemovalVersion), ":b": str(bookingID),
				},
			}})
		} else {
			t.add(actRemoval, types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s.table), Key: rk}})
		}
	}
	if r.IdempotencyKey != "" {
		t.add(actIdempotency, types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table), Key: keyOf(companyPK(companyID), skIdempotency(r.IdempotencyKey)),
			// Only the record that names this booking goes.
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR bookingId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(bookingID)},
		}})
	}
	res, err := t.run(ctx, s, "release booking")
	switch {
	case err != nil:
		return err
	case res.Committed():
		return nil
	case res.ConflictAt(actBooking):
		return slotbook.Errorf(slotbook.Conflict, "The booking is no longer a pending one that may be released.")
	case res.ConflictAt(actIdempotency):
		// The key names another booking now: release the booking alone.
		t.drop(actIdempotency)
		if res, err = t.run(ctx, s, "release booking"); err != nil || res.Committed() {
			return err
		}
	case res.ConflictAt(actRemoval):
		// No removal-if-unconfirmed of this booking to turn: record the
		// removal afresh.
		put, err := s.putAction(removalToItem(slotbook.EventRemoval{
			CompanyID: companyID, EmployeeID: b.EmployeeID, BookingID: b.ID, Event: b.Event,
			Start: b.Start, End: b.End, Reason: slotbook.RemovalAbandoned, Due: r.Now, Version: r.RemovalVersion,
		}), "")
		if err != nil {
			return fail("release booking", err)
		}
		t.replace(actRemoval, put)
		if res, err = t.run(ctx, s, "release booking"); err != nil || res.Committed() {
			return err
		}
	}
	return slotbook.Errorf(slotbook.Unavailable, "The booking changed meanwhile; try again.")
}

// Removals implements slotbook.Store.
func (s *Store) Removals(ctx context.Context, companyID, employeeID string) ([]slotbook.EventRemoval, error) {
	if !validIDs(companyID, employeeID) {
		return []slotbook.EventRemoval{}, nil
	}
	out, err := list(ctx, s, "list removals", pkSweep, removalPrefix(companyID, employeeID), removalItem.removal)
	if err != nil {
		return nil, err
	}
	sortByDue(out)
	return out, nil
}

// DueRemovals implements slotbook.Store: one query of the SWEEP partition,
// filtered by due time, page by page until limit removals are found.
func (s *Store) DueRemovals(ctx context.Context, now time.Time, limit int) ([]slotbook.EventRemoval, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		ConsistentRead:            aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		FilterExpression:          aws.String("#dueNs <= :now"),
		ExpressionAttributeNames:  map[string]string{"#dueNs": "dueNs"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pkSweep), ":now": num(now.UnixNano())},
	}
	out := []slotbook.EventRemoval{}
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("list due removals", err)
		}
		var items []removalItem
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fail("list due removals", err)
		}
		for _, it := range items {
			out = append(out, it.removal())
		}
	}
	sortByDue(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortByDue(rs []slotbook.EventRemoval) {
	slices.SortFunc(rs, func(x, y slotbook.EventRemoval) int {
		if c := x.Due.Compare(y.Due); c != 0 {
			return c
		}
		return strings.Compare(x.CompanyID+"#"+x.EmployeeID+"#"+x.Event.Key, y.CompanyID+"#"+y.EmployeeID+"#"+y.Event.Key)
	})
}

// PutRemoval implements slotbook.Store.
func (s *Store) PutRemoval(ctx context.Context, r slotbook.EventRemoval, replaces string) error {
	if !validIDs(r.CompanyID, r.EmployeeID, r.Event.Connection) || !validKey(r.Event.Key) || r.Version == "" {
		return slotbook.FieldErrorf("removal", "needs ids, a key and a version")
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), ConditionExpression: aws.String(absent)}
	if replaces != "" {
		in.ConditionExpression = aws.String("#version = :old")
		in.ExpressionAttributeNames = map[string]string{"#version": "version"}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":old": str(replaces)}
	}
	av, err := attributevalue.MarshalMap(removalToItem(r))
	if err != nil {
		return fail("put removal", err)
	}
	in.Item = av
	err = s.putItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return slotbook.Errorf(slotbook.Conflict, "The removal changed meanwhile.")
	}
	if err != nil {
		return fail("put removal", err)
	}
	return nil
}

// DeleteRemoval implements slotbook.Store.
func (s *Store) DeleteRemoval(ctx context.Context, companyID, employeeID, eventKey, version string) error {
	if !validIDs(companyID, employeeID) || !validKey(eventKey) {
		return nil
	}
	err := s.deleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: keyOf(pkSweep, skRemoval(companyID, employeeID, eventKey)),
		ConditionExpression:       aws.String("#version = :v"),
		ExpressionAttributeNames:  map[string]string{"#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": str(version)},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fail("delete removal", err)
	}
	return nil
}

// UseNonce implements slotbook.Store.
func (s *Store) UseNonce(ctx context.Context, companyID, nonce string, now, expires time.Time) error {
	if !validIDs(companyID, nonce) {
		return slotbook.FieldErrorf("state", "is not valid")
	}
	av, err := attributevalue.MarshalMap(nonceItem{key{companyPK(companyID), skNonce(nonce)}, expires.UnixNano(), expires.Unix() + 1})
	if err != nil {
		return fail("use nonce", err)
	}
	err = s.putItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table), Item: av,
		// A record that has expired by its own time may be replaced,
		// whether or not the TTL sweep has removed it yet.
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR expiresNs <= :now"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":now": num(now.UnixNano())},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return slotbook.Errorf(slotbook.Conflict, "This one-time value was used already.")
	}
	if err != nil {
		return fail("use nonce", err)
	}
	return nil
}
