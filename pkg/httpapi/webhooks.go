package httpapi

import (
	"net/http"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// webhookJSON is a webhook as listed: never its secret.
type webhookJSON struct {
	ID        string   `json:"id"`
	URL       string   `json:"url"`
	Events    []string `json:"events"`
	CreatedAt string   `json:"createdAt"`
	Disabled  bool     `json:"disabled"`
}

// newWebhookJSON is a webhook just made, with its secret, shown only then.
type newWebhookJSON struct {
	webhookJSON
	Secret string `json:"secret"`
}

type webhookInput struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type deliveryJSON struct {
	ID        string        `json:"id"`
	Type      string        `json:"type"`
	Booking   string        `json:"booking"`
	CreatedAt string        `json:"createdAt"`
	State     string        `json:"state"`
	Attempts  []attemptJSON `json:"attempts"`
}

type attemptJSON struct {
	At     string `json:"at"`
	Status int    `json:"status"`
	Error  string `json:"error,omitempty"`
}

func webhookOut(w slotbook.Webhook) webhookJSON {
	ev := make([]string, len(w.Events))
	for i, e := range w.Events {
		ev[i] = string(e)
	}
	return webhookJSON{ID: w.ID, URL: w.URL, Events: ev, CreatedAt: formatInstant(w.CreatedAt.UTC()), Disabled: w.Disabled}
}

// listWebhooks answers GET …/webhooks.
func (s *server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	list, err := s.app.Webhooks(r.Context(), cid)
	if err != nil {
		return err
	}
	out := make([]webhookJSON, len(list))
	for i, h := range list {
		out[i] = webhookOut(h)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

// createWebhook answers POST …/webhooks.
func (s *server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	var in webhookInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	events := make([]slotbook.WebhookEvent, len(in.Events))
	for i, e := range in.Events {
		events[i] = slotbook.WebhookEvent(e)
	}
	h, secret, err := s.app.CreateWebhook(r.Context(), cid, in.URL, events)
	if err != nil {
		return err
	}
	location(w, r, h.ID)
	w.Header().Set("Cache-Control", "no-store")
	return writeJSON(w, http.StatusCreated, newWebhookJSON{webhookOut(h), secret})
}

// deleteWebhook answers DELETE …/webhooks/{webhookId}.
func (s *server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	cid, id, err := ids(r, "webhookId")
	if err != nil {
		return err
	}
	if err := s.app.DeleteWebhook(r.Context(), cid, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listDeliveries answers GET …/webhooks/{webhookId}/deliveries.
func (s *server) listDeliveries(w http.ResponseWriter, r *http.Request) error {
	cid, id, err := ids(r, "webhookId")
	if err != nil {
		return err
	}
	list, err := s.app.WebhookDeliveries(r.Context(), cid, id)
	if err != nil {
		return err
	}
	out := make([]deliveryJSON, len(list))
	for i, d := range list {
		j := deliveryJSON{ID: d.ID, Type: string(d.Type), Booking: d.BookingID, CreatedAt: formatInstant(d.CreatedAt.UTC()),
			State: string(d.State), Attempts: make([]attemptJSON, len(d.Attempts))}
		for k, a := range d.Attempts {
			j.Attempts[k] = attemptJSON{At: a.At.UTC().Format(time.RFC3339Nano), Status: a.Status, Error: a.Error}
		}
		out[i] = j
	}
	return writeJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}
