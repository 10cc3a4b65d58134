package graphtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/microsoft/graphtest"
	"github.com/slotbook/slotbook/pkg/calendar/oauthtest"
)

var day = time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)

// app is a client application of s, with the credentials s accepts.
func app(s *graphtest.Server) oauthtest.Client {
	return oauthtest.Client{HTTP: s.Client(), AuthURL: s.AuthURL, TokenURL: s.TokenURL, ID: graphtest.ClientID, Secret: graphtest.ClientSecret}
}

func TestIDsAreOpaque(t *testing.T) {
	s := graphtest.New(t)
	mb := s.AddMailbox("adele@contoso.example", "Adele Vance")
	cal := s.AddCalendar(mb.Address, graphtest.Calendar{Name: "Other"})
	ev := s.AddEvent(cal, graphtest.Event{Start: day, End: day.Add(time.Hour)})
	for _, id := range []string{mb.DefaultCalendarID, cal, ev} {
		if strings.Contains(id, "@") || !strings.ContainsAny(id, "/") || !strings.Contains(id, "+") || !strings.HasSuffix(id, "=") {
			t.Errorf("id %q: want an opaque base64 id with '/', '+' and '=' and no '@'", id)
		}
	}
	if mb.DefaultCalendarID == cal {
		t.Error("two calendars have the same id")
	}
}

func TestGetSchedule(t *testing.T) {
	s := graphtest.New(t)
	mb := s.AddMailbox("adele@contoso.example", "Adele Vance")
	s.AddEvent(mb.DefaultCalendarID, graphtest.Event{Subject: "Lunch", Start: day.Add(12 * time.Hour), End: day.Add(13 * time.Hour)})
	at := app(s).AccessToken(t, mb.RefreshToken)

	// PascalCase property names, as the SDK and Microsoft's guide send them;
	// the first address in another case, the second unknown, the third the
	// calendar's id.
	body := `{"Schedules":["ADELE@Contoso.example","nobody@contoso.example","` + mb.DefaultCalendarID + `"],
		"StartTime":{"dateTime":"2025-01-06T00:00:00","timeZone":"UTC"},
		"EndTime":{"dateTime":"2025-01-07T00:00:00","timeZone":"UTC"},"AvailabilityViewInterval":60}`
	var ans struct {
		Value []struct {
			ScheduleID    string `json:"scheduleId"`
			ScheduleItems []struct {
				Status string `json:"status"`
				Start  struct {
					DateTime string `json:"dateTime"`
				} `json:"start"`
			} `json:"scheduleItems"`
			Error *struct {
				Message      string `json:"message"`
				ResponseCode string `json:"responseCode"`
			} `json:"error"`
		} `json:"value"`
	}
	if status := app(s).Call(t, "POST", s.BaseURL+"/me/calendar/getschedule", at, body, &ans); status != http.StatusOK {
		t.Fatalf("getSchedule: status %d, want 200", status)
	}
	if len(ans.Value) != 3 {
		t.Fatalf("getSchedule answered %d schedules, want 3", len(ans.Value))
	}
	if v := ans.Value[0]; v.Error != nil || len(v.ScheduleItems) != 1 || v.ScheduleItems[0].Status != "busy" ||
		v.ScheduleItems[0].Start.DateTime != "2025-01-06T12:00:00.0000000" {
		t.Errorf("known address in another case: %+v, want the lunch as busy", v)
	}
	for _, v := range ans.Value[1:] {
		if v.Error == nil || v.Error.ResponseCode != "ErrorMailRecipientNotFound" || v.ScheduleItems != nil {
			t.Errorf("schedule %q: %+v, want an error inside the 200 and no items", v.ScheduleID, v)
		}
	}

	tooLong := strings.Replace(body, "2025-01-07", "2025-03-09", 1)
	if status := app(s).Call(t, "POST", s.BaseURL+"/me/calendar/getSchedule", at, tooLong, nil); status != http.StatusBadRequest {
		t.Errorf("a window of 62 days: status %d, want 400", status)
	}
}

func TestCalendarsHonourSelectAndCarryOwner(t *testing.T) {
	s := graphtest.New(t)
	mb := s.AddMailbox("adele@contoso.example", "Adele Vance")
	s.AddCalendar(mb.Address, graphtest.Calendar{Name: "Team", ReadOnly: true, OwnerName: "Megan", OwnerAddress: "meganb@contoso.example"})
	at := app(s).AccessToken(t, mb.RefreshToken)
	type owner struct{ Name, Address string }
	var list struct {
		Value []map[string]json.RawMessage `json:"value"`
	}
	app(s).Call(t, "GET", s.BaseURL+"/me/calendars?$select=id,name", at, "", &list)
	for _, c := range list.Value {
		if _, ok := c["owner"]; ok || len(c) != 2+1 { // id, name, @odata.etag
			t.Errorf("$select=id,name answered %v", c)
		}
	}
	var full struct {
		Value []struct {
			ID                string
			IsDefaultCalendar bool
			Owner             owner
		} `json:"value"`
	}
	app(s).Call(t, "GET", s.BaseURL+"/me/calendars?$select=id,isDefaultCalendar,owner", at, "", &full)
	if len(full.Value) != 2 || full.Value[1].ID != mb.DefaultCalendarID || !full.Value[1].IsDefaultCalendar ||
		full.Value[1].Owner.Address != mb.Address || full.Value[0].Owner.Address != "meganb@contoso.example" {
		t.Errorf("calendars = %+v, want the shared one owned by Megan, then the default owned by Adele", full.Value)
	}
	var def struct {
		ID    string
		Owner *owner
	}
	app(s).Call(t, "GET", s.BaseURL+"/me/calendar?$select=id", at, "", &def)
	if def.ID != mb.DefaultCalendarID || def.Owner != nil {
		t.Errorf("default calendar with $select=id = %+v, want the id only", def)
	}
}

func TestCreateEventAndCalendarViewTransactionID(t *testing.T) {
	s := graphtest.New(t)
	mb := s.AddMailbox("adele@contoso.example", "Adele Vance")
	s.AddEvent(mb.DefaultCalendarID, graphtest.Event{Subject: "own", Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour)})
	at := app(s).AccessToken(t, mb.RefreshToken)
	events := s.BaseURL + "/me/calendars/" + url.PathEscape(mb.DefaultCalendarID) + "/events"
	body := `{"Subject":"booking","Start":{"DateTime":"2025-01-06T09:00:00","TimeZone":"UTC"},
		"End":{"DateTime":"2025-01-06T10:00:00","TimeZone":"UTC"},"TransactionId":"tx-1"}`
	var first, second struct{ ID string }
	if status := app(s).Call(t, "POST", events, at, body, &first); status != http.StatusCreated {
		t.Fatalf("create: status %d", status)
	}
	app(s).Call(t, "POST", events, at, body, &second)
	if first.ID == "" || first.ID != second.ID || len(s.Events(mb.DefaultCalendarID)) != 2 {
		t.Errorf("two creates with one transactionId made %q and %q (%d events), want one event",
			first.ID, second.ID, len(s.Events(mb.DefaultCalendarID)))
	}

	view := func(sel string) []map[string]any {
		var ans struct{ Value []map[string]any }
		q := url.Values{"startDateTime": {"2025-01-06T00:00:00"}, "endDateTime": {"2025-01-07T00:00:00Z"}, "$select": {sel}}
		app(s).Call(t, "GET", s.BaseURL+"/me/calendars/"+url.PathEscape(mb.DefaultCalendarID)+"/calendarView?"+q.Encode(), at, "", &ans)
		return ans.Value
	}
	for _, v := range view("subject") {
		if _, ok := v["transactionId"]; ok {
			t.Errorf("$select=subject answered transactionId: %v", v)
		}
	}
	var tids []any
	for _, v := range view("transactionId") {
		if _, ok := v["subject"]; ok {
			t.Errorf("$select=transactionId answered the subject: %v", v)
		}
		if tid, ok := v["transactionId"]; ok {
			tids = append(tids, tid)
		}
	}
	if len(tids) != 1 || tids[0] != "tx-1" {
		t.Errorf("transactionIds = %v, want [tx-1]: only an event that has one returns it", tids)
	}
}

func TestConsentAndTokens(t *testing.T) {
	s := graphtest.New(t)
	s.AddMailbox("adele@contoso.example", "Adele Vance")
	mb := s.AddMailbox("megan@contoso.example", "Megan Bowen")
	s.SignInAs(mb.Address)
	const redirectURI = "https://app.example/cb"
	code := func(scope string) string {
		q := url.Values{"response_type": {"code"}, "scope": {scope}, "redirect_uri": {redirectURI}}
		return app(s).Authorize(t, q).Query().Get("code")
	}
	exchange := func(code string) oauthtest.TokenAnswer {
		_, ans := app(s).Token(t, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirectURI}})
		return ans
	}
	ans := exchange(code("offline_access Calendars.ReadWrite"))
	if ans.RefreshToken == "" {
		t.Fatalf("exchange with offline_access: %+v, want a refresh token", ans)
	}
	var def struct{ Owner struct{ Address string } }
	app(s).Call(t, "GET", s.BaseURL+"/me/calendar", ans.AccessToken, "", &def)
	if def.Owner.Address != mb.Address {
		t.Errorf("the code opened %q's mailbox, want %q's", def.Owner.Address, mb.Address)
	}

	_, rotated := app(s).Token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ans.RefreshToken}})
	if rotated.RefreshToken == "" || rotated.RefreshToken == ans.RefreshToken {
		t.Errorf("refresh answered refresh token %q, want a new one", rotated.RefreshToken)
	}
	if status, _ := app(s).Token(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {ans.RefreshToken}}); status != http.StatusOK {
		t.Errorf("the old refresh token: status %d, want 200 (Microsoft does not revoke it)", status)
	}

	if noOffline := exchange(code("Calendars.ReadWrite")); noOffline.AccessToken == "" || noOffline.RefreshToken != "" {
		t.Errorf("without offline_access: %+v, want an access token only", noOffline)
	}
}
