package dynamo

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Webhooks are items of their company's partition under WH#<id>; each
// webhook's delivery log under WD#<webhook>#<delivery>, dropped by the
// table's TTL when it expires.

func skWebhook(id string) string                     { return "WH#" + id }
func skDelivery(webhook, id string) string           { return "WD#" + webhook + "#" + id }
func deliveryPrefix(webhook string) string           { return "WD#" + webhook + "#" }
func webhookFromItem(i webhookItem) slotbook.Webhook { return i.webhook() }

type webhookItem struct {
	key
	ID           string    `dynamodbav:"id"`
	URL          string    `dynamodbav:"url"`
	Events       []string  `dynamodbav:"events"`
	SealedSecret []byte    `dynamodbav:"sealedSecret"`
	CreatedAt    time.Time `dynamodbav:"createdAt"`
	Disabled     bool      `dynamodbav:"disabled"`
}

func webhookToItem(c string, w slotbook.Webhook) webhookItem {
	ev := make([]string, len(w.Events))
	for i, e := range w.Events {
		ev[i] = string(e)
	}
	return webhookItem{key{companyPK(c), skWebhook(w.ID)}, w.ID, w.URL, ev, w.SealedSecret, w.CreatedAt, w.Disabled}
}

func (i webhookItem) webhook() slotbook.Webhook {
	ev := make([]slotbook.WebhookEvent, len(i.Events))
	for k, e := range i.Events {
		ev[k] = slotbook.WebhookEvent(e)
	}
	return slotbook.Webhook{ID: i.ID, URL: i.URL, Events: ev, SealedSecret: i.SealedSecret, CreatedAt: i.CreatedAt, Disabled: i.Disabled}
}

type attemptItem struct {
	At     time.Time `dynamodbav:"at"`
	Status int       `dynamodbav:"status"`
	Error  string    `dynamodbav:"error,omitempty"`
}

type deliveryItem struct {
	key
	ID        string        `dynamodbav:"id"`
	Webhook   string        `dynamodbav:"webhook"`
	Booking   string        `dynamodbav:"booking"`
	Type      string        `dynamodbav:"type"`
	CreatedAt time.Time     `dynamodbav:"createdAt"`
	State     string        `dynamodbav:"state"`
	Attempts  []attemptItem `dynamodbav:"attempts"`
	Expires   time.Time     `dynamodbav:"expires"`
}

// Webhooks implements slotbook.Store.
func (s *Store) Webhooks(ctx context.Context, companyID string) ([]slotbook.Webhook, error) {
	if !validIDs(companyID) {
		return []slotbook.Webhook{}, nil
	}
	return list(ctx, s, "list webhooks", companyPK(companyID), "WH#", webhookFromItem)
}

// Webhook implements slotbook.Store.
func (s *Store) Webhook(ctx context.Context, companyID, webhookID string) (slotbook.Webhook, error) {
	if !validIDs(companyID, webhookID) {
		return slotbook.Webhook{}, notFound("webhook")
	}
	it, err := one[webhookItem](ctx, s, "get webhook", companyPK(companyID), skWebhook(webhookID), "webhook")
	return it.webhook(), err
}

// CreateWebhook implements slotbook.Store.
func (s *Store) CreateWebhook(ctx context.Context, companyID string, w slotbook.Webhook) error {
	if !validIDs(companyID, w.ID) {
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	return s.create(ctx, "webhook", webhookToItem(companyID, w))
}

// UpdateWebhook implements slotbook.Store.
func (s *Store) UpdateWebhook(ctx context.Context, companyID string, w slotbook.Webhook) error {
	if !validIDs(companyID, w.ID) {
		return notFound("webhook")
	}
	return s.replace(ctx, "webhook", webhookToItem(companyID, w))
}

// DeleteWebhook implements slotbook.Store. The delivery log is left to
// the table's TTL.
func (s *Store) DeleteWebhook(ctx context.Context, companyID, webhookID string) error {
	if !validIDs(companyID, webhookID) {
		return notFound("webhook")
	}
	err := s.deleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: keyOf(companyPK(companyID), skWebhook(webhookID)),
		ConditionExpression: aws.String(exists),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return notFound("webhook")
	}
	if err != nil {
		return fail("delete webhook", err)
	}
	return nil
}

// WebhookDeliveries implements slotbook.Store.
func (s *Store) WebhookDeliveries(ctx context.Context, companyID, webhookID string) ([]slotbook.WebhookDelivery, error) {
	out := []slotbook.WebhookDelivery{}
	if !validIDs(companyID, webhookID) {
		return out, nil
	}
	items, err := query[deliveryItem](ctx, s, "list deliveries", companyPK(companyID), deliveryPrefix(webhookID), "")
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		d := slotbook.WebhookDelivery{ID: it.ID, WebhookID: it.Webhook, BookingID: it.Booking, Type: slotbook.WebhookEvent(it.Type),
			CreatedAt: it.CreatedAt, State: slotbook.NotificationState(it.State), Expires: it.Expires,
			Attempts: make([]slotbook.DeliveryAttempt, len(it.Attempts))}
		for k, a := range it.Attempts {
			d.Attempts[k] = slotbook.DeliveryAttempt{At: a.At, Status: a.Status, Error: a.Error}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(x, y slotbook.WebhookDelivery) int {
		return cmp.Or(y.CreatedAt.Compare(x.CreatedAt), cmp.Compare(y.ID, x.ID))
	})
	return out, nil
}

// RecordDeliveryAttempt implements slotbook.Store: one UpdateItem appends
// the attempt, so that attempts of racing senders are all kept.
func (s *Store) RecordDeliveryAttempt(ctx context.Context, companyID string, d slotbook.WebhookDelivery, attempt slotbook.DeliveryAttempt) error {
	if !validIDs(companyID, d.WebhookID) || d.ID == "" {
		return slotbook.FieldErrorf("delivery", "needs a webhook and an id")
	}
	a, err := attributevalue.Marshal([]attemptItem{{At: attempt.At, Status: attempt.Status, Error: attempt.Error}})
	if err != nil {
		return fail("log delivery", err)
	}
	vals := map[string]types.AttributeValue{
		":a": a, ":none": &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
		":id": str(d.ID), ":w": str(d.WebhookID), ":b": str(d.BookingID), ":t": str(string(d.Type)),
		":c": str(d.CreatedAt.UTC().Format(time.RFC3339Nano)), ":s": str(string(d.State)),
		":e": str(d.Expires.UTC().Format(time.RFC3339Nano)), ":ttl": num(d.Expires.Unix()),
	}
	err = s.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: keyOf(companyPK(companyID), skDelivery(d.WebhookID, d.ID)),
		UpdateExpression: aws.String("SET attempts = list_append(if_not_exists(attempts, :none), :a), id = :id, webhook = :w, " +
			"booking = :b, #type = :t, createdAt = if_not_exists(createdAt, :c), #state = :s, expires = :e, #ttl = :ttl"),
		ExpressionAttributeNames:  map[string]string{"#type": "type", "#state": "state", "#ttl": "ttl"},
		ExpressionAttributeValues: vals,
	})
	if err != nil {
		return fail("log delivery", err)
	}
	return nil
}
