package slotbook_test

import (
	"bytes"
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// stateOf returns the state that an authorization URL carries.
func stateOf(t *testing.T, authURL string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil || u.Query().Get("state") == "" {
		t.Fatalf("authorization URL %q carries no state (%v)", authURL, err)
	}
	return u.Query().Get("state")
}

// startOAuth starts connecting a Google calendar of employee as ctx's
// caller and returns the state of the consent page.
func (w *world) startOAuth(ctx context.Context, employee string) string {
	w.t.Helper()
	res, err := w.app.Connect(ctx, slotbook.ConnectRequest{CompanyID: "acme", EmployeeID: employee, Provider: slotbook.Google})
	must(w.t, "start OAuth", err)
	if res.Connection.ID != "" {
		w.t.Fatalf("starting OAuth stored connection %+v", res.Connection)
	}
	return stateOf(w.t, res.AuthorizationURL)
}

// TestOAuthStateBindsTheFlowToItsUser: the consent page's answer connects
// a calendar only for the user who started the flow, for the company and
// employee it was started for, once, and before the state expires. The
// callback itself stores nothing. Refused attempts do not use the state up.
func TestOAuthStateBindsTheFlowToItsUser(t *testing.T) {
	w := newWorld(t)
	w.cal.Add("tok-1", "ana@mail.example") // the code "refresh:tok-1" yields it
	const code = "refresh:tok-1"
	state := w.startOAuth(w.staff("ana"), "ana")

	ret, err := w.app.OAuthCallback(w.anonymous(), code, state, "")
	if err != nil || ret.CompanyID != "acme" || ret.EmployeeID != "ana" || ret.Code != code || ret.State != state {
		t.Fatalf("callback = %+v, %v; want the flow's company, employee, code and state", ret, err)
	}
	_, err = w.app.OAuthCallback(w.anonymous(), "", state, "access_denied")
	wantCode(t, "callback of a declined consent", err, slotbook.Forbidden)

	adminsState := w.startOAuth(w.admin(), "ana")
	otherKey := slotbook.NewApp(w.store, seal.NewEphemeral(), w.clock.now,
		slotbook.WithOAuth(map[slotbook.Provider]slotbook.OAuthProvider{slotbook.Google: w.cal}, []byte("another key")))
	foreign, err := otherKey.Connect(w.staff("ana"), slotbook.ConnectRequest{CompanyID: "acme", EmployeeID: "ana", Provider: slotbook.Google})
	must(t, "start OAuth on another key", err)
	tampered := []byte(state)
	tampered[len(tampered)-2] ^= 1

	refused := []struct {
		name       string
		ctx        context.Context
		employee   string
		state      string
		want       slotbook.Code
		wantFields []string
	}{
		{"the admin completing ana's flow", w.admin(), "ana", state, slotbook.Forbidden, nil},
		{"ben completing ana's flow for himself", w.staff("ben"), "ben", state, slotbook.Forbidden, nil},
		{"the admin moving their flow to ben", w.admin(), "ben", adminsState, slotbook.Forbidden, nil},
		{"a tampered state", w.staff("ana"), "ana", string(tampered), slotbook.Invalid, []string{"state"}},
		{"a state signed with another key", w.staff("ana"), "ana", stateOf(t, foreign.AuthorizationURL), slotbook.Invalid, []string{"state"}},
		{"signed out", w.anonymous(), "ana", state, slotbook.Unauthorized, nil},
	}
	for _, r := range refused {
		_, _, err := w.app.CompleteOAuth(r.ctx, "acme", r.employee, code, r.state)
		wantFields(t, r.name, err, r.want, r.wantFields...)
	}
	for _, e := range []string{"ana", "ben"} {
		if ks, err := w.store.Connections(t.Context(), "acme", e); err != nil || len(ks) != 0 {
			t.Fatalf("%s's connections after refused completions = %+v, %v; want none", e, ks, err)
		}
	}

	k, reconnected, err := w.app.CompleteOAuth(w.staff("ana"), "acme", "ana", code, state)
	if err != nil || reconnected {
		t.Fatalf("ana completes her flow: %+v, reconnected %v, %v", k, reconnected, err)
	}
	if k.Provider != slotbook.Google || k.Account != "ana@mail.example" || !k.IsDefault || !k.CheckConflicts || k.Status != slotbook.Connected {
		t.Errorf("connection = %+v, want ana's Google account, default, checking conflicts, connected", k)
	}
	stored, err := w.store.Connection(t.Context(), "acme", "ana", k.ID)
	if err != nil || len(stored.SealedSecret) == 0 || bytes.Contains(stored.SealedSecret, []byte("tok-1")) {
		t.Errorf("stored secret = %q, %v; want the refresh token sealed", stored.SealedSecret, err)
	}

	_, _, err = w.app.CompleteOAuth(w.staff("ana"), "acme", "ana", code, state)
	wantFields(t, "the same state again", err, slotbook.Invalid, "state")

	late := w.startOAuth(w.staff("ana"), "ana")
	w.clock.advance(slotbook.StateTTL + time.Second)
	_, _, err = w.app.CompleteOAuth(w.staff("ana"), "acme", "ana", code, late)
	wantFields(t, "an expired state", err, slotbook.Invalid, "state")
	_, err = w.app.OAuthCallback(w.anonymous(), code, late, "")
	wantFields(t, "callback with an expired state", err, slotbook.Invalid, "state")

	if ks, _ := w.store.Connections(t.Context(), "acme", "ana"); len(ks) != 1 {
		t.Errorf("ana has %d connections, want the one", len(ks))
	}
}

// TestConnectValidation: a connection request that cannot work is refused
// naming every field at fault, and stores nothing.
func TestConnectValidation(t *testing.T) {
	w := newWorld(t)
	w.cal.Add("right", "ana")
	yes := true
	caldav := func(change func(r *slotbook.ConnectRequest)) slotbook.ConnectRequest {
		r := slotbook.ConnectRequest{CompanyID: "acme", EmployeeID: "ana", Provider: slotbook.CalDAV,
			URL: "https://dav.example/", Username: "ana", Password: "right"}
		change(&r)
		return r
	}
	tests := []struct {
		name   string
		req    slotbook.ConnectRequest
		want   slotbook.Code
		fields []string
	}{
		{"CalDAV without anything", caldav(func(r *slotbook.ConnectRequest) { r.URL, r.Username, r.Password = "", "", "" }),
			slotbook.Invalid, []string{"url", "username", "password"}},
		{"CalDAV over plain http", caldav(func(r *slotbook.ConnectRequest) { r.URL = "http://dav.example/" }),
			slotbook.Invalid, []string{"url"}},
		{"not a URL", caldav(func(r *slotbook.ConnectRequest) { r.URL = "dav.example" }), slotbook.Invalid, []string{"url"}},
		{"a name with a control character", caldav(func(r *slotbook.ConnectRequest) { r.Name = "Work\x07" }), slotbook.Invalid, []string{"name"}},
		{"a wrong password", caldav(func(r *slotbook.ConnectRequest) { r.Password = "wrong" }), slotbook.Unprocessable, []string{"password"}},
		{"a calendar the account lacks", caldav(func(r *slotbook.ConnectRequest) { r.CalendarID = "other" }), slotbook.Invalid, []string{"calendarId"}},
		{"an ICS feed with a user name", caldav(func(r *slotbook.ConnectRequest) { r.Provider, r.Password = slotbook.ICS, "" }),
			slotbook.Invalid, []string{"username"}},
		{"an ICS feed as the default", caldav(func(r *slotbook.ConnectRequest) {
			r.Provider, r.Username, r.Password, r.IsDefault = slotbook.ICS, "", "", &yes
		}), slotbook.Invalid, []string{"isDefault"}},
		{"Google with a URL", caldav(func(r *slotbook.ConnectRequest) { r.Provider, r.Username, r.Password = slotbook.Google, "", "" }),
			slotbook.Invalid, []string{"url"}},
		{"an unknown provider", caldav(func(r *slotbook.ConnectRequest) { r.Provider = "outlook" }), slotbook.Invalid, []string{"provider"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.app.Connect(w.admin(), tt.req)
			wantFields(t, "Connect", err, tt.want, tt.fields...)
		})
	}
	if ks, err := w.store.Connections(t.Context(), "acme", "ana"); err != nil || len(ks) != 0 {
		t.Errorf("connections = %+v, %v; want none", ks, err)
	}
}

// TestConnectKeepsSecretsSealed: an ICS feed's URL is its secret — only
// its host is kept in the clear, it is read-only so never the default —
// and its busy times still block slots. The first writable calendar is
// the default; a second is not.
func TestConnectKeepsSecretsSealed(t *testing.T) {
	w := newWorld(t)
	const feed = "https://feeds.example/private/s3cret-token.ics"
	acct := w.cal.Add(feed, "feeds.example")
	w.busy(acct, slotbook.ExternalEvent{Start: at(9, 0), End: at(10, 0), Busy: true})
	res, err := w.app.Connect(w.admin(), slotbook.ConnectRequest{CompanyID: "acme", EmployeeID: "ana", Provider: slotbook.ICS, URL: feed})
	must(t, "connect the feed", err)
	k, err := w.store.Connection(t.Context(), "acme", "ana", res.Connection.ID)
	must(t, "read the feed's connection", err)
	if k.URL != "" || k.CalendarID != "feed" || k.Account != "feeds.example" || k.IsDefault ||
		bytes.Contains(k.SealedSecret, []byte("s3cret-token")) {
		t.Errorf("stored feed = %+v; want only the host in the clear, the URL sealed, not default", k)
	}
	if got, _ := w.slots("ana"); len(got) != 3 || got[0] != "10:00 ana" {
		t.Errorf("slots with the feed busy 09:00–10:00 = %q, want from 10:00", got)
	}

	first, _ := w.connect("ana", "pass-1")
	second, _ := w.connect("ana", "pass-2")
	if !first.IsDefault || second.IsDefault {
		t.Errorf("defaults: first %v, second %v; want only the first", first.IsDefault, second.IsDefault)
	}
}
