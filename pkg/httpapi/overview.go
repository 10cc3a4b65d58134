package httpapi

import (
	"net/http"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

type overviewJSON struct {
	Timezone  string             `json:"timezone"`
	From      string             `json:"from"`
	To        string             `json:"to"`
	Employees []employeeOverview `json:"employees"`
	// Closures are the company's closed dates in the range.
	Closures []closureJSON `json:"closures"`
}

type employeeOverview struct {
	ID           string             `json:"id"`
	Name         string             `json:"name"`
	Availability []spanJSON         `json:"availability"`
	Absences     []absenceJSON      `json:"absences"`
	Bookings     []overviewBooking  `json:"bookings"`
	External     []externalJSON     `json:"external"`
	Errors       []calendarErrorOut `json:"errors"`
}

type spanJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type overviewBooking struct {
	ID       string       `json:"id"`
	Service  string       `json:"service"`
	Start    string       `json:"start"`
	End      string       `json:"end"`
	Status   string       `json:"status"`
	Customer customerJSON `json:"customer"`
}

// externalJSON is an external event; Title is left out (not empty) where
// the calendar's titles are not shown.
type externalJSON struct {
	Calendar string `json:"calendar"`
	Start    string `json:"start"`
	End      string `json:"end"`
	Title    string `json:"title,omitempty"`
}

type calendarErrorOut struct {
	Calendar string `json:"calendar"`
	Reason   string `json:"reason"`
}

// overview answers GET …/overview: a day or week of the dashboard.
func (s *server) overview(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	p := queryParams(r)
	q := slotbook.OverviewQuery{CompanyID: cid, EmployeeID: p.id("employee", false), Timezone: p.str("timezone", false)}
	q.From, _ = p.date("from", true)
	q.To, _ = p.date("to", true)
	if err := p.err(); err != nil {
		return err
	}
	o, err := s.app.Overview(r.Context(), q)
	if err != nil {
		return err
	}
	out := overviewJSON{Timezone: o.Timezone, From: o.From.String(), To: o.To.String(), Employees: make([]employeeOverview, len(o.Employees)),
		Closures: closuresOut(o.Closures)}
	for i, e := range o.Employees {
		eo := employeeOverview{ID: e.Employee.ID, Name: e.Employee.Name,
			Availability: []spanJSON{}, Absences: []absenceJSON{}, Bookings: []overviewBooking{},
			External: []externalJSON{}, Errors: []calendarErrorOut{}}
		for _, w := range e.Availability {
			eo.Availability = append(eo.Availability, spanJSON{formatInstant(w.Start), formatInstant(w.End)})
		}
		for _, a := range e.Absences {
			eo.Absences = append(eo.Absences, absenceOut(a))
		}
		for _, b := range e.Bookings {
			eo.Bookings = append(eo.Bookings, overviewBooking{b.ID, b.ServiceID, formatInstant(b.Start), formatInstant(b.End),
				string(b.Status), customerJSON{b.Customer.Name, b.Customer.Email, b.Customer.Phone}})
		}
		for _, x := range e.External {
			eo.External = append(eo.External, externalJSON{x.Connection, formatInstant(x.Start), formatInstant(x.End), x.Title})
		}
		for _, x := range e.Errors {
			eo.Errors = append(eo.Errors, calendarErrorOut{x.Connection, x.Reason})
		}
		out.Employees[i] = eo
	}
	return writeJSON(w, http.StatusOK, out)
}
