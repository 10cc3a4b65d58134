package httpapi

import (
	"net/http"
)

type eraseInput struct {
	Email string `json:"email"`
}

// exportCustomer answers GET …/customers/export?email=: every booking of
// the customer, with all the data held about them.
func (s *server) exportCustomer(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	p := queryParams(r)
	email := p.str("email", true)
	if err := p.err(); err != nil {
		return err
	}
	list, err := s.app.ExportCustomer(r.Context(), cid, email)
	if err != nil {
		return err
	}
	out := make([]bookingJSON, len(list))
	for i, b := range list {
		out[i] = bookingOut(b)
	}
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusOK, map[string]any{"email": email, "bookings": out})
}

// eraseCustomer answers POST …/customers/erase.
func (s *server) eraseCustomer(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	var in eraseInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	res, err := s.app.EraseCustomer(r.Context(), cid, in.Email)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"bookingsAnonymized": res.BookingsAnonymized, "futureBookingsCancelled": res.FutureBookingsCancelled,
	})
}
