package caldav_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/slotbook/slotbook/pkg/calendar/caldav"
	"github.com/slotbook/slotbook/pkg/calendar/caldav/xandikostest"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// The same provider against Xandikos, a second and stricter server: it
// answers partial calendar-data with 404 for events that lack a property
// asked for, does not expand recurrences in its time-range filter, reads
// floating times in UTC, and answers a refused PUT with 207.

// startXandikos starts Xandikos with the fixtures, recurrenceFixtures and
// overridesOnly in its default calendar.
func startXandikos(t *testing.T) *xandikostest.Server {
	t.Helper()
	s := xandikostest.Start(t)
	for _, set := range []map[string]string{fixtures, recurrenceFixtures, overridesOnly} {
		for name, text := range set {
			s.Put(t, xandikostest.Calendar+name, text)
		}
	}
	return s
}

func TestXandikosCalendars(t *testing.T) {
	s := xandikostest.Start(t)
	s.MakeCalendar(t, "work", "Work")
	p := newProvider()
	got, err := p.Calendars(context.Background(), account(s.URL, "user", "any"))
	if err != nil {
		t.Fatalf("Calendars: %v", err)
	}
	var ids []string
	for _, c := range got {
		ids = append(ids, c.ID)
		if c.ReadOnly {
			t.Errorf("calendar %+v is read-only, want writable", c)
		}
	}
	slices.Sort(ids)
	if want := []string{xandikostest.Calendar, "/user/calendars/work/"}; !slices.Equal(ids, want) {
		t.Errorf("calendar IDs = %v, want %v", ids, want)
	}
	if len(got) > 0 && !got[0].Primary {
		t.Errorf("first calendar %+v is not the primary", got[0])
	}

	t.Run("a server URL whose path does not exist is not found", func(t *testing.T) {
		// Xandikos answers such a PROPFIND with 207 and the 404 inside.
		_, err := p.Calendars(context.Background(), account(s.URL+"/no-such-dav/", "user", "any"))
		if !errors.Is(err, slotbook.ErrCalendarNotFound) || errors.Is(err, slotbook.ErrCalendarAuth) {
			t.Errorf("Calendars = %v, want ErrCalendarNotFound only", err)
		}
	})
	t.Run("a calendar that does not exist is not found", func(t *testing.T) {
		res, err := p.Busy(context.Background(), account(s.URL, "user", "any"), []string{"/user/calendars/missing/"}, at("2025-03-03 00:00"), at("2025-03-10 00:00"))
		if err != nil || !errors.Is(res[0].Err, slotbook.ErrCalendarNotFound) {
			t.Errorf("Busy = %+v, %v, want the calendar's error to be ErrCalendarNotFound", res, err)
		}
		_, err = p.PutEvent(context.Background(), account(s.URL, "user", "any"), "/user/calendars/missing/",
			slotbook.EventDraft{Key: "k", Title: "x", Start: at("2025-03-03 10:00"), End: at("2025-03-03 11:00")})
		if !errors.Is(err, slotbook.ErrCalendarNotFound) {
			t.Errorf("PutEvent = %v, want ErrCalendarNotFound", err)
		}
	})
}

func TestXandikosBusy(t *testing.T) {
	s := startXandikos(t)
	p, acct := newProvider(), account(s.URL, "user", "any")
	t.Run("recurrence with EXDATE and a moved instance, all-day; transparent, cancelled and later events left out", func(t *testing.T) {
		res, err := p.Busy(context.Background(), acct, []string{xandikostest.Calendar}, at("2025-03-03 00:00"), at("2025-03-10 00:00"))
		if err != nil || res[0].Err != nil {
			t.Fatalf("Busy: %v %+v", err, res)
		}
		want := "03-03 09:00/03-03 10:00, 03-04 16:00/03-04 17:00, 03-05 00:00/03-06 00:00"
		if got := spans(res[0].Busy); got != want {
			t.Errorf("Busy =\n  %s\nwant\n  %s", got, want)
		}
	})
	t.Run("series begun before the window, RDATE, overrides only, floating at the end; again and again", func(t *testing.T) {
		// From its seventh query with the same filter Xandikos filters by
		// an index that holds only the first VEVENT of each object.
		checkMarchBusy(t, p, acct, xandikostest.Calendar, 8, strings.Replace(marchBusy,
			"03-25 16:00/03-25 17:00,", "03-25 16:00/03-25 17:00, 03-27 10:00/03-27 11:00,", 1))
	})
}

func TestXandikosEvents(t *testing.T) {
	s := startXandikos(t)
	got, err := newProvider().Events(context.Background(), account(s.URL, "user", "any"), xandikostest.Calendar, at("2025-03-17 00:00"), at("2025-03-24 00:00"))
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	var lines []string
	for _, e := range got {
		lines = append(lines, fmt.Sprintf("%s/%s %q busy=%v", e.Start.In(zurich).Format("01-02 15:04"), e.End.In(zurich).Format("01-02 15:04"), e.Title, e.Busy))
	}
	want := []string{
		`03-18 14:00/03-18 15:00 "` + markerSummary + ` moved" busy=true`,
		`03-18 16:00/03-18 17:00 "Weekly" busy=true`,
		`03-20 12:00/03-20 13:00 "Twice" busy=true`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("Events =\n  %s\nwant\n  %s", strings.Join(lines, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestXandikosWrites(t *testing.T) {
	s := xandikostest.Start(t)
	cal := s.MakeCalendar(t, "work", "Work")
	p, acct := newProvider(), account(s.URL, "user", "any")
	ctx := context.Background()
	draft := slotbook.EventDraft{
		Key: "booking-42", Title: "Haircut: Jane", Description: "Booked through slotbook.",
		Start: at("2025-03-30 01:30"), End: at("2025-03-30 03:30"), TimeZone: "Europe/Zurich",
	}
	wantID := cal + caldav.UID("booking-42") + ".ics"

	t.Run("PutEvent writes one object, twice", func(t *testing.T) {
		for range 2 {
			id, err := p.PutEvent(ctx, acct, cal, draft)
			if err != nil || id != wantID {
				t.Fatalf("PutEvent = %q, %v, want %q", id, err, wantID)
			}
		}
		if objs := s.Objects(t, cal); !slices.Equal(objs, []string{wantID}) {
			t.Errorf("objects = %v, want [%s]", objs, wantID)
		}
		res, err := p.Busy(ctx, acct, []string{cal}, at("2025-03-29 00:00"), at("2025-03-31 00:00"))
		if err != nil || res[0].Err != nil || len(res[0].Busy) != 1 || !res[0].Busy[0].Start.Equal(draft.Start) || !res[0].Busy[0].End.Equal(draft.End) {
			t.Errorf("Busy after PutEvent = %+v, %v, want %s/%s", res, err, draft.Start, draft.End)
		}
	})
	t.Run("a PUT Xandikos refuses is an error, not an event id", func(t *testing.T) {
		// Another object already holds the UID PutEvent would write: the
		// server refuses, with 207.
		clash := slotbook.EventDraft{Key: "booking-43", Title: "x", Start: at("2025-04-01 10:00"), End: at("2025-04-01 11:00")}
		s.Put(t, cal+"imported.ics", object("BEGIN:VEVENT\nUID:"+caldav.UID("booking-43")+"\nDTSTAMP:20250101T000000Z\nDTSTART:20250401T080000Z\nDTEND:20250401T090000Z\nEND:VEVENT\n"))
		id, err := p.PutEvent(ctx, acct, cal, clash)
		if err == nil {
			t.Fatalf("PutEvent = %q, nil, want an error", id)
		}
		checkClean(t, err, "any")
		if status, _ := s.Get(t, cal+caldav.UID("booking-43")+".ics"); status != http.StatusNotFound {
			t.Errorf("GET of the refused object: %d, want 404", status)
		}
	})
	t.Run("DeleteDraftEvent removes the draft's event without its id, twice", func(t *testing.T) {
		if err := p.DeleteDraftEvent(ctx, acct, cal, draft); err != nil {
			t.Fatalf("DeleteDraftEvent: %v", err)
		}
		if status, _ := s.Get(t, wantID); status != http.StatusNotFound {
			t.Errorf("GET after DeleteDraftEvent: %d, want 404", status)
		}
		if err := p.DeleteDraftEvent(ctx, acct, cal, draft); err != nil {
			t.Errorf("DeleteDraftEvent again: %v, want nil", err)
		}
	})
	t.Run("DeleteEvent removes an event by its id, twice", func(t *testing.T) {
		id, err := p.PutEvent(ctx, acct, cal, slotbook.EventDraft{Key: "b-1", Title: "x", Start: at("2025-04-02 10:00"), End: at("2025-04-02 11:00")})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.DeleteEvent(ctx, acct, cal, id); err != nil {
			t.Fatalf("DeleteEvent: %v", err)
		}
		if objs := s.Objects(t, cal); slices.Contains(objs, id) {
			t.Errorf("objects after DeleteEvent = %v, still with %s", objs, id)
		}
		if err := p.DeleteEvent(ctx, acct, cal, id); err != nil {
			t.Errorf("DeleteEvent again: %v, want nil", err)
		}
	})
}
