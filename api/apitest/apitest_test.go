package apitest

import (
	"github.com/slotbook/slotbook/pkg/httpapi"
	"slices"
	"testing"
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
