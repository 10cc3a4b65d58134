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

// pkRetention is the partition of the companies that erase customer data
// after a while: one item per company (SK its id), the sweeper's list.
const pkRetention = "RETENTION"

type retentionItem struct {
	key
	Company   string    `dynamodbav:"company"`
	Days      int       `dynamodbav:"days"`
	DoneUntil time.Time `dynamodbav:"doneUntil"`
}

// SetRetention implements slotbook.Store.
func (s *Store) SetRetention(ctx context.Context, companyID string, days int) error {
	if !validIDs(companyID) {
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	k := keyOf(pkRetention, companyID)
	var err error
	if days <= 0 {
		err = s.deleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.table), Key: k})
	} else {
		err = s.updateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: aws.String(s.table), Key: k,
			UpdateExpression:          aws.String("SET company = :c, days = :d"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(companyID), ":d": num(int64(days))},
		})
	}
	if err != nil {
		return fail("set retention", err)
	}
	return nil
}

// Retentions implements slotbook.Store.
func (s *Store) Retentions(ctx context.Context) ([]slotbook.Retention, error) {
	items, err := query[retentionItem](ctx, s, "list retentions", pkRetention, "0", "~") // every id
	if err != nil {
		return nil, err
	}
	out := make([]slotbook.Retention, 0, len(items))
	for _, it := range items {
		out = append(out, slotbook.Retention{CompanyID: it.Company, Days: it.Days, DoneUntil: it.DoneUntil})
	}
	return out, nil
}

// RetentionDone implements slotbook.Store. A record deleted meanwhile
// (the company keeps its data now) is not brought back.
func (s *Store) RetentionDone(ctx context.Context, companyID string, until time.Time) error {
	if !validIDs(companyID) {
		return nil
	}
	v, err := attributevalue.Marshal(until)
	if err != nil {
		return fail("retention done", err)
	}
	err = s.updateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.table), Key: keyOf(pkRetention, companyID),
		UpdateExpression:          aws.String("SET doneUntil = :u"),
		ConditionExpression:       aws.String(exists),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": v},
	})
	var failed *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &failed) {
		return fail("retention done", err)
	}
	return nil
}
