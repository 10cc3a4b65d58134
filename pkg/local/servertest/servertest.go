// Package servertest runs a real server program for tests: Start runs it
// on a free loopback port and waits until it answers, keeps what it writes
// for diagnosis, and Stop ends it. SkipOrFail is the one rule for a test
// whose program cannot be had: it fails under CI=true, for CI must never
// pass by skipping, and skips elsewhere.
//
// The kits that start Xandikos, Radicale and DynamoDB Local for tests
// (pkg/calendar/caldav/xandikostest, pkg/calendar/caldav/radicaletest, pkg/store/dynamo/dynamotest) are built on it. It
// imports nothing of slotbook's.
package servertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Program describes a server program and how to tell that it answers.
type Program struct {
	// Name names the server in errors: "xandikos", "DynamoDB Local".
	Name string
	// Path is the program to run, looked up in PATH if it has no slash.
	Path string
	// Args returns the program's arguments for the loopback port it is to
	// listen on.
	Args func(port int) []string
	// TempDir runs the program in a fresh temporary directory, which Stop
	// removes; otherwise it runs in the test's working directory.
	TempDir bool
	// Ready reports whether the server at url (http://127.0.0.1:PORT)
	// answers yet.
	Ready func(url string) bool
	// Within is how long the server may take to answer.
	Within time.Duration
	// Poll is the pause between two calls of Ready.
	Poll time.Duration
}

// Process is a running server program.
type Process struct {
	// URL is the server's base URL, http://127.0.0.1:PORT, without a
	// trailing slash.
	URL string
	// Dir is the temporary directory it runs in, if Program.TempDir.
	Dir string

	cmd      *exec.Cmd
	exited   chan struct{}
	log      *logBuffer
	stopOnce sync.Once
}

// attempts is how often Start tries: another process may take the free
// port before the server does.
const attempts = 3

// Start runs p on a free loopback port and returns once p.Ready says it
// answers. It tries again on another port if the program exits at start
// or does not answer within p.Within, and returns the last error after
// three tries.
func Start(p Program) (*Process, error) {
	var err error
	for range attempts {
		var proc *Process
		if proc, err = start(p); err == nil {
			return proc, nil
		}
	}
	return nil, err
}

func start(p Program) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	proc := &Process{URL: fmt.Sprintf("http://127.0.0.1:%d", port), exited: make(chan struct{}), log: &logBuffer{}}
	proc.cmd = exec.Command(p.Path, p.Args(port)...)
	proc.cmd.Stdout, proc.cmd.Stderr = proc.log, proc.log
	if p.TempDir {
		if proc.Dir, err = os.MkdirTemp("", "servertest-"); err != nil {
			return nil, err
		}
		proc.cmd.Dir = proc.Dir
	}
	if err := proc.cmd.Start(); err != nil {
		os.RemoveAll(proc.Dir)
		return nil, fmt.Errorf("start %s: %w", p.Name, err)
	}
	go func() {
		proc.cmd.Wait()
		close(proc.exited)
	}()
	deadline := time.Now().Add(p.Within)
	for time.Now().Before(deadline) {
		select {
		case <-proc.exited:
			os.RemoveAll(proc.Dir)
			return nil, fmt.Errorf("%s exited at start: %s", p.Name, proc.Log())
		default:
		}
		if p.Ready(proc.URL) {
			return proc, nil
		}
		time.Sleep(p.Poll)
	}
	select {
	case <-proc.exited: // during the last poll
		os.RemoveAll(proc.Dir)
		return nil, fmt.Errorf("%s exited at start: %s", p.Name, proc.Log())
	default:
	}
	proc.Stop()
	return nil, fmt.Errorf("%s did not answer within %g s: %s", p.Name, p.Within.Seconds(), proc.Log())
}

// Stop ends the program, waits for it to exit and removes its temporary
// directory; a second call does nothing.
func (p *Process) Stop() {
	p.stopOnce.Do(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if p.Dir != "" {
			os.RemoveAll(p.Dir)
		}
	})
}

// Log returns what the program wrote to its standard output and error,
// up to about a megabyte.
func (p *Process) Log() string { return p.log.String() }

// SkipOrFail ends a test whose server program cannot be had: under
// CI=true it fails the test with required, for CI must never pass by
// skipping; elsewhere it skips the test with missing.
func SkipOrFail(t testing.TB, required, missing string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(required)
	}
	t.Skip(missing)
}

// Do sends one request and returns the answer's status and body; header
// holds header name/value pairs. It gives up after timeout.
func Do(timeout time.Duration, method, url string, body io.Reader, header ...string) (int, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return 0, "", err
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	return resp.StatusCode, string(b), nil
}

// Status returns the status of one request without a body, or 0 if none
// came within a second: a Ready check.
func Status(method, url string, header ...string) int {
	status, _, err := Do(time.Second, method, url, nil, header...)
	if err != nil {
		return 0
	}
	return status
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// logBuffer collects a program's output from two pipes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil // enough to diagnose; never block the program
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// RepoRoot returns the folder of the go.mod above the working directory:
// the repository, where kits keep their tools (.tools/).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
