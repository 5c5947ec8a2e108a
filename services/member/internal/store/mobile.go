package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/mobile"
)

const mobileColumns = `id::text, direction, state, coalesce(member_id::text, ''), person_name, person_phone,
	person_home_organisation, coalesce(home_organisation_id::text, ''), place,
	coalesce(destination_organisation_id::text, ''), coalesce(host_organisation_id::text, ''), since, reason,
	contact_phone, coalesce(group_id::text, ''), coalesce(district_id::text, ''), temporary_from,
	coalesce(temporary_organisation_id::text, ''), coalesce(certificate_number, ''), certificate_valid_until,
	granted_at, contact_interval_days, last_report_at, contact_due_at, next_overdue_at, overdue_periods,
	coalesce(outcome, ''), end_reason, ended_at, version, created_at, updated_at`

func scanMobile(row pgx.Row) (*mobile.Record, error) {
	var (
		r                               mobile.Record
		validUntil, granted, lastReport *time.Time
		ended                           *time.Time
	)
	err := row.Scan(&r.ID, &r.Direction, &r.State, &r.MemberID, &r.Person.Name, &r.Person.Phone,
		&r.Person.HomeOrganisation, &r.HomeOrgID, &r.Place, &r.DestinationOrgID, &r.HostOrgID, &r.Since, &r.Reason,
		&r.ContactPhone, &r.GroupID, &r.DistrictID, &r.TemporaryFrom, &r.Temporary.OrgID,
		&r.Temporary.CertificateNumber, &validUntil, &granted, &r.ContactInterval, &lastReport, &r.ContactDue,
		&r.NextOverdue, &r.OverduePeriods, &r.Ending.Outcome, &r.Ending.Reason, &ended, &r.Version, &r.Created, &r.Updated)
	if err != nil {
		return nil, err
	}
	r.Temporary.ValidUntil, r.Temporary.Granted = timeOf(validUntil), timeOf(granted)
	r.LastReport, r.Ending.At = timeOf(lastReport), timeOf(ended)
	r.ContactDue, r.NextOverdue = r.ContactDue.UTC(), r.NextOverdue.UTC()
	r.Created, r.Updated = r.Created.UTC(), r.Updated.UTC()
	return &r, nil
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func getMobile(ctx context.Context, q rowsQuerier, id string, lock, steps bool) (*mobile.Record, error) {
	if uuid.Validate(id) != nil {
		return nil, mobile.ErrMobileNotFound
	}
	sql := `SELECT ` + mobileColumns + ` FROM mobile_records WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	r, err := scanMobile(q.QueryRow(ctx, sql, id))
	if err != nil {
		return nil, interpretError(err, mobile.ErrMobileNotFound)
	}
	if !steps {
		return r, nil
	}
	rows, err := q.Query(ctx, `SELECT state, actor_subject, actor_role, note, at FROM mobile_steps
		WHERE record_id = $1 ORDER BY seq`, id)
	if err != nil {
		return nil, err
	}
	r.Steps, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (mobile.Step, error) {
		var s mobile.Step
		err := row.Scan(&s.State, &s.ActorSubject, &s.ActorRole, &s.Note, &s.At)
		s.At = s.At.UTC()
		return s, err
	})
	return r, err
}

// GetMobile implements mobile.Store.
func (s *Store) GetMobile(ctx context.Context, id string) (*mobile.Record, error) {
	return getMobile(ctx, s.pool, id, false, true)
}

// MobileSides returns the sides of a record; mobile.ErrMobileNotFound when
// there is none.
func (s *Store) MobileSides(ctx context.Context, id string) (mobile.Sides, error) {
	r, err := getMobile(ctx, s.pool, id, false, false)
	if err != nil {
		return mobile.Sides{}, err
	}
	return mobile.Sides{MemberID: r.MemberID, Owner: r.OwnerOrgID(), Sides: r.Sides()}, nil
}

// GroupSides returns the organisations of a group, home first;
// mobile.ErrGroupNotFound when there is none.
func (s *Store) GroupSides(ctx context.Context, id string) ([]string, error) {
	g, err := getGroup(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	return g.Sides(), nil
}

// OpenMobile implements mobile.EndTx.
func (t *txStore) OpenMobile(ctx context.Context, memberID string) (*mobile.Record, bool, error) {
	r, err := scanMobile(t.tx.QueryRow(ctx, `SELECT `+mobileColumns+` FROM mobile_records
		WHERE member_id = $1 AND state <> 'ENDED'`, memberID))
	if pgdb.IsNoRows(err) {
		return nil, false, nil
	}
	return r, err == nil, err
}

// PeekMobile implements mobile.Tx.
func (t *txStore) PeekMobile(ctx context.Context, id string) (*mobile.Record, error) {
	return getMobile(ctx, t.tx, id, false, false)
}

// LockMobile implements mobile.EndTx.
func (t *txStore) LockMobile(ctx context.Context, id string) (*mobile.Record, error) {
	r, err := getMobile(ctx, t.tx, id, true, true)
	if err == nil {
		t.snapshot(r)
	}
	return r, err
}

func dateOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// InsertMobile implements mobile.Tx.
func (t *txStore) InsertMobile(ctx context.Context, r *mobile.Record, step mobile.Step) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO mobile_records (id, direction, state, member_id, person_name, person_phone,
		person_home_organisation, home_organisation_id, place, destination_organisation_id, host_organisation_id,
		since, reason, contact_phone, group_id, district_id, temporary_from, contact_interval_days, contact_due_at,
		next_overdue_at, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $22)`,
		r.ID, r.Direction, r.State, nullable(r.MemberID), r.Person.Name, r.Person.Phone, r.Person.HomeOrganisation,
		nullable(r.HomeOrgID), r.Place, nullable(r.DestinationOrgID), nullable(r.HostOrgID), r.Since, r.Reason,
		r.ContactPhone, nullable(r.GroupID), nullable(r.DistrictID), r.TemporaryFrom, r.ContactInterval, r.ContactDue,
		r.NextOverdue, r.Version, r.Created)
	if pgdb.IsUniqueViolation(err, "mobile_records_one_open_per_member") {
		return mobile.ErrMobileOpen
	}
	if err != nil {
		return interpretError(err, mobile.ErrMobileNotFound)
	}
	return t.appendMobileStep(ctx, r, step)
}

// SaveMobile implements mobile.EndTx.
func (t *txStore) SaveMobile(ctx context.Context, r *mobile.Record, step *mobile.Step) error {
	tag, err := t.tx.Exec(ctx, `UPDATE mobile_records SET state = $2, temporary_organisation_id = $3,
		certificate_number = NULLIF($4, ''), certificate_valid_until = $5, granted_at = $6, last_report_at = $7,
		contact_due_at = $8, next_overdue_at = $9, overdue_periods = $10, outcome = NULLIF($11, ''), end_reason = $12,
		ended_at = $13, version = $14, updated_at = $15
		WHERE id = $1 AND version = $14 - 1`,
		r.ID, r.State, nullable(r.Temporary.OrgID), r.Temporary.CertificateNumber, dateOrNil(r.Temporary.ValidUntil),
		dateOrNil(r.Temporary.Granted), dateOrNil(r.LastReport), r.ContactDue, r.NextOverdue, r.OverduePeriods,
		r.Ending.Outcome, r.Ending.Reason, dateOrNil(r.Ending.At), r.Version, r.Updated)
	if err != nil {
		return interpretError(err, mobile.ErrMobileNotFound)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("mobile record version moved under a row lock")
	}
	if step == nil {
		return nil
	}
	return t.appendMobileStep(ctx, r, *step)
}

func (t *txStore) appendMobileStep(ctx context.Context, r *mobile.Record, s mobile.Step) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO mobile_steps (record_id, seq, state, actor_subject, actor_role, note, at)
		VALUES ($1, (SELECT coalesce(max(seq), 0) + 1 FROM mobile_steps WHERE record_id = $1), $2, $3, $4, $5, $6)`,
		r.ID, s.State, s.ActorSubject, s.ActorRole, s.Note, s.At)
	return err
}

// SetMemberMobile implements mobile.EndTx.
func (t *txStore) SetMemberMobile(ctx context.Context, memberID string, mobile bool) error {
	_, err := t.tx.Exec(ctx, `UPDATE members SET mobile = $2 WHERE id = $1`, memberID, mobile)
	return err
}

// MobileSettings implements mobile.Tx.
func (t *txStore) MobileSettings(ctx context.Context, districtID string) (mobile.Settings, error) {
	s := mobile.DefaultSettings
	if uuid.Validate(districtID) != nil {
		return s, nil
	}
	err := t.tx.QueryRow(ctx, `SELECT temporary_after_months, certificate_months, contact_interval_days
		FROM mobile_settings WHERE district_id = $1`, districtID).
		Scan(&s.TemporaryAfterMonths, &s.CertificateMonths, &s.ContactIntervalDays)
	if pgdb.IsNoRows(err) {
		return mobile.DefaultSettings, nil
	}
	return s, err
}

// NextCertificateNumber implements mobile.Tx.
func (t *txStore) NextCertificateNumber(ctx context.Context) (int64, error) {
	var n int64
	err := t.tx.QueryRow(ctx, `SELECT nextval('mobile_certificate_numbers')`).Scan(&n)
	return n, err
}

// LockOverdue implements mobile.Tx: rows another transaction holds are
// skipped, so that replicas sweeping at once report each period once.
func (t *txStore) LockOverdue(ctx context.Context, now time.Time, limit int) ([]*mobile.Record, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+mobileColumns+` FROM mobile_records
		WHERE state <> 'ENDED' AND next_overdue_at < $1 ORDER BY next_overdue_at, id LIMIT $2
		FOR UPDATE SKIP LOCKED`, now, limit)
	if err != nil {
		return nil, err
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mobile.Record, error) { return scanMobile(row) })
	for _, r := range recs {
		t.snapshot(r)
	}
	return recs, err
}

// MarkOverdue implements mobile.Tx.
func (t *txStore) MarkOverdue(ctx context.Context, r *mobile.Record) error {
	_, err := t.tx.Exec(ctx, `UPDATE mobile_records SET overdue_periods = $2, next_overdue_at = $3 WHERE id = $1`,
		r.ID, r.OverduePeriods, r.NextOverdue)
	return err
}
