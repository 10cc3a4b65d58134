package dynamo

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// cancelled is a TransactionCanceledException with one reason per code.
func cancelled(codes ...string) error {
	e := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
	for _, c := range codes {
		e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return e
}

// TestTxnResult pins how the answers of TransactWriteItems become results:
// by the role of the failed action, never by its position.
func TestTxnResult(t *testing.T) {
	t.Parallel()
	// ref, booking, version, version — the shape of a claim.
	claim := &txn{}
	for _, a := range []action{actBookingRef, actBooking, actVersion, actVersion} {
		claim.add(a, types.TransactWriteItem{})
	}
	tests := []struct {
		name          string
		err           error
		wantCommitted bool
		wantConflict  action // 0: none
		wantNth       int
		wantContended bool
	}{
		{name: "committed", err: nil, wantCommitted: true},
		{name: "first condition", err: cancelled("ConditionalCheckFailed", "None", "None", "None"), wantConflict: actBookingRef},
		{name: "second of a name", err: cancelled("None", "None", "None", "ConditionalCheckFailed"), wantConflict: actVersion, wantNth: 1},
		{name: "first failed condition wins", err: cancelled("None", "ConditionalCheckFailed", "ConditionalCheckFailed", "None"), wantConflict: actBooking},
		{name: "a failed condition outranks contention", err: cancelled("TransactionConflict", "None", "ConditionalCheckFailed", "None"), wantConflict: actVersion},
		{name: "transaction conflict", err: cancelled("None", "TransactionConflict", "None", "None"), wantContended: true},
		{name: "throttled item", err: cancelled("None", "None", "ThrottlingError", "None"), wantContended: true},
		{name: "wrapped cancellation", err: errors.Join(errors.New("op"), cancelled("None", "ConditionalCheckFailed", "None", "None")), wantConflict: actBooking},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, ok := claim.resultOf(tt.err)
			if !ok {
				t.Fatalf("resultOf(%v): not a result", tt.err)
			}
			if got := res.Committed(); got != tt.wantCommitted {
				t.Errorf("Committed() = %v, want %v", got, tt.wantCommitted)
			}
			if got := res.Contended(); got != tt.wantContended {
				t.Errorf("Contended() = %v, want %v", got, tt.wantContended)
			}
			for _, a := range []action{actBookingRef, actBooking, actVersion, actIdempotency} {
				if got, want := res.ConflictAt(a), a == tt.wantConflict; got != want {
					t.Errorf("ConflictAt(%d) = %v, want %v", a, got, want)
				}
			}
			if tt.wantConflict != 0 && res.Nth() != tt.wantNth {
				t.Errorf("Nth() = %d, want %d", res.Nth(), tt.wantNth)
			}
		})
	}
	t.Run("other errors are errors", func(t *testing.T) {
		for _, err := range []error{errors.New("connection refused"), &types.ProvisionedThroughputExceededException{}} {
			if res, ok := claim.resultOf(err); ok {
				t.Errorf("resultOf(%v) = %+v, want no result", err, res)
			}
		}
	})
}

// TestTxnDropReplace: dropping and replacing by name keep the other actions
// in their order, so that names still match positions.
func TestTxnDropReplace(t *testing.T) {
	t.Parallel()
	tx := &txn{}
	mark := func(s string) types.TransactWriteItem {
		return types.TransactWriteItem{Delete: &types.Delete{TableName: aws.String(s)}}
	}
	tx.add(actBooking, mark("booking"))
	tx.add(actIdempotency, mark("idempotency"))
	tx.add(actRemoval, mark("removal"))
	tx.drop(actIdempotency)
	tx.replace(actRemoval, mark("removal2"))
	var got []string
	for i, it := range tx.items {
		got = append(got, aws.ToString(it.Delete.TableName))
		if (tx.acts[i] == actRemoval) != (got[i] == "removal2") {
			t.Errorf("action %d named %d holds %s", i, tx.acts[i], got[i])
		}
	}
	if len(got) != 2 || got[0] != "booking" || got[1] != "removal2" {
		t.Errorf("items = %v, want [booking removal2]", got)
	}
	res, _ := tx.resultOf(cancelled("None", "ConditionalCheckFailed"))
	if !res.ConflictAt(actRemoval) {
		t.Errorf("after drop, a failure at position 1 = %+v, want ConflictAt(actRemoval)", res)
	}
}
