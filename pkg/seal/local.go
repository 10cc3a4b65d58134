package seal

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Local is the Sealer of local mode: AES-256-GCM under one key kept in a
// file. It is for development and tests; on AWS use KMS.
type Local struct {
	aead cipher.AEAD
}

var _ slotbook.Sealer = (*Local)(nil)

// NewLocal returns a Local that uses the 32-byte key in keyFile. If keyFile
// does not exist, NewLocal creates it with 32 random bytes and mode 0600
// (and its directory with mode 0700). Creation is atomic: when several
// processes start at once on a missing file, all of them end up using the
// one key that was written first. NewLocal refuses a key file that is not
// a regular file of exactly 32 bytes.
func NewLocal(keyFile string) (*Local, error) {
	key, err := loadOrCreateKey(keyFile)
	if err != nil {
		return nil, err
	}
	defer clear(key) // the AEAD keeps its own expanded copy
	aead, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: %w", keyFile, err)
	}
	return &Local{aead: aead}, nil
}

// Seal encrypts plaintext for c; see Sealer.
func (l *Local) Seal(_ context.Context, plaintext []byte, c slotbook.SecretContext) ([]byte, error) {
	if !valid(c) {
		return nil, errors.New("seal: local seal: context has an empty field")
	}
	out := make([]byte, 1, 1+nonceSize+len(plaintext)+tagSize)
	out[0] = formatLocal
	return sealGCM(out, l.aead, plaintext, aad(c)), nil
}

// Open decrypts a value Seal returned for c; see Sealer.
func (l *Local) Open(_ context.Context, sealed []byte, c slotbook.SecretContext) ([]byte, error) {
	if len(sealed) == 0 || sealed[0] != formatLocal {
		return nil, fmt.Errorf("seal: local open: not a local sealed value: %w", ErrOpen)
	}
	if !valid(c) {
		return nil, fmt.Errorf("seal: local open: context has an empty field: %w", ErrOpen)
	}
	plaintext, ok := openGCM(l.aead, sealed[1:], aad(c))
	if !ok {
		return nil, fmt.Errorf("seal: local open: %w", ErrOpen)
	}
	return plaintext, nil
}

// loadOrCreateKey reads the key in path, creating the file first if it
// does not exist.
func loadOrCreateKey(path string) ([]byte, error) {
	key, err := readKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("seal: create key directory: %w", err)
	}
	key = make([]byte, keySize)
	rand.Read(key) // never fails (crypto/rand, Go 1.24+)

	// Write the key completely under a temporary name, then link it into
	// place. Unlike rename, link never replaces a file: if another process
	// won the race, we read its key instead of overwriting one it may
	// already be using. And readers never see a half-written file.
	tmp, err := os.CreateTemp(dir, ".seal-key-*") // mode 0600
	if err != nil {
		clear(key)
		return nil, fmt.Errorf("seal: create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(key)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	switch {
	case err == nil:
		return key, nil
	case errors.Is(err, fs.ErrExist):
		clear(key)
		return readKey(path)
	default:
		clear(key)
		return nil, fmt.Errorf("seal: create key file %s: %w", path, err)
	}
}

// readKey reads the key in path, which must be a regular file of keySize
// bytes. Errors name the file and its size, never its content.
func readKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("seal: open key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("seal: key file %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("seal: key file %s is not a regular file", path)
	}
	if fi.Size() != keySize {
		return nil, fmt.Errorf("seal: key file %s has %d bytes, want %d", path, fi.Size(), keySize)
	}
	key := make([]byte, keySize)
	if _, err := io.ReadFull(f, key); err != nil {
		clear(key)
		return nil, fmt.Errorf("seal: read key file %s: %w", path, err)
	}
	return key, nil
}

// NewEphemeral returns a Local with a random key that lives only in this
// process: what it seals opens only until the process ends. It suits tests
// and a local server whose data is in memory anyway.
func NewEphemeral() *Local {
	key := make([]byte, keySize)
	rand.Read(key) // never fails (crypto/rand documents it)
	defer clear(key)
	aead, err := newGCM(key)
	if err != nil {
		panic(err) // a 32-byte key is always accepted
	}
	return &Local{aead: aead}
}
