package idcrypt_test

import (
	"bytes"
	"strings"
	"testing"

	"gongjian.dev/services/member/internal/idcrypt"
)

func sealer(t *testing.T, ring, hashKey string) *idcrypt.Sealer {
	t.Helper()
	s, err := idcrypt.New(ring, hashKey)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

func TestRoundTripAndRotation(t *testing.T) {
	t.Parallel()
	v1, v2, hk := idcrypt.NewKey(), idcrypt.NewKey(), idcrypt.NewKey()
	const id, row = "11010519491231002X", "row-1"
	old := sealer(t, "v1:"+v1, hk)
	sealed, err := old.Seal(id, row)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, id) || idcrypt.Version(sealed) != "v1" {
		t.Fatalf("sealed %q: plain text inside or wrong version", sealed)
	}
	again, _ := old.Seal(id, row)
	if again == sealed {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	rotated := sealer(t, "v2:"+v2+",v1:"+v1, hk)
	if got, err := rotated.Open(sealed, row); err != nil || got != id {
		t.Fatalf("rotated ring opens the v1 value as %q, %v", got, err)
	}
	fresh, _ := rotated.Seal(id, row)
	if idcrypt.Version(fresh) != "v2" {
		t.Errorf("the rotated ring seals with %q, want v2", idcrypt.Version(fresh))
	}
	if _, err := old.Open(fresh, row); err == nil {
		t.Error("a ring without v2 opened a v2 value")
	}
	if _, err := rotated.Open(sealed, "row-2"); err == nil {
		t.Error("a value opened under another row's context")
	}
	if !bytes.Equal(old.Hash(id), rotated.Hash(id)) {
		t.Error("the hash changed with the encryption keys")
	}
	if bytes.Equal(old.Hash(id), sealer(t, "v1:"+v1, idcrypt.NewKey()).Hash(id)) {
		t.Error("the hash does not depend on the hash key")
	}
}

func TestNewRefusesBadKeys(t *testing.T) {
	t.Parallel()
	k, hk := idcrypt.NewKey(), idcrypt.NewKey()
	for name, c := range map[string][2]string{
		"no version":        {k, hk},
		"short key":         {"v1:c2hvcnQ=", hk},
		"duplicate version": {"v1:" + k + ",v1:" + k, hk},
		"short hash key":    {"v1:" + k, "c2hvcnQ="},
	} {
		if _, err := idcrypt.New(c[0], c[1]); err == nil {
			t.Errorf("%s: accepted", name)
		} else if strings.Contains(err.Error(), k) {
			t.Errorf("%s: the error repeats the key", name)
		}
	}
}
