package dynamo

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// CustomerIndex is the sparse index of bookings by customer: a booking
// that holds customer data carries attrCustomer, a hash of its company and
// its customer's e-mail (lower case), so that export and erasure find a
// customer's bookings with one Query, never a scan. An anonymized booking
// drops the attribute and leaves the index.
const (
	CustomerIndex = "customers"
	attrCustomer  = "cust"
)

// customerKey is the index key of a customer of company c; "" (no
// index entry) without an e-mail.
func customerKey(c, email string) string {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return ""
	}
	h := sha256.Sum256([]byte(c + "\x00" + email))
	return base64.RawURLEncoding.EncodeToString(h[:18])
}

// CustomerBookings implements slotbook.Store: one Query of CustomerIndex
// for the keys, then each booking read (consistently) and checked.
func (s *Store) CustomerBookings(ctx context.Context, companyID, email string) ([]slotbook.Booking, error) {
	out := []slotbook.Booking{}
	cust := customerKey(companyID, email)
	if !validIDs(companyID) || cust == "" {
		return out, nil
	}
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: aws.String(s.table), IndexName: aws.String(CustomerIndex),
		KeyConditionExpression:    aws.String("#c = :c"),
		ExpressionAttributeNames:  map[string]string{"#c": attrCustomer},
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": str(cust)},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fail("list customer bookings", err)
		}
		for _, k := range page.Items {
			pk, _ := k[attrPK].(*types.AttributeValueMemberS)
			sk, _ := k[attrSK].(*types.AttributeValueMemberS)
			if pk == nil || sk == nil || !strings.HasPrefix(pk.Value, companyPK(companyID)+"#E#") {
				continue
			}
			var it bookingItem
			found, err := s.get(ctx, "get booking", pk.Value, sk.Value, &it)
			if err != nil {
				return nil, err
			}
			// The index is eventually consistent: the item may have moved or
			// been anonymized since.
			if found && strings.EqualFold(it.CustomerEmail, email) {
				out = append(out, it.booking())
			}
		}
	}
	slices.SortFunc(out, func(x, y slotbook.Booking) int { return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.ID, y.ID)) })
	return slices.CompactFunc(out, func(x, y slotbook.Booking) bool { return x.ID == y.ID }), nil
}

// AnonymizeBooking implements slotbook.Store: the item is written again
// without its customer data, conditioned on its status and sequence as
// read, so that a change meanwhile is read again.
func (s *Store) AnonymizeBooking(ctx context.Context, companyID, bookingID string) error {
	if !validIDs(companyID, bookingID) {
		return notFound("booking")
	}
	for range claimAttempts {
		it, found, err := s.bookingItemOf(ctx, companyID, bookingID)
		if err != nil {
			return err
		}
		if !found {
			return notFound("booking")
		}
		b := it.booking()
		if b.Status == slotbook.Pending {
			return slotbook.Errorf(slotbook.Conflict, "The booking is still being made.")
		}
		b.Customer, b.Notes, b.Anonymized = slotbook.Customer{}, "", true
		av, err := attributevalue.MarshalMap(bookingToItem(companyID, b))
		if err != nil {
			return fail("anonymize booking", err)
		}
		err = s.putItem(ctx, &dynamodb.PutItemInput{
			TableName: aws.String(s.table), Item: av,
			ConditionExpression:      aws.String("#st = :st AND (seq = :seq OR attribute_not_exists(seq))"),
			ExpressionAttributeNames: statusName,
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":st": str(it.Status), ":seq": num(int64(it.Sequence)),
			},
		})
		var failed *types.ConditionalCheckFailedException
		switch {
		case err == nil:
			return nil
		case !errors.As(err, &failed):
			return fail("anonymize booking", err)
		}
	}
	return slotbook.Errorf(slotbook.Unavailable, "The booking changed meanwhile; try again.")
}
