package slotbook_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// mergeDay is the day the MergeBusy tests run on; busyHours(9, 10) is
// 09:00-10:00 of it, UTC.
var mergeDay = time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)

func busyHours(from, to int) slotbook.BusyInterval {
	return slotbook.BusyInterval{Start: mergeDay.Add(time.Duration(from) * time.Hour), End: mergeDay.Add(time.Duration(to) * time.Hour)}
}

func TestMergeBusy(t *testing.T) {
	type ivs = []slotbook.BusyInterval
	tests := []struct {
		name string
		in   ivs
		want ivs
	}{
		{"nothing is an empty result, not nil", nil, ivs{}},
		{"sorts", ivs{busyHours(12, 13), busyHours(9, 10)}, ivs{busyHours(9, 10), busyHours(12, 13)}},
		{"joins overlaps", ivs{busyHours(12, 14), busyHours(9, 10), busyHours(13, 15)}, ivs{busyHours(9, 10), busyHours(12, 15)}},
		{"joins touching", ivs{busyHours(9, 10), busyHours(10, 11)}, ivs{busyHours(9, 11)}},
		{"swallows contained", ivs{busyHours(9, 17), busyHours(10, 11), busyHours(12, 13)}, ivs{busyHours(9, 17)}},
		{"joins duplicates", ivs{busyHours(9, 10), busyHours(9, 10)}, ivs{busyHours(9, 10)}},
		{"clips to the window", ivs{busyHours(6, 9), busyHours(17, 20)}, ivs{busyHours(8, 9), busyHours(17, 18)}},
		{"drops what lies outside", ivs{busyHours(5, 7), busyHours(18, 20)}, ivs{}},
		{"drops empty and inverted", ivs{busyHours(9, 9), busyHours(11, 10)}, ivs{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slotbook.MergeBusy(tt.in, mergeDay.Add(8*time.Hour), mergeDay.Add(18*time.Hour))
			if got == nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MergeBusy(%v) = %#v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestMergeBusyComparesInstantsNotZones(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	a := busyHours(9, 10)                                                                     // 09:00-10:00 UTC
	b := slotbook.BusyInterval{Start: a.End.In(zurich), End: a.End.Add(time.Hour).In(zurich)} // 10:00-11:00 UTC, written in Zurich time
	got := slotbook.MergeBusy([]slotbook.BusyInterval{b, a}, mergeDay, mergeDay.AddDate(0, 0, 1))
	if len(got) != 1 || !got[0].Start.Equal(a.Start) || !got[0].End.Equal(b.End) {
		t.Errorf("MergeBusy = %v, want one interval 09:00-11:00 UTC", got)
	}
}

func TestMergeBusyLeavesItsInputAlone(t *testing.T) {
	in := []slotbook.BusyInterval{busyHours(12, 14), busyHours(6, 10), busyHours(13, 15)}
	keep := append([]slotbook.BusyInterval(nil), in...)
	got := slotbook.MergeBusy(in, mergeDay.Add(8*time.Hour), mergeDay.Add(18*time.Hour))
	if !reflect.DeepEqual(in, keep) {
		t.Errorf("MergeBusy changed its input to %v, was %v", in, keep)
	}
	got[0].End = got[0].End.Add(time.Hour)
	if !reflect.DeepEqual(in, keep) {
		t.Error("the result shares memory with the input")
	}
}

// TestMergeBusyAgainstMinutes checks random inputs against a brute-force
// reference: the minutes of a day that some interval covers inside the
// window. The result must cover exactly those minutes, in sorted
// intervals that neither overlap nor touch.
func TestMergeBusyAgainstMinutes(t *testing.T) {
	const minutes = 24 * 60
	rng := rand.New(rand.NewPCG(1, 2))
	minute := func(m int) time.Time { return mergeDay.Add(time.Duration(m) * time.Minute) }
	for run := range 2000 {
		from, to := rng.IntN(minutes), rng.IntN(minutes+1)
		var in []slotbook.BusyInterval
		want := make([]bool, minutes)
		for range rng.IntN(8) {
			s, e := rng.IntN(minutes), rng.IntN(minutes+1)
			in = append(in, slotbook.BusyInterval{Start: minute(s), End: minute(e)})
			for m := max(s, from); m < min(e, to); m++ {
				want[m] = true
			}
		}
		got := slotbook.MergeBusy(in, minute(from), minute(to))
		covered := make([]bool, minutes)
		for i, b := range got {
			if !b.Start.Before(b.End) {
				t.Fatalf("run %d: MergeBusy(%v, %d, %d) has the empty interval %v", run, in, from, to, b)
			}
			if i > 0 && !got[i-1].End.Before(b.Start) {
				t.Fatalf("run %d: MergeBusy(%v, %d, %d) = %v: %v and %v overlap or touch", run, in, from, to, got, got[i-1], b)
			}
			for m := int(b.Start.Sub(mergeDay) / time.Minute); m < int(b.End.Sub(mergeDay)/time.Minute); m++ {
				covered[m] = true
			}
		}
		if !reflect.DeepEqual(covered, want) {
			t.Fatalf("run %d: MergeBusy(%v, %d, %d) = %v covers other minutes than its input", run, in, from, to, got)
		}
	}
}
