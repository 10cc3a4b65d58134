package dynamo

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// The outbox index: a sparse global secondary index over the pending
// notifications of every company, sorted by due time. Only a pending
// notification carries its attributes, so a sent, failed or skipped one
// leaves the index, and the mail sender's read of what is due touches
// nothing else.
const (
	OutboxIndex     = "outbox"
	attrOutbox      = "outbox"
	attrOutboxDue   = "outboxDue"
	outboxPartition = "pending"
)

// skNotification is the sort key of a booking's notification, under the
// company's partition: a booking's notifications are one range.
func skNotification(bookingID, id string) string { return "M#" + bookingID + "#" + id }

// notificationItem is a Notification. It holds ids, times, states and the
// sealed cancel token; never a mail's content or an error's text.
type notificationItem struct {
	key
	Company      string    `dynamodbav:"company"`
	Booking      string    `dynamodbav:"booking"`
	ID           string    `dynamodbav:"id"`
	Kind         string    `dynamodbav:"kind"`
	To           string    `dynamodbav:"to"`
	Sequence     int       `dynamodbav:"seq"`
	BookingStart time.Time `dynamodbav:"bookingStart"`
	Lang         string    `dynamodbav:"lang"`
	Due          time.Time `dynamodbav:"due"`
	State        string    `dynamodbav:"state"`
	Attempts     int       `dynamodbav:"attempts"`
	ErrorClass   string    `dynamodbav:"errorClass,omitempty"`
	SentAt       time.Time `dynamodbav:"sentAt"`
	SealedToken  []byte    `dynamodbav:"sealedToken,omitempty"`
	Version      string    `dynamodbav:"version"`
	// A webhook event's subscription and what it tells beyond the booking.
	Webhook          string    `dynamodbav:"webhook,omitempty"`
	CreatedAt        time.Time `dynamodbav:"createdAt,omitempty"`
	Employee         string    `dynamodbav:"employee,omitempty"`
	PreviousStart    time.Time `dynamodbav:"previousStart,omitempty"`
	PreviousEmployee string    `dynamodbav:"previousEmployee,omitempty"`
	CancelledBy      string    `dynamodbav:"cancelledBy,omitempty"`
	// Outbox and OutboxDue put a pending notification into OutboxIndex.
	Outbox    string `dynamodbav:"outbox,omitempty"`
	OutboxDue string `dynamodbav:"outboxDue,omitempty"`
}

func notificationToItem(n slotbook.Notification) notificationItem {
	it := notificationItem{
		key:     key{companyPK(n.CompanyID), skNotification(n.BookingID, n.ID)},
		Company: n.CompanyID, Booking: n.BookingID, ID: n.ID, Kind: string(n.Kind), To: string(n.To),
		Sequence: n.Sequence, BookingStart: n.BookingStart, Lang: string(n.Lang), Due: n.Due,
		State: string(n.State), Attempts: n.Attempts, ErrorClass: n.ErrorClass, SentAt: n.SentAt,
		SealedToken: n.SealedToken, Version: n.Version,
		Webhook: n.WebhookID, CreatedAt: n.CreatedAt, Employee: n.EmployeeID, PreviousStart: n.PreviousStart,
		PreviousEmployee: n.PreviousEmployee, CancelledBy: n.CancelledBy,
	}
	if n.State == slotbook.NotificationPending {
		// Due, then the ids: equal times sort as the memory store sorts them.
		it.Outbox, it.OutboxDue = outboxPartition, timeKey(n.Due)+"#"+n.CompanyID+"#"+n.BookingID+"#"+n.ID
	}
	return it
}

func (i notificationItem) notification() slotbook.Notification {
	return slotbook.Notification{
		CompanyID: i.Company, BookingID: i.Booking, ID: i.ID, Kind: slotbook.NotificationKind(i.Kind),
		To: slotbook.Recipient(i.To), Sequence: i.Sequence, BookingStart: i.BookingStart, Lang: slotbook.Language(i.Lang),
		Due: i.Due, State: slotbook.NotificationState(i.State), Attempts: i.Attempts, ErrorClass: i.ErrorClass,
		SentAt: i.SentAt, SealedToken: i.SealedToken, Version: i.Version,
		WebhookID: i.Webhook, CreatedAt: i.CreatedAt, EmployeeID: i.Employee, PreviousStart: i.PreviousStart,
		PreviousEmployee: i.PreviousEmployee, CancelledBy: i.CancelledBy,
	}
}

// validNotification reports whether n can be written under its keys.
func validNotification(n slotbook.Notification) bool {
	return validIDs(n.CompanyID, n.BookingID, n.ID) && n.Version != ""
}

// outboxActions adds to t the creation of each notification of outbox, of
// booking bookingID; an id that exists fails the transaction.
func (s *Store) outboxActions(t *txn, companyID, bookingID string, outbox []slotbook.Notification) error {
	for _, n := range outbox {
		if n.CompanyID != companyID || n.BookingID != bookingID || !validNotification(n) {
			return slotbook.FieldErrorf("notification", "must be of this booking, with an id and a version")
		}
		put, err := s.putAction(notificationToItem(n), absent)
		if err != nil {
			return fail("write notification", err)
		}
		t.add(actNotification, put)
	}
	return nil
}

// Notifications implements slotbook.Store.
func (s *Store) Notifications(ctx context.Context, companyID, bookingID string) ([]slotbook.Notification, error) {
	if !validIDs(companyID, bookingID) {
		return []slotbook.Notification{}, nil
	}
	return list(ctx, s, "list notifications", companyPK(companyID), skNotification(bookingID, ""), notificationItem.notification)
}

// Notification implements slotbook.Store.
func (s *Store) Notification(ctx context.Context, companyID, bookingID, id string) (slotbook.Notification, error) {
	if !validIDs(companyID, bookingID, id) {
		return slotbook.Notification{}, notFound("notification")
	}
	it, err := one[notificationItem](ctx, s, "get notification", companyPK(companyID), skNotification(bookingID, id), "notification")
	return it.notification(), err
}

// DueNotifications implements slotbook.Store: one Query of OutboxIndex.
// The index is eventually consistent; a notification that has just
// become due, or was just taken, may show a moment late or early, which
// the sender's versioned take (PutNotification) makes harmless.
func (s *Store) DueNotifications(ctx context.Context, now time.Time, limit int) ([]slotbook.Notification, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(OutboxIndex),
		KeyConditionExpression:    aws.String("#o = :o AND #d <= :now"),
		ExpressionAttributeNames:  map[string]string{"#o": attrOutbox, "#d": attrOutboxDue},
		ExpressionAttributeValues: map[string]types.AttributeValue{":o": str(outboxPartition), ":now": str(timeKey(now) + "#~")}, // '~' sorts after every id
		Limit:                     aws.Int32(int32(limit)),
	}
	res, err := s.db.Query(ctx, in)
	if err != nil {
		return nil, fail("list due notifications", err)
	}
	var items []notificationItem
	if err := attributevalue.UnmarshalListOfMaps(res.Items, &items); err != nil {
		return nil, fail("list due notifications", err)
	}
	out := make([]slotbook.Notification, 0, len(items))
	for _, it := range items {
		if n := it.notification(); n.State == slotbook.NotificationPending && !n.Due.After(now) {
			out = append(out, n)
		}
	}
	return out, nil
}

// PutNotification implements slotbook.Store.
func (s *Store) PutNotification(ctx context.Context, n slotbook.Notification, replaces string) error {
	if !validNotification(n) {
		return slotbook.FieldErrorf("notification", "needs ids and a version")
	}
	av, err := attributevalue.MarshalMap(notificationToItem(n))
	if err != nil {
		return fail("put notification", err)
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}
	if replaces != "" {
		in.ConditionExpression = aws.String("attribute_exists(PK) AND #v = :v")
		in.ExpressionAttributeNames = map[string]string{"#v": "version"}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":v": str(replaces)}
	}
	err = s.putItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	switch {
	case errors.As(err, &failed):
		if _, err := s.Notification(ctx, n.CompanyID, n.BookingID, n.ID); err != nil {
			return err // NotFound: gone, or never there
		}
		return slotbook.Errorf(slotbook.Conflict, "The notification changed meanwhile.")
	case err != nil:
		return fail("put notification", err)
	}
	return nil
}
