package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/services/member/internal/transfer"
)

// BulkCandidates implements transfer.Tx.
func (t *txStore) BulkCandidates(ctx context.Context, orgID string, subtree bool, ids []string, limit int) ([]string, error) {
	if len(ids) > 0 {
		return ids, nil
	}
	cond := `organisation_id = $1`
	if subtree {
		cond = `path >= (SELECT path FROM orgs WHERE id = $1) AND path < (SELECT path || '~' FROM orgs WHERE id = $1)`
	}
	return t.queryIDs(ctx, `SELECT id::text FROM members WHERE `+cond+` AND left_at IS NULL ORDER BY path, id LIMIT $2`,
		orgID, limit+1)
}

// InsertBulkJob implements transfer.Tx.
func (t *txStore) InsertBulkJob(ctx context.Context, j *transfer.BulkJob, rows []transfer.BulkOutcome) error {
	if j.Total == 0 {
		j.Finished = j.Created
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO bulk_transfer_jobs (id, organisation_id, subtree, to_organisation_id, reason,
		total, create_subject, created_at, finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		j.ID, j.OrganisationID, j.Subtree, nullable(j.ToOrgID), j.Reason, j.Total, j.CreatedBy, j.Created,
		nullableTime(j.Finished))
	if err != nil {
		return err
	}
	positions := make([]int32, len(rows))
	members := make([]string, len(rows))
	dests := make([]*string, len(rows))
	for i, r := range rows {
		positions[i], members[i] = int32(r.Position), r.MemberID
		if r.DestinationID != "" {
			dests[i] = &rows[i].DestinationID
		}
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO bulk_transfer_members (job_id, position, member_id, destination_id)
		SELECT $1, p, m, d FROM unnest($2::int[], $3::uuid[], $4::uuid[]) AS r(p, m, d)`, j.ID, positions, members, dests)
	return err
}

const jobColumns = `j.id::text, j.organisation_id::text, j.subtree, coalesce(j.to_organisation_id::text, ''), j.reason,
	j.total, j.create_subject, j.created_at, j.finished_at,
	(SELECT count(*) FROM bulk_transfer_members m WHERE m.job_id = j.id AND m.result <> 'PENDING')`

func getJob(ctx context.Context, q querier, id string) (*transfer.BulkJob, error) {
	if uuid.Validate(id) != nil {
		return nil, transfer.ErrBulkJobNotFound
	}
	var (
		j        transfer.BulkJob
		finished *time.Time
	)
	err := q.QueryRow(ctx, `SELECT `+jobColumns+` FROM bulk_transfer_jobs j WHERE j.id = $1`, id).Scan(&j.ID,
		&j.OrganisationID, &j.Subtree, &j.ToOrgID, &j.Reason, &j.Total, &j.CreatedBy, &j.Created, &finished, &j.Done)
	if err != nil {
		return nil, interpretError(err, transfer.ErrBulkJobNotFound)
	}
	j.Created, j.Finished = j.Created.UTC(), utc(finished)
	return &j, nil
}

// BulkJob implements transfer.Tx.
func (t *txStore) BulkJob(ctx context.Context, id string) (*transfer.BulkJob, error) {
	return getJob(ctx, t.tx, id)
}

// GetBulkJob implements transfer.Store.
func (s *Store) GetBulkJob(ctx context.Context, id string) (*transfer.BulkJob, error) {
	return getJob(ctx, s.pool, id)
}

// BulkJobOrganisation is the sending organisation of a job, for scoping
// calls about it; transfer.ErrBulkJobNotFound when there is none.
func (s *Store) BulkJobOrganisation(ctx context.Context, id string) (string, error) {
	j, err := getJob(ctx, s.pool, id)
	if err != nil {
		return "", err
	}
	return j.OrganisationID, nil
}

const outcomeColumns = `job_id::text, position, member_id::text, coalesce(destination_id::text, ''), result,
	coalesce(transfer_id::text, ''), state, coalesce(to_organisation_id::text, ''), reason, detail, done_at`

func scanOutcome(row pgx.Row) (*transfer.BulkOutcome, error) {
	var (
		o  transfer.BulkOutcome
		at *time.Time
	)
	err := row.Scan(&o.JobID, &o.Position, &o.MemberID, &o.DestinationID, &o.Result, &o.TransferID, &o.State,
		&o.ToOrgID, &o.Reason, &o.Detail, &at)
	o.At = utc(at)
	return &o, err
}

// BulkOutcomes implements transfer.Store.
func (s *Store) BulkOutcomes(ctx context.Context, jobID string, pendingOnly bool) ([]transfer.BulkOutcome, error) {
	if uuid.Validate(jobID) != nil {
		return nil, transfer.ErrBulkJobNotFound
	}
	cond := ``
	if pendingOnly {
		cond = ` AND result = 'PENDING'`
	}
	rows, err := s.pool.Query(ctx, `SELECT `+outcomeColumns+` FROM bulk_transfer_members WHERE job_id = $1`+cond+
		` ORDER BY position`, jobID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (transfer.BulkOutcome, error) {
		o, err := scanOutcome(r)
		if err != nil {
			return transfer.BulkOutcome{}, err
		}
		return *o, nil
	})
}

// LockBulkMember implements transfer.Tx.
func (t *txStore) LockBulkMember(ctx context.Context, jobID string, position int) (*transfer.BulkOutcome, error) {
	o, err := scanOutcome(t.tx.QueryRow(ctx, `SELECT `+outcomeColumns+` FROM bulk_transfer_members
		WHERE job_id = $1 AND position = $2 FOR UPDATE`, jobID, position))
	return o, interpretError(err, transfer.ErrBulkJobNotFound)
}

// SaveBulkOutcome implements transfer.Tx. The job is finished in the
// transaction of its last outcome. A row no longer pending is an error:
// its update returns no row.
func (t *txStore) SaveBulkOutcome(ctx context.Context, o *transfer.BulkOutcome) error {
	var saved string
	b := &pgx.Batch{}
	b.Queue(`UPDATE bulk_transfer_members SET result = $3, transfer_id = $4, state = $5,
		to_organisation_id = $6, reason = $7, detail = $8, done_at = $9
		WHERE job_id = $1 AND position = $2 AND result = 'PENDING'
		RETURNING job_id::text`, o.JobID, o.Position,
		o.Result, nullable(o.TransferID), o.State, nullable(o.ToOrgID), o.Reason, o.Detail, o.At).QueryRow(func(r pgx.Row) error {
		return r.Scan(&saved)
	})
	b.Queue(`UPDATE bulk_transfer_jobs SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM bulk_transfer_members WHERE job_id = $1 AND result = 'PENDING')`, o.JobID, o.At)
	if err := t.tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("bulk transfer job %s: outcome of member %d: %w", o.JobID, o.Position, err)
	}
	return nil
}
