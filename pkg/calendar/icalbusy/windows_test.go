package icalbusy

import (
	"testing"
	"time"
)

func TestWindowsZonesResolve(t *testing.T) {
	for win, iana := range windowsZones {
		if _, err := time.LoadLocation(iana); err != nil {
			t.Errorf("windowsZones[%q] = %q: %v", win, iana, err)
		}
	}
}
