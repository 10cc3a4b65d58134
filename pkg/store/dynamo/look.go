package dynamo

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Look implements slotbook.Store: one BatchGetItem (consistent) of every
// record l names — a hundred keys a call, the calls at once.
func (s *Store) Look(ctx context.Context, companyID string, l slotbook.Lookup) (slotbook.Looked, error) {
	out := slotbook.Looked{Employees: map[string]slotbook.Employee{}, Availability: map[string]slotbook.Availability{}}
	if !validIDs(companyID) {
		return out, nil
	}
	cpk := companyPK(companyID)
	var keys []key
	if l.Company {
		keys = append(keys, key{cpk, skCompany})
	}
	if l.Service != "" && validIDs(l.Service) {
		keys = append(keys, key{cpk, skService(l.Service)})
	}
	for _, e := range l.Employees {
		if validIDs(e) {
			keys = append(keys, key{cpk, skEmployee(e)}, key{employeePK(companyID, e), skAvailability})
		}
	}
	if l.IdempotencyKey != "" {
		keys = append(keys, key{cpk, skIdempotency(l.IdempotencyKey)})
	}
	items, err := s.batchGet(ctx, "look", keys)
	if err != nil {
		return slotbook.Looked{}, err
	}
	if av, ok := items[key{cpk, skCompany}]; ok {
		var it companyItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return slotbook.Looked{}, fail("look", err)
		}
		c := it.company(companyID)
		out.Company = &c
	}
	if av, ok := items[key{cpk, skService(l.Service)}]; ok && l.Service != "" {
		var it serviceItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return slotbook.Looked{}, fail("look", err)
		}
		v := it.service()
		out.Service = &v
	}
	for _, e := range l.Employees {
		av, ok := items[key{cpk, skEmployee(e)}]
		if !ok {
			continue
		}
		var it employeeItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return slotbook.Looked{}, fail("look", err)
		}
		out.Employees[e] = it.employee()
		a := slotbook.Availability{Weekly: []slotbook.WeeklyHours{}, Overrides: []slotbook.DateOverride{}}
		if av, ok := items[key{employeePK(companyID, e), skAvailability}]; ok {
			var ai availabilityItem
			if err := attributevalue.UnmarshalMap(av, &ai); err != nil {
				return slotbook.Looked{}, fail("look", err)
			}
			if a, err = ai.availability(); err != nil {
				return slotbook.Looked{}, fail("read availability", err)
			}
		}
		out.Availability[e] = a
	}
	if av, ok := items[key{cpk, skIdempotency(l.IdempotencyKey)}]; ok && l.IdempotencyKey != "" {
		var it idempotencyItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return slotbook.Looked{}, fail("look", err)
		}
		if it.ExpiresNs > l.Now.UnixNano() {
			r := it.idempotency()
			out.Idempotency = &r
		}
	}
	return out, nil
}

// errUnprocessed is the cause when DynamoDB keeps leaving keys unprocessed.
var errUnprocessed = errors.New("keys left unprocessed after every retry")

// batchGetLimit is how many keys one BatchGetItem may ask for.
const batchGetLimit = 100

// batchGet reads the items of keys with consistent BatchGetItem calls, a
// hundred keys each and all at once, asking again for what DynamoDB
// leaves unprocessed; a missing item is missing from the answer.
func (s *Store) batchGet(ctx context.Context, op string, keys []key) (map[key]map[string]types.AttributeValue, error) {
	out := make(map[key]map[string]types.AttributeValue, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	seen := make(map[key]bool, len(keys))
	var chunks [][]map[string]types.AttributeValue
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		if len(chunks) == 0 || len(chunks[len(chunks)-1]) == batchGetLimit {
			chunks = append(chunks, nil)
		}
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], keyOf(k.PK, k.SK))
	}
	results := make([][]map[string]types.AttributeValue, len(chunks))
	g, gctx := errgroup.WithContext(ctx)
	for i, chunk := range chunks {
		g.Go(func() error {
			want := chunk
			for attempt := 0; len(want) > 0; attempt++ {
				res, err := s.db.BatchGetItem(gctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
					s.table: {Keys: want, ConsistentRead: aws.Bool(true)},
				}})
				if err != nil {
					return fail(op, err)
				}
				results[i] = append(results[i], res.Responses[s.table]...)
				want = res.UnprocessedKeys[s.table].Keys
				if len(want) > 0 {
					if attempt >= 8 {
						return fail(op, errUnprocessed)
					}
					// DynamoDB asks for a backoff before the unprocessed keys.
					pause := time.Duration(rand.IntN(10<<attempt)+1) * time.Millisecond
					select {
					case <-time.After(pause):
					case <-gctx.Done():
						return fail(op, gctx.Err())
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, list := range results {
		for _, item := range list {
			var k key
			if err := attributevalue.UnmarshalMap(item, &k); err != nil {
				return nil, fail(op, err)
			}
			out[k] = item
		}
	}
	return out, nil
}
