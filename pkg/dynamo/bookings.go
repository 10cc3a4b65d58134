package dynamo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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

// claimAttempts bounds the optimistic retries of one CreateBooking.
const claimAttempts = 8

// Bookings implements slotbook.Store.
func (s *Store) Bookings(ctx context.Context, companyID, employeeID string, from, to time.Time) ([]slotbook.Booking, error) {
	out := []slotbook.Booking{}
	if !validIDs(companyID, employeeID) {
		return out, nil
	}
	items, err := s.bookingsNear(ctx, companyID, employeeID, from, to)
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

// bookingsNear reads the employee's bookings that start in
// [from−maxBlocked, to], a superset of those whose time, buffers included,
// can overlap [from, to).
func (s *Store) bookingsNear(ctx context.Context, companyID, employeeID string, from, to time.Time) ([]bookingItem, error) {
	return query[bookingItem](ctx, s, "list bookings", employeePK(companyID, employeeID),
		"B#"+timeKey(from.Add(-maxBlocked)), "B#"+timeKey(to.Add(maxBlocked))+"~")
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
	start, end := b.Blocked()
	if !end.After(start) || end.Sub(start) > maxBlocked {
		return slotbook.FieldErrorf("end", "must be after start, and the booking at most %v long", maxBlocked)
	}
	pk := employeePK(companyID, b.EmployeeID)
	days := utcDays(start, end)
	for attempt := range claimAttempts {
		versions, err := s.versions(ctx, pk, days)
		if err != nil {
			return err
		}
		near, err := s.bookingsNear(ctx, companyID, b.EmployeeID, start, end)
		if err != nil {
			return err
		}
		for _, it := range near {
			o := it.booking()
			os, oe := o.Blocked()
			if o.Blocks(b.CreatedAt) && os.Before(end) && start.Before(oe) {
				return slotbook.Errorf(slotbook.SlotTaken, "This time is no longer free.")
			}
		}
		actions, err := s.claimActions(companyID, b, idem, days, versions)
		if err != nil {
			return fail("create booking", err)
		}
		failed, err := s.transact(ctx, "create booking", actions)
		switch {
		case err != nil:
			return err
		case failed == -1:
			return nil
		case failed == 0:
			return conflict("booking")
		case failed == 2 && idem != nil:
			return slotbook.Errorf(slotbook.Conflict, "This Idempotency-Key was used already.")
		}
		// A version moved: another booking of this employee committed on
		// one of these days. Look again after a short, jittered pause.
		time.Sleep(time.Duration(rand.IntN(10*(attempt+1))) * time.Millisecond)
	}
	return slotbook.Errorf(slotbook.Unavailable, "Too many bookings at once; try again.")
}

// claimActions writes the id reference, the booking, the idempotency
// record (if any) and the bumped day versions, in this order.
func (s *Store) claimActions(companyID string, b slotbook.Booking, idem *slotbook.Idempotency, days []string, versions map[string]int64) ([]types.TransactWriteItem, error) {
	pk := employeePK(companyID, b.EmployeeID)
	item := bookingToItem(companyID, b)
	ref, err := s.putAction(refItem{key{companyPK(companyID), skBookingRef(b.ID)}, pk + "|" + item.SK}, absent)
	if err != nil {
		return nil, err
	}
	put, err := s.putAction(item, absent)
	if err != nil {
		return nil, err
	}
	actions := []types.TransactWriteItem{ref, put}
	if idem != nil {
		av, err := attributevalue.MarshalMap(idempotencyToItem(companyID, *idem))
		if err != nil {
			return nil, err
		}
		actions = append(actions, types.TransactWriteItem{Put: &types.Put{
			TableName: aws.String(s.table), Item: av,
			// A record that has expired by its own time may be replaced,
			// whether or not the TTL sweep has removed it yet.
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR expiresNs <= :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: itoa(idem.CreatedAt.UnixNano())}},
		}})
	}
	for _, d := range days {
		v, seen := versions[d]
		up := &types.Update{
			TableName:                 aws.String(s.table),
			Key:                       keyOf(pk, skVersion(d)),
			UpdateExpression:          aws.String("SET v = :next"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":next": &types.AttributeValueMemberN{Value: itoa(v + 1)}},
		}
		if seen {
			up.ConditionExpression = aws.String("v = :v")
			up.ExpressionAttributeValues[":v"] = &types.AttributeValueMemberN{Value: itoa(v)}
		} else {
			up.ConditionExpression = aws.String(absent)
		}
		actions = append(actions, types.TransactWriteItem{Update: up})
	}
	return actions, nil
}

// versions reads the version items of days; a missing one is left out.
func (s *Store) versions(ctx context.Context, pk string, days []string) (map[string]int64, error) {
	out := make(map[string]int64, len(days))
	for _, d := range days {
		var it versionItem
		found, err := s.get(ctx, "read day version", pk, skVersion(d), &it)
		if err != nil {
			return nil, err
		}
		if found {
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

// Booking implements slotbook.Store.
func (s *Store) Booking(ctx context.Context, companyID, bookingID string) (slotbook.Booking, error) {
	pk, sk, found, err := s.bookingKey(ctx, companyID, bookingID)
	if err != nil {
		return slotbook.Booking{}, err
	}
	var it bookingItem
	if found {
		found, err = s.get(ctx, "get booking", pk, sk, &it)
	}
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
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
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

// ConfirmBooking implements slotbook.Store.
func (s *Store) ConfirmBooking(ctx context.Context, companyID, bookingID string, event slotbook.EventRef, now time.Time) error {
	pk, sk, found, err := s.bookingKey(ctx, companyID, bookingID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("booking")
	}
	ok, err := s.update(ctx, "confirm booking", pk, sk,
		"SET #st = :confirmed, eventConnection = :conn, eventId = :ev REMOVE pendingNs",
		"attribute_exists(PK) AND #st = :pending AND pendingNs > :now",
		map[string]string{"#st": "status"},
		map[string]types.AttributeValue{
			":confirmed": str(string(slotbook.Confirmed)), ":pending": str(string(slotbook.Pending)),
			":conn": str(event.Connection), ":ev": str(event.EventID),
			":now": &types.AttributeValueMemberN{Value: itoa(now.UnixNano())},
		})
	if err == nil && !ok {
		return slotbook.Errorf(slotbook.Conflict, "The booking is not pending.")
	}
	return err
}

// CancelBooking implements slotbook.Store. A cancelled booking no longer
// blocks, so no day version needs to move: a claim that read it as
// blocking just answered SlotTaken a moment early.
func (s *Store) CancelBooking(ctx context.Context, companyID, bookingID string) error {
	pk, sk, found, err := s.bookingKey(ctx, companyID, bookingID)
	if err != nil {
		return err
	}
	if !found {
		return notFound("booking")
	}
	ok, err := s.update(ctx, "cancel booking", pk, sk, "SET #st = :cancelled REMOVE pendingNs", "attribute_exists(PK)",
		map[string]string{"#st": "status"}, map[string]types.AttributeValue{":cancelled": str(string(slotbook.Cancelled))})
	if err == nil && !ok {
		return notFound("booking")
	}
	return err
}

// ReleaseBooking implements slotbook.Store.
func (s *Store) ReleaseBooking(ctx context.Context, companyID, bookingID, idempotencyKey string) error {
	pk, sk, found, err := s.bookingKey(ctx, companyID, bookingID)
	if err != nil || !found {
		return err
	}
	actions := []types.TransactWriteItem{
		{Delete: &types.Delete{
			TableName: aws.String(s.table), Key: keyOf(pk, sk),
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR #st <> :confirmed"),
			ExpressionAttributeNames:  map[string]string{"#st": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":confirmed": str(string(slotbook.Confirmed))},
		}},
		s.deleteAction(companyPK(companyID), skBookingRef(bookingID), ""),
	}
	if idempotencyKey != "" {
		actions = append(actions, types.TransactWriteItem{Delete: &types.Delete{
			TableName: aws.String(s.table), Key: keyOf(companyPK(companyID), skIdempotency(idempotencyKey)),
			// Only the record that names this booking goes.
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR bookingId = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(bookingID)},
		}})
	}
	failed, err := s.transact(ctx, "release booking", actions)
	switch {
	case err != nil:
		return err
	case failed == 0:
		return slotbook.Errorf(slotbook.Conflict, "A confirmed booking is cancelled, not released.")
	case failed == 2:
		// The key names another booking now: release the booking alone.
		_, err := s.transact(ctx, "release booking", actions[:2])
		return err
	case failed != -1:
		return slotbook.Errorf(slotbook.Unavailable, "The booking changed meanwhile; try again.")
	}
	return nil
}
