package apigw_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/slotbook/slotbook/pkg/aws/apigw"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

// pool is a Cognito user pool's key endpoint.
type pool struct {
	srv    *httptest.Server
	key    *rsa.PrivateKey
	issuer string
}

func newPool(t *testing.T) *pool {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &pool{key: key}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/eu-central-1_Pool/.well-known/jwks.json" {
			http.NotFound(w, r)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	}))
	t.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + "/eu-central-1_Pool"
	return p
}

func (p *pool) token(t *testing.T, edit func(c jwt.MapClaims)) string {
	c := jwt.MapClaims{
		"sub": "ana", "custom:company": "acme", "custom:role": "staff", "token_use": "id",
		"iss": p.issuer, "aud": "client-1", "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	}
	if edit != nil {
		edit(c)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = "k1"
	s, err := tok.SignedString(p.key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authenticate(a apigw.Authenticator, header string) (slotbook.Principal, bool, error) {
	r := httptest.NewRequest("DELETE", "/v1/companies/acme/bookings/b1", nil)
	if header != "" {
		r.Header.Set("Authorization", header)
	}
	return a.Authenticate(r)
}

func TestCognitoIDTokensOnRoutesWithoutAuthorizer(t *testing.T) {
	p := newPool(t)
	a := apigw.Authenticator{Bearer: apigw.NewCognito(p.issuer, []string{"client-1"})}

	got, ok, err := authenticate(a, "Bearer "+p.token(t, nil))
	if err != nil || !ok || got != (slotbook.Principal{Subject: "ana", Company: "acme", Role: slotbook.RoleStaff}) {
		t.Fatalf("valid ID token: %+v, %v, %v", got, ok, err)
	}
	hs, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ana", "custom:company": "acme", "custom:role": "admin",
		"token_use": "id", "iss": p.issuer, "aud": "client-1", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte("guess"))
	for name, tok := range map[string]string{
		"access token":        p.token(t, func(c jwt.MapClaims) { c["token_use"] = "access" }),
		"another app client":  p.token(t, func(c jwt.MapClaims) { c["aud"] = "client-2" }),
		"another pool":        p.token(t, func(c jwt.MapClaims) { c["iss"] = "https://cognito-idp.eu-central-1.amazonaws.com/other" }),
		"expired":             p.token(t, func(c jwt.MapClaims) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
		"no expiry":           p.token(t, func(c jwt.MapClaims) { delete(c, "exp") }),
		"HS256 with a guess":  hs,
		"a role that is none": p.token(t, func(c jwt.MapClaims) { c["custom:role"] = "root" }),
		"tampered payload":    p.token(t, nil)[:40] + "x" + p.token(t, nil)[41:],
		"not a token at all":  "garbage",
	} {
		t.Run(name, func(t *testing.T) {
			if got, ok, err := authenticate(a, "Bearer "+tok); ok || err == nil {
				t.Errorf("accepted: %+v, %v, %v", got, ok, err)
			}
		})
	}
	if _, ok, err := authenticate(a, ""); ok || err != nil {
		t.Errorf("no header: %v, %v; want no caller, no error", ok, err)
	}
	if _, ok, err := authenticate(apigw.Authenticator{}, "Bearer "+p.token(t, nil)); ok || err != nil {
		t.Errorf("without a verifier the header is ignored: %v, %v", ok, err)
	}
}
