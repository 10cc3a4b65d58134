package seal_test

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// fakeKMS is an httptest server that speaks the AWS KMS JSON 1.1 wire
// protocol for GenerateDataKey and Decrypt, as documented in the KMS API
// reference: POST /, X-Amz-Target: TrentService.<Operation>, Content-Type
// application/x-amz-json-1.1, blobs as base64 strings. Like KMS it keeps a
// master key that never leaves it, wraps each data key under it with the
// encryption context as additional data, and answers Decrypt with
// InvalidCiphertextException when the context differs.
type fakeKMS struct {
	srv    *httptest.Server
	keyID  string // the ID clients name
	keyARN string // what responses report as KeyId
	master cipher.AEAD

	mu       sync.Mutex
	requests []kmsRequest
	dataKeys [][]byte // every plaintext data key handed out
	blobs    [][]byte // every wrapped data key (CiphertextBlob) handed out
	failing  bool     // answer every request 500 KMSInternalException
}

// kmsRequest is one request the fake received.
type kmsRequest struct {
	Target string // X-Amz-Target
	Body   []byte // raw JSON body
	Input  kmsInput
}

// kmsInput holds the request fields of GenerateDataKey and Decrypt.
type kmsInput struct {
	KeyId             string
	KeySpec           string
	NumberOfBytes     *int
	EncryptionContext map[string]string
	CiphertextBlob    []byte // base64 on the wire; encoding/json decodes it
}

func newFakeKMS(t *testing.T) *fakeKMS {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	master, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeKMS{
		keyID:  "1234abcd-12ab-34cd-56ef-1234567890ab",
		keyARN: "arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
		master: master,
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeKMS) setFailing(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failing = v
}

// received returns a copy of the requests so far.
func (f *fakeKMS) received() []kmsRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// issuedKeys returns the plaintext data keys handed out so far.
func (f *fakeKMS) issuedKeys() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.dataKeys)
}

// issuedBlobs returns the wrapped data keys handed out so far.
func (f *fakeKMS) issuedBlobs() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.blobs)
}

func (f *fakeKMS) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		kmsError(w, http.StatusBadRequest, "SerializationException", "unreadable body")
		return
	}
	target := r.Header.Get("X-Amz-Target")
	var in kmsInput
	jsonErr := json.Unmarshal(body, &in)

	f.mu.Lock()
	f.requests = append(f.requests, kmsRequest{Target: target, Body: body, Input: in})
	failing := f.failing
	f.mu.Unlock()

	switch {
	case failing:
		kmsError(w, http.StatusInternalServerError, "KMSInternalException", "the service is unavailable")
		return
	case r.Method != http.MethodPost || r.URL.Path != "/":
		kmsError(w, http.StatusBadRequest, "UnknownOperationException", "want POST /")
		return
	case r.Header.Get("Content-Type") != "application/x-amz-json-1.1":
		kmsError(w, http.StatusBadRequest, "SerializationException", "want Content-Type application/x-amz-json-1.1")
		return
	case !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=AKID/"):
		kmsError(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "request is not signed")
		return
	case jsonErr != nil:
		kmsError(w, http.StatusBadRequest, "SerializationException", "body is not valid JSON")
		return
	case in.KeyId != f.keyID && in.KeyId != f.keyARN:
		if target == "TrentService.Decrypt" && in.KeyId != "" {
			kmsError(w, http.StatusBadRequest, "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
			return
		}
		kmsError(w, http.StatusBadRequest, "NotFoundException", "key does not exist")
		return
	}
	switch target {
	case "TrentService.GenerateDataKey":
		f.generateDataKey(w, in)
	case "TrentService.Decrypt":
		f.decrypt(w, in)
	default:
		kmsError(w, http.StatusBadRequest, "UnknownOperationException", "unknown operation")
	}
}

func (f *fakeKMS) generateDataKey(w http.ResponseWriter, in kmsInput) {
	if in.KeySpec != "AES_256" || in.NumberOfBytes != nil {
		kmsError(w, http.StatusBadRequest, "ValidationException", "this fake supports KeySpec AES_256 only")
		return
	}
	dataKey := make([]byte, 32)
	rand.Read(dataKey)
	nonce := make([]byte, f.master.NonceSize())
	rand.Read(nonce)
	blob := f.master.Seal(nonce, nonce, dataKey, canonicalContext(in.EncryptionContext))

	f.mu.Lock()
	f.dataKeys = append(f.dataKeys, slices.Clone(dataKey))
	f.blobs = append(f.blobs, slices.Clone(blob))
	f.mu.Unlock()

	kmsReply(w, map[string]any{
		"CiphertextBlob": blob, // encoding/json writes []byte as base64
		"Plaintext":      dataKey,
		"KeyId":          f.keyARN,
		"KeyMaterialId":  "0000000000000000000000000000000000000000000000000000000000000001",
	})
}

func (f *fakeKMS) decrypt(w http.ResponseWriter, in kmsInput) {
	n := f.master.NonceSize()
	if len(in.CiphertextBlob) < n {
		kmsError(w, http.StatusBadRequest, "InvalidCiphertextException", "")
		return
	}
	dataKey, err := f.master.Open(nil, in.CiphertextBlob[:n], in.CiphertextBlob[n:], canonicalContext(in.EncryptionContext))
	if err != nil {
		// Real KMS says nothing about why; neither does the fake.
		kmsError(w, http.StatusBadRequest, "InvalidCiphertextException", "")
		return
	}
	kmsReply(w, map[string]any{
		"Plaintext":           dataKey,
		"KeyId":               f.keyARN,
		"EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
		"KeyMaterialId":       "0000000000000000000000000000000000000000000000000000000000000001",
	})
}

// canonicalContext encodes an encryption context independently of map
// order: sorted keys, each key and value length-prefixed.
func canonicalContext(ec map[string]string) []byte {
	var b []byte
	for _, k := range slices.Sorted(maps.Keys(ec)) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(ec[k])))
		b = append(b, ec[k]...)
	}
	return b
}

func kmsReply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	json.NewEncoder(w).Encode(v)
}

func kmsError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
