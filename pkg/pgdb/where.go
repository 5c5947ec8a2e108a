package pgdb

import (
	"strconv"
	"strings"
)

// Where is the WHERE clause of a statement being built, with its
// arguments: the one way lists build their filters.
//
//	var w pgdb.Where
//	w.Add(`organisation_id = ?`, id)
//	w.Add(`created_at >= ? AND created_at < ?`, from, to)
//	rows, err := pool.Query(ctx, `SELECT … FROM t WHERE `+w.SQL()+` ORDER BY id LIMIT `+w.Arg(n), w.Args()...)
type Where struct {
	conds []string
	args  []any
}

// Add appends a condition whose ? stand for the values v, in order. A ?
// inside a string literal is not a placeholder: write such text as a value.
func (w *Where) Add(cond string, v ...any) {
	var b strings.Builder
	i := 0
	for _, r := range cond {
		if r == '?' && i < len(v) {
			b.WriteString(w.Arg(v[i]))
			i++
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
}

// Arg adds one value and returns its placeholder ($n), for the parts of a
// statement outside the WHERE clause (a limit, a keyset bound).
func (w *Where) Arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// SQL is the conditions joined by AND; "true" when there are none.
func (w *Where) SQL() string {
	if len(w.conds) == 0 {
		return "true"
	}
	return strings.Join(w.conds, " AND ")
}

// Args are the values of the placeholders, in order.
func (w *Where) Args() []any { return w.args }
