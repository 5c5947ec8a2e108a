package store

import (
	"context"

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
