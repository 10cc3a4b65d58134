// Package dynamo is the DynamoDB slotbook.Store: one table, keys built only
// from the request's company id and validated ids (see items.go for every
// item type and key pattern), and bookings claimed race-free with
// optimistic per-employee-day versions in one TransactWriteItems.
//
// Access patterns (all consistent reads):
//
//	company settings, one employee/service   GetItem C#c / CO, E#e, S#s
//	employees, services of a company          Query C#c, SK begins_with E# / S#
//	availability                              GetItem C#c#E#e / AV
//	absences, bookings overlapping a range    Query C#c#E#e, SK between X#<from−margin> and X#<to> (B# alike)
//	absence by id                             GetItem C#c#E#e / XI#a → X#<start>#a
package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Store is a slotbook.Store on one DynamoDB table.
type Store struct {
	db    *dynamodb.Client
	table string
}

var _ slotbook.Store = (*Store)(nil)

// New returns a store on table, through db.
func New(db *dynamodb.Client, table string) *Store {
	return &Store{db: db, table: table}
}

// CreateTable creates the table with slotbook's key schema (string PK and
// SK, on-demand billing, TTL on TTLAttribute) unless it exists, and waits
// until it is active. It is for local mode
// and tests; on AWS the SAM template creates the table.
func CreateTable(ctx context.Context, db *dynamodb.Client, table string) error {
	attrs, keys, indexes, ttlAttribute := TableSchema()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:              aws.String(table),
		AttributeDefinitions:   attrs,
		KeySchema:              keys,
		GlobalSecondaryIndexes: indexes,
		BillingMode:            types.BillingModePayPerRequest,
		// The notify function reads the table's stream on AWS.
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewTypeNewImage},
	})
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("dynamo: create table %s: %w", table, err)
	}
	w := dynamodb.NewTableExistsWaiter(db)
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, 2*time.Minute); err != nil {
		return fmt.Errorf("dynamo: wait for table %s: %w", table, err)
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
	if err != nil {
		return fmt.Errorf("dynamo: describe TTL of %s: %w", table, err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               aws.String(table),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(ttlAttribute), Enabled: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("dynamo: enable TTL on %s: %w", table, err)
		}
	}
	return nil
}

// fail wraps a DynamoDB error: throttling and timeouts are Unavailable,
// anything else Internal. The cause stays for the logs only.
func fail(op string, err error) error {
	var (
		throttled *types.ProvisionedThroughputExceededException
		limited   *types.RequestLimitExceeded
		api       smithy.APIError
	)
	code := slotbook.Internal
	switch {
	case errors.As(err, &throttled), errors.As(err, &limited),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		code = slotbook.Unavailable
	case errors.As(err, &api) && (api.ErrorCode() == "ThrottlingException" || api.ErrorCode() == "ServiceUnavailable"):
		code = slotbook.Unavailable
	}
	return &slotbook.Error{Code: code, Message: "The store could not be reached.", Err: fmt.Errorf("dynamo: %s: %w", op, err)}
}

func notFound(what string) error {
	return slotbook.Errorf(slotbook.NotFound, "There is no such %s.", what)
}

func conflict(what string) error {
	return slotbook.Errorf(slotbook.Conflict, "A %s with this id exists already.", what)
}

func keyOf(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

// get reads one item into out and reports whether it exists.
func (s *Store) get(ctx context.Context, op, pk, sk string, out any) (bool, error) {
	res, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String(s.table), Key: keyOf(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return false, fail(op, err)
	}
	if res.Item == nil {
		return false, nil
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return false, fail(op, err)
	}
	return true, nil
}

// put writes item under condition cond (none if empty) and reports whether
// the condition held.
func (s *Store) put(ctx context.Context, op string, item any, cond string) (bool, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return false, fail(op, err)
	}
	in := &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}
	if cond != "" {
		in.ConditionExpression = aws.String(cond)
	}
	err = s.putItem(ctx, in)
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return false, nil
	}
	if err != nil {
		return false, fail(op, err)
	}
	return true, nil
}

// create writes item unless an item of its key exists (Conflict, naming
// what).
func (s *Store) create(ctx context.Context, what string, item any) error {
	ok, err := s.put(ctx, "create "+what, item, absent)
	if err == nil && !ok {
		return conflict(what)
	}
	return err
}

// replace writes item over the item of its key, or returns NotFound
// (naming what) if there is none.
func (s *Store) replace(ctx context.Context, what string, item any) error {
	ok, err := s.put(ctx, "update "+what, item, exists)
	if err == nil && !ok {
		return notFound(what)
	}
	return err
}

// query reads every item of partition pk whose sort key lies in [from, to]
// (or begins with from when to is empty), in sort-key order.
func query[T any](ctx context.Context, s *Store, op, pk, from, to string) ([]T, error) {
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		ConsistentRead:            aws.Bool(true),
		ExpressionAttributeNames:  map[string]string{"#pk": attrPK, "#sk": attrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk), ":a": str(from)},
	}
	if to == "" {
		in.KeyConditionExpression = aws.String("#pk = :pk AND begins_with(#sk, :a)")
	} else {
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk BETWEEN :a AND :b")
		in.ExpressionAttributeValues[":b"] = str(to)
	}
	var out []T
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail(op, err)
		}
		var items []T
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fail(op, err)
		}
		out = append(out, items...)
	}
	return out, nil
}

// one reads the item at (pk, sk), or returns NotFound naming what.
func one[T any](ctx context.Context, s *Store, op, pk, sk, what string) (T, error) {
	var it T
	found, err := s.get(ctx, op, pk, sk, &it)
	if err == nil && !found {
		err = notFound(what)
	}
	return it, err
}

// list reads every item of partition pk whose sort key begins with prefix
// and converts each; an empty result is an empty slice.
func list[T, D any](ctx context.Context, s *Store, op, pk, prefix string, conv func(T) D) ([]D, error) {
	items, err := query[T](ctx, s, op, pk, prefix, "")
	if err != nil {
		return nil, err
	}
	out := make([]D, 0, len(items))
	for _, it := range items {
		out = append(out, conv(it))
	}
	return out, nil
}

func (s *Store) putAction(item any, cond string) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(item)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	p := &types.Put{TableName: aws.String(s.table), Item: av}
	if cond != "" {
		p.ConditionExpression = aws.String(cond)
	}
	return types.TransactWriteItem{Put: p}, nil
}

func (s *Store) mustExist(pk, sk string) types.TransactWriteItem {
	return types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{
		TableName: aws.String(s.table), Key: keyOf(pk, sk), ConditionExpression: aws.String("attribute_exists(PK)"),
	}}
}

func (s *Store) deleteAction(pk, sk, cond string) types.TransactWriteItem {
	d := &types.Delete{TableName: aws.String(s.table), Key: keyOf(pk, sk)}
	if cond != "" {
		d.ConditionExpression = aws.String(cond)
	}
	return types.TransactWriteItem{Delete: d}
}

// validIDs reports whether every id can be part of a key. Ids from the
// HTTP layer are checked already; the store checks again so that no
// caller can build a key that reaches another tenant's items.
func validIDs(ids ...string) bool {
	for _, id := range ids {
		if !slotbook.ValidID(id) {
			return false
		}
	}
	return true
}

// Config says which DynamoDB to use.
type Config struct {
	// Table is the table's name.
	Table string
	// Endpoint, if set, is a DynamoDB Local to use instead of AWS; it gets
	// dummy credentials and its table is created if missing.
	Endpoint string
	// AWS is the region and credentials of AWS's DynamoDB, used when
	// Endpoint is empty. (On Lambda, pkg/aws/lambdafn builds it from the
	// environment, without aws-sdk-go-v2's config package.)
	AWS aws.Config
}

// Open returns the store that cfg names. It calls only a DynamoDB Local
// (to create its table), never AWS.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Table == "" {
		return nil, errors.New("dynamo: no table name")
	}
	if cfg.Endpoint == "" {
		if cfg.AWS.Region == "" || cfg.AWS.Credentials == nil {
			return nil, fmt.Errorf("dynamo: no AWS region or credentials for table %s", cfg.Table)
		}
		return New(dynamodb.NewFromConfig(cfg.AWS), cfg.Table), nil
	}
	db := dynamodb.New(dynamodb.Options{
		BaseEndpoint: aws.String(cfg.Endpoint),
		Region:       "local",
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
	})
	if err := CreateTable(ctx, db, cfg.Table); err != nil {
		return nil, err
	}
	return New(db, cfg.Table), nil
}
