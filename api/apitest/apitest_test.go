package apitest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/slotbook/slotbook/pkg/httpapi"
)

// TestSpecListsTheShippedOperations guards the coverage check of the HTTP
// tests: it can only catch an unexercised route if the spec is read.
func TestSpecListsTheShippedOperations(t *testing.T) {
	ops := LoadSpec(t).Operations()
	for _, want := range []string{
		"GET /v1/companies/{companyId}/profile",
		"GET /v1/companies/{companyId}/slots",
		"PUT /v1/companies/{companyId}/settings",
		"DELETE /v1/companies/{companyId}/employees/{employeeId}/absences/{absenceId}",
	} {
		if !slices.Contains(ops, want) {
			t.Errorf("operations %v lack %q", ops, want)
		}
	}
	if n := len(httpapi.Routes()); len(ops) != n {
		t.Errorf("%d operations, want the %d routes pkg/httpapi serves", len(ops), n)
	}
}

func TestMatchTemplate(t *testing.T) {
	cases := []struct {
		tmpl, path string
		want       bool
	}{
		{"/v1/companies/{companyId}/slots", "/v1/companies/acme/slots", true},
		{"/v1/companies/{companyId}/slots", "/v1/companies/acme/profile", false},
		{"/v1/companies/{companyId}/services/{serviceId}", "/v1/companies/acme/services", false},
	}
	for _, c := range cases {
		if got := matchTemplate(c.tmpl, c.path); got != c.want {
			t.Errorf("matchTemplate(%q, %q) = %v, want %v", c.tmpl, c.path, got, c.want)
		}
	}
}

// failures records what a check reports instead of failing the test.
type failures struct {
	testing.TB
	said []string
}

func (f *failures) Helper() {}
func (f *failures) Errorf(format string, args ...any) {
	f.said = append(f.said, fmt.Sprintf(format, args...))
}

// TestValidateSchema: a body that keeps a schema passes; one that breaks
// it is reported.
func TestValidateSchema(t *testing.T) {
	s := LoadSpec(t)
	good := `{"id":"e1","type":"booking.cancelled","createdAt":"2027-03-22T08:00:00Z","data":{"booking":{"id":"b1","service":"cut",` +
		`"employee":"ana","start":"2027-03-22T09:00:00+01:00","end":"2027-03-22T10:00:00+01:00","status":"cancelled",` +
		`"customer":{"name":"","email":""},"notes":"","rescheduleCount":0},"cancelledBy":"staff"}}`
	for _, c := range []struct {
		name, body string
		ok         bool
	}{
		{"valid", good, true},
		{"unknown type", strings.Replace(good, "booking.cancelled", "booking.paid", 1), false},
		{"a field too many", strings.Replace(good, `"id":"e1"`, `"id":"e1","cancelToken":"x"`, 1), false},
		{"no data", `{"id":"e1","type":"booking.created","createdAt":"2027-03-22T08:00:00Z"}`, false},
	} {
		f := &failures{TB: t}
		s.ValidateSchema(f, "WebhookEvent", []byte(c.body))
		if (len(f.said) == 0) != c.ok {
			t.Errorf("%s: reported %q", c.name, f.said)
		}
	}
}
