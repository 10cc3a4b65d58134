package lambdatest_test

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/lambdatest"
	"github.com/slotbook/slotbook/pkg/aws/paramstore"
	"github.com/slotbook/slotbook/pkg/aws/paramstore/paramstoretest"
	"github.com/slotbook/slotbook/pkg/aws/samtemplate"
	"github.com/slotbook/slotbook/pkg/config"
)

// Targets of design.md.
const (
	coldStartTarget  = 15 * time.Millisecond
	binarySizeTarget = 20_000_000 // bytes, stripped
)

// BenchmarkColdStart measures each function's cold start: from starting
// its bootstrap (built once for this machine) to its first poll for an
// event, configured as on AWS with the template's default parameters — the
// table, the KMS key and the secrets path named (clients are built,
// nothing is called). There is no Parameter Store and no stand-in of it:
// the Parameters and Secrets extension's port is a tripwire that fails the
// benchmark if anything connects. ns/op is the cold start.
func BenchmarkColdStart(b *testing.B) {
	tpl := template(b)
	for _, name := range slices.Sorted(maps.Keys(tpl.Functions)) {
		b.Run(name, func(b *testing.B) {
			bin := hostBootstrap(b, name)
			f := tpl.Functions[name]
			wire := paramstoretest.NewTripwire(b)
			env := lambdaEnv(b, name, nil)
			for k, v := range f.Env {
				if !strings.Contains(v, "${") {
					env[k] = v
				}
			}
			env[config.EnvTable] = "slotbook-Table-1ABCDEFGHIJK"
			env[config.EnvKMSKeyID] = "arn:aws:kms:" + samtemplate.Region + ":" + samtemplate.AccountID + ":key/00000000-0000-0000-0000-000000000000"
			env[paramstore.EnvPort] = wire.Port
			// The notify function's schedule group and role (references in the template).
			env[config.EnvScheduleGroup] = "slotbook-notify"
			env[config.EnvSchedulerRoleARN] = "arn:aws:iam::" + samtemplate.AccountID + ":role/slotbook-SchedulerRole-1ABC"

			var slowest time.Duration
			for b.Loop() {
				b.StopTimer()
				rt, err := lambdatest.New()
				if err != nil {
					b.Fatal(err)
				}
				env[lambdatest.EnvRuntimeAPI] = rt.Addr()
				began := time.Now()
				b.StartTimer()
				p, err := launch(name, bin, rt, env)
				if err != nil {
					b.Fatal(err)
				}
				select {
				case <-rt.Ready():
				case <-p.exited:
					b.Fatalf("%s exited: %v\n%s", name, p.err, p.out)
				case <-time.After(30 * time.Second):
					b.Fatalf("%s did not poll within 30 s\n%s", name, p.out)
				}
				b.StopTimer()
				slowest = max(slowest, time.Since(began))
				p.stop()
				b.StartTimer()
			}
			if n := wire.Connections(); n != 0 {
				b.Fatalf("%s connected %d times to the Parameters and Secrets extension while starting", name, n)
			}
			b.ReportMetric(float64(slowest)/1e6, "max-ms")
			if mean := b.Elapsed() / time.Duration(b.N); mean > coldStartTarget {
				b.Logf("%s: cold start %v, over the %v target", name, mean, coldStartTarget)
			}
		})
	}
}

// BenchmarkBinarySize reports the size of each function's bootstrap as
// sam build makes it (make build-<Function>: linux/arm64, stripped).
// Its metric is bytes; ns/op means nothing.
func BenchmarkBinarySize(b *testing.B) {
	tpl := template(b)
	dir := b.TempDir()
	for _, name := range slices.Sorted(maps.Keys(tpl.Functions)) {
		b.Run(name, func(b *testing.B) {
			artifacts := filepath.Join(dir, name)
			cmd := exec.Command("make", "--no-print-directory", "build-"+name, "ARTIFACTS_DIR="+artifacts)
			cmd.Dir = moduleRoot(b)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("make build-%s: %v\n%s", name, err, out)
			}
			fi, err := os.Stat(filepath.Join(artifacts, "bootstrap"))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
			}
			b.ReportMetric(float64(fi.Size()), "bytes")
			b.ReportMetric(float64(fi.Size())/1e6, "MB")
			if fi.Size() > binarySizeTarget {
				b.Logf("%s: bootstrap is %.1f MB, over the %.0f MB target", name, float64(fi.Size())/1e6, float64(binarySizeTarget)/1e6)
			}
		})
	}
}
