// Package apigw runs slotbook's net/http handlers on AWS Lambda behind an
// API Gateway HTTP API (payload format 2.0), and reads the caller from the
// claims that API Gateway's JWT authorizer has already verified.
package apigw

import (
	"context"
	"errors"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/slotbook/slotbook/pkg/slotbook"
)

// Handler is a Lambda handler of API Gateway HTTP API events.
type Handler func(ctx context.Context, e events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// NewHandler returns the Lambda handler that serves h. The request id of
// API Gateway becomes the request's X-Request-Id, so logs and answers carry
// the id that API Gateway's access log shows.
func NewHandler(h http.Handler) Handler {
	adapter := httpadapter.NewV2(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok && rc.RequestID != "" {
			r.Header.Set("X-Request-Id", rc.RequestID)
		}
		h.ServeHTTP(w, r)
	}))
	return adapter.ProxyWithContext
}

// Authenticator reads the caller from the JWT authorizer's claims in the
// API Gateway request context. API Gateway has checked the token's
// signature, issuer, audience and expiry before the function runs; routes
// without an authorizer carry no claims, and there, if Bearer is set, a
// bearer token is verified here instead. It implements
// httpapi.Authenticator.
type Authenticator struct {
	// Bearer verifies tokens on routes without an authorizer; nil ignores them.
	Bearer *Cognito
}

// Authenticate returns the caller named by the claims sub, custom:company
// and custom:role. ok is false when the request carries no JWT.
func (a Authenticator) Authenticate(r *http.Request) (slotbook.Principal, bool, error) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok || rc.Authorizer == nil || rc.Authorizer.JWT == nil || len(rc.Authorizer.JWT.Claims) == 0 {
		token, present := bearer(r)
		if a.Bearer == nil || !present {
			return slotbook.Principal{}, false, nil
		}
		if token == "" {
			return slotbook.Principal{}, false, errors.New("apigw: Authorization is not a bearer token")
		}
		p, err := a.Bearer.Verify(r.Context(), token)
		return p, err == nil, err
	}
	c := rc.Authorizer.JWT.Claims
	p, err := slotbook.NewPrincipal(c["sub"], c["custom:company"], c["custom:role"])
	if err != nil {
		return slotbook.Principal{}, false, errors.Join(errors.New("apigw: authorizer claims"), err)
	}
	return p, true, nil
}
