package httpapi

import (
	"net/http"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

type profileJSON struct {
	ID                     string               `json:"id"`
	Name                   string               `json:"name"`
	Timezone               string               `json:"timezone"`
	BookingIntervalMinutes int                  `json:"bookingIntervalMinutes"`
	MinNoticeMinutes       int                  `json:"minNoticeMinutes"`
	HorizonDays            int                  `json:"horizonDays"`
	Employees              []profileEmployee    `json:"employees"`
	Services               []profileServiceJSON `json:"services"`
}

type profileEmployee struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type profileServiceJSON struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	DurationMinutes int      `json:"durationMinutes"`
	Employees       []string `json:"employees"`
}

// profile answers GET …/profile: what the widget shows, no personal data
// beyond employees' names.
func (s *server) profile(w http.ResponseWriter, r *http.Request) error {
	companyID, err := pathID(r, "companyId")
	if err != nil {
		return err
	}
	p, err := s.app.Profile(r.Context(), companyID)
	if err != nil {
		return err
	}
	out := profileJSON{
		ID:                     p.Company.ID,
		Name:                   p.Company.Name,
		Timezone:               p.Company.Timezone,
		BookingIntervalMinutes: p.Company.BookingIntervalMinutes,
		MinNoticeMinutes:       p.Company.MinNoticeMinutes,
		HorizonDays:            p.Company.HorizonDays,
		Employees:              make([]profileEmployee, len(p.Employees)),
		Services:               make([]profileServiceJSON, len(p.Services)),
	}
	for i, e := range p.Employees {
		out.Employees[i] = profileEmployee{ID: e.ID, Name: e.Name}
	}
	for i, v := range p.Services {
		out.Services[i] = profileServiceJSON{ID: v.ID, Name: v.Name, DurationMinutes: v.DurationMinutes, Employees: v.Employees}
	}
	return writeJSON(w, http.StatusOK, out)
}

type slotsJSON struct {
	Timezone    string            `json:"timezone"`
	From        string            `json:"from"`
	To          string            `json:"to"`
	Slots       []slotJSON        `json:"slots"`
	Unavailable []unavailableJSON `json:"unavailable"`
}

type slotJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
	// Employee is absent for employee=any.
	Employee string `json:"employee,omitempty"`
}

type unavailableJSON struct {
	Employee string `json:"employee"`
	Reason   string `json:"reason"`
}

// slots answers GET …/slots: the free slots of a service.
func (s *server) slots(w http.ResponseWriter, r *http.Request) error {
	companyID, err := pathID(r, "companyId")
	if err != nil {
		return err
	}
	p := queryParams(r)
	q := slotbook.SlotQuery{
		CompanyID:  companyID,
		ServiceID:  p.id("service", true),
		EmployeeID: p.id("employee", false),
		Timezone:   p.str("timezone", false),
		BookingID:  p.id("booking", false),
		Token:      r.Header.Get("X-Cancel-Token"),
	}
	q.From, _ = p.date("from", true)
	q.To, _ = p.date("to", true)
	if err := p.err(); err != nil {
		return err
	}
	// The route is anonymous and ignores credentials — a stale token in a
	// widget's page must not break it — but for the times a booking could
	// move to, the dashboard signs the request instead of sending a cancel
	// token: only then is the bearer read.
	if q.BookingID != "" && q.Token == "" && r.Header.Get("Authorization") != "" {
		if r, err = s.authenticate(r); err != nil {
			return err
		}
	}
	a, err := s.app.Slots(r.Context(), q)
	if err != nil {
		return err
	}
	out := slotsJSON{
		Timezone:    a.Timezone,
		From:        a.From.String(),
		To:          a.To.String(),
		Slots:       make([]slotJSON, len(a.Slots)),
		Unavailable: make([]unavailableJSON, len(a.Unavailable)),
	}
	for i, sl := range a.Slots {
		out.Slots[i] = slotJSON{Start: formatInstant(sl.Start), End: formatInstant(sl.End), Employee: sl.EmployeeID}
	}
	for i, u := range a.Unavailable {
		out.Unavailable[i] = unavailableJSON{Employee: u.EmployeeID, Reason: u.Reason}
	}
	return writeJSON(w, http.StatusOK, out)
}

type nextFreeJSON struct {
	// Start is null when nothing is free within the horizon.
	Start       *string           `json:"start"`
	Timezone    string            `json:"timezone"`
	Until       string            `json:"until"`
	Unavailable []unavailableJSON `json:"unavailable"`
}

// nextFree answers GET …/next-free: the first free start of a service
// from now, so that the widget opens on its week.
func (s *server) nextFree(w http.ResponseWriter, r *http.Request) error {
	companyID, err := pathID(r, "companyId")
	if err != nil {
		return err
	}
	p := queryParams(r)
	q := slotbook.NextFreeQuery{
		CompanyID:  companyID,
		ServiceID:  p.id("service", true),
		EmployeeID: p.id("employee", false),
		Timezone:   p.str("timezone", false),
	}
	if err := p.err(); err != nil {
		return err
	}
	a, err := s.app.NextFree(r.Context(), q)
	if err != nil {
		return err
	}
	out := nextFreeJSON{Timezone: a.Timezone, Until: a.Until.String(), Unavailable: make([]unavailableJSON, len(a.Unavailable))}
	if !a.Start.IsZero() {
		start := formatInstant(a.Start)
		out.Start = &start
	}
	for i, u := range a.Unavailable {
		out.Unavailable[i] = unavailableJSON{Employee: u.EmployeeID, Reason: u.Reason}
	}
	return writeJSON(w, http.StatusOK, out)
}
