package seal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/slotbook/slotbook/pkg/seal"
)

// FuzzOpen feeds Local.Open arbitrary bytes. It must never panic, and it
// must fail with ErrOpen (returning no bytes) for everything but values
// really sealed under the fuzz key, which open to what was sealed.
func FuzzOpen(f *testing.F) {
	keyFile := filepath.Join(f.TempDir(), "seal.key")
	if err := os.WriteFile(keyFile, bytes.Repeat([]byte{0x42}, 32), 0o600); err != nil {
		f.Fatal(err)
	}
	l, err := seal.NewLocal(keyFile)
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	valid, err := l.Seal(ctx, []byte(secret), owner)
	if err != nil {
		f.Fatal(err)
	}
	empty, err := l.Seal(ctx, nil, owner)
	if err != nil {
		f.Fatal(err)
	}

	f.Add(valid)
	f.Add(empty)
	f.Add([]byte{})
	f.Add([]byte{0x01})
	f.Add([]byte{0x02})
	f.Add(make([]byte, 29))
	f.Add(valid[:len(valid)-1])
	f.Add(append([]byte{0x02}, valid[1:]...))
	f.Add(append(bytes.Clone(valid), 0))

	f.Fuzz(func(t *testing.T, sealed []byte) {
		got, err := l.Open(ctx, sealed, owner)
		// Values sealed under the fuzz key hold either the secret or
		// nothing; a seed may come from another fuzz process (other
		// nonce, same key), so compare plaintexts, not sealed bytes.
		switch {
		case err == nil && string(got) != secret && len(got) != 0:
			t.Fatalf("Open(%x) = %q, nil; a value never sealed opened", sealed, got)
		case err == nil && len(sealed) != 1+12+len(got)+16:
			t.Fatalf("Open(%x) accepted a value of %d bytes for a %d-byte plaintext", sealed, len(sealed), len(got))
		case err == nil:
		case !errors.Is(err, seal.ErrOpen):
			t.Fatalf("Open(%x): err = %v, want ErrOpen", sealed, err)
		case got != nil:
			t.Fatalf("Open(%x) returned %d bytes alongside the error", sealed, len(got))
		}
	})
}
