package httpapi

import (
	"net/http"
	"time"
)

type auditJSON struct {
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Role   string `json:"role"`
	Action string `json:"action"`
	Target string `json:"target"`
}

// auditLog answers GET …/audit?from=&to= (default: the last 30 days).
func (s *server) auditLog(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	p := queryParams(r)
	from, _ := p.date("from", false)
	to, _ := p.date("to", false)
	if err := p.err(); err != nil {
		return err
	}
	list, err := s.app.AuditLog(r.Context(), cid, from, to)
	if err != nil {
		return err
	}
	out := make([]auditJSON, len(list))
	for i, e := range list {
		out[i] = auditJSON{At: e.At.Format(time.RFC3339Nano), Actor: e.Actor, Role: e.Role, Action: e.Action, Target: e.Target}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"entries": out})
}
