package dynamo

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// connectionItem is a calendar connection. Its secret is stored sealed;
// whether it is the default is kept once per employee, in the KD item, so
// that there can never be two defaults.
type connectionItem struct {
	key
	ID             string    `dynamodbav:"id"`
	EmployeeID     string    `dynamodbav:"employee"`
	Provider       string    `dynamodbav:"provider"`
	Account        string    `dynamodbav:"account"`
	CalendarID     string    `dynamodbav:"calendarId"`
	Name           string    `dynamodbav:"name"`
	URL            string    `dynamodbav:"url"`
	Username       string    `dynamodbav:"username"`
	CheckConflicts bool      `dynamodbav:"checkConflicts"`
	ShowInOverview bool      `dynamodbav:"showInOverview"`
	Status         string    `dynamodbav:"status"`
	SealedSecret   []byte    `dynamodbav:"sealedSecret"`
	CreatedAt      time.Time `dynamodbav:"createdAt"`
}

const skDefaultConnection = "KD"

func skConnection(id string) string { return "K#" + id }

func connectionToItem(c string, k slotbook.Connection) connectionItem {
	return connectionItem{
		key: key{employeePK(c, k.EmployeeID), skConnection(k.ID)},
		ID:  k.ID, EmployeeID: k.EmployeeID, Provider: string(k.Provider), Account: k.Account,
		CalendarID: k.CalendarID, Name: k.Name, URL: k.URL, Username: k.Username,
		CheckConflicts: k.CheckConflicts, ShowInOverview: k.ShowInOverview, Status: string(k.Status),
		SealedSecret: k.SealedSecret, CreatedAt: k.CreatedAt,
	}
}

func (i connectionItem) connection(defaultID string) slotbook.Connection {
	return slotbook.Connection{
		ID: i.ID, EmployeeID: i.EmployeeID, Provider: slotbook.Provider(i.Provider), Account: i.Account,
		CalendarID: i.CalendarID, Name: i.Name, URL: i.URL, Username: i.Username,
		CheckConflicts: i.CheckConflicts, ShowInOverview: i.ShowInOverview, IsDefault: i.ID == defaultID,
		Status: slotbook.ConnectionStatus(i.Status), SealedSecret: i.SealedSecret, CreatedAt: i.CreatedAt,
	}
}

// defaultConnection returns the id of the employee's default connection, or "".
func (s *Store) defaultConnection(ctx context.Context, companyID, employeeID string) (string, error) {
	var ref refItem
	if _, err := s.get(ctx, "get default connection", employeePK(companyID, employeeID), skDefaultConnection, &ref); err != nil {
		return "", err
	}
	return ref.Target, nil
}

// Connections implements slotbook.Store.
func (s *Store) Connections(ctx context.Context, companyID, employeeID string) ([]slotbook.Connection, error) {
	out := []slotbook.Connection{}
	if !validIDs(companyID, employeeID) {
		return out, nil
	}
	// One query: the connections (K#…) and the default mark (KD) share
	// the prefix K, which nothing else of the partition has.
	items, err := query[connectionOrMark](ctx, s, "list connections", employeePK(companyID, employeeID), "K", "")
	if err != nil {
		return nil, err
	}
	def := ""
	for _, it := range items {
		if it.SK == skDefaultConnection {
			def = it.Target
		}
	}
	for _, it := range items {
		if it.SK != skDefaultConnection {
			out = append(out, it.connection(def))
		}
	}
	return out, nil
}

// connectionOrMark is an item of the K range: a connection, or the
// employee's default mark (its target).
type connectionOrMark struct {
	connectionItem
	Target string `dynamodbav:"target"`
}

// Connection implements slotbook.Store.
func (s *Store) Connection(ctx context.Context, companyID, employeeID, connectionID string) (slotbook.Connection, error) {
	if !validIDs(companyID, employeeID, connectionID) {
		return slotbook.Connection{}, notFound("calendar connection")
	}
	// The connection and the default mark in one BatchGetItem.
	pk := employeePK(companyID, employeeID)
	conn, mark := key{pk, skConnection(connectionID)}, key{pk, skDefaultConnection}
	items, err := s.batchGet(ctx, "get connection", []key{conn, mark})
	if err != nil {
		return slotbook.Connection{}, err
	}
	av, found := items[conn]
	if !found {
		return slotbook.Connection{}, notFound("calendar connection")
	}
	var it connectionItem
	var ref refItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return slotbook.Connection{}, fail("get connection", err)
	}
	if av, ok := items[mark]; ok {
		if err := attributevalue.UnmarshalMap(av, &ref); err != nil {
			return slotbook.Connection{}, fail("get connection", err)
		}
	}
	return it.connection(ref.Target), nil
}

// CreateConnection implements slotbook.Store.
func (s *Store) CreateConnection(ctx context.Context, companyID string, k slotbook.Connection) error {
	if !validIDs(companyID, k.EmployeeID, k.ID) {
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	pk := employeePK(companyID, k.EmployeeID)
	put, err := s.putAction(connectionToItem(companyID, k), absent)
	if err != nil {
		return fail("create connection", err)
	}
	t := &txn{}
	t.add(actEmployee, s.mustExist(companyPK(companyID), skEmployee(k.EmployeeID)))
	t.add(actConnection, put)
	if k.IsDefault {
		mark, err := s.putAction(refItem{key: key{pk, skDefaultConnection}, Target: k.ID}, "")
		if err != nil {
			return fail("create connection", err)
		}
		t.add(actDefaultMark, mark)
	}
	res, err := t.run(ctx, s, "create connection")
	switch {
	case err != nil:
		return err
	case res.ConflictAt(actEmployee):
		return notFound("employee")
	case res.ConflictAt(actConnection):
		return conflict("calendar connection")
	case !res.Committed():
		return slotbook.Errorf(slotbook.Unavailable, "The calendar connections changed meanwhile; try again.")
	}
	return nil
}

// UpdateConnection implements slotbook.Store: one transaction that sets
// only the fields asked for, conditioned on the connection's existence, so
// that neither a concurrent delete nor a concurrent change of its secret
// or status (a rotated refresh token, needs_reauth) is undone.
func (s *Store) UpdateConnection(ctx context.Context, companyID, employeeID, connectionID string, u slotbook.ConnectionUpdate) (slotbook.Connection, error) {
	if !validIDs(companyID, employeeID, connectionID) {
		return slotbook.Connection{}, notFound("calendar connection")
	}
	pk := employeePK(companyID, employeeID)
	var sets []string
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	set := func(attr string, v types.AttributeValue) {
		n := "#a" + itoa(int64(len(sets)))
		sets = append(sets, n+" = :"+n[1:])
		names[n] = attr
		values[":"+n[1:]] = v
	}
	if u.Name != nil {
		set("name", str(*u.Name))
	}
	if u.CheckConflicts != nil {
		set("checkConflicts", &types.AttributeValueMemberBOOL{Value: *u.CheckConflicts})
	}
	if u.ShowInOverview != nil {
		set("showInOverview", &types.AttributeValueMemberBOOL{Value: *u.ShowInOverview})
	}
	if u.Account != nil {
		set("account", str(*u.Account))
	}
	t := &txn{}
	if len(sets) > 0 {
		t.add(actConnection, types.TransactWriteItem{Update: &types.Update{
			TableName: aws.String(s.table), Key: keyOf(pk, skConnection(connectionID)),
			UpdateExpression:    aws.String("SET " + strings.Join(sets, ", ")),
			ConditionExpression: aws.String(exists), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		}})
	} else {
		t.add(actConnection, s.mustExist(pk, skConnection(connectionID)))
	}
	if u.IsDefault != nil {
		def, err := s.defaultConnection(ctx, companyID, employeeID)
		if err != nil {
			return slotbook.Connection{}, err
		}
		switch {
		case *u.IsDefault:
			mark, err := s.putAction(refItem{key: key{pk, skDefaultConnection}, Target: connectionID}, "")
			if err != nil {
				return slotbook.Connection{}, fail("update connection", err)
			}
			t.add(actDefaultMark, mark)
		case def == connectionID:
			t.add(actDefaultMark, s.deleteIfTarget(pk, connectionID))
		}
	}
	res, err := t.run(ctx, s, "update connection")
	switch {
	case err != nil:
		return slotbook.Connection{}, err
	case res.ConflictAt(actConnection):
		return slotbook.Connection{}, notFound("calendar connection")
	case !res.Committed():
		return slotbook.Connection{}, slotbook.Errorf(slotbook.Unavailable, "The calendar connections changed meanwhile; try again.")
	}
	return s.Connection(ctx, companyID, employeeID, connectionID)
}

// deleteIfTarget removes the employee's default mark if it names id.
func (s *Store) deleteIfTarget(pk, id string) types.TransactWriteItem {
	return types.TransactWriteItem{Delete: &types.Delete{
		TableName: aws.String(s.table), Key: keyOf(pk, skDefaultConnection),
		ConditionExpression:       aws.String("target = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(id)},
	}}
}

// SetConnectionAuth implements slotbook.Store.
func (s *Store) SetConnectionAuth(ctx context.Context, companyID, employeeID, connectionID string, expect, sealed []byte, status slotbook.ConnectionStatus) error {
	if !validIDs(companyID, employeeID, connectionID) {
		return notFound("calendar connection")
	}
	expr, cond := "SET #st = :st", exists
	values := map[string]types.AttributeValue{":st": str(string(status))}
	if sealed != nil {
		expr += ", sealedSecret = :sec"
		values[":sec"] = &types.AttributeValueMemberB{Value: sealed}
	}
	if expect != nil {
		cond += " AND sealedSecret = :expect"
		values[":expect"] = &types.AttributeValueMemberB{Value: expect}
	}
	ok, err := s.update(ctx, "set connection auth", employeePK(companyID, employeeID), skConnection(connectionID),
		expr, cond, statusName, values)
	if err == nil && !ok {
		if _, gerr := s.Connection(ctx, companyID, employeeID, connectionID); gerr != nil {
			return gerr
		}
		return slotbook.Errorf(slotbook.Conflict, "The connection's credentials changed meanwhile.")
	}
	return err
}

// DeleteConnection implements slotbook.Store.
func (s *Store) DeleteConnection(ctx context.Context, companyID, employeeID, connectionID string) error {
	if !validIDs(companyID, employeeID, connectionID) {
		return notFound("calendar connection")
	}
	pk := employeePK(companyID, employeeID)
	def, err := s.defaultConnection(ctx, companyID, employeeID)
	if err != nil {
		return err
	}
	t := &txn{}
	t.add(actConnection, s.deleteAction(pk, skConnection(connectionID), exists))
	if def == connectionID {
		t.add(actDefaultMark, s.deleteIfTarget(pk, connectionID))
	}
	res, err := t.run(ctx, s, "delete connection")
	switch {
	case err != nil:
		return err
	case res.ConflictAt(actConnection):
		return notFound("calendar connection")
	case !res.Committed():
		return slotbook.Errorf(slotbook.Unavailable, "The calendar connections changed meanwhile; try again.")
	}
	return nil
}
