// Package paramstore reads parameters of AWS Systems Manager Parameter
// Store through the AWS Parameters and Secrets Lambda Extension, an AWS
// layer that serves them to the function on localhost
// (https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-integration-lambda-extensions.html):
//
//	GET http://localhost:2773/systemsmanager/parameters/get?name=%2Fslotbook%2Fprod%2Foauth-state-key&withDecryption=true
//	X-Aws-Parameters-Secrets-Token: <the function's AWS_SESSION_TOKEN>
//
// answered with GetParameter's JSON, {"Parameter":{"Name","Type","Value","Version",…}}.
// The extension calls SSM with the function's role (ssm:GetParameter), so
// the function links no SSM client. It serves only while an invocation
// runs, never during init: slotbook reads its secrets on first need.
package paramstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// EnvPort is the environment variable that moves the extension off
// DefaultPort; Lambda sets it for both the extension and the function.
const EnvPort = "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT"

// DefaultPort is where the extension listens unless EnvPort says otherwise.
const DefaultPort = "2773"

// Path is the extension's Parameter Store route.
const Path = "/systemsmanager/parameters/get"

// HeaderToken carries the function's session token: the extension serves
// only requests that show it, i.e. that come from inside the sandbox.
const HeaderToken = "X-Aws-Parameters-Secrets-Token"

// DefaultTimeout bounds one request: the extension answers from its cache
// at once, or asks SSM first.
const DefaultTimeout = 3 * time.Second

// maxAnswer bounds the answer read: a parameter holds at most 8 KB.
const maxAnswer = 1 << 20

// Client reads parameters through the extension. It keeps nothing; callers
// that want a value for longer keep it themselves. Safe for concurrent use.
type Client struct {
	url   string
	token string
	http  *http.Client
}

// New returns a client of the extension on localhost:port (DefaultPort if
// port is empty) that shows token, the function's session token
// (AWS_SESSION_TOKEN), with every request.
func New(port, token string) *Client {
	if port == "" {
		port = DefaultPort
	}
	return &Client{
		url:   "http://" + net.JoinHostPort("localhost", port) + Path,
		token: token,
		http: &http.Client{
			Timeout: DefaultTimeout,
			// Never through a proxy from the environment: the token is
			// for the extension next door only.
			Transport: &http.Transport{Proxy: nil, MaxIdleConns: 2, IdleConnTimeout: 30 * time.Second},
			// The extension does not redirect; a redirect would carry the
			// token elsewhere.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Parameter returns the value of the parameter named name (its full path,
// e.g. /slotbook/prod/oauth-state-key), decrypted if it is a SecureString.
// Its errors name the parameter and what went wrong, never the value or
// the token.
func (c *Client) Parameter(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", errors.New("paramstore: no parameter name")
	}
	q := url.Values{"name": {name}, "withDecryption": {"true"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"?"+q.Encode(), nil)
	if err != nil {
		return "", fmt.Errorf("paramstore: %s: %w", name, err)
	}
	req.Header.Set(HeaderToken, c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which holds the name only.
		return "", fmt.Errorf("paramstore: %s: the Parameters and Secrets extension did not answer: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return "", fmt.Errorf("paramstore: %s: reading the answer: %w", name, err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("paramstore: %s: the Parameters and Secrets extension answered %d: %s", name, resp.StatusCode, c.excerpt(body))
	}
	var out struct {
		Parameter *struct {
			Name, Type string
			Value      *string
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return "", fmt.Errorf("paramstore: %s: the answer is not GetParameter's JSON", name)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("paramstore: %s: the answer holds no parameter value", name)
	}
	return *out.Parameter.Value, nil
}

// excerpt returns the start of an error answer for a log line: printable
// characters only, at most 200, and never the token (in case the answer
// echoes the request).
func (c *Client) excerpt(body []byte) string {
	s := string(body)
	if c.token != "" {
		s = strings.ReplaceAll(s, c.token, "[token]")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	if s == "" {
		return "(no message)"
	}
	return s
}
