package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/services/supervision/internal/rules"
)

// FactRows implements rules.FactReader over the pool.
func (s *Store) FactRows(ctx context.Context, q rules.FactQuery) ([]rules.FactRow, error) {
	return factRows(ctx, s.pool, q)
}

// FactRows implements rules.FactReader within the transaction, which sees
// the projection rows it has just written.
func (t *TxStore) FactRows(ctx context.Context, q rules.FactQuery) ([]rules.FactRow, error) {
	return factRows(ctx, t.q, q)
}

// districtOf is the district of an organisation row o of the view.
const districtOf = `(CASE WHEN o.kind = 'DISTRICT' THEN o.id ELSE o.district_id END)`

// factRows reads each fact from its projections with one set-based query
// over a district (or one subject).
func factRows(ctx context.Context, db querier, q rules.FactQuery) ([]rules.FactRow, error) {
	switch q.Fact {
	case rules.FactQuarterlyActivity:
		return quarterlyRows(ctx, db, q)
	case rules.FactInServiceAttendance:
		return attendanceRows(ctx, db, q)
	case rules.FactTransferExpired, rules.FactTransferFlagged, rules.FactMobileContactOverdue,
		rules.FactUnitReportMissed, rules.FactJointMeetingMissed, rules.FactLedgerItemOverdue, rules.FactComplianceFinding:
		return eventFactRows(ctx, db, q)
	}
	return nil, fmt.Errorf("no projection answers the fact %q", q.Fact)
}

// quarterlyRows: the live organisations of the kinds params.kinds names
// (communities by default), whether each was founded by the quarter's
// first day, and the concentrated activities held in the quarter in it or
// below it.
func quarterlyRows(ctx context.Context, db querier, q rules.FactQuery) ([]rules.FactRow, error) {
	kinds := stringsParam(q.Params, "kinds", []string{"COMMUNITY"})
	first, last := q.Quarter.First(), q.Quarter.Last()
	rows, err := db.Query(ctx, `SELECT o.id::text, o.kind, `+districtOf+`::text,
			coalesce(f.founding_date <= $3, false),
			(SELECT count(*) FROM orgs b JOIN activities a ON a.organisation_id = b.id
				WHERE b.path >= o.path AND b.path < o.path || '~'
				AND a.kind = 'CONCENTRATED_ACTIVITY' AND a.day BETWEEN $3 AND $4)
		FROM orgs o LEFT JOIN org_facts f ON f.id = o.id
		WHERE o.state = 'ACTIVE' AND o.kind = ANY($2) AND `+districtOf+` = $1 AND ($5 = '' OR o.id::text = $5)`,
		q.DistrictID, kinds, first, last, q.SubjectID)
	if err != nil {
		return nil, err
	}
	period := q.Quarter.String()
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (rules.FactRow, error) {
		var (
			r       rules.FactRow
			kind    string
			founded bool
			held    int64
		)
		err := row.Scan(&r.SubjectID, &kind, &r.DistrictID, &founded, &held)
		r.OrganisationID, r.Period = r.SubjectID, period
		r.Vars = map[string]any{"kind": kind, "founded_before_quarter": founded, "concentrated_activities": held}
		return r, err
	})
}

// attendanceRows: each in-service member with a live registration, since
// when they have been absent from joint activities (their last attendance,
// or their registration if later or if they never attended), and their
// stars.
func attendanceRows(ctx context.Context, db querier, q rules.FactQuery) ([]rules.FactRow, error) {
	rows, err := db.Query(ctx, `SELECT s.member_id::text, o.id::text, `+districtOf+`::text,
			greatest(s.since, coalesce(a.last_day, s.since)), coalesce(m.stars, 0)
		FROM (SELECT DISTINCT ON (member_id) member_id, community_id, since FROM in_service
			WHERE ended IS NULL AND ($2 = '' OR member_id::text = $2) ORDER BY member_id, since) s
		LEFT JOIN joint_attendance a ON a.member_id = s.member_id
		LEFT JOIN member_facts m ON m.member_id = s.member_id
		JOIN orgs o ON o.id = coalesce(m.organisation_id, s.community_id)
		WHERE `+districtOf+` = $1`, q.DistrictID, q.SubjectID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (rules.FactRow, error) {
		var (
			r     rules.FactRow
			since time.Time
			stars int64
		)
		err := row.Scan(&r.SubjectID, &r.OrganisationID, &r.DistrictID, &since, &stars)
		r.Period = "absent since " + since.Format(time.DateOnly)
		r.Vars = map[string]any{"months_absent": int64(rules.MonthsBetween(since, q.Today)), "stars": stars}
		return r, err
	})
}

// eventFactRows: the facts that arrived as events.
func eventFactRows(ctx context.Context, db querier, q rules.FactQuery) ([]rules.FactRow, error) {
	fact, _ := rules.FactNamed(q.Fact)
	rows, err := db.Query(ctx, `SELECT e.subject_id, o.id::text, `+districtOf+`::text, e.period, e.vars
		FROM event_facts e JOIN orgs o ON o.id = e.organisation_id
		WHERE e.fact = $1 AND `+districtOf+` = $2 AND ($3 = '' OR e.subject_id = $3)`, q.Fact, q.DistrictID, q.SubjectID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (rules.FactRow, error) {
		var (
			r    rules.FactRow
			vars []byte
		)
		if err := row.Scan(&r.SubjectID, &r.OrganisationID, &r.DistrictID, &r.Period, &vars); err != nil {
			return r, err
		}
		m, err := decodeMap(vars)
		r.Vars = typed(fact, m)
		return r, err
	})
}

// typed gives JSON's numbers the types the fact declares (CEL keeps int
// and double apart).
func typed(f rules.Fact, m map[string]any) map[string]any {
	for _, v := range f.Vars {
		if x, ok := m[v.Name].(float64); ok && v.Type == rules.Int {
			m[v.Name] = int64(x)
		}
	}
	return m
}

func stringsParam(p map[string]any, name string, def []string) []string {
	list, ok := p[name].([]any)
	if !ok {
		return def
	}
	out := make([]string, 0, len(list))
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
