package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/calendar/caldav/radicaletest"
	"github.com/slotbook/slotbook/pkg/config"
	"github.com/slotbook/slotbook/pkg/mail/maildevtest"
	"github.com/slotbook/slotbook/pkg/schedule"
	"github.com/slotbook/slotbook/pkg/store/dynamo/dynamotest"
)

// Marker strings: external calendar content and credentials that must
// never land in the table or in a log line.
const (
	markCalDAVTitle = "MARK-TITLE-caldav-5f1c"
	markCalDAVDesc  = "MARK-DESC-caldav-9a2e"
	markCalDAVLoc   = "MARK-LOC-caldav-77b0"
	markICSTitle    = "MARK-TITLE-ics-3d8a"
	markICSDesc     = "MARK-DESC-ics-c41f"
	markICSLoc      = "MARK-LOC-ics-e620"
	markPassword    = "pw-MARK-PASS-0b93"
	markFeedToken   = "feedtoken-MARK-URL-6c2d"
)

// nextTuesday returns the first Tuesday at least two days after now in Zurich.
func nextTuesday() schedule.Date {
	z, _ := time.LoadLocation("Europe/Zurich")
	d := schedule.DateOf(time.Now().In(z)).AddDays(2)
	for d.Weekday() != time.Tuesday {
		d = d.AddDays(1)
	}
	return d
}

func vevent(uid, day, from, to, title, desc, loc string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//audit//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Zurich:" + day + "T" + from +
		"\r\nDTEND;TZID=Europe/Zurich:" + day + "T" + to + "\r\nSUMMARY:" + title + "\r\nDESCRIPTION:" + desc +
		"\r\nLOCATION:" + loc + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// TestCalendarsEndToEndAndForgetAfterUse connects a real CalDAV calendar
// (Radicale) and an ICS feed through the local server on DynamoDB Local,
// sees their busy time leave the slots, books into the CalDAV calendar,
// reads the overview with titles, moves the booking (the event moves
// with it, once), cancels — and then scans every table
// item and every log line: no event title, description or location, no
// password, feed URL or cancel token may be there.
func TestCalendarsEndToEndAndForgetAfterUse(t *testing.T) {
	dav := radicaletest.Start(t, radicaletest.Options{Users: map[string]string{"ana": markPassword}})
	calPath := dav.MakeCalendar(t, "ana", markPassword, "work", "Work")
	day := nextTuesday()
	compact := strings.ReplaceAll(day.String(), "-", "")
	dav.Put(t, "ana", markPassword, calPath+"meeting.ics", vevent("audit-1", compact, "100000", "110000", markCalDAVTitle, markCalDAVDesc, markCalDAVLoc))

	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/feeds/"+markFeedToken+".ics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/calendar")
		io.WriteString(w, vevent("audit-2", compact, "110000", "120000", markICSTitle, markICSDesc, markICSLoc))
	}))
	defer feed.Close()

	table := dynamotest.TableName(t)
	md := maildevtest.Start(t)
	srv := start(t, map[string]string{
		config.EnvPort: "0", config.EnvDynamoDBEndpoint: dynamotest.Endpoint(t), config.EnvTable: table,
		config.EnvSealKeyFile: filepath.Join(t.TempDir(), "seal.key"), config.EnvSMTPURL: md.SMTPURL,
	})
	defer srv.stop()
	admin := regexp.MustCompile(`export TOKEN=(\S+)`).FindStringSubmatch(srv.stdout.String())[1]
	call := func(method, path, tok string, body any, header ...string) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = strings.NewReader(string(b))
		}
		req, _ := http.NewRequest(method, srv.base+path, rd)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// Connect both calendars, titles shown in the overview.
	code, body := call("POST", "/v1/companies/demo/employees/ana/calendars", admin, map[string]any{
		"provider": "caldav", "url": dav.URL + "/", "username": "ana", "password": markPassword, "showInOverview": true})
	if code != 201 || !strings.Contains(body, `"isDefault":true`) {
		t.Fatalf("connect CalDAV: %d %s", code, body)
	}
	var davConn struct{ ID string }
	json.Unmarshal([]byte(body), &davConn)
	code, body = call("POST", "/v1/companies/demo/employees/ben/calendars", admin, map[string]any{
		"provider": "ics", "url": feed.URL + "/feeds/" + markFeedToken + ".ics", "showInOverview": true})
	if code != 201 {
		t.Fatalf("connect ICS: %d %s", code, body)
	}
	var icsConn struct{ ID string }
	json.Unmarshal([]byte(body), &icsConn)

	// Their busy times leave the slots: a haircut is 30 minutes + 10 after.
	code, body = call("GET", "/v1/companies/demo/slots?service=haircut&from="+day.String()+"&to="+day.String(), "", nil)
	if code != 200 {
		t.Fatalf("slots: %d %s", code, body)
	}
	var slots struct {
		Slots       []struct{ Start, Employee string }
		Unavailable []any
	}
	json.Unmarshal([]byte(body), &slots)
	offered := map[string][]string{}
	for _, s := range slots.Slots {
		offered[s.Employee] = append(offered[s.Employee], s.Start[11:16])
	}
	if len(slots.Unavailable) != 0 {
		t.Fatalf("unavailable: %v", slots.Unavailable)
	}
	for _, c := range []struct {
		employee  string
		free, not []string
	}{
		{"ana", []string{"08:00", "09:15", "11:00"}, []string{"09:30", "10:00", "10:45"}},
		{"ben", []string{"10:00", "10:15", "12:00"}, []string{"10:30", "11:00", "11:45"}},
	} {
		for _, s := range c.free {
			if !slices.Contains(offered[c.employee], s) {
				t.Errorf("%s at %s is not offered: %v", c.employee, s, offered[c.employee])
			}
		}
		for _, s := range c.not {
			if slices.Contains(offered[c.employee], s) {
				t.Errorf("%s at %s is offered over an external event", c.employee, s)
			}
		}
	}

	// Why ana is not offered at 10:00: the Radicale event, named by its
	// connection only — though the overview may show its title.
	code, body = call("GET", "/v1/companies/demo/availability/explain?service=haircut&employee=ana&date="+day.String(), admin, nil)
	if code != 200 || !strings.Contains(body, `{"start":"`+day.String()+`T10:00:00+01:00","free":false,"reasons":[{"code":"EXTERNAL_BUSY","calendar":"`+davConn.ID+`"}]}`) {
		t.Errorf("explain ana: %d %s", code, body)
	}
	code, body = call("GET", "/v1/companies/demo/availability/explain?service=haircut&employee=ben&date="+day.String(), admin, nil)
	if code != 200 || !strings.Contains(body, `"code":"EXTERNAL_BUSY","calendar":"`+icsConn.ID+`"`) {
		t.Errorf("explain ben: %d %s", code, body)
	}
	for _, who := range []string{"ana", "ben"} {
		_, body := call("GET", "/v1/companies/demo/availability/explain?service=haircut&employee="+who+"&date="+day.String(), admin, nil)
		for _, m := range []string{markCalDAVTitle, markCalDAVDesc, markCalDAVLoc, markICSTitle, markICSDesc, markICSLoc, markFeedToken} {
			if strings.Contains(body, m) {
				t.Errorf("the explanation for %s shows %q", who, m)
			}
		}
	}

	// The first free start reads the same calendars live, and says no more.
	for _, who := range []string{"ana", "ben"} {
		code, body := call("GET", "/v1/companies/demo/next-free?service=haircut&employee="+who, "", nil)
		var next struct {
			Start       *string
			Unavailable []any
		}
		json.Unmarshal([]byte(body), &next)
		if code != 200 || next.Start == nil || len(next.Unavailable) != 0 {
			t.Errorf("next free for %s: %d %s", who, code, body)
		} else if strings.HasPrefix(*next.Start, day.String()) && !slices.Contains(offered[who], (*next.Start)[11:16]) {
			t.Errorf("next free for %s is %s, which the slots do not offer: %v", who, *next.Start, offered[who])
		}
		for _, m := range []string{markCalDAVTitle, markCalDAVDesc, markCalDAVLoc, markICSTitle, markICSDesc, markICSLoc, markFeedToken} {
			if strings.Contains(body, m) {
				t.Errorf("the next free start for %s shows %q", who, m)
			}
		}
	}

	// A CRM subscribes to the booking events (local mode: on loopback).
	var hookMu sync.Mutex
	var hookBodies []string
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hookMu.Lock()
		hookBodies = append(hookBodies, string(b))
		hookMu.Unlock()
	}))
	defer crm.Close()
	code, body = call("POST", "/v1/companies/demo/webhooks", admin, map[string]any{"url": crm.URL + "/slotbook",
		"events": []string{"booking.created", "booking.rescheduled", "booking.cancelled"}})
	var hook struct{ Secret string }
	json.Unmarshal([]byte(body), &hook)
	if code != 201 || hook.Secret == "" {
		t.Fatalf("subscribe: %d %s", code, body)
	}

	// A booking lands in the CalDAV calendar, and leaves it when cancelled.
	code, body = call("POST", "/v1/companies/demo/bookings", "", map[string]any{
		"service": "haircut", "employee": "ana", "start": day.String() + "T08:00:00+01:00",
		"customer": map[string]any{"name": "Audit Customer", "email": "audit@mail.example"}})
	if code != 201 {
		t.Fatalf("book: %d %s", code, body)
	}
	var booked struct{ ID, CancelToken string }
	json.Unmarshal([]byte(body), &booked)
	objects := dav.Objects(t, "ana", markPassword, calPath)
	if len(objects) != 2 {
		t.Fatalf("calendar objects after booking: %v", objects)
	}
	var event string
	for _, o := range objects {
		if _, b := dav.Get(t, "ana", markPassword, o); strings.Contains(b, "Haircut – Audit Customer") {
			event = b
		}
	}
	if event == "" || !strings.Contains(event, booked.ID) {
		t.Errorf("no booking event in the calendar: %v", objects)
	}

	code, body = call("GET", "/v1/companies/demo/overview?from="+day.String()+"&to="+day.String(), admin, nil)
	if code != 200 || !strings.Contains(body, markCalDAVTitle) || !strings.Contains(body, markICSTitle) {
		t.Errorf("overview with titles: %d %s", code, body)
	}
	if strings.Contains(body, markCalDAVDesc) || strings.Contains(body, markCalDAVLoc) || strings.Contains(body, markICSLoc) {
		t.Errorf("the overview shows more than titles: %s", body)
	}

	// The confirmations go out within seconds (a booking cancelled before
	// they went would get none, only the cancellation).
	if mails := md.WaitFor(2, 30*time.Second); len(mails) != 2 {
		t.Fatalf("%d confirmations arrived, want 2", len(mails))
	}

	// The customer moves it by a quarter of an hour, over its own time
	// and its own event: the calendar then holds the event once, moved.
	code, body = call("GET", "/v1/companies/demo/slots?service=haircut&employee=ana&from="+day.String()+"&to="+day.String()+"&booking="+booked.ID,
		"", nil, "X-Cancel-Token", booked.CancelToken)
	if code != 200 || !strings.Contains(body, day.String()+"T08:15:00+01:00") {
		t.Errorf("the slots for the move lack 08:15: %d %s", code, body)
	}
	code, body = call("POST", "/v1/companies/demo/bookings/"+booked.ID+"/reschedule", "", map[string]any{"start": day.String() + "T08:15:00+01:00"},
		"X-Cancel-Token", booked.CancelToken)
	if code != 200 || !strings.Contains(body, `"rescheduleCount":1`) {
		t.Fatalf("reschedule: %d %s", code, body)
	}
	objects = dav.Objects(t, "ana", markPassword, calPath)
	moved := 0
	for _, o := range objects {
		if _, b := dav.Get(t, "ana", markPassword, o); strings.Contains(b, "Haircut – Audit Customer") {
			moved++
			if !strings.Contains(b, compact+"T081500") || strings.Contains(b, compact+"T080000") {
				t.Errorf("the moved event is not at 08:15: %s", b)
			}
		}
	}
	if len(objects) != 2 || moved != 1 {
		t.Errorf("calendar objects after the move: %v (%d booking events), want the meeting and one booking event", objects, moved)
	}
	if mails := md.WaitFor(4, 30*time.Second); len(mails) != 4 {
		t.Fatalf("%d mails after the move, want 4", len(mails))
	}

	code, _ = call("DELETE", "/v1/companies/demo/bookings/"+booked.ID, "", nil, "X-Cancel-Token", booked.CancelToken)
	if code != 204 || len(dav.Objects(t, "ana", markPassword, calPath)) != 1 {
		t.Errorf("cancel: %d, objects %v", code, dav.Objects(t, "ana", markPassword, calPath))
	}

	// The mails: the local server sends them within seconds — to the
	// customer and to ana, on booking, on the move and on cancel.
	mails := md.WaitFor(6, 30*time.Second)
	if len(mails) != 6 {
		t.Fatalf("%d mails arrived, want 6", len(mails))
	}

	// The company's own routes join the scan: closures and their import.
	if code, body := call("POST", "/v1/companies/demo/closures/import", admin, map[string]any{"region": "CH-ZH", "year": day.Year + 1}); code != 200 {
		t.Errorf("import holidays: %d %s", code, body)
	}
	if code, body := call("GET", "/v1/companies/demo/overview?from="+day.String()+"&to="+day.String(), admin, nil); code != 200 || !strings.Contains(body, `"closures":`) {
		t.Errorf("overview with closures: %d %s", code, body)
	}

	// The CRM got one event per change, within seconds (the local server's
	// loop), with the customer but nothing of the calendars.
	deadline := time.Now().Add(30 * time.Second)
	for {
		hookMu.Lock()
		n := len(hookBodies)
		hookMu.Unlock()
		if n >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	hookMu.Lock()
	events := slices.Clone(hookBodies)
	hookMu.Unlock()
	types := map[string]int{}
	for _, b := range events {
		var ev struct{ Type string }
		json.Unmarshal([]byte(b), &ev)
		types[ev.Type]++
	}
	if len(events) != 3 || types["booking.created"] != 1 || types["booking.rescheduled"] != 1 || types["booking.cancelled"] != 1 {
		t.Errorf("the CRM got %v, want one event of each kind", types)
	}

	// The audit.
	secrets := []string{markCalDAVTitle, markCalDAVDesc, markCalDAVLoc, markICSTitle, markICSDesc, markICSLoc,
		markPassword, markFeedToken, booked.CancelToken, admin, hook.Secret}
	tokenMails := 0
	for _, m := range mails {
		p, err := maildevtest.Parse(m.Source)
		if err != nil {
			t.Fatalf("mail %q: %v", m.Subject, err)
		}
		src := p.Text() + string(m.Source)
		if !strings.Contains(src, "Audit Customer") {
			t.Fatalf("a mail does not name the customer; the scan would miss markers too: %s", m.Subject)
		}
		for _, s := range secrets {
			if strings.Contains(src, s) && s != booked.CancelToken {
				t.Errorf("the mail %q holds %.24q…", m.Subject, s)
			}
		}
		// The cancel token is in the customer's confirmation and move mail
		// only (their cancel and reschedule links).
		if strings.Contains(src, booked.CancelToken) {
			tokenMails++
			if !slices.Equal(m.To(), []string{"audit@mail.example"}) {
				t.Errorf("the cancel token went to %v", m.To())
			}
		}
	}
	if tokenMails != 2 {
		t.Errorf("the cancel token is in %d mails, want the customer's confirmation and move mail only", tokenMails)
	}
	items := dynamotest.ScanText(t, table)
	if len(items) < 10 {
		t.Fatalf("only %d items scanned", len(items))
	}
	// Positive controls: the scans do see slotbook's own data.
	if !slices.ContainsFunc(items, func(it string) bool { return strings.Contains(it, "Audit Customer") }) {
		t.Fatal("the scan does not see the booking's customer: it would miss markers too")
	}
	for _, s := range secrets {
		for i, it := range items {
			if strings.Contains(it, s) {
				t.Errorf("table item %d holds %.24q…: %.200s", i, s, it)
			}
		}
	}
	for _, ev := range events {
		if !strings.Contains(ev, "Audit Customer") {
			t.Errorf("an event lacks the customer; the scan would miss markers too: %s", ev)
		}
		for _, m := range secrets {
			if strings.Contains(ev, m) {
				t.Errorf("a webhook event holds %.24q…", m)
			}
		}
	}
	logs := srv.stderr.String()
	lines := strings.Count(logs, "\n")
	if !strings.Contains(logs, `"route":"POST /v1/companies/{companyId}/bookings"`) {
		t.Fatal("the captured logs lack the booking's request line")
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a log line holds %.24q…", s)
		}
	}
	t.Logf("audit: %d table items, %d log lines, %d mails and %d webhook events scanned for %d markers (titles, descriptions, locations of 2 calendars; the CalDAV password; the feed URL's token; the cancel token; the admin JWT; the webhook secret): 0 found (the cancel token only in the customer's confirmation and move mail)", len(items), lines, len(mails), len(events), len(secrets))
}
