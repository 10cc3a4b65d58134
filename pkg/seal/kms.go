package seal

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// KMSClient is the part of the AWS KMS API that KMS needs. *kms.Client
// from github.com/aws/aws-sdk-go-v2/service/kms satisfies it.
type KMSClient interface {
	GenerateDataKey(ctx context.Context, params *kms.GenerateDataKeyInput, optFns ...func(*kms.Options)) (*kms.GenerateDataKeyOutput, error)
	Decrypt(ctx context.Context, params *kms.DecryptInput, optFns ...func(*kms.Options)) (*kms.DecryptOutput, error)
}

var _ KMSClient = (*kms.Client)(nil)

// KMS is the Sealer for AWS: envelope encryption with a fresh data key per
// secret, generated and wrapped by AWS KMS (see the package doc).
type KMS struct {
	client KMSClient
	keyID  string
}

var _ slotbook.Sealer = (*KMS)(nil)

// NewKMS returns a KMS that wraps data keys with the symmetric KMS key
// keyID (a key ID, key ARN, alias name or alias ARN) through client.
// Open passes keyID to Decrypt as well, so a value opens only under the
// key it names; after moving an alias to another key, values sealed under
// the old key fail with ErrOpen.
func NewKMS(client KMSClient, keyID string) *KMS {
	return &KMS{client: client, keyID: keyID}
}

// maxWrappedKey bounds the wrapped data key so its length fits the 2-byte
// prefix; KMS ciphertext blobs for a 32-byte key are a few hundred bytes.
const maxWrappedKey = 1<<16 - 1

// Seal encrypts plaintext for c under a new data key from KMS; see Sealer.
// Only the key request, never plaintext, is sent to KMS.
func (k *KMS) Seal(ctx context.Context, plaintext []byte, c slotbook.SecretContext) ([]byte, error) {
	if !valid(c) {
		return nil, errors.New("seal: kms seal: context has an empty field")
	}
	out, err := k.client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId:             &k.keyID,
		KeySpec:           types.DataKeySpecAes256,
		EncryptionContext: kmsContext(c),
	})
	if err != nil {
		return nil, fmt.Errorf("seal: kms generate data key with key %s: %w", k.keyID, err)
	}
	defer clear(out.Plaintext)
	wrapped := out.CiphertextBlob
	if len(wrapped) == 0 || len(wrapped) > maxWrappedKey {
		return nil, fmt.Errorf("seal: kms generate data key: wrapped key has %d bytes", len(wrapped))
	}
	aead, err := newGCM(out.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal: kms generate data key: %w", err)
	}
	sealed := make([]byte, 0, 3+len(wrapped)+nonceSize+len(plaintext)+tagSize)
	sealed = append(sealed, formatKMS)
	sealed = binary.BigEndian.AppendUint16(sealed, uint16(len(wrapped)))
	sealed = append(sealed, wrapped...)
	return sealGCM(sealed, aead, plaintext, aad(c)), nil
}

// Open asks KMS to unwrap the data key in sealed for c and decrypts with
// it; see Sealer. KMS answering InvalidCiphertextException (the wrapped key
// is damaged or c is not its encryption context) or IncorrectKeyException
// (it was wrapped under another KMS key) gives an error wrapping ErrOpen.
func (k *KMS) Open(ctx context.Context, sealed []byte, c slotbook.SecretContext) ([]byte, error) {
	wrapped, box, err := parseEnvelope(sealed)
	if err != nil {
		return nil, fmt.Errorf("seal: kms open: %w: %w", err, ErrOpen)
	}
	if !valid(c) {
		return nil, fmt.Errorf("seal: kms open: context has an empty field: %w", ErrOpen)
	}
	out, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    wrapped,
		EncryptionContext: kmsContext(c),
		KeyId:             &k.keyID,
	})
	if err != nil {
		var invalid *types.InvalidCiphertextException
		var incorrect *types.IncorrectKeyException
		if errors.As(err, &invalid) || errors.As(err, &incorrect) {
			return nil, fmt.Errorf("seal: kms decrypt data key: %w: %w", ErrOpen, err)
		}
		return nil, fmt.Errorf("seal: kms decrypt data key with key %s: %w", k.keyID, err)
	}
	defer clear(out.Plaintext)
	aead, err := newGCM(out.Plaintext)
	if err != nil {
		return nil, fmt.Errorf("seal: kms decrypt data key: %w", err)
	}
	plaintext, ok := openGCM(aead, box, aad(c))
	if !ok {
		return nil, fmt.Errorf("seal: kms open: %w", ErrOpen)
	}
	return plaintext, nil
}

// kmsContext is c as a KMS encryption context. Purpose keeps the key
// "connection" it had before cancel tokens were sealed too: values sealed
// then must still open, and KMS compares the context byte for byte.
func kmsContext(c slotbook.SecretContext) map[string]string {
	return map[string]string{
		"company":    c.Company,
		"employee":   c.Employee,
		"connection": c.Purpose,
	}
}

// parseEnvelope splits a KMS sealed value into the wrapped data key and
// nonce | ciphertext and tag. The slices alias sealed.
func parseEnvelope(sealed []byte) (wrapped, box []byte, err error) {
	if len(sealed) < 3 {
		return nil, nil, errors.New("too short")
	}
	if sealed[0] != formatKMS {
		return nil, nil, errors.New("not a kms sealed value")
	}
	n := int(binary.BigEndian.Uint16(sealed[1:3]))
	rest := sealed[3:]
	if n == 0 || n > len(rest) {
		return nil, nil, errors.New("bad wrapped key length")
	}
	wrapped, box = rest[:n], rest[n:]
	if len(box) < nonceSize+tagSize {
		return nil, nil, errors.New("too short")
	}
	return wrapped, box, nil
}
