package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/roster"
	"gongjian.dev/services/member/internal/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func sealer(t *testing.T, ring, hashKey string) *idcrypt.Sealer {
	t.Helper()
	s, err := idcrypt.New(ring, hashKey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeyRotation: a row sealed under v1 is read by the ring v2,v1; the
// search hash does not change with the ring, so the number stays unique;
// re-encryption moves the row to v2 and it still reads.
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := audit.AsSystem(context.Background(), "test")
	pool := pgtest.Pool(t, store.Schema, store.AllMigrations...)
	branch := orgview.Record{ID: member.NewID(), Kind: "BRANCH", State: "ACTIVE", Name: "First Branch"}
	if err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return orgview.Apply(ctx, tx, branch, time.Now()) }); err != nil {
		t.Fatal(err)
	}
	v1, v2, hk := idcrypt.NewKey(), idcrypt.NewKey(), idcrypt.NewKey()
	const number = "61010219800115123" // completed below
	id := number + string(member.CheckCharacter(number))
	newMember := func() *member.Member {
		return &member.Member{Name: "Li Guiying", Sex: member.SexFemale, BirthDate: time.Date(1980, 1, 15, 0, 0, 0, 0, time.UTC),
			NationalID: id, JoinDate: time.Date(2005, 7, 1, 0, 0, 0, 0, time.UTC), Status: member.StatusFull, OrganisationID: branch.ID}
	}
	old := store.New(pool, sealer(t, "v1:"+v1, hk))
	m, err := member.NewService(old.Members(), nil, nil).Create(ctx, newMember(), "")
	if err != nil {
		t.Fatal(err)
	}
	var sealed string
	if err := pool.QueryRow(ctx, `SELECT national_id_sealed FROM members WHERE id = $1`, m.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, id) {
		t.Fatalf("stored %q", sealed)
	}

	rotated := store.New(pool, sealer(t, "v2:"+v2+",v1:"+v1, hk))
	got, err := rotated.Get(ctx, m.ID)
	if err != nil || got.NationalID != id {
		t.Fatalf("the rotated ring reads %q, %v", got.NationalID, err)
	}
	_, err = member.NewService(rotated.Members(), nil, nil).Create(ctx, newMember(), "")
	if !errors.Is(err, member.ErrDuplicateID) {
		t.Errorf("the same number under the rotated ring: %v, want a duplicate", err)
	}
	n, err := rotated.Reencrypt(ctx)
	if err != nil || n != 1 {
		t.Fatalf("re-encrypted %d, %v; want 1", n, err)
	}
	if err := pool.QueryRow(ctx, `SELECT national_id_sealed FROM members WHERE id = $1`, m.ID).Scan(&sealed); err != nil || !strings.HasPrefix(sealed, "v2:") {
		t.Fatalf("after re-encryption %q, %v", sealed, err)
	}
	if got, err := store.New(pool, sealer(t, "v2:"+v2, hk)).Get(ctx, m.ID); err != nil || got.NationalID != id {
		t.Errorf("a ring of v2 alone reads %q, %v", got.NationalID, err)
	}
	if _, err := old.Get(ctx, m.ID); err == nil {
		t.Error("the retired ring still reads the re-encrypted row")
	}
}

// TestAnImportWakesTheRelay: the registrations of a roster import are
// outbox rows like any other event's, so the transaction that writes them
// wakes the relay when it commits instead of leaving them to its next poll.
func TestAnImportWakesTheRelay(t *testing.T) {
	t.Parallel()
	ctx := audit.AsSystem(context.Background(), "test")
	pool := pgtest.Pool(t, store.Schema, store.AllMigrations...)
	listener, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Release()
	var channel string
	if err := listener.QueryRow(ctx, `SELECT left('outbox_' || current_schema(), 63)`).Scan(&channel); err != nil {
		t.Fatal(err)
	}
	if _, err := listener.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	number := "61010219800115123"
	m := &member.Member{ID: member.NewID(), Name: "Li Guiying", Sex: member.SexFemale,
		BirthDate: time.Date(1980, 1, 15, 0, 0, 0, 0, time.UTC), NationalID: number + string(member.CheckCharacter(number)),
		JoinDate: time.Date(2005, 7, 1, 0, 0, 0, 0, time.UTC), Status: member.StatusFull, OrganisationID: member.NewID()}
	s := store.New(pool, sealer(t, "v1:"+idcrypt.NewKey(), idcrypt.NewKey()))
	if err := s.Roster().InTx(ctx, func(tx roster.Tx) error {
		return tx.EmitRegistered(ctx, []*member.Member{m}, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	var queued int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&queued); err != nil || queued != 1 {
		t.Fatalf("%d outbox rows for the registration, %v; want 1", queued, err)
	}
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := listener.Conn().WaitForNotification(wait); err != nil {
		t.Fatalf("no wake on %s after the import committed: %v", channel, err)
	}
}
