package schedule

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// propertyZones are the zones random queries are drawn from: plain ones,
// half- and quarter-hour offsets, 30-minute DST (Lord Howe), DST changes
// at midnight (Santiago, Havana, Beirut) or just before it (Nuuk), a
// two-hour change (Troll), negative DST (Dublin), Ramadan changes
// (Casablanca), +13/+13:45 offsets (Apia, Chatham).
var propertyZones = []string{
	"UTC",
	"Europe/Zurich",
	"America/New_York",
	"Australia/Lord_Howe",
	"Asia/Kolkata",
	"Asia/Kathmandu",
	"America/Santiago",
	"America/Havana",
	"Pacific/Apia",
	"Pacific/Chatham",
	"America/St_Johns",
	"Europe/Dublin",
	"Africa/Casablanca",
	"America/Nuuk",
	"Asia/Beirut",
	"Antarctica/Troll",
}

// specialClocks are wall clocks near the DST changes of propertyZones
// (02:00, 02:30, 01:30, 00:00, 23:00, 24:00…), drawn more often than
// chance would.
var specialClocks = []Clock{0, 15, 30, 60, 90, 105, 120, 135, 150, 165, 180, 210, 225, 1380, 1410, 1425, 1440}

// transitionCache maps a zone name to its offset changes in 2026–2028.
var transitionCache sync.Map

// transitions returns the instants at which loc changes its offset
// between 2026 and 2028.
func transitions(loc *time.Location) []time.Time {
	if v, ok := transitionCache.Load(loc.String()); ok {
		return v.([]time.Time)
	}
	var out []time.Time
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, loc)
	for {
		_, end := t.ZoneBounds()
		if end.IsZero() || end.Year() > 2028 {
			break
		}
		out = append(out, end)
		t = end
	}
	transitionCache.Store(loc.String(), out)
	return out
}

// chooser is where a random query's choices come from: rapid, for the
// property tests, or the fuzzer's bytes, for FuzzSlots.
type chooser interface {
	// intRange returns an int in [lo, hi]; label names the choice.
	intRange(lo, hi int, label string) int
}

// rapidChooser draws from rapid, which shrinks a failing query.
type rapidChooser struct{ t *rapid.T }

func (c rapidChooser) intRange(lo, hi int, label string) int {
	return rapid.IntRange(lo, hi).Draw(c.t, label)
}

// byteChooser reads the fuzzer's bytes, one or more a choice; when they
// run out every choice is its smallest, so every input is a query.
type byteChooser struct{ b []byte }

func (c *byteChooser) intRange(lo, hi int, _ string) int {
	n := uint64(hi-lo) + 1
	var v uint64
	for w := uint64(1); w < n && len(c.b) > 0; w <<= 8 {
		v = v<<8 | uint64(c.b[0])
		c.b = c.b[1:]
	}
	return lo + int(v%n)
}

func pick[E any](c chooser, list []E, label string) E {
	return list[c.intRange(0, len(list)-1, label)]
}

func chance(c chooser, oneIn int, label string) bool {
	return c.intRange(1, oneIn, label) == 1
}

// clock draws a wall clock: half the time one near a DST change.
func clock(c chooser, label string) Clock {
	if chance(c, 2, label+"Special") {
		return pick(c, specialClocks, label)
	}
	return Clock(c.intRange(0, 288, label+"FiveMinutes") * 5)
}

// ranges draws up to three ranges of a day; one now and then ends
// before it starts, which the engine must ignore.
func ranges(c chooser, label string) []Range {
	var out []Range
	for range c.intRange(0, 3, label) {
		a, b := clock(c, label+"Start"), clock(c, label+"End")
		if b < a && !chance(c, 10, label+"KeepReversed") {
			a, b = b, a
		}
		out = append(out, Range{a, b})
	}
	return out
}

// minutes draws a whole number of minutes in [lo, hi].
func minutes(c chooser, lo, hi int, label string) time.Duration {
	return time.Duration(c.intRange(lo, hi, label)) * time.Minute
}

// jitter draws nothing most of the time, else a few seconds or a
// fraction of a second, so that instants are not always whole minutes.
func jitter(c chooser, label string) time.Duration {
	switch c.intRange(0, 5, label) {
	case 1:
		return time.Duration(c.intRange(0, 59, label+"Seconds")) * time.Second
	case 2:
		return time.Duration(c.intRange(0, 999_999_999, label+"Nanos"))
	}
	return 0
}

// drawQuery draws a valid query of up to 20 dates (now and then up to
// MaxRangeDays) around a DST change of 2026–2028 of a random zone.
func drawQuery(c chooser, t fataler) Query {
	zone := loadZone(t, pick(c, propertyZones, "zone"))
	viewer := zone
	if chance(c, 2, "otherViewer") {
		viewer = loadZone(t, pick(c, propertyZones, "viewer"))
	}

	var anchor Date
	if tr := transitions(zone); len(tr) > 0 && !chance(c, 5, "anyDate") {
		anchor = DateOf(pick(c, tr, "transition").In(zone))
	} else {
		anchor = Date{2026, time.January, 1}.AddDays(c.intRange(0, 3*365, "day"))
	}
	from := anchor.AddDays(c.intRange(-12, 2, "fromBefore"))
	n := c.intRange(1, 20, "dates")
	if chance(c, 20, "long") {
		n = c.intRange(1, MaxRangeDays, "longDates")
	}
	to := from.AddDays(n - 1)

	var a Availability
	for wd := range a.Weekly {
		a.Weekly[wd] = ranges(c, "weekly")
	}
	if k := c.intRange(0, 4, "overrides"); k > 0 {
		a.Overrides = map[Date][]Range{}
		for range k {
			d := from.AddDays(c.intRange(-2, n+1, "overrideDate"))
			a.Overrides[d] = ranges(c, "override")
		}
	}

	// Instants are drawn from two days before the range to a day after
	// it, half of them near the wall clocks that working hours are drawn
	// from, so that they often meet availability.
	base := time.Date(from.Year, from.Month, from.Day, 0, 0, 0, 0, time.UTC)
	instant := func(label string) time.Time {
		if chance(c, 2, label+"NearHours") {
			d := from.AddDays(c.intRange(-1, n, label+"Date"))
			wall := clock(c, label+"Clock")
			return time.Date(d.Year, d.Month, d.Day, 0, int(wall), 0, 0, zone).
				Add(minutes(c, -30, 30, label+"Shift") + jitter(c, label+"Jitter"))
		}
		return base.Add(minutes(c, -2*1440, (n+1)*1440, label) + jitter(c, label+"Jitter"))
	}
	q := Query{Zone: zone, Availability: a, From: from, To: to, Viewer: viewer}
	for range c.intRange(0, 12, "busy") {
		start := instant("busyStart")
		// Now and then empty or backwards, which blocks nothing.
		end := start.Add(minutes(c, -20, 600, "busyLength") + jitter(c, "busyEndJitter"))
		q.Busy = append(q.Busy, Interval{start.In(zone), end.In(zone)})
	}
	for range c.intRange(0, 6, "bookings") {
		start := instant("bookingStart")
		q.Bookings = append(q.Bookings, Booking{
			Start:        start,
			End:          start.Add(minutes(c, 0, 240, "bookingLength")),
			BufferBefore: minutes(c, 0, 60, "bookingBufferBefore") + jitter(c, "bookingBufferBeforeJitter"),
			BufferAfter:  minutes(c, 0, 60, "bookingBufferAfter") + jitter(c, "bookingBufferAfterJitter"),
		})
	}

	q.Step = minutes(c, 5, 60, "step")
	q.Duration = minutes(c, 5, 240, "duration")
	if chance(c, 10, "longService") {
		q.Duration = minutes(c, 20*60, 80*60, "longDuration")
	}
	if chance(c, 2, "buffered") {
		q.BufferBefore = minutes(c, 0, 60, "bufferBefore")
		q.BufferAfter = minutes(c, 0, 60, "bufferAfter")
	}
	q.Now = base.Add(minutes(c, -3*1440, (n+3)*1440, "now") + jitter(c, "nowJitter"))
	q.MinNotice = minutes(c, 0, 2*1440, "notice")
	q.HorizonDays = c.intRange(0, 400, "horizon")
	return q
}

// describe writes q out for a failure message.
func describe(q Query) string {
	var b strings.Builder
	fmt.Fprintf(&b, "zone %v, viewer %v, dates %v–%v\n", q.Zone, q.Viewer, q.From, q.To)
	for wd, rs := range q.Availability.Weekly {
		fmt.Fprintf(&b, "  %v %v\n", time.Weekday(wd), rs)
	}
	for d, rs := range q.Availability.Overrides {
		fmt.Fprintf(&b, "  override %v %v\n", d, rs)
	}
	for _, x := range q.Busy {
		fmt.Fprintf(&b, "  busy %v – %v\n", x.Start.Format(time.RFC3339Nano), x.End.Format(time.RFC3339Nano))
	}
	for _, x := range q.Bookings {
		fmt.Fprintf(&b, "  booking %v – %v buffers %v/%v\n", x.Start.Format(time.RFC3339Nano), x.End.Format(time.RFC3339Nano), x.BufferBefore, x.BufferAfter)
	}
	fmt.Fprintf(&b, "  step %v, duration %v, buffers %v/%v, now %v, notice %v, horizon %d days",
		q.Step, q.Duration, q.BufferBefore, q.BufferAfter, q.Now.Format(time.RFC3339Nano), q.MinNotice, q.HorizonDays)
	return b.String()
}

// window is a half-open span of availability [start, end).
type window struct{ start, end time.Time }

// dayWindows reads q's availability on the dates first..last with at
// (At, or the test's own refAt): each date's ranges as instants, touching
// ones joined into a window; then windows of different dates that
// overlap (a wall time read past a gap at the end of a day) joined, as
// the package documents.
func dayWindows(q Query, first, last Date, at func(Date, Clock, *time.Location) time.Time) []window {
	var all []window
	for d := first; !last.Before(d); d = d.AddDays(1) {
		ranges, ok := q.Availability.Overrides[d]
		if !ok {
			ranges = q.Availability.Weekly[d.Weekday()]
		}
		var day []window
		for _, r := range ranges {
			if r.End <= r.Start {
				continue // empty as a wall-clock range, whatever the zone does
			}
			s, e := at(d, r.Start, q.Zone), at(d, r.End, q.Zone)
			if s.Before(e) {
				day = append(day, window{s, e})
			}
		}
		all = append(all, merge(day, true)...)
	}
	return merge(all, false)
}

// merge sorts ws by start and joins overlapping windows, and touching
// ones too if touching is set.
func merge(ws []window, touching bool) []window {
	slices.SortFunc(ws, func(x, y window) int { return x.start.Compare(y.start) })
	var out []window
	for _, w := range ws {
		if n := len(out); n > 0 && (w.start.Before(out[n-1].end) || touching && w.start.Equal(out[n-1].end)) {
			if w.end.After(out[n-1].end) {
				out[n-1].end = w.end
			}
			continue
		}
		out = append(out, w)
	}
	return out
}

// datesAround returns the employee's dates whose availability can matter
// for q: from two days before the viewer's range to two days after the
// end of a slot starting at its end.
func datesAround(q Query, spanStart, spanEnd time.Time) (first, last Date) {
	return DateOf(spanStart.In(q.Zone)).AddDays(-2), DateOf(spanEnd.Add(q.Duration).In(q.Zone)).AddDays(2)
}

// overlaps reports whether [a, b) and [c, d) share an instant; an empty
// span shares none.
func overlaps(a, b, c, d time.Time) bool {
	return a.Before(b) && c.Before(d) && a.Before(d) && c.Before(b)
}

// clash returns a description of the first busy time or widened booking
// that [from, to) overlaps, or "".
func clash(q Query, from, to time.Time) string {
	for _, b := range q.Busy {
		if overlaps(from, to, b.Start, b.End) {
			return "busy " + b.Start.Format(time.RFC3339Nano) + "–" + b.End.Format(time.RFC3339Nano)
		}
	}
	for _, b := range q.Bookings {
		if overlaps(from, to, b.Start.Add(-b.BufferBefore), b.End.Add(b.BufferAfter)) {
			return "booking " + b.Start.Format(time.RFC3339Nano) + "–" + b.End.Format(time.RFC3339Nano) +
				" with buffers " + b.BufferBefore.String() + "/" + b.BufferAfter.String()
		}
	}
	return ""
}

// covered reports whether [s, e) lies inside one of the joined windows.
func covered(union []window, s, e time.Time) bool {
	for _, u := range union {
		if !s.Before(u.start) && !u.end.Before(e) {
			return true
		}
	}
	return false
}

// referenceSlots is the slow, plain reading of the slot rules: walk every
// grid point of every window and test it against every rule and every
// interval.
func referenceSlots(q Query) []Interval {
	spanStart, spanEnd := refAt(q.From, 0, q.Viewer), refAt(q.To.AddDays(1), 0, q.Viewer)
	first, last := datesAround(q, spanStart, spanEnd)
	wins := dayWindows(q, first, last, refAt)
	union := merge(slices.Clone(wins), true)
	earliest := q.Now.Add(q.MinNotice)
	latest := q.Now.Add(time.Duration(q.HorizonDays) * 24 * time.Hour)
	var out []Interval
	for _, w := range wins {
		for s := w.start; s.Before(w.end); s = s.Add(q.Step) {
			e := s.Add(q.Duration)
			switch {
			case s.Before(spanStart), !s.Before(spanEnd):
			case s.Before(earliest), !s.Before(latest):
			case !covered(union, s, e):
			case clash(q, s.Add(-q.BufferBefore), e.Add(q.BufferAfter)) != "":
			default:
				out = append(out, Interval{s.In(q.Viewer), e.In(q.Viewer)})
			}
		}
	}
	slices.SortFunc(out, func(x, y Interval) int { return x.Start.Compare(y.Start) })
	return out
}

// checkSlots checks got, the slots of q, against every slot rule and
// against referenceSlots; each failure names the slot.
func checkSlots(t fataler, q Query, got []Interval) {
	t.Helper()
	t = queryFataler{t, q}
	spanStart, spanEnd := At(q.From, 0, q.Viewer), At(q.To, EndOfDay, q.Viewer)
	first, last := datesAround(q, spanStart, spanEnd)
	wins := dayWindows(q, first, last, At)
	union := merge(slices.Clone(wins), true)
	earliest := q.Now.Add(q.MinNotice)
	latest := q.Now.Add(time.Duration(q.HorizonDays) * 24 * time.Hour)
	name := func(s Interval) string { return s.Start.Format(time.RFC3339) + "–" + s.End.Format(time.RFC3339) }

	for i, s := range got {
		// (a) inside availability.
		if !covered(union, s.Start, s.End) {
			t.Fatalf("(a) slot %s lies outside availability %v", name(s), union)
		}
		// (b) clear of busy time and bookings, with every buffer.
		if c := clash(q, s.Start.Add(-q.BufferBefore), s.End.Add(q.BufferAfter)); c != "" {
			t.Fatalf("(b) slot %s with buffers %v/%v overlaps %s", name(s), q.BufferBefore, q.BufferAfter, c)
		}
		// (c) on the grid of the window it starts in.
		k := slices.IndexFunc(wins, func(w window) bool { return !s.Start.Before(w.start) && s.Start.Before(w.end) })
		if k < 0 {
			t.Fatalf("(c) slot %s starts in no window of %v", name(s), wins)
		}
		if off := s.Start.Sub(wins[k].start); off%q.Step != 0 {
			t.Fatalf("(c) slot %s starts %v into window %v–%v, not a multiple of the step %v",
				name(s), off, wins[k].start, wins[k].end, q.Step)
		}
		// (d) order, length, zone, range, notice, horizon.
		if i > 0 && !s.Start.After(got[i-1].Start) {
			t.Fatalf("(d) slot %s does not come after slot %s", name(s), name(got[i-1]))
		}
		if !s.End.Equal(s.Start.Add(q.Duration)) {
			t.Fatalf("(d) slot %s is not %v long", name(s), q.Duration)
		}
		if s.Start.Location() != q.Viewer || s.End.Location() != q.Viewer {
			t.Fatalf("(d) slot %s is in %v, not in the viewer's zone %v", name(s), s.Start.Location(), q.Viewer)
		}
		if s.Start.Before(spanStart) || !s.Start.Before(spanEnd) {
			t.Fatalf("(d) slot %s starts outside the asked dates %v–%v", name(s), spanStart, spanEnd)
		}
		if s.Start.Before(earliest) {
			t.Fatalf("(d) slot %s starts before now+notice %v", name(s), earliest)
		}
		if !s.Start.Before(latest) {
			t.Fatalf("(d) slot %s starts at or after now+horizon %v", name(s), latest)
		}
	}

	// (e) nothing missing, nothing extra.
	want := referenceSlots(q)
	i, j := 0, 0
	for i < len(got) || j < len(want) {
		switch {
		case j == len(want) || i < len(got) && got[i].Start.Before(want[j].Start):
			t.Fatalf("(e) slot %s is not in the reference list", name(got[i]))
		case i == len(got) || want[j].Start.Before(got[i].Start):
			t.Fatalf("(e) slot %s of the reference list is missing", name(want[j]))
		case !got[i].End.Equal(want[j].End):
			t.Fatalf("(e) slot %s ends at %v in the reference list", name(got[i]), want[j].End)
		}
		i, j = i+1, j+1
	}
}

// queryFataler adds the query to every failure message.
type queryFataler struct {
	fataler
	q Query
}

func (f queryFataler) Fatalf(format string, args ...any) {
	f.Helper()
	f.fataler.Fatalf(format+"\nquery: %s", append(args, describe(f.q))...)
}

// slotsProperty draws a query from c and checks Slots' answer.
func slotsProperty(t fataler, c chooser) {
	t.Helper()
	q := drawQuery(c, t)
	got, err := Slots(q)
	if err != nil {
		t.Fatalf("Slots: %v\nquery: %s", err, describe(q))
	}
	checkSlots(t, q, got)
}

func TestSlotsProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) { slotsProperty(t, rapidChooser{t}) })
}

// TestSlotsOrderFree checks that the order of busy times and bookings
// does not change the answer.
func TestSlotsOrderFree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := drawQuery(rapidChooser{t}, t)
		want, err := Slots(q)
		if err != nil {
			t.Fatalf("Slots: %v", err)
		}
		q.Busy = rapid.Permutation(q.Busy).Draw(t, "busyOrder")
		q.Bookings = rapid.Permutation(q.Bookings).Draw(t, "bookingOrder")
		got, err := Slots(q)
		if err != nil {
			t.Fatalf("Slots: %v", err)
		}
		if !slices.EqualFunc(got, want, func(x, y Interval) bool { return x.Start.Equal(y.Start) && x.End.Equal(y.End) }) {
			t.Fatalf("reordered busy times give %d slots, sorted ones %d", len(got), len(want))
		}
	})
}

// TestAtProperties compares At with the test's own search through the
// zone's periods, for every kind of wall clock near the DST changes.
func TestAtProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		loc := loadZone(t, rapid.SampledFrom(propertyZones).Draw(t, "zone"))
		var d Date
		if tr := transitions(loc); len(tr) > 0 && rapid.IntRange(0, 4).Draw(t, "nearTransition") > 0 {
			d = DateOf(rapid.SampledFrom(tr).Draw(t, "transition").In(loc)).AddDays(rapid.IntRange(-1, 1).Draw(t, "dayOffset"))
		} else {
			d = Date{2026, time.January, 1}.AddDays(rapid.IntRange(0, 3*365).Draw(t, "day"))
		}
		c := Clock(rapid.IntRange(0, int(EndOfDay)).Draw(t, "clock"))
		got, want := At(d, c, loc), refAt(d, c, loc)
		if !got.Equal(want) || got.Location() != loc {
			t.Fatalf("At(%v, %v, %s) = %v, want %v", d, c, loc, got.Format(instantLayout), want.Format(instantLayout))
		}
		// Where the wall clock exists, At returns its first occurrence:
		// scan the instants around it minute by minute.
		wall := time.Date(d.Year, d.Month, d.Day, 0, int(c), 0, 0, time.UTC)
		target := wall.Format("2006-01-02 15:04")
		for u := wall.Add(-15 * time.Hour); u.Before(wall.Add(15 * time.Hour)); u = u.Add(time.Minute) {
			if u.In(loc).Format("2006-01-02 15:04") == target {
				if !got.Equal(u) {
					t.Fatalf("At(%v, %v, %s) = %v, want the first occurrence %v",
						d, c, loc, got.Format(instantLayout), u.In(loc).Format(instantLayout))
				}
				break
			}
		}
	})
}

// FuzzSlots runs the checks of TestSlotsProperties, reference comparison
// included, on queries read from the fuzzer's bytes.
func FuzzSlots(f *testing.F) {
	f.Add([]byte{})
	for seed := range uint64(16) {
		r := rand.New(rand.NewPCG(seed, 0x5107b00c))
		b := make([]byte, 64+r.IntN(512))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		slotsProperty(t, &byteChooser{data})
	})
}
