package samtemplate

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// BuildCommand returns the command that `make build-<function>` runs at the
// module root with ARTIFACTS_DIR=artifacts, as sam build (BuildMethod:
// makefile) runs it, split into fields: one go build whose last field is
// the function's package, e.g. ./functions/slots.
func BuildCommand(function, artifacts string) ([]string, error) {
	path, err := Path()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("make", "--no-print-directory", "-n", "build-"+function, "ARTIFACTS_DIR="+artifacts)
	cmd.Dir = filepath.Dir(path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("samtemplate: make -n build-%s: %w\n%s", function, err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 1 {
		return nil, fmt.Errorf("samtemplate: build-%s runs %d commands, want one go build:\n%s", function, len(lines), out)
	}
	return strings.Fields(lines[0]), nil
}

// Package returns the Go package that `make build-<function>` builds, e.g.
// ./functions/slots.
func Package(function string) (string, error) {
	cmd, err := BuildCommand(function, "/artifacts")
	if err != nil {
		return "", err
	}
	pkg := cmd[len(cmd)-1]
	if !strings.HasPrefix(pkg, "./functions/") {
		return "", fmt.Errorf("samtemplate: build-%s builds %s, not a ./functions/<name> package", function, pkg)
	}
	return pkg, nil
}
