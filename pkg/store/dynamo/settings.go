package dynamo

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

const exists, absent = "attribute_exists(PK)", "attribute_not_exists(PK)"

// Company implements slotbook.Store.
func (s *Store) Company(ctx context.Context, companyID string) (slotbook.Company, error) {
	if !validIDs(companyID) {
		return slotbook.Company{}, notFound("company")
	}
	var it companyItem
	found, err := s.get(ctx, "get company", companyPK(companyID), skCompany, &it)
	if err != nil {
		return slotbook.Company{}, err
	}
	if !found {
		return slotbook.Company{}, notFound("company")
	}
	return it.company(companyID), nil
}

// PutCompany implements slotbook.Store.
func (s *Store) PutCompany(ctx context.Context, c slotbook.Company) (bool, error) {
	if !validIDs(c.ID) {
		return false, slotbook.FieldErrorf("id", "is not a valid id")
	}
	av, err := attributevalue.MarshalMap(companyToItem(c))
	if err != nil {
		return false, fail("put company", err)
	}
	// Whether the company is new is read first, not returned by the put
	// (ReturnValues): the put may be a transaction with its audit entry,
	// and those return nothing. Two first saves racing both say "created".
	var old key
	found, err := s.get(ctx, "put company", companyPK(c.ID), skCompany, &old)
	if err != nil {
		return false, err
	}
	if err := s.putItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: av}); err != nil {
		return false, fail("put company", err)
	}
	return !found, nil
}

// Employees implements slotbook.Store.
func (s *Store) Employees(ctx context.Context, companyID string) ([]slotbook.Employee, error) {
	if !validIDs(companyID) {
		return []slotbook.Employee{}, nil
	}
	return list(ctx, s, "list employees", companyPK(companyID), skEmployee(""), employeeItem.employee)
}

// Employee implements slotbook.Store.
func (s *Store) Employee(ctx context.Context, companyID, employeeID string) (slotbook.Employee, error) {
	if !validIDs(companyID, employeeID) {
		return slotbook.Employee{}, notFound("employee")
	}
	it, err := one[employeeItem](ctx, s, "get employee", companyPK(companyID), skEmployee(employeeID), "employee")
	return it.employee(), err
}

// CreateEmployee implements slotbook.Store.
func (s *Store) CreateEmployee(ctx context.Context, companyID string, e slotbook.Employee) error {
	if !validIDs(companyID, e.ID) {
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	return s.create(ctx, "employee", employeeToItem(companyID, e))
}

// UpdateEmployee implements slotbook.Store.
func (s *Store) UpdateEmployee(ctx context.Context, companyID string, e slotbook.Employee) error {
	if !validIDs(companyID, e.ID) {
		return notFound("employee")
	}
	return s.replace(ctx, "employee", employeeToItem(companyID, e))
}

// DeleteEmployee implements slotbook.Store. The employee and their place
// in services go in one transaction; their availability and absences are
// removed after it. Their bookings stay, as the company's record.
func (s *Store) DeleteEmployee(ctx context.Context, companyID, employeeID string) error {
	if !validIDs(companyID, employeeID) {
		return notFound("employee")
	}
	services, err := query[serviceItem](ctx, s, "list services", companyPK(companyID), skService(""), "")
	if err != nil {
		return err
	}
	t := &txn{}
	t.add(actEmployee, s.deleteAction(companyPK(companyID), skEmployee(employeeID), exists))
	var later []serviceItem
	for _, svc := range services {
		if !slices.Contains(svc.Employees, employeeID) {
			continue
		}
		svc.Employees = slices.DeleteFunc(svc.Employees, func(e string) bool { return e == employeeID })
		if len(t.items) == 100 { // TransactWriteItems takes at most 100 actions
			later = append(later, svc)
			continue
		}
		a, err := s.putAction(svc, exists)
		if err != nil {
			return fail("delete employee", err)
		}
		t.add(actService, a)
	}
	res, err := t.run(ctx, s, "delete employee")
	switch {
	case err != nil:
		return err
	case res.ConflictAt(actEmployee):
		return notFound("employee")
	case !res.Committed():
		return slotbook.Errorf(slotbook.Unavailable, "The employee changed meanwhile; try again.")
	}
	for _, svc := range later {
		if _, err := s.put(ctx, "delete employee from service", svc, exists); err != nil {
			return err
		}
	}
	return s.clearEmployee(ctx, companyID, employeeID)
}

// clearEmployee deletes an employee's availability, absences and day
// versions; bookings are kept.
func (s *Store) clearEmployee(ctx context.Context, companyID, employeeID string) error {
	items, err := query[key](ctx, s, "list employee items", employeePK(companyID, employeeID), "!", "~")
	if err != nil {
		return err
	}
	var reqs []types.WriteRequest
	for _, k := range items {
		if strings.HasPrefix(k.SK, "B#") || strings.HasPrefix(k.SK, "BC#") {
			continue
		}
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: keyOf(k.PK, k.SK)}})
	}
	for len(reqs) > 0 {
		n := min(len(reqs), 25) // BatchWriteItem takes at most 25 requests
		res, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{
			RequestItems: map[string][]types.WriteRequest{s.table: reqs[:n]},
		})
		if err != nil {
			return fail("clear employee", err)
		}
		reqs = append(res.UnprocessedItems[s.table], reqs[n:]...)
		if len(res.UnprocessedItems[s.table]) > 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	return nil
}

// Availability implements slotbook.Store.
func (s *Store) Availability(ctx context.Context, companyID, employeeID string) (slotbook.Availability, error) {
	if _, err := s.Employee(ctx, companyID, employeeID); err != nil {
		return slotbook.Availability{}, err
	}
	var it availabilityItem
	found, err := s.get(ctx, "get availability", employeePK(companyID, employeeID), skAvailability, &it)
	if err != nil {
		return slotbook.Availability{}, err
	}
	if !found {
		return slotbook.Availability{Weekly: []slotbook.WeeklyHours{}, Overrides: []slotbook.DateOverride{}}, nil
	}
	a, err := it.availability()
	if err != nil {
		return slotbook.Availability{}, fail("read availability", err)
	}
	return a, nil
}

// PutAvailability implements slotbook.Store.
func (s *Store) PutAvailability(ctx context.Context, companyID, employeeID string, a slotbook.Availability) error {
	if !validIDs(companyID, employeeID) {
		return notFound("employee")
	}
	put, err := s.putAction(availabilityToItem(companyID, employeeID, a), "")
	if err != nil {
		return fail("put availability", err)
	}
	t := &txn{}
	t.add(actEmployee, s.mustExist(companyPK(companyID), skEmployee(employeeID)))
	t.add(actAvailability, put)
	res, err := t.run(ctx, s, "put availability")
	switch {
	case err != nil:
		return err
	case res.ConflictAt(actEmployee):
		return notFound("employee")
	case !res.Committed():
		return slotbook.Errorf(slotbook.Unavailable, "The availability changed meanwhile; try again.")
	}
	return nil
}

// absenceMargin is how long an absence may be: absences starting that long
// before a range can still overlap it.
const absenceMargin = (slotbook.MaxAbsenceDays + 1) * 24 * time.Hour

// Absences implements slotbook.Store.
func (s *Store) Absences(ctx context.Context, companyID, employeeID string, from, to time.Time) ([]slotbook.Absence, error) {
	out := []slotbook.Absence{}
	if !validIDs(companyID, employeeID) {
		return out, nil
	}
	items, err := query[absenceItem](ctx, s, "list absences", employeePK(companyID, employeeID),
		"X#"+timeKey(from.Add(-absenceMargin)), "X#"+timeKey(to))
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		if it.Start.Before(to) && from.Before(it.End) {
			out = append(out, it.absence())
		}
	}
	return out, nil
}

// CreateAbsence implements slotbook.Store.
func (s *Store) CreateAbsence(ctx context.Context, companyID, employeeID string, a slotbook.Absence) error {
	if !validIDs(companyID, employeeID) {
		return notFound("employee")
	}
	if !validIDs(a.ID) {
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	pk, sk := employeePK(companyID, employeeID), skAbsence(a.Start, a.ID)
	ref, err := s.putAction(refItem{key: key{pk, skAbsenceRef(a.ID)}, Target: sk}, absent)
	if err != nil {
		return fail("create absence", err)
	}
	put, err := s.putAction(absenceItem{key{pk, sk}, a.ID, a.Start, a.End, a.Reason}, "")
	if err != nil {
		return fail("create absence", err)
	}
	t := &txn{}
	t.add(actEmployee, s.mustExist(companyPK(companyID), skEmployee(employeeID)))
	t.add(actAbsenceRef, ref)
	t.add(actAbsence, put)
	res, err := t.run(ctx, s, "create absence")
	switch {
	case err != nil:
		return err
	case res.ConflictAt(actEmployee):
		return notFound("employee")
	case res.ConflictAt(actAbsenceRef):
		return conflict("absence")
	case !res.Committed():
		return slotbook.Errorf(slotbook.Unavailable, "The absences changed meanwhile; try again.")
	}
	return nil
}

// DeleteAbsence implements slotbook.Store.
func (s *Store) DeleteAbsence(ctx context.Context, companyID, employeeID, absenceID string) error {
	if !validIDs(companyID, employeeID, absenceID) {
		return notFound("absence")
	}
	pk := employeePK(companyID, employeeID)
	var ref refItem
	found, err := s.get(ctx, "get absence", pk, skAbsenceRef(absenceID), &ref)
	if err != nil {
		return err
	}
	if !found {
		return notFound("absence")
	}
	t := &txn{}
	t.add(actAbsenceRef, s.deleteAction(pk, skAbsenceRef(absenceID), exists))
	t.add(actAbsence, s.deleteAction(pk, ref.Target, ""))
	res, err := t.run(ctx, s, "delete absence")
	switch {
	case err != nil:
		return err
	case !res.Committed():
		// The reference went meanwhile (ConflictAt(actAbsenceRef)). A
		// contended delete is answered alike, as it always was.
		return notFound("absence")
	}
	return nil
}

// Services implements slotbook.Store.
func (s *Store) Services(ctx context.Context, companyID string) ([]slotbook.Service, error) {
	if !validIDs(companyID) {
		return []slotbook.Service{}, nil
	}
	return list(ctx, s, "list services", companyPK(companyID), skService(""), serviceItem.service)
}

// Service implements slotbook.Store.
func (s *Store) Service(ctx context.Context, companyID, serviceID string) (slotbook.Service, error) {
	if !validIDs(companyID, serviceID) {
		return slotbook.Service{}, notFound("service")
	}
	it, err := one[serviceItem](ctx, s, "get service", companyPK(companyID), skService(serviceID), "service")
	return it.service(), err
}

// CreateService implements slotbook.Store.
func (s *Store) CreateService(ctx context.Context, companyID string, v slotbook.Service) error {
	return s.writeService(ctx, "create service", companyID, v, absent)
}

// UpdateService implements slotbook.Store.
func (s *Store) UpdateService(ctx context.Context, companyID string, v slotbook.Service) error {
	return s.writeService(ctx, "update service", companyID, v, exists)
}

// writeService checks that every employee of v exists and writes v under
// cond. With up to 98 employees the check and the write are one
// transaction; beyond, the employees are checked by a batch read first.
func (s *Store) writeService(ctx context.Context, op, companyID string, v slotbook.Service, cond string) error {
	if !validIDs(companyID, v.ID) || !validIDs(v.Employees...) {
		if cond == exists {
			return notFound("service")
		}
		return slotbook.FieldErrorf("id", "is not a valid id")
	}
	put, err := s.putAction(serviceToItem(companyID, v), cond)
	if err != nil {
		return fail(op, err)
	}
	t := &txn{}
	t.add(actService, put)
	if len(v.Employees) <= 98 {
		for _, e := range v.Employees {
			t.add(actEmployee, s.mustExist(companyPK(companyID), skEmployee(e)))
		}
	} else if err := s.checkEmployees(ctx, companyID, v.Employees); err != nil {
		return err
	}
	res, err := t.run(ctx, s, op)
	switch {
	case err != nil:
		return err
	case res.ConflictAt(actService) && cond == absent:
		return conflict("service")
	case res.ConflictAt(actService):
		return notFound("service")
	case res.ConflictAt(actEmployee):
		return slotbook.Errorf(slotbook.Unprocessable, "There is no employee %s.", v.Employees[res.Nth()])
	case !res.Committed():
		return slotbook.Errorf(slotbook.Unavailable, "The service changed meanwhile; try again.")
	}
	return nil
}

// checkEmployees returns Unprocessable unless every employee exists.
func (s *Store) checkEmployees(ctx context.Context, companyID string, ids []string) error {
	for chunk := range slices.Chunk(ids, 100) {
		keys := make([]map[string]types.AttributeValue, len(chunk))
		for i, e := range chunk {
			keys[i] = keyOf(companyPK(companyID), skEmployee(e))
		}
		found := map[string]bool{}
		for len(keys) > 0 {
			res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
				s.table: {Keys: keys, ConsistentRead: aws.Bool(true)},
			}})
			if err != nil {
				return fail("check employees", err)
			}
			var items []employeeItem
			if err := attributevalue.UnmarshalListOfMaps(res.Responses[s.table], &items); err != nil {
				return fail("check employees", err)
			}
			for _, it := range items {
				found[it.ID] = true
			}
			keys = res.UnprocessedKeys[s.table].Keys
		}
		for _, e := range chunk {
			if !found[e] {
				return slotbook.Errorf(slotbook.Unprocessable, "There is no employee %s.", e)
			}
		}
	}
	return nil
}

// DeleteService implements slotbook.Store.
func (s *Store) DeleteService(ctx context.Context, companyID, serviceID string) error {
	if !validIDs(companyID, serviceID) {
		return notFound("service")
	}
	err := s.deleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.table), Key: keyOf(companyPK(companyID), skService(serviceID)),
		ConditionExpression: aws.String(exists),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return notFound("service")
	}
	if err != nil {
		return fail("delete service", err)
	}
	return nil
}
