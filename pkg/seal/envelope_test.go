package seal

import (
	"bytes"
	"testing"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// FuzzParseEnvelope checks that the KMS format parser never panics and
// that whatever it accepts lies within the input and is long enough to
// hold a nonce and a tag.
func FuzzParseEnvelope(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{formatKMS})
	f.Add([]byte{formatKMS, 0, 0})
	f.Add([]byte{formatKMS, 0xff, 0xff, 1})
	f.Add(append([]byte{formatKMS, 0, 2, 0xaa, 0xbb}, make([]byte, nonceSize+tagSize)...))
	f.Add(append([]byte{formatLocal, 0, 2, 0xaa, 0xbb}, make([]byte, nonceSize+tagSize)...))
	f.Fuzz(func(t *testing.T, sealed []byte) {
		wrapped, box, err := parseEnvelope(sealed)
		if err != nil {
			return
		}
		if len(wrapped) == 0 || len(box) < nonceSize+tagSize {
			t.Fatalf("parseEnvelope(%x) = %d-byte key, %d-byte box; want a key and room for nonce and tag", sealed, len(wrapped), len(box))
		}
		if got := append(append([]byte{sealed[0], sealed[1], sealed[2]}, wrapped...), box...); !bytes.Equal(got, sealed) {
			t.Fatalf("parseEnvelope(%x) lost or invented bytes", sealed)
		}
	})
}

func TestContextAADIsUnambiguous(t *testing.T) {
	tests := []struct{ a, b slotbook.SecretContext }{
		{ctx("a#b", "c", "d"), ctx("a", "b#c", "d")},
		{ctx("ab", "c", "d"), ctx("a", "bc", "d")},
		{ctx("a", "b", "cd"), ctx("a", "bc", "d")},
		{ctx("a", "", "bc"), ctx("a", "b", "c")},
	}
	for _, tt := range tests {
		if bytes.Equal(aad(tt.a), aad(tt.b)) {
			t.Errorf("aad(%+v) = aad(%+v) = %q, want them different", tt.a, tt.b, aad(tt.a))
		}
	}
}

// ctx is a SecretContext of company c, employee e and purpose p.
func ctx(c, e, p string) slotbook.SecretContext {
	return slotbook.SecretContext{Company: c, Employee: e, Purpose: p}
}
