package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
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

// notFound leaves out the rows whose subject (subject) and period (period,
// SQL expressions of the row) have a finding of the rule whose id is the
// parameter p (” leaves out nothing): an anti-join on the findings'
// unique key (rule_id, subject_id, period).
func notFound(p, subject, period string) string {
	return `NOT EXISTS (SELECT 1 FROM findings f WHERE f.rule_id = NULLIF(` + p + `, '')::uuid AND f.subject_id = ` + subject +
		` AND f.period = ` + period + `)`
}

// factRows reads each fact from its projections with one set-based query
// over the districts asked (or one subject).
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
				AND (CASE WHEN b.kind = 'DISTRICT' THEN b.id ELSE b.district_id END) = ANY($1::uuid[])
			GROUP BY x.id)
		SELECT o.id::text, o.kind, `+districtOf+`::text, coalesce(f.founding_date <= $3, false), coalesce(h.n, 0)
		FROM orgs o LEFT JOIN org_facts f ON f.id = o.id LEFT JOIN held h ON h.id = o.id
		WHERE o.state = 'ACTIVE' AND o.kind = ANY($2) AND `+districtOf+` = ANY($1::uuid[]) AND ($5 = '' OR o.id::text = $5)
			AND `+notFound("$6", "o.id::text", "$7")+``,
		q.DistrictIDs, kinds, first, last, q.SubjectID, q.NewFor, q.Quarter.String())
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
// stars. With a bound on months_absent (the condition's usual shape), the
// members who registered or attended since the day it allows are left out
// before anything else is read: at a city's scale, nearly everyone.
func attendanceRows(ctx context.Context, db querier, q rules.FactQuery) ([]rules.FactRow, error) {
	var cutoff *time.Time
	if n := q.AtLeast["months_absent"]; n > 0 {
		d := rules.LatestStart(q.Today, int(n))
		cutoff = &d
	}
	// A member's earliest live registration (DISTINCT ON … ORDER BY since)
	// is kept whenever any is, so the absence is counted from it as before;
	// the member's organisation is the one the view of members holds, else
	// the community of the registration.
	rows, err := db.Query(ctx, `WITH live AS (
			SELECT DISTINCT ON (s.member_id) s.member_id, s.community_id,
				greatest(s.since, coalesce(a.last_day, s.since)) AS since
			FROM in_service s LEFT JOIN joint_attendance a ON a.member_id = s.member_id
			WHERE s.ended IS NULL AND ($2 = '' OR s.member_id::text = $2)
				AND ($3::date IS NULL OR (s.since <= $3::date AND (a.last_day IS NULL OR a.last_day <= $3::date)))
			ORDER BY s.member_id, s.since)
		SELECT l.member_id::text, o.id::text, `+districtOf+`::text, l.since, coalesce(m.stars, 0)
		FROM live l LEFT JOIN member_facts m ON m.member_id = l.member_id
			JOIN orgs o ON o.id = CASE WHEN m.member_id IS NULL THEN l.community_id ELSE m.organisation_id END
		WHERE `+districtOf+` = ANY($1::uuid[])
			AND `+notFound("$4", "l.member_id::text", `'absent since ' || to_char(l.since, 'YYYY-MM-DD')`),
		q.DistrictIDs, q.SubjectID, cutoff, q.NewFor)
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
			WINDOW w AS (PARTITION BY unit_id, community_id ORDER BY year DESC)),
		g AS (
			SELECT r.unit_id::text AS unit, o.id::text AS org, `+districtOf+`::text AS district, r.latest, r.latest_grade, r.name,
				coalesce(min(r.rn) FILTER (WHERE r.grade <> 'ORDINARY' OR r.year <> r.latest - r.rn + 1) - 1, count(*)) AS run
			FROM r JOIN orgs o ON o.id = r.community_id
			WHERE `+districtOf+` = ANY($1::uuid[])
			GROUP BY r.unit_id, o.id, o.kind, o.district_id, r.latest, r.latest_grade, r.name)
		SELECT unit, org, district, latest, latest_grade, name, run FROM g
		WHERE `+notFound("$3", "g.unit", `CASE WHEN g.run = 0 THEN 'graded ' ELSE 'ordinary through ' END || g.latest`),
		q.DistrictIDs, q.SubjectID, q.NewFor)
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
		WHERE e.fact = $1 AND `+districtOf+` = ANY($2::uuid[]) AND ($3 = '' OR e.subject_id = $3)
			AND `+notFound("$4", "e.subject_id", "e.period"), q.Fact, q.DistrictIDs, q.SubjectID, q.NewFor)
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
			peers, bottom_two, bottom_two_count, version
		FROM assessment_results a WHERE district_id = ANY($1::uuid[]) AND ($2 = '' OR organisation_id::text = $2)
			AND `+notFound("$3", "a.organisation_id::text", "a.period"), q.DistrictIDs, q.SubjectID, q.NewFor)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (rules.FactRow, error) {
		var (
			r                          rules.FactRow
			score, taskScore, daily    float64
			grade                      string
			rank, peers, bottomTwoRuns int64
			version                    int64
			bottomTwo                  bool
		)
		err := row.Scan(&r.SubjectID, &r.DistrictID, &r.Period, &score, &taskScore, &daily, &grade, &rank, &peers, &bottomTwo, &bottomTwoRuns,
			&version)
		r.OrganisationID = r.SubjectID
		r.Vars = map[string]any{"score": score, "task_score": taskScore, "daily_score": daily, "grade": grade, "rank": rank,
			"peers": peers, "bottom_two": bottomTwo, "bottom_two_count": bottomTwoRuns, "quarterly": len(r.Period) > 4,
			"version": version}
		return r, err
	})
}

// ExplainFactRows is the plan of each query q's rows are read with, as
// PostgreSQL ran it (EXPLAIN ANALYZE, BUFFERS) in a sweep's transaction:
// for the benchmark and the README's figures.
func (s *Store) ExplainFactRows(ctx context.Context, q rules.FactQuery) (string, error) {
	var plans string
	err := pgdb.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.Tx(tx).ForSweep(ctx); err != nil {
			return err
		}
		e := &explainer{pool: tx}
		_, err := factRows(ctx, e, q)
		plans = e.plans
		return err
	})
	return plans, err
}

// explainer runs each query it is given under EXPLAIN ANALYZE, keeps the
// plan, and answers with no rows.
type explainer struct {
	pool  querier
	plans string
}

func (e *explainer) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	rows, err := e.pool.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		return nil, err
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	for _, l := range lines {
		e.plans += l + "\n"
	}
	return e.pool.Query(ctx, "SELECT * FROM ("+sql+") x WHERE false", args...)
}

func (e *explainer) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return e.pool.QueryRow(ctx, sql, args...)
}
