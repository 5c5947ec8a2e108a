package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/pgdb"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/pbconv"
	"gongjian.dev/services/supervision/internal/rectify"
)

const roundColumns = `id::text, district_id::text, year, quarter, name, checklist, created_by, created_at`

func scanRound(row pgx.Row) (*rectify.Round, error) {
	var (
		r  rectify.Round
		cl []byte
	)
	err := row.Scan(&r.ID, &r.DistrictID, &r.Year, &r.Quarter, &r.Name, &cl, &r.CreatedBy, &r.Created)
	if pgdb.IsNoRows(err) {
		return nil, rectify.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &r, json.Unmarshal(cl, &r.Checklist)
}

// Round implements rectify.Store.
func (s Rectify) Round(ctx context.Context, id string) (*rectify.Round, error) {
	if !validUUID(id) {
		return nil, rectify.ErrNotFound
	}
	return scanRound(s.pool.QueryRow(ctx, `SELECT `+roundColumns+` FROM inspection_rounds WHERE id = $1`, id))
}

// Rounds implements rectify.Store.
func (s Rectify) Rounds(ctx context.Context, root string) ([]*rectify.Round, error) {
	var w pgdb.Where
	if root != "" {
		w.Add(subtreeOf("district_id"), root)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+roundColumns+` FROM inspection_rounds WHERE `+w.SQL()+
		` ORDER BY year DESC, quarter DESC, created_at DESC`, w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*rectify.Round, error) { return scanRound(r) })
}

const groupColumns = `id::text, round_id::text, district_id::text, name, inspectors, organisation_ids::text[], version, updated_at`

func scanGroup(row pgx.Row) (*rectify.Group, error) {
	var g rectify.Group
	err := row.Scan(&g.ID, &g.RoundID, &g.DistrictID, &g.Name, &g.Inspectors, &g.Covered, &g.Version, &g.Updated)
	if pgdb.IsNoRows(err) {
		return nil, rectify.ErrNotFound
	}
	return &g, err
}

// Group implements rectify.Store.
func (s Rectify) Group(ctx context.Context, id string) (*rectify.Group, error) {
	if !validUUID(id) {
		return nil, rectify.ErrNotFound
	}
	return scanGroup(s.pool.QueryRow(ctx, `SELECT `+groupColumns+` FROM inspection_groups WHERE id = $1`, id))
}

// Groups implements rectify.Store.
func (s Rectify) Groups(ctx context.Context, roundID, within string) ([]*rectify.Group, error) {
	var w pgdb.Where
	w.Add(`round_id = ?`, roundID)
	if within != "" {
		w.Add(`EXISTS (SELECT 1 FROM unnest(organisation_ids) AS c(id) WHERE `+subtreeOf("c.id")+`)`, within)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+groupColumns+` FROM inspection_groups WHERE `+w.SQL()+` ORDER BY name, id`, w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*rectify.Group, error) { return scanGroup(r) })
}

// InspectionFindings implements rectify.Store.
func (s Rectify) InspectionFindings(ctx context.Context, roundID, within string) ([]*rectify.InspectionFinding, error) {
	var w pgdb.Where
	w.Add(`round_id = ?`, roundID)
	if within != "" {
		w.Add(subtreeOf("organisation_id"), within)
	}
	rows, err := s.pool.Query(ctx, `SELECT id::text, round_id::text, group_id::text, organisation_id::text, checklist_code,
			description, inspector, coalesce(item_id::text, ''), created_at, found_on
		FROM inspection_findings WHERE `+w.SQL()+` ORDER BY created_at, id`, w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*rectify.InspectionFinding, error) {
		var f rectify.InspectionFinding
		return &f, r.Scan(&f.ID, &f.RoundID, &f.GroupID, &f.OrganisationID, &f.ChecklistCode, &f.Description, &f.Inspector, &f.ItemID, &f.Created, &f.FoundOn)
	})
}

// InsertRound implements rectify.Tx.
func (t *TxStore) InsertRound(ctx context.Context, r *rectify.Round) error {
	cl, err := json.Marshal(r.Checklist)
	if err != nil {
		return err
	}
	if r.Checklist == nil {
		cl = []byte("[]")
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO inspection_rounds (id, district_id, year, quarter, name, checklist, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, r.DistrictID, r.Year, r.Quarter, r.Name, cl, r.CreatedBy, r.Created); err != nil {
		return err
	}
	return t.inspectionWrites(ctx, "round_created", r, nil, nil)
}

// InsertGroup implements rectify.Tx.
func (t *TxStore) InsertGroup(ctx context.Context, g *rectify.Group) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO inspection_groups (id, round_id, district_id, name, inspectors, organisation_ids, version, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6::uuid[], $7, $8)`, g.ID, g.RoundID, g.DistrictID, g.Name, g.Inspectors, g.Covered, g.Version, g.Updated); err != nil {
		return err
	}
	return t.inspectionWrites(ctx, "group_created", nil, g, nil)
}

// LockGroup implements rectify.Tx.
func (t *TxStore) LockGroup(ctx context.Context, id string) (*rectify.Group, error) {
	if !validUUID(id) {
		return nil, rectify.ErrNotFound
	}
	return scanGroup(t.tx.QueryRow(ctx, `SELECT `+groupColumns+` FROM inspection_groups WHERE id = $1 FOR UPDATE`, id))
}

// SaveGroup implements rectify.Tx.
func (t *TxStore) SaveGroup(ctx context.Context, g *rectify.Group) error {
	if _, err := t.tx.Exec(ctx, `UPDATE inspection_groups SET name = $2, inspectors = $3, organisation_ids = $4::uuid[],
		version = $5, updated_at = $6 WHERE id = $1`, g.ID, g.Name, g.Inspectors, g.Covered, g.Version, g.Updated); err != nil {
		return err
	}
	return t.inspectionWrites(ctx, "group_updated", nil, g, nil)
}

// InsertInspectionFinding implements rectify.Tx.
func (t *TxStore) InsertInspectionFinding(ctx context.Context, f *rectify.InspectionFinding) error {
	if _, err := t.tx.Exec(ctx, `INSERT INTO inspection_findings (id, round_id, group_id, organisation_id, checklist_code,
			description, inspector, item_id, created_at, found_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		f.ID, f.RoundID, f.GroupID, f.OrganisationID, f.ChecklistCode, f.Description, f.Inspector, nullable(f.ItemID), f.Created,
		pgtype.Date{Time: f.FoundOn, Valid: true}); err != nil {
		return err
	}
	return t.inspectionWrites(ctx, "finding_recorded", nil, nil, f)
}

func (t *TxStore) inspectionWrites(ctx context.Context, change string, r *rectify.Round, g *rectify.Group, f *rectify.InspectionFinding) error {
	w := &writes{}
	ev := &pb.InspectionChanged{OccurTime: timestamppb.Now()}
	id, org := "", ""
	var after any
	switch {
	case r != nil:
		ev.Round, id, org, after = pbconv.Round(r), r.ID, r.DistrictID, ev.Round
	case g != nil:
		ev.Group, id, org, after = pbconv.Group(g), g.ID, g.DistrictID, ev.Group
	case f != nil:
		ev.Finding, id, org, after = pbconv.InspectionFinding(f), f.ID, f.OrganisationID, ev.Finding
	}
	w.event(subjectInspectionPrefix+change, id, ev)
	w.audit(auditInspection, id, org, nil, after)
	return t.flush(ctx, w)
}

const interviewColumns = `id::text, organisation_id::text, coalesce(district_id::text, ''), coalesce(finding_id::text, ''), reason,
	due_by, interviewee, held_on, fix_deadline, follow_up, followed_up_on, state, created_by, created_at, updated_at`

func scanInterview(row pgx.Row) (*rectify.Interview, error) {
	var (
		iv                  rectify.Interview
		held, fix, followed *time.Time
		state               string
	)
	err := row.Scan(&iv.ID, &iv.OrganisationID, &iv.DistrictID, &iv.FindingID, &iv.Reason, &iv.DueBy, &iv.Interviewee,
		&held, &fix, &iv.FollowUp, &followed, &state, &iv.CreatedBy, &iv.Created, &iv.Updated)
	if pgdb.IsNoRows(err) {
		return nil, rectify.ErrNotFound
	}
	iv.State = rectify.InterviewState(state)
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{held, &iv.HeldOn}, {fix, &iv.FixDeadline}, {followed, &iv.FollowedUpOn}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return &iv, err
}

// Interview implements rectify.Store.
func (s Rectify) Interview(ctx context.Context, id string) (*rectify.Interview, error) {
	if !validUUID(id) {
		return nil, rectify.ErrNotFound
	}
	return scanInterview(s.pool.QueryRow(ctx, `SELECT `+interviewColumns+` FROM interviews WHERE id = $1`, id))
}

// Interviews implements rectify.Store.
func (s Rectify) Interviews(ctx context.Context, q rectify.InterviewQuery) ([]*rectify.Interview, error) {
	var w pgdb.Where
	if q.OrganisationID != "" {
		w.Add(`organisation_id = ?`, q.OrganisationID)
	}
	for _, root := range []string{q.AncestorID, q.ScopeRoot} {
		if root != "" {
			w.Add(subtreeOf("organisation_id"), root)
		}
	}
	if q.Inspector != "" {
		w.Add(coveredBy("organisation_id"), q.Inspector)
	}
	if !q.After.Created.IsZero() {
		w.Add(`(created_at, id) < (?, ?)`, q.After.Created, q.After.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+interviewColumns+` FROM interviews WHERE `+w.SQL()+
		` ORDER BY created_at DESC, id DESC LIMIT `+w.Arg(q.Limit), w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*rectify.Interview, error) { return scanInterview(r) })
}

// InsertInterview implements rectify.Tx.
func (t *TxStore) InsertInterview(ctx context.Context, iv *rectify.Interview) error {
	w := &writes{}
	if err := t.insertInterview(ctx, iv, w); err != nil {
		return err
	}
	return t.flush(ctx, w)
}

func (t *TxStore) insertInterview(ctx context.Context, iv *rectify.Interview, w *writes) error {
	return t.insertInterviews(ctx, []*rectify.Interview{iv}, w)
}

// LockInterview implements rectify.Tx.
func (t *TxStore) LockInterview(ctx context.Context, id string) (*rectify.Interview, error) {
	if !validUUID(id) {
		return nil, rectify.ErrNotFound
	}
	return scanInterview(t.tx.QueryRow(ctx, `SELECT `+interviewColumns+` FROM interviews WHERE id = $1 FOR UPDATE`, id))
}

// SaveInterview implements rectify.Tx.
func (t *TxStore) SaveInterview(ctx context.Context, iv *rectify.Interview, change string) error {
	if _, err := t.tx.Exec(ctx, `UPDATE interviews SET interviewee = $2, held_on = $3, fix_deadline = $4, follow_up = $5,
		followed_up_on = $6, state = $7, updated_at = $8 WHERE id = $1`, iv.ID, iv.Interviewee, nullTime(iv.HeldOn),
		nullTime(iv.FixDeadline), iv.FollowUp, nullTime(iv.FollowedUpOn), string(iv.State), iv.Updated); err != nil {
		return err
	}
	w := &writes{}
	t.interviewWrites(w, iv, change)
	return t.flush(ctx, w)
}

func (t *TxStore) interviewWrites(w *writes, iv *rectify.Interview, change string) {
	m := pbconv.Interview(iv)
	w.event(subjectInterviewPrefix+strings.ToLower(change), iv.ID, &pb.InterviewChanged{OccurTime: timestamppb.New(iv.Updated), Interview: m})
	w.audit(auditInterview, iv.ID, iv.OrganisationID, nil, m)
}

// insertInterviews inserts new interviews, their events and audit records,
// in one statement however many (a sweep's).
func (t *TxStore) insertInterviews(ctx context.Context, ivs []*rectify.Interview, w *writes) error {
	if len(ivs) == 0 {
		return nil
	}
	n := len(ivs)
	ids, orgs, districts, findings, reasons, states, by := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	due, created := make([]time.Time, n), make([]time.Time, n)
	for k, iv := range ivs {
		ids[k], orgs[k], districts[k], findings[k], reasons[k] = iv.ID, iv.OrganisationID, iv.DistrictID, iv.FindingID, iv.Reason
		states[k], by[k], due[k], created[k] = string(iv.State), iv.CreatedBy, iv.DueBy, iv.Created
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO interviews (id, organisation_id, district_id, finding_id, reason, due_by, state,
			created_by, created_at, updated_at)
		SELECT id::uuid, o::uuid, NULLIF(d, '')::uuid, NULLIF(f, '')::uuid, r, due, st, by, c, c
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::text[], $8::text[],
			$9::timestamptz[]) AS x(id, o, d, f, r, due, st, by, c)`,
		ids, orgs, districts, findings, reasons, due, states, by, created); err != nil {
		return err
	}
	for _, iv := range ivs {
		t.interviewWrites(w, iv, "scheduled")
	}
	return nil
}
