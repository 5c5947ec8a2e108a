package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/reports"
)

// ReportStore implements reports.Store.
type ReportStore struct{ *Store }

// Reports is the store of the reports domain.
func (s *Store) Reports() ReportStore { return ReportStore{s} }

type reportTx struct{ *txStore }

// InTx implements reports.Store.
func (s ReportStore) InTx(ctx context.Context, fn func(reports.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(reportTx{t}) })
}

const reportColumns = `id::text, unit_id::text, community_id::text, month, summary, items, agreement_id::text,
	coalesce(district_id::text, ''), due_date, late, filed_by, version, created_at, updated_at`

func scanReport(row pgx.Row) (*reports.Report, error) {
	var (
		r     reports.Report
		month time.Time
		items []byte
	)
	err := row.Scan(&r.ID, &r.UnitID, &r.CommunityID, &month, &r.Summary, &items, &r.AgreementID, &r.DistrictID,
		&r.Due, &r.Late, &r.FiledBy, &r.Version, &r.Created, &r.Updated)
	if err != nil {
		return nil, err
	}
	r.Month, r.Created, r.Updated = cobuild.MonthOf(month), r.Created.UTC(), r.Updated.UTC()
	return &r, json.Unmarshal(items, &r.Items)
}

func getReport(ctx context.Context, q querier, id string, lock bool) (*reports.Report, error) {
	return rowByID(ctx, q, reportColumns, "unit_reports", id, lock, scanReport, reports.ErrNotFound)
}

// Get implements reports.Store.
func (s ReportStore) Get(ctx context.Context, id string) (*reports.Report, error) {
	return getReport(ctx, s.pool, id, false)
}

// monthKey is where a page of latest-month-first rows ends.
type monthKey struct {
	Month time.Time
	ID    string
}

// reportWhere is the filter of reports and misses, which share their columns.
func reportWhere(f reports.Filter) (pgdb.Where, error) {
	var w pgdb.Where
	if f.UnitID != "" {
		w.Add(`unit_id = ?`, f.UnitID)
	}
	if f.CommunityID != "" {
		w.Add(`community_id = ?`, f.CommunityID)
	}
	if f.AncestorID != "" {
		inSubtree(&w, "community_id", f.AncestorID)
	}
	if f.Month != "" {
		m, err := cobuild.ParseMonth("month", f.Month)
		if err != nil {
			return w, err
		}
		w.Add(`month = ?`, m.First())
	}
	return w, nil
}

// List implements reports.Store: latest month first, keyset pages.
func (s ReportStore) List(ctx context.Context, f reports.Filter) ([]*reports.Report, string, error) {
	var after monthKey
	if err := page.Decode(f.PageToken, &after); err != nil {
		return nil, "", err
	}
	w, err := reportWhere(f)
	if err != nil {
		return nil, "", err
	}
	if f.LateOnly {
		w.Add(`late`)
	}
	if after.ID != "" {
		w.Add(`(month, id) < (?, ?::uuid)`, after.Month, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+reportColumns+` FROM unit_reports WHERE `+w.SQL()+
		` ORDER BY month DESC, id DESC LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*reports.Report, error) { return scanReport(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(r *reports.Report) any { return monthKey{r.Month.First(), r.ID} })
	return list, next, nil
}

// missKey is where a page of misses ends.
type missKey struct {
	Month        time.Time
	Unit, Commun string
}

// ListMissed implements reports.Store: latest month first, with the
// report filed late since, if any.
func (s ReportStore) ListMissed(ctx context.Context, f reports.Filter) ([]reports.Missed, string, error) {
	var after missKey
	if err := page.Decode(f.PageToken, &after); err != nil {
		return nil, "", err
	}
	w, err := reportWhere(f)
	if err != nil {
		return nil, "", err
	}
	if after.Unit != "" {
		w.Add(`(month, unit_id, community_id) < (?, ?::uuid, ?::uuid)`, after.Month, after.Unit, after.Commun)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT unit_id::text, community_id::text, month, agreement_id::text,
			coalesce(district_id::text, ''), due_date, detected_at,
			coalesce((SELECT r.id::text FROM unit_reports r WHERE r.unit_id = m.unit_id
				AND r.community_id = m.community_id AND r.month = m.month), '')
		FROM missed_reports m WHERE `+w.SQL()+` ORDER BY month DESC, unit_id DESC, community_id DESC LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (reports.Missed, error) {
		var (
			m     reports.Missed
			month time.Time
		)
		err := r.Scan(&m.UnitID, &m.CommunityID, &month, &m.AgreementID, &m.DistrictID, &m.Due, &m.Detected, &m.ReportID)
		m.Month, m.Detected = cobuild.MonthOf(month), m.Detected.UTC()
		return m, err
	})
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(m reports.Missed) any { return missKey{m.Month.First(), m.UnitID, m.CommunityID} })
	return list, next, nil
}

// Agreement implements reports.Tx: the pair's agreement whose term meets
// the month, the live one first.
func (t reportTx) Agreement(ctx context.Context, unitID, communityID string, m cobuild.Month) (string, string, bool, error) {
	var id, district string
	err := t.tx.QueryRow(ctx, `SELECT id::text, coalesce(district_id::text, '') FROM agreements
		WHERE unit_id = $1 AND community_id = $2 AND start_date <= $4
			AND agreement_last_day(state, ended_date, end_date) >= $3
		ORDER BY state = 'LIVE' DESC, created_at DESC LIMIT 1`, unitID, communityID, m.First(), m.Last()).Scan(&id, &district)
	if pgdb.IsNoRows(err) {
		return "", "", false, nil
	}
	return id, district, err == nil, err
}

// Lock implements reports.Tx.
func (t reportTx) Lock(ctx context.Context, id string) (*reports.Report, error) {
	return getReport(ctx, t.tx, id, true)
}

// Insert implements reports.Tx.
func (t reportTx) Insert(ctx context.Context, r *reports.Report) error {
	items, err := json.Marshal(r.Items)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO unit_reports (id, unit_id, community_id, month, summary, items, agreement_id,
		district_id, due_date, late, filed_by, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.UnitID, r.CommunityID, r.Month.First(), r.Summary, items, r.AgreementID, nullable(r.DistrictID), r.Due,
		r.Late, r.FiledBy, r.Version, r.Created, r.Updated)
	if pgdb.IsUniqueViolation(err, "unit_reports_one_per_month") {
		return errs.Field(reports.ErrDuplicate, "unit_report.month", "the unit already reported "+r.Month.String()+" to the community: correct that report")
	}
	return err
}

// Save implements reports.Tx.
func (t reportTx) Save(ctx context.Context, r *reports.Report) error {
	items, err := json.Marshal(r.Items)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE unit_reports SET summary = $2, items = $3, version = $4, updated_at = $5 WHERE id = $1`,
		r.ID, r.Summary, items, r.Version, r.Updated)
	return err
}

// MarkMissed implements reports.Tx in one statement: it takes a batch of
// agreements with closed months not yet swept (SKIP LOCKED, so replicas
// share the work), records each such month without a report as missed
// (ON CONFLICT DO NOTHING: a month is recorded once, ever), and moves the
// agreements' sweep mark past the last closed month.
func (t reportTx) MarkMissed(ctx context.Context, today time.Time, defaultDueDay, limit int, now time.Time, after string) ([]reports.Missed, string, error) {
	var (
		taken int
		last  string
		found []byte
	)
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	err := t.tx.QueryRow(ctx, `WITH a AS (
			SELECT a.id, a.unit_id, a.community_id, a.district_id, a.reports_swept_to, d.due_day,
				least(month_start(agreement_last_day(a.state, a.ended_date, a.end_date)), last_closed_month($1, d.due_day)) AS through
			FROM agreements a
			LEFT JOIN district_settings s ON s.district_id = a.district_id
			CROSS JOIN LATERAL (SELECT coalesce(s.report_due_day, $2) AS due_day) d
			-- The constant bound (no district's month closes later than with a
			-- due day of 1) lets the index skip the agreements swept up to date.
			WHERE a.reports_swept_to <= last_closed_month($1, 1) AND a.id > $5
				AND a.reports_swept_to <= least(month_start(agreement_last_day(a.state, a.ended_date, a.end_date)),
					last_closed_month($1, d.due_day))
			ORDER BY a.id LIMIT $3
			FOR UPDATE OF a SKIP LOCKED),
		m AS (SELECT a.*, gs::date AS month FROM a
			CROSS JOIN LATERAL generate_series(a.reports_swept_to, a.through, interval '1 month') gs),
		ins AS (INSERT INTO missed_reports (unit_id, community_id, month, agreement_id, district_id, due_date, detected_at)
			SELECT unit_id, community_id, month, id, district_id, (month + interval '1 month' + (due_day - 1) * interval '1 day')::date, $4
			FROM m WHERE NOT EXISTS (SELECT 1 FROM unit_reports r
				WHERE r.unit_id = m.unit_id AND r.community_id = m.community_id AND r.month = m.month)
			ON CONFLICT DO NOTHING
			RETURNING unit_id::text AS unit_id, community_id::text AS community_id, month, agreement_id::text AS agreement_id,
				coalesce(district_id::text, '') AS district_id, due_date),
		upd AS (UPDATE agreements g SET reports_swept_to = (a.through + interval '1 month')::date FROM a WHERE g.id = a.id)
		SELECT (SELECT count(*) FROM a)::int, coalesce((SELECT max(id::text) FROM a), ''),
			(SELECT coalesce(jsonb_agg(to_jsonb(ins)), '[]'::jsonb) FROM ins)`,
		today, defaultDueDay, limit, now, after).Scan(&taken, &last, &found)
	if err != nil || taken == 0 {
		return nil, "", err
	}
	var rows []struct {
		UnitID      string `json:"unit_id"`
		CommunityID string `json:"community_id"`
		Month       string `json:"month"`
		AgreementID string `json:"agreement_id"`
		DistrictID  string `json:"district_id"`
		DueDate     string `json:"due_date"`
	}
	if err := json.Unmarshal(found, &rows); err != nil {
		return nil, "", err
	}
	out := make([]reports.Missed, 0, len(rows))
	for _, r := range rows {
		month, err1 := time.Parse(time.DateOnly, r.Month)
		due, err2 := time.Parse(time.DateOnly, r.DueDate)
		if err1 != nil || err2 != nil {
			return nil, "", errs.New(errs.Internal, "missed report: unreadable dates")
		}
		out = append(out, reports.Missed{UnitID: r.UnitID, CommunityID: r.CommunityID, DistrictID: r.DistrictID,
			AgreementID: r.AgreementID, Month: cobuild.MonthOf(month), Due: due, Detected: now})
	}
	return out, last, nil
}
