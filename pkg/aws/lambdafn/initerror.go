package lambdafn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ReportInitError tells the Lambda Runtime API at addr (host:port, from
// AWS_LAMBDA_RUNTIME_API) that the function could not initialize: POST
// /2018-06-01/runtime/init/error with err's text as the message and
// errorType (e.g. "Runtime.ConfigError") as its type
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html#runtimes-api-initerror).
// Lambda then logs it and fails the invocation with it instead of a bare
// exit status; the caller exits afterwards. aws-lambda-go (v1.55) has no
// call for it: its runtime client starts with the first poll for an event.
// Outside Lambda (addr empty) it does nothing.
func ReportInitError(addr string, err error, errorType string) error {
	if addr == "" {
		return nil
	}
	body, _ := json.Marshal(struct {
		Message    string   `json:"errorMessage"`
		Type       string   `json:"errorType"`
		StackTrace []string `json:"stackTrace"`
	}{err.Error(), errorType, []string{}})
	req, rerr := http.NewRequest(http.MethodPost, "http://"+addr+"/2018-06-01/runtime/init/error", bytes.NewReader(body))
	if rerr != nil {
		return fmt.Errorf("lambdafn: report init error: %w", rerr)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Lambda-Runtime-Function-Error-Type", errorType)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, rerr := client.Do(req)
	if rerr != nil {
		return fmt.Errorf("lambdafn: report init error: %w", rerr)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("lambdafn: report init error: status %d", resp.StatusCode)
	}
	return nil
}
