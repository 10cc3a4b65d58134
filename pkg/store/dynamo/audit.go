package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

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
