package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/dues"
)

// Dues is the store as party dues see it.
func (s *Store) Dues() dues.Store { return view[dues.Tx]{s} }

var _ dues.Tx = (*txStore)(nil)

// duesBands is how a table of bands is stored (jsonb).
type duesBand struct {
	UpToFen int64 `json:"up_to_fen"`
	RateBP  int64 `json:"rate_basis_points"`
}

func bandsJSON(bs []dues.Band) ([]byte, error) {
	out := make([]duesBand, len(bs))
	for i, b := range bs {
		out[i] = duesBand{UpToFen: b.UpToFen, RateBP: b.RateBP}
	}
	return json.Marshal(out)
}

func bandsFrom(raw []byte) ([]dues.Band, error) {
	var in []duesBand
	if err := json.Unmarshal(raw, &in); err != nil {
		return nil, err
	}
	out := make([]dues.Band, len(in))
	for i, b := range in {
		out[i] = dues.Band{UpToFen: b.UpToFen, RateBP: b.RateBP}
	}
	return out, nil
}

// DuesSettings implements dues.Tx.
func (t *txStore) DuesSettings(ctx context.Context, districtID string) (dues.Settings, error) {
	s := dues.Defaults(districtID)
	if uuid.Validate(districtID) != nil {
		return s, nil
	}
	var inService, retired []byte
	var updated *time.Time
	err := t.tx.QueryRow(ctx, `SELECT in_service, retired, fixed_fen, version, updated_by, updated_at,
		lost_contact_attendance_months, lost_contact_dues_months
		FROM dues_settings WHERE district_id = $1`, districtID).Scan(&inService, &retired, &s.FixedFen,
		&s.Version, &s.UpdatedBy, &updated, &s.LostContactAttendanceMonths, &s.LostContactDuesMonths)
	if pgdb.IsNoRows(err) {
		return dues.Defaults(districtID), nil
	}
	if err != nil {
		return s, err
	}
	if s.InService, err = bandsFrom(inService); err != nil {
		return s, err
	}
	if s.Retired, err = bandsFrom(retired); err != nil {
		return s, err
	}
	s.Inherited, s.Updated = false, utc(updated)
	return s, nil
}

// SaveDuesSettings implements dues.Tx: an insert for a district that had
// none, else an update of the version read, so that two writers who read
// the same version cannot both write.
func (t *txStore) SaveDuesSettings(ctx context.Context, s dues.Settings) error {
	inService, err := bandsJSON(s.InService)
	if err != nil {
		return err
	}
	retired, err := bandsJSON(s.Retired)
	if err != nil {
		return err
	}
	tag, err := t.tx.Exec(ctx, `INSERT INTO dues_settings (district_id, in_service, retired, fixed_fen,
		version, updated_by, updated_at, lost_contact_attendance_months, lost_contact_dues_months)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (district_id) DO UPDATE SET in_service = EXCLUDED.in_service, retired = EXCLUDED.retired,
			fixed_fen = EXCLUDED.fixed_fen, version = EXCLUDED.version,
			updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at,
			lost_contact_attendance_months = EXCLUDED.lost_contact_attendance_months,
			lost_contact_dues_months = EXCLUDED.lost_contact_dues_months
		WHERE dues_settings.version = EXCLUDED.version - 1`,
		s.DistrictID, inService, retired, s.FixedFen, s.Version, s.UpdatedBy, s.Updated,
		s.LostContactAttendanceMonths, s.LostContactDuesMonths)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return dues.ErrSettingsEtag
	}
	return nil
}
