package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/services/organisation/internal/org"
)

// ComplianceFacts implements org.Store: one set-based query for the live
// communities in scope and their counts, one for their coverage gaps.
// Subtrees are path ranges, so each correlated count is an index range scan.
func (s *Store) ComplianceFacts(ctx context.Context, q org.FactsQuery) ([]org.CommunityFacts, error) {
	root, err := s.path(ctx, q.RootID)
	if err != nil {
		return nil, err
	}
	lo, hi := root, root
	if q.Subtree {
		hi = subtreeEnd(root)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+orgColumns+`,
		(SELECT count(*) FROM organisations b WHERE b.path > o.path AND b.path < o.path || '~'
			AND b.state = 'ACTIVE' AND b.kind IN ('BRANCH', 'BUILDING_BRANCH')),
		(SELECT count(*) FROM organisations b WHERE b.path > o.path AND b.path < o.path || '~'
			AND b.state = 'ACTIVE' AND b.kind = 'GENERAL_BRANCH'),
		(SELECT coalesce(sum(m.member_count), 0) FROM organisations b JOIN member_counts m ON m.organisation_id = b.id
			WHERE b.path >= o.path AND b.path < o.path || '~' AND b.state = 'ACTIVE'),
		(SELECT count(*) FROM organisations b JOIN activities a ON a.organisation_id = b.id
			WHERE b.path >= o.path AND b.path < o.path || '~'
			AND a.kind = 'CONCENTRATED_ACTIVITY' AND a.day BETWEEN $3 AND $4)
		`+orgFrom+`WHERE o.kind = 'COMMUNITY' AND o.state = 'ACTIVE' AND o.path >= $1 AND o.path <= $2
		ORDER BY o.path`, lo, hi, q.QuarterFrom.Time(), q.QuarterTo.Time())
	if err != nil {
		return nil, err
	}
	facts, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (org.CommunityFacts, error) {
		var f org.CommunityFacts
		o, err := scanOrg(scanTail{r, []any{&f.BranchDescendants, &f.GeneralBranchDescendants, &f.Members, &f.ConcentratedActivities}})
		f.Community = o
		return f, err
	})
	if err != nil || len(facts) == 0 {
		return facts, err
	}
	return facts, s.addGaps(ctx, facts, lo, hi)
}

// scanTail lets scanOrg read a row that has extra columns after the organisation's.
type scanTail struct {
	row  pgx.Row
	tail []any
}

func (s scanTail) Scan(dest ...any) error { return s.row.Scan(append(dest, s.tail...)...) }

func (s *Store) addGaps(ctx context.Context, facts []org.CommunityFacts, lo, hi string) error {
	rows, err := s.pool.Query(ctx, `SELECT p.id::text, p.community_id::text, p.kind, p.name,
			coalesce(p.covering_organisation_id::text, ''), p.member_count
		FROM coverage_points p
		JOIN organisations c ON c.id = p.community_id
		LEFT JOIN organisations cov ON cov.id = p.covering_organisation_id
		WHERE c.kind = 'COMMUNITY' AND c.state = 'ACTIVE' AND c.path >= $1 AND c.path <= $2
			AND p.member_count > 0 AND (cov.id IS NULL OR cov.state <> 'ACTIVE')
		ORDER BY p.name`, lo, hi)
	if err != nil {
		return err
	}
	gaps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*org.CoveragePoint, error) { return scanPoint(r) })
	if err != nil {
		return err
	}
	byCommunity := make(map[string]*org.CommunityFacts, len(facts))
	for i := range facts {
		byCommunity[facts[i].Community.ID] = &facts[i]
	}
	for _, g := range gaps {
		if f := byCommunity[g.CommunityID]; f != nil {
			f.Gaps = append(f.Gaps, g)
		}
	}
	rows, err = s.pool.Query(ctx, `SELECT `+prefixed("u.", unitCoverageColumns)+`
		FROM unit_coverage u JOIN organisations c ON c.id = u.community_id
		WHERE u.gap AND c.kind = 'COMMUNITY' AND c.state = 'ACTIVE' AND c.path >= $1 AND c.path <= $2
		ORDER BY u.unit_name, u.unit_id`, lo, hi)
	if err != nil {
		return err
	}
	units, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*org.UnitCoverage, error) { return scanUnitCoverage(r) })
	if err != nil {
		return err
	}
	for _, u := range units {
		if f := byCommunity[u.CommunityID]; f != nil {
			f.UnitGaps = append(f.UnitGaps, u)
		}
	}
	return nil
}

// MemberCounts implements org.Store.
func (s *Store) MemberCounts(ctx context.Context, rootID string, also []string) ([]org.MemberCount, error) {
	root, err := s.path(ctx, rootID)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT o.id::text, o.name, coalesce(mc.member_count, 0)
		FROM organisations o LEFT JOIN member_counts mc ON mc.organisation_id = o.id
		WHERE o.path >= $1 AND o.path < $2 AND (mc.member_count > 0 OR o.id::text = ANY($3))
		ORDER BY o.path`, root, subtreeEnd(root), also)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (org.MemberCount, error) {
		var c org.MemberCount
		err := r.Scan(&c.OrganisationID, &c.Name, &c.Count)
		return c, err
	})
}
