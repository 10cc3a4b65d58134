package slotbook_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDomainImportsNoInfrastructure holds the layering: the domain and
// its engine build on the standard library and each other, never on AWS,
// a store or a calendar provider. Storage, sealing and providers implement
// the domain's interfaces and are passed in by the wiring. Public holidays
// (pkg/holiday, on the pure rules of rickar/cal) are domain knowledge.
func TestDomainImportsNoInfrastructure(t *testing.T) {
	const mod = "github.com/slotbook/slotbook/"
	allowed := map[string][]string{
		mod + "pkg/schedule": nil,
		mod + "pkg/holiday":  {mod + "pkg/schedule"},
		mod + "pkg/slotbook": {mod + "pkg/schedule", mod + "pkg/holiday", "golang.org/x/sync/errgroup"},
	}
	for pkg, extra := range allowed {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		for dep := range strings.FieldsSeq(string(out)) {
			first, _, _ := strings.Cut(dep, "/")
			std := !strings.Contains(first, ".")
			rules := strings.HasPrefix(dep, "github.com/rickar/cal/v2") && pkg != mod+"pkg/schedule"
			if std || rules || dep == pkg || slices.Contains(extra, dep) {
				continue
			}
			t.Errorf("%s depends on %s", pkg, dep)
		}
		if strings.Contains(string(out), "github.com/aws/") {
			t.Errorf("%s depends on the AWS SDK", pkg)
		}
	}
}
