package seal_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

var owner = slotbook.SecretContext{Company: "c-acme", Employee: "e-anna", Purpose: "cal-google-1"}

// secret is a refresh-token-like marker that must never show up outside
// Seal's input and Open's output.
const secret = "1//0refresh-token-MARKER-7f3a9c"

func newLocal(t *testing.T) (*seal.Local, string) {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "seal.key")
	l, err := seal.NewLocal(keyFile)
	if err != nil {
		t.Fatalf("NewLocal(%q): %v", keyFile, err)
	}
	return l, keyFile
}

func mustSeal(t *testing.T, s slotbook.Sealer, plaintext []byte, c slotbook.SecretContext) []byte {
	t.Helper()
	sealed, err := s.Seal(context.Background(), plaintext, c)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return sealed
}

func TestLocalRoundTrip(t *testing.T) {
	l, _ := newLocal(t)
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"refresh token", []byte(secret)},
		{"empty", []byte{}},
		{"nil", nil},
		{"10 KB", bytes.Repeat([]byte("0123456789"), 1024)},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed := mustSeal(t, l, tt.plaintext, owner)
			got, err := l.Open(context.Background(), sealed, owner)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open(Seal(%d bytes)) = %d bytes, want the same %d bytes", len(tt.plaintext), len(got), len(tt.plaintext))
			}
			if got == nil {
				t.Errorf("Open returned nil, want a non-nil (possibly empty) slice")
			}
		})
	}
}

func TestLocalSealedFormat(t *testing.T) {
	l, _ := newLocal(t)
	plaintext := []byte(secret)
	sealed := mustSeal(t, l, plaintext, owner)
	if sealed[0] != 0x01 {
		t.Errorf("format byte = %#x, want 0x01", sealed[0])
	}
	if got, want := len(sealed), 1+12+len(plaintext)+16; got != want {
		t.Errorf("len(sealed) = %d, want %d (format, nonce, ciphertext, tag)", got, want)
	}
}

// otherContexts returns owner with each field changed in turn, plus
// contexts that differ only in where the field boundaries fall.
func otherContexts() map[string]slotbook.SecretContext {
	return map[string]slotbook.SecretContext{
		"other company":    {Company: "c-other", Employee: owner.Employee, Purpose: owner.Purpose},
		"other employee":   {Company: owner.Company, Employee: "e-bert", Purpose: owner.Purpose},
		"other connection": {Company: owner.Company, Employee: owner.Employee, Purpose: "cal-google-2"},
		"shifted boundary": {Company: owner.Company + owner.Employee[:1], Employee: owner.Employee[1:], Purpose: owner.Purpose},
	}
}

func TestLocalOpenWrongContext(t *testing.T) {
	l, _ := newLocal(t)
	sealed := mustSeal(t, l, []byte(secret), owner)
	for name, c := range otherContexts() {
		t.Run(name, func(t *testing.T) {
			got, err := l.Open(context.Background(), sealed, c)
			if !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("Open with %+v: err = %v, want ErrOpen", c, err)
			}
			if got != nil {
				t.Errorf("Open with %+v returned %d bytes alongside the error", c, len(got))
			}
		})
	}
}

func TestLocalContextFieldsAreUnambiguous(t *testing.T) {
	l, _ := newLocal(t)
	a := slotbook.SecretContext{Company: "a#b", Employee: "c", Purpose: "d"}
	b := slotbook.SecretContext{Company: "a", Employee: "b#c", Purpose: "d"}
	sealed := mustSeal(t, l, []byte(secret), a)
	if _, err := l.Open(context.Background(), sealed, b); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("sealed for %+v, opened for %+v: err = %v, want ErrOpen", a, b, err)
	}
}

func TestLocalFlippedBitFails(t *testing.T) {
	l, _ := newLocal(t)
	sealed := mustSeal(t, l, []byte(secret), owner)
	for i := range len(sealed) * 8 {
		tampered := bytes.Clone(sealed)
		tampered[i/8] ^= 1 << (i % 8)
		if _, err := l.Open(context.Background(), tampered, owner); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("Open with bit %d of byte %d flipped: err = %v, want ErrOpen", i%8, i/8, err)
		}
	}
}

func TestLocalTruncatedOrExtendedFails(t *testing.T) {
	l, _ := newLocal(t)
	sealed := mustSeal(t, l, []byte(secret), owner)
	for n := range len(sealed) {
		if _, err := l.Open(context.Background(), sealed[:n], owner); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("Open(first %d of %d bytes): err = %v, want ErrOpen", n, len(sealed), err)
		}
	}
	if _, err := l.Open(context.Background(), append(bytes.Clone(sealed), 0), owner); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("Open(sealed + 1 byte): err = %v, want ErrOpen", err)
	}
}

func TestLocalSecondInstanceOpens(t *testing.T) {
	first, keyFile := newLocal(t)
	sealed := mustSeal(t, first, []byte(secret), owner)

	second, err := seal.NewLocal(keyFile)
	if err != nil {
		t.Fatalf("second NewLocal: %v", err)
	}
	got, err := second.Open(context.Background(), sealed, owner)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	if string(got) != secret {
		t.Errorf("second Open = %q, want the sealed secret", got)
	}
}

func TestLocalOtherKeyFileFails(t *testing.T) {
	first, _ := newLocal(t)
	other, _ := newLocal(t)
	sealed := mustSeal(t, first, []byte(secret), owner)
	if _, err := other.Open(context.Background(), sealed, owner); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("Open under another key file: err = %v, want ErrOpen", err)
	}
}

func TestLocalCreatesPrivateKeyFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state", "keys")
	keyFile := filepath.Join(dir, "seal.key")
	if _, err := seal.NewLocal(keyFile); err != nil {
		t.Fatalf("NewLocal: %v", err)
	}
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("key file mode = %v, want -rw-------", got)
	}
	if got := fi.Size(); got != 32 {
		t.Errorf("key file size = %d, want 32", got)
	}
	di, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := di.Mode().Perm(); got != 0o700 {
		t.Errorf("key directory mode = %v, want drwx------", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".seal-key-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestLocalRefusesWrongSizeKeyFile(t *testing.T) {
	for _, size := range []int{0, 16, 31, 33, 64} {
		keyFile := filepath.Join(t.TempDir(), "seal.key")
		if err := os.WriteFile(keyFile, bytes.Repeat([]byte{7}, size), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := seal.NewLocal(keyFile); err == nil {
			t.Errorf("NewLocal with a %d-byte key file: err = nil, want an error", size)
		}
		got, _ := os.ReadFile(keyFile)
		if len(got) != size {
			t.Errorf("NewLocal changed the %d-byte key file to %d bytes; it must leave it alone", size, len(got))
		}
	}
}

func TestLocalRefusesDirectoryAsKeyFile(t *testing.T) {
	if _, err := seal.NewLocal(t.TempDir()); err == nil {
		t.Errorf("NewLocal(a directory): err = nil, want an error")
	}
}

func TestLocalConcurrentStartsShareOneKey(t *testing.T) {
	// Many instances racing to create the missing key file must all end
	// up with the same key: each opens what every other one sealed.
	keyFile := filepath.Join(t.TempDir(), "new", "seal.key")
	const n = 16
	sealers := make([]*seal.Local, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			sealers[i], errs[i] = seal.NewLocal(keyFile)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("NewLocal #%d: %v", i, err)
		}
	}
	sealed := mustSeal(t, sealers[0], []byte(secret), owner)
	for i, l := range sealers {
		if got, err := l.Open(context.Background(), sealed, owner); err != nil || string(got) != secret {
			t.Errorf("instance %d: Open = %q, %v; want the secret", i, got, err)
		}
	}
}

func TestLocalConcurrentUse(t *testing.T) {
	l, _ := newLocal(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			c := owner
			c.Purpose += string(rune('a' + i))
			for range 100 {
				sealed, err := l.Seal(context.Background(), []byte(secret), c)
				if err != nil {
					t.Error(err)
					return
				}
				if got, err := l.Open(context.Background(), sealed, c); err != nil || string(got) != secret {
					t.Errorf("Open = %q, %v; want the secret", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestLocalSealedHidesPlaintext(t *testing.T) {
	l, _ := newLocal(t)
	plaintext := []byte(secret)
	sealed := mustSeal(t, l, plaintext, owner)
	if bytes.Contains(sealed, plaintext) {
		t.Errorf("sealed value contains the plaintext")
	}
	if bytes.Contains(sealed, plaintext[:8]) {
		t.Errorf("sealed value contains the plaintext's first 8 bytes")
	}
}

func TestLocalSealTwiceDiffers(t *testing.T) {
	l, _ := newLocal(t)
	a := mustSeal(t, l, []byte(secret), owner)
	b := mustSeal(t, l, []byte(secret), owner)
	if bytes.Equal(a, b) {
		t.Errorf("sealing the same plaintext twice gave equal values; the nonce must be random")
	}
	if bytes.Equal(a[1:13], b[1:13]) {
		t.Errorf("two seals used the same nonce %x", a[1:13])
	}
}

func TestLocalSealRefusesIncompleteContext(t *testing.T) {
	l, _ := newLocal(t)
	for _, c := range []slotbook.SecretContext{
		{},
		{Employee: "e", Purpose: "k"},
		{Company: "c", Purpose: "k"},
		{Company: "c", Employee: "e"},
	} {
		if _, err := l.Seal(context.Background(), []byte(secret), c); err == nil {
			t.Errorf("Seal with %+v: err = nil, want an error", c)
		}
	}
}

func TestLocalErrorsHideSecrets(t *testing.T) {
	l, keyFile := newLocal(t)
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	sealed := mustSeal(t, l, []byte(secret), owner)
	_, openErr := l.Open(context.Background(), sealed, otherContexts()["other company"])
	_, sealErr := l.Seal(context.Background(), []byte(secret), slotbook.SecretContext{})
	for _, err := range []error{openErr, sealErr} {
		if err == nil {
			t.Fatal("want an error")
		}
		msg := err.Error()
		if strings.Contains(msg, secret) || strings.Contains(msg, string(key)) {
			t.Errorf("error %q contains the secret or the key", msg)
		}
	}
}

func TestLocalOpensNoKMSValue(t *testing.T) {
	l, _ := newLocal(t)
	kmsShaped := append([]byte{0x02, 0, 1, 0xaa}, make([]byte, 28)...)
	if _, err := l.Open(context.Background(), kmsShaped, owner); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("Local.Open(KMS format): err = %v, want ErrOpen", err)
	}
}
