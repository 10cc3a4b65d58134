package dynamo_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/slotbook/storetest"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

func TestMain(m *testing.M) { os.Exit(dynamotest.Main(m)) }

func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) slotbook.Store { return dynamotest.NewStore(t) })
}

// TestDeadBookingsLeaveTheLiveRange: the B# range, which every slots read
// and every claim queries, holds only live bookings. A pending claim
// carries the table's TTL (a day after it is abandoned), which confirming
// removes; cancelling moves the booking to the BC# range.
func TestDeadBookingsLeaveTheLiveRange(t *testing.T) {
	ctx := t.Context()
	db, table := dynamotest.Client(t), dynamotest.NewTable(t)
	s := dynamo.New(db, table)
	if _, err := s.PutCompany(ctx, slotbook.Company{ID: "acme", Name: "Acme", Timezone: "UTC", BookingIntervalMinutes: 15, HorizonDays: 30}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateEmployee(ctx, "acme", slotbook.Employee{ID: "ana", Name: "Ana"}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 3, 20, 12, 0, 0, 0, time.UTC)
	b := slotbook.Booking{ID: "b1", EmployeeID: "ana", ServiceID: "cut", Start: now.Add(48 * time.Hour), End: now.Add(49 * time.Hour),
		CreatedAt: now, Status: slotbook.Pending, PendingUntil: now.Add(slotbook.PendingTimeout), CancelTokenHash: []byte{1}}
	if err := s.CreateBooking(ctx, "acme", b, nil); err != nil {
		t.Fatal(err)
	}
	items := func(pk, prefix string) []map[string]types.AttributeValue {
		t.Helper()
		out, err := db.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(table), KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}, ":p": &types.AttributeValueMemberS{Value: prefix}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return out.Items
	}
	ttl := func(item map[string]types.AttributeValue) string {
		if v, ok := item["ttl"].(*types.AttributeValueMemberN); ok {
			return v.Value
		}
		return ""
	}
	want := strconv.FormatInt(b.PendingUntil.Add(24*time.Hour).Unix(), 10)
	live, ref := items("C#acme#E#ana", "B#"), items("C#acme", "BI#b1")
	if len(live) != 1 || ttl(live[0]) != want || len(ref) != 1 || ttl(ref[0]) != want {
		t.Fatalf("pending: booking %v, reference %v; want both with ttl %s", live, ref, want)
	}
	if err := s.ConfirmBooking(ctx, "acme", "b1", "ev1", now.Add(time.Second), nil); err != nil {
		t.Fatal(err)
	}
	live, ref = items("C#acme#E#ana", "B#"), items("C#acme", "BI#b1")
	if len(live) != 1 || ttl(live[0]) != "" || ttl(ref[0]) != "" {
		t.Errorf("confirmed: booking %v, reference %v; want no ttl", live, ref)
	}
	if err := s.CancelBooking(ctx, "acme", "b1", nil, nil); err != nil {
		t.Fatal(err)
	}
	if live := items("C#acme#E#ana", "B#"); len(live) != 0 {
		t.Errorf("a cancelled booking stays in the live range: %v", live)
	}
	if gone := items("C#acme#E#ana", "BC#"); len(gone) != 1 || ttl(gone[0]) != "" {
		t.Errorf("cancelled range = %v, want the booking without ttl", gone)
	}
	if got, err := s.Booking(ctx, "acme", "b1"); err != nil || got.Status != slotbook.Cancelled {
		t.Errorf("Booking after the move = %+v, %v", got, err)
	}
}
