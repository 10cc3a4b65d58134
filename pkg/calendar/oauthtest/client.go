package oauthtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Client is a client application of an authorization server, for tests
// that go through its endpoints and a vendor's API the way an app does.
type Client struct {
	// HTTP sends the requests; Authorize does not follow its redirects.
	HTTP *http.Client
	// AuthURL and TokenURL are the authorize and token endpoints.
	AuthURL, TokenURL string
	// ID and Secret are the client credentials, sent in the form.
	ID, Secret string
}

// TokenAnswer is what the token endpoint answered.
type TokenAnswer struct {
	// AccessToken and RefreshToken are the tokens issued, if any.
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	// Error is the OAuth error code of a refusal.
	Error string `json:"error"`
}

// Authorize opens the authorize endpoint with the query q and the
// client's id, and returns where it redirects to; it fails the test
// unless the answer is a redirect (302).
func (c Client) Authorize(t testing.TB, q url.Values) *url.URL {
	t.Helper()
	q = cloneValues(q)
	q.Set("client_id", c.ID)
	noRedirects := *c.HTTP
	noRedirects.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirects.Get(c.AuthURL + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || !loc.IsAbs() {
		t.Fatalf("authorize: %d to %q, want 302 to the redirect URI", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc
}

// Token posts form, with the client's credentials, to the token endpoint
// and returns the status and the answer.
func (c Client) Token(t testing.TB, form url.Values) (int, TokenAnswer) {
	t.Helper()
	form = cloneValues(form)
	form.Set("client_id", c.ID)
	form.Set("client_secret", c.Secret)
	resp, err := c.HTTP.PostForm(c.TokenURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans TokenAnswer
	json.NewDecoder(resp.Body).Decode(&ans)
	return resp.StatusCode, ans
}

// AccessToken trades the refresh token for an access token; it fails the
// test if the token endpoint answers none.
func (c Client) AccessToken(t testing.TB, refresh string) string {
	t.Helper()
	status, ans := c.Token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}})
	if status != http.StatusOK || ans.AccessToken == "" {
		t.Fatalf("refresh: status %d, %+v", status, ans)
	}
	return ans.AccessToken
}

// Call sends a request with the access token (none if empty) and the JSON
// body (none if empty), decodes the JSON answer into out (if not nil) and
// returns the status.
func (c Client) Call(t testing.TB, method, rawURL, accessToken, body string, out any) int {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: answer %q is not JSON: %v", method, rawURL, b, err)
		}
	}
	return resp.StatusCode
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
