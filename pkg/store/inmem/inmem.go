// Package inmem is an in-memory slotbook.Store: the embedded store of local
// mode and the fast path of tests. It keeps everything in maps behind one
// lock and hands out copies, so callers can never alias stored data.
package inmem

import (
	"bytes"
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Store is an in-memory slotbook.Store. The zero value is not usable; call New.
type Store struct {
	mu        sync.RWMutex
	companies map[string]*tenant
	removals  map[removalKey]slotbook.EventRemoval // across companies, as the sweeper reads them
	// notifications, across companies, as the mail sender reads them
	notifications map[notificationKey]slotbook.Notification
	retentions    map[string]slotbook.Retention // company → its retention record, as the sweeper reads them
}

type notificationKey struct{ company, booking, id string }

var _ slotbook.Store = (*Store)(nil)

// tenant is everything of one company.
type tenant struct {
	company      slotbook.Company
	hasSettings  bool // PutCompany was called; until then the company does not exist
	employees    map[string]slotbook.Employee
	availability map[string]slotbook.Availability
	absences     map[string]map[string]slotbook.Absence // employee → id → absence
	closures     map[string]slotbook.Closure            // id → closure
	webhooks     map[string]slotbook.Webhook            // id → webhook
	deliveries   map[string]slotbook.WebhookDelivery    // webhook id + "/" + delivery id → log
	audit        []slotbook.AuditEntry                  // in the order written
	services     map[string]slotbook.Service
	bookings     map[string]slotbook.Booking // id → booking
	idempotency  map[string]slotbook.Idempotency
	connections  map[string]map[string]slotbook.Connection // employee → id → connection
	defaults     map[string]string                         // employee → default connection id
	nonces       map[string]time.Time                      // used one-time value → until when
}

// New returns an empty store.
func New() *Store {
	return &Store{companies: make(map[string]*tenant), removals: make(map[removalKey]slotbook.EventRemoval),
		notifications: make(map[notificationKey]slotbook.Notification), retentions: make(map[string]slotbook.Retention)}
}

func notFound(what string) error {
	return slotbook.Errorf(slotbook.NotFound, "There is no such %s.", what)
}

func conflict(what string) error {
	return slotbook.Errorf(slotbook.Conflict, "A %s with this id exists already.", what)
}

// tenant returns the company's data, or nil. The caller holds the lock.
func (s *Store) tenant(companyID string) *tenant {
	return s.companies[companyID]
}

// badIDs refuses ids that could not be part of a DynamoDB key either, so
// that both stores accept and refuse the same writes.
func badIDs(ids ...string) error {
	for _, id := range ids {
		if !slotbook.ValidID(id) {
			return slotbook.FieldErrorf("id", "is not a valid id")
		}
	}
	return nil
}

// tenantForWrite returns the company's data, creating empty maps for a
// company that has no settings yet. The caller holds the write lock.
func (s *Store) tenantForWrite(companyID string) *tenant {
	t := s.companies[companyID]
	if t == nil {
		t = &tenant{
			company:      slotbook.Company{ID: companyID},
			employees:    make(map[string]slotbook.Employee),
			availability: make(map[string]slotbook.Availability),
			absences:     make(map[string]map[string]slotbook.Absence),
			closures:     make(map[string]slotbook.Closure),
			webhooks:     make(map[string]slotbook.Webhook),
			deliveries:   make(map[string]slotbook.WebhookDelivery),
			services:     make(map[string]slotbook.Service),
			bookings:     make(map[string]slotbook.Booking),
			idempotency:  make(map[string]slotbook.Idempotency),
			connections:  make(map[string]map[string]slotbook.Connection),
			defaults:     make(map[string]string),
			nonces:       make(map[string]time.Time),
		}
		s.companies[companyID] = t
	}
	return t
}

// find returns item id of the map that field picks from the company's
// data, or NotFound naming what. The caller holds the lock.
func find[V any](s *Store, companyID, id, what string, field func(*tenant) map[string]V) (*tenant, V, error) {
	var zero V
	t := s.tenant(companyID)
	if t == nil {
		return nil, zero, notFound(what)
	}
	v, ok := field(t)[id]
	if !ok {
		return nil, zero, notFound(what)
	}
	return t, v, nil
}

func employees(t *tenant) map[string]slotbook.Employee { return t.employees }
func services(t *tenant) map[string]slotbook.Service   { return t.services }
func bookings(t *tenant) map[string]slotbook.Booking   { return t.bookings }

// exists reports whether the company has settings; data of a company whose
// settings were never put is invisible, as if the company did not exist.
func (t *tenant) exists() bool { return t != nil && t.hasSettings }

// Company implements slotbook.Store.
func (s *Store) Company(_ context.Context, companyID string) (slotbook.Company, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenant(companyID)
	if !t.exists() {
		return slotbook.Company{}, notFound("company")
	}
	return t.company.WithNotificationDefaults(), nil
}

// PutCompany implements slotbook.Store.
func (s *Store) PutCompany(_ context.Context, c slotbook.Company) (bool, error) {
	if err := badIDs(c.ID); err != nil {
		return false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantForWrite(c.ID)
	created := !t.hasSettings
	t.company, t.hasSettings = c, true
	return created, nil
}

// Employees implements slotbook.Store.
func (s *Store) Employees(_ context.Context, companyID string) ([]slotbook.Employee, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenant(companyID)
	if t == nil {
		return []slotbook.Employee{}, nil
	}
	return sortedValues(t.employees, func(e slotbook.Employee) string { return e.ID }), nil
}

// Employee implements slotbook.Store.
func (s *Store) Employee(_ context.Context, companyID, employeeID string) (slotbook.Employee, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, e, err := find(s, companyID, employeeID, "employee", employees)
	return e, err
}

// CreateEmployee implements slotbook.Store.
func (s *Store) CreateEmployee(_ context.Context, companyID string, e slotbook.Employee) error {
	if err := badIDs(companyID, e.ID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantForWrite(companyID)
	if _, ok := t.employees[e.ID]; ok {
		return conflict("employee")
	}
	t.employees[e.ID] = e
	return nil
}

// UpdateEmployee implements slotbook.Store.
func (s *Store) UpdateEmployee(_ context.Context, companyID string, e slotbook.Employee) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("employee")
	}
	if _, ok := t.employees[e.ID]; !ok {
		return notFound("employee")
	}
	t.employees[e.ID] = e
	return nil
}

// DeleteEmployee implements slotbook.Store.
func (s *Store) DeleteEmployee(_ context.Context, companyID, employeeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("employee")
	}
	if _, ok := t.employees[employeeID]; !ok {
		return notFound("employee")
	}
	delete(t.employees, employeeID)
	delete(t.availability, employeeID)
	delete(t.absences, employeeID)
	delete(t.connections, employeeID)
	delete(t.defaults, employeeID)
	for id, svc := range t.services {
		if svc.Offers(employeeID) {
			svc.Employees = slices.DeleteFunc(slices.Clone(svc.Employees), func(e string) bool { return e == employeeID })
			t.services[id] = svc
		}
	}
	return nil
}

// Availability implements slotbook.Store.
func (s *Store) Availability(_ context.Context, companyID, employeeID string) (slotbook.Availability, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenant(companyID)
	if t == nil {
		return slotbook.Availability{}, notFound("employee")
	}
	if _, ok := t.employees[employeeID]; !ok {
		return slotbook.Availability{}, notFound("employee")
	}
	return cloneAvailability(t.availability[employeeID]), nil
}

// PutAvailability implements slotbook.Store.
func (s *Store) PutAvailability(_ context.Context, companyID, employeeID string, a slotbook.Availability) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("employee")
	}
	if _, ok := t.employees[employeeID]; !ok {
		return notFound("employee")
	}
	t.availability[employeeID] = cloneAvailability(a)
	return nil
}

func cloneAvailability(a slotbook.Availability) slotbook.Availability {
	out := slotbook.Availability{
		Weekly:    slices.Clone(a.Weekly),
		Overrides: make([]slotbook.DateOverride, len(a.Overrides)),
	}
	if out.Weekly == nil {
		out.Weekly = []slotbook.WeeklyHours{}
	}
	for i, o := range a.Overrides {
		out.Overrides[i] = slotbook.DateOverride{Date: o.Date, Intervals: slices.Clone(o.Intervals)}
	}
	return out
}

// Absences implements slotbook.Store.
func (s *Store) Absences(_ context.Context, companyID, employeeID string, from, to time.Time) ([]slotbook.Absence, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.Absence{}
	if t := s.tenant(companyID); t != nil {
		for _, a := range t.absences[employeeID] {
			if a.Start.Before(to) && from.Before(a.End) {
				out = append(out, a)
			}
		}
	}
	slices.SortFunc(out, func(x, y slotbook.Absence) int {
		return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.ID, y.ID))
	})
	return out, nil
}

// Closures implements slotbook.Store.
func (s *Store) Closures(_ context.Context, companyID string, from, to schedule.Date) ([]slotbook.Closure, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.Closure{}
	t := s.tenant(companyID)
	if t == nil {
		return out, nil
	}
	for _, c := range t.closures {
		if !c.End.Before(from) && !to.Before(c.Start) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y slotbook.Closure) int {
		return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.ID, y.ID))
	})
	return out, nil
}

// CreateClosure implements slotbook.Store.
func (s *Store) CreateClosure(_ context.Context, companyID string, c slotbook.Closure) error {
	if err := badIDs(companyID, c.ID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantForWrite(companyID)
	if _, ok := t.closures[c.ID]; ok {
		return conflict("closure")
	}
	t.closures[c.ID] = c
	return nil
}

// DeleteClosure implements slotbook.Store.
func (s *Store) DeleteClosure(_ context.Context, companyID, closureID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("closure")
	}
	if _, ok := t.closures[closureID]; !ok {
		return notFound("closure")
	}
	delete(t.closures, closureID)
	return nil
}

// Webhooks implements slotbook.Store.
func (s *Store) Webhooks(_ context.Context, companyID string) ([]slotbook.Webhook, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenant(companyID)
	if t == nil {
		return []slotbook.Webhook{}, nil
	}
	out := sortedValues(t.webhooks, func(w slotbook.Webhook) string { return w.ID })
	for i := range out {
		out[i] = cloneWebhook(out[i])
	}
	return out, nil
}

func cloneWebhook(w slotbook.Webhook) slotbook.Webhook {
	w.Events, w.SealedSecret = slices.Clone(w.Events), bytes.Clone(w.SealedSecret)
	return w
}

// Webhook implements slotbook.Store.
func (s *Store) Webhook(_ context.Context, companyID, webhookID string) (slotbook.Webhook, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, w, err := find(s, companyID, webhookID, "webhook", func(t *tenant) map[string]slotbook.Webhook { return t.webhooks })
	return cloneWebhook(w), err
}

// CreateWebhook implements slotbook.Store.
func (s *Store) CreateWebhook(_ context.Context, companyID string, w slotbook.Webhook) error {
	if err := badIDs(companyID, w.ID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantForWrite(companyID)
	if _, ok := t.webhooks[w.ID]; ok {
		return conflict("webhook")
	}
	t.webhooks[w.ID] = cloneWebhook(w)
	return nil
}

// UpdateWebhook implements slotbook.Store.
func (s *Store) UpdateWebhook(_ context.Context, companyID string, w slotbook.Webhook) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("webhook")
	}
	if _, ok := t.webhooks[w.ID]; !ok {
		return notFound("webhook")
	}
	t.webhooks[w.ID] = cloneWebhook(w)
	return nil
}

// DeleteWebhook implements slotbook.Store.
func (s *Store) DeleteWebhook(_ context.Context, companyID, webhookID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("webhook")
	}
	if _, ok := t.webhooks[webhookID]; !ok {
		return notFound("webhook")
	}
	delete(t.webhooks, webhookID)
	for k, d := range t.deliveries {
		if d.WebhookID == webhookID {
			delete(t.deliveries, k)
		}
	}
	return nil
}

// WebhookDeliveries implements slotbook.Store.
func (s *Store) WebhookDeliveries(_ context.Context, companyID, webhookID string) ([]slotbook.WebhookDelivery, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.WebhookDelivery{}
	t := s.tenant(companyID)
	if t == nil {
		return out, nil
	}
	for _, d := range t.deliveries {
		if d.WebhookID == webhookID {
			d.Attempts = slices.Clone(d.Attempts)
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(x, y slotbook.WebhookDelivery) int {
		return cmp.Or(y.CreatedAt.Compare(x.CreatedAt), cmp.Compare(y.ID, x.ID))
	})
	return out, nil
}

// RecordDeliveryAttempt implements slotbook.Store.
func (s *Store) RecordDeliveryAttempt(_ context.Context, companyID string, d slotbook.WebhookDelivery, attempt slotbook.DeliveryAttempt) error {
	if err := badIDs(companyID, d.WebhookID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantForWrite(companyID)
	k := d.WebhookID + "/" + d.ID
	prev, ok := t.deliveries[k]
	if ok {
		d.Attempts = append(slices.Clone(prev.Attempts), attempt)
		d.CreatedAt = prev.CreatedAt
	} else {
		d.Attempts = []slotbook.DeliveryAttempt{attempt}
	}
	t.deliveries[k] = d
	return nil
}

// CustomerBookings implements slotbook.Store.
func (s *Store) CustomerBookings(_ context.Context, companyID, email string) ([]slotbook.Booking, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.Booking{}
	t := s.tenant(companyID)
	if t == nil || email == "" {
		return out, nil
	}
	for _, b := range t.bookings {
		if strings.EqualFold(b.Customer.Email, email) {
			b.CancelTokenHash = slices.Clone(b.CancelTokenHash)
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(x, y slotbook.Booking) int { return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.ID, y.ID)) })
	return out, nil
}

// AnonymizeBooking implements slotbook.Store.
func (s *Store) AnonymizeBooking(_ context.Context, companyID, bookingID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, b, err := find(s, companyID, bookingID, "booking", bookings)
	if err != nil {
		return err
	}
	if b.Status == slotbook.Pending {
		return slotbook.Errorf(slotbook.Conflict, "The booking is still being made.")
	}
	b.Customer, b.Notes, b.Anonymized = slotbook.Customer{}, "", true
	t.bookings[bookingID] = b
	return nil
}

// SetRetention implements slotbook.Store.
func (s *Store) SetRetention(_ context.Context, companyID string, days int) error {
	if err := badIDs(companyID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if days <= 0 {
		delete(s.retentions, companyID)
		return nil
	}
	r := s.retentions[companyID]
	r.CompanyID, r.Days = companyID, days
	s.retentions[companyID] = r
	return nil
}

// Retentions implements slotbook.Store.
func (s *Store) Retentions(context.Context) ([]slotbook.Retention, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return sortedValues(s.retentions, func(r slotbook.Retention) string { return r.CompanyID }), nil
}

// RetentionDone implements slotbook.Store.
func (s *Store) RetentionDone(_ context.Context, companyID string, until time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.retentions[companyID]; ok {
		r.DoneUntil = until
		s.retentions[companyID] = r
	}
	return nil
}

// AppendAudit implements slotbook.Store.
func (s *Store) AppendAudit(_ context.Context, companyID string, e slotbook.AuditEntry) error {
	if err := badIDs(companyID, e.ID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantForWrite(companyID)
	t.audit = append(t.audit, e)
	return nil
}

// AuditEntries implements slotbook.Store.
func (s *Store) AuditEntries(_ context.Context, companyID string, from, to time.Time) ([]slotbook.AuditEntry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.AuditEntry{}
	t := s.tenant(companyID)
	if t == nil {
		return out, nil
	}
	for _, e := range t.audit {
		if !e.At.Before(from) && e.At.Before(to) {
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(x, y slotbook.AuditEntry) int { return x.At.Compare(y.At) })
	return out, nil
}

// CreateAbsence implements slotbook.Store.
func (s *Store) CreateAbsence(_ context.Context, companyID, employeeID string, a slotbook.Absence) error {
	if err := badIDs(companyID, employeeID, a.ID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("employee")
	}
	if _, ok := t.employees[employeeID]; !ok {
		return notFound("employee")
	}
	m := t.absences[employeeID]
	if m == nil {
		m = make(map[string]slotbook.Absence)
		t.absences[employeeID] = m
	}
	if _, ok := m[a.ID]; ok {
		return conflict("absence")
	}
	m[a.ID] = a
	return nil
}

// DeleteAbsence implements slotbook.Store.
func (s *Store) DeleteAbsence(_ context.Context, companyID, employeeID, absenceID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("absence")
	}
	if _, ok := t.absences[employeeID][absenceID]; !ok {
		return notFound("absence")
	}
	delete(t.absences[employeeID], absenceID)
	return nil
}

// Services implements slotbook.Store.
func (s *Store) Services(_ context.Context, companyID string) ([]slotbook.Service, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenant(companyID)
	if t == nil {
		return []slotbook.Service{}, nil
	}
	out := sortedValues(t.services, func(v slotbook.Service) string { return v.ID })
	for i := range out {
		out[i].Employees = slices.Clone(out[i].Employees)
	}
	return out, nil
}

// Service implements slotbook.Store.
func (s *Store) Service(_ context.Context, companyID, serviceID string) (slotbook.Service, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, v, err := find(s, companyID, serviceID, "service", services)
	v.Employees = slices.Clone(v.Employees)
	return v, err
}

// CreateService implements slotbook.Store.
func (s *Store) CreateService(_ context.Context, companyID string, v slotbook.Service) error {
	if err := badIDs(companyID, v.ID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantForWrite(companyID)
	if _, ok := t.services[v.ID]; ok {
		return conflict("service")
	}
	if err := t.checkEmployees(v.Employees); err != nil {
		return err
	}
	v.Employees = slices.Clone(v.Employees)
	t.services[v.ID] = v
	return nil
}

// UpdateService implements slotbook.Store.
func (s *Store) UpdateService(_ context.Context, companyID string, v slotbook.Service) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("service")
	}
	if _, ok := t.services[v.ID]; !ok {
		return notFound("service")
	}
	if err := t.checkEmployees(v.Employees); err != nil {
		return err
	}
	v.Employees = slices.Clone(v.Employees)
	t.services[v.ID] = v
	return nil
}

func (t *tenant) checkEmployees(ids []string) error {
	for _, id := range ids {
		if _, ok := t.employees[id]; !ok {
			return slotbook.Errorf(slotbook.Unprocessable, "There is no employee %s.", id)
		}
	}
	return nil
}

// DeleteService implements slotbook.Store.
func (s *Store) DeleteService(_ context.Context, companyID, serviceID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("service")
	}
	if _, ok := t.services[serviceID]; !ok {
		return notFound("service")
	}
	delete(t.services, serviceID)
	return nil
}

// Bookings implements slotbook.Store.
func (s *Store) Bookings(_ context.Context, companyID, employeeID string, from, to time.Time) ([]slotbook.Booking, error) {
	return s.bookingsWhere(companyID, employeeID, from, to, func(b slotbook.Booking) bool { return b.Status != slotbook.Cancelled }), nil
}

// CancelledBookings implements slotbook.Store.
func (s *Store) CancelledBookings(_ context.Context, companyID, employeeID string, from, to time.Time) ([]slotbook.Booking, error) {
	return s.bookingsWhere(companyID, employeeID, from, to, func(b slotbook.Booking) bool { return b.Status == slotbook.Cancelled }), nil
}

// bookingsWhere returns the employee's bookings that overlap [from, to) and
// keep, ordered by start.
func (s *Store) bookingsWhere(companyID, employeeID string, from, to time.Time, keep func(slotbook.Booking) bool) []slotbook.Booking {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.Booking{}
	if t := s.tenant(companyID); t != nil {
		for _, b := range t.bookings {
			if b.EmployeeID == employeeID && keep(b) && b.Start.Before(to) && from.Before(b.End) {
				b.CancelTokenHash = slices.Clone(b.CancelTokenHash)
				out = append(out, b)
			}
		}
	}
	slices.SortFunc(out, func(x, y slotbook.Booking) int {
		return cmp.Or(x.Start.Compare(y.Start), cmp.Compare(x.ID, y.ID))
	})
	return out
}

// abandonedFor is how long an abandoned pending booking stays before it
// is swept away (DynamoDB's TTL does the same, within days).
const abandonedFor = 24 * time.Hour

// CreateBooking implements slotbook.Store. The check and the write happen
// under one lock, so of two overlapping bookings only one is recorded.
func (s *Store) CreateBooking(_ context.Context, companyID string, b slotbook.Booking, idem *slotbook.Idempotency) error {
	if err := badIDs(companyID, b.ID, b.EmployeeID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantForWrite(companyID)
	for id, o := range t.bookings {
		if o.Status == slotbook.Pending && b.CreatedAt.Sub(o.PendingUntil) > abandonedFor {
			delete(t.bookings, id)
		}
	}
	if _, ok := t.bookings[b.ID]; ok {
		return conflict("booking")
	}
	if idem != nil {
		if old, ok := t.idempotency[idem.Key]; ok && old.ExpiresAt.After(idem.CreatedAt) && old.BookingID != b.ID {
			return slotbook.Errorf(slotbook.Conflict, "This Idempotency-Key was used already.")
		}
	}
	rk := removalKey{companyID, b.EmployeeID, b.Event.Key}
	if b.Event.Key != "" {
		if _, ok := s.removals[rk]; ok {
			return slotbook.Errorf(slotbook.Conflict, "The event key %s has a removal.", b.Event.Key)
		}
	}
	if t.taken(b, b.CreatedAt) {
		return slotbook.Errorf(slotbook.SlotTaken, "This time is no longer free.")
	}
	b.CancelTokenHash = slices.Clone(b.CancelTokenHash)
	t.bookings[b.ID] = b
	if idem != nil {
		rec := *idem
		rec.SealedCancelToken = slices.Clone(rec.SealedCancelToken)
		t.idempotency[idem.Key] = rec
	}
	if b.Event.Key != "" {
		s.removals[rk] = slotbook.EventRemoval{
			CompanyID: companyID, EmployeeID: b.EmployeeID, BookingID: b.ID, Event: b.Event,
			Start: b.Start, End: b.End, Reason: slotbook.RemovalIfUnconfirmed,
			Due: b.PendingUntil.Add(slotbook.RemovalGrace), Version: slotbook.NewID(),
		}
	}
	return nil
}

// taken reports whether another booking of b's employee that blocks at at
// overlaps b, both widened by their buffers. The caller holds the lock.
func (t *tenant) taken(b slotbook.Booking, at time.Time) bool {
	start, end := b.Blocked()
	for _, o := range t.bookings {
		os, oe := o.Blocked()
		if o.ID != b.ID && o.EmployeeID == b.EmployeeID && o.Blocks(at) && start.Before(oe) && os.Before(end) {
			return true
		}
	}
	return false
}

// Booking implements slotbook.Store.
func (s *Store) Booking(_ context.Context, companyID, bookingID string) (slotbook.Booking, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, b, err := find(s, companyID, bookingID, "booking", bookings)
	b.CancelTokenHash = slices.Clone(b.CancelTokenHash)
	return b, err
}

// ConfirmBooking implements slotbook.Store: the lock makes it exclusive
// with claims and releases.
func (s *Store) ConfirmBooking(_ context.Context, companyID, bookingID, eventID string, now time.Time, outbox []slotbook.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, b, err := find(s, companyID, bookingID, "booking", bookings)
	if err != nil {
		return err
	}
	if err := s.checkOutbox(companyID, bookingID, outbox); err != nil {
		return err
	}
	if b.Status != slotbook.Pending {
		return slotbook.Errorf(slotbook.Conflict, "The booking is not pending.")
	}
	if t.taken(b, now) {
		return slotbook.Errorf(slotbook.SlotTaken, "The time was taken meanwhile.")
	}
	if b.Event.Key != "" {
		delete(s.removals, removalKey{companyID, b.EmployeeID, b.Event.Key})
	}
	b.Status, b.Event.EventID, b.PendingUntil = slotbook.Confirmed, eventID, time.Time{}
	t.bookings[bookingID] = b
	s.addOutbox(companyID, bookingID, outbox)
	return nil
}

// checkOutbox refuses notifications of another booking or with an id
// taken. The caller holds the lock.
func (s *Store) checkOutbox(companyID, bookingID string, outbox []slotbook.Notification) error {
	for _, n := range outbox {
		if n.CompanyID != companyID || n.BookingID != bookingID || badNotification(n) != nil {
			return slotbook.FieldErrorf("notification", "must be of this booking, with an id and a version")
		}
		if _, ok := s.notifications[notificationKey{companyID, bookingID, n.ID}]; ok {
			return slotbook.Errorf(slotbook.Conflict, "The notification %s exists already.", n.ID)
		}
	}
	return nil
}

// addOutbox records checked notifications. The caller holds the lock.
func (s *Store) addOutbox(companyID, bookingID string, outbox []slotbook.Notification) {
	for _, n := range outbox {
		n.SealedToken = slices.Clone(n.SealedToken)
		s.notifications[notificationKey{companyID, bookingID, n.ID}] = n
	}
}

func badNotification(n slotbook.Notification) error {
	if err := badIDs(n.CompanyID, n.BookingID); err != nil || !slotbook.ValidID(n.ID) || n.Version == "" {
		return slotbook.FieldErrorf("notification", "needs ids and a version")
	}
	return nil
}

// Notifications implements slotbook.Store.
func (s *Store) Notifications(_ context.Context, companyID, bookingID string) ([]slotbook.Notification, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.Notification{}
	for k, n := range s.notifications {
		if k.company == companyID && k.booking == bookingID {
			n.SealedToken = slices.Clone(n.SealedToken)
			out = append(out, n)
		}
	}
	slotbook.SortNotifications(out)
	return out, nil
}

// Notification implements slotbook.Store.
func (s *Store) Notification(_ context.Context, companyID, bookingID, id string) (slotbook.Notification, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, ok := s.notifications[notificationKey{companyID, bookingID, id}]
	if !ok {
		return slotbook.Notification{}, notFound("notification")
	}
	n.SealedToken = slices.Clone(n.SealedToken)
	return n, nil
}

// DueNotifications implements slotbook.Store.
func (s *Store) DueNotifications(_ context.Context, now time.Time, limit int) ([]slotbook.Notification, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.Notification{}
	for _, n := range s.notifications {
		if n.State == slotbook.NotificationPending && !n.Due.After(now) {
			n.SealedToken = slices.Clone(n.SealedToken)
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(x, y slotbook.Notification) int {
		return cmp.Or(x.Due.Compare(y.Due), cmp.Compare(x.CompanyID, y.CompanyID), cmp.Compare(x.BookingID, y.BookingID), cmp.Compare(x.ID, y.ID))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// PutNotification implements slotbook.Store.
func (s *Store) PutNotification(_ context.Context, n slotbook.Notification, replaces string) error {
	if err := badNotification(n); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := notificationKey{n.CompanyID, n.BookingID, n.ID}
	old, ok := s.notifications[k]
	switch {
	case replaces != "" && !ok:
		return notFound("notification")
	case replaces != "" && old.Version != replaces:
		return slotbook.Errorf(slotbook.Conflict, "The notification changed meanwhile.")
	}
	n.SealedToken = slices.Clone(n.SealedToken)
	s.notifications[k] = n
	return nil
}

// CancelBooking implements slotbook.Store.
func (s *Store) CancelBooking(_ context.Context, companyID, bookingID string, removal *slotbook.EventRemoval, outbox []slotbook.Notification) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, b, err := find(s, companyID, bookingID, "booking", bookings)
	if err != nil {
		return err
	}
	switch b.Status {
	case slotbook.Cancelled:
		return slotbook.Errorf(slotbook.BookingCancelled, "The booking is cancelled already.")
	case slotbook.Pending:
		return slotbook.Errorf(slotbook.Conflict, "The booking is still being made; try again in a moment.")
	}
	if err := s.checkOutbox(companyID, bookingID, outbox); err != nil {
		return err
	}
	if removal != nil {
		r := *removal
		r.CompanyID, r.EmployeeID = companyID, b.EmployeeID
		if err := badIDs(r.Event.Connection); err != nil || r.Event.Key == "" {
			return slotbook.FieldErrorf("removal", "needs a connection and a key")
		}
		rk := removalKey{companyID, b.EmployeeID, r.Event.Key}
		if _, ok := s.removals[rk]; ok {
			return slotbook.Errorf(slotbook.Conflict, "The event key %s has a removal.", r.Event.Key)
		}
		s.removals[rk] = r
	}
	b.Status = slotbook.Cancelled
	b.Sequence++
	t.bookings[bookingID] = b
	s.addOutbox(companyID, bookingID, outbox)
	return nil
}

// ReleaseBooking implements slotbook.Store.
func (s *Store) ReleaseBooking(_ context.Context, companyID, bookingID string, r slotbook.Release) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return nil
	}
	b, ok := t.bookings[bookingID]
	if !ok {
		return nil
	}
	switch {
	case b.Status != slotbook.Pending:
		return slotbook.Errorf(slotbook.Conflict, "A %s booking is not released.", b.Status)
	case !r.AbandonedAt.IsZero() && b.PendingUntil.After(r.AbandonedAt):
		return slotbook.Errorf(slotbook.Conflict, "The booking is not abandoned.")
	}
	delete(t.bookings, bookingID)
	if rec, ok := t.idempotency[r.IdempotencyKey]; ok && rec.BookingID == bookingID {
		delete(t.idempotency, r.IdempotencyKey)
	}
	if b.Event.Key != "" {
		rk := removalKey{companyID, b.EmployeeID, b.Event.Key}
		old, ok := s.removals[rk]
		switch {
		case r.RemovalVersion == "":
			delete(s.removals, rk)
		case ok && old.BookingID == bookingID:
			old.Reason, old.Due, old.Version = slotbook.RemovalAbandoned, r.Now, r.RemovalVersion
			s.removals[rk] = old
		}
	}
	return nil
}

// removalKey names an EventRemoval.
type removalKey struct{ company, employee, key string }

// Removals implements slotbook.Store.
func (s *Store) Removals(_ context.Context, companyID, employeeID string) ([]slotbook.EventRemoval, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.EventRemoval{}
	for k, r := range s.removals {
		if k.company == companyID && k.employee == employeeID {
			out = append(out, r)
		}
	}
	sortRemovals(out)
	return out, nil
}

// DueRemovals implements slotbook.Store.
func (s *Store) DueRemovals(_ context.Context, now time.Time, limit int) ([]slotbook.EventRemoval, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []slotbook.EventRemoval{}
	for _, r := range s.removals {
		if !r.Due.After(now) {
			out = append(out, r)
		}
	}
	sortRemovals(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func sortRemovals(rs []slotbook.EventRemoval) {
	slices.SortFunc(rs, func(x, y slotbook.EventRemoval) int {
		return cmp.Or(x.Due.Compare(y.Due), cmp.Compare(x.CompanyID, y.CompanyID), cmp.Compare(x.EmployeeID, y.EmployeeID), cmp.Compare(x.Event.Key, y.Event.Key))
	})
}

// PutRemoval implements slotbook.Store.
func (s *Store) PutRemoval(_ context.Context, r slotbook.EventRemoval, replaces string) error {
	if err := badIDs(r.CompanyID, r.EmployeeID, r.Event.Connection); err != nil || r.Event.Key == "" || r.Version == "" {
		return slotbook.FieldErrorf("removal", "needs ids, a key and a version")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rk := removalKey{r.CompanyID, r.EmployeeID, r.Event.Key}
	old, ok := s.removals[rk]
	if ok != (replaces != "") || ok && old.Version != replaces {
		return slotbook.Errorf(slotbook.Conflict, "The removal changed meanwhile.")
	}
	s.removals[rk] = r
	return nil
}

// DeleteRemoval implements slotbook.Store.
func (s *Store) DeleteRemoval(_ context.Context, companyID, employeeID, key, version string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rk := removalKey{companyID, employeeID, key}
	if old, ok := s.removals[rk]; ok && old.Version == version {
		delete(s.removals, rk)
	}
	return nil
}

// Idempotency implements slotbook.Store.
func (s *Store) Idempotency(_ context.Context, companyID, key string, now time.Time) (slotbook.Idempotency, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.tenant(companyID); t != nil {
		if r, ok := t.idempotency[key]; ok && r.ExpiresAt.After(now) {
			r.SealedCancelToken = slices.Clone(r.SealedCancelToken)
			return r, nil
		}
	}
	return slotbook.Idempotency{}, notFound("idempotency record")
}

// UseNonce implements slotbook.Store.
func (s *Store) UseNonce(_ context.Context, companyID, nonce string, now, expires time.Time) error {
	if err := badIDs(companyID, nonce); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenantForWrite(companyID)
	if until, ok := t.nonces[nonce]; ok && until.After(now) {
		return slotbook.Errorf(slotbook.Conflict, "This one-time value was used already.")
	}
	t.nonces[nonce] = expires
	return nil
}

func sortedValues[V any](m map[string]V, key func(V) string) []V {
	out := slices.Collect(maps.Values(m))
	slices.SortFunc(out, func(x, y V) int { return cmp.Compare(key(x), key(y)) })
	if out == nil {
		out = []V{}
	}
	return out
}

// Connections implements slotbook.Store.
func (s *Store) Connections(_ context.Context, companyID, employeeID string) ([]slotbook.Connection, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenant(companyID)
	if t == nil {
		return []slotbook.Connection{}, nil
	}
	out := sortedValues(t.connections[employeeID], func(k slotbook.Connection) string { return k.ID })
	for i := range out {
		out[i] = t.withDefault(out[i])
	}
	return out, nil
}

// withDefault returns k with IsDefault set from the employee's default
// mark, and a copy of its secret.
func (t *tenant) withDefault(k slotbook.Connection) slotbook.Connection {
	k.IsDefault = t.defaults[k.EmployeeID] == k.ID
	k.SealedSecret = slices.Clone(k.SealedSecret)
	return k
}

// connection returns a stored connection and its company's data, or
// NotFound. The caller holds the lock.
func (s *Store) connection(companyID, employeeID, connectionID string) (*tenant, slotbook.Connection, error) {
	t := s.tenant(companyID)
	if t == nil {
		return nil, slotbook.Connection{}, notFound("calendar connection")
	}
	k, ok := t.connections[employeeID][connectionID]
	if !ok {
		return nil, slotbook.Connection{}, notFound("calendar connection")
	}
	return t, k, nil
}

// Connection implements slotbook.Store.
func (s *Store) Connection(_ context.Context, companyID, employeeID, connectionID string) (slotbook.Connection, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, k, err := s.connection(companyID, employeeID, connectionID)
	if err != nil {
		return slotbook.Connection{}, err
	}
	return t.withDefault(k), nil
}

// CreateConnection implements slotbook.Store.
func (s *Store) CreateConnection(_ context.Context, companyID string, k slotbook.Connection) error {
	if err := badIDs(companyID, k.EmployeeID, k.ID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(companyID)
	if t == nil {
		return notFound("employee")
	}
	if _, ok := t.employees[k.EmployeeID]; !ok {
		return notFound("employee")
	}
	m := t.connections[k.EmployeeID]
	if m == nil {
		m = make(map[string]slotbook.Connection)
		t.connections[k.EmployeeID] = m
	}
	if _, ok := m[k.ID]; ok {
		return conflict("calendar connection")
	}
	if k.IsDefault {
		t.defaults[k.EmployeeID] = k.ID
	}
	k.IsDefault = false // derived from defaults on read
	k.SealedSecret = slices.Clone(k.SealedSecret)
	m[k.ID] = k
	return nil
}

// UpdateConnection implements slotbook.Store.
func (s *Store) UpdateConnection(_ context.Context, companyID, employeeID, connectionID string, u slotbook.ConnectionUpdate) (slotbook.Connection, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, k, err := s.connection(companyID, employeeID, connectionID)
	if err != nil {
		return slotbook.Connection{}, err
	}
	if u.Name != nil {
		k.Name = *u.Name
	}
	if u.CheckConflicts != nil {
		k.CheckConflicts = *u.CheckConflicts
	}
	if u.ShowInOverview != nil {
		k.ShowInOverview = *u.ShowInOverview
	}
	if u.Account != nil {
		k.Account = *u.Account
	}
	switch {
	case u.IsDefault == nil:
	case *u.IsDefault:
		t.defaults[employeeID] = connectionID
	case t.defaults[employeeID] == connectionID:
		delete(t.defaults, employeeID)
	}
	t.connections[employeeID][connectionID] = k
	return t.withDefault(k), nil
}

// SetConnectionAuth implements slotbook.Store.
func (s *Store) SetConnectionAuth(_ context.Context, companyID, employeeID, connectionID string, expect, sealed []byte, status slotbook.ConnectionStatus) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, k, err := s.connection(companyID, employeeID, connectionID)
	if err != nil {
		return err
	}
	if expect != nil && !bytes.Equal(expect, k.SealedSecret) {
		return slotbook.Errorf(slotbook.Conflict, "The connection's credentials changed meanwhile.")
	}
	if sealed != nil {
		k.SealedSecret = slices.Clone(sealed)
	}
	k.Status = status
	t.connections[employeeID][connectionID] = k
	return nil
}

// DeleteConnection implements slotbook.Store.
func (s *Store) DeleteConnection(_ context.Context, companyID, employeeID, connectionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, _, err := s.connection(companyID, employeeID, connectionID)
	if err != nil {
		return err
	}
	delete(t.connections[employeeID], connectionID)
	if t.defaults[employeeID] == connectionID {
		delete(t.defaults, employeeID)
	}
	return nil
}

// RescheduleBooking implements slotbook.Store: the lock makes the move
// atomic.
func (s *Store) RescheduleBooking(_ context.Context, companyID, bookingID string, m slotbook.Move) error {
	if err := badIDs(companyID, bookingID, m.EmployeeID); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, b, err := find(s, companyID, bookingID, "booking", bookings)
	if err != nil {
		return err
	}
	moved, err := b.Moved(m)
	if err != nil {
		return err
	}
	if t.taken(moved, m.Now) {
		return slotbook.Errorf(slotbook.SlotTaken, "This time is no longer free.")
	}
	var outbox []slotbook.Notification
	for _, n := range m.Outbox {
		if n.ID == slotbook.ReminderID {
			if err := badNotification(n); err != nil || n.CompanyID != companyID || n.BookingID != bookingID {
				return slotbook.FieldErrorf("notification", "must be of this booking, with an id and a version")
			}
			continue
		}
		outbox = append(outbox, n)
	}
	if err := s.checkOutbox(companyID, bookingID, outbox); err != nil {
		return err
	}
	claim := removalKey{companyID, m.EmployeeID, m.Event.Key}
	if m.Claim != "" {
		if r, ok := s.removals[claim]; !ok || r.Version != m.Claim || m.Event.Key == "" {
			return slotbook.Errorf(slotbook.Conflict, "The new event is being removed; try again.")
		}
	}
	if r := m.Removal; r != nil {
		rk := removalKey{companyID, r.EmployeeID, r.Event.Key}
		if _, ok := s.removals[rk]; ok || r.Event.Key == "" {
			return slotbook.Errorf(slotbook.Conflict, "The event key %s has a removal.", r.Event.Key)
		}
		s.removals[rk] = *r
	}
	if m.Claim != "" {
		delete(s.removals, claim)
	}
	t.bookings[bookingID] = moved
	s.addOutbox(companyID, bookingID, m.Outbox)
	return nil
}

// Look implements slotbook.Store.
func (s *Store) Look(ctx context.Context, companyID string, l slotbook.Lookup) (slotbook.Looked, error) {
	out := slotbook.Looked{Employees: map[string]slotbook.Employee{}, Availability: map[string]slotbook.Availability{}}
	found := func(err error) (bool, error) {
		if err == nil {
			return true, nil
		}
		if slotbook.ErrorCode(err) == slotbook.NotFound {
			return false, nil
		}
		return false, err
	}
	if l.Company {
		c, err := s.Company(ctx, companyID)
		if ok, err := found(err); err != nil {
			return slotbook.Looked{}, err
		} else if ok {
			out.Company = &c
		}
	}
	if l.Service != "" {
		v, err := s.Service(ctx, companyID, l.Service)
		if ok, err := found(err); err != nil {
			return slotbook.Looked{}, err
		} else if ok {
			out.Service = &v
		}
	}
	for _, id := range l.Employees {
		e, err := s.Employee(ctx, companyID, id)
		if ok, err := found(err); err != nil {
			return slotbook.Looked{}, err
		} else if !ok {
			continue
		}
		av, err := s.Availability(ctx, companyID, id)
		if ok, err := found(err); err != nil {
			return slotbook.Looked{}, err
		} else if ok {
			out.Employees[id], out.Availability[id] = e, av
		}
	}
	if l.IdempotencyKey != "" {
		r, err := s.Idempotency(ctx, companyID, l.IdempotencyKey, l.Now)
		if ok, err := found(err); err != nil {
			return slotbook.Looked{}, err
		} else if ok {
			out.Idempotency = &r
		}
	}
	return out, nil
}
