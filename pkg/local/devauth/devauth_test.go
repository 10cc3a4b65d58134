package devauth_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/slotbook/slotbook/pkg/local/devauth"
	"github.com/slotbook/slotbook/pkg/slotbook"
)

func authenticate(v *devauth.Verifier, header string) (slotbook.Principal, bool, error) {
	r := httptest.NewRequest("GET", "/", nil)
	if header != "" {
		r.Header.Set("Authorization", header)
	}
	return v.Authenticate(r)
}

func TestSignedTokensVerify(t *testing.T) {
	v := devauth.NewVerifier("k")
	want := slotbook.Principal{Subject: "ana", Company: "acme", Role: slotbook.RoleStaff}
	tok, err := devauth.Sign("k", want, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := authenticate(v, "Bearer "+tok)
	if err != nil || !ok || got != want {
		t.Errorf("Authenticate = %+v, %v, %v; want %+v", got, ok, err, want)
	}
	if _, ok, err := authenticate(v, ""); ok || err != nil {
		t.Errorf("no header: ok = %v, err = %v; want no caller and no error", ok, err)
	}
}

func TestBadTokensAreRefused(t *testing.T) {
	v := devauth.NewVerifier("k")
	sign := func(method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(method, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	exp := time.Now().Add(time.Hour).Unix()
	cases := map[string]string{
		"other secret":          sign(jwt.SigningMethodHS256, []byte("x"), jwt.MapClaims{"sub": "a", "custom:company": "acme", "custom:role": "admin", "exp": exp}),
		"alg none":              sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"sub": "a", "custom:company": "acme", "custom:role": "admin", "exp": exp}),
		"HS512":                 sign(jwt.SigningMethodHS512, []byte("k"), jwt.MapClaims{"sub": "a", "custom:company": "acme", "custom:role": "admin", "exp": exp}),
		"no expiry":             sign(jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"sub": "a", "custom:company": "acme", "custom:role": "admin"}),
		"expired":               sign(jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"sub": "a", "custom:company": "acme", "custom:role": "admin", "exp": time.Now().Add(-time.Hour).Unix()}),
		"unknown role":          sign(jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"sub": "a", "custom:company": "acme", "custom:role": "root", "exp": exp}),
		"admin without company": sign(jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"sub": "a", "custom:role": "admin", "exp": exp}),
		"support with company":  sign(jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"sub": "a", "custom:company": "acme", "custom:role": "support", "exp": exp}),
		"no sub":                sign(jwt.SigningMethodHS256, []byte("k"), jwt.MapClaims{"custom:company": "acme", "custom:role": "admin", "exp": exp}),
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if p, ok, err := authenticate(v, "Bearer "+tok); ok || err == nil {
				t.Errorf("Authenticate = %+v, %v, %v; want an error", p, ok, err)
			}
		})
	}
	for _, h := range []string{"Basic YTpi", "Bearer", "Bearer "} {
		if _, ok, err := authenticate(v, h); ok || err == nil {
			t.Errorf("Authorization %q: ok = %v, err = %v; want an error", h, ok, err)
		}
	}
}
