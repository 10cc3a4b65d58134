package lambdatest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/lambdatest"
)

func newServer(t *testing.T) *lambdatest.Server {
	t.Helper()
	s, err := lambdatest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func apiURL(s *lambdatest.Server, path string) string {
	return "http://" + s.Addr() + "/" + lambdatest.APIVersion + "/runtime/" + path
}

// poll plays the runtime: it asks for the next event.
func poll(t *testing.T, s *lambdatest.Server) (id string, h http.Header, event []byte) {
	t.Helper()
	resp, err := http.Get(apiURL(s, "invocation/next"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("next: status %d", resp.StatusCode)
	}
	event, _ = io.ReadAll(resp.Body)
	return resp.Header.Get(lambdatest.HeaderRequestID), resp.Header, event
}

func post(t *testing.T, s *lambdatest.Server, path string, header http.Header, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, apiURL(s, path), strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type invoked struct {
	r   lambdatest.Result
	err error
}

func invoke(s *lambdatest.Server, event string) <-chan invoked {
	ch := make(chan invoked, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r, err := s.Invoke(ctx, []byte(event))
		ch <- invoked{r, err}
	}()
	return ch
}

func TestAnEventReachesTheRuntimeAndItsResponseTheCaller(t *testing.T) {
	s := newServer(t)
	s.Timeout = 3 * time.Second
	select {
	case <-s.Ready():
		t.Fatal("ready before the runtime asked for an event")
	default:
	}
	done := invoke(s, `{"version":"2.0"}`)
	before := time.Now()
	id, h, event := poll(t, s)
	<-s.Ready()

	if string(event) != `{"version":"2.0"}` || id == "" {
		t.Errorf("next: id %q, event %s", id, event)
	}
	ms, err := strconv.ParseInt(h.Get(lambdatest.HeaderDeadline), 10, 64)
	if deadline := time.UnixMilli(ms); err != nil || deadline.Before(before.Add(2*time.Second)) || deadline.After(time.Now().Add(3*time.Second)) {
		t.Errorf("deadline header %q, want about 3 s from now", h.Get(lambdatest.HeaderDeadline))
	}
	if h.Get(lambdatest.HeaderFunctionARN) == "" || h.Get(lambdatest.HeaderTraceID) == "" {
		t.Errorf("next headers %v lack the function ARN or trace id", h)
	}
	if code, body := post(t, s, "invocation/"+id+"/response", nil, `{"statusCode":200}`); code != http.StatusAccepted || body != `{"status":"OK"}` {
		t.Errorf("response: %d %s, want 202 {\"status\":\"OK\"}", code, body)
	}
	got := <-done
	if got.err != nil || string(got.r.Payload) != `{"statusCode":200}` || got.r.Err != nil || got.r.RequestID != id {
		t.Errorf("Invoke = %+v, %v", got.r, got.err)
	}
}

func TestAFunctionErrorReachesTheCaller(t *testing.T) {
	s := newServer(t)
	done := invoke(s, `{}`)
	id, _, _ := poll(t, s)
	h := http.Header{lambdatest.HeaderErrorType: {"Function.Unhandled"}}
	if code, _ := post(t, s, "invocation/"+id+"/error", h, `{"errorMessage":"boom","errorType":"errorString","stackTrace":[]}`); code != http.StatusAccepted {
		t.Errorf("error: status %d, want 202", code)
	}
	got := <-done
	if got.err != nil || got.r.Err == nil || got.r.Err.Message != "boom" || got.r.Err.ErrorType != "errorString" || got.r.Err.Type != "Function.Unhandled" {
		t.Errorf("Invoke = %+v (err %+v), %v", got.r, got.r.Err, got.err)
	}
}

func TestAnswersForUnknownInvocationsAreRefused(t *testing.T) {
	s := newServer(t)
	for _, path := range []string{"invocation/nope/response", "invocation/nope/error"} {
		code, body := post(t, s, path, nil, `{}`)
		var e struct{ ErrorType string }
		json.Unmarshal([]byte(body), &e)
		if code != http.StatusBadRequest || e.ErrorType != "InvalidRequestID" {
			t.Errorf("%s: %d %s, want 400 InvalidRequestID", path, code, body)
		}
	}
	// An invocation is answered once.
	done := invoke(s, `{}`)
	id, _, _ := poll(t, s)
	post(t, s, "invocation/"+id+"/response", nil, `1`)
	<-done
	if code, _ := post(t, s, "invocation/"+id+"/response", nil, `2`); code != http.StatusBadRequest {
		t.Errorf("second answer: status %d, want 400", code)
	}
}

func TestAnOversizedResponseFailsTheInvocation(t *testing.T) {
	s := newServer(t)
	done := invoke(s, `{}`)
	id, _, _ := poll(t, s)
	if code, _ := post(t, s, "invocation/"+id+"/response", nil, strings.Repeat("x", lambdatest.MaxResponseSize+1)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", code)
	}
	if got := <-done; got.r.Err == nil || got.r.Err.ErrorType != "Function.ResponseSizeTooLarge" {
		t.Errorf("Invoke = %+v, want a size error", got.r)
	}
}

// TestAnInitErrorIsTakenOnlyDuringInit: the Runtime API takes one init
// error, before the runtime has asked for an event.
func TestAnInitErrorIsTakenOnlyDuringInit(t *testing.T) {
	s := newServer(t)
	h := http.Header{lambdatest.HeaderErrorType: {"Runtime.ConfigError"}}
	if code, _ := post(t, s, "init/error", h, `{"errorMessage":"SLOTBOOK_TABLE is not set","errorType":"Runtime.ConfigError"}`); code != http.StatusAccepted {
		t.Fatalf("init error: status %d, want 202", code)
	}
	select {
	case <-s.InitFailed():
	default:
		t.Fatal("InitFailed is not closed")
	}
	if e := s.InitError(); e == nil || e.Message != "SLOTBOOK_TABLE is not set" || e.ErrorType != "Runtime.ConfigError" || e.Type != "Runtime.ConfigError" {
		t.Errorf("InitError = %+v", e)
	}

	t.Run("not after init", func(t *testing.T) {
		s := newServer(t)
		go http.Get(apiURL(s, "invocation/next"))
		<-s.Ready()
		if code, _ := post(t, s, "init/error", nil, `{"errorMessage":"late"}`); code != http.StatusForbidden {
			t.Errorf("status %d, want 403", code)
		}
	})
}

func TestInvokeEndsWithItsContext(t *testing.T) {
	s := newServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Invoke(ctx, []byte(`{}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Invoke without a runtime = %v, want the context's deadline", err)
	}
}
