// Package seal implements slotbook.Sealer: it encrypts the few secrets
// slotbook must keep, the OAuth refresh tokens and CalDAV passwords of
// employees' calendar connections and the cancel tokens of bookings
// (design.md, "Forget after use", item 4). A sealed value is stored in
// DynamoDB in place of the secret; only a Sealer turns it back into the
// secret, and only for the slotbook.SecretContext it was sealed for.
//
// # Binding to a context
//
// Every sealed value belongs to one company, employee and purpose (a
// calendar connection, a booking's cancel token). That context is bound cryptographically: it is the
// additional authenticated data (AAD) of the AES-256-GCM encryption, and
// in KMS mode also the KMS encryption context of the data key. A sealed
// value copied into another company's, employee's or connection's item
// therefore does not open, so a bug or a tampered table item that mixes up
// rows cannot hand one tenant's calendar credentials to another. The AAD
// encodes the three fields with length prefixes, so ("a#b", "c") and
// ("a", "b#c") are different contexts. Context fields are identifiers, not
// secrets: in KMS mode they appear in AWS CloudTrail.
//
// # Two modes
//
// Local (NewLocal) is for `make dev` and tests: one AES-256 key in a file
// that is created on first use. Its sealed format is
//
//	0x01 | nonce (12 bytes) | AES-256-GCM ciphertext and tag
//
// KMS (NewKMS) is for AWS and uses envelope encryption. Seal asks KMS
// (GenerateDataKey) for a fresh 256-bit data key, receiving it twice: in
// plaintext and wrapped under the KMS key with the Context as encryption
// context. The secret is encrypted here, in the process, with the
// plaintext data key, which is then zeroed; only the wrapped data key is
// kept, next to the ciphertext:
//
//	0x02 | len(wrapped key) (2 bytes, big endian) | wrapped key |
//	nonce (12 bytes) | AES-256-GCM ciphertext and tag
//
// Open sends the wrapped key and the Context to KMS (Decrypt) and decrypts
// locally with the key KMS returns.
//
// Why envelope encryption rather than sending the secret to KMS Encrypt:
// the secret never leaves the process (KMS sees only key requests), every
// secret has its own data key (one exposed data key exposes one secret),
// KMS and IAM decide who may unwrap a key and log every unwrap with its
// encryption context, and IAM policies can be narrowed with the
// kms:EncryptionContext:company condition key. The KMS key itself never
// leaves KMS, so a copy of the table alone opens nothing.
//
// Errors from Open wrap ErrOpen when the value cannot be opened with the
// given Context and key; no error of this package contains a secret or key
// material.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// ErrOpen is wrapped by every error Open returns for a sealed value that
// does not open with the given Context and key: malformed, tampered with,
// sealed for another Context, or sealed under another key.
var ErrOpen = errors.New("sealed value does not open")

// Sealed format bytes, the first byte of every sealed value.
const (
	formatLocal byte = 0x01 // Local: AES-256-GCM under the key file's key
	formatKMS   byte = 0x02 // KMS: envelope with a KMS-wrapped data key
)

const (
	keySize   = 32 // AES-256
	nonceSize = 12 // the standard GCM nonce
	tagSize   = 16 // the standard GCM tag
)

// valid reports whether every field of c is set. An empty field would make
// the binding weaker than callers expect, so Seal refuses it.
func valid(c slotbook.SecretContext) bool {
	return c.Company != "" && c.Employee != "" && c.Purpose != ""
}

// aad encodes c unambiguously for use as GCM additional data: a label,
// then each field as a 4-byte big-endian length followed by its bytes.
// Both modes use the same encoding.
func aad(c slotbook.SecretContext) []byte {
	const label = "slotbook/seal context v1\x00"
	b := make([]byte, 0, len(label)+12+len(c.Company)+len(c.Employee)+len(c.Purpose))
	b = append(b, label...)
	for _, f := range [...]string{c.Company, c.Employee, c.Purpose} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// newGCM returns AES-256-GCM with the standard nonce and tag sizes.
func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("key has %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// sealGCM appends nonce | ciphertext and tag of plaintext to dst. The
// nonce is random; each key in this package either lives for one value
// (KMS data keys) or seals few enough values (a local development key)
// that random 96-bit nonces do not collide.
func sealGCM(dst []byte, aead cipher.AEAD, plaintext, aad []byte) []byte {
	nonce := make([]byte, nonceSize)
	rand.Read(nonce) // never fails (crypto/rand, Go 1.24+)
	dst = append(dst, nonce...)
	return aead.Seal(dst, nonce, plaintext, aad)
}

// openGCM decrypts nonce | ciphertext and tag. It returns false, and no
// plaintext, when b is too short or fails authentication.
func openGCM(aead cipher.AEAD, b, aad []byte) ([]byte, bool) {
	if len(b) < nonceSize+tagSize {
		return nil, false
	}
	plaintext, err := aead.Open(nil, b[:nonceSize], b[nonceSize:], aad)
	if err != nil {
		return nil, false
	}
	if plaintext == nil {
		plaintext = []byte{} // an empty secret opens as empty, not nil
	}
	return plaintext, true
}
