package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/supervision/internal/rules"
)

// Dashboard implements rules.Store: the counters of a subtree, summed by
// rule and by the organisations one level below its root, and the
// quarters asked for. It reads the counters (a row per organisation, rule
// and state), never the items or the findings.
func (s *Store) Dashboard(ctx context.Context, rootID string, quarters []string) (*rules.Dashboard, error) {
	var root string
	err := s.pool.QueryRow(ctx, `SELECT path FROM orgs WHERE id = $1`, rootID).Scan(&root)
	if pgdb.IsNoRows(err) {
		return nil, rules.ErrFindingNotFound
	}
	if err != nil {
		return nil, err
	}
	d := &rules.Dashboard{}
	rows, err := s.pool.Query(ctx, `SELECT c.rule_code, c.state, c.escalated, split_part(substr(o.path, length($1) + 1), '/', 1), sum(c.n)
		FROM item_counts c JOIN orgs o ON o.id = c.organisation_id
		WHERE o.path >= $1 AND o.path < $1 || '~' AND c.n <> 0
		GROUP BY 1, 2, 3, 4`, root)
	if err != nil {
		return nil, err
	}
	counts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (rules.CountRow, error) {
		var c rules.CountRow
		return c, r.Scan(&c.RuleCode, &c.State, &c.Escalated, &c.Branch, &c.N)
	})
	if err != nil {
		return nil, err
	}
	d.Counts = counts
	rows, err = s.pool.Query(ctx, `SELECT id::text, name, kind FROM orgs WHERE path > $1 AND path < $1 || '~'
		AND length(path) - length(replace(path, '/', '')) = length($1) - length(replace($1, '/', '')) + 1 ORDER BY path`, root)
	if err != nil {
		return nil, err
	}
	if d.Branches, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (rules.Branch, error) {
		var b rules.Branch
		return b, r.Scan(&b.ID, &b.Name, &b.Kind)
	}); err != nil {
		return nil, err
	}
	rows, err = s.pool.Query(ctx, `SELECT q.quarter, sum(q.findings), sum(q.items_opened)
		FROM quarter_counts q JOIN orgs o ON o.id = q.organisation_id
		WHERE o.path >= $1 AND o.path < $1 || '~' AND q.quarter = ANY($2) GROUP BY 1`, root, quarters)
	if err != nil {
		return nil, err
	}
	d.Quarters, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (rules.QuarterRow, error) {
		var q rules.QuarterRow
		return q, r.Scan(&q.Quarter, &q.Findings, &q.ItemsOpened)
	})
	return d, err
}
