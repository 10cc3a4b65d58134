package slotbook

import "context"

// SecretContext names what a stored secret belongs to. A Sealer binds a
// sealed value to it, so the value opens only with the same SecretContext:
// a sealed value copied into another company's, employee's or
// connection's item does not open. All three fields must be non-empty.
// They are identifiers, not secrets (on AWS they appear in CloudTrail).
type SecretContext struct {
	Company  string // company ID
	Employee string // employee ID
	// Purpose is what of the employee's the secret is for: a calendar
	// connection's ID, or "cancel-token:" and a booking ID.
	Purpose string
}

// Sealer seals secrets for storage and opens them again: the OAuth
// refresh tokens and CalDAV passwords of calendar connections and the
// cancel tokens of bookings. package seal implements it with a local key
// (seal.Local) and with AWS KMS (seal.KMS).
//
// Implementations are safe for concurrent use and never put a secret or
// key material into an error.
type Sealer interface {
	// Seal encrypts plaintext for c and returns the sealed value, which
	// is safe to store. Sealing the same plaintext twice gives different
	// values. Seal fails if a field of c is empty or the key service
	// cannot be reached or refuses. Seal does not keep or modify
	// plaintext.
	Seal(ctx context.Context, plaintext []byte, c SecretContext) ([]byte, error)

	// Open decrypts a value returned by Seal for the same SecretContext
	// and key. It fails when sealed is malformed or was tampered with, or
	// when c or the key differs from the one it was sealed with, and when
	// the key service is unavailable or refuses.
	Open(ctx context.Context, sealed []byte, c SecretContext) ([]byte, error)
}
