// Package page is the one way lists are paged: by keyset, never by OFFSET.
// A page token is the key of the last row a page returned (any JSON value:
// a path and an id, a time and an id), opaque to clients; a list fetches
// one row more than the page size to know whether another page follows.
//
//	type key struct{ Path, ID string }
//	var after key
//	if err := page.Decode(req.Token, &after); err != nil { … }
//	rows := fetch(after, page.Size(req.Size) + 1)
//	rows, next := page.Cut(rows, page.Size(req.Size), func(r Row) any { return key{r.Path, r.ID} })
package page

import (
	"encoding/base64"
	"encoding/json"

	"gongjian.dev/pkg/errs"
)

// The page sizes every list shares.
const (
	DefaultSize = 50
	MaxSize     = 500
)

// ErrInvalidToken refuses a page token that no list of this service
// issued, naming the field.
var ErrInvalidToken = errs.New(errs.InvalidArgument, "invalid page token")

// Size is the page size to use for a requested one: the default for 0,
// at most MaxSize.
func Size(requested int) int {
	switch {
	case requested <= 0:
		return DefaultSize
	case requested > MaxSize:
		return MaxSize
	}
	return requested
}

// Encode is the token of a page that ends at key.
func Encode(key any) string {
	b, err := json.Marshal(key)
	if err != nil {
		panic(err) // keys are plain structs of strings, times and numbers
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a token into key; an empty token leaves key as it is (the
// first page). A token that does not decode is ErrInvalidToken naming
// page_token.
func Decode(token string, key any) error {
	if token == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err == nil {
		err = json.Unmarshal(b, key)
	}
	if err != nil {
		return errs.Field(ErrInvalidToken, "page_token", "not a token this list issued")
	}
	return nil
}

// Cut cuts rows fetched one longer than size to size, and returns the
// token of the next page when the extra row shows there is one.
func Cut[T any](rows []T, size int, key func(T) any) ([]T, string) {
	if len(rows) <= size {
		return rows, ""
	}
	rows = rows[:size]
	return rows, Encode(key(rows[size-1]))
}
