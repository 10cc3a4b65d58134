package schedule

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// benchA is "bench A" of design.md: one employee in Europe/Zurich working
// 07:00–19:00 every day, 62 dates from 2027-06-01, a 5-minute grid, a
// 10-minute service without buffers, and 2,000 busy intervals of 5 minutes
// at 07:00 + 22k minutes (k = 0..31, 32 a day) day after day from
// 2027-06-01 until 2,000 exist; asked long before, with a horizon far
// beyond the range.
func benchA(t testing.TB) Query {
	t.Helper()
	zurich := loadZone(t, "Europe/Zurich")
	from := Date{2027, time.June, 1}
	busy := make([]Interval, 0, 2000)
	for day := 0; len(busy) < 2000; day++ {
		d := from.AddDays(day)
		for k := 0; k < 32 && len(busy) < 2000; k++ {
			start := time.Date(d.Year, d.Month, d.Day, 7, 22*k, 0, 0, zurich)
			busy = append(busy, Interval{start, start.Add(5 * time.Minute)})
		}
	}
	return Query{
		Zone:         zurich,
		Availability: everyDay("07:00-19:00"),
		Busy:         busy,
		Duration:     10 * time.Minute,
		Step:         5 * time.Minute,
		Now:          time.Date(2020, time.January, 1, 0, 0, 0, 0, time.UTC),
		HorizonDays:  3650,
		From:         from,
		To:           Date{2027, time.August, 1},
		Viewer:       zurich,
	}
}

// shuffled returns q with its busy intervals in a fixed random order.
func shuffled(q Query) Query {
	q.Busy = slices.Clone(q.Busy)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(q.Busy), func(i, j int) { q.Busy[i], q.Busy[j] = q.Busy[j], q.Busy[i] })
	return q
}

// TestBenchAInput checks the benchmark's input and answer, so that the
// benchmark measures what design.md specifies.
func TestBenchAInput(t *testing.T) {
	q := benchA(t)
	if got := len(q.Busy); got != 2000 {
		t.Fatalf("bench A has %d busy intervals, want 2000", got)
	}
	if got, want := q.From.DaysUntil(q.To)+1, 62; got != want {
		t.Fatalf("bench A spans %d dates, want %d", got, want)
	}
	last := q.Busy[len(q.Busy)-1]
	if got, want := last.Start.Format(instantLayout), "2027-08-02 12:30 +02:00"; got != want {
		t.Errorf("bench A's last busy interval starts %s, want %s (k = 15 of the 63rd day)", got, want)
	}
	got, err := Slots(q)
	if err != nil {
		t.Fatalf("Slots(bench A): %v", err)
	}
	if len(got) != 3410 {
		t.Fatalf("Slots(bench A) = %d slots, want 3410", len(got))
	}
	// Each day: 143 starts 07:00–18:50, less 1 for k = 0 (06:55 is no
	// start), 2 for each other k with 22k a multiple of 5 (6 of them) and
	// 3 for each of the other 25: 55 a day.
	wantDay := []string{"07:05", "07:10", "07:30", "07:50", "07:55"}
	if gotDay := startsOf(got[:len(wantDay)], "15:04"); !slices.Equal(gotDay, wantDay) {
		t.Errorf("Slots(bench A) first starts = %q, want %q", gotDay, wantDay)
	}
	if got, want := got[len(got)-1].Start.Format(instantLayout), "2027-08-01 18:50 +02:00"; got != want {
		t.Errorf("Slots(bench A) last start = %s, want %s", got, want)
	}

	unsorted, err := Slots(shuffled(q))
	if err != nil {
		t.Fatalf("Slots(bench A shuffled): %v", err)
	}
	if !slices.EqualFunc(unsorted, got, func(x, y Interval) bool { return x.Start.Equal(y.Start) && x.End.Equal(y.End) }) {
		t.Errorf("Slots(bench A shuffled) = %d slots, differing from the sorted input's %d", len(unsorted), len(got))
	}
}

func BenchmarkSlots(b *testing.B) {
	q := benchA(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Slots(q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSlotsManyBusyUnsorted(b *testing.B) {
	q := shuffled(benchA(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Slots(q); err != nil {
			b.Fatal(err)
		}
	}
}
