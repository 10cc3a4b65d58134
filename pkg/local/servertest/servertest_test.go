package servertest_test

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/local/servertest"
)

// The test binary is the server program: run with SERVERTEST_ROLE set, it
// plays that role instead of running the tests.
func TestMain(m *testing.M) {
	switch os.Getenv("SERVERTEST_ROLE") {
	case "":
		os.Exit(m.Run())
	case "serve": // answers on the port in os.Args[1], writing its cwd
		wd, _ := os.Getwd()
		fmt.Fprintln(os.Stderr, "serving in", wd)
		http.ListenAndServe("127.0.0.1:"+os.Args[1], http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "hello")
		}))
	case "exit":
		fmt.Fprintln(os.Stderr, "cannot bind")
		os.Exit(2)
	case "silent": // listens and never answers
		l, _ := net.Listen("tcp", "127.0.0.1:"+os.Args[1])
		defer l.Close()
		time.Sleep(time.Minute)
	}
	os.Exit(0)
}

// program is the test binary in the role.
func program(t *testing.T, role string) servertest.Program {
	t.Setenv("SERVERTEST_ROLE", role)
	return servertest.Program{
		Name: role, Path: os.Args[0],
		Args: func(port int) []string { return []string{fmt.Sprint(port)} },
		Ready: func(url string) bool {
			return servertest.Status(http.MethodGet, url+"/") == http.StatusOK
		},
		Within: 5 * time.Second, Poll: 20 * time.Millisecond,
	}
}

func TestStartAndStop(t *testing.T) {
	p := program(t, "serve")
	p.TempDir = true
	proc, err := servertest.Start(p)
	if err != nil {
		t.Fatal(err)
	}
	status, body, err := servertest.Do(time.Second, http.MethodGet, proc.URL+"/", nil)
	if err != nil || status != http.StatusOK || body != "hello" {
		t.Errorf("GET %s = %d %q %v, want 200 hello", proc.URL, status, body, err)
	}
	if !strings.HasPrefix(proc.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q, want a loopback address", proc.URL)
	}
	if proc.Dir == "" || !strings.Contains(proc.Log(), "serving in "+proc.Dir) {
		t.Errorf("Log = %q, want the program's output, running in its temporary directory %q", proc.Log(), proc.Dir)
	}
	proc.Stop()
	proc.Stop() // a second Stop does nothing
	if status := servertest.Status(http.MethodGet, proc.URL+"/"); status != 0 {
		t.Errorf("after Stop: status %d, want no answer", status)
	}
	if _, err := os.Stat(proc.Dir); !os.IsNotExist(err) {
		t.Errorf("temporary directory after Stop: %v, want it removed", err)
	}
}

func TestStartFails(t *testing.T) {
	// within is how long Start waits: a program that exits is told apart
	// by its exit, however long a busy machine takes to start it.
	tests := []struct {
		role, path string
		within     time.Duration
		want       string
	}{
		{"exit", "", time.Minute, "exit exited at start: cannot bind"},
		{"silent", "", 300 * time.Millisecond, "silent did not answer within 0.3 s"},
		{"missing", "/nonexistent/servertest-program", 300 * time.Millisecond, "start missing: "},
	}
	for _, tc := range tests {
		t.Run(tc.role, func(t *testing.T) {
			p := program(t, tc.role)
			p.Within = tc.within
			if tc.path != "" {
				p.Path = tc.path
			}
			proc, err := servertest.Start(p)
			if err == nil {
				proc.Stop()
				t.Fatalf("Start succeeded, want an error %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Start: %v, want %q", err, tc.want)
			}
		})
	}
}

// recorder is a test that records how SkipOrFail ends it.
type recorder struct {
	testing.TB
	how, msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatal(args ...any) {
	r.how, r.msg = "fail", fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *recorder) Skip(args ...any) {
	r.how, r.msg = "skip", fmt.Sprint(args...)
	runtime.Goexit()
}

func TestSkipOrFail(t *testing.T) {
	tests := []struct {
		ci      string
		wantHow string
		wantMsg string
	}{
		{"true", "fail", "required"},
		{"", "skip", "missing"},
		{"1", "skip", "missing"},
	}
	for _, tc := range tests {
		t.Run("CI="+tc.ci, func(t *testing.T) {
			t.Setenv("CI", tc.ci)
			r := &recorder{TB: t}
			done := make(chan struct{})
			go func() {
				defer close(done)
				servertest.SkipOrFail(r, "required", "missing")
			}()
			<-done
			if r.how != tc.wantHow || r.msg != tc.wantMsg {
				t.Errorf("SkipOrFail ended the test with %s(%q), want %s(%q)", r.how, r.msg, tc.wantHow, tc.wantMsg)
			}
		})
	}
}
