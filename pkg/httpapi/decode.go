package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// MaxBodyBytes is the largest request body slotbook reads.
const MaxBodyBytes = 64 << 10

// decode reads r's JSON body into dst. It insists on a JSON content type,
// a body of at most MaxBodyBytes, exactly one JSON value and no field that
// dst does not know, and names the field at fault when it fails.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return &httpError{codeUnsupportedMediaType, "Send the body as application/json."}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		return decodeError(body, err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(body, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return slotbook.FieldErrorf("body", "must hold exactly one JSON object")
	}
	return nil
}

// decodeError explains a JSON decoding failure, naming the field.
func decodeError(body []byte, err error) error {
	var (
		syntax  *json.SyntaxError
		typ     *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
		message = err.Error()
	)
	switch {
	case errors.As(err, &tooBig):
		return &httpError{codePayloadTooLarge, fmt.Sprintf("The body is larger than %d bytes.", MaxBodyBytes)}
	case errors.As(err, &syntax):
		return slotbook.FieldErrorf("body", "is not valid JSON (at byte %d)", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return slotbook.FieldErrorf("body", "must be a JSON object")
		}
		return slotbook.FieldErrorf(field, "must be %s", jsonKind(typ.Type.Kind().String()))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return slotbook.FieldErrorf("body", "is empty or cut short")
	case strings.HasPrefix(message, "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(message, "json: unknown field "), `"`)
		return slotbook.FieldErrorf(pathOfKey(body, name), "is not a known field")
	}
	return slotbook.FieldErrorf("body", "could not be read as JSON")
}

// pathOfKey returns the path ("customer.age", "weekly[1].color") of the
// first object key called name in body, or name if there is none.
// encoding/json names an unknown field without its path.
func pathOfKey(body []byte, name string) string {
	type frame struct {
		array     bool
		index     int
		key       string
		expectKey bool
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for i, f := range stack {
			switch {
			case f.array:
				fmt.Fprintf(&b, "[%d]", f.index)
			default:
				if i > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
		}
		return b.String()
	}
	// valueStarts counts a new value in an enclosing array.
	valueStarts := func() {
		if n := len(stack); n > 0 && stack[n-1].array {
			stack[n-1].index++
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return name
		}
		top := len(stack) - 1
		switch tok {
		case json.Delim('{'):
			valueStarts()
			stack = append(stack, frame{expectKey: true})
			continue
		case json.Delim('['):
			valueStarts()
			stack = append(stack, frame{array: true, index: -1})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
			if top > 0 && !stack[top-1].array {
				stack[top-1].expectKey = true
			}
			continue
		}
		if top >= 0 && !stack[top].array && stack[top].expectKey {
			stack[top].key, stack[top].expectKey = tok.(string), false
			if stack[top].key == name {
				return path()
			}
			continue
		}
		valueStarts()
		if top >= 0 && !stack[top].array {
			stack[top].expectKey = true
		}
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "int", "int64", "int32":
		return "a whole number"
	case "bool":
		return "true or false"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

// params reads and checks query parameters, collecting every problem.
type params struct {
	q        map[string][]string
	problems slotbook.Problems
}

func queryParams(r *http.Request) *params {
	return &params{q: r.URL.Query()}
}

// str returns parameter name; a required one that is missing is a problem.
func (p *params) str(name string, required bool) string {
	v := p.q[name]
	switch {
	case len(v) == 0 || v[0] == "":
		if required {
			p.problems.Add(name, "is required")
		}
		return ""
	case len(v) > 1:
		p.problems.Add(name, "must be given once")
	}
	return v[0]
}

// id returns an id parameter.
func (p *params) id(name string, required bool) string {
	v := p.str(name, required)
	if v != "" && !slotbook.ValidID(v) {
		p.problems.Add(name, "is not a valid id")
		return ""
	}
	return v
}

// date returns a YYYY-MM-DD parameter.
func (p *params) date(name string, required bool) (schedule.Date, bool) {
	v := p.str(name, required)
	if v == "" {
		return schedule.Date{}, false
	}
	d, err := schedule.ParseDate(v)
	if err != nil {
		p.problems.Add(name, "must be a date of the form YYYY-MM-DD")
		return schedule.Date{}, false
	}
	if !slotbook.DateInRange(d) {
		p.problems.Add(name, "%s", slotbook.DateRangeMessage)
		return schedule.Date{}, false
	}
	return d, true
}

func (p *params) err() error { return p.problems.Err() }

// pathID returns the path value name, which must be a valid id; anything
// else cannot name a stored item, so it is not found.
func pathID(r *http.Request, name string) (string, error) {
	v := r.PathValue(name)
	if !slotbook.ValidID(v) {
		return "", slotbook.Errorf(slotbook.NotFound, "There is no such %s.", strings.TrimSuffix(name, "Id"))
	}
	return v, nil
}

// parseInstant reads an RFC 3339 time with an offset.
func parseInstant(p *slotbook.Problems, field, s string) time.Time {
	if s == "" {
		p.Add(field, "is required")
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		p.Add(field, "must be an RFC 3339 time such as 2026-11-24T09:00:00+01:00")
		return time.Time{}
	}
	if !slotbook.TimeInRange(t) {
		p.Add(field, "%s", slotbook.DateRangeMessage)
		return time.Time{}
	}
	return t
}

// formatInstant writes t as RFC 3339 in its own zone.
func formatInstant(t time.Time) string {
	return t.Format(time.RFC3339)
}
