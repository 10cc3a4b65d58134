package schedule

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestExplainProperties: over random setups (hours, overrides, absences,
// external busy times, unreadable calendars, bookings with buffers,
// closures, notice, horizon, DST dates), the free candidates of Explain
// are exactly the slots of Slots, every other candidate has at least one
// reason, and every reason given is true by a plain reading of the rules.
func TestExplainProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := rapidChooser{t}
		q := drawQuery(c, t)
		for i := range q.Busy {
			kind := FromCalendar
			switch c.intRange(0, 5, "sourceKind") {
			case 0, 1:
				kind = FromAbsence
			case 2:
				kind = FromUnreadable
			}
			q.BusySources = append(q.BusySources, Source{kind, fmt.Sprint("busy", i)})
		}
		for i := range q.Bookings {
			q.BookingIDs = append(q.BookingIDs, fmt.Sprint("booking", i))
		}
		for range c.intRange(0, 2, "closures") {
			d := q.From.AddDays(c.intRange(-1, q.From.DaysUntil(q.To)+1, "closedDate"))
			q.Closed = append(q.Closed, Interval{At(d, 0, q.Zone), At(d.AddDays(1), 0, q.Zone)})
		}
		checkExplain(t, q)
	})
}

// checkExplain checks Explain(q) against Slots(q) and the rules.
func checkExplain(t fataler, q Query) {
	got, err := Explain(q)
	if err != nil {
		t.Fatalf("Explain: %v\n%s", err, describe(q))
	}
	slots, err := Slots(q)
	if err != nil {
		t.Fatalf("Slots: %v", err)
	}
	var free []time.Time
	for i, cand := range got {
		if i > 0 && !got[i-1].Start.Before(cand.Start) {
			t.Fatalf("candidates out of order or twice at %v\n%s", cand.Start, describe(q))
		}
		if cand.Free != (len(cand.Reasons) == 0) {
			t.Fatalf("candidate %v free %v with reasons %v", cand.Start, cand.Free, cand.Reasons)
		}
		if cand.Free {
			free = append(free, cand.Start)
		}
		for _, r := range cand.Reasons {
			if why := falseReason(q, cand.Start, r); why != "" {
				t.Fatalf("start %v: reason %v is not true: %s\n%s", cand.Start, r, why, describe(q))
			}
		}
	}
	var want []time.Time
	for _, s := range slots {
		want = append(want, s.Start)
	}
	if !slices.EqualFunc(free, want, time.Time.Equal) {
		t.Fatalf("free candidates %v, slots %v\n%s", free, want, describe(q))
	}
}

// falseReason returns why reason r of start s does not hold in q, or ""
// if it does: each reason read plainly from the rules, apart from the
// engine.
func falseReason(q Query, s time.Time, r Reason) string {
	e := s.Add(q.Duration)
	from, to := s.Add(-q.BufferBefore), e.Add(q.BufferAfter)
	switch r.Code {
	case ReasonMinNotice:
		if !s.Before(q.Now.Add(q.MinNotice)) {
			return "the start is not sooner than the notice"
		}
	case ReasonBeyondHorizon:
		if s.Before(q.Now.Add(time.Duration(q.HorizonDays) * 24 * time.Hour)) {
			return "the start is inside the horizon"
		}
	case ReasonClosure:
		if !slices.ContainsFunc(q.Closed, func(c Interval) bool { return overlaps(s, e, c.Start, c.End) }) {
			return "no closure overlaps the slot"
		}
	case ReasonDoesntFit:
		first, last := datesAround(q, s, e)
		union := merge(dayWindows(q, first, last, refAt), true)
		if covered(union, s, e) {
			return "the slot lies inside availability"
		}
	case ReasonAbsence, ReasonExternalBusy, ReasonUnreadable:
		kind := map[ReasonCode]SourceKind{ReasonAbsence: FromAbsence, ReasonExternalBusy: FromCalendar, ReasonUnreadable: FromUnreadable}[r.Code]
		i := slices.IndexFunc(q.BusySources, func(src Source) bool { return src == Source{kind, r.ID} })
		if i < 0 {
			return "no such busy time"
		}
		if b := q.Busy[i]; !overlaps(from, to, b.Start, b.End) {
			return "the busy time is clear of the slot and its buffers"
		}
	case ReasonBooked, ReasonBuffer:
		i := slices.Index(q.BookingIDs, r.ID)
		if i < 0 {
			return "no such booking"
		}
		b := q.Bookings[i]
		own := overlaps(s, e, b.Start, b.End)
		widened := overlaps(from, to, b.Start.Add(-b.BufferBefore), b.End.Add(b.BufferAfter))
		if r.Code == ReasonBooked && !own {
			return "the slot does not overlap the booking"
		}
		if r.Code == ReasonBuffer && (own || !widened) {
			return "not only buffers collide"
		}
	default:
		return "unknown reason"
	}
	return ""
}

// TestExplainReasons: each reason alone, and several at once, at a start
// of a plain setup: Monday 2027-03-01 09:00–12:00 in Zurich, 30-minute
// grid and service, asked long before, with a wide horizon.
func TestExplainReasons(t *testing.T) {
	zurich := loadZone(t, "Europe/Zurich")
	day := Date{2027, time.March, 1}
	at := func(hh, mm int) time.Time { return time.Date(2027, 3, 1, hh, mm, 0, 0, zurich) }
	var a Availability
	a.Weekly[time.Monday] = []Range{{mustClock(t, "09:00"), mustClock(t, "12:00")}}
	base := func() Query {
		return Query{Zone: zurich, Viewer: zurich, Availability: a, Duration: 30 * time.Minute, Step: 30 * time.Minute,
			Now: at(0, 0).AddDate(0, -1, 0), HorizonDays: 365, From: day, To: day}
	}
	type want map[string][]Reason // "HH:MM" → reasons (nil: free)
	cases := []struct {
		name string
		edit func(*Query)
		want want
	}{
		{"free", func(*Query) {}, want{"09:00": nil, "11:30": nil}},
		{"absence", func(q *Query) {
			q.Busy, q.BusySources = []Interval{{at(10, 0), at(10, 30)}}, []Source{{FromAbsence, "ab1"}}
		}, want{"10:00": {{ReasonAbsence, "ab1"}}, "09:30": nil, "10:30": nil}},
		{"external busy names its calendar", func(q *Query) {
			q.Busy, q.BusySources = []Interval{{at(10, 15), at(10, 20)}}, []Source{{FromCalendar, "k1"}}
		}, want{"10:00": {{ReasonExternalBusy, "k1"}}, "10:30": nil}},
		{"an unreadable calendar blocks every start", func(q *Query) {
			q.Busy, q.BusySources = []Interval{{at(0, 0), at(24, 0)}}, []Source{{FromUnreadable, "k2"}}
		}, want{"09:00": {{ReasonUnreadable, "k2"}}, "11:30": {{ReasonUnreadable, "k2"}}}},
		{"booked, and a booking's buffer", func(q *Query) {
			q.Bookings, q.BookingIDs = []Booking{{Start: at(10, 0), End: at(10, 30), BufferAfter: 15 * time.Minute}}, []string{"b1"}
		}, want{"10:00": {{ReasonBooked, "b1"}}, "10:30": {{ReasonBuffer, "b1"}}, "09:30": nil, "11:00": nil}},
		{"the service's own buffer", func(q *Query) {
			q.BufferBefore = 10 * time.Minute
			q.Bookings, q.BookingIDs = []Booking{{Start: at(9, 30), End: at(10, 0)}}, []string{"b2"}
		}, want{"09:30": {{ReasonBooked, "b2"}}, "10:00": {{ReasonBuffer, "b2"}}, "10:30": nil}},
		{"doesn't fit the window", func(q *Query) { q.Duration = 45 * time.Minute },
			want{"11:00": nil, "11:30": {{ReasonDoesntFit, ""}}}},
		{"minimum notice", func(q *Query) { q.Now, q.MinNotice = at(8, 0), 2*time.Hour },
			want{"09:30": {{ReasonMinNotice, ""}}, "10:00": nil}},
		{"beyond the horizon", func(q *Query) { q.Now, q.HorizonDays = at(10, 0).AddDate(0, 0, -1), 1 },
			want{"09:30": nil, "10:00": {{ReasonBeyondHorizon, ""}}}},
		{"a closed date", func(q *Query) { q.Closed = []Interval{{At(day, 0, zurich), At(day.AddDays(1), 0, zurich)}} },
			want{"09:00": {{ReasonClosure, ""}}, "11:30": {{ReasonClosure, ""}}}},
		{"all at once", func(q *Query) {
			q.Now, q.MinNotice = at(8, 0), 3*time.Hour
			q.Duration = 45 * time.Minute
			q.Busy, q.BusySources = []Interval{{at(11, 0), at(12, 0)}, {at(11, 40), at(11, 45)}},
				[]Source{{FromAbsence, "ab1"}, {FromCalendar, "k1"}}
			q.Bookings, q.BookingIDs = []Booking{{Start: at(11, 30), End: at(12, 0)}}, []string{"b1"}
			q.Closed = []Interval{{At(day, 0, zurich), At(day.AddDays(1), 0, zurich)}}
		}, want{"10:30": {{ReasonMinNotice, ""}, {ReasonClosure, ""}, {ReasonAbsence, "ab1"}},
			"11:30": {{ReasonClosure, ""}, {ReasonDoesntFit, ""}, {ReasonAbsence, "ab1"}, {ReasonExternalBusy, "k1"}, {ReasonBooked, "b1"}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := base()
			tc.edit(&q)
			got, err := Explain(q)
			if err != nil {
				t.Fatal(err)
			}
			checkExplain(t, q)
			for hhmm, reasons := range tc.want {
				i := slices.IndexFunc(got, func(c Candidate) bool { return c.Start.Format("15:04") == hhmm })
				if i < 0 {
					t.Errorf("no candidate at %s in %v", hhmm, got)
					continue
				}
				if !slices.Equal(got[i].Reasons, reasons) {
					t.Errorf("%s: reasons %v, want %v", hhmm, got[i].Reasons, reasons)
				}
			}
		})
	}
}

// TestExplainAGapNextToAClosure: a closure that takes part of a window
// (a night shift across midnight into a closed date) leaves the starts
// of the window's grid that it covers as candidates with CLOSURE.
func TestExplainAGapNextToAClosure(t *testing.T) {
	zurich := loadZone(t, "Europe/Zurich")
	var a Availability
	a.Weekly[time.Monday] = []Range{{mustClock(t, "22:00"), EndOfDay}}
	a.Weekly[time.Tuesday] = []Range{{0, mustClock(t, "02:00")}}
	tue := Date{2027, time.March, 2}
	q := Query{Zone: zurich, Viewer: zurich, Availability: a, Duration: 30 * time.Minute, Step: 45 * time.Minute,
		Now: time.Date(2027, 1, 1, 0, 0, 0, 0, zurich), HorizonDays: 365, From: tue.AddDays(-1), To: tue,
		Closed: []Interval{{At(tue, 0, zurich), At(tue.AddDays(1), 0, zurich)}}}
	got, err := Explain(q)
	if err != nil {
		t.Fatal(err)
	}
	checkExplain(t, q)
	var closed int
	for _, c := range got {
		if slices.Contains(c.Reasons, Reason{ReasonClosure, ""}) {
			closed++
		}
	}
	if closed == 0 {
		t.Errorf("no start after midnight has CLOSURE: %v", got)
	}
}
