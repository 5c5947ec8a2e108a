package store

import (
	"time"

	"gongjian.dev/pkg/page"
)

// The keys where the pages of the service's lists end, carried by
// pkg/page's tokens and decoded by page.After, which refuses a key of
// another shape than its list writes (FuzzPageToken).

// pathKey ends a page of a list in tree order, (path, id): members. The
// first page of name-only members starts from the nil id and no path.
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

func (k pathKey) Valid() bool   { return page.ID(k.ID) && (k.Path == "" || page.Path(k.Path)) }
func (k idKey) Valid() bool     { return page.ID(k.ID) }
func (k loggedKey) Valid() bool { return page.ID(k.ID) }
