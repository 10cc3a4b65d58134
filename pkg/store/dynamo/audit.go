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

// Audit entries are items of their company's partition under
// AU#<time>#<id>, so a range of dates is one Query; the table's TTL drops
// them when they expire.

func skAudit(at time.Time, id string) string {
	return "AU#" + at.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + id
}

type auditItem struct {
	key
	ID      string    `dynamodbav:"id"`
	At      time.Time `dynamodbav:"at"`
	Actor   string    `dynamodbav:"actor"`
	Role    string    `dynamodbav:"role"`
	Action  string    `dynamodbav:"action"`
	Target  string    `dynamodbav:"target"`
	Expires time.Time `dynamodbav:"expires"`
	TTL     int64     `dynamodbav:"ttl"`
}

// AppendAudit implements slotbook.Store. It is an UpdateItem that makes
// the item, not a PutItem: the reading functions, which record support's
// reads, may update (a connection's status) but not put.
func (s *Store) AppendAudit(ctx context.Context, companyID string, e slotbook.AuditEntry) error {
	if !validIDs(companyID, e.ID) {
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	vals, err := attributevalue.MarshalMap(map[string]any{
		":id": e.ID, ":at": e.At, ":actor": e.Actor, ":role": e.Role, ":action": e.Action, ":target": e.Target,
		":expires": e.Expires, ":ttl": e.Expires.Unix(),
	})
	if err != nil {
		return fail("audit", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: keyOf(companyPK(companyID), skAudit(e.At, e.ID)),
		UpdateExpression: aws.String("SET id = :id, #at = :at, actor = :actor, #role = :role, #action = :action, " +
			"target = :target, expires = :expires, #ttl = :ttl"),
		ConditionExpression:       aws.String(absent),
		ExpressionAttributeNames:  map[string]string{"#at": "at", "#role": "role", "#action": "action", "#ttl": "ttl"},
		ExpressionAttributeValues: vals,
	})
	if err != nil {
		return fail("audit", err)
	}
	return nil
}

// AuditEntries implements slotbook.Store.
func (s *Store) AuditEntries(ctx context.Context, companyID string, from, to time.Time) ([]slotbook.AuditEntry, error) {
	out := []slotbook.AuditEntry{}
	if !validIDs(companyID) {
		return out, nil
	}
	items, err := query[auditItem](ctx, s, "list audit", companyPK(companyID), skAudit(from, ""), skAudit(to, ""))
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if !it.At.Before(from) && it.At.Before(to) {
			out = append(out, slotbook.AuditEntry{ID: it.ID, At: it.At, Actor: it.Actor, Role: it.Role, Action: it.Action, Target: it.Target, Expires: it.Expires})
		}
	}
	return out, nil
}

// pendingAudit returns the Put of the audit entry of ctx's request if no
// write has carried it yet. Its key is the entry's own, and it has no
// condition: a transaction retried after an unknown outcome writes the
// same item again.
func (s *Store) pendingAudit(ctx context.Context) (*slotbook.AuditDraft, types.TransactWriteItem, bool) {
	d, ok := slotbook.PendingAudit(ctx)
	if !ok || !validIDs(d.CompanyID) {
		return nil, types.TransactWriteItem{}, false
	}
	e := d.Entry()
	av, err := attributevalue.MarshalMap(auditItem{key{companyPK(d.CompanyID), skAudit(e.At, e.ID)},
		e.ID, e.At, e.Actor, e.Role, e.Action, e.Target, e.Expires, e.Expires.Unix()})
	if err != nil {
		return nil, types.TransactWriteItem{}, false // written when the request ends
	}
	return d, types.TransactWriteItem{Put: &types.Put{TableName: aws.String(s.table), Item: av}}, true
}

// writeOne runs one write: single() alone, or — while ctx's request has an
// audit entry that no write has carried — item and the entry as one
// transaction, so that the change does not commit without its entry. A
// failed condition of item is then answered as the single write answers
// it, with a ConditionalCheckFailedException.
func (s *Store) writeOne(ctx context.Context, item types.TransactWriteItem, single func() error) error {
	d, audit, ok := s.pendingAudit(ctx)
	if !ok {
		return single()
	}
	for try := 0; ; try++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{item, audit}})
		var cancelled *types.TransactionCanceledException
		switch {
		case err == nil:
			d.Written()
			return nil
		case !errors.As(err, &cancelled) || len(cancelled.CancellationReasons) == 0:
			return err
		case aws.ToString(cancelled.CancellationReasons[0].Code) == "ConditionalCheckFailed":
			return &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed")}
		case try == 2:
			return err // still contended
		}
		time.Sleep(time.Duration(20*(try+1)) * time.Millisecond)
	}
}

// putItem runs in as writeOne does.
func (s *Store) putItem(ctx context.Context, in *dynamodb.PutItemInput) error {
	return s.writeOne(ctx, types.TransactWriteItem{Put: &types.Put{
		TableName: in.TableName, Item: in.Item, ConditionExpression: in.ConditionExpression,
		ExpressionAttributeNames: in.ExpressionAttributeNames, ExpressionAttributeValues: in.ExpressionAttributeValues,
	}}, func() error { _, err := s.db.PutItem(ctx, in); return err })
}

// updateItem runs in as writeOne does.
func (s *Store) updateItem(ctx context.Context, in *dynamodb.UpdateItemInput) error {
	return s.writeOne(ctx, types.TransactWriteItem{Update: &types.Update{
		TableName: in.TableName, Key: in.Key, UpdateExpression: in.UpdateExpression, ConditionExpression: in.ConditionExpression,
		ExpressionAttributeNames: in.ExpressionAttributeNames, ExpressionAttributeValues: in.ExpressionAttributeValues,
	}}, func() error { _, err := s.db.UpdateItem(ctx, in); return err })
}

// deleteItem runs in as writeOne does.
func (s *Store) deleteItem(ctx context.Context, in *dynamodb.DeleteItemInput) error {
	return s.writeOne(ctx, types.TransactWriteItem{Delete: &types.Delete{
		TableName: in.TableName, Key: in.Key, ConditionExpression: in.ConditionExpression,
		ExpressionAttributeNames: in.ExpressionAttributeNames, ExpressionAttributeValues: in.ExpressionAttributeValues,
	}}, func() error { _, err := s.db.DeleteItem(ctx, in); return err })
}
