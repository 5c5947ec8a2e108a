package store

import (
	"context"
	"testing"

	"gongjian.dev/pkg/pgtest"
)

// TestBillIDsNameTheirSheetAndLine: the service and the database name a
// line alike — its sheet's id with the line's number in the last three
// bytes — and a sheet's own id, or no id at all, names no bill.
func TestBillIDsNameTheirSheetAndLine(t *testing.T) {
	t.Parallel()
	pool := pgtest.Pool(t, Schema, AllMigrations...)
	sheet := newSheetID()
	for _, line := range []int{1, 2, 255, 256, 65535, 65536, 16777215} {
		id := billID(sheet, line)
		var inDB string
		var back int
		if err := pool.QueryRow(context.Background(), `SELECT dues_bill_id($1, $2)::text,
				('x' || right(dues_bill_id($1, $2)::text, 6))::bit(24)::int`, sheet, line).Scan(&inDB, &back); err != nil {
			t.Fatal(err)
		}
		if id != inDB || back != line {
			t.Errorf("line %d: the service names it %s, the database %s (line %d)", line, id, inDB, back)
		}
		if of, ok := sheetOf(id); !ok || of != sheet.String() {
			t.Errorf("bill %s is on sheet %q (%v), want %s", id, of, ok, sheet)
		}
	}
	for _, id := range []string{sheet.String(), "", "not-an-id"} {
		if of, ok := sheetOf(id); ok {
			t.Errorf("%q names a bill on sheet %s", id, of)
		}
	}
}
