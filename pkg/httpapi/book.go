package httpapi

import (
	"net/http"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

type bookingInput struct {
	Service  string         `json:"service"`
	Employee string         `json:"employee"`
	Start    string         `json:"start"`
	Customer *customerInput `json:"customer"`
	Notes    string         `json:"notes"`
	Lang     string         `json:"lang"`
}

type customerInput struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

type bookingConfirmation struct {
	ID          string `json:"id"`
	Service     string `json:"service"`
	Employee    string `json:"employee"`
	Start       string `json:"start"`
	End         string `json:"end"`
	Status      string `json:"status"`
	CancelToken string `json:"cancelToken"`
}

type bookingJSON struct {
	ID        string       `json:"id"`
	Service   string       `json:"service"`
	Employee  string       `json:"employee"`
	Start     string       `json:"start"`
	End       string       `json:"end"`
	Status    string       `json:"status"`
	Customer  customerJSON `json:"customer"`
	Notes     string       `json:"notes"`
	CreatedAt string       `json:"createdAt"`
	// Lang is the language of the customer's mails.
	Lang string `json:"lang,omitempty"`
	// RescheduleCount counts the booking's moves.
	RescheduleCount int `json:"rescheduleCount"`
	// Anonymized: its customer data was erased.
	Anonymized bool `json:"anonymized,omitempty"`
	// Notifications are the booking's mails (GET …/bookings/{id} only).
	Notifications []notificationJSON `json:"notifications,omitempty"`
}

// notificationJSON is one mail of a booking, as the dashboard shows it:
// what, to whom, its state and when; never the mail's content.
type notificationJSON struct {
	ID         string  `json:"id"`
	Kind       string  `json:"kind"`
	To         string  `json:"to"`
	State      string  `json:"state"`
	Due        string  `json:"due"`
	SentAt     *string `json:"sentAt"`
	Attempts   int     `json:"attempts"`
	ErrorClass string  `json:"error,omitempty"`
}

type customerJSON struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Phone string `json:"phone"`
}

// createBooking answers POST …/bookings: books a slot.
func (s *server) createBooking(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	var in bookingInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var p slotbook.Problems
	req := slotbook.BookingRequest{
		CompanyID:      cid,
		ServiceID:      in.Service,
		EmployeeID:     in.Employee,
		Start:          parseInstant(&p, "start", in.Start),
		Notes:          in.Notes,
		IdempotencyKey: r.Header.Get("Idempotency-Key"),
		Lang:           slotbook.Language(in.Lang),
	}
	if in.Customer == nil {
		p.Add("customer", "is required")
	} else {
		req.Customer = slotbook.Customer{Name: in.Customer.Name, Email: in.Customer.Email, Phone: in.Customer.Phone}
	}
	if err := p.Err(); err != nil {
		return err
	}
	res, err := s.app.Book(r.Context(), req)
	if err != nil {
		return err
	}
	b := res.Booking
	location(w, r, b.ID)
	if res.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	return writeJSON(w, http.StatusCreated, bookingConfirmation{
		ID: b.ID, Service: b.ServiceID, Employee: b.EmployeeID,
		Start: formatInstant(b.Start), End: formatInstant(b.End),
		Status: string(b.Status), CancelToken: res.CancelToken,
	})
}

// cancelBooking answers DELETE …/bookings/{bookingId}, with the booking's
// cancel token or as a signed-in dashboard user.
func (s *server) cancelBooking(w http.ResponseWriter, r *http.Request) error {
	cid, bid, err := ids(r, "bookingId")
	if err != nil {
		return err
	}
	if err := s.app.CancelBooking(r.Context(), cid, bid, r.Header.Get("X-Cancel-Token")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listBookings answers GET …/bookings: the dashboard's list.
func (s *server) listBookings(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	p := queryParams(r)
	employee := p.id("employee", false)
	from, _ := p.date("from", true)
	to, _ := p.date("to", true)
	if err := p.err(); err != nil {
		return err
	}
	list, err := s.app.Bookings(r.Context(), cid, employee, from, to)
	if err != nil {
		return err
	}
	out := make([]bookingJSON, len(list))
	for i, b := range list {
		out[i] = bookingOut(b)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"bookings": out})
}

func bookingOut(b slotbook.Booking) bookingJSON {
	return bookingJSON{
		ID: b.ID, Service: b.ServiceID, Employee: b.EmployeeID,
		Start: formatInstant(b.Start), End: formatInstant(b.End), Status: string(b.Status),
		Customer:  customerJSON{b.Customer.Name, b.Customer.Email, b.Customer.Phone},
		Notes:     b.Notes,
		CreatedAt: formatInstant(b.CreatedAt),
		Lang:      string(b.Lang),

		RescheduleCount: b.Reschedules,
		Anonymized:      b.Anonymized,
	}
}

// getBooking answers GET …/bookings/{bookingId}: one booking with its
// mails, for the dashboard; with the booking's cancel token, the booking
// alone, for its customer.
func (s *server) getBooking(w http.ResponseWriter, r *http.Request) error {
	cid, bid, err := ids(r, "bookingId")
	if err != nil {
		return err
	}
	if token := r.Header.Get("X-Cancel-Token"); token != "" {
		// The customer's own view: the booking, without the mails' states.
		b, err := s.app.CustomerBooking(r.Context(), cid, bid, token)
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusOK, bookingOut(b))
	}
	b, ns, err := s.app.BookingDetail(r.Context(), cid, bid)
	if err != nil {
		return err
	}
	out := bookingOut(b)
	out.Notifications = make([]notificationJSON, len(ns))
	for i, n := range ns {
		j := notificationJSON{
			ID: n.ID, Kind: string(n.Kind), To: string(n.To), State: string(n.State),
			Due: formatInstant(n.Due.In(b.Start.Location())), Attempts: n.Attempts, ErrorClass: n.ErrorClass,
		}
		if !n.SentAt.IsZero() {
			t := formatInstant(n.SentAt.In(b.Start.Location()))
			j.SentAt = &t
		}
		out.Notifications[i] = j
	}
	return writeJSON(w, http.StatusOK, out)
}

type rescheduleInput struct {
	Start    string `json:"start"`
	Employee string `json:"employee"`
}

// rescheduleBooking answers POST …/bookings/{bookingId}/reschedule, with
// the booking's cancel token or as a signed-in dashboard user.
func (s *server) rescheduleBooking(w http.ResponseWriter, r *http.Request) error {
	cid, bid, err := ids(r, "bookingId")
	if err != nil {
		return err
	}
	var in rescheduleInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var p slotbook.Problems
	req := slotbook.RescheduleRequest{
		CompanyID: cid, BookingID: bid, Token: r.Header.Get("X-Cancel-Token"),
		EmployeeID: in.Employee, Start: parseInstant(&p, "start", in.Start),
	}
	if err := p.Err(); err != nil {
		return err
	}
	b, err := s.app.Reschedule(r.Context(), req)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, bookingOut(b))
}
