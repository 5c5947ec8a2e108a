package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/roster"
)

// Bulk is the store as bulk imports see it.
func (s *Store) Bulk() roster.BulkStore { return bulkStore{s} }

type bulkStore struct{ *Store }

var _ roster.BulkTx = (*txStore)(nil)

const importJobColumns = `id::text, coalesce(organisation_id::text, ''), coalesce(scope_id::text, ''), state, error, encoding,
	header, received_bytes, received_lines, rows_received, rows_checked, rows_registered, rows_already, rows_refused,
	registered_through, duplicates_marked, created_by, created_at, updated_at`

func scanImportJob(row pgx.Row) (*roster.Job, error) {
	var j roster.Job
	err := row.Scan(&j.ID, &j.OrganisationID, &j.ScopeID, &j.State, &j.Error, &j.Encoding, &j.Header, &j.ReceivedBytes,
		&j.ReceivedLines, &j.RowsReceived, &j.RowsChecked, &j.RowsRegistered, &j.RowsAlready, &j.RowsRefused,
		&j.RegisteredThrough, &j.DuplicatesMarked, &j.CreatedBy, &j.Created, &j.Updated)
	if pgdb.IsNoRows(err) {
		return nil, roster.ErrJobNotFound
	}
	j.Created, j.Updated = j.Created.UTC(), j.Updated.UTC()
	return &j, err
}

// CreateJob implements roster.BulkStore.
func (b bulkStore) CreateJob(ctx context.Context, job *roster.Job, requestID string) (*roster.Job, error) {
	_, err := b.pool.Exec(ctx, `INSERT INTO member_import_jobs (id, request_id, organisation_id, scope_id, state,
		created_by, created_at, updated_at) VALUES ($1, NULLIF($2, ''), NULLIF($3, '')::uuid, NULLIF($4, '')::uuid, $5, $6, $7, $7)
		ON CONFLICT (request_id) DO NOTHING`,
		job.ID, requestID, job.OrganisationID, job.ScopeID, job.State, job.CreatedBy, job.Created)
	if err != nil {
		return nil, err
	}
	if requestID == "" {
		return b.Job(ctx, job.ID)
	}
	return scanImportJob(b.pool.QueryRow(ctx, `SELECT `+importJobColumns+` FROM member_import_jobs WHERE request_id = $1`, requestID))
}

// Job implements roster.BulkStore.
func (b bulkStore) Job(ctx context.Context, id string) (*roster.Job, error) {
	return scanImportJob(b.pool.QueryRow(ctx, `SELECT `+importJobColumns+` FROM member_import_jobs WHERE id = $1`, id))
}

// OrgsOf implements roster.BulkStore.
func (b bulkStore) OrgsOf(ctx context.Context, ids []string) (out map[string]*member.Org, err error) {
	err = b.inTx(ctx, func(t *txStore) error {
		out, err = t.Orgs(ctx, ids, false)
		return err
	})
	return out, err
}

// Classifier implements roster.BulkStore.
func (b bulkStore) Classifier(ctx context.Context, districtID string) (c *member.Classifier, err error) {
	err = b.inTx(ctx, func(t *txStore) error {
		c, err = member.ClassifierFor(ctx, t, districtID)
		return err
	})
	return c, err
}

// stagedColumns are the columns of member_import_rows that Stage copies.
var stagedColumns = []string{"job_id", "seq", "line", "id", "name", "sex", "birth_date", "national_id_sealed",
	"national_id_hash", "phone", "education", "join_date", "status", "employment_status", "employer", "residence",
	"organisation_id", "skills", "hardship", "category_code", "category_name", "problems", "reg_seq"}

// Stage implements roster.BulkStore: the numbers are sealed (bound to the
// member's id, as Insert seals them) and hashed here, while the rows are
// copied.
func (b bulkStore) Stage(ctx context.Context, job *roster.Job, from int64, rows []roster.Staged) error {
	return pgdb.InTx(ctx, b.pool, func(tx pgx.Tx) error {
		var got int64
		err := tx.QueryRow(ctx, `SELECT received_bytes FROM member_import_jobs WHERE id = $1 FOR UPDATE`, job.ID).Scan(&got)
		if err != nil {
			return err
		}
		if got != from {
			return roster.ErrJobMoved
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"member_import_rows"}, stagedColumns,
			pgx.CopyFromSlice(len(rows), func(i int) ([]any, error) { return b.stagedValues(job.ID, &rows[i]) })); err != nil {
			return fmt.Errorf("stage rows: %w", err)
		}
		_, err = tx.Exec(ctx, `UPDATE member_import_jobs SET received_bytes = $2, received_lines = $3, rows_received = $4,
			encoding = $5, header = $6, state = $7, updated_at = now() WHERE id = $1`,
			job.ID, job.ReceivedBytes, job.ReceivedLines, job.RowsReceived, job.Encoding, job.Header, job.State)
		return err
	})
}

func (b bulkStore) stagedValues(jobID string, r *roster.Staged) ([]any, error) {
	m := r.Member
	sealed, err := b.ids.Seal(m.NationalID, m.ID)
	if err != nil {
		return nil, err
	}
	var hash []byte
	if member.ValidateNationalID(m.NationalID, time.Time{}) == nil {
		hash = b.ids.Hash(m.NationalID)
	}
	residence, err := json.Marshal(m.Residence)
	if err != nil {
		return nil, err
	}
	problems, err := json.Marshal(r.Problems)
	if err != nil {
		return nil, err
	}
	if r.Problems == nil {
		problems = []byte("[]")
	}
	var org any
	if validUUID(m.OrganisationID) {
		org = m.OrganisationID
	}
	return []any{jobID, r.Seq, r.Line, m.ID, m.Name, m.Sex, nullableDate(m.BirthDate), sealed, hash, m.Phone, m.Education,
		nullableDate(m.JoinDate), m.Status, m.EmploymentStatus, m.Employer, residence, org, skills(m.Skills), m.Hardship,
		m.Category.Code, m.Category.Name, problems, r.Seq}, nil
}

func nullableDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// StagedLost implements roster.BulkStore: an unlogged table is emptied
// by a crash of the database, all of it at once.
func (b bulkStore) StagedLost(ctx context.Context, job *roster.Job) (bool, error) {
	if job.RowsReceived == 0 {
		return false, nil
	}
	var found bool
	err := b.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM member_import_rows WHERE job_id = $1)`, job.ID).Scan(&found)
	return !found, err
}

// ResetJob implements roster.BulkStore.
func (b bulkStore) ResetJob(ctx context.Context, id string) error {
	_, err := b.pool.Exec(ctx, `UPDATE member_import_jobs SET state = 'RECEIVING', encoding = '', header = NULL,
		received_bytes = 0, received_lines = 0, rows_received = 0, rows_checked = 0, rows_registered = 0,
		rows_already = 0, rows_refused = 0, registered_through = 0, duplicates_marked = false, updated_at = now()
		WHERE id = $1`, id)
	return err
}

// Rows implements roster.BulkStore.
func (b bulkStore) Rows(ctx context.Context, jobID string, refusedOnly bool, after int64, limit int) ([]roster.Row, error) {
	rows, err := b.pool.Query(ctx, `SELECT seq, line, coalesce(outcome, ''), coalesce(member_id::text, ''),
		coalesce(organisation_id::text, ''), problems FROM member_import_rows
		WHERE job_id = $1 AND seq > $2 AND (NOT $3 OR outcome = 'REFUSED') ORDER BY seq LIMIT $4`,
		jobID, after, refusedOnly, limit)
	if err != nil {
		return nil, err
	}
	var (
		out      []roster.Row
		line     int64
		r        roster.Row
		problems []byte
	)
	_, err = pgx.ForEachRow(rows, []any{&r.Seq, &line, &r.Outcome, &r.MemberID, &r.OrganisationID, &problems}, func() error {
		r.Row, r.Problems = int(line), nil
		if err := json.Unmarshal(problems, &r.Problems); err != nil {
			return err
		}
		if r.Outcome != roster.OutcomeRefused {
			r.Problems = nil
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// InBulkTx implements roster.BulkStore.
func (b bulkStore) InBulkTx(ctx context.Context, fn func(roster.BulkTx) error) error {
	return b.inTx(ctx, func(t *txStore) error { return fn(t) })
}

// LockJob implements roster.BulkTx.
func (t *txStore) LockJob(ctx context.Context, id string) (*roster.Job, error) {
	return scanImportJob(t.tx.QueryRow(ctx, `SELECT `+importJobColumns+` FROM member_import_jobs WHERE id = $1 FOR UPDATE`, id))
}

// SaveJob implements roster.BulkTx.
func (t *txStore) SaveJob(ctx context.Context, j *roster.Job) error {
	_, err := t.tx.Exec(ctx, `UPDATE member_import_jobs SET state = $2, error = $3, rows_checked = $4,
		rows_registered = $5, rows_already = $6, rows_refused = $7, registered_through = $8, duplicates_marked = $9,
		updated_at = $10 WHERE id = $1`,
		j.ID, j.State, j.Error, j.RowsChecked, j.RowsRegistered, j.RowsAlready, j.RowsRefused, j.RegisteredThrough,
		j.DuplicatesMarked, j.Updated)
	return err
}

// MarkDuplicates implements roster.BulkTx, with Import's message.
func (t *txStore) MarkDuplicates(ctx context.Context, jobID string) error {
	_, err := t.tx.Exec(ctx, `WITH d AS (
			SELECT national_id_hash, array_agg(line ORDER BY line) AS lines FROM member_import_rows
			WHERE job_id = $1 AND national_id_hash IS NOT NULL GROUP BY national_id_hash HAVING count(*) > 1)
		UPDATE member_import_rows r SET problems = r.problems || jsonb_build_array(jsonb_build_object('field', 'national_id',
			'message', 'the same ID number is on row ' || array_to_string(array_remove(d.lines, r.line), ', ') || ' of the file'))
		FROM d WHERE r.job_id = $1 AND r.national_id_hash = d.national_id_hash`, jobID)
	return err
}

// OrderForRegistration implements roster.BulkTx: the job's rows are
// numbered (reg_seq) by their organisation, then their place in the file.
func (t *txStore) OrderForRegistration(ctx context.Context, jobID string) error {
	_, err := t.tx.Exec(ctx, `UPDATE member_import_rows r SET reg_seq = o.n
		FROM (SELECT seq, row_number() OVER (ORDER BY organisation_id NULLS LAST, seq) AS n
			FROM member_import_rows WHERE job_id = $1) o
		WHERE r.job_id = $1 AND r.seq = o.seq AND r.reg_seq <> o.n`, jobID)
	return err
}

// CountMembersIn implements roster.BulkTx: CountMembers of many
// organisations in one statement.
func (t *txStore) CountMembersIn(ctx context.Context, orgIDs []string) (map[string]int64, error) {
	rows, err := t.tx.Query(ctx, `SELECT o.id::text, coalesce(sum(c.n), 0)::bigint
		FROM unnest($1::uuid[]) AS o(id) LEFT JOIN member_counts c ON c.organisation_id = o.id GROUP BY o.id`, orgIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(orgIDs))
	var (
		id string
		n  int64
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		out[id] = n
		return nil
	})
	return out, err
}

// batchRows is the condition of the rows of a registration batch: $1 is
// the job, ($2, $3] the range of reg_seq, the order of registration.
const batchRows = `r.job_id = $1 AND r.reg_seq > $2 AND r.reg_seq <= $3`

// checkedNumber is the condition of a row whose number can be looked up.
const checkedNumber = ` AND r.outcome IS NULL AND r.national_id_hash IS NOT NULL
	AND NOT r.problems @> '[{"field": "national_id"}]'`

// RegisterStaged implements roster.BulkTx, in statements over the
// batch's rows: lock their organisations (so counts and the view stay
// still), find live and former holders of their numbers, insert the
// rest (the partial unique index deciding against registrations that
// commit meanwhile), write their audit records, and settle every row's
// outcome.
func (t *txStore) RegisterStaged(ctx context.Context, job *roster.Job, after, through int64, at time.Time) (roster.BatchResult, error) {
	var res roster.BatchResult
	if _, err := t.tx.Exec(ctx, `SELECT o.id FROM orgs o WHERE o.id IN
		(SELECT DISTINCT r.organisation_id FROM member_import_rows r WHERE `+batchRows+`) ORDER BY o.id FOR UPDATE`,
		job.ID, after, through); err != nil {
		return res, err
	}
	if err := t.markHolders(ctx, job.ID, after, through); err != nil {
		return res, err
	}
	if _, err := t.tx.Exec(ctx, formerHoldersSQL, job.ID, after, through); err != nil {
		return res, fmt.Errorf("former holders: %w", err)
	}
	arrivals, err := t.insertStaged(ctx, job.ID, after, through, at)
	if err != nil {
		return res, err
	}
	res.Arrivals = arrivals
	// A number registered by another call meanwhile: its holder is now
	// found, in this organisation or elsewhere.
	if err := t.markHolders(ctx, job.ID, after, through); err != nil {
		return res, err
	}
	if _, err := t.tx.Exec(ctx, `WITH lost AS (
			SELECT r.seq, EXISTS (SELECT 1 FROM orgs o WHERE o.id = r.organisation_id) AS org_found
			FROM member_import_rows r WHERE `+batchRows+` AND r.outcome IS NULL AND r.problems = '[]')
		UPDATE member_import_rows r SET problems = jsonb_build_array(CASE WHEN lost.org_found
			THEN '{"field": "national_id", "message": "the number was registered by another call during the import"}'::jsonb
			ELSE '{"field": "organisation_id", "message": "no organisation has this id"}'::jsonb END)
		FROM lost WHERE r.job_id = $1 AND r.seq = lost.seq`,
		job.ID, after, through); err != nil {
		return res, err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE member_import_rows r SET outcome = 'REFUSED' WHERE `+batchRows+` AND r.outcome IS NULL`,
		job.ID, after, through); err != nil {
		return res, err
	}
	if _, err := audit.WriteSelected(ctx, t.tx, "member", `SELECT m.id::text, m.organisation_id::text, `+memberAuditJSON+`
		FROM member_import_rows r JOIN members m ON m.id = r.member_id WHERE `+batchRows+` AND r.outcome = 'TAKEN'`,
		job.ID, after, through); err != nil {
		return res, err
	}
	err = t.tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE r.outcome = 'TAKEN'),
		count(*) FILTER (WHERE r.outcome = 'ALREADY_REGISTERED'), count(*) FILTER (WHERE r.outcome = 'REFUSED')
		FROM member_import_rows r WHERE `+batchRows, job.ID, after, through).Scan(&res.Checked, &res.Registered, &res.Already, &res.Refused)
	return res, err
}

// markHolders settles the rows whose number a live member holds: already
// registered in the organisation the row names (a problem when the row
// has others), else refused naming the holder's district, as Import does.
func (t *txStore) markHolders(ctx context.Context, jobID string, after, through int64) error {
	_, err := t.tx.Exec(ctx, `UPDATE member_import_rows r SET
			outcome = CASE WHEN h.organisation_id = r.organisation_id AND r.problems = '[]' THEN 'ALREADY_REGISTERED' END,
			member_id = CASE WHEN h.organisation_id = r.organisation_id AND r.problems = '[]' THEN h.id END,
			problems = CASE
				WHEN h.organisation_id = r.organisation_id AND r.problems = '[]' THEN r.problems
				WHEN h.organisation_id = r.organisation_id THEN r.problems ||
					'[{"field": "national_id", "message": "already registered in this organisation"}]'
				ELSE r.problems || jsonb_build_array(jsonb_build_object('field', 'national_id',
					'message', 'already registered in ' || coalesce(nullif(d.name, ''), 'another district'))) END
		FROM members h LEFT JOIN orgs d ON d.id = h.district_id
		WHERE `+batchRows+checkedNumber+` AND h.national_id_hash = r.national_id_hash AND h.left_at IS NULL`,
		jobID, after, through)
	if err != nil {
		return fmt.Errorf("live holders: %w", err)
	}
	return nil
}

// formerHoldersSQL refuses the rows whose number a member who left held
// (none live): the number of one who died is never registered again; a
// withdrawn or expelled member's only as a readmission, joining after the
// leaving (member.Service.CheckFormerHolders, in one statement).
const formerHoldersSQL = `WITH f AS (
		SELECT DISTINCT ON (r.seq) r.seq, l.left_kind, l.left_date, r.join_date,
			coalesce(nullif(d.name, ''), 'another district') AS place
		FROM member_import_rows r
		JOIN members l ON l.national_id_hash = r.national_id_hash AND l.left_at IS NOT NULL
		LEFT JOIN orgs d ON d.id = l.district_id
		WHERE ` + batchRows + checkedNumber + `
			AND NOT EXISTS (SELECT 1 FROM members h WHERE h.national_id_hash = r.national_id_hash AND h.left_at IS NULL)
		ORDER BY r.seq, l.left_kind = 'DIED' DESC, l.left_date DESC)
	UPDATE member_import_rows r SET problems = r.problems || CASE
			WHEN f.left_kind = 'DIED' THEN jsonb_build_array(jsonb_build_object('field', 'national_id',
				'message', 'the holder died (registered in ' || f.place || ')'))
			ELSE jsonb_build_array(jsonb_build_object('field', 'join_date', 'message',
				'a readmission joins after the leaving on ' || to_char(f.left_date, 'YYYY-MM-DD') ||
				' (registered in ' || f.place || ')')) END
	FROM f WHERE r.job_id = $1 AND r.seq = f.seq
		AND (f.left_kind = 'DIED' OR (f.left_kind <> 'TRANSFERRED_OUT' AND f.join_date <= f.left_date))`

// insertStaged registers the batch's rows that are fine, in the order of
// their hashes as every import inserts (two imports sharing numbers wait
// for each other instead of deadlocking), and returns them.
func (t *txStore) insertStaged(ctx context.Context, jobID string, after, through int64, at time.Time) ([]roster.Arrival, error) {
	rows, err := t.tx.Query(ctx, `INSERT INTO members (id, name, sex, birth_date, national_id_sealed, national_id_hash,
			phone, education, join_date, status, employment_status, employer, residence, organisation_id, district_id,
			path, skills, hardship, star_rating, version, created_at, updated_at, category_code, category_name)
		SELECT r.id, r.name, r.sex, r.birth_date, r.national_id_sealed, r.national_id_hash, r.phone, r.education,
			r.join_date, r.status, r.employment_status, r.employer, r.residence, r.organisation_id, o.district_id,
			o.path, r.skills, r.hardship, 0, 1, $4, $4, r.category_code, r.category_name
		FROM member_import_rows r JOIN orgs o ON o.id = r.organisation_id
		WHERE `+batchRows+` AND r.outcome IS NULL AND r.problems = '[]'
		ORDER BY r.national_id_hash
		ON CONFLICT (national_id_hash) WHERE left_at IS NULL DO NOTHING
		RETURNING id::text, organisation_id::text, coalesce(district_id::text, ''), status, category_code`,
		jobID, after, through, at)
	if err != nil {
		return nil, err
	}
	var (
		out []roster.Arrival
		a   roster.Arrival
	)
	_, err = pgx.ForEachRow(rows, []any{&a.MemberID, &a.OrganisationID, &a.DistrictID, &a.Status, &a.CategoryCode}, func() error {
		out = append(out, a)
		return nil
	})
	if err != nil {
		return nil, interpretError(err, member.ErrNotFound)
	}
	// A member registered has the id of its row: each row finds its
	// member by the primary key (a join with the inserted rows, whose
	// number the planner cannot know, took a nested loop).
	_, err = t.tx.Exec(ctx, `UPDATE member_import_rows r SET outcome = 'TAKEN', member_id = r.id
		WHERE `+batchRows+` AND r.outcome IS NULL AND r.problems = '[]'
			AND EXISTS (SELECT 1 FROM members m WHERE m.id = r.id)`, jobID, after, through)
	return out, err
}

// memberAuditJSON is a member row (m) as its audit record keeps it: the
// API's Member in JSON without the ID number, as CreateMember records it.
const memberAuditJSON = `jsonb_strip_nulls(jsonb_build_object(
	'id', m.id, 'name', nullif(m.name, ''), 'sex', 'SEX_' || m.sex,
	'birthDate', to_char(m.birth_date, 'YYYY-MM-DD'), 'phone', nullif(m.phone, ''),
	'education', 'EDUCATION_' || nullif(m.education, ''), 'joinDate', to_char(m.join_date, 'YYYY-MM-DD'),
	'status', 'MEMBER_STATUS_' || m.status, 'employmentStatus', 'EMPLOYMENT_STATUS_' || nullif(m.employment_status, ''),
	'employer', nullif(m.employer, ''),
	'residence', CASE WHEN m.residence <> '{}' THEN jsonb_strip_nulls(jsonb_build_object('communityId', m.residence->>'community_id',
		'gridId', m.residence->>'grid_id', 'building', m.residence->>'building')) END,
	'organisationId', m.organisation_id, 'districtId', m.district_id,
	'skills', CASE WHEN cardinality(m.skills) > 0 THEN to_jsonb(m.skills) END, 'hardship', nullif(m.hardship, false),
	'createTime', to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	'updateTime', to_char(m.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	'etag', m.version::text, 'categoryCode', nullif(m.category_code, ''), 'categoryName', nullif(m.category_name, '')))`

func validUUID(s string) bool { return uuid.Validate(s) == nil }

// ImportJobScope implements grpcapi.ImportLookup.
func (s *Store) ImportJobScope(ctx context.Context, jobID string) (string, error) {
	var org string
	err := s.pool.QueryRow(ctx, `SELECT coalesce(organisation_id::text, scope_id::text, '') FROM member_import_jobs WHERE id = $1`,
		jobID).Scan(&org)
	if pgdb.IsNoRows(err) {
		return "", roster.ErrJobNotFound
	}
	return org, err
}
