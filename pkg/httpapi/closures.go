package httpapi

import (
	"net/http"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// closureJSON is a closure: whole dates in the company's zone, both inclusive.
type closureJSON struct {
	ID    string `json:"id"`
	Start string `json:"start"`
	End   string `json:"end"`
	Name  string `json:"name"`
}

type closureInput struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Name  string `json:"name"`
}

type importInput struct {
	Region string `json:"region"`
	Year   *int   `json:"year"`
}

func closureOut(c slotbook.Closure) closureJSON {
	return closureJSON{ID: c.ID, Start: c.Start.String(), End: c.End.String(), Name: c.Name}
}

func closuresOut(list []slotbook.Closure) []closureJSON {
	out := make([]closureJSON, len(list))
	for i, c := range list {
		out[i] = closureOut(c)
	}
	return out
}

// listClosures answers GET …/closures[?from=&to=].
func (s *server) listClosures(w http.ResponseWriter, r *http.Request) error {
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
	list, err := s.app.Closures(r.Context(), cid, from, to)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"closures": closuresOut(list)})
}

// createClosure answers POST …/closures.
func (s *server) createClosure(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	var in closureInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var p slotbook.Problems
	c := slotbook.Closure{Start: parseDate(&p, "start", in.Start), End: parseDate(&p, "end", in.End), Name: in.Name}
	if err := p.Err(); err != nil {
		return err
	}
	if c, err = s.app.CreateClosure(r.Context(), cid, c); err != nil {
		return err
	}
	location(w, r, c.ID)
	return writeJSON(w, http.StatusCreated, closureOut(c))
}

// deleteClosure answers DELETE …/closures/{closureId}.
func (s *server) deleteClosure(w http.ResponseWriter, r *http.Request) error {
	cid, id, err := ids(r, "closureId")
	if err != nil {
		return err
	}
	if err := s.app.DeleteClosure(r.Context(), cid, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// importHolidays answers POST …/closures/import: a region's public holidays
// of a year become closures.
func (s *server) importHolidays(w http.ResponseWriter, r *http.Request) error {
	cid, err := companyID(r)
	if err != nil {
		return err
	}
	var in importInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var p slotbook.Problems
	if in.Region == "" {
		p.Add("region", "is required")
	}
	if in.Year == nil {
		p.Add("year", "is required")
	}
	if err := p.Err(); err != nil {
		return err
	}
	res, err := s.app.ImportHolidays(r.Context(), cid, in.Region, *in.Year)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"region": res.Region, "year": res.Year, "added": closuresOut(res.Added), "kept": res.Kept,
	})
}

// parseDate reads a YYYY-MM-DD field, adding a problem if it is not one.
func parseDate(p *slotbook.Problems, field, s string) schedule.Date {
	if s == "" {
		p.Add(field, "is required")
		return schedule.Date{}
	}
	d, err := schedule.ParseDate(s)
	if err != nil {
		p.Add(field, "must be a date such as 2026-12-24")
	}
	return d
}
