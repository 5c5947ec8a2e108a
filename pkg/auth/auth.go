// Package auth authenticates callers of the platform's gRPC services: it
// verifies bearer tokens (JWTs signed by the identity provider), turns them
// into a Principal carried in the context, and provides the credentials a
// service needs for calls of its own (bearer tokens and mutual TLS).
//
// Authentication only: deciding what a Principal may do is the business of
// each service's domain, which reads the Principal with FromContext.
package auth

import (
	"context"
	"slices"
)

// Role is what a caller is in the platform's organisation. A token with a
// role not declared here is refused.
type Role string

// The roles of the platform.
const (
	CityAdmin          Role = "city_admin"
	DistrictAdmin      Role = "district_admin"
	StreetAdmin        Role = "street_admin"
	CommunitySecretary Role = "community_secretary"
	GridLeader         Role = "grid_leader"
	UnitContact        Role = "unit_contact"
	Inspector          Role = "inspector"
	Member             Role = "member"
	// System is another government system, authorised by OAuth scopes.
	System Role = "system"
	// Service is one of the platform's own services calling another.
	Service Role = "service"
)

// roles lists the valid roles; true marks those that always work inside an
// organisation subtree. A token for one of those without a scope_org would
// otherwise read as city-wide, so it is refused rather than widened.
var roles = map[Role]bool{
	CityAdmin:          false,
	DistrictAdmin:      true,
	StreetAdmin:        true,
	CommunitySecretary: true,
	GridLeader:         true,
	UnitContact:        true,
	Inspector:          false,
	Member:             false,
	System:             false,
	Service:            false,
}

// Valid reports whether r is one of the declared roles.
func (r Role) Valid() bool {
	_, ok := roles[r]
	return ok
}

// Scoped reports whether r always works inside an organisation subtree, so
// that a Principal with r must name one.
func (r Role) Scoped() bool {
	return roles[r]
}

// PermUnmaskedID lets a caller see personal identification numbers unmasked.
const PermUnmaskedID = "personal_data.unmasked"

// Principal is the authenticated caller, as its token describes it. The
// comments name the claim each field comes from.
type Principal struct {
	Subject string // "sub"
	Name    string // "name"
	Role    Role   // "role"
	// ScopeOrgID is the root of the organisation subtree the caller works
	// in; "" means the whole city.
	ScopeOrgID string // "scope_org"
	// MemberID is, for Role Member, the caller's own member record.
	MemberID string // "member_id"
	// UnitID is, for Role UnitContact, the resident unit the caller speaks
	// for: the co-building service limits them to that unit's records.
	UnitID string // "unit_id"
	// Permissions are extra permissions such as PermUnmaskedID.
	Permissions []string // "perms"
	// Scopes are the OAuth scopes of a System or Service caller, such as
	// "organisation.read".
	Scopes  []string // "scope", space-separated in the token
	TokenID string   // "jti"
}

// Has reports whether p holds the extra permission perm.
func (p *Principal) Has(perm string) bool {
	return p != nil && slices.Contains(p.Permissions, perm)
}

// HasScope reports whether p was granted the OAuth scope s.
func (p *Principal) HasScope(s string) bool {
	return p != nil && slices.Contains(p.Scopes, s)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the Principal of the call, if it was authenticated.
func FromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
