// Package devauth signs and verifies the HS256 JWTs of local mode. On AWS
// the API Gateway JWT authorizer verifies Cognito's tokens instead (package
// apigw); both yield the same slotbook.Principal from the same claims.
package devauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// DefaultSecret is the signing secret when SLOTBOOK_DEV_JWT_SECRET is unset.
const DefaultSecret = "dev-secret"

// claims are the JWT claims slotbook reads (Cognito's names).
type claims struct {
	Company string `json:"custom:company,omitempty"`
	Role    string `json:"custom:role"`
	jwt.RegisteredClaims
}

// Verifier checks HS256 bearer tokens. It implements httpapi.Authenticator.
type Verifier struct {
	secret []byte
	parser *jwt.Parser
}

// NewVerifier returns a verifier of tokens signed with secret.
func NewVerifier(secret string) *Verifier {
	return &Verifier{
		secret: []byte(secret),
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(30*time.Second),
		),
	}
}

// Authenticate reads the bearer token of r. ok is false without an
// Authorization header.
func (v *Verifier) Authenticate(r *http.Request) (slotbook.Principal, bool, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return slotbook.Principal{}, false, nil
	}
	scheme, token, found := strings.Cut(h, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return slotbook.Principal{}, false, errors.New("devauth: Authorization is not a bearer token")
	}
	var c claims
	if _, err := v.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return v.secret, nil }); err != nil {
		return slotbook.Principal{}, false, fmt.Errorf("devauth: %w", err)
	}
	p, err := slotbook.NewPrincipal(c.Subject, c.Company, c.Role)
	return p, err == nil, err
}

// Sign returns an HS256 token for p, valid from now for ttl.
func Sign(secret string, p slotbook.Principal, now time.Time, ttl time.Duration) (string, error) {
	c := claims{
		Company: p.Company,
		Role:    string(p.Role),
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   p.Subject,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
}
