package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/supervision/internal/rules"
)

// Dashboard implements rules.Store from the counters rolled up per
// ancestor (migration supervision_dashboard 001): the root's items by
// rule, state and escalation, the same of each organisation one level
// below it, and the root's quarters asked for — a few dozen rows at every
// level, never the items, the findings or the organisations' own
// counters, in one round trip. Each count reads the counters folded and
// the deltas not yet folded in one statement, so it is exact.
func (s *Store) Dashboard(ctx context.Context, rootID string, quarters []string) (*rules.Dashboard, error) {
	if !validUUID(rootID) {
		return nil, rules.ErrFindingNotFound
	}
	var root string
	b := &pgx.Batch{}
	b.Queue(`SELECT path FROM orgs WHERE id = $1`, rootID).QueryRow(func(r pgx.Row) error { return r.Scan(&root) })
	d := &rules.Dashboard{}
	b.Queue(`SELECT rule_code, state, escalated, CASE WHEN ancestor_id = $1 THEN '' ELSE ancestor_id::text END, sum(n)::bigint
		FROM (SELECT ancestor_id, rule_code, state, escalated, n FROM dash_items
		      UNION ALL SELECT ancestor_id, rule_code, state, escalated, n FROM dash_items_deltas) AS c
		WHERE ancestor_id = $1 OR ancestor_id IN (SELECT id FROM orgs WHERE dash_parent_path(path) = (SELECT path FROM orgs WHERE id = $1))
		GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0`, rootID).Query(func(rows pgx.Rows) error {
		var err error
		d.Counts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (rules.CountRow, error) {
			var c rules.CountRow
			return c, r.Scan(&c.RuleCode, &c.State, &c.Escalated, &c.Branch, &c.N)
		})
		return err
	})
	b.Queue(`SELECT id::text, name, kind FROM orgs WHERE dash_parent_path(path) = (SELECT path FROM orgs WHERE id = $1)
		ORDER BY path`, rootID).Query(func(rows pgx.Rows) error {
		var err error
		d.Branches, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (rules.Branch, error) {
			var b rules.Branch
			return b, r.Scan(&b.ID, &b.Name, &b.Kind)
		})
		return err
	})
	b.Queue(`SELECT quarter, sum(findings)::bigint, sum(items_opened)::bigint
		FROM (SELECT ancestor_id, quarter, findings, items_opened FROM dash_quarters
		      UNION ALL SELECT ancestor_id, quarter, findings, items_opened FROM dash_quarters_deltas) AS q
		WHERE ancestor_id = $1 AND quarter = ANY($2) GROUP BY 1`, rootID, quarters).Query(func(rows pgx.Rows) error {
		var err error
		d.Quarters, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (rules.QuarterRow, error) {
			var q rules.QuarterRow
			return q, r.Scan(&q.Quarter, &q.Findings, &q.ItemsOpened)
		})
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		if pgdb.IsNoRows(err) {
			return nil, rules.ErrFindingNotFound
		}
		return nil, err
	}
	return d, nil
}

// FoldDashboard moves the deltas of the dashboard's counters committed so
// far into the counters, in one transaction (one fold at a time across
// replicas; the others return 0), and returns how many it moved.
// Dashboards are exact without it: it keeps the deltas they read few.
func (s *Store) FoldDashboard(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT dash_fold()`).Scan(&n)
	return n, err
}
