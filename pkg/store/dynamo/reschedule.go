package dynamo

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// RescheduleBooking implements slotbook.Store.
//
// One transaction deletes the booking's item at its old key (conditioned
// on its being confirmed at the Sequence the caller read), puts it at the
// new key, points its reference there, bumps the day versions of the new
// time (conditioned on those read with the bookings around, as a claim
// does, so a racing claim or move of an overlapping time fails one of the
// two), drops the new event's claim (conditioned on its version), and
// records the removal and the mails. The booking's own old time
// is not counted as taken: a move by half an hour succeeds.
func (s *Store) RescheduleBooking(ctx context.Context, companyID, bookingID string, m slotbook.Move) error {
	if !validIDs(companyID, bookingID, m.EmployeeID) {
		return slotbook.FieldErrorf("employee", "is not a valid id")
	}
	if m.Event.Key != "" && (!validIDs(m.Event.Connection) || !validKey(m.Event.Key)) {
		return slotbook.FieldErrorf("event", "needs a connection id and a key")
	}
	if m.Claim != "" && m.Event.Key == "" {
		return slotbook.FieldErrorf("event", "needs a key where a claim is given")
	}
	for attempt := range claimAttempts {
		it, found, err := s.bookingItemOf(ctx, companyID, bookingID)
		if err != nil {
			return err
		}
		if !found {
			return notFound("booking")
		}
		b := it.booking()
		moved, err := b.Moved(m)
		if err != nil {
			return err
		}
		start, end := moved.Blocked()
		if !end.After(start) || end.Sub(start) > maxBlocked {
			return slotbook.FieldErrorf("end", "must be after start, and the booking at most %v long", maxBlocked)
		}
		v, err := s.readClaim(ctx, companyID, moved.EmployeeID, start, end)
		if err != nil {
			return err
		}
		if v.taken(start, end, m.Now, b.ID) {
			return slotbook.Errorf(slotbook.SlotTaken, "This time is no longer free.")
		}
		item := bookingToItem(companyID, moved)
		t := &txn{}
		cond := "#st = :confirmed AND seq = :seq"
		if m.Sequence == 0 {
			cond = "#st = :confirmed AND (seq = :seq OR attribute_not_exists(seq))" // written before sequences
		}
		values := map[string]types.AttributeValue{":confirmed": str(string(slotbook.Confirmed)), ":seq": num(int64(m.Sequence))}
		same := item.PK == it.PK && item.SK == it.SK
		if same {
			// The same key (same employee and start; other buffers or event):
			// one conditioned put, as a transaction may touch an item once.
			put, err := s.putAction(item, cond)
			if err != nil {
				return fail("reschedule booking", err)
			}
			put.Put.ExpressionAttributeNames, put.Put.ExpressionAttributeValues = statusName, values
			t.add(actBooking, put)
		} else {
			t.add(actBooking, types.TransactWriteItem{Delete: &types.Delete{
				TableName: aws.String(s.table), Key: keyOf(it.PK, it.SK),
				ConditionExpression: aws.String(cond), ExpressionAttributeNames: statusName, ExpressionAttributeValues: values,
			}})
			put, err := s.putAction(item, absent)
			if err != nil {
				return fail("reschedule booking", err)
			}
			t.add(actMoved, put)
			ref, err := s.putAction(refItem{key: key{companyPK(companyID), skBookingRef(bookingID)}, Target: item.PK + "|" + item.SK}, exists)
			if err != nil {
				return fail("reschedule booking", err)
			}
			t.add(actBookingRef, ref)
		}
		s.bumpVersions(t, item.PK, v)
		if r := m.Removal; r != nil {
			if !validIDs(r.CompanyID, r.EmployeeID, r.Event.Connection) || !validKey(r.Event.Key) || r.Version == "" {
				return slotbook.FieldErrorf("removal", "needs ids, a key and a version")
			}
			put, err := s.putAction(removalToItem(*r), absent)
			if err != nil {
				return fail("reschedule booking", err)
			}
			t.add(actRemoval, put)
		}
		if m.Claim != "" {
			t.add(actEventClaim, types.TransactWriteItem{Delete: &types.Delete{
				TableName: aws.String(s.table), Key: keyOf(pkSweep, skRemoval(companyID, m.EmployeeID, m.Event.Key)),
				ConditionExpression:       aws.String("#version = :v"),
				ExpressionAttributeNames:  map[string]string{"#version": "version"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":v": str(m.Claim)},
			}})
		}
		var created []slotbook.Notification
		for _, n := range m.Outbox {
			if n.ID != slotbook.ReminderID {
				created = append(created, n)
				continue
			}
			if n.CompanyID != companyID || n.BookingID != bookingID || !validNotification(n) {
				return slotbook.FieldErrorf("notification", "must be of this booking, with an id and a version")
			}
			put, err := s.putAction(notificationToItem(n), "") // the reminder moves with the booking
			if err != nil {
				return fail("reschedule booking", err)
			}
			t.add(actNotification, put)
		}
		if err := s.outboxActions(t, companyID, bookingID, created); err != nil {
			return err
		}
		res, err := t.run(ctx, s, "reschedule booking")
		switch {
		case err != nil:
			return err
		case res.Committed():
			return nil
		case res.ConflictAt(actRemoval):
			return slotbook.Errorf(slotbook.Conflict, "The event key %s has a removal.", m.Removal.Event.Key)
		case res.ConflictAt(actEventClaim):
			return slotbook.Errorf(slotbook.Conflict, "The new event is being removed; try again.")
		case res.ConflictAt(actNotification):
			return slotbook.Errorf(slotbook.Conflict, "A notification of this booking exists already.")
		case res.ConflictAt(actBooking), res.ConflictAt(actBookingRef), res.ConflictAt(actMoved):
			continue // changed meanwhile: the next read tells how
		}
		// A day version moved or the transaction was contended.
		time.Sleep(time.Duration(rand.IntN(10*(attempt+1))) * time.Millisecond)
	}
	return slotbook.Errorf(slotbook.Unavailable, "Too many bookings at once; try again.")
}
