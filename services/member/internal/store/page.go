package store

import (
	"strings"
	"time"

	"github.com/google/uuid"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
)

// The keys where the pages of the service's lists end, carried by
// pkg/page's tokens. A decoded key goes into SQL as it is, so it must have
// the shape the store writes (FuzzPageToken): an id in the form
// PostgreSQL's uuid cast reads, a path of such ids.

// pathKey ends a page of a list in tree order, (path, id): members.
type pathKey struct {
	Path string `json:"p"`
	ID   string `json:"i"`
}

// idKey ends a page of a list by id, which orders it by time: transfers,
// mobile records, registrations, posts.
type idKey struct {
	ID string `json:"i"`
}

// loggedKey ends a page of contacts, listed in the order they were logged.
type loggedKey struct {
	Logged time.Time `json:"t"`
	ID     string    `json:"i"`
}

func (k pathKey) valid() bool   { return validKeyID(k.ID) && validKeyPath(k.Path) }
func (k idKey) valid() bool     { return validKeyID(k.ID) }
func (k loggedKey) valid() bool { return validKeyID(k.ID) }

// errBadToken refuses a token that decodes to a key of another shape.
var errBadToken = errs.Field(page.ErrInvalidToken, "page_token", "not a token this list issued")

// pageAfter is the key a page continues after: the token's, or first for the
// first page.
func pageAfter[K interface{ valid() bool }](token string, first K) (K, error) {
	if token == "" {
		return first, nil
	}
	var k K
	if err := page.Decode(token, &k); err != nil {
		return k, err
	}
	if !k.valid() {
		return k, errBadToken
	}
	return k, nil
}

// validKeyID reports whether a page token's id is one the store could
// have written: a UUID in its canonical form. uuid.Validate also takes
// forms (urn:uuid:…, {…}) that PostgreSQL's uuid cast refuses, which
// would fail as an internal error instead of an invalid token.
func validKeyID(id string) bool {
	u, err := uuid.Parse(id)
	return err == nil && u.String() == id
}

// validKeyPath reports whether a page token's path is a path as the
// organisation service writes them, "/<id>/<id>/…/", or "" (the keys of
// lists by id only): it goes into SQL as it is, where a NUL would fail.
func validKeyPath(p string) bool {
	if p == "" {
		return true
	}
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || len(p) < 2 {
		return false
	}
	for _, id := range strings.Split(p[1:len(p)-1], "/") {
		if !validKeyID(id) {
			return false
		}
	}
	return true
}
