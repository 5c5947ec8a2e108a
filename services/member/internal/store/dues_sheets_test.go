package store_test

import (
	"context"
	"io/fs"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/store"
)

// duesUpTo is the dues ledger's migration set as it stood at version n.
func duesUpTo(t *testing.T, n int) pgdb.MigrationSet {
	t.Helper()
	files := fstest.MapFS{}
	entries, err := fs.ReadDir(store.DuesMigrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries[:n] {
		data, err := fs.ReadFile(store.DuesMigrations.FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = &fstest.MapFile{Data: data}
	}
	return pgdb.MigrationSet{Name: store.DuesMigrations.Name, FS: files}
}

// TestBillsMadeBeforeSheetsMoveOntoThem: a ledger with a bill row per
// member and month (the dues migrations up to 002) is brought onto sheets
// by migration 003 — one sheet per organisation, month and generation —
// with every line's amount, what was paid against it (the payments now
// name the line's new id), the lines owing on each sheet, and each
// member's latest declaration kept on their row.
func TestBillsMadeBeforeSheetsMoveOntoThem(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	before := []pgdb.MigrationSet{outbox.Migrations, audit.Migrations, store.Migrations, orgview.Migrations,
		store.CounterMigrations, duesUpTo(t, 2)}
	url := pgtest.URL(t, store.Schema, before...)
	pool, err := pgdb.Open(ctx, url, store.Schema)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	branch := orgview.Record{ID: member.NewID(), Kind: "BRANCH", State: "ACTIVE", Name: "Branch"}
	li, wang := member.NewID(), member.NewID()
	jan, feb := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	decl, later := member.NewID(), member.NewID()
	bills := map[string]string{} // member and month → old bill id
	err = pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		if err := orgview.Apply(ctx, tx, branch, time.Now()); err != nil {
			return err
		}
		for i, id := range []string{li, wang} {
			if _, err := tx.Exec(ctx, `INSERT INTO members (id, name, sex, birth_date, national_id_sealed, national_id_hash,
					join_date, status, organisation_id, path, version, created_at, updated_at)
				VALUES ($1, 'Li', 'FEMALE', '1980-01-15', 'sealed', $2, '2005-07-01', 'FULL', $3, '/', 1, now(), now())`,
				id, []byte{byte(i + 1)}, branch.ID); err != nil {
				return err
			}
		}
		for _, d := range []struct {
			id     string
			from   time.Time
			income int64
		}{{decl, jan, 400000}, {later, feb, 600000}} {
			if _, err := tx.Exec(ctx, `INSERT INTO dues_declarations (id, member_id, organisation_id, effective_month,
					monthly_income_fen, employment_status, declared_by, declared_at)
				VALUES ($1, $2, $3, $4, $5, 'EMPLOYED', 'secretary', now())`, d.id, li, branch.ID, d.from, d.income); err != nil {
				return err
			}
		}
		batchJan, batchFeb := member.NewID(), member.NewID()
		for _, b := range []struct {
			member string
			month  time.Time
			amount int64
			batch  string
			decl   any
		}{{li, jan, 4000, batchJan, decl}, {wang, jan, 20, batchJan, nil}, {li, feb, 9000, batchFeb, later}} {
			id := member.NewID()
			bills[b.member+b.month.Format("2006-01")] = id
			if _, err := tx.Exec(ctx, `INSERT INTO dues_bills (id, member_id, month, organisation_id, amount_fen, band_kind,
					rate_basis_points, monthly_income_fen, declaration_id, settings_version, batch_id, created_at)
				VALUES ($1, $2, $3, $4, $5, 'IN_SERVICE', 100, 400000, $6, 1, $7, now())`,
				id, b.member, b.month, branch.ID, b.amount, b.decl, b.batch); err != nil {
				return err
			}
		}
		// Li paid January; the bill's paid amount is kept with it.
		if _, err := tx.Exec(ctx, `INSERT INTO dues_payments (id, receipt_id, bill_id, member_id, organisation_id, month,
				kind, method, amount_fen, paid_on, recorded_by, recorded_at)
			VALUES (gen_random_uuid(), gen_random_uuid(), $1, $2, $3, $4, 'PAYMENT', 'CASH', 4000, '2026-01-20', 'secretary', now())`,
			bills[li+"2026-01"], li, branch.ID, jan); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE dues_bills SET paid_fen = 4000 WHERE id = $1`, bills[li+"2026-01"])
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	if err := pgdb.Migrate(ctx, url, store.Schema, store.AllMigrations...); err != nil {
		t.Fatal(err)
	}
	var sheets, owing int
	if err := pool.QueryRow(ctx, `SELECT count(*), sum(owing) FROM dues_sheets`).Scan(&sheets, &owing); err != nil {
		t.Fatal(err)
	}
	if sheets != 2 || owing != 2 {
		t.Errorf("%d sheets with %d lines owing, want 2 sheets (January's and February's generations) with 2 owing", sheets, owing)
	}
	rows, err := pool.Query(ctx, `SELECT b.member_id::text, to_char(b.month, 'YYYY-MM'), b.amount_fen, b.paid_fen,
			coalesce(b.declaration_id::text, ''), (SELECT count(*) FROM dues_payments p WHERE p.bill_id = b.id)
		FROM dues_bills b ORDER BY b.month, b.amount_fen`)
	if err != nil {
		t.Fatal(err)
	}
	type line struct {
		member, month  string
		amount, paid   int64
		decl           string
		paymentsNaming int
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (line, error) {
		var l line
		return l, r.Scan(&l.member, &l.month, &l.amount, &l.paid, &l.decl, &l.paymentsNaming)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []line{{wang, "2026-01", 20, 0, "", 0}, {li, "2026-01", 4000, 4000, decl, 1}, {li, "2026-02", 9000, 0, later, 0}}
	if len(got) != len(want) {
		t.Fatalf("lines %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	var kept string
	var from time.Time
	if err := pool.QueryRow(ctx, `SELECT dues_declaration_id::text, dues_declared_from FROM members WHERE id = $1`, li).Scan(&kept, &from); err != nil {
		t.Fatal(err)
	}
	if kept != later || !from.Equal(feb) {
		t.Errorf("Li's row keeps declaration %s from %v, want the later one %s from February", kept, from, later)
	}
	// A declaration recorded since is kept on the member's row by the
	// ledger's trigger; one that takes effect earlier than the one kept
	// leaves it.
	newer, older := member.NewID(), member.NewID()
	for _, d := range []struct {
		id   string
		from time.Time
	}{{newer, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)}, {older, jan}} {
		if _, err := pool.Exec(ctx, `INSERT INTO dues_declarations (id, member_id, organisation_id, effective_month,
				monthly_income_fen, employment_status, declared_by, declared_at)
			VALUES ($1, $2, $3, $4, 700000, 'EMPLOYED', 'secretary', now())`, d.id, li, branch.ID, d.from); err != nil {
			t.Fatal(err)
		}
		if err := pool.QueryRow(ctx, `SELECT dues_declaration_id::text FROM members WHERE id = $1`, li).Scan(&kept); err != nil {
			t.Fatal(err)
		}
		if kept != newer {
			t.Errorf("after declaration %s, Li's row keeps %s, want the one from July, %s", d.id, kept, newer)
		}
	}
	// Sheets' lines are history: a sheet's lines are never changed.
	if _, err := pool.Exec(ctx, `UPDATE dues_sheets SET amount_fen = amount_fen`); err == nil {
		t.Error("a sheet's amounts were changed")
	}
}

// TestSheetsAreCompressedWithLZ4: a sheet large enough for PostgreSQL to
// compress (migration 004) has its arrays compressed with lz4, not pglz.
func TestSheetsAreCompressedWithLZ4(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgdb.Open(ctx, pgtest.URL(t, store.Schema, store.AllMigrations...), store.Schema)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `INSERT INTO dues_sheets (id, organisation_id, month, batch_id, settings_version, created_at,
			owing, member_ids, amount_fen, band_kind, rate_basis_points, monthly_income_fen, declaration_ids, exemption_ids)
		SELECT dues_sheet_of(gen_random_uuid()), gen_random_uuid(), '2026-03-01', gen_random_uuid(), 1, now(), 300,
			array(SELECT gen_random_uuid() FROM generate_series(1, 300)), array_fill(2000::bigint, ARRAY[300]),
			array_fill('IN_SERVICE'::text, ARRAY[300]), array_fill(100::bigint, ARRAY[300]),
			array_fill(200000::bigint, ARRAY[300]), array_fill(NULL::uuid, ARRAY[300]), array_fill(NULL::uuid, ARRAY[300])`); err != nil {
		t.Fatal(err)
	}
	// As stored: what an INSERT returns is the row before it was compressed.
	var methods []string
	err = pool.QueryRow(ctx, `SELECT ARRAY[coalesce(pg_column_compression(amount_fen), 'none'), coalesce(pg_column_compression(band_kind), 'none'),
			coalesce(pg_column_compression(monthly_income_fen), 'none')] FROM dues_sheets`).Scan(&methods)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range methods {
		if m != "lz4" {
			t.Errorf("array %d of the sheet compressed with %q, want lz4", i, m)
		}
	}
}
