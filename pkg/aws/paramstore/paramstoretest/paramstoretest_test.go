package paramstoretest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/slotbook/slotbook/pkg/aws/paramstore/paramstoretest"
)

// get asks the stand-in as a function would, with AWS's documented request.
func get(t *testing.T, s *paramstoretest.Server, path string, q url.Values, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://localhost:"+s.Port+path+"?"+q.Encode(), nil)
	if token != "" {
		req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestTheStandInAnswersAsTheDocumentedExtension(t *testing.T) {
	s := paramstoretest.New(t, "tok", map[string]string{"/a/b/c": "the value"})
	type answer struct {
		Parameter struct{ ARN, Name, Type, Value string }
	}
	for _, tc := range []struct {
		name, path string
		q          url.Values
		wantValue  bool
	}{
		{"a hierarchical name, decrypted", "/systemsmanager/parameters/get", url.Values{"name": {"/a/b/c"}, "withDecryption": {"true"}}, true},
		{"with the trailing slash", "/systemsmanager/parameters/get/", url.Values{"name": {"/a/b/c"}, "withDecryption": {"true"}}, true},
		{"by ARN", "/systemsmanager/parameters/get", url.Values{"name": {"arn:aws:ssm:eu-central-1:123456789012:parameter/a/b/c"}, "withDecryption": {"true"}}, true},
		{"without decryption: the ciphertext", "/systemsmanager/parameters/get", url.Values{"name": {"/a/b/c"}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, s, tc.path, tc.q, "tok")
			var a answer
			if code != http.StatusOK || json.Unmarshal(body, &a) != nil {
				t.Fatalf("%d %s", code, body)
			}
			if a.Parameter.Name != "/a/b/c" || a.Parameter.Type != "SecureString" || a.Parameter.ARN != "arn:aws:ssm:eu-central-1:123456789012:parameter/a/b/c" {
				t.Errorf("parameter %+v", a.Parameter)
			}
			if got := a.Parameter.Value == "the value"; got != tc.wantValue {
				t.Errorf("Value %q; plaintext wanted: %v", a.Parameter.Value, tc.wantValue)
			}
		})
	}
	if code, _ := get(t, s, "/systemsmanager/parameters/get", url.Values{"name": {"/a/b/c"}}, ""); code != http.StatusUnauthorized {
		t.Errorf("without the token: %d, want 401", code)
	}
	if code, _ := get(t, s, "/systemsmanager/parameters/get", url.Values{"name": {"/a/b/c"}}, "other"); code != http.StatusUnauthorized {
		t.Errorf("with another token: %d, want 401", code)
	}
	if code, _ := get(t, s, "/systemsmanager/parameters/get", url.Values{"name": {"/x"}}, "tok"); code != http.StatusBadRequest {
		t.Errorf("a missing parameter: %d, want 400", code)
	}
	if n := len(s.Requests()); n != 7 {
		t.Errorf("%d requests recorded, want 7", n)
	}
}

// A Tripwire counts every connection, so a test that expects none can fail.
func TestTripwireCountsConnections(t *testing.T) {
	w := paramstoretest.NewTripwire(t)
	if n := w.Connections(); n != 0 {
		t.Fatalf("Connections() = %d before any call, want 0", n)
	}
	for range 2 {
		if resp, err := http.Get("http://localhost:" + w.Port + "/systemsmanager/parameters/get?name=x"); err == nil {
			resp.Body.Close()
			t.Error("a request to the tripwire was answered")
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for w.Connections() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := w.Connections(); n != 2 {
		t.Errorf("Connections() = %d after two requests, want 2", n)
	}
}
