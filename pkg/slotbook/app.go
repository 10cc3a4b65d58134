package slotbook

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
)

// App holds slotbook's use cases. The HTTP layer calls one method per
// request; each checks access (through Authorize) and validates before it
// touches the store.
type App struct {
	store            Store
	now              func() time.Time
	secrets          Sealer
	providers        map[Provider]CalendarProvider
	oauth            map[Provider]OAuthProvider
	stateKey         func(context.Context) ([]byte, error)
	calendarDeadline time.Duration
	publicURL        string
	dashboardURL     string
	privateHosts     bool
	webhooks         WebhookSender
	mailer           Mailer
	nextFreeBudget   time.Duration
	log              *slog.Logger
}

// WithLogger sets where the App reports calendar failures: the provider,
// the connection and the provider's error, which never holds calendar
// content or credentials (each provider's contract). Default: discarded.
func WithLogger(l *slog.Logger) Option { return func(a *App) { a.log = l } }

// Option configures an App.
type Option func(*App)

// NewApp returns the use cases over store; secrets seals the credentials
// and cancel tokens it stores; now tells the time (time.Now if nil).
func NewApp(store Store, secrets Sealer, now func() time.Time, opts ...Option) *App {
	if now == nil {
		now = time.Now
	}
	a := &App{store: store, secrets: secrets, now: now}
	for _, o := range opts {
		o(a)
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.stateKey == nil {
		key := make([]byte, 32)
		rand.Read(key) // never fails (crypto/rand documents it)
		a.stateKey = func(context.Context) ([]byte, error) { return key, nil }
	}
	return a
}

// authorize loads company companyID and checks the caller's access to it.
// A signed-in admin or staff member of another company is refused before
// the company is looked up, so that ids of other tenants reveal nothing.
func (a *App) authorize(ctx context.Context, companyID string, need Access, employeeID string) (Company, error) {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Company{}, Errorf(Unauthorized, "Sign in to use this route.")
	}
	if p.Role != RoleSupport && p.Company != companyID {
		return Company{}, Errorf(Forbidden, "You may not access this company.")
	}
	c, err := a.store.Company(ctx, companyID)
	if err != nil {
		if p.Role == RoleSupport && ErrorCode(err) == NotFound {
			return Company{}, Errorf(Forbidden, "This company has not granted access to support.")
		}
		return Company{}, err
	}
	return c, Authorize(ctx, c, need, employeeID)
}

// Settings returns company companyID's settings.
func (a *App) Settings(ctx context.Context, companyID string) (Company, error) {
	return a.authorize(ctx, companyID, Read, "")
}

// PutSettings replaces a company's settings, creating the company if an
// admin of it calls first, and reports whether it was created.
func (a *App) PutSettings(ctx context.Context, c Company) (created bool, err error) {
	c = c.WithNotificationDefaults()
	if err := c.Validate(); err != nil {
		return false, err
	}
	if _, err := a.authorize(ctx, c.ID, Manage, ""); err != nil {
		if ErrorCode(err) != NotFound {
			return false, err
		}
		// A new company: only its own admin may create it.
		if err := Authorize(ctx, Company{ID: c.ID}, Manage, ""); err != nil {
			return false, err
		}
	}
	created, err = a.store.PutCompany(ctx, c)
	if err != nil {
		return false, err
	}
	// The sweeper finds the companies whose customer data expires here;
	// saving the settings again repairs a record that was not written.
	if err := a.store.SetRetention(ctx, c.ID, c.RetentionDays); err != nil {
		return created, err
	}
	return created, nil
}

// Employees lists a company's employees.
func (a *App) Employees(ctx context.Context, companyID string) ([]Employee, error) {
	if _, err := a.authorize(ctx, companyID, Read, ""); err != nil {
		return nil, err
	}
	return a.store.Employees(ctx, companyID)
}

// Employee returns one employee.
func (a *App) Employee(ctx context.Context, companyID, employeeID string) (Employee, error) {
	if _, err := a.authorize(ctx, companyID, Read, ""); err != nil {
		return Employee{}, err
	}
	return a.store.Employee(ctx, companyID, employeeID)
}

// CreateEmployee adds an employee; an empty id gets a new one. It returns
// the employee as stored.
func (a *App) CreateEmployee(ctx context.Context, companyID string, e Employee) (Employee, error) {
	if e.ID == "" {
		e.ID = NewID()
	}
	auditCreated(ctx, e.ID)
	if err := e.Validate(); err != nil {
		return Employee{}, err
	}
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return Employee{}, err
	}
	return e, a.store.CreateEmployee(ctx, companyID, e)
}

// UpdateEmployee replaces an employee's data.
func (a *App) UpdateEmployee(ctx context.Context, companyID string, e Employee) (Employee, error) {
	if err := e.Validate(); err != nil {
		return Employee{}, err
	}
	if _, err := a.authorize(ctx, companyID, EditEmployee, e.ID); err != nil {
		return Employee{}, err
	}
	return e, a.store.UpdateEmployee(ctx, companyID, e)
}

// DeleteEmployee removes an employee.
func (a *App) DeleteEmployee(ctx context.Context, companyID, employeeID string) error {
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return err
	}
	return a.store.DeleteEmployee(ctx, companyID, employeeID)
}

// Availability returns an employee's working hours and overrides.
func (a *App) Availability(ctx context.Context, companyID, employeeID string) (Availability, error) {
	if _, err := a.authorize(ctx, companyID, Read, ""); err != nil {
		return Availability{}, err
	}
	return a.store.Availability(ctx, companyID, employeeID)
}

// PutAvailability replaces an employee's working hours and overrides.
func (a *App) PutAvailability(ctx context.Context, companyID, employeeID string, av Availability) (Availability, error) {
	if err := av.Validate(); err != nil {
		return Availability{}, err
	}
	if _, err := a.authorize(ctx, companyID, EditEmployee, employeeID); err != nil {
		return Availability{}, err
	}
	if err := a.store.PutAvailability(ctx, companyID, employeeID, av); err != nil {
		return Availability{}, err
	}
	return a.store.Availability(ctx, companyID, employeeID)
}

// DateRange is an optional range of dates, each end inclusive and open
// when not given.
type DateRange struct {
	From, To       schedule.Date
	HasFrom, HasTo bool
}

// zoneOf returns the zone of employee e of company c: the employee's own, else the company's.
func zoneOf(c Company, e Employee) (*time.Location, error) {
	return LoadZone(cmp.Or(e.Timezone, c.Timezone))
}

// Absences lists an employee's absences that overlap the dates of rng, read
// in the employee's zone; times come in that zone too.
func (a *App) Absences(ctx context.Context, companyID, employeeID string, rng DateRange) ([]Absence, error) {
	c, err := a.authorize(ctx, companyID, Read, "")
	if err != nil {
		return nil, err
	}
	e, err := a.store.Employee(ctx, companyID, employeeID)
	if err != nil {
		return nil, err
	}
	zone, err := zoneOf(c, e)
	if err != nil {
		return nil, err
	}
	from, to := time.Unix(0, 0), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	if rng.HasFrom {
		from = schedule.At(rng.From, 0, zone)
	}
	if rng.HasTo {
		to = schedule.At(rng.To, schedule.EndOfDay, zone)
	}
	if rng.HasFrom && rng.HasTo && !from.Before(to) {
		return nil, FieldErrorf("to", "must not be before from")
	}
	list, err := a.store.Absences(ctx, companyID, employeeID, from, to)
	if err != nil {
		return nil, err
	}
	for i := range list {
		list[i].Start, list[i].End = list[i].Start.In(zone), list[i].End.In(zone)
	}
	return list, nil
}

// CreateAbsence adds an absence with a new id and returns it, its times in
// the employee's zone.
func (a *App) CreateAbsence(ctx context.Context, companyID, employeeID string, ab Absence) (Absence, error) {
	ab.ID = NewID()
	auditCreated(ctx, ab.ID)
	if err := ab.Validate(); err != nil {
		return Absence{}, err
	}
	c, err := a.authorize(ctx, companyID, EditEmployee, employeeID)
	if err != nil {
		return Absence{}, err
	}
	e, err := a.store.Employee(ctx, companyID, employeeID)
	if err != nil {
		return Absence{}, err
	}
	zone, err := zoneOf(c, e)
	if err != nil {
		return Absence{}, err
	}
	ab.Start, ab.End = ab.Start.In(zone), ab.End.In(zone)
	return ab, a.store.CreateAbsence(ctx, companyID, employeeID, ab)
}

// DeleteAbsence removes an absence.
func (a *App) DeleteAbsence(ctx context.Context, companyID, employeeID, absenceID string) error {
	if _, err := a.authorize(ctx, companyID, EditEmployee, employeeID); err != nil {
		return err
	}
	return a.store.DeleteAbsence(ctx, companyID, employeeID, absenceID)
}

// Services lists a company's services.
func (a *App) Services(ctx context.Context, companyID string) ([]Service, error) {
	if _, err := a.authorize(ctx, companyID, Read, ""); err != nil {
		return nil, err
	}
	return a.store.Services(ctx, companyID)
}

// Service returns one service.
func (a *App) Service(ctx context.Context, companyID, serviceID string) (Service, error) {
	if _, err := a.authorize(ctx, companyID, Read, ""); err != nil {
		return Service{}, err
	}
	return a.store.Service(ctx, companyID, serviceID)
}

// CreateService adds a service; an empty id gets a new one.
func (a *App) CreateService(ctx context.Context, companyID string, s Service) (Service, error) {
	if s.ID == "" {
		s.ID = NewID()
	}
	auditCreated(ctx, s.ID)
	if s.Employees == nil {
		s.Employees = []string{}
	}
	if err := s.Validate(); err != nil {
		return Service{}, err
	}
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return Service{}, err
	}
	return s, a.store.CreateService(ctx, companyID, s)
}

// UpdateService replaces a service.
func (a *App) UpdateService(ctx context.Context, companyID string, s Service) (Service, error) {
	if s.Employees == nil {
		s.Employees = []string{}
	}
	if err := s.Validate(); err != nil {
		return Service{}, err
	}
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return Service{}, err
	}
	return s, a.store.UpdateService(ctx, companyID, s)
}

// DeleteService removes a service.
func (a *App) DeleteService(ctx context.Context, companyID, serviceID string) error {
	if _, err := a.authorize(ctx, companyID, Manage, ""); err != nil {
		return err
	}
	return a.store.DeleteService(ctx, companyID, serviceID)
}

// Profile is what the public booking widget shows of a company: no
// personal data beyond employees' names.
type Profile struct {
	Company   Company
	Employees []Employee
	Services  []Service
}

// Profile returns the public profile of a company.
func (a *App) Profile(ctx context.Context, companyID string) (Profile, error) {
	c, err := a.store.Company(ctx, companyID)
	if err != nil {
		return Profile{}, err
	}
	emps, err := a.store.Employees(ctx, companyID)
	if err != nil {
		return Profile{}, err
	}
	svcs, err := a.store.Services(ctx, companyID)
	if err != nil {
		return Profile{}, err
	}
	return Profile{Company: c, Employees: emps, Services: svcs}, nil
}

// notFoundAs turns NotFound into a NotFound with message msg, and passes
// other errors through.
func notFoundAs(err error, msg string) error {
	var e *Error
	if errors.As(err, &e) && e.Code == NotFound {
		return Errorf(NotFound, "%s", msg)
	}
	return err
}
