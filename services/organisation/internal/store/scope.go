package store

import (
	"context"

	"github.com/google/uuid"

	"gongjian.dev/pkg/pgdb"
)

// Within implements authz.Tree: whether orgID lies in the subtree of rootID.
func (s *Store) Within(ctx context.Context, orgID, rootID string) (bool, error) {
	if uuid.Validate(orgID) != nil || uuid.Validate(rootID) != nil {
		return false, nil
	}
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisations o, organisations r
		WHERE o.id = $1 AND r.id = $2 AND o.path >= r.path AND o.path < r.path || '~')`, orgID, rootID).Scan(&ok)
	return ok, err
}

func (s *Store) communityOf(ctx context.Context, table, id string) (string, error) {
	if uuid.Validate(id) != nil {
		return "", nil
	}
	var c string
	err := s.pool.QueryRow(ctx, `SELECT community_id::text FROM `+table+` WHERE id = $1`, id).Scan(&c)
	if pgdb.IsNoRows(err) {
		return "", nil
	}
	return c, err
}

// CommunityOfPoint is the community of a coverage point, "" if there is none.
func (s *Store) CommunityOfPoint(ctx context.Context, id string) (string, error) {
	return s.communityOf(ctx, "coverage_points", id)
}

// CommunityOfSite is the community of a demonstration site, "" if there is none.
func (s *Store) CommunityOfSite(ctx context.Context, id string) (string, error) {
	return s.communityOf(ctx, "demonstration_sites", id)
}

// CommunityOfLiaison is the community of a liaison, "" if there is none.
func (s *Store) CommunityOfLiaison(ctx context.Context, id string) (string, error) {
	return s.communityOf(ctx, "liaisons", id)
}
