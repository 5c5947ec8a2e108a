package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/pgdb"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/assess"
	"gongjian.dev/services/supervision/internal/pbconv"
)

// The subjects and audit subject types of assessment.
const (
	subjectAssessmentPrefix   = subjectPrefix + "assessment_"
	SubjectAssessmentGraded   = subjectPrefix + "assessment_graded"
	SubjectResultCorrected    = subjectPrefix + "assessment_result_corrected"
	subjectCommendationPrefix = subjectPrefix + "commendation_"
	auditTaskList             = "task_list"
	auditEvidence             = "task_evidence"
	auditDailyEntry           = "daily_entry"
	auditSettings             = "assessment_settings"
	auditResult               = "assessment_result"
	auditCommendation         = "commendation"
)

// Assess is the store of the assessment domain: the same Store, seen
// through assess's interfaces.
type Assess struct{ *Store }

// InTx implements assess.Store.
func (s Assess) InTx(ctx context.Context, fn func(assess.Tx) error) error {
	return s.ownTx(ctx, func(t *TxStore) error { return fn(t) })
}

// Org implements assess.Store: the organisation as the view holds it, its
// parent read from its path.
func (s Assess) Org(ctx context.Context, id string) (*assess.Org, error) {
	if !validUUID(id) {
		return nil, nil
	}
	var (
		o        assess.Org
		path     string
		district *string
	)
	err := s.pool.QueryRow(ctx, `SELECT id::text, name, kind, district_id::text, path FROM orgs WHERE id = $1 AND state = 'ACTIVE'`, id).
		Scan(&o.ID, &o.Name, &o.Kind, &district, &path)
	if pgdb.IsNoRows(err) {
		return nil, nil
	}
	if district != nil {
		o.DistrictID = *district
	}
	if o.Kind == "DISTRICT" {
		o.DistrictID = o.ID
	}
	o.ParentID = parentOf(path)
	return &o, err
}

// parentOf is the parent's id in a path '/a/b/self/' ("" for the root).
func parentOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2]
}

const taskListColumns = `id::text, organisation_id::text, district_id::text, period, department, title, tasks, graded, created_by, created_at`

func scanTaskList(row pgx.Row) (*assess.TaskList, error) {
	var (
		l     assess.TaskList
		tasks []byte
	)
	err := row.Scan(&l.ID, &l.OrganisationID, &l.DistrictID, &l.Period, &l.Department, &l.Title, &tasks, &l.Graded, &l.CreatedBy, &l.Created)
	if pgdb.IsNoRows(err) {
		return nil, assess.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &l, json.Unmarshal(tasks, &l.Tasks)
}

// TaskList implements assess.Store.
func (s Assess) TaskList(ctx context.Context, id string) (*assess.TaskList, error) {
	if !validUUID(id) {
		return nil, assess.ErrNotFound
	}
	return scanTaskList(s.pool.QueryRow(ctx, `SELECT `+taskListColumns+` FROM task_lists WHERE id = $1`, id))
}

// scoped adds the conditions of a subtree, an actor's scope and an
// inspector's cover on col.
func scoped(w *pgdb.Where, col string, roots []string, inspector string) {
	for _, root := range roots {
		if root != "" {
			w.Add(subtreeOf(col), root)
		}
	}
	if inspector != "" {
		w.Add(coveredBy(col), inspector)
	}
}

// TaskLists implements assess.Store.
func (s Assess) TaskLists(ctx context.Context, q assess.ListQuery) ([]*assess.TaskList, error) {
	var w pgdb.Where
	if q.OrganisationID != "" {
		w.Add(`organisation_id = ?`, q.OrganisationID)
	}
	if q.Period != "" {
		w.Add(`period = ?`, q.Period)
	}
	scoped(&w, "organisation_id", []string{q.AncestorID, q.ScopeRoot}, q.Inspector)
	if !q.After.Created.IsZero() {
		w.Add(`(created_at, id) < (?, ?)`, q.After.Created, q.After.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+taskListColumns+` FROM task_lists WHERE `+w.SQL()+
		` ORDER BY created_at DESC, id DESC LIMIT `+w.Arg(q.Limit), w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*assess.TaskList, error) { return scanTaskList(r) })
}

const evidenceColumns = `id::text, task_list_id::text, task_code, description, reference, submitted_by, submitted_at, state, score,
	note, reviewed_by, reviewed_at`

func scanEvidence(row pgx.Row) (*assess.Evidence, error) {
	var (
		e        assess.Evidence
		state    string
		reviewed *time.Time
	)
	err := row.Scan(&e.ID, &e.TaskListID, &e.TaskCode, &e.Description, &e.Reference, &e.SubmittedBy, &e.Submitted, &state, &e.Score,
		&e.Note, &e.ReviewedBy, &reviewed)
	if pgdb.IsNoRows(err) {
		return nil, assess.ErrNotFound
	}
	e.State = assess.EvidenceState(state)
	if reviewed != nil {
		e.Reviewed = *reviewed
	}
	return &e, err
}

// Evidence implements assess.Store.
func (s Assess) Evidence(ctx context.Context, id string) (*assess.Evidence, error) {
	if !validUUID(id) {
		return nil, assess.ErrNotFound
	}
	return scanEvidence(s.pool.QueryRow(ctx, `SELECT `+evidenceColumns+` FROM task_evidence WHERE id = $1`, id))
}

// EvidenceOf implements assess.Store.
func (s Assess) EvidenceOf(ctx context.Context, listID string) ([]*assess.Evidence, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+evidenceColumns+` FROM task_evidence WHERE task_list_id = $1 ORDER BY submitted_at, id`, listID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*assess.Evidence, error) { return scanEvidence(r) })
}

const dailyColumns = `id::text, organisation_id::text, district_id::text, day, points, note, recorded_by, created_at`

func scanDaily(row pgx.Row) (*assess.DailyEntry, error) {
	var d assess.DailyEntry
	err := row.Scan(&d.ID, &d.OrganisationID, &d.DistrictID, &d.Day, &d.Points, &d.Note, &d.RecordedBy, &d.Created)
	if pgdb.IsNoRows(err) {
		return nil, assess.ErrNotFound
	}
	return &d, err
}

// DailyEntry implements assess.Store.
func (s Assess) DailyEntry(ctx context.Context, id string) (*assess.DailyEntry, error) {
	return scanDaily(s.pool.QueryRow(ctx, `SELECT `+dailyColumns+` FROM daily_entries WHERE id = $1`, id))
}

// DailyEntries implements assess.Store.
func (s Assess) DailyEntries(ctx context.Context, orgIDs []string, from, to time.Time) ([]*assess.DailyEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+dailyColumns+` FROM daily_entries
		WHERE organisation_id = ANY($1::uuid[]) AND day BETWEEN $2 AND $3 ORDER BY day, created_at`, orgIDs, from, to)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*assess.DailyEntry, error) { return scanDaily(r) })
}

func scanSettings(row pgx.Row) (*assess.Settings, error) {
	var (
		st    assess.Settings
		bands []byte
	)
	err := row.Scan(&st.DistrictID, &bands, &st.DailyShare, &st.Version, &st.UpdatedBy, &st.Updated)
	if pgdb.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &st, json.Unmarshal(bands, &st.Bands)
}

const settingsColumns = `district_id::text, bands, daily_share, version, updated_by, updated_at`

// Settings implements assess.Store.
func (s Assess) Settings(ctx context.Context, districtID string) (*assess.Settings, error) {
	if !validUUID(districtID) {
		return nil, nil
	}
	return scanSettings(s.pool.QueryRow(ctx, `SELECT `+settingsColumns+` FROM assessment_settings WHERE district_id = $1`, districtID))
}

const resultColumns = `organisation_id::text, name, kind, coalesce(parent_id::text, ''), district_id::text, period, task_list_id::text,
	task_score, daily_score, score, grade, rank, peers, bottom_two, bottom_two_count, graded_at, version, correction_reason,
	corrected_by, corrected_at`

func scanResult(row pgx.Row) (*assess.Result, error) {
	var (
		r  assess.Result
		at *time.Time
	)
	err := row.Scan(&r.OrganisationID, &r.Name, &r.Kind, &r.ParentID, &r.DistrictID, &r.Period, &r.TaskListID,
		&r.TaskScore, &r.DailyScore, &r.Score, &r.Grade, &r.Rank, &r.Peers, &r.BottomTwo, &r.BottomTwoCount, &r.Graded,
		&r.Correction.Version, &r.Correction.Reason, &r.Correction.By, &at)
	if at != nil {
		r.Correction.Corrected = *at
	}
	return &r, err
}

// ResultVersions implements assess.Store: the current row's names beside
// each version's scores.
func (s Assess) ResultVersions(ctx context.Context, orgID, period string) ([]*assess.Result, error) {
	if !validUUID(orgID) {
		return nil, assess.ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT r.organisation_id::text, r.name, r.kind, coalesce(r.parent_id::text, ''), r.district_id::text,
			r.period, r.task_list_id::text, v.task_score, v.daily_score, v.score, v.grade, v.rank, v.peers, v.bottom_two,
			v.bottom_two_count, r.graded_at, v.version, v.correction_reason, v.corrected_by, v.corrected_at
		FROM assessment_result_versions v JOIN assessment_results r USING (organisation_id, period)
		WHERE v.organisation_id = $1 AND v.period = $2 ORDER BY v.version DESC`, orgID, period)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*assess.Result, error) { return scanResult(r) })
}

// LockPeers implements assess.Tx.
func (t *TxStore) LockPeers(ctx context.Context, orgID, period string) ([]*assess.Result, error) {
	if !validUUID(orgID) {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, `SELECT `+resultColumns+` FROM assessment_results p
		WHERE period = $2 AND EXISTS (SELECT 1 FROM assessment_results o WHERE o.organisation_id = $1 AND o.period = $2
			AND o.kind = p.kind AND o.parent_id IS NOT DISTINCT FROM p.parent_id)
		ORDER BY organisation_id FOR UPDATE`, orgID, period)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*assess.Result, error) { return scanResult(r) })
}

// InsertVersions implements assess.Tx: the current row of each result
// becomes its new version, which the versions keep beside the others.
func (t *TxStore) InsertVersions(ctx context.Context, prev, next []*assess.Result) error {
	w := &writes{}
	b := &pgx.Batch{}
	before := make(map[string]*assess.Result, len(prev))
	for _, r := range prev {
		before[r.OrganisationID] = r
	}
	for _, r := range next {
		c := r.Correction
		b.Queue(`UPDATE assessment_results SET task_score = $3, daily_score = $4, score = $5, grade = $6, rank = $7, peers = $8,
				bottom_two = $9, bottom_two_count = $10, version = $11, correction_reason = $12, corrected_by = $13, corrected_at = $14
			WHERE organisation_id = $1 AND period = $2`,
			r.OrganisationID, r.Period, r.TaskScore, r.DailyScore, r.Score, r.Grade, r.Rank, r.Peers, r.BottomTwo, r.BottomTwoCount,
			c.Version, c.Reason, c.By, c.Corrected)
		b.Queue(`INSERT INTO assessment_result_versions (organisation_id, period, version, task_score, daily_score, score, grade, rank,
				peers, bottom_two, bottom_two_count, correction_reason, corrected_by, corrected_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			r.OrganisationID, r.Period, c.Version, r.TaskScore, r.DailyScore, r.Score, r.Grade, r.Rank, r.Peers, r.BottomTwo,
			r.BottomTwoCount, c.Reason, c.By, c.Corrected)
		m, old := pbconv.AssessmentResult(r), pbconv.AssessmentResult(before[r.OrganisationID])
		w.event(SubjectResultCorrected, r.OrganisationID, &pb.AssessmentResultCorrected{OccurTime: timestamppb.New(c.Corrected),
			Result: m, Previous: old})
		w.audit(auditResult, r.OrganisationID+"/"+r.Period, r.OrganisationID, old, m)
	}
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return t.flush(ctx, w)
}

// Results implements assess.Store: by period (latest first), then by
// kind and rank.
func (s Assess) Results(ctx context.Context, q assess.ResultQuery) ([]*assess.Result, error) {
	var w pgdb.Where
	if q.OrganisationID != "" {
		w.Add(`organisation_id = ?`, q.OrganisationID)
	}
	if q.ParentID != "" {
		w.Add(`parent_id = ?`, q.ParentID)
	}
	if q.Period != "" {
		w.Add(`period = ?`, q.Period)
	}
	scoped(&w, "organisation_id", []string{q.ScopeRoot}, q.Inspector)
	rows, err := s.pool.Query(ctx, `SELECT `+resultColumns+` FROM assessment_results WHERE `+w.SQL()+
		` ORDER BY period DESC, kind, rank, name LIMIT 1000`, w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*assess.Result, error) { return scanResult(r) })
}

// LatestPeriod implements assess.Store: the latest period ended (a year
// ends after its last quarter) graded below root.
func (s Assess) LatestPeriod(ctx context.Context, root string) (string, error) {
	var p string
	err := s.pool.QueryRow(ctx, `SELECT period FROM assessment_results WHERE parent_id = $1
		ORDER BY (CASE WHEN length(period) = 4 THEN period || '-Q5' ELSE period END) DESC LIMIT 1`, root).Scan(&p)
	if pgdb.IsNoRows(err) {
		return "", nil
	}
	return p, err
}

// Barred implements assess.Store.
func (s Assess) Barred(ctx context.Context, orgID string, year int32) (string, error) {
	var f string
	err := s.pool.QueryRow(ctx, `SELECT finding_id::text FROM commendation_bars WHERE organisation_id = $1 AND year = $2`, orgID, year).Scan(&f)
	if pgdb.IsNoRows(err) {
		return "", nil
	}
	return f, err
}

const commendationColumns = `id::text, kind, organisation_id::text, coalesce(member_id::text, ''), person_name, year, reason, period,
	grade, rank, state, district_id::text, proposed_by, decided_by, decision_note, publication_title, version, created_at, updated_at`

func scanCommendation(row pgx.Row) (*assess.Commendation, error) {
	var (
		c           assess.Commendation
		kind, state string
	)
	err := row.Scan(&c.ID, &kind, &c.OrganisationID, &c.MemberID, &c.PersonName, &c.Year, &c.Reason, &c.Period, &c.Grade, &c.Rank,
		&state, &c.DistrictID, &c.ProposedBy, &c.DecidedBy, &c.DecisionNote, &c.PublicationTitle, &c.Version, &c.Created, &c.Updated)
	if pgdb.IsNoRows(err) {
		return nil, assess.ErrNotFound
	}
	c.Kind, c.State = assess.CommendationKind(kind), assess.CommendationState(state)
	return &c, err
}

// Commendation implements assess.Store.
func (s Assess) Commendation(ctx context.Context, id string) (*assess.Commendation, error) {
	if !validUUID(id) {
		return nil, assess.ErrNotFound
	}
	return scanCommendation(s.pool.QueryRow(ctx, `SELECT `+commendationColumns+` FROM commendations WHERE id = $1`, id))
}

// Commendations implements assess.Store.
func (s Assess) Commendations(ctx context.Context, q assess.CommendationQuery) ([]*assess.Commendation, error) {
	var w pgdb.Where
	if q.Year != 0 {
		w.Add(`year = ?`, q.Year)
	}
	if q.State != "" {
		w.Add(`state = ?`, string(q.State))
	}
	scoped(&w, "organisation_id", []string{q.AncestorID, q.ScopeRoot}, q.Inspector)
	if !q.After.Created.IsZero() {
		w.Add(`(created_at, id) < (?, ?)`, q.After.Created, q.After.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+commendationColumns+` FROM commendations WHERE `+w.SQL()+
		` ORDER BY created_at DESC, id DESC LIMIT `+w.Arg(q.Limit), w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*assess.Commendation, error) { return scanCommendation(r) })
}

// PeriodGraded implements assess.Tx. It first waits for a lock on the
// district's period, which the grading holds to its commit: a list or a
// daily entry of the period is written before the grading reads it, or
// refused after.
func (t *TxStore) PeriodGraded(ctx context.Context, districtID, period string) (bool, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`,
		"supervision/assessment_period/"+districtID+"/"+period); err != nil {
		return false, err
	}
	var ok bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM graded_periods WHERE district_id = $1 AND period = $2)`, districtID, period).Scan(&ok)
	return ok, err
}

// assessWrite writes one change's event and audit record.
func (t *TxStore) assessWrite(ctx context.Context, change, auditType, id, org string, before any, ev *pb.AssessmentChanged) error {
	w := &writes{}
	ev.OccurTime, ev.Change = timestamppb.Now(), change
	w.event(subjectAssessmentPrefix+change, id, ev)
	var after any
	switch {
	case ev.Evidence != nil:
		after = ev.Evidence
	case ev.DailyEntry != nil:
		after = ev.DailyEntry
	case ev.Settings != nil:
		after = ev.Settings
	default:
		after = ev.TaskList
	}
	w.audit(auditType, id, org, before, after)
	return t.flush(ctx, w)
}

// InsertTaskList implements assess.Tx.
func (t *TxStore) InsertTaskList(ctx context.Context, l *assess.TaskList) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO task_lists (id, organisation_id, district_id, period, department, title, tasks, graded,
			created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8, $9)`,
		l.ID, l.OrganisationID, l.DistrictID, l.Period, l.Department, l.Title, tasksJSON(l.Tasks), l.CreatedBy, l.Created)
	if pgdb.IsUniqueViolation(err, "task_lists_once") {
		return errFieldExists("task_list.period", "the organisation has a list for "+l.Period)
	}
	if err != nil {
		return err
	}
	return t.assessWrite(ctx, "task_list_created", auditTaskList, l.ID, l.OrganisationID, nil, &pb.AssessmentChanged{TaskList: pbconv.TaskList(l)})
}

func errFieldExists(field, description string) error {
	return errs.Field(assess.ErrExists, field, description)
}

func tasksJSON(ts []assess.Task) []byte {
	b, _ := json.Marshal(ts)
	return b
}

// LockTaskList implements assess.Tx.
func (t *TxStore) LockTaskList(ctx context.Context, id string) (*assess.TaskList, error) {
	if !validUUID(id) {
		return nil, assess.ErrNotFound
	}
	return scanTaskList(t.tx.QueryRow(ctx, `SELECT `+taskListColumns+` FROM task_lists WHERE id = $1 FOR UPDATE`, id))
}

// InsertEvidence implements assess.Tx.
func (t *TxStore) InsertEvidence(ctx context.Context, l *assess.TaskList, e *assess.Evidence) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO task_evidence (id, task_list_id, task_code, description, reference, submitted_by,
			submitted_at, state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		e.ID, e.TaskListID, e.TaskCode, e.Description, e.Reference, e.SubmittedBy, e.Submitted, string(e.State)); err != nil {
		return err
	}
	return t.assessWrite(ctx, "evidence_submitted", auditEvidence, e.ID, l.OrganisationID, nil,
		&pb.AssessmentChanged{TaskList: pbconv.TaskList(l), Evidence: pbconv.TaskEvidence(e)})
}

// LockEvidence implements assess.Tx.
func (t *TxStore) LockEvidence(ctx context.Context, id string) (*assess.Evidence, error) {
	return scanEvidence(t.tx.QueryRow(ctx, `SELECT `+evidenceColumns+` FROM task_evidence WHERE id = $1 FOR UPDATE`, id))
}

// SaveReview implements assess.Tx.
func (t *TxStore) SaveReview(ctx context.Context, l *assess.TaskList, e *assess.Evidence) error {
	if _, err := t.tx.Exec(ctx, `UPDATE task_evidence SET state = $2, score = $3, note = $4, reviewed_by = $5, reviewed_at = $6
		WHERE id = $1`, e.ID, string(e.State), e.Score, e.Note, e.ReviewedBy, e.Reviewed); err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE task_lists SET tasks = $2 WHERE id = $1`, l.ID, tasksJSON(l.Tasks)); err != nil {
		return err
	}
	return t.assessWrite(ctx, "evidence_reviewed", auditEvidence, e.ID, l.OrganisationID, nil,
		&pb.AssessmentChanged{TaskList: pbconv.TaskList(l), Evidence: pbconv.TaskEvidence(e)})
}

// InsertDailyEntry implements assess.Tx.
func (t *TxStore) InsertDailyEntry(ctx context.Context, d *assess.DailyEntry) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO daily_entries (id, organisation_id, district_id, day, points, note, recorded_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, d.ID, d.OrganisationID, d.DistrictID, d.Day, d.Points, d.Note, d.RecordedBy, d.Created); err != nil {
		return err
	}
	return t.assessWrite(ctx, "daily_entry_recorded", auditDailyEntry, d.ID, d.OrganisationID, nil,
		&pb.AssessmentChanged{DailyEntry: pbconv.DailyEntry(d)})
}

// LockSettings implements assess.Tx.
func (t *TxStore) LockSettings(ctx context.Context, districtID string) (*assess.Settings, error) {
	// The lock of a district's first settings, when there is no row to
	// lock yet, is the advisory lock: waited for, so that two first writes
	// go one after the other.
	if err := t.Lock(ctx, "assessment_settings/"+districtID); err != nil {
		return nil, err
	}
	return scanSettings(t.tx.QueryRow(ctx, `SELECT `+settingsColumns+` FROM assessment_settings WHERE district_id = $1 FOR UPDATE`, districtID))
}

// SaveSettings implements assess.Tx.
func (t *TxStore) SaveSettings(ctx context.Context, st *assess.Settings) error {
	bands, _ := json.Marshal(st.Bands)
	if _, err := t.tx.Exec(ctx, `INSERT INTO assessment_settings (district_id, bands, daily_share, version, updated_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (district_id) DO UPDATE SET bands = $2, daily_share = $3, version = $4,
		updated_by = $5, updated_at = $6`, st.DistrictID, bands, st.DailyShare, st.Version, st.UpdatedBy, st.Updated); err != nil {
		return err
	}
	return t.assessWrite(ctx, "settings_updated", auditSettings, st.DistrictID, st.DistrictID, nil,
		&pb.AssessmentChanged{Settings: pbconv.AssessmentSettings(st)})
}

// GradingInputs implements assess.Tx.
func (t *TxStore) GradingInputs(ctx context.Context, districtID string, p assess.Period) (*assess.Grading, error) {
	// A district grades the lists of its organisations; the city grades
	// the districts' own lists.
	rows, err := t.tx.Query(ctx, `SELECT `+taskListColumns+` FROM task_lists
		WHERE period = $2 AND (CASE WHEN (SELECT kind FROM orgs WHERE id = $1) = 'CITY' THEN organisation_id = district_id
			ELSE district_id = $1 AND organisation_id <> district_id END)
		ORDER BY id FOR UPDATE`, districtID, p.String())
	if err != nil {
		return nil, err
	}
	lists, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*assess.TaskList, error) { return scanTaskList(r) })
	if err != nil {
		return nil, err
	}
	g := &assess.Grading{Lists: lists, Orgs: map[string]*assess.Org{}, Daily: map[string]float64{}, BottomTwoBefore: map[string]int32{}}
	ids, listIDs := make([]string, len(lists)), make([]string, len(lists))
	for i, l := range lists {
		ids[i], listIDs[i] = l.OrganisationID, l.ID
	}
	if err := t.gradingOrgs(ctx, g, ids, districtID); err != nil {
		return nil, err
	}
	if err := t.tx.QueryRow(ctx, `SELECT count(*) FROM task_evidence WHERE task_list_id = ANY($1::uuid[]) AND state = 'SUBMITTED'`,
		listIDs).Scan(&g.Unreviewed); err != nil {
		return nil, err
	}
	rows, err = t.tx.Query(ctx, `SELECT organisation_id::text, sum(points) FROM daily_entries
		WHERE organisation_id = ANY($1::uuid[]) AND day BETWEEN $2 AND $3 GROUP BY 1`, ids, p.First(), p.Last())
	if err != nil {
		return nil, err
	}
	var (
		org string
		n   float64
	)
	if _, err := pgx.ForEachRow(rows, []any{&org, &n}, func() error { g.Daily[org] = n; return nil }); err != nil {
		return nil, err
	}
	if !p.Quarterly() {
		return g, nil
	}
	rows, err = t.tx.Query(ctx, `SELECT organisation_id::text, count(*)::int FROM assessment_results
		WHERE organisation_id = ANY($1::uuid[]) AND bottom_two AND period LIKE $2 AND period < $3 GROUP BY 1`,
		ids, p.String()[:4]+"-Q%", p.String())
	if err != nil {
		return nil, err
	}
	var c int32
	_, err = pgx.ForEachRow(rows, []any{&org, &c}, func() error { g.BottomTwoBefore[org] = c; return nil })
	return g, err
}

// gradingOrgs reads the organisations of the lists from the view (an
// organisation the view no longer holds keeps the list's district).
func (t *TxStore) gradingOrgs(ctx context.Context, g *assess.Grading, ids []string, districtID string) error {
	for _, id := range ids {
		g.Orgs[id] = &assess.Org{ID: id, DistrictID: districtID}
	}
	rows, err := t.tx.Query(ctx, `SELECT id::text, name, kind, path FROM orgs WHERE id = ANY($1::uuid[])`, ids)
	if err != nil {
		return err
	}
	var id, name, kind, path string
	_, err = pgx.ForEachRow(rows, []any{&id, &name, &kind, &path}, func() error {
		o := g.Orgs[id]
		o.Name, o.Kind, o.ParentID = name, kind, parentOf(path)
		return nil
	})
	return err
}

// InsertResults implements assess.Tx.
func (t *TxStore) InsertResults(ctx context.Context, districtID, period string, rs []*assess.Result) error {
	subject, _ := actorOf(ctx)
	if _, err := t.tx.Exec(ctx, `INSERT INTO graded_periods (district_id, period, graded_at, graded_by) VALUES ($1, $2, now(), $3)`,
		districtID, period, subject); err != nil {
		if pgdb.IsUniqueViolation(err, "graded_periods_pkey") {
			return errFieldExists("period", "the district's "+period+" is graded already")
		}
		return err
	}
	w := &writes{}
	b := &pgx.Batch{}
	for _, r := range rs {
		b.Queue(`INSERT INTO assessment_results (organisation_id, period, name, kind, parent_id, district_id, task_list_id, task_score,
			daily_score, score, grade, rank, peers, bottom_two, bottom_two_count, graded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
			r.OrganisationID, r.Period, r.Name, r.Kind, nullable(r.ParentID), r.DistrictID, r.TaskListID, r.TaskScore, r.DailyScore,
			r.Score, r.Grade, r.Rank, r.Peers, r.BottomTwo, r.BottomTwoCount, r.Graded)
		m := pbconv.AssessmentResult(r)
		w.event(SubjectAssessmentGraded, r.OrganisationID, &pb.AssessmentGraded{OccurTime: timestamppb.New(r.Graded), Result: m})
		w.audit(auditResult, r.OrganisationID+"/"+r.Period, r.OrganisationID, nil, m)
	}
	lists := make([]string, len(rs))
	for i, r := range rs {
		lists[i] = r.TaskListID
	}
	b.Queue(`UPDATE task_lists SET graded = true WHERE id = ANY($1::uuid[])`, lists)
	b.Queue(`INSERT INTO assessment_result_versions (organisation_id, period, version, task_score, daily_score, score, grade, rank,
			peers, bottom_two, bottom_two_count)
		SELECT organisation_id, period, 1, task_score, daily_score, score, grade, rank, peers, bottom_two, bottom_two_count
		FROM assessment_results WHERE task_list_id = ANY($1::uuid[])`, lists)
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return t.flush(ctx, w)
}

// InsertCommendation implements assess.Tx.
func (t *TxStore) InsertCommendation(ctx context.Context, c *assess.Commendation) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO commendations (id, kind, organisation_id, member_id, person_name, year, reason, period, grade,
			rank, state, district_id, proposed_by, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		c.ID, string(c.Kind), c.OrganisationID, nullable(c.MemberID), c.PersonName, c.Year, c.Reason, c.Period, c.Grade, c.Rank,
		string(c.State), c.DistrictID, c.ProposedBy, c.Version, c.Created, c.Updated)
	if pgdb.IsUniqueViolation(err, "commendations_once") {
		field := "commendation.organisation_id"
		if c.Kind == assess.OfIndividual {
			field = "commendation.member_id"
		}
		return errFieldExists(field, "proposed already for "+itoa(int(c.Year)))
	}
	if err != nil {
		return err
	}
	return t.commendationWrites(ctx, "proposed", c)
}

func (t *TxStore) commendationWrites(ctx context.Context, change string, cs ...*assess.Commendation) error {
	w := &writes{}
	for _, c := range cs {
		m := pbconv.Commendation(c)
		w.event(subjectCommendationPrefix+change, c.ID, &pb.CommendationChanged{OccurTime: timestamppb.New(c.Updated), Change: change, Commendation: m})
		w.audit(auditCommendation, c.ID, c.OrganisationID, nil, m)
	}
	return t.flush(ctx, w)
}

// LockCommendation implements assess.Tx.
func (t *TxStore) LockCommendation(ctx context.Context, id string) (*assess.Commendation, error) {
	return scanCommendation(t.tx.QueryRow(ctx, `SELECT `+commendationColumns+` FROM commendations WHERE id = $1 FOR UPDATE`, id))
}

// LockApproved implements assess.Tx.
func (t *TxStore) LockApproved(ctx context.Context, root string, year int32) ([]*assess.Commendation, error) {
	var w pgdb.Where
	w.Add(`state = 'APPROVED' AND year = ?`, year)
	scoped(&w, "organisation_id", []string{root}, "")
	rows, err := t.tx.Query(ctx, `SELECT `+commendationColumns+` FROM commendations WHERE `+w.SQL()+` ORDER BY kind DESC, created_at, id FOR UPDATE`,
		w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*assess.Commendation, error) { return scanCommendation(r) })
}

// SaveCommendations implements assess.Tx.
func (t *TxStore) SaveCommendations(ctx context.Context, change string, cs ...*assess.Commendation) error {
	b := &pgx.Batch{}
	for _, c := range cs {
		b.Queue(`UPDATE commendations SET state = $2, decided_by = $3, decision_note = $4, publication_title = $5, version = $6,
			updated_at = $7 WHERE id = $1`, c.ID, string(c.State), c.DecidedBy, c.DecisionNote, c.PublicationTitle, c.Version, c.Updated)
	}
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	return t.commendationWrites(ctx, change, cs...)
}

// MemberOrganisation implements assess.Store from the members' facts the
// member service's events keep.
func (s Assess) MemberOrganisation(ctx context.Context, memberID string) (string, error) {
	if !validUUID(memberID) {
		return "", nil
	}
	var org string
	err := s.pool.QueryRow(ctx, `SELECT coalesce(organisation_id::text, '') FROM member_facts WHERE member_id = $1`, memberID).Scan(&org)
	if pgdb.IsNoRows(err) {
		return "", nil
	}
	return org, err
}
