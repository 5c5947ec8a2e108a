package store

import (
	"context"
	"fmt"
	"strconv"
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
	case rules.FactUnitGrades:
		return unitGradeRows(ctx, db, q)
	case rules.FactTransferExpired, rules.FactTransferFlagged, rules.FactMobileContactOverdue,
		rules.FactUnitReportMissed, rules.FactJointMeetingMissed, rules.FactLedgerItemOverdue, rules.FactComplianceFinding:
		return eventFactRows(ctx, db, q)
	case rules.FactAssessmentResult:
		return assessmentRows(ctx, db, q)
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
	// The activities held in the district in the quarter, counted for
	// every organisation on the path of the one that held each: one pass
	// over the quarter's activities, not one subtree scan per organisation.
	rows, err := db.Query(ctx, `WITH held AS (
			SELECT x.id::uuid AS id, count(*) AS n
			FROM activities a JOIN orgs b ON b.id = a.organisation_id,
				unnest(string_to_array(trim(both '/' from b.path), '/')) AS x(id)
			WHERE a.kind = 'CONCENTRATED_ACTIVITY' AND a.day BETWEEN $3 AND $4
				AND (CASE WHEN b.kind = 'DISTRICT' THEN b.id ELSE b.district_id END) = $1
			GROUP BY x.id)
		SELECT o.id::text, o.kind, `+districtOf+`::text, coalesce(f.founding_date <= $3, false), coalesce(h.n, 0)
		FROM orgs o LEFT JOIN org_facts f ON f.id = o.id LEFT JOIN held h ON h.id = o.id
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
	// From the district's organisations to their members and the members'
	// registrations (by index), then the registrations of members the view
	// of members does not hold yet, placed by their community.
	rows, err := db.Query(ctx, `SELECT DISTINCT ON (x.member_id) x.member_id::text, x.org::text, x.district::text,
			greatest(x.since, coalesce(a.last_day, x.since)), x.stars
		FROM (
			SELECT s.member_id, s.since, o.id AS org, `+districtOf+` AS district, m.stars
			FROM orgs o JOIN member_facts m ON m.organisation_id = o.id
				JOIN in_service s ON s.member_id = m.member_id AND s.ended IS NULL
			WHERE `+districtOf+` = $1 AND ($2 = '' OR m.member_id::text = $2)
			UNION ALL
			SELECT s.member_id, s.since, o.id, `+districtOf+`, 0
			FROM orgs o JOIN in_service s ON s.community_id = o.id AND s.ended IS NULL
			WHERE `+districtOf+` = $1 AND ($2 = '' OR s.member_id::text = $2)
				AND NOT EXISTS (SELECT 1 FROM member_facts m WHERE m.member_id = s.member_id)) x
		LEFT JOIN joint_attendance a ON a.member_id = x.member_id
		ORDER BY x.member_id, x.since`, q.DistrictID, q.SubjectID)
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

// unitGradeRows: each unit and community with grades, its latest year and
// grade, and the run of ORDINARY years ending with the latest (a year
// without a grade ends the run).
func unitGradeRows(ctx context.Context, db querier, q rules.FactQuery) ([]rules.FactRow, error) {
	rows, err := db.Query(ctx, `WITH r AS (
			SELECT unit_id, community_id, year, grade, row_number() OVER w AS rn,
				first_value(year) OVER w AS latest, first_value(grade) OVER w AS latest_grade, first_value(unit_name) OVER w AS name
			FROM unit_grades WHERE $2 = '' OR unit_id::text = $2
			WINDOW w AS (PARTITION BY unit_id, community_id ORDER BY year DESC))
		SELECT r.unit_id::text, o.id::text, `+districtOf+`::text, r.latest, r.latest_grade, r.name,
			coalesce(min(r.rn) FILTER (WHERE r.grade <> 'ORDINARY' OR r.year <> r.latest - r.rn + 1) - 1, count(*))
		FROM r JOIN orgs o ON o.id = r.community_id
		WHERE `+districtOf+` = $1
		GROUP BY r.unit_id, o.id, o.kind, o.district_id, r.latest, r.latest_grade, r.name`, q.DistrictID, q.SubjectID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (rules.FactRow, error) {
		var (
			r           rules.FactRow
			latest, run int64
			grade, name string
		)
		err := row.Scan(&r.SubjectID, &r.OrganisationID, &r.DistrictID, &latest, &grade, &name, &run)
		r.Period = "ordinary through " + strconv.FormatInt(latest, 10)
		if run == 0 {
			r.Period = "graded " + strconv.FormatInt(latest, 10)
		}
		r.Vars = map[string]any{"ordinary_years": run, "latest_year": latest, "latest_grade": grade, "unit_name": name}
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

// assessmentRows: the graded results of the district's organisations, one
// row per organisation and period.
func assessmentRows(ctx context.Context, db querier, q rules.FactQuery) ([]rules.FactRow, error) {
	rows, err := db.Query(ctx, `SELECT organisation_id::text, district_id::text, period, score, task_score, daily_score, grade, rank,
			peers, bottom_two, bottom_two_count
		FROM assessment_results WHERE district_id = $1 AND ($2 = '' OR organisation_id::text = $2)`, q.DistrictID, q.SubjectID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (rules.FactRow, error) {
		var (
			r                          rules.FactRow
			score, taskScore, daily    float64
			grade                      string
			rank, peers, bottomTwoRuns int64
			bottomTwo                  bool
		)
		err := row.Scan(&r.SubjectID, &r.DistrictID, &r.Period, &score, &taskScore, &daily, &grade, &rank, &peers, &bottomTwo, &bottomTwoRuns)
		r.OrganisationID = r.SubjectID
		r.Vars = map[string]any{"score": score, "task_score": taskScore, "daily_score": daily, "grade": grade, "rank": rank,
			"peers": peers, "bottom_two": bottomTwo, "bottom_two_count": bottomTwoRuns, "quarterly": len(r.Period) > 4}
		return r, err
	})
}
