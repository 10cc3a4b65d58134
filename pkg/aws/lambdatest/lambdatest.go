// Package lambdatest is a local implementation of the AWS Lambda Runtime
// API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html), so
// that tests can run a function's built bootstrap exactly as Lambda does:
// the process polls GET /2018-06-01/runtime/invocation/next for an event
// and posts its answer to …/{requestId}/response or …/{requestId}/error;
// a process that cannot start posts …/runtime/init/error and exits.
package lambdatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// APIVersion is the path prefix of the Runtime API.
const APIVersion = "2018-06-01"

// EnvRuntimeAPI is the environment variable through which Lambda tells the
// runtime where the Runtime API listens (host:port).
const EnvRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"

// MaxResponseSize is the largest answer of a synchronous invocation (6 MB).
const MaxResponseSize = 6 * 1024 * 1024

// The Runtime API's headers.
const (
	HeaderRequestID   = "Lambda-Runtime-Aws-Request-Id"
	HeaderDeadline    = "Lambda-Runtime-Deadline-Ms"
	HeaderFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	HeaderTraceID     = "Lambda-Runtime-Trace-Id"
	HeaderErrorType   = "Lambda-Runtime-Function-Error-Type"
)

// FunctionError is what a runtime reports on …/error or …/init/error.
type FunctionError struct {
	// Type is the Lambda-Runtime-Function-Error-Type header, if sent.
	Type       string          `json:"-"`
	ErrorType  string          `json:"errorType"`
	Message    string          `json:"errorMessage"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

// Error implements error.
func (e *FunctionError) Error() string {
	t := e.ErrorType
	if t == "" {
		t = e.Type
	}
	return fmt.Sprintf("lambda function error %s: %s", t, e.Message)
}

// Result is the outcome of one invocation: the function's answer, or the
// error it reported.
type Result struct {
	RequestID string
	Payload   []byte
	Err       *FunctionError
}

type invocation struct {
	id       string
	event    []byte
	deadline time.Time
	done     chan Result
}

// Server is a Runtime API for one function process at a time. The zero
// value is not usable; call New.
type Server struct {
	// Timeout is the function's timeout, from which each invocation's
	// deadline is set; 15 s (the template's) if zero.
	Timeout time.Duration
	// FunctionARN is sent as the invoked function's ARN.
	FunctionARN string

	ln    net.Listener
	http  *http.Server
	queue chan *invocation

	mu        sync.Mutex
	inFlight  map[string]*invocation
	started   bool // the runtime has asked for an event
	ready     chan struct{}
	initErr   *FunctionError
	initErrCh chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

// New starts a Runtime API on a free loopback port.
func New() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdatest: listen: %w", err)
	}
	s := &Server{
		FunctionARN: "arn:aws:lambda:eu-central-1:123456789012:function:slotbook-local",
		ln:          ln,
		queue:       make(chan *invocation, 64),
		inFlight:    make(map[string]*invocation),
		ready:       make(chan struct{}),
		initErrCh:   make(chan struct{}),
		closed:      make(chan struct{}),
	}
	mux := http.NewServeMux()
	prefix := "/" + APIVersion + "/runtime/"
	mux.HandleFunc("GET "+prefix+"invocation/next", s.next)
	mux.HandleFunc("POST "+prefix+"invocation/{id}/response", s.response)
	mux.HandleFunc("POST "+prefix+"invocation/{id}/error", s.invocationError)
	mux.HandleFunc("POST "+prefix+"init/error", s.initError)
	s.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go s.http.Serve(ln)
	return s, nil
}

// Addr returns host:port, the value of AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Ready is closed when the runtime first asks for an event: its
// initialization is over.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// InitFailed is closed when the runtime reports an init error; InitError
// returns it then.
func (s *Server) InitFailed() <-chan struct{} { return s.initErrCh }

// InitError returns the init error the runtime reported, or nil.
func (s *Server) InitError() *FunctionError {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.initErr
}

// Close stops the server; polls in progress end, and pending Invoke calls
// return an error.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.http.Shutdown(ctx)
}

// Invoke queues event for the function and waits for its answer: the
// response payload, or the error the function reported. It returns an
// error only if ctx ends or the server closes first.
func (s *Server) Invoke(ctx context.Context, event []byte) (Result, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	inv := &invocation{id: newRequestID(), event: event, deadline: time.Now().Add(timeout), done: make(chan Result, 1)}
	select {
	case s.queue <- inv:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	case <-s.closed:
		return Result{}, errors.New("lambdatest: server closed")
	}
	select {
	case r := <-inv.done:
		return r, nil
	case <-ctx.Done():
		return Result{}, fmt.Errorf("lambdatest: invocation %s: %w", inv.id, ctx.Err())
	case <-s.closed:
		return Result{}, errors.New("lambdatest: server closed")
	}
}

// next hands out the next event, waiting for one as long as the runtime
// keeps the request open. An event whose poll is abandoned stays queued.
func (s *Server) next(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if !s.started {
		s.started = true
		close(s.ready)
	}
	s.mu.Unlock()
	var inv *invocation
	select {
	case inv = <-s.queue:
	case <-r.Context().Done():
		return
	case <-s.closed:
		http.Error(w, "shutting down", http.StatusInternalServerError)
		return
	}
	s.mu.Lock()
	s.inFlight[inv.id] = inv
	s.mu.Unlock()
	h := w.Header()
	h.Set(HeaderRequestID, inv.id)
	h.Set(HeaderDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(HeaderFunctionARN, s.FunctionARN)
	h.Set(HeaderTraceID, "Root=1-"+inv.id[:8]+"-"+inv.id[8:32]+";Sampled=0")
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(inv.event)
}

// take removes the in-flight invocation id, or answers 400 if there is none.
func (s *Server) take(w http.ResponseWriter, id string) *invocation {
	s.mu.Lock()
	inv := s.inFlight[id]
	delete(s.inFlight, id)
	s.mu.Unlock()
	if inv == nil {
		writeStatus(w, http.StatusBadRequest, "InvalidRequestID", "no invocation "+id+" is in progress")
	}
	return inv
}

func (s *Server) response(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseSize+1))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	inv := s.take(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	if len(body) > MaxResponseSize {
		inv.done <- Result{RequestID: inv.id, Err: &FunctionError{ErrorType: "Function.ResponseSizeTooLarge", Message: "response payload exceeds 6 MB"}}
		writeStatus(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response payload exceeds 6 MB")
		return
	}
	// A streamed answer that failed half-way carries its error in trailers.
	if t := r.Trailer.Get(HeaderErrorType); t != "" {
		inv.done <- Result{RequestID: inv.id, Err: &FunctionError{Type: t, ErrorType: t, Message: "error while streaming the response"}}
	} else {
		inv.done <- Result{RequestID: inv.id, Payload: body}
	}
	writeStatus(w, http.StatusAccepted, "", "")
}

func (s *Server) invocationError(w http.ResponseWriter, r *http.Request) {
	fe, ok := readError(w, r)
	if !ok {
		return
	}
	inv := s.take(w, r.PathValue("id"))
	if inv == nil {
		return
	}
	inv.done <- Result{RequestID: inv.id, Err: fe}
	writeStatus(w, http.StatusAccepted, "", "")
}

func (s *Server) initError(w http.ResponseWriter, r *http.Request) {
	fe, ok := readError(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.initErr != nil {
		// Init is over once the runtime has asked for an event.
		writeStatus(w, http.StatusForbidden, "InvalidStateTransition", "init error reported after init")
		return
	}
	s.initErr = fe
	close(s.initErrCh)
	writeStatus(w, http.StatusAccepted, "", "")
}

func readError(w http.ResponseWriter, r *http.Request) (*FunctionError, bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseSize))
	if err != nil {
		writeStatus(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return nil, false
	}
	fe := &FunctionError{Type: r.Header.Get(HeaderErrorType)}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, fe); err != nil {
			// The body is optional and free-form; keep it as the message.
			fe.Message = string(body)
		}
	}
	return fe, true
}

// writeStatus answers as the Runtime API does: {"status":"OK"} on success,
// {"errorType","errorMessage"} otherwise.
func writeStatus(w http.ResponseWriter, code int, errorType, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if errorType == "" {
		io.WriteString(w, `{"status":"OK"}`)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"errorType": errorType, "errorMessage": message})
}

func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
