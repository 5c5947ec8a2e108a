package store

import (
	"gongjian.dev/pkg/page"
	"gongjian.dev/services/organisation/internal/org"
)

// The keys where the pages of the service's lists end, carried by
// pkg/page's tokens and decoded by page.After, which refuses a key of
// another shape than its list writes (FuzzPageToken): one list's token is
// not another's.

// pathKey ends a page of organisations, listed in tree order.
type pathKey struct {
	Path string `json:"p"`
}

// versionKey ends a page of an organisation's history, newest first.
type versionKey struct {
	Version int64 `json:"v"`
}

// activityKey ends a page of activities, newest day first, by id within
// a day.
type activityKey struct {
	Day string `json:"d"`
	ID  string `json:"i"`
}

func (k pathKey) Valid() bool    { return page.Path(k.Path) }
func (k versionKey) Valid() bool { return k.Version >= 1 }
func (k activityKey) Valid() bool {
	return !k.date().IsZero() && page.ID(k.ID)
}

// date is the key's day; zero when it is not a day.
func (k activityKey) date() org.Date {
	d, err := org.ParseDate(k.Day)
	if err != nil {
		return org.Date{}
	}
	return d
}
