package dynamo

import (
	"context"
	"errors"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// action names the role of one action of a transaction, so that a failed
// condition is told by what it guards — res.ConflictAt(actBooking) — and
// never by its position in the request. Several actions of one
// transaction may share a name (the day versions of a claim, the employees
// a service names); ConflictAt then matches any of them, and
// txnResult.Nth says which one it was.
type action uint8

const (
	_               action = iota // the zero action names nothing: a committed result has it
	actBooking                    // the booking item: put, confirmed, moved or released
	actBookingRef                 // the booking's id reference (BI#), which every read by id follows
	actCancelled                  // the booking written into the cancelled (BC#) range
	actIdempotency                // the Idempotency-Key record of a claim
	actRemoval                    // the event removal of a booking's calendar event
	actVersion                    // a day version of an employee, bumped by claims and confirmations
	actEmployee                   // an employee item: must exist, or is deleted
	actService                    // a service item
	actConnection                 // a calendar connection item
	actDefaultMark                // the employee's default-connection mark (KD)
	actAvailability               // an employee's availability item
	actAbsence                    // an absence item
	actAbsenceRef                 // an absence's id reference
	actNotification               // a notification recorded with a booking change (the outbox)
	actMoved                      // the booking written at its new time (a reschedule)
	actEventClaim                 // the removal-if-unconfirmed of a moved booking's new event, dropped by the move
	actClosure                    // a closure item of a company
	actClosureRef                 // a closure's id reference
)

// txn is a transaction under construction: its actions in order, each
// added under the name of its role.
type txn struct {
	items []types.TransactWriteItem
	acts  []action
}

// add appends item to the transaction as action a.
func (t *txn) add(a action, item types.TransactWriteItem) {
	t.items = append(t.items, item)
	t.acts = append(t.acts, a)
}

// drop removes every action named a.
func (t *txn) drop(a action) {
	n := 0
	for i, x := range t.acts {
		if x != a {
			t.items[n], t.acts[n] = t.items[i], x
			n++
		}
	}
	t.items, t.acts = t.items[:n], t.acts[:n]
}

// replace puts item in the place of every action named a.
func (t *txn) replace(a action, item types.TransactWriteItem) {
	for i, x := range t.acts {
		if x == a {
			t.items[i] = item
		}
	}
}

// outcome is how a transaction ended.
type outcome uint8

const (
	committed  outcome = iota // every action was applied
	conflicted                // cancelled: the condition of one action did not hold
	contended                 // cancelled for another reason; a retry may commit
)

// txnResult is how a transaction ended: committed; conflicted, naming the
// first action whose condition did not hold; or contended — cancelled
// without a failed condition (a TransactionConflict with a concurrent
// transaction on the same items, or an item still throttled after the
// SDK's retries), so that reading again and retrying may commit. Errors
// that are not a cancellation (the table unreachable, a whole request
// throttled) are not results: run returns them as errors.
type txnResult struct {
	outcome outcome
	act     action // the first action whose condition failed, if conflicted
	nth     int    // its place among the actions named act, from 0
}

// Committed reports whether every action was applied.
func (r txnResult) Committed() bool { return r.outcome == committed }

// ConflictAt reports whether the transaction was cancelled because the
// condition of an action named a did not hold (the first such action, if
// several failed).
func (r txnResult) ConflictAt(a action) bool { return r.outcome == conflicted && r.act == a }

// Contended reports whether the transaction was cancelled without a failed
// condition, so that a retry may commit.
func (r txnResult) Contended() bool { return r.outcome == contended }

// Nth returns, for a conflict, the place of the failed action among the
// actions of its name, counted from 0 in the order they were added: for
// ConflictAt(actEmployee) in a transaction that checks employees e0, e1, …
// it is the index of the employee that is missing.
func (r txnResult) Nth() int { return r.nth }

// run commits the transaction on s's table. An error (wrapped by fail,
// with op) means the transaction's fate is not known from its answer;
// otherwise the result says how it ended.
func (t *txn) run(ctx context.Context, s *Store, op string) (txnResult, error) {
	items := t.items
	// The request's audit entry, if no write has carried it yet, joins the
	// transaction as its last action (a transaction takes 100).
	d, audit, withAudit := s.pendingAudit(ctx)
	if withAudit && len(items) < 100 {
		items = append(slices.Clip(items), audit)
	}
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	res, ok := t.resultOf(err)
	if !ok {
		return txnResult{}, fail(op, err)
	}
	if res.Committed() && withAudit && len(items) > len(t.items) {
		d.Written()
	}
	return res, nil
}

// resultOf turns the answer of TransactWriteItems into a result; ok is
// false if err is neither nil nor a cancellation.
//
// A cancellation lists one reason per action, in request order: "None"
// for those that would have applied, "ConditionalCheckFailed" for a
// condition that did not hold, "TransactionConflict" or a throttling code
// otherwise. A failed condition decides the outcome even when other
// actions were contended as well, since a retry would fail it again.
func (t *txn) resultOf(err error) (res txnResult, ok bool) {
	if err == nil {
		return txnResult{outcome: committed}, true
	}
	var cancelled *types.TransactionCanceledException
	if !errors.As(err, &cancelled) {
		return txnResult{}, false
	}
	for i, r := range cancelled.CancellationReasons {
		if aws.ToString(r.Code) != "ConditionalCheckFailed" || i >= len(t.acts) {
			continue
		}
		res = txnResult{outcome: conflicted, act: t.acts[i]}
		for _, a := range t.acts[:i] {
			if a == res.act {
				res.nth++
			}
		}
		return res, true
	}
	return txnResult{outcome: contended}, true
}
