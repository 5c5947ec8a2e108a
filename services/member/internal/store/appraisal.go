package store

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/reporting"
)

// Reported implements reporting.Tx: a residence registration live on some day
// of the year, and a contact with its community on the card that year.
func (t *txStore) Reported(ctx context.Context, memberID string, year int32) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM registrations r
		WHERE r.member_id = $1 AND r.kind = 'RESIDENCE'
			AND r.report_date <= make_date($2, 12, 31) AND (r.end_date IS NULL OR r.end_date >= make_date($2, 1, 1))
			AND EXISTS (SELECT 1 FROM card_entries e WHERE e.member_id = r.member_id AND e.community_id = r.community_id
				AND e.kind = 'CONTACT' AND e.date >= make_date($2, 1, 1) AND e.date <= make_date($2, 12, 31)))`,
		memberID, year).Scan(&ok)
	return ok, err
}

const appraisalColumns = `id::text, member_id::text, organisation_id::text, year, version, grade, comment, recorded_by, created_at`

func scanAppraisal(row pgx.Row) (*reporting.Appraisal, error) {
	var a reporting.Appraisal
	err := row.Scan(&a.ID, &a.MemberID, &a.OrganisationID, &a.Year, &a.Version, &a.Grade, &a.Comment, &a.RecordedBy, &a.Created)
	a.Created = a.Created.UTC()
	return &a, err
}

// GetAppraisal implements reporting.Tx.
func (t *txStore) GetAppraisal(ctx context.Context, id string) (*reporting.Appraisal, error) {
	a, err := scanAppraisal(t.tx.QueryRow(ctx, `SELECT `+appraisalColumns+` FROM appraisals WHERE id = $1`, id))
	return a, reportingError(err, member.ErrNotFound)
}

// CurrentAppraisal implements reporting.Tx.
func (t *txStore) CurrentAppraisal(ctx context.Context, memberID string, year int32) (*reporting.Appraisal, bool, error) {
	a, err := scanAppraisal(t.tx.QueryRow(ctx, `SELECT `+appraisalColumns+` FROM appraisals
		WHERE member_id = $1 AND year = $2 ORDER BY version DESC LIMIT 1`, memberID, year))
	if pgdb.IsNoRows(err) {
		return nil, false, nil
	}
	return a, err == nil, err
}

// InsertAppraisal implements reporting.Tx.
func (t *txStore) InsertAppraisal(ctx context.Context, a *reporting.Appraisal) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO appraisals (id, member_id, organisation_id, year, version, grade, comment,
		recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.ID, a.MemberID, a.OrganisationID, a.Year, a.Version, a.Grade, a.Comment, a.RecordedBy, a.Created)
	if pgdb.IsUniqueViolation(err, "") {
		return reporting.ErrAppraisalEtag // a concurrent correction took the version
	}
	return err
}

// Appraisals implements reporting.Store.
func (s *Store) Appraisals(ctx context.Context, memberID string, year int32) ([]*reporting.Appraisal, error) {
	if uuid.Validate(memberID) != nil {
		return nil, member.ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT `+appraisalColumns+` FROM appraisals
		WHERE member_id = $1 AND ($2 = 0 OR year = $2) ORDER BY year DESC, version DESC`, memberID, year)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*reporting.Appraisal, error) { return scanAppraisal(r) })
}

const starColumns = `id::text, member_id::text, organisation_id::text, year, stars, reason, rated_by, created_at`

func scanStar(row pgx.Row) (*reporting.StarRating, error) {
	var r reporting.StarRating
	err := row.Scan(&r.ID, &r.MemberID, &r.OrganisationID, &r.Year, &r.Stars, &r.Reason, &r.RatedBy, &r.Created)
	r.Created = r.Created.UTC()
	return &r, err
}

// GetStarRating implements reporting.Tx.
func (t *txStore) GetStarRating(ctx context.Context, id string) (*reporting.StarRating, error) {
	r, err := scanStar(t.tx.QueryRow(ctx, `SELECT `+starColumns+` FROM star_ratings WHERE id = $1`, id))
	return r, reportingError(err, member.ErrNotFound)
}

// InsertStarRating implements reporting.Tx.
func (t *txStore) InsertStarRating(ctx context.Context, r *reporting.StarRating) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO star_ratings (id, member_id, organisation_id, year, stars, reason, rated_by,
		created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.MemberID, r.OrganisationID, r.Year, r.Stars, r.Reason, r.RatedBy, r.Created)
	return err
}

// CurrentStars implements reporting.Tx.
func (t *txStore) CurrentStars(ctx context.Context, memberID string) (int32, error) {
	var n int32
	err := t.tx.QueryRow(ctx, `SELECT stars FROM star_ratings WHERE member_id = $1
		ORDER BY year DESC, seq DESC LIMIT 1`, memberID).Scan(&n)
	if pgdb.IsNoRows(err) {
		return 0, nil
	}
	return n, err
}

// SaveStars implements reporting.Tx: only the star rating, the version and
// the time change, so that nothing else of the member is rewritten.
func (t *txStore) SaveStars(ctx context.Context, m *member.Member) error {
	tag, err := t.tx.Exec(ctx, `UPDATE members SET star_rating = $2, version = $3, updated_at = $4
		WHERE id = $1 AND version = $3 - 1`, m.ID, m.StarRating, m.Version, m.Updated)
	if err == nil && tag.RowsAffected() != 1 {
		err = errors.New("member version moved under a row lock")
	}
	return err
}

// StarRatings implements reporting.Store.
func (s *Store) StarRatings(ctx context.Context, memberID string) ([]*reporting.StarRating, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+starColumns+` FROM star_ratings WHERE member_id = $1
		ORDER BY year DESC, seq DESC`, memberID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*reporting.StarRating, error) { return scanStar(r) })
}
