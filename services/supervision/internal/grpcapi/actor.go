package grpcapi

import (
	"context"
	"time"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/page"
	"gongjian.dev/services/supervision/internal/rectify"
	"gongjian.dev/services/supervision/internal/rules"
)

// caller is the rectify actor of the call's principal: an inspector
// reaches the organisations their groups cover, anyone else their scope.
func caller(ctx context.Context) rectify.Actor {
	p, _ := auth.FromContext(ctx)
	if p == nil {
		return rectify.Actor{}
	}
	return rectify.Actor{Subject: p.Subject, Role: string(p.Role), Inspector: p.Role == auth.Inspector, ScopeRoot: p.ScopeOrgID}
}

// ruleActor is who changes a rule.
func ruleActor(ctx context.Context) rules.Actor { return rules.Actor{Subject: caller(ctx).Subject} }

// timeKey is the keyset of lists newest first.
type timeKey struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

// Valid says whether the key has the shape the lists write: a token
// with another id would fail PostgreSQL's uuid cast as an internal error.
func (k timeKey) Valid() bool { return !k.At.IsZero() && page.ID(k.ID) }

// pageOf reads a page request: its size and where it starts.
func pageOf(token string, size int32) (timeKey, int, error) {
	k, err := page.After(token, timeKey{})
	return k, page.Size(int(size)), err
}

// inspector is the subject of an inspector, "" for anyone else.
func inspector(a rectify.Actor) string {
	if a.Inspector {
		return a.Subject
	}
	return ""
}
