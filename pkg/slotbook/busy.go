package slotbook

import (
	"slices"
	"time"
)

// MergeBusy returns the busy time of busy inside [from, to): each interval
// clipped to the window, those left empty (or ending before they start)
// dropped, the rest sorted by start and joined where they overlap or
// touch. It is the one merge of busy time: providers answer Busy with
// what it returns, whatever order and overlaps their servers answer
// with. The result is a new slice, never nil, so that no two results
// share one and "no busy time" reads the same from every provider; busy
// itself is not changed. Instants are compared as instants: the zones of
// the intervals do not matter.
func MergeBusy(busy []BusyInterval, from, to time.Time) []BusyInterval {
	out := make([]BusyInterval, 0, len(busy))
	for _, b := range busy {
		if b.Start.Before(from) {
			b.Start = from
		}
		if b.End.After(to) {
			b.End = to
		}
		if b.Start.Before(b.End) {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b BusyInterval) int { return a.Start.Compare(b.Start) })
	merged := out[:0]
	for _, b := range out {
		if n := len(merged); n > 0 && !b.Start.After(merged[n-1].End) {
			if b.End.After(merged[n-1].End) {
				merged[n-1].End = b.End
			}
			continue
		}
		merged = append(merged, b)
	}
	return merged
}
