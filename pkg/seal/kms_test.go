package seal_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/slotbook/slotbook/pkg/seal"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// newKMS returns a KMS sealer that uses the real AWS SDK client against a
// fake KMS server. Retries are off so that failure tests are quick.
func newKMS(t *testing.T) (*seal.KMS, *fakeKMS) {
	t.Helper()
	f := newFakeKMS(t)
	client := kms.New(kms.Options{
		BaseEndpoint:     aws.String(f.srv.URL),
		Region:           "eu-central-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
	return seal.NewKMS(client, f.keyID), f
}

var ownerKMSContext = map[string]string{
	"company":    owner.Company,
	"employee":   owner.Employee,
	"connection": owner.Purpose,
}

func TestKMSRoundTrip(t *testing.T) {
	s, _ := newKMS(t)
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"refresh token", []byte(secret)},
		{"empty", []byte{}},
		{"10 KB", bytes.Repeat([]byte("0123456789"), 1024)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed := mustSeal(t, s, tt.plaintext, owner)
			got, err := s.Open(context.Background(), sealed, owner)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open(Seal(%d bytes)) = %d bytes, want the same %d bytes", len(tt.plaintext), len(got), len(tt.plaintext))
			}
		})
	}
}

func TestKMSSealedFormat(t *testing.T) {
	s, f := newKMS(t)
	plaintext := []byte(secret)
	sealed := mustSeal(t, s, plaintext, owner)

	if sealed[0] != 0x02 {
		t.Fatalf("format byte = %#x, want 0x02", sealed[0])
	}
	n := int(binary.BigEndian.Uint16(sealed[1:3]))
	if got, want := len(sealed), 3+n+12+len(plaintext)+16; got != want {
		t.Fatalf("len(sealed) = %d, want %d (format, length, wrapped key, nonce, ciphertext, tag)", got, want)
	}
	issued := f.issuedBlobs()
	if len(issued) != 1 {
		t.Fatalf("KMS issued %d wrapped keys for one Seal, want 1", len(issued))
	}
	if wrapped := sealed[3 : 3+n]; !bytes.Equal(wrapped, issued[0]) {
		t.Errorf("wrapped key in sealed value = %x, want KMS's CiphertextBlob %x", wrapped, issued[0])
	}
}

func TestKMSRequests(t *testing.T) {
	s, f := newKMS(t)
	sealed := mustSeal(t, s, []byte(secret), owner)
	if _, err := s.Open(context.Background(), sealed, owner); err != nil {
		t.Fatalf("Open: %v", err)
	}
	reqs := f.received()
	if len(reqs) != 2 {
		t.Fatalf("KMS received %d requests, want 2 (GenerateDataKey, Decrypt)", len(reqs))
	}

	gen := reqs[0]
	if gen.Target != "TrentService.GenerateDataKey" {
		t.Errorf("first request X-Amz-Target = %q, want TrentService.GenerateDataKey", gen.Target)
	}
	if gen.Input.KeyId != f.keyID {
		t.Errorf("GenerateDataKey KeyId = %q, want %q", gen.Input.KeyId, f.keyID)
	}
	if gen.Input.KeySpec != "AES_256" {
		t.Errorf("GenerateDataKey KeySpec = %q, want AES_256", gen.Input.KeySpec)
	}
	if !maps.Equal(gen.Input.EncryptionContext, ownerKMSContext) {
		t.Errorf("GenerateDataKey EncryptionContext = %v, want %v", gen.Input.EncryptionContext, ownerKMSContext)
	}

	dec := reqs[1]
	if dec.Target != "TrentService.Decrypt" {
		t.Errorf("second request X-Amz-Target = %q, want TrentService.Decrypt", dec.Target)
	}
	if dec.Input.KeyId != f.keyID {
		t.Errorf("Decrypt KeyId = %q, want %q", dec.Input.KeyId, f.keyID)
	}
	if !maps.Equal(dec.Input.EncryptionContext, ownerKMSContext) {
		t.Errorf("Decrypt EncryptionContext = %v, want %v", dec.Input.EncryptionContext, ownerKMSContext)
	}
	if len(dec.Input.CiphertextBlob) == 0 {
		t.Errorf("Decrypt CiphertextBlob is empty")
	}
}

func TestKMSOpenWrongContext(t *testing.T) {
	s, f := newKMS(t)
	sealed := mustSeal(t, s, []byte(secret), owner)
	for name, c := range otherContexts() {
		t.Run(name, func(t *testing.T) {
			before := len(f.received())
			got, err := s.Open(context.Background(), sealed, c)
			if !errors.Is(err, seal.ErrOpen) {
				t.Fatalf("Open with %+v: err = %v, want ErrOpen", c, err)
			}
			if got != nil {
				t.Errorf("Open with %+v returned %d bytes alongside the error", c, len(got))
			}
			// KMS itself must have refused: the binding is enforced by
			// KMS, not only by the local AAD.
			reqs := f.received()
			if len(reqs) != before+1 || reqs[before].Target != "TrentService.Decrypt" {
				t.Fatalf("want one Decrypt request, got %d requests", len(reqs)-before)
			}
		})
	}
}

func TestKMSFlippedByteFails(t *testing.T) {
	s, _ := newKMS(t)
	sealed := mustSeal(t, s, []byte(secret), owner)
	for i := range sealed {
		tampered := bytes.Clone(sealed)
		tampered[i] ^= 1 << (i % 8)
		if _, err := s.Open(context.Background(), tampered, owner); !errors.Is(err, seal.ErrOpen) {
			t.Errorf("Open with bit %d of byte %d flipped: err = %v, want ErrOpen", i%8, i, err)
		}
	}
}

func TestKMSOpenMalformed(t *testing.T) {
	s, f := newKMS(t)
	tests := []struct {
		name   string
		sealed []byte
	}{
		{"nil", nil},
		{"format byte only", []byte{0x02}},
		{"no wrapped key", []byte{0x02, 0, 0}},
		{"local format", append([]byte{0x01}, make([]byte, 40)...)},
		{"unknown format", append([]byte{0x7f, 0, 1, 9}, make([]byte, 28)...)},
		{"zero key length", append([]byte{0x02, 0, 0}, make([]byte, 40)...)},
		{"key length past end", append([]byte{0x02, 0xff, 0xff}, make([]byte, 40)...)},
		{"no room for nonce and tag", append([]byte{0x02, 0, 4, 1, 2, 3, 4}, make([]byte, 27)...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Open(context.Background(), tt.sealed, owner)
			if !errors.Is(err, seal.ErrOpen) {
				t.Errorf("Open(%x): err = %v, want ErrOpen", tt.sealed, err)
			}
			if got != nil {
				t.Errorf("Open(%x) returned %d bytes alongside the error", tt.sealed, len(got))
			}
		})
	}
	if n := len(f.received()); n != 0 {
		t.Errorf("malformed values caused %d KMS requests, want 0", n)
	}
}

func TestKMSOtherKeyFails(t *testing.T) {
	s, f := newKMS(t)
	sealed := mustSeal(t, s, []byte(secret), owner)

	// The same KMS, but the sealer names a different key: KMS answers
	// IncorrectKeyException.
	client := kms.New(kms.Options{
		BaseEndpoint:     aws.String(f.srv.URL),
		Region:           "eu-central-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
	})
	other := seal.NewKMS(client, "9999abcd-12ab-34cd-56ef-1234567890ab")
	if _, err := other.Open(context.Background(), sealed, owner); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("Open under another KMS key id: err = %v, want ErrOpen", err)
	}

	// Another KMS altogether (another master key) cannot unwrap the data
	// key: InvalidCiphertextException.
	elsewhere, _ := newKMS(t)
	if _, err := elsewhere.Open(context.Background(), sealed, owner); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("Open under another KMS: err = %v, want ErrOpen", err)
	}
}

func TestKMSUnavailable(t *testing.T) {
	s, f := newKMS(t)
	sealed := mustSeal(t, s, []byte(secret), owner)
	f.setFailing(true)

	_, sealErr := s.Seal(context.Background(), []byte(secret), owner)
	_, openErr := s.Open(context.Background(), sealed, owner)
	for name, err := range map[string]error{"Seal": sealErr, "Open": openErr} {
		if err == nil {
			t.Errorf("%s with KMS answering 500: err = nil, want an error", name)
			continue
		}
		if errors.Is(err, seal.ErrOpen) {
			t.Errorf("%s with KMS answering 500: err = %v wraps ErrOpen; an outage must not look like a bad value", name, err)
		}
		if !strings.Contains(err.Error(), "KMSInternalException") {
			t.Errorf("%s error %q does not say what KMS answered", name, err)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s error %q contains the secret", name, err)
		}
	}

	f.setFailing(false)
	if got, err := s.Open(context.Background(), sealed, owner); err != nil || string(got) != secret {
		t.Errorf("Open after KMS recovered = %q, %v; want the secret", got, err)
	}
}

func TestKMSUnreachable(t *testing.T) {
	s, f := newKMS(t)
	sealed := mustSeal(t, s, []byte(secret), owner)
	f.srv.Close()
	if _, err := s.Open(context.Background(), sealed, owner); err == nil || errors.Is(err, seal.ErrOpen) {
		t.Errorf("Open with KMS unreachable: err = %v, want an error that is not ErrOpen", err)
	}
}

func TestKMSSecretNeverLeavesProcess(t *testing.T) {
	s, f := newKMS(t)
	plaintexts := [][]byte{[]byte(secret), bytes.Repeat([]byte("caldav-password-MARKER "), 50)}
	for _, p := range plaintexts {
		sealed := mustSeal(t, s, p, owner)
		if _, err := s.Open(context.Background(), sealed, owner); err != nil {
			t.Fatalf("Open: %v", err)
		}
	}
	reqs := f.received()
	if len(reqs) != 2*len(plaintexts) {
		t.Fatalf("KMS received %d requests, want %d", len(reqs), 2*len(plaintexts))
	}
	for i, r := range reqs {
		for _, p := range plaintexts {
			if leaks(t, r.Body, p) {
				t.Errorf("request %d (%s) carries the secret: %s", i, r.Target, r.Body)
			}
		}
	}
}

// leaks reports whether a KMS JSON request body contains needle, either
// raw or inside any base64 string value.
func leaks(t *testing.T, body, needle []byte) bool {
	t.Helper()
	if bytes.Contains(body, needle) || bytes.Contains(body, needle[:16]) {
		return true
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("request body is not JSON: %v", err)
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			b, err := base64.StdEncoding.DecodeString(v)
			return err == nil && bytes.Contains(b, needle[:16])
		case map[string]any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		case []any:
			for _, e := range v {
				if walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

func TestKMSSealedHidesKeys(t *testing.T) {
	s, f := newKMS(t)
	sealed := mustSeal(t, s, []byte(secret), owner)
	if bytes.Contains(sealed, []byte(secret)) {
		t.Errorf("sealed value contains the plaintext")
	}
	keys := f.issuedKeys()
	if len(keys) != 1 {
		t.Fatalf("KMS issued %d data keys, want 1", len(keys))
	}
	if bytes.Contains(sealed, keys[0]) || bytes.Contains(sealed, keys[0][:8]) {
		t.Errorf("sealed value contains the plaintext data key")
	}
}

func TestKMSFreshDataKeyPerSeal(t *testing.T) {
	s, f := newKMS(t)
	a := mustSeal(t, s, []byte(secret), owner)
	b := mustSeal(t, s, []byte(secret), owner)
	if bytes.Equal(a, b) {
		t.Errorf("sealing the same plaintext twice gave equal values")
	}
	keys := f.issuedKeys()
	if len(keys) != 2 || bytes.Equal(keys[0], keys[1]) {
		t.Errorf("want two distinct data keys for two seals, got %d keys", len(keys))
	}
}

func TestKMSSealRefusesIncompleteContext(t *testing.T) {
	s, f := newKMS(t)
	if _, err := s.Seal(context.Background(), []byte(secret), slotbook.SecretContext{Company: "c", Employee: "e"}); err == nil {
		t.Errorf("Seal without a connection: err = nil, want an error")
	}
	if n := len(f.received()); n != 0 {
		t.Errorf("refused Seal sent %d KMS requests, want 0", n)
	}
}
