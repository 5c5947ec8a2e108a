package store

import (
	"context"
	"fmt"
	"time"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/organisation/internal/org"
)

const unitCoverageColumns = `%[1]sunit_id::text, %[1]sunit_name, %[1]scommunity_id::text, coalesce(%[1]sdistrict_id::text, ''),
	coalesce(%[1]sparty_organisation_id::text, ''), %[1]sparty_members, %[1]sgap, %[1]sopened_at, %[1]sclosed_at, %[1]supdated_at`

// prefixed is columns (a list with %[1]s before each column) with each
// column qualified by prefix ("" for none).
func prefixed(prefix, columns string) string { return fmt.Sprintf(columns, prefix) }

type rowScanner interface{ Scan(dest ...any) error }

func scanUnitCoverage(row rowScanner) (*org.UnitCoverage, error) {
	var (
		u              org.UnitCoverage
		opened, closed *time.Time
	)
	err := row.Scan(&u.UnitID, &u.UnitName, &u.CommunityID, &u.DistrictID, &u.PartyOrganisationID, &u.PartyMembers,
		&u.Gap, &opened, &closed, &u.Updated)
	if opened != nil {
		u.Opened = opened.UTC()
	}
	if closed != nil {
		u.Closed = closed.UTC()
	}
	u.Updated = u.Updated.UTC()
	return &u, err
}

// LockUnitCoverage implements org.Tx.
func (t *txStore) LockUnitCoverage(ctx context.Context, unitID string) (*org.UnitCoverage, bool, error) {
	u, err := scanUnitCoverage(t.tx.QueryRow(ctx, `SELECT `+prefixed("", unitCoverageColumns)+` FROM unit_coverage
		WHERE unit_id = $1 FOR UPDATE`, unitID))
	if pgdb.IsNoRows(err) {
		return nil, false, nil
	}
	return u, err == nil, err
}

// SaveUnitCoverage implements org.Tx.
func (t *txStore) SaveUnitCoverage(ctx context.Context, u *org.UnitCoverage) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO unit_coverage (unit_id, unit_name, community_id, district_id,
			party_organisation_id, party_members, gap, opened_at, closed_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (unit_id) DO UPDATE SET unit_name = EXCLUDED.unit_name, community_id = EXCLUDED.community_id,
			district_id = EXCLUDED.district_id, party_organisation_id = EXCLUDED.party_organisation_id,
			party_members = EXCLUDED.party_members, gap = EXCLUDED.gap, opened_at = EXCLUDED.opened_at,
			closed_at = EXCLUDED.closed_at, updated_at = EXCLUDED.updated_at`,
		u.UnitID, u.UnitName, u.CommunityID, nullable(u.DistrictID), nullable(u.PartyOrganisationID), u.PartyMembers,
		u.Gap, nullableTime(u.Opened), nullableTime(u.Closed), u.Updated)
	return err
}

func nullableTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}
