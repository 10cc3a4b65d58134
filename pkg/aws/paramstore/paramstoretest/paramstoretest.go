// Package paramstoretest is a stand-in for the AWS Parameters and Secrets
// Lambda Extension's Parameter Store route, written from AWS's
// documentation of it
// (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-integration-lambda-extensions.html),
// so that tests of a function can point it at a local extension
// (paramstore.EnvPort) that holds known parameters.
//
// What AWS documents, and the stand-in does:
//
//   - GET /systemsmanager/parameters/get (also with a trailing slash) with
//     the query parameters name (the full name, URL-encoded, or an ARN),
//     withDecryption (true or false, false if absent), version or label.
//   - The header X-Aws-Parameters-Secrets-Token must carry the function's
//     session token.
//   - The answer is GetParameter's JSON: {"Parameter":{"ARN","DataType",
//     "LastModifiedDate","Name","Selector","SourceResult","Type","Value",
//     "Version"},"ResultMetadata":{}}; a SecureString read without
//     withDecryption=true has its ciphertext as Value.
//
// What AWS leaves undocumented, and the stand-in chooses: a missing or
// wrong token is 401; a request without a name is 400; a parameter that does
// not exist is 400 with SSM's error (GetParameter's ParameterNotFound is a
// 400); Fail makes every request answer a given status until it is called
// again with 0.
package paramstoretest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Region and AccountID are what the ARNs of the stand-in's parameters name.
const (
	Region    = "eu-central-1"
	AccountID = "123456789012"
)

// Request is one request the stand-in answered, as the extension sees it.
type Request struct {
	// Name is the name asked for.
	Name string
	// Decrypt tells whether withDecryption=true was asked.
	Decrypt bool
	// Status is the answer's status.
	Status int
}

// Server is a running stand-in. Its parameters are SecureStrings.
type Server struct {
	// Port is the port it listens on at localhost, the value for
	// paramstore.EnvPort.
	Port string

	token string
	mu    sync.Mutex
	param map[string]string
	reqs  []Request
	fail  int
	msg   string
}

// New starts a stand-in on a free port that serves params (full name →
// value) to requests showing token; it stops when the test ends.
func New(tb testing.TB, token string, params map[string]string) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("paramstoretest: listen: %v", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	s := &Server{Port: port, token: token, param: map[string]string{}}
	for k, v := range params {
		s.param[k] = v
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/systemsmanager/parameters/get", s.get)
	mux.HandleFunc("/systemsmanager/parameters/get/", s.get)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	tb.Cleanup(func() { srv.Close() })
	return s
}

// Set creates or replaces a parameter.
func (s *Server) Set(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.param[name] = value
}

// Fail makes every request answer status with message until Fail(0, "").
func (s *Server) Fail(status int, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail, s.msg = status, message
}

// Requests returns the requests answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	name := q.Get("name")
	req := Request{Name: name, Decrypt: strings.EqualFold(q.Get("withDecryption"), "true")}
	status, body := s.answer(r, req)
	req.Status = status
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func (s *Server) answer(r *http.Request, req Request) (int, []byte) {
	s.mu.Lock()
	fail, msg := s.fail, s.msg
	value, ok := s.param[arnName(req.Name)]
	s.mu.Unlock()
	switch {
	case r.Method != http.MethodGet:
		return http.StatusMethodNotAllowed, []byte("method not allowed")
	case r.Header.Get("X-Aws-Parameters-Secrets-Token") != s.token || s.token == "":
		return http.StatusUnauthorized, []byte("missing or invalid X-Aws-Parameters-Secrets-Token")
	case fail != 0:
		return fail, []byte(msg)
	case req.Name == "":
		return http.StatusBadRequest, []byte("name is required")
	case !ok:
		return http.StatusBadRequest, []byte("an error occurred (ParameterNotFound) when calling the GetParameter operation")
	}
	name := arnName(req.Name)
	if !req.Decrypt {
		// What SSM returns for a SecureString read without decryption.
		value = "AQICAHh" + base64.StdEncoding.EncodeToString([]byte(fmt.Sprintf("%x", len(value)*7919)))
	}
	out := map[string]any{
		"Parameter": map[string]any{
			"ARN":              "arn:aws:ssm:" + Region + ":" + AccountID + ":parameter" + name,
			"DataType":         "text",
			"LastModifiedDate": "2026-11-20T09:15:02.112Z",
			"Name":             name,
			"Selector":         nil,
			"SourceResult":     nil,
			"Type":             "SecureString",
			"Value":            value,
			"Version":          1,
		},
		"ResultMetadata": map[string]any{},
	}
	b, _ := json.Marshal(out)
	return http.StatusOK, b
}

// arnName returns the parameter name an ARN names, or name itself.
func arnName(name string) string {
	if !strings.HasPrefix(name, "arn:") {
		return name
	}
	_, after, ok := strings.Cut(name, ":parameter")
	if !ok {
		return name
	}
	if u, err := url.PathUnescape(after); err == nil {
		return u
	}
	return after
}

// Tripwire is a port where no extension listens and every connection is
// counted: for proving that a function reads no parameter (at start, or
// without an OAuth client configured). Point paramstore.EnvPort at Port.
type Tripwire struct {
	// Port is the listener's port.
	Port string
	ln   net.Listener
	n    atomic.Int64
}

// NewTripwire starts a Tripwire on a free port; it stops when tb ends.
func NewTripwire(tb testing.TB) *Tripwire {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	w := &Tripwire{Port: port, ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			w.n.Add(1)
			c.Close()
		}
	}()
	tb.Cleanup(func() { ln.Close() })
	return w
}

// Connections is how many connections were made to the Tripwire so far.
func (w *Tripwire) Connections() int64 { return w.n.Load() }
