package store

import (
	"context"
	"errors"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// The lookups of the access policy: where a record sits, so that a call
// about it is scoped by its community (or convener) and its unit. A record
// that does not exist answers "", and the call goes on to find nothing.

// lookup runs a query of one row; no row is "" everywhere.
func (s *Store) lookup(ctx context.Context, id, sql string, dest ...any) error {
	if !cobuild.ValidID(id) {
		return nil
	}
	err := s.pool.QueryRow(ctx, sql, id).Scan(dest...)
	if pgdb.IsNoRows(err) {
		return nil
	}
	return err
}

// CommunityOfUnit is the community where a unit sits.
func (s *Store) CommunityOfUnit(ctx context.Context, id string) (string, error) {
	c, err := s.UnitCommunity(ctx, id)
	if errors.Is(err, errNoUnit) {
		return "", nil
	}
	return c, err
}

// AgreementSides are an agreement's community and unit.
func (s *Store) AgreementSides(ctx context.Context, id string) (community, unit string, err error) {
	err = s.lookup(ctx, id, `SELECT community_id::text, unit_id::text FROM agreements WHERE id = $1`, &community, &unit)
	return community, unit, err
}

// ReportSides are a report's community and unit.
func (s *Store) ReportSides(ctx context.Context, id string) (community, unit string, err error) {
	err = s.lookup(ctx, id, `SELECT community_id::text, unit_id::text FROM unit_reports WHERE id = $1`, &community, &unit)
	return community, unit, err
}

// MeetingConvener is the community or district that convened a meeting.
func (s *Store) MeetingConvener(ctx context.Context, id string) (convener string, err error) {
	err = s.lookup(ctx, id, `SELECT convener_id::text FROM joint_meetings WHERE id = $1`, &convener)
	return convener, err
}

// ItemSides are a ledger item's convener and owner.
func (s *Store) ItemSides(ctx context.Context, id string) (convener, ownerUnit, ownerOrg string, err error) {
	err = s.lookup(ctx, id, `SELECT convener_id::text, coalesce(owner_unit_id::text, ''), coalesce(owner_organisation_id::text, '')
		FROM ledger_items WHERE id = $1`, &convener, &ownerUnit, &ownerOrg)
	return convener, ownerUnit, ownerOrg, err
}

// ActivityCommunities are the communities that organised an activity.
func (s *Store) ActivityCommunities(ctx context.Context, id string) (communities []string, err error) {
	err = s.lookup(ctx, id, `SELECT community_ids::text[] FROM joint_activities WHERE id = $1`, &communities)
	return communities, err
}
