// Package apitest sends requests through an http.Handler in tests and
// checks every request and answer against api/openapi.yaml, so that a test
// which exercises a route also proves the route keeps the contract.
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/schema_validation"
	"github.com/pb33f/libopenapi/datamodel/high/base"

	"github.com/slotbook/slotbook/api"
)

// Spec is the parsed contract; building it is slow, so tests share one.
type Spec struct {
	validator  validator.Validator
	schemas    map[string]*base.Schema // components.schemas by name
	operations []string                // "METHOD /path/template", every operation of the document
	mu         sync.Mutex
	answered   map[string]bool // "METHOD /path/template" → answered with 2xx
}

var (
	specOnce sync.Once
	spec     *Spec
	specErr  error
)

// LoadSpec parses api/openapi.yaml once per test binary.
func LoadSpec(t testing.TB) *Spec {
	t.Helper()
	specOnce.Do(func() { spec, specErr = loadSpec() })
	if specErr != nil {
		t.Fatalf("apitest: %v", specErr)
	}
	return spec
}

func loadSpec() (*Spec, error) {
	doc, err := libopenapi.NewDocument(api.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("parse openapi.yaml: %w", err)
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("build openapi.yaml: %w", err)
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return nil, fmt.Errorf("openapi.yaml is not valid: %s", describe(verrs))
	}
	s := &Spec{validator: v, answered: make(map[string]bool), schemas: make(map[string]*base.Schema)}
	for name, proxy := range model.Model.Components.Schemas.FromOldest() {
		if s.schemas[name], err = proxy.BuildSchema(); err != nil {
			return nil, fmt.Errorf("schema %s: %w", name, err)
		}
	}
	for p, item := range model.Model.Paths.PathItems.FromOldest() {
		for m := range item.GetOperations().KeysFromOldest() {
			s.operations = append(s.operations, strings.ToUpper(m)+" "+p)
		}
	}
	slices.Sort(s.operations)
	return s, nil
}

// Operations returns every operation of the document as "METHOD /path".
func (s *Spec) Operations() []string { return slices.Clone(s.operations) }

// Unanswered returns the operations that no checked request got a 2xx for.
func (s *Spec) Unanswered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, op := range s.operations {
		if !s.answered[op] {
			out = append(out, op)
		}
	}
	return out
}

// Client sends requests to a handler and checks them against the spec.
type Client struct {
	t       testing.TB
	handler http.Handler
	spec    *Spec
}

// NewClient returns a client of h.
func NewClient(t testing.TB, h http.Handler) *Client {
	return &Client{t: t, handler: h, spec: LoadSpec(t)}
}

// ValidateSchema fails the test unless body, JSON, is valid against the
// schema of that name in components.schemas: for what slotbook sends that
// is no answer to a request, such as a webhook delivery's body.
func (s *Spec) ValidateSchema(t testing.TB, name string, body []byte) {
	t.Helper()
	schema, ok := s.schemas[name]
	if !ok {
		t.Fatalf("apitest: openapi.yaml has no schema %s", name)
	}
	if ok, errs := schema_validation.NewSchemaValidator(config.WithFormatAssertions()).ValidateSchemaBytes(schema, body); !ok {
		t.Errorf("apitest: %s is not a valid %s: %s", body, name, describe(errs))
	}
}

// Response is a recorded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Decode reads the body as JSON into v.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem returns the body as a problem, failing unless it is one.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, r.Body)
	}
	var p Problem
	r.Decode(t, &p)
	return p
}

// Problem is an RFC 9457 body as slotbook writes it.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Code   string `json:"code"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// Fields returns the names of the fields the problem blames.
func (p Problem) Fields() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Field)
	}
	return out
}

// Request describes one call.
type Request struct {
	Method string
	Path   string // with the query string
	Token  string // bearer token, if any
	// Body is marshalled as JSON unless it is a string or []byte, which is
	// sent as it is.
	Body        any
	ContentType string // default application/json when there is a body
	Header      http.Header
	// BadRequest marks a request that is meant to break the contract: only
	// the answer is checked, not the request.
	BadRequest bool
}

// Do sends the request and checks it and the answer against the spec.
func (c *Client) Do(req Request) *Response {
	c.t.Helper()
	var body []byte
	switch b := req.Body.(type) {
	case nil:
	case string:
		body = []byte(b)
	case []byte:
		body = b
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			c.t.Fatalf("marshal body: %v", err)
		}
	}
	build := func() *http.Request {
		r := httptest.NewRequest(req.Method, req.Path, bytes.NewReader(body))
		for k, vs := range req.Header {
			r.Header[k] = vs
		}
		if req.Body != nil {
			ct := req.ContentType
			if ct == "" {
				ct = "application/json"
			}
			r.Header.Set("Content-Type", ct)
		}
		if req.Token != "" {
			r.Header.Set("Authorization", "Bearer "+req.Token)
		}
		return r
	}
	rec := httptest.NewRecorder()
	c.handler.ServeHTTP(rec, build())
	resp := rec.Result()
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: rec.Body.Bytes()}

	check := build()
	resp.Body = io.NopCloser(bytes.NewReader(out.Body))
	var ok bool
	var errs []*verrors.ValidationError
	switch {
	case req.BadRequest && !c.spec.hasOperation(req.Method, check.URL.Path):
		// A route the contract does not have: the caller checks the problem.
		ok = true
	case req.BadRequest:
		ok, errs = c.spec.validator.ValidateHttpResponse(check, resp)
	default:
		ok, errs = c.spec.validator.ValidateHttpRequestResponse(check, resp)
	}
	if !ok {
		c.t.Errorf("%s %s → %d breaks api/openapi.yaml:\n%s\nbody: %s", req.Method, req.Path, out.Status, describe(errs), out.Body)
	}
	if out.Status >= 200 && out.Status < 300 {
		c.spec.markAnswered(req.Method, check)
	}
	return out
}

// markAnswered records the operation that r matched.
func (s *Spec) markAnswered(method string, r *http.Request) {
	if op, ok := s.operation(method, r.URL.Path); ok {
		s.mu.Lock()
		s.answered[op] = true
		s.mu.Unlock()
	}
}

// operation returns the operation of the document that method and path match.
func (s *Spec) operation(method, path string) (string, bool) {
	for _, op := range s.operations {
		m, tmpl, _ := strings.Cut(op, " ")
		if m == method && matchTemplate(tmpl, path) {
			return op, true
		}
	}
	return "", false
}

func (s *Spec) hasOperation(method, path string) bool {
	_, ok := s.operation(method, path)
	return ok
}

func matchTemplate(tmpl, path string) bool {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return false
	}
	for i := range ts {
		if !strings.HasPrefix(ts[i], "{") && ts[i] != ps[i] {
			return false
		}
	}
	return true
}

func describe(errs []*verrors.ValidationError) string {
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "  - %s: %s\n", e.Message, e.Reason)
		for _, s := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "      %s: %s\n", s.FieldPath, s.Reason)
		}
	}
	return b.String()
}
