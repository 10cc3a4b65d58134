package apigw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Cognito verifies Cognito ID tokens in the function itself, for the one
// kind of route API Gateway lets through without its authorizer but that a
// signed-in dashboard user may also call: cancelling a booking, which the
// widget does with a cancel token instead. It checks the RS256 signature
// against the pool's published keys, the issuer, the audience (an app
// client id), the expiry, and that the token is an ID token.
type Cognito struct {
	issuer    string
	audiences []string
	parser    *jwt.Parser

	mu sync.Mutex
	kf keyfunc.Keyfunc // fetched on first use, so that cold starts stay fast
}

// NewCognito returns a verifier for tokens of the user pool whose issuer
// is issuer (https://cognito-idp.<region>.amazonaws.com/<pool id>) and of
// the given app clients.
func NewCognito(issuer string, audiences []string) *Cognito {
	return &Cognito{
		issuer:    strings.TrimSuffix(issuer, "/"),
		audiences: audiences,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
			jwt.WithIssuer(strings.TrimSuffix(issuer, "/")),
			jwt.WithExpirationRequired(),
			jwt.WithLeeway(30*time.Second),
		),
	}
}

// keys returns the key set, fetching it the first time.
func (c *Cognito) keys(ctx context.Context) (keyfunc.Keyfunc, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.kf != nil {
		return c.kf, nil
	}
	// The refresh goroutine lives as long as the process (the Lambda sandbox).
	kf, err := keyfunc.NewDefaultCtx(context.WithoutCancel(ctx), []string{c.issuer + "/.well-known/jwks.json"})
	if err != nil {
		return nil, fmt.Errorf("apigw: the user pool's keys: %w", err)
	}
	c.kf = kf
	return kf, nil
}

type cognitoClaims struct {
	Company  string `json:"custom:company"`
	Role     string `json:"custom:role"`
	TokenUse string `json:"token_use"`
	jwt.RegisteredClaims
}

// Verify checks an ID token and returns the caller it names.
func (c *Cognito) Verify(ctx context.Context, token string) (slotbook.Principal, error) {
	kf, err := c.keys(ctx)
	if err != nil {
		return slotbook.Principal{}, err
	}
	var claims cognitoClaims
	if _, err := c.parser.ParseWithClaims(token, &claims, kf.Keyfunc); err != nil {
		return slotbook.Principal{}, fmt.Errorf("apigw: %w", err)
	}
	if claims.TokenUse != "id" {
		return slotbook.Principal{}, errors.New("apigw: not an ID token")
	}
	if !audienceIn(claims.Audience, c.audiences) {
		return slotbook.Principal{}, errors.New("apigw: the token is for another app client")
	}
	return slotbook.NewPrincipal(claims.Subject, claims.Company, claims.Role)
}

func audienceIn(aud jwt.ClaimStrings, allowed []string) bool {
	for _, a := range aud {
		for _, b := range allowed {
			if a == b && a != "" {
				return true
			}
		}
	}
	return false
}

// bearer returns the bearer token of r, or "".
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", true
	}
	return token, true
}
