package oauthtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/slotbook/slotbook/pkg/calendar/oauthtest"
)

const (
	marker      = "OAUTHTEST-MESSAGE"
	redirectURI = "https://app.example/cb?x=1"
)

// config is a vendor as plain as can be: codes give a refresh token for
// access_type=offline; refresh tokens rotate.
func config() oauthtest.Config {
	return oauthtest.Config{
		Name:          "kit",
		ClientID:      "client-1",
		ClientSecret:  "secret-1",
		MessageMarker: marker,
		Code:          func(n int) string { return fmt.Sprintf("code%d", n) },
		AccessToken:   func(n int) string { return fmt.Sprintf("at%d", n) },
		RefreshToken:  func(n int) string { return fmt.Sprintf("rt%d", n) },
		Offline: func(q url.Values, _ bool) bool {
			return q.Get("access_type") == "offline"
		},
		Rotate:              true,
		UnknownClientStatus: http.StatusUnauthorized,
		Texts: oauthtest.Texts{
			UnknownClient: "unknown client. ", BadRedirect: "bad redirect. ",
			UnsupportedResponseType: "unsupported response type. ", AccessDenied: "declined. ",
			InvalidClient: "invalid client. ", InvalidRefreshToken: "bad refresh token ",
			InvalidCode: "bad code. ", UnsupportedGrantType: "bad grant type. ",
		},
		ContentType: "application/json",
		TokenFields: map[string]any{"token_type": "Bearer"},
		WriteError: func(w http.ResponseWriter, status int, code, description string) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
		},
		BodyType: func(string) string { return "text/plain" },
	}
}

// serve mounts a server of cfg, and an API route /whoami that answers the
// account of its bearer token, on an httptest server.
func serve(t *testing.T, cfg oauthtest.Config) (*oauthtest.Server, oauthtest.Client) {
	t.Helper()
	o := oauthtest.New(cfg)
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", o.Authorize)
	mux.HandleFunc("/token", o.Token)
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) { json.NewEncoder(w).Encode(o.Account(r)) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return o, oauthtest.Client{HTTP: srv.Client(), AuthURL: srv.URL + "/authorize", TokenURL: srv.URL + "/token", ID: cfg.ClientID, Secret: cfg.ClientSecret}
}

func authorizeQuery(extra ...string) url.Values {
	q := url.Values{"response_type": {"code"}, "redirect_uri": {redirectURI}, "state": {"st"}, "scope": {"calendars"}, "access_type": {"offline"}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return q
}

func exchange(t *testing.T, app oauthtest.Client, code, redirect string) (int, oauthtest.TokenAnswer) {
	t.Helper()
	return app.Token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}})
}

func refresh(t *testing.T, app oauthtest.Client, rt string) (int, oauthtest.TokenAnswer) {
	t.Helper()
	return app.Token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

func whoami(t *testing.T, app oauthtest.Client, accessToken string) string {
	t.Helper()
	var who string
	app.Call(t, "GET", strings.TrimSuffix(app.TokenURL, "/token")+"/whoami", accessToken, "", &who)
	return who
}

func TestConsentRedirectsWithCodeAndState(t *testing.T) {
	o, app := serve(t, config())
	o.AddAccount("ann")
	loc := app.Authorize(t, authorizeQuery())
	back := loc.Query()
	if loc.Host != "app.example" || loc.Path != "/cb" || back.Get("x") != "1" || back.Get("state") != "st" || back.Get("code") == "" {
		t.Errorf("redirect to %v, want the redirect URI with its own query, state and a code", loc)
	}
	if back.Has("scope") {
		t.Errorf("redirect query %v holds the scope, want none without EchoScope", back)
	}
	status, ans := exchange(t, app, back.Get("code"), redirectURI)
	if status != http.StatusOK || ans.RefreshToken == "" || whoami(t, app, ans.AccessToken) != "ann" {
		t.Errorf("exchange: %d %+v, want tokens of ann", status, ans)
	}
}

func TestConsentEchoesScope(t *testing.T) {
	cfg := config()
	cfg.EchoScope = true
	o, app := serve(t, cfg)
	o.AddAccount("ann")
	if got := app.Authorize(t, authorizeQuery()).Query().Get("scope"); got != "calendars" {
		t.Errorf("scope in the redirect = %q, want calendars", got)
	}
}

func TestConsentRefusals(t *testing.T) {
	tests := []struct {
		name       string
		query      url.Values
		deny       bool
		wantError  string
		wantDetail string
	}{
		{"declined", authorizeQuery(), true, "access_denied", "declined. " + marker},
		{"response type token", authorizeQuery("response_type", "token"), false, "unsupported_response_type", "unsupported response type. " + marker},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, app := serve(t, config())
			o.AddAccount("ann")
			if tc.deny {
				o.DenyConsent()
			}
			back := app.Authorize(t, tc.query).Query()
			if back.Get("error") != tc.wantError || back.Get("error_description") != tc.wantDetail || back.Has("code") {
				t.Errorf("redirect query %v, want error %s with %q and no code", back, tc.wantError, tc.wantDetail)
			}
			if again := app.Authorize(t, authorizeQuery()).Query(); again.Get("code") == "" {
				t.Errorf("the next consent: %v, want a code", again)
			}
		})
	}
}

func TestConsentPageErrors(t *testing.T) {
	tests := []struct {
		name       string
		query      url.Values
		accounts   []string
		wantStatus int
		wantBody   string
	}{
		{"unknown client", url.Values{"client_id": {"other"}, "redirect_uri": {redirectURI}}, []string{"ann"}, http.StatusUnauthorized, "unknown client. " + marker},
		{"relative redirect URI", authorizeQuery("client_id", "client-1", "redirect_uri", "/cb"), []string{"ann"}, http.StatusBadRequest, "bad redirect. " + marker},
		{"no one signs in", authorizeQuery("client_id", "client-1"), []string{"ann", "bob"}, http.StatusBadRequest, "kit: no account signs in: call SignInAs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, app := serve(t, config())
			for _, a := range tc.accounts {
				o.AddAccount(a)
			}
			resp, err := app.HTTP.Get(app.AuthURL + "?" + tc.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantStatus || strings.TrimSpace(string(body)) != tc.wantBody {
				t.Errorf("consent page = %d %q, want %d %q", resp.StatusCode, body, tc.wantStatus, tc.wantBody)
			}
		})
	}
}

func TestSignInAs(t *testing.T) {
	o, app := serve(t, config())
	o.AddAccount("ann")
	o.AddAccount("bob")
	if o.SignInAs("carol") {
		t.Error("SignInAs(carol) = true for an account never added")
	}
	if !o.SignInAs("bob") {
		t.Fatal("SignInAs(bob) = false")
	}
	_, ans := exchange(t, app, app.Authorize(t, authorizeQuery()).Query().Get("code"), redirectURI)
	if who := whoami(t, app, ans.AccessToken); who != "bob" {
		t.Errorf("the code opened %q's account, want bob's", who)
	}
}

func TestCodeIsSingleUseAndBoundToTheRedirectURI(t *testing.T) {
	tests := []struct {
		name     string
		redirect []string // of each exchange
		want     []int
	}{
		{"used once", []string{redirectURI}, []int{http.StatusOK}},
		{"used twice", []string{redirectURI, redirectURI}, []int{http.StatusOK, http.StatusBadRequest}},
		{"another redirect URI", []string{"https://app.example/other", redirectURI}, []int{http.StatusBadRequest, http.StatusBadRequest}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, app := serve(t, config())
			o.AddAccount("ann")
			code := app.Authorize(t, authorizeQuery()).Query().Get("code")
			for i, redirect := range tc.redirect {
				status, ans := exchange(t, app, code, redirect)
				if status != tc.want[i] || (status != http.StatusOK && ans.Error != "invalid_grant") {
					t.Errorf("exchange %d: %d %+v, want %d", i+1, status, ans, tc.want[i])
				}
			}
		})
	}
}

func TestCodeGivesARefreshTokenOnlyWhenOffline(t *testing.T) {
	var consented []bool
	cfg := config()
	cfg.Offline = func(q url.Values, c bool) bool {
		consented = append(consented, c)
		return q.Get("access_type") == "offline"
	}
	o, app := serve(t, cfg)
	o.AddAccount("ann")
	_, online := exchange(t, app, app.Authorize(t, authorizeQuery("access_type", "online")).Query().Get("code"), redirectURI)
	if online.AccessToken == "" || online.RefreshToken != "" {
		t.Errorf("online: %+v, want an access token only", online)
	}
	if !slices.Equal(consented, []bool{true}) {
		t.Errorf("Offline saw consented %v, want [true]: AddAccount gave ann a refresh token", consented)
	}
}

func TestClientCredentials(t *testing.T) {
	o, app := serve(t, config())
	rt := o.AddAccount("ann")
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
	post := func(user, password string, inForm bool) int {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if inForm {
			f.Set("client_id", user)
			f.Set("client_secret", password)
		}
		req, _ := http.NewRequest(http.MethodPost, app.TokenURL, strings.NewReader(f.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if !inForm {
			req.SetBasicAuth(user, password)
		}
		resp, err := app.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		name           string
		user, password string
		inForm         bool
		want           int
	}{
		{"in the form", "client-1", "secret-1", true, http.StatusOK},
		{"basic authentication", "client-1", "secret-1", false, http.StatusOK},
		{"wrong secret", "client-1", "secret-2", true, http.StatusUnauthorized},
		{"wrong client in basic authentication", "client-2", "secret-1", false, http.StatusUnauthorized},
	}
	for _, tc := range tests {
		if got := post(tc.user, tc.password, tc.inForm); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestRefresh(t *testing.T) {
	tests := []struct {
		name        string
		rotate      bool
		echo        bool
		wantRefresh string // "new", "same" or "none"
	}{
		{"rotating", true, false, "new"},
		{"not rotating, echoing", false, true, "same"},
		{"not rotating", false, false, "none"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config()
			cfg.Rotate, cfg.EchoRefreshToken = !tc.rotate, tc.echo
			o, app := serve(t, cfg)
			o.SetRotation(tc.rotate) // wins over the Config
			rt := o.AddAccount("ann")
			status, ans := refresh(t, app, rt)
			got := "none"
			switch ans.RefreshToken {
			case rt:
				got = "same"
			case "":
			default:
				got = "new"
			}
			if status != http.StatusOK || ans.AccessToken == "" || got != tc.wantRefresh {
				t.Errorf("refresh: %d %+v, want an access token and %s refresh token", status, ans, tc.wantRefresh)
			}
			if status, _ := refresh(t, app, rt); status != http.StatusOK {
				t.Errorf("the refresh token used: status %d, want 200 (still valid)", status)
			}
		})
	}
}

func TestRevokeRefreshTokens(t *testing.T) {
	o, app := serve(t, config())
	ann, bob := o.AddAccount("ann"), o.AddAccount("bob")
	o.RevokeRefreshTokens("ann")
	status, ans := refresh(t, app, ann)
	if status != http.StatusBadRequest || ans.Error != "invalid_grant" {
		t.Errorf("ann's revoked token: %d %+v, want invalid_grant", status, ans)
	}
	if status, _ := refresh(t, app, bob); status != http.StatusOK {
		t.Errorf("bob's token: status %d, want 200", status)
	}
}

func TestTokenErrors(t *testing.T) {
	o, app := serve(t, config())
	o.AddAccount("ann")
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		want       map[string]string
	}{
		{"unknown refresh token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"rt99"}}, http.StatusBadRequest,
			map[string]string{"error": "invalid_grant", "error_description": "bad refresh token rt99 " + marker}},
		{"unknown code", url.Values{"grant_type": {"authorization_code"}, "code": {"code99"}}, http.StatusBadRequest,
			map[string]string{"error": "invalid_grant", "error_description": "bad code. " + marker}},
		{"password grant", url.Values{"grant_type": {"password"}}, http.StatusBadRequest,
			map[string]string{"error": "unsupported_grant_type", "error_description": "bad grant type. " + marker}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("client_id", "client-1")
			tc.form.Set("client_secret", "secret-1")
			resp, err := app.HTTP.PostForm(app.TokenURL, tc.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got map[string]string
			json.NewDecoder(resp.Body).Decode(&got)
			if resp.StatusCode != tc.wantStatus || fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("answer %d %v, want %d %v", resp.StatusCode, got, tc.wantStatus, tc.want)
			}
		})
	}
}

func TestTokenAnswer(t *testing.T) {
	o, app := serve(t, config())
	rt := o.AddAccount("ann")
	resp, err := app.HTTP.PostForm(app.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_id": {"client-1"}, "client_secret": {"secret-1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans map[string]any
	json.NewDecoder(resp.Body).Decode(&ans)
	if ans["token_type"] != "Bearer" || ans["access_token"] == nil || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("answer %v with %v, want the Config's fields and type, not to be cached", ans, resp.Header)
	}
	if forms := o.TokenRequests(); len(forms) != 1 || forms[0].Get("refresh_token") != rt {
		t.Errorf("TokenRequests = %v, want the one form", forms)
	}
}

func TestFailToken(t *testing.T) {
	t.Run("error", func(t *testing.T) {
		o, app := serve(t, config())
		rt := o.AddAccount("ann")
		o.FailToken(1, oauthtest.Failure{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", RetryAfter: "7"})
		resp, err := app.HTTP.PostForm(app.TokenURL, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got map[string]string
		json.NewDecoder(resp.Body).Decode(&got)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "7" ||
			got["error"] != "temporarily_unavailable" || got["error_description"] != "Scripted failure. "+marker {
			t.Errorf("scripted failure: %d %v %v, want 503, Retry-After 7 and the default message", resp.StatusCode, resp.Header, got)
		}
		if status, _ := refresh(t, app, rt); status != http.StatusOK {
			t.Errorf("after the one failure: status %d, want 200", status)
		}
	})
	t.Run("body", func(t *testing.T) {
		o, app := serve(t, config())
		o.FailToken(-1, oauthtest.Failure{Status: http.StatusBadGateway, Body: "<html>down</html>"})
		for range 2 {
			resp, err := app.HTTP.PostForm(app.TokenURL, url.Values{})
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway || string(body) != "<html>down</html>" || resp.Header.Get("Content-Type") != "text/plain" {
				t.Errorf("scripted body: %d %q %v, want 502 and the body as it is, typed by BodyType", resp.StatusCode, body, resp.Header)
			}
		}
	})
	t.Run("apply", func(t *testing.T) {
		o, app := serve(t, config())
		o.AddAccount("ann")
		code := app.Authorize(t, authorizeQuery()).Query().Get("code")
		o.FailToken(1, oauthtest.Failure{Status: http.StatusGatewayTimeout, Apply: true})
		if status, _ := exchange(t, app, code, redirectURI); status != http.StatusGatewayTimeout {
			t.Errorf("scripted failure: status %d, want 504", status)
		}
		if status, _ := exchange(t, app, code, redirectURI); status != http.StatusBadRequest {
			t.Errorf("the code again: status %d, want 400: Apply used it up", status)
		}
	})
	t.Run("drop", func(t *testing.T) {
		o, app := serve(t, config())
		o.FailToken(1, oauthtest.Failure{Drop: true})
		if resp, err := app.HTTP.PostForm(app.TokenURL, url.Values{}); err == nil {
			resp.Body.Close()
			t.Errorf("dropped connection answered %d, want an error", resp.StatusCode)
		}
	})
}

func TestAccount(t *testing.T) {
	o, app := serve(t, config())
	_, ans := refresh(t, app, o.AddAccount("ann"))
	if who := whoami(t, app, ans.AccessToken); who != "ann" {
		t.Errorf("Account of ann's access token = %q, want ann", who)
	}
	if who := whoami(t, app, "at-unknown"); who != "" {
		t.Errorf("Account of an unknown token = %q, want none", who)
	}
}

func TestScripts(t *testing.T) {
	var s oauthtest.Scripts[string, string]
	s.Add(2, "a twice", func(op string) bool { return op == "a" })
	s.Add(-1, "anything", nil)
	var got []string
	for _, op := range []string{"a", "b", "a", "a"} {
		f, ok := s.Take(op)
		if !ok {
			t.Fatalf("Take(%q) found nothing", op)
		}
		got = append(got, f)
	}
	want := []string{"a twice", "anything", "a twice", "anything"}
	if !slices.Equal(got, want) {
		t.Errorf("Take = %q, want %q", got, want)
	}
	var empty oauthtest.Scripts[string, string]
	if f, ok := empty.Take("a"); ok {
		t.Errorf("empty Take = %q, true; want nothing", f)
	}
}
