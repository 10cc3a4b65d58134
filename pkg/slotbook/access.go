package slotbook

import (
	"context"
	"errors"
)

type principalKey struct{}

// WithPrincipal returns a context that carries the signed-in caller.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the signed-in caller of ctx, if there is one.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Access is what a use case needs the caller to be allowed.
type Access int

// The kinds of access, from least to most.
const (
	// Read: see the company's settings and dashboard data.
	Read Access = iota
	// EditEmployee: change one employee's own data (staff may for themselves).
	EditEmployee
	// Manage: change the company, its services and its staff list (admins only).
	Manage
)

// Authorize decides whether the caller in ctx may have access to company c;
// employeeID names the employee concerned for EditEmployee. It returns
// Unauthorized without a caller and Forbidden when the rules of api.md say
// no: admin and staff act only in their own company, staff edit only the
// employee whose id is their subject, support only reads, and only while
// the company's SupportAccess is on.
func Authorize(ctx context.Context, c Company, need Access, employeeID string) error {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Errorf(Unauthorized, "Sign in to use this route.")
	}
	switch p.Role {
	case RoleAdmin, RoleStaff:
		if p.Company == "" || p.Company != c.ID {
			return Errorf(Forbidden, "You may not access this company.")
		}
		if p.Role == RoleAdmin || need == Read {
			return nil
		}
		if need == EditEmployee && employeeID != "" && employeeID == p.Subject {
			return nil
		}
		return Errorf(Forbidden, "Staff may change only their own employee data.")
	case RoleSupport:
		if !c.SupportAccess {
			return Errorf(Forbidden, "This company has not granted access to support.")
		}
		if need != Read {
			return Errorf(Forbidden, "Support has read-only access.")
		}
		return nil
	}
	return Errorf(Forbidden, "Unknown role.")
}

// NewPrincipal checks the JWT claims sub, custom:company and custom:role
// and returns the caller they name. Admin and staff need a company;
// support must not have one.
func NewPrincipal(sub, company, role string) (Principal, error) {
	p := Principal{Subject: sub, Company: company, Role: Role(role)}
	switch {
	case sub == "":
		return Principal{}, errors.New("slotbook: the token has no sub")
	case p.Role == RoleAdmin || p.Role == RoleStaff:
		if !ValidID(company) {
			return Principal{}, errors.New("slotbook: the token has no valid custom:company")
		}
	case p.Role == RoleSupport:
		if company != "" {
			return Principal{}, errors.New("slotbook: a support token must not name a company")
		}
	default:
		return Principal{}, errors.New("slotbook: custom:role is not admin, staff or support")
	}
	return p, nil
}
