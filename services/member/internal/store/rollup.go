package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
)

// everything is the ancestor the rolled-up counters count every member
// under: a caller scoped to no organisation (migration member_counters 001).
const everything = "00000000-0000-0000-0000-000000000000"

// rolledUp is the counters of a subtree rolled up to its root, folded and
// not yet folded (migration member_counters 001): a read of both in one
// statement is exact whenever the fold runs.
const rolledUp = `(SELECT ancestor_id, category_code, category_name, employment_status, status, n FROM member_rollup
	UNION ALL SELECT ancestor_id, category_code, category_name, employment_status, status, n FROM member_rollup_deltas) AS r`

// rollupQuery is the condition on the rolled-up counters of the subtree a
// count by subtree selects, and of the attributes they are kept by. The
// subtree is the deepest of the filter's and the caller's, when one holds
// the other (none when they are apart; everything when neither is set).
func rollupQuery(f member.ListFilter) (q *pgdb.Where, ok bool) {
	q = &pgdb.Where{}
	var roots []string
	for _, id := range []string{f.AncestorID, f.WithinID} {
		if id == "" {
			continue
		}
		if uuid.Validate(id) != nil {
			return nil, false
		}
		roots = append(roots, id)
	}
	switch len(roots) {
	case 0:
		q.Add(`ancestor_id = ?::uuid`, everything)
	case 1:
		q.Add(`ancestor_id = ?::uuid`, roots[0])
	default:
		q.Add(`ancestor_id = (SELECT x.id FROM orgs x WHERE x.id = ANY(?::uuid[]) AND NOT EXISTS (
			SELECT FROM orgs y WHERE y.id = ANY(?::uuid[]) AND NOT (x.path >= y.path AND x.path < y.path || '~')) LIMIT 1)`,
			roots, roots)
	}
	if f.Status != "" {
		q.Add(`status = ?`, f.Status)
	}
	searchQuery(q, f.Search)
	return q, true
}

// ageOnly is whether a search asks for an age band and nothing else.
func ageOnly(s member.Search) bool {
	return s.Name == "" && s.Hardship == nil && len(s.Skills) == 0 && s.CategoryCode == "" && s.EmploymentStatus == "" &&
		(!s.BornBy.IsZero() || !s.BornAfter.IsZero())
}

// countByAge counts the live members of a subtree born in an age band
// (born after BornAfter, by BornBy): the whole months inside the band from
// the counters rolled up by month of birth (migration member_counters
// 002), the members born in the months the band's ends cut from the
// birth-date index, in one round trip.
func (s *Store) countByAge(ctx context.Context, f member.ListFilter) (int64, error) {
	scope := member.ListFilter{AncestorID: f.AncestorID, WithinID: f.WithinID}
	rq, ok := rollupQuery(scope)
	if !ok {
		return 0, nil
	}
	lq, _ := memberQuery(scope, true)
	after, by := f.Search.BornAfter, f.Search.BornBy
	// Whole months from first (the month after the one after falls in) to
	// last (the month by falls in), last excluded.
	var first, last time.Time
	if !after.IsZero() {
		first = time.Date(after.Year(), after.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	}
	if !by.IsZero() {
		last = time.Date(by.Year(), by.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	var live []string
	switch {
	case !first.IsZero() && !last.IsZero() && !first.Before(last):
		// One month or two, cut at both ends: counted live.
		lq.Add(`birth_date > ? AND birth_date <= ?`, after, by)
		var n int64
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM members WHERE `+lq.SQL(), lq.Args()...).Scan(&n)
		return n, err
	default:
		if !first.IsZero() {
			rq.Add(`birth_month >= ?`, first)
			live = append(live, `(birth_date > `+lq.Arg(after)+` AND birth_date < `+lq.Arg(first)+`)`)
		}
		if !last.IsZero() {
			rq.Add(`birth_month < ?`, last)
			live = append(live, `(birth_date >= `+lq.Arg(last)+` AND birth_date <= `+lq.Arg(by)+`)`)
		}
	}
	lq.Add(`(` + strings.Join(live, ` OR `) + `)`)
	var whole, cut int64
	b := &pgx.Batch{}
	b.Queue(`SELECT coalesce(sum(n), 0)::bigint FROM (SELECT ancestor_id, birth_month, n FROM member_age_rollup
		UNION ALL SELECT ancestor_id, birth_month, n FROM member_age_rollup_deltas) AS r WHERE `+rq.SQL(), rq.Args()...).
		QueryRow(func(r pgx.Row) error { return r.Scan(&whole) })
	b.Queue(`SELECT count(*) FROM members WHERE `+lq.SQL(), lq.Args()...).QueryRow(func(r pgx.Row) error { return r.Scan(&cut) })
	err := s.pool.SendBatch(ctx, b).Close()
	return whole + cut, err
}

// countRolledUp counts a subtree from its rolled-up counters.
func (s *Store) countRolledUp(ctx context.Context, f member.ListFilter) (int64, error) {
	q, ok := rollupQuery(f)
	if !ok {
		return 0, nil
	}
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(n), 0)::bigint FROM `+rolledUp+` WHERE `+q.SQL(), q.Args()...).Scan(&n)
	return n, err
}

// compositionRolledUp counts a subtree per category from its rolled-up
// counters; a category whose counters net to zero is not there.
func (s *Store) compositionRolledUp(ctx context.Context, orgID string) ([]member.CategoryCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT category_code, min(category_name), sum(n)::bigint FROM (
			SELECT category_code, category_name, sum(n) AS n FROM `+rolledUp+` WHERE ancestor_id = $1
			 GROUP BY 1, 2 HAVING sum(n) <> 0) AS c
		GROUP BY category_code ORDER BY category_code`, orgID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (member.CategoryCount, error) {
		var c member.CategoryCount
		err := row.Scan(&c.Code, &c.Name, &c.Count)
		return c, err
	})
}

// FoldCounters moves the rolled-up counters' deltas committed so far into
// the counters, in one transaction (one fold at a time across replicas;
// the others return 0), and returns how many it moved. Counts are exact
// without it: it keeps the deltas a count reads few.
func (s *Store) FoldCounters(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT member_rollup_fold()`).Scan(&n)
	return n, err
}
