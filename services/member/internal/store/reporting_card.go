package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/reporting"
)

const entryColumns = `id::text, member_id::text, community_id::text, registration_id::text, kind, date, title,
	hours::float8, coalesce(post_id::text, ''), coalesce(source_activity_id::text, ''), recorded_by, created_at`

func scanEntry(row pgx.Row) (reporting.CardEntry, error) {
	var e reporting.CardEntry
	err := row.Scan(&e.ID, &e.MemberID, &e.CommunityID, &e.RegistrationID, &e.Kind, &e.Date, &e.Title, &e.Hours,
		&e.PostID, &e.SourceActivityID, &e.RecordedBy, &e.Created)
	e.Date, e.Created = e.Date.UTC(), e.Created.UTC()
	return e, err
}

// InsertCardEntry implements reporting.Tx.
func (t *txStore) InsertCardEntry(ctx context.Context, e *reporting.CardEntry) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO card_entries (id, member_id, community_id, registration_id, kind, date, title,
		hours, post_id, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.ID, e.MemberID, e.CommunityID, e.RegistrationID, e.Kind, e.Date, e.Title, e.Hours, nullable(e.PostID),
		e.RecordedBy, e.Created)
	return reportingError(err, member.ErrNotFound)
}

// GetCardEntry implements reporting.Tx.
func (t *txStore) GetCardEntry(ctx context.Context, id string) (*reporting.CardEntry, error) {
	e, err := scanEntry(t.tx.QueryRow(ctx, `SELECT `+entryColumns+` FROM card_entries WHERE id = $1`, id))
	return &e, reportingError(err, member.ErrNotFound)
}

func cardEntries(ctx context.Context, q rowsQuerier, memberID string, year int32) ([]reporting.CardEntry, error) {
	rows, err := q.Query(ctx, `SELECT `+entryColumns+` FROM card_entries
		WHERE member_id = $1 AND date >= make_date($2, 1, 1) AND date <= make_date($2, 12, 31)
		ORDER BY date, created_at, id`, memberID, year)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (reporting.CardEntry, error) { return scanEntry(r) })
}

// CardEntries implements reporting.Tx.
func (t *txStore) CardEntries(ctx context.Context, memberID string, year int32) ([]reporting.CardEntry, error) {
	return cardEntries(ctx, t.tx, memberID, year)
}

func reportingSettings(ctx context.Context, q querier, districtID string) (reporting.Settings, error) {
	s := reporting.DefaultSettings
	s.DistrictID = districtID
	if uuid.Validate(districtID) != nil {
		return s, nil
	}
	err := q.QueryRow(ctx, `SELECT min_contacts_per_quarter, min_activities_per_year FROM reporting_settings
		WHERE district_id = $1`, districtID).Scan(&s.MinContactsPerQuarter, &s.MinActivitiesPerYear)
	if pgdb.IsNoRows(err) {
		return s, nil
	}
	s.Inherited = false
	return s, err
}

// ReportingSettings implements reporting.Tx.
func (t *txStore) ReportingSettings(ctx context.Context, districtID string) (reporting.Settings, error) {
	return reportingSettings(ctx, t.tx, districtID)
}

// SaveReportingSettings implements reporting.Tx.
func (t *txStore) SaveReportingSettings(ctx context.Context, s reporting.Settings, by string, at time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO reporting_settings (district_id, min_contacts_per_quarter, min_activities_per_year,
		updated_by, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (district_id) DO UPDATE SET min_contacts_per_quarter = EXCLUDED.min_contacts_per_quarter,
			min_activities_per_year = EXCLUDED.min_activities_per_year, updated_by = EXCLUDED.updated_by,
			updated_at = EXCLUDED.updated_at`,
		s.DistrictID, s.MinContactsPerQuarter, s.MinActivitiesPerYear, by, at)
	return err
}

const ratingColumns = `id::text, member_id::text, community_id::text, year, version, grade, comment,
	organisation_id::text, rated_by, created_at`

func scanRating(row pgx.Row) (*reporting.CommunityRating, error) {
	var r reporting.CommunityRating
	err := row.Scan(&r.ID, &r.MemberID, &r.CommunityID, &r.Year, &r.Version, &r.Grade, &r.Comment, &r.OrganisationID,
		&r.RatedBy, &r.Created)
	r.Created = r.Created.UTC()
	return &r, err
}

// GetRating implements reporting.Tx.
func (t *txStore) GetRating(ctx context.Context, id string) (*reporting.CommunityRating, error) {
	r, err := scanRating(t.tx.QueryRow(ctx, `SELECT `+ratingColumns+` FROM community_ratings WHERE id = $1`, id))
	return r, reportingError(err, member.ErrNotFound)
}

// LastRatingVersion implements reporting.Tx.
func (t *txStore) LastRatingVersion(ctx context.Context, memberID, communityID string, year int32) (int32, error) {
	var v int32
	err := t.tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM community_ratings
		WHERE member_id = $1 AND community_id = $2 AND year = $3`, memberID, communityID, year).Scan(&v)
	return v, err
}

// InsertRating implements reporting.Tx.
func (t *txStore) InsertRating(ctx context.Context, r *reporting.CommunityRating) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO community_ratings (id, member_id, community_id, year, version, grade, comment,
		organisation_id, rated_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, r.MemberID, r.CommunityID, r.Year, r.Version, r.Grade, r.Comment, r.OrganisationID, r.RatedBy, r.Created)
	return reportingError(err, member.ErrNotFound)
}

// CardOf implements reporting.Store: the entries, the live claims, the
// ratings of the year and the settings, read in one transaction so that
// they agree.
func (s *Store) CardOf(ctx context.Context, memberID, districtID string, year int32) (reporting.CardData, error) {
	var d reporting.CardData
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if d.Entries, err = cardEntries(ctx, tx, memberID, year); err != nil {
			return err
		}
		if d.Settings, err = reportingSettings(ctx, tx, districtID); err != nil {
			return err
		}
		if d.Claims, err = collectClaims(tx.Query(ctx, `SELECT `+claimColumns+claimFrom+`
			WHERE c.member_id = $1 AND c.released_at IS NULL ORDER BY c.id`, memberID)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+ratingColumns+` FROM community_ratings WHERE member_id = $1 AND year = $2
			ORDER BY created_at, community_id, version`, memberID, year)
		if err != nil {
			return err
		}
		d.Ratings, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*reporting.CommunityRating, error) { return scanRating(r) })
		return err
	})
	return d, err
}
