// Package maildevtest gives tests a real SMTP server with an API to read
// what it received: MailDev (npm maildev, pinned with its dependencies by
// package.json and package-lock.json beside this file), installed with
// npm ci into the git-ignored .tools/maildev and started on free loopback
// ports. make dev runs the same install as its mail catcher.
//
// Where node or npm is missing, tests skip — except under CI=true, where
// they fail: CI must never pass by skipping.
package maildevtest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/local/servertest"
)

//go:embed package.json
var packageJSON []byte

//go:embed package-lock.json
var packageLock []byte

// Server is a running MailDev.
type Server struct {
	// SMTPURL is smtp://127.0.0.1:PORT; it stays the same across Restart.
	SMTPURL string
	// WebURL is the web page and API, http://127.0.0.1:PORT.
	WebURL string

	smtpPort int
	proc     *servertest.Process
	t        testing.TB
}

var (
	installOnce sync.Once
	installDir  string
	installErr  error
)

// Install installs MailDev into .tools/maildev of the repository (once per
// process; npm ci only when the lock changed) and returns the folder.
func Install() (string, error) {
	installOnce.Do(func() { installDir, installErr = install() })
	return installDir, installErr
}

func install() (string, error) {
	root, err := servertest.RepoRoot()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(root, ".tools", "maildev")
	bin := filepath.Join(dir, "node_modules", "maildev", "dist", "bin", "maildev.js")
	if old, err := os.ReadFile(filepath.Join(dir, "package-lock.json")); err == nil && bytes.Equal(old, packageLock) {
		if _, err := os.Stat(bin); err == nil {
			return dir, nil
		}
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", fmt.Errorf("npm is not installed: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for name, data := range map[string][]byte{"package.json": packageJSON, "package-lock.json": packageLock} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return "", err
		}
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci in %s: %v: %s", dir, err, out)
	}
	return dir, nil
}

// Start runs MailDev for the test and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	port, err := servertest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{SMTPURL: fmt.Sprintf("smtp://127.0.0.1:%d", port), smtpPort: port, t: t}
	if err := s.start(); err != nil {
		servertest.SkipOrFail(t, "maildevtest: MailDev is required under CI=true: "+err.Error(), "maildevtest: no MailDev: "+err.Error())
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() error {
	dir, err := Install()
	if err != nil {
		return err
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("node is not installed: %w", err)
	}
	bin := filepath.Join(dir, "node_modules", "maildev", "dist", "bin", "maildev.js")
	proc, err := servertest.Start(servertest.Program{
		Name: "MailDev", Path: node, TempDir: true,
		Args: func(web int) []string {
			return []string{bin, "--smtp", fmt.Sprint(s.smtpPort), "--ip", "127.0.0.1", "--web", fmt.Sprint(web), "--web-ip", "127.0.0.1",
				"--mail-directory", "mail", "--silent"}
		},
		Ready: func(url string) bool {
			if servertest.Status("GET", url+"/api/email") != http.StatusOK {
				return false
			}
			c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.smtpPort), time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil
		},
		Within: 30 * time.Second, Poll: 100 * time.Millisecond,
	})
	if err != nil {
		return err
	}
	s.proc, s.WebURL = proc, proc.URL
	return nil
}

// Stop ends MailDev; the SMTP port then refuses connections.
func (s *Server) Stop() {
	if s.proc != nil {
		s.proc.Stop()
	}
}

// Restart starts MailDev again on the same SMTP port, with no mails.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("maildevtest: restart: %v", err)
	}
}

// Mail is one received mail as MailDev's API gives it, with its source.
type Mail struct {
	ID       string `json:"id"`
	Subject  string `json:"subject"`
	Envelope struct {
		To []struct {
			Address string `json:"address"`
		} `json:"to"`
	} `json:"envelope"`
	Headers map[string]any `json:"headers"`
	// Source is the mail as it arrived (RFC 5322).
	Source []byte `json:"-"`
}

// To returns the envelope recipients.
func (m Mail) To() []string {
	var out []string
	for _, a := range m.Envelope.To {
		out = append(out, a.Address)
	}
	return out
}

// Mails returns every mail received, oldest first, each with its source.
func (s *Server) Mails() []Mail {
	s.t.Helper()
	code, body, err := servertest.Do(5*time.Second, "GET", s.WebURL+"/api/email", nil)
	if err != nil || code != http.StatusOK {
		s.t.Fatalf("maildevtest: list mails: %d %v %s", code, err, body)
	}
	var mails []Mail
	if err := json.Unmarshal([]byte(body), &mails); err != nil {
		s.t.Fatalf("maildevtest: list mails: %v", err)
	}
	for i := range mails {
		code, src, err := servertest.Do(5*time.Second, "GET", s.WebURL+"/api/email/"+mails[i].ID+"/source", nil)
		if err != nil || code != http.StatusOK {
			s.t.Fatalf("maildevtest: source of %s: %d %v", mails[i].ID, code, err)
		}
		mails[i].Source = []byte(src)
	}
	return mails
}

// WaitFor waits until at least n mails have arrived (or timeout) and
// returns them.
func (s *Server) WaitFor(n int, timeout time.Duration) []Mail {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		mails := s.Mails()
		if len(mails) >= n || time.Now().After(deadline) {
			return mails
		}
		time.Sleep(100 * time.Millisecond)
	}
}
