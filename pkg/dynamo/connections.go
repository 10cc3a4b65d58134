package dynamo

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	def, err := s.defaultConnection(ctx, companyID, employeeID)
	if err != nil {
		return nil, err
	}
	items, err := query[connectionItem](ctx, s, "list connections", employeePK(companyID, employeeID), skConnection(""), "")
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		out = append(out, it.connection(def))
	}
	return out, nil
}

// Connection implements slotbook.Store.
func (s *Store) Connection(ctx context.Context, companyID, employeeID, connectionID string) (slotbook.Connection, error) {
	if !validIDs(companyID, employeeID, connectionID) {
		return slotbook.Connection{}, notFound("calendar connection")
	}
	var it connectionItem
	found, err := s.get(ctx, "get connection", employeePK(companyID, employeeID), skConnection(connectionID), &it)
	if err != nil {
		return slotbook.Connection{}, err
	}
	if !found {
		return slotbook.Connection{}, notFound("calendar connection")
	}
	def, err := s.defaultConnection(ctx, companyID, employeeID)
	if err != nil {
		return slotbook.Connection{}, err
	}
	return it.connection(def), nil
}

// PutConnection implements slotbook.Store.
func (s *Store) PutConnection(ctx context.Context, companyID string, k slotbook.Connection) error {
	if !validIDs(companyID, k.EmployeeID, k.ID) {
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	pk := employeePK(companyID, k.EmployeeID)
	def, err := s.defaultConnection(ctx, companyID, k.EmployeeID)
	if err != nil {
		return err
	}
	put, err := s.putAction(connectionToItem(companyID, k), "")
	if err != nil {
		return fail("put connection", err)
	}
	actions := []types.TransactWriteItem{s.mustExist(companyPK(companyID), skEmployee(k.EmployeeID)), put}
	switch {
	case k.IsDefault:
		mark, err := s.putAction(refItem{key{pk, skDefaultConnection}, k.ID}, "")
		if err != nil {
			return fail("put connection", err)
		}
		actions = append(actions, mark)
	case def == k.ID:
		actions = append(actions, s.deleteIfTarget(pk, k.ID))
	}
	failed, err := s.transact(ctx, "put connection", actions)
	switch {
	case err != nil:
		return err
	case failed == 0:
		return notFound("employee")
	case failed != -1:
		return slotbook.Errorf(slotbook.Unavailable, "The calendar connections changed meanwhile; try again.")
	}
	return nil
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
func (s *Store) SetConnectionAuth(ctx context.Context, companyID, employeeID, connectionID string, sealed []byte, status slotbook.ConnectionStatus) error {
	if !validIDs(companyID, employeeID, connectionID) {
		return notFound("calendar connection")
	}
	expr := "SET #st = :st"
	values := map[string]types.AttributeValue{":st": str(string(status))}
	if sealed != nil {
		expr += ", sealedSecret = :sec"
		values[":sec"] = &types.AttributeValueMemberB{Value: sealed}
	}
	ok, err := s.update(ctx, "set connection auth", employeePK(companyID, employeeID), skConnection(connectionID),
		expr, exists, map[string]string{"#st": "status"}, values)
	if err == nil && !ok {
		return notFound("calendar connection")
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
	actions := []types.TransactWriteItem{s.deleteAction(pk, skConnection(connectionID), exists)}
	if def == connectionID {
		actions = append(actions, s.deleteIfTarget(pk, connectionID))
	}
	failed, err := s.transact(ctx, "delete connection", actions)
	switch {
	case err != nil:
		return err
	case failed == 0:
		return notFound("calendar connection")
	case failed != -1:
		return slotbook.Errorf(slotbook.Unavailable, "The calendar connections changed meanwhile; try again.")
	}
	return nil
}
