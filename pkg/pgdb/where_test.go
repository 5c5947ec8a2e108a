package pgdb

import (
	"slices"
	"testing"
)

func TestWhereNumbersItsPlaceholdersInOrder(t *testing.T) {
	var w Where
	if w.SQL() != "true" || len(w.Args()) != 0 {
		t.Fatalf("an empty clause: %q %v", w.SQL(), w.Args())
	}
	w.Add(`a = ?`, 1)
	w.Add(`b BETWEEN ? AND ?`, "x", "y")
	w.Add(`deleted_at IS NULL`)
	limit := w.Arg(50)
	if got, want := w.SQL(), `a = $1 AND b BETWEEN $2 AND $3 AND deleted_at IS NULL`; got != want {
		t.Errorf("SQL %q, want %q", got, want)
	}
	if limit != "$4" || !slices.Equal(w.Args(), []any{1, "x", "y", 50}) {
		t.Errorf("limit %s, args %v", limit, w.Args())
	}
}
