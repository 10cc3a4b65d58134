package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/microsoft/graphtest"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/local/devauth"
	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
	"github.com/slotbook/slotbook/pkg/store/dynamo"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

// Markers of a Microsoft 365 event's content: none may reach the table or a log.
const (
	markGraphSubject  = "MARK-SUBJECT-graph-1b7e"
	markGraphBody     = "MARK-BODY-graph-8c30"
	markGraphLocation = "MARK-LOC-graph-e41d"
)

// TestMicrosoft365EndToEnd connects a Microsoft 365 mailbox through the
// local server, on DynamoDB Local, against a Graph that behaves as
// Microsoft documents it (graphtest: opaque calendar ids, getSchedule by
// SMTP address, errors inside a 200): the consent link goes round the
// provider and back; only the user who started may complete it; the
// connection shows the mailbox's address; its busy time leaves the slots;
// a booking lands in the mailbox and leaves it when cancelled — also when
// the grant was revoked meanwhile, once the calendar is reconnected in
// place. A connection stored the old way, with the calendar id as its
// account, learns the address on its next use. Then the table and the logs
// are scanned: no event content, no token.
func TestMicrosoft365EndToEnd(t *testing.T) {
	g := graphtest.New(t)
	mb := g.AddMailbox("Adele.Vance@contoso.example", "Adele Vance")
	g.SignInAs(mb.Address)
	zurich, _ := time.LoadLocation("Europe/Zurich")
	day := nextTuesday()
	at := func(hour, minute int) time.Time {
		return schedule.At(day, schedule.Clock(hour*60+minute), zurich)
	}
	g.AddEvent(mb.DefaultCalendarID, graphtest.Event{Subject: markGraphSubject, Body: markGraphBody, Location: markGraphLocation,
		Start: at(10, 0), End: at(11, 0)})

	table, keyFile := dynamotest.TableName(t), filepath.Join(t.TempDir(), "seal.key")
	srv := start(t, map[string]string{
		config.EnvPort: "0", config.EnvDynamoDBEndpoint: dynamotest.Endpoint(t), config.EnvTable: table, config.EnvSealKeyFile: keyFile,
		config.EnvMicrosoftClientID: graphtest.ClientID, config.EnvMicrosoftClientSecret: graphtest.ClientSecret,
		config.EnvMicrosoftAuthURL: g.AuthURL, config.EnvMicrosoftTokenURL: g.TokenURL, config.EnvGraphURL: g.BaseURL,
	})
	defer srv.stop()
	admin := regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(srv.stdout.String())[1]
	staff := func(sub string) string {
		tok, err := devauth.Sign(devauth.DefaultSecret, slotbook.Principal{Subject: sub, Company: "demo", Role: slotbook.RoleStaff}, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	call := func(method, path, tok string, body any, header ...string) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		target := path
		if strings.HasPrefix(path, "/") {
			target = srv.base + path
		}
		req, _ := http.NewRequest(method, target, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther {
			return resp.StatusCode, resp.Header.Get("Location")
		}
		return resp.StatusCode, string(b)
	}
	type connection struct {
		ID, Account, CalendarID, Status string
		IsDefault                       bool
		PendingRemovals                 int
	}
	// consent starts a flow as tok (a new connection, or reconnect), goes
	// round the consent page, and returns what the callback hands on.
	consent := func(tok, reconnect string) (ret struct{ Code, State, Complete string }) {
		t.Helper()
		path, body := "/v1/companies/demo/employees/ana/calendars", any(map[string]any{"provider": "microsoft"})
		if reconnect != "" {
			path, body = path+"/"+reconnect+"/reconnect", nil
		}
		code, answer := call("POST", path, tok, body)
		var started struct{ AuthorizationURL string }
		if json.Unmarshal([]byte(answer), &started); code != 202 || !strings.HasPrefix(started.AuthorizationURL, g.AuthURL) {
			t.Fatalf("start: %d %s", code, answer)
		}
		code, back := call("GET", started.AuthorizationURL, "", nil)
		if code != http.StatusFound || !strings.HasPrefix(back, srv.base+"/v1/oauth/callback?") {
			t.Fatalf("consent page: %d %s", code, back)
		}
		code, answer = call("GET", back, "", nil, "Accept", "application/json")
		if json.Unmarshal([]byte(answer), &ret); code != 200 || ret.Complete == "" {
			t.Fatalf("callback: %d %s", code, answer)
		}
		return ret
	}
	calendars := func() []connection {
		t.Helper()
		_, body := call("GET", "/v1/companies/demo/employees/ana/calendars", admin, nil)
		var list struct{ Calendars []connection }
		json.Unmarshal([]byte(body), &list)
		return list.Calendars
	}
	offered := func(employee string) (starts []string, unavailable string) {
		t.Helper()
		code, body := call("GET", "/v1/companies/demo/slots?service=haircut&employee="+employee+"&from="+day.String()+"&to="+day.String(), "", nil)
		var a struct {
			Slots       []struct{ Start string }
			Unavailable []struct{ Reason string }
		}
		if json.Unmarshal([]byte(body), &a); code != 200 {
			t.Fatalf("slots: %d %s", code, body)
		}
		for _, s := range a.Slots {
			starts = append(starts, s.Start[11:16])
		}
		if len(a.Unavailable) > 0 {
			unavailable = a.Unavailable[0].Reason
		}
		return starts, unavailable
	}

	// Connect; the consent page's code is of no use to anyone but the
	// user who started the flow.
	ret := consent(admin, "")
	form := map[string]any{"code": ret.Code, "state": ret.State}
	if code, body := call("POST", ret.Complete, staff("ana"), form); code != 403 {
		t.Errorf("staff completes the admin's flow: %d %s", code, body)
	}
	code, body := call("POST", ret.Complete, admin, form)
	var k connection
	if json.Unmarshal([]byte(body), &k); code != 201 {
		t.Fatalf("complete: %d %s", code, body)
	}
	if k.Account != mb.Address || k.CalendarID != mb.DefaultCalendarID || k.Account == k.CalendarID || !k.IsDefault || k.Status != "connected" {
		t.Errorf("connection = %+v, want the mailbox address as account and the opaque id as calendar", k)
	}
	if code, _ := call("POST", ret.Complete, admin, form); code != 400 {
		t.Errorf("the same code and state again: %d, want 400", code)
	}

	// Its busy time leaves the slots, read with getSchedule for the address.
	starts, why := offered("ana")
	if why != "" || !slices.Contains(starts, "08:00") || slices.Contains(starts, "10:00") || slices.Contains(starts, "10:30") {
		t.Errorf("ana's slots = %v (unavailable %q), want 08:00 free and 10:00–11:00 blocked", starts, why)
	}
	if !scheduleAskedFor(t, g, mb.Address) {
		t.Error("getSchedule was not asked for the mailbox's address")
	}

	// A booking lands in the mailbox, with a link to the dashboard and no
	// cancel token; cancelling removes it.
	book := func(hour int) (id, token string) {
		t.Helper()
		code, body := call("POST", "/v1/companies/demo/bookings", "", map[string]any{
			"service": "haircut", "employee": "ana", "start": at(hour, 0).Format(time.RFC3339),
			"customer": map[string]any{"name": "Graph Customer", "email": "graph@mail.example"}})
		var b struct{ ID, CancelToken string }
		if json.Unmarshal([]byte(body), &b); code != 201 {
			t.Fatalf("book at %d: %d %s", hour, code, body)
		}
		return b.ID, b.CancelToken
	}
	ours := func() []graphtest.Event {
		var out []graphtest.Event
		for _, e := range g.Events(mb.DefaultCalendarID) {
			if e.TransactionID != "" {
				out = append(out, e)
			}
		}
		return out
	}
	id, token := book(8)
	if evs := ours(); len(evs) != 1 || !strings.Contains(evs[0].Body, "#/week?booking="+id) || strings.Contains(evs[0].Body, token) {
		t.Fatalf("events written = %+v", evs)
	}
	if code, _ := call("DELETE", "/v1/companies/demo/bookings/"+id, "", nil, "X-Cancel-Token", token); code != 204 || len(ours()) != 0 {
		t.Errorf("cancel: %d, events left %+v", code, ours())
	}

	// The grant is revoked: the employee gets no slots, a customer's cancel
	// still succeeds, and its event waits until the calendar is reconnected.
	id, token = book(8)
	g.RevokeRefreshTokens(mb.Address)
	if _, why := offered("ana"); why != "calendar_needs_reauth" {
		t.Errorf("after the revocation ana is %q, want calendar_needs_reauth", why)
	}
	if code, body := call("DELETE", "/v1/companies/demo/bookings/"+id, "", nil, "X-Cancel-Token", token); code != 204 {
		t.Fatalf("cancel with the grant revoked: %d %s", code, body)
	}
	if list := calendars(); len(list) != 1 || list[0].Status != "needs_reauth" || list[0].PendingRemovals != 1 || len(ours()) != 1 {
		t.Errorf("after the cancel: %+v, %d events", list, len(ours()))
	}
	ret = consent(admin, k.ID)
	code, body = call("POST", ret.Complete, admin, map[string]any{"code": ret.Code, "state": ret.State})
	var again connection
	if json.Unmarshal([]byte(body), &again); code != 200 || again.ID != k.ID || again.Status != "connected" || !again.IsDefault || again.PendingRemovals != 0 {
		t.Errorf("reconnect: %d %s", code, body)
	}
	if list := calendars(); len(list) != 1 || len(ours()) != 0 {
		t.Errorf("after reconnecting: %+v, events left %+v", list, ours())
	}

	// A connection stored before the fix, with the calendar id as account,
	// learns the mailbox's address on its next use.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store := dynamo.New(dynamotest.Client(t), table)
	sealer, err := seal.NewLocal(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	mb2 := g.AddMailbox("ben.meier@contoso.example", "Ben Meier")
	g.AddEvent(mb2.DefaultCalendarID, graphtest.Event{Subject: markGraphSubject, Start: at(14, 0), End: at(15, 0)})
	old := slotbook.Connection{ID: "legacy-graph", EmployeeID: "ben", Provider: slotbook.Microsoft, Account: mb2.DefaultCalendarID,
		CalendarID: mb2.DefaultCalendarID, CheckConflicts: true, Status: slotbook.Connected, CreatedAt: time.Now()}
	if old.SealedSecret, err = sealer.Seal(ctx, []byte(mb2.RefreshToken), slotbook.SecretContext{Company: "demo", Employee: "ben", Purpose: old.ID}); err != nil {
		t.Fatal(err)
	}
	if err := store.CreateConnection(ctx, "demo", old); err != nil {
		t.Fatal(err)
	}
	starts, why = offered("ben")
	if why != "" || slices.Contains(starts, "14:00") || !slices.Contains(starts, "12:00") {
		t.Errorf("ben's slots with the old connection = %v (unavailable %q)", starts, why)
	}
	if !scheduleAskedFor(t, g, mb2.Address) {
		t.Error("getSchedule was not asked for the learned address")
	}
	if got, err := store.Connection(ctx, "demo", "ben", old.ID); err != nil || got.Account != mb2.Address {
		t.Errorf("the old connection's account is %q (%v), want %s", got.Account, err, mb2.Address)
	}

	// The audit: no event content and no token in the table or the logs.
	secrets := append([]string{markGraphSubject, markGraphBody, markGraphLocation, token, admin}, graphtest.Markers...)
	items := dynamotest.ScanText(t, table)
	if !slices.ContainsFunc(items, func(it string) bool { return strings.Contains(it, "Graph Customer") }) {
		t.Fatal("the scan does not see the bookings' customer: it would miss markers too")
	}
	for _, s := range secrets {
		for i, it := range items {
			if strings.Contains(it, s) {
				t.Errorf("table item %d holds %.24q…: %.200s", i, s, it)
			}
		}
		if strings.Contains(srv.stderr.String(), s) {
			t.Errorf("a log line holds %.24q…", s)
		}
	}
	t.Logf("audit: %d table items and %d log lines scanned for %d markers: 0 found", len(items), strings.Count(srv.stderr.String(), "\n"), len(secrets))
}

// scheduleAskedFor reports whether some getSchedule request asked for
// address (in any case) and none for anything but an address.
func scheduleAskedFor(t *testing.T, g *graphtest.Server, address string) bool {
	t.Helper()
	asked := false
	for _, r := range g.Requests("POST", "/getSchedule") {
		var body map[string]json.RawMessage
		json.Unmarshal(r.Body, &body)
		var schedules []string
		for k, v := range body {
			if strings.EqualFold(k, "schedules") {
				json.Unmarshal(v, &schedules)
			}
		}
		for _, s := range schedules {
			if !strings.Contains(s, "@") {
				t.Errorf("getSchedule asked for %q, which is no address", s)
			}
			if strings.EqualFold(s, address) {
				asked = true
			}
		}
	}
	return asked
}
