package page

import (
	"errors"
	"testing"
	"time"

	"gongjian.dev/pkg/errs"
)

type key struct {
	At time.Time `json:"t"`
	ID string    `json:"i"`
}

func TestATokenCarriesItsKeyAndARubbishOneIsRefused(t *testing.T) {
	want := key{At: time.Date(2026, 12, 3, 8, 0, 0, 123000, time.UTC), ID: "0193b6a0-0000-7000-8000-000000000001"}
	var got key
	if err := Decode(Encode(want), &got); err != nil || !got.At.Equal(want.At) || got.ID != want.ID {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	var first key
	if err := Decode("", &first); err != nil || first != (key{}) {
		t.Fatalf("empty token: %+v, %v", first, err)
	}
	for _, bad := range []string{"%%%", "bm90IGpzb24", Encode([]int{1})} {
		err := Decode(bad, &got)
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.InvalidArgument {
			t.Errorf("Decode(%q) = %v, want InvalidArgument", bad, err)
		}
	}
}

func TestCutAndSize(t *testing.T) {
	rows := []int{1, 2, 3, 4}
	if got, next := Cut(rows, 4, func(r int) any { return r }); len(got) != 4 || next != "" {
		t.Errorf("a full last page: %v %q", got, next)
	}
	got, next := Cut(rows, 3, func(r int) any { return r })
	var after int
	if err := Decode(next, &after); err != nil || len(got) != 3 || after != 3 {
		t.Errorf("a page with more after it: %v, after %d (%v)", got, after, err)
	}
	for req, want := range map[int]int{0: DefaultSize, -5: DefaultSize, 20: 20, 10000: MaxSize} {
		if Size(req) != want {
			t.Errorf("Size(%d) = %d, want %d", req, Size(req), want)
		}
	}
}

type pathKey struct {
	Path string `json:"p"`
	ID   string `json:"i"`
}

func (k pathKey) Valid() bool { return Path(k.Path) && ID(k.ID) }

func TestAKeyOfAnotherShapeIsRefusedAsTheTokenIs(t *testing.T) {
	id, other := "0193b6a0-0000-7000-8000-000000000001", "0193b6a0-0000-7000-8000-000000000002"
	good := pathKey{Path: "/" + id + "/" + other + "/", ID: other}
	if k, err := After(Encode(good), pathKey{}); err != nil || k != good {
		t.Fatalf("a key the list wrote: %+v, %v", k, err)
	}
	first := pathKey{ID: id}
	if k, err := After("", first); err != nil || k != first {
		t.Fatalf("no token: %+v, %v, want the first key", k, err)
	}
	for name, bad := range map[string]pathKey{
		"an id in another spelling": {Path: good.Path, ID: "urn:uuid:" + other},
		"an upper-case id":          {Path: good.Path, ID: "0193B6A0-0000-7000-8000-000000000002"},
		"a path with a NUL":         {Path: "/" + id + "\x00/", ID: other},
		"a path without its slash":  {Path: "/" + id, ID: other},
		"a date for a path":         {Path: "2026-03-01/" + id, ID: other},
		"no path":                   {ID: other},
	} {
		_, err := After(Encode(bad), pathKey{})
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) != 1 || e.Violations[0].Field != "page_token" {
			t.Errorf("%s: %v, want InvalidArgument naming page_token", name, err)
		}
	}
}
