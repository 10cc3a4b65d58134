package slotbook

import (
	"strings"
	"testing"
)

// PlainAddress tells mailbox addresses from opaque Graph calendar ids and
// from display-name forms.
func TestPlainAddress(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"adele@contoso.example", true},
		{"Adele@CONTOSO.example", true},
		{"AAMkADI5AAAA/b+c==", false},
		{"AAMkAGI2TGuLAAA=", false},
		{"", false},
		{"Adele Vance <adele@contoso.example>", false},
		{"adele@contoso.example ", false},
		{"adele", false},
		{"<adele@contoso.example>", false},
		{strings.Repeat("a", 250) + "@b.example", false},
	} {
		if got := PlainAddress(tc.in); got != tc.want {
			t.Errorf("PlainAddress(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
