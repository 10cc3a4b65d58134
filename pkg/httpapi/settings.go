package httpapi

import (
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// required records a problem if a required field was left out.
func required[T any](p *slotbook.Problems, field string, v *T) T {
	if v == nil {
		p.Add(field, "is required")
		var zero T
		return zero
	}
	return *v
}

// location answers the path of an item created below the request's path.
func location(w http.ResponseWriter, r *http.Request, id string) {
	w.Header().Set("Location", path.Join(r.URL.Path, id))
}

// companyID reads the company of the request's path.
func companyID(r *http.Request) (string, error) { return pathID(r, "companyId") }

// ids reads the company and one more id from the request's path.
func ids(r *http.Request, name string) (string, string, error) {
	c, err := companyID(r)
	if err != nil {
		return "", "", err
	}
	id, err := pathID(r, name)
	return c, id, err
}

// --- company settings ---

type settingsJSON struct {
	ID                     string `json:"id"`
	Name                   string `json:"name"`
	Timezone               string `json:"timezone"`
	BookingIntervalMinutes int    `json:"bookingIntervalMinutes"`
	MinNoticeMinutes       int    `json:"minNoticeMinutes"`
	HorizonDays            int    `json:"horizonDays"`
	SupportAccess          bool   `json:"supportAccess"`
	Language               string `json:"language"`
	ReminderMinutesBefore  int    `json:"reminderMinutesBefore"`
	NotifyEmployees        bool   `json:"notifyEmployees"`
	CancelNoticeMinutes    int    `json:"cancelNoticeMinutes"`
	MaxCustomerReschedules int    `json:"maxCustomerReschedules"`
	// RetentionDays is null while customer data is kept.
	RetentionDays *int `json:"retentionDays"`
}

type settingsInput struct {
	Name                   *string `json:"name"`
	Timezone               *string `json:"timezone"`
	BookingIntervalMinutes *int    `json:"bookingIntervalMinutes"`
	MinNoticeMinutes       *int    `json:"minNoticeMinutes"`
	HorizonDays            *int    `json:"horizonDays"`
	SupportAccess          *bool   `json:"supportAccess"`
	// Optional, with api.md's defaults.
	Language               *string `json:"language"`
	ReminderMinutesBefore  *int    `json:"reminderMinutesBefore"`
	NotifyEmployees        *bool   `json:"notifyEmployees"`
	CancelNoticeMinutes    *int    `json:"cancelNoticeMinutes"`
	MaxCustomerReschedules *int    `json:"maxCustomerReschedules"`
	RetentionDays          *int    `json:"retentionDays"`
}

func settingsOut(c slotbook.Company) settingsJSON {
	var keep *int
	if c.RetentionDays > 0 {
		keep = &c.RetentionDays
	}
	return settingsJSON{c.ID, c.Name, c.Timezone, c.BookingIntervalMinutes, c.MinNoticeMinutes, c.HorizonDays, c.SupportAccess,
		string(c.Language), c.ReminderMinutesBefore, c.NotifyEmployees, c.CancelNoticeMinutes, c.MaxCustomerReschedules, keep}
}

// or returns *p, or def if p is nil.
func or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}

func (s *server) getSettings(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	c, err := s.app.Settings(r.Context(), cid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, settingsOut(c))
}

func (s *server) putSettings(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	var in settingsInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var p slotbook.Problems
	c := slotbook.Company{
		ID:                     cid,
		Name:                   required(&p, "name", in.Name),
		Timezone:               required(&p, "timezone", in.Timezone),
		BookingIntervalMinutes: required(&p, "bookingIntervalMinutes", in.BookingIntervalMinutes),
		MinNoticeMinutes:       required(&p, "minNoticeMinutes", in.MinNoticeMinutes),
		HorizonDays:            required(&p, "horizonDays", in.HorizonDays),
		SupportAccess:          required(&p, "supportAccess", in.SupportAccess),
		Language:               slotbook.Language(or(in.Language, string(slotbook.DefaultLanguage))),
		ReminderMinutesBefore:  or(in.ReminderMinutesBefore, slotbook.DefaultReminderMinutesBefore),
		NotifyEmployees:        or(in.NotifyEmployees, slotbook.DefaultNotifyEmployees),
		CancelNoticeMinutes:    or(in.CancelNoticeMinutes, 0),
		MaxCustomerReschedules: or(in.MaxCustomerReschedules, slotbook.DefaultMaxCustomerReschedules),
		RetentionDays:          or(in.RetentionDays, 0),
	}
	if in.Language != nil && !slotbook.ValidLanguage(slotbook.Language(*in.Language)) {
		p.Add("language", "must be de or en")
	}
	if err := p.Err(); err != nil {
		return err
	}
	created, err := s.app.PutSettings(r.Context(), c)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return writeJSON(w, status, settingsOut(c))
}

// --- employees ---

type employeeJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Timezone string `json:"timezone"`
}

type employeeInput struct {
	ID       *string `json:"id"`
	Name     *string `json:"name"`
	Email    *string `json:"email"`
	Timezone *string `json:"timezone"`
}

// employee turns the input into an employee with id (empty: keep the
// body's id, or none).
func (in employeeInput) employee(id string) (slotbook.Employee, error) {
	var p slotbook.Problems
	e := slotbook.Employee{Name: required(&p, "name", in.Name), ID: id}
	if in.ID != nil {
		switch {
		case id == "":
			e.ID = *in.ID
		case *in.ID != id:
			p.Add("id", "must be the id of the path, %s", id)
		}
	}
	if in.Email != nil {
		e.Email = *in.Email
	}
	if in.Timezone != nil {
		e.Timezone = *in.Timezone
	}
	return e, p.Err()
}

func employeeOut(e slotbook.Employee) employeeJSON {
	return employeeJSON{e.ID, e.Name, e.Email, e.Timezone}
}

func (s *server) listEmployees(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	list, err := s.app.Employees(r.Context(), cid)
	if err != nil {
		return err
	}
	out := make([]employeeJSON, len(list))
	for i, e := range list {
		out[i] = employeeOut(e)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"employees": out})
}

func (s *server) createEmployee(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	var in employeeInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := in.employee("")
	if err != nil {
		return err
	}
	if e, err = s.app.CreateEmployee(r.Context(), cid, e); err != nil {
		return err
	}
	location(w, r, e.ID)
	return writeJSON(w, http.StatusCreated, employeeOut(e))
}

func (s *server) getEmployee(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	e, err := s.app.Employee(r.Context(), cid, eid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, employeeOut(e))
}

func (s *server) putEmployee(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	var in employeeInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := in.employee(eid)
	if err != nil {
		return err
	}
	if e, err = s.app.UpdateEmployee(r.Context(), cid, e); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, employeeOut(e))
}

func (s *server) deleteEmployee(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	if err := s.app.DeleteEmployee(r.Context(), cid, eid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- availability ---

type availabilityJSON struct {
	Weekly    []weeklyJSON   `json:"weekly"`
	Overrides []overrideJSON `json:"overrides"`
}

type weeklyJSON struct {
	Weekday string `json:"weekday"`
	Start   string `json:"start"`
	End     string `json:"end"`
}

type overrideJSON struct {
	Date      string         `json:"date"`
	Intervals []intervalJSON `json:"intervals"`
}

type intervalJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// clock reads a start ("HH:MM", before 24:00) or an end (up to 24:00).
func clock(p *slotbook.Problems, field, s string, isEnd bool) schedule.Clock {
	c, err := schedule.ParseClock(s)
	switch {
	case s == "":
		p.Add(field, "is required")
	case err != nil:
		p.Add(field, "must be a time of day HH:MM between 00:00 and 24:00")
	case !isEnd && c == schedule.EndOfDay:
		p.Add(field, "must be before 24:00")
	}
	return c
}

func (in availabilityJSON) availability() (slotbook.Availability, error) {
	var p slotbook.Problems
	var a slotbook.Availability
	for i, w := range in.Weekly {
		f := "weekly[" + itoa(i) + "]"
		day, ok := weekdays[w.Weekday]
		if !ok {
			p.Add(f+".weekday", "must be one of monday, tuesday, wednesday, thursday, friday, saturday, sunday")
		}
		a.Weekly = append(a.Weekly, slotbook.WeeklyHours{
			Weekday: day,
			Start:   clock(&p, f+".start", w.Start, false),
			End:     clock(&p, f+".end", w.End, true),
		})
	}
	for i, o := range in.Overrides {
		f := "overrides[" + itoa(i) + "]"
		d, err := schedule.ParseDate(o.Date)
		if err != nil {
			p.Add(f+".date", "must be a date of the form YYYY-MM-DD")
		}
		ov := slotbook.DateOverride{Date: d, Intervals: []schedule.Range{}}
		for j, iv := range o.Intervals {
			g := f + ".intervals[" + itoa(j) + "]"
			ov.Intervals = append(ov.Intervals, schedule.Range{
				Start: clock(&p, g+".start", iv.Start, false),
				End:   clock(&p, g+".end", iv.End, true),
			})
		}
		a.Overrides = append(a.Overrides, ov)
	}
	if err := p.Err(); err != nil {
		return slotbook.Availability{}, err
	}
	return a, a.Validate()
}

func availabilityOut(a slotbook.Availability) availabilityJSON {
	out := availabilityJSON{Weekly: []weeklyJSON{}, Overrides: []overrideJSON{}}
	for _, w := range a.Weekly {
		out.Weekly = append(out.Weekly, weeklyJSON{strings.ToLower(w.Weekday.String()), w.Start.String(), w.End.String()})
	}
	for _, o := range a.Overrides {
		ov := overrideJSON{Date: o.Date.String(), Intervals: []intervalJSON{}}
		for _, r := range o.Intervals {
			ov.Intervals = append(ov.Intervals, intervalJSON{r.Start.String(), r.End.String()})
		}
		out.Overrides = append(out.Overrides, ov)
	}
	return out
}

func (s *server) getAvailability(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	a, err := s.app.Availability(r.Context(), cid, eid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, availabilityOut(a))
}

func (s *server) putAvailability(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	var in availabilityJSON
	if err := decode(w, r, &in); err != nil {
		return err
	}
	a, err := in.availability()
	if err != nil {
		return err
	}
	if a, err = s.app.PutAvailability(r.Context(), cid, eid, a); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, availabilityOut(a))
}

// --- absences ---

type absenceJSON struct {
	ID     string `json:"id"`
	Start  string `json:"start"`
	End    string `json:"end"`
	Reason string `json:"reason"`
}

type absenceInput struct {
	Start  string `json:"start"`
	End    string `json:"end"`
	Reason string `json:"reason"`
}

func absenceOut(a slotbook.Absence) absenceJSON {
	return absenceJSON{a.ID, formatInstant(a.Start), formatInstant(a.End), a.Reason}
}

func (s *server) listAbsences(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	p := queryParams(r)
	from, hasFrom := p.date("from", false)
	to, hasTo := p.date("to", false)
	if err := p.err(); err != nil {
		return err
	}
	list, err := s.app.Absences(r.Context(), cid, eid, slotbook.DateRange{From: from, To: to, HasFrom: hasFrom, HasTo: hasTo})
	if err != nil {
		return err
	}
	out := make([]absenceJSON, len(list))
	for i, a := range list {
		out[i] = absenceOut(a)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"absences": out})
}

func (s *server) createAbsence(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	var in absenceInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var p slotbook.Problems
	a := slotbook.Absence{
		Start:  parseInstant(&p, "start", in.Start),
		End:    parseInstant(&p, "end", in.End),
		Reason: in.Reason,
	}
	if err := p.Err(); err != nil {
		return err
	}
	if a, err = s.app.CreateAbsence(r.Context(), cid, eid, a); err != nil {
		return err
	}
	location(w, r, a.ID)
	return writeJSON(w, http.StatusCreated, absenceOut(a))
}

func (s *server) deleteAbsence(w http.ResponseWriter, r *http.Request) error {
	cid, eid, err := ids(r, "employeeId")
	if err != nil {
		return err
	}
	aid, err := pathID(r, "absenceId")
	if err != nil {
		return err
	}
	if err := s.app.DeleteAbsence(r.Context(), cid, eid, aid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- services ---

type serviceJSON struct {
	ID                  string   `json:"id"`
	Name                string   `json:"name"`
	DurationMinutes     int      `json:"durationMinutes"`
	BufferBeforeMinutes int      `json:"bufferBeforeMinutes"`
	BufferAfterMinutes  int      `json:"bufferAfterMinutes"`
	Employees           []string `json:"employees"`
}

type serviceInput struct {
	ID                  *string  `json:"id"`
	Name                *string  `json:"name"`
	DurationMinutes     *int     `json:"durationMinutes"`
	BufferBeforeMinutes int      `json:"bufferBeforeMinutes"`
	BufferAfterMinutes  int      `json:"bufferAfterMinutes"`
	Employees           []string `json:"employees"`
}

func (in serviceInput) service(id string) (slotbook.Service, error) {
	var p slotbook.Problems
	v := slotbook.Service{
		ID:                  id,
		Name:                required(&p, "name", in.Name),
		DurationMinutes:     required(&p, "durationMinutes", in.DurationMinutes),
		BufferBeforeMinutes: in.BufferBeforeMinutes,
		BufferAfterMinutes:  in.BufferAfterMinutes,
		Employees:           in.Employees,
	}
	if in.ID != nil {
		switch {
		case id == "":
			v.ID = *in.ID
		case *in.ID != id:
			p.Add("id", "must be the id of the path, %s", id)
		}
	}
	return v, p.Err()
}

func serviceOut(v slotbook.Service) serviceJSON {
	emps := v.Employees
	if emps == nil {
		emps = []string{}
	}
	return serviceJSON{v.ID, v.Name, v.DurationMinutes, v.BufferBeforeMinutes, v.BufferAfterMinutes, emps}
}

func (s *server) listServices(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	list, err := s.app.Services(r.Context(), cid)
	if err != nil {
		return err
	}
	out := make([]serviceJSON, len(list))
	for i, v := range list {
		out[i] = serviceOut(v)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"services": out})
}

func (s *server) createService(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	var in serviceInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	v, err := in.service("")
	if err != nil {
		return err
	}
	if v, err = s.app.CreateService(r.Context(), cid, v); err != nil {
		return err
	}
	location(w, r, v.ID)
	return writeJSON(w, http.StatusCreated, serviceOut(v))
}

func (s *server) getService(w http.ResponseWriter, r *http.Request) error {
	cid, sid, err := ids(r, "serviceId")
	if err != nil {
		return err
	}
	v, err := s.app.Service(r.Context(), cid, sid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, serviceOut(v))
}

func (s *server) putService(w http.ResponseWriter, r *http.Request) error {
	cid, sid, err := ids(r, "serviceId")
	if err != nil {
		return err
	}
	var in serviceInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	v, err := in.service(sid)
	if err != nil {
		return err
	}
	if v, err = s.app.UpdateService(r.Context(), cid, v); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, serviceOut(v))
}

func (s *server) deleteService(w http.ResponseWriter, r *http.Request) error {
	cid, sid, err := ids(r, "serviceId")
	if err != nil {
		return err
	}
	if err := s.app.DeleteService(r.Context(), cid, sid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }
