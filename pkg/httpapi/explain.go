package httpapi

import (
	"net/http"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// reasonJSON is one reason a start is not free, with the id of its cause:
// the calendar connection, the absence or the booking.
type reasonJSON struct {
	Code     string `json:"code"`
	Calendar string `json:"calendar,omitempty"`
	Absence  string `json:"absence,omitempty"`
	Booking  string `json:"booking,omitempty"`
}

type explainedTimeJSON struct {
	Start   string       `json:"start"`
	Free    bool         `json:"free"`
	Reasons []reasonJSON `json:"reasons"`
}

type explanationJSON struct {
	Date     string              `json:"date"`
	Timezone string              `json:"timezone"`
	Times    []explainedTimeJSON `json:"times"`
}

// explain answers GET …/availability/explain?service=&employee=&date=.
func (s *server) explain(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	p := queryParams(r)
	q := slotbook.ExplainQuery{CompanyID: cid, ServiceID: p.id("service", true), EmployeeID: p.id("employee", true)}
	q.Date, _ = p.date("date", true)
	if err := p.err(); err != nil {
		return err
	}
	x, err := s.app.Explain(r.Context(), q)
	if err != nil {
		return err
	}
	out := explanationJSON{Date: x.Date.String(), Timezone: x.Timezone, Times: make([]explainedTimeJSON, len(x.Times))}
	for i, t := range x.Times {
		rs := make([]reasonJSON, len(t.Reasons))
		for j, r := range t.Reasons {
			rs[j] = reasonJSON{Code: string(r.Code)}
			switch r.Code {
			case schedule.ReasonExternalBusy, schedule.ReasonUnreadable:
				rs[j].Calendar = r.ID
			case schedule.ReasonAbsence:
				rs[j].Absence = r.ID
			case schedule.ReasonBooked, schedule.ReasonBuffer:
				rs[j].Booking = r.ID
			}
		}
		out.Times[i] = explainedTimeJSON{Start: formatInstant(t.Start), Free: t.Free, Reasons: rs}
	}
	return writeJSON(w, http.StatusOK, out)
}
