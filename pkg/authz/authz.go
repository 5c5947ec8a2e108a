// Package authz decides who may call which RPC on which part of the
// organisation tree. Each service declares a Policy: one Rule per RPC, keyed
// by the generated …_FullMethodName constants, naming the roles (and, for
// other systems, the OAuth scopes) that may call it and the organisations a
// request touches. A caller's scope is a subtree of the tree (a district
// administrator's district, a secretary's community); every organisation a
// request touches must lie in it.
//
// Out of scope answers NotFound, exactly as for an organisation that does
// not exist, so that names and counts never leak across districts; a role
// that may not call an RPC at all answers PermissionDenied.
package authz

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"google.golang.org/grpc"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/errs"
)

// Rule says who may call one RPC and what it touches.
type Rule struct {
	// Roles may call the RPC, within their scope.
	Roles []auth.Role
	// Scopes: a System or Service caller needs one of these OAuth scopes
	// (and then acts city-wide unless its token names a scope_org).
	Scopes []string
	// Targets returns the organisations the request touches; each must lie
	// in the caller's scope. Nil, or an empty result, means the call names
	// no organisation: a list that the handler restricts with ScopeRoot.
	Targets func(ctx context.Context, req any) ([]string, error)
	// BelowScope requires the targets to lie strictly below the caller's
	// scope root: a secretary may rename their community but not move or
	// dissolve it.
	BelowScope bool
	// OrAbove also admits targets above the caller's scope root: a
	// secretary reads the settings of the district their community is in.
	OrAbove bool
}

// Policy is the rule of each RPC of a service, by full method name.
type Policy map[string]Rule

// Tree answers whether an organisation lies in the subtree of root (root
// itself included). An organisation that does not exist lies nowhere.
type Tree interface {
	Within(ctx context.Context, orgID, rootID string) (bool, error)
}

// The errors of authorisation.
var (
	ErrNoPrincipal = errs.New(errs.Unauthenticated, "authentication required")
	ErrRole        = errs.New(errs.PermissionDenied, "not permitted")
	ErrNoScope     = errs.New(errs.PermissionDenied, "the token names no organisation to work in")
	ErrOutOfScope  = errs.New(errs.NotFound, "not found")
	ErrNoRule      = errs.New(errs.PermissionDenied, "this call has no access rule")
)

// cityWide are the roles that may work on the whole city when their token
// names no scope_org.
var cityWide = []auth.Role{auth.CityAdmin, auth.Inspector, auth.System, auth.Service}

// Authorize checks one call.
func Authorize(ctx context.Context, p Policy, tree Tree, method string, req any) error {
	rule, ok := p[method]
	if !ok {
		return ErrNoRule
	}
	who, ok := auth.FromContext(ctx)
	if !ok {
		return ErrNoPrincipal
	}
	if err := rule.permits(who, method); err != nil {
		return err
	}
	if who.ScopeOrgID == "" {
		if slices.Contains(cityWide, who.Role) {
			return nil
		}
		return ErrNoScope
	}
	return rule.inScope(ctx, tree, who.ScopeOrgID, req)
}

func (r Rule) permits(who *auth.Principal, method string) error {
	if who.Role == auth.System || who.Role == auth.Service {
		for _, s := range r.Scopes {
			if who.HasScope(s) {
				return nil
			}
		}
		return errs.Detail(ErrRole, "%s needs one of the scopes %v", method, r.Scopes)
	}
	if slices.Contains(r.Roles, who.Role) {
		return nil
	}
	return errs.Detail(ErrRole, "the role %s may not call %s", who.Role, method)
}

func (r Rule) inScope(ctx context.Context, tree Tree, root string, req any) error {
	if r.Targets == nil {
		return nil
	}
	targets, err := r.Targets(ctx, req)
	if err != nil {
		return err
	}
	for _, id := range targets {
		if id == "" {
			continue
		}
		if r.BelowScope && id == root {
			return errs.Detail(ErrRole, "the organisation you are scoped to is changed from above it")
		}
		ok, err := tree.Within(ctx, id, root)
		if err == nil && !ok && r.OrAbove {
			ok, err = tree.Within(ctx, root, id)
		}
		if err != nil {
			return err
		}
		if !ok {
			return ErrOutOfScope
		}
	}
	return nil
}

// ScopeRoot is the root of the caller's subtree, "" for the whole city.
// Handlers of lists restrict what they return to it.
func ScopeRoot(ctx context.Context) string {
	if who, ok := auth.FromContext(ctx); ok {
		return who.ScopeOrgID
	}
	return ""
}

// UnaryInterceptor authorises every unary call but the open ones.
func UnaryInterceptor(p Policy, tree Tree, open func(string) bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if !open(info.FullMethod) {
			if err := Authorize(ctx, p, tree, info.FullMethod, req); err != nil {
				return nil, err
			}
		}
		return h(ctx, req)
	}
}

// StreamInterceptor authorises a streaming call on its first message.
func StreamInterceptor(p Policy, tree Tree, open func(string) bool) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if open(info.FullMethod) {
			return h(srv, ss)
		}
		return h(srv, &checkedStream{ServerStream: ss, p: p, tree: tree, method: info.FullMethod})
	}
}

type checkedStream struct {
	grpc.ServerStream
	p       Policy
	tree    Tree
	method  string
	checked bool
}

func (s *checkedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if s.checked {
		return nil
	}
	s.checked = true
	return Authorize(s.Context(), s.p, s.tree, s.method, m)
}

// Uncovered lists the methods of the registered services that have no rule
// and are not open: a new RPC without a rule fails the service's test.
func Uncovered(services map[string]grpc.ServiceInfo, p Policy, open func(string) bool) []string {
	var out []string
	for name, info := range services {
		for _, m := range info.Methods {
			full := fmt.Sprintf("/%s/%s", name, m.Name)
			if _, ok := p[full]; !ok && !open(full) {
				out = append(out, full)
			}
		}
	}
	sort.Strings(out)
	return out
}

// Target builds a Targets function from a getter of one organisation id.
func Target[T any](get func(T) string) func(context.Context, any) ([]string, error) {
	return func(_ context.Context, req any) ([]string, error) {
		r, ok := req.(T)
		if !ok {
			return nil, fmt.Errorf("authz: request is %T", req)
		}
		return []string{get(r)}, nil
	}
}

// Targets builds a Targets function from a getter of several organisation ids.
func Targets[T any](get func(T) []string) func(context.Context, any) ([]string, error) {
	return func(_ context.Context, req any) ([]string, error) {
		r, ok := req.(T)
		if !ok {
			return nil, fmt.Errorf("authz: request is %T", req)
		}
		return get(r), nil
	}
}
