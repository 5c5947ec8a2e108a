package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/orgview"
	"gongjian.dev/services/member/internal/member"
)

const orgColumns = `id::text, kind, state, name, coalesce(district_id::text, ''), path`

func scanOrg(row pgx.Row) (*member.Org, error) {
	var o member.Org
	err := row.Scan(&o.ID, &o.Kind, &o.State, &o.Name, &o.DistrictID, &o.Path)
	return &o, err
}

func getOrg(ctx context.Context, q querier, id string, lock bool) (*member.Org, error) {
	if uuid.Validate(id) != nil {
		return nil, member.ErrOrgNotFound
	}
	sql := `SELECT ` + orgColumns + ` FROM orgs WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	o, err := scanOrg(q.QueryRow(ctx, sql, id))
	return o, interpretError(err, member.ErrOrgNotFound)
}

// LockOrg implements member.Tx.
func (t *txStore) LockOrg(ctx context.Context, id string) (*member.Org, error) {
	return getOrg(ctx, t.tx, id, true)
}

// Org implements member.Tx.
func (t *txStore) Org(ctx context.Context, id string) (*member.Org, error) {
	return getOrg(ctx, t.tx, id, false)
}

// Within implements authz.Tree over the local view: whether orgID lies in
// the subtree of rootID.
func (s *Store) Within(ctx context.Context, orgID, rootID string) (bool, error) {
	return orgview.Tree{Pool: s.pool}.Within(ctx, orgID, rootID)
}

// OrganisationOf is the organisation a member's relationship sits in, for
// scoping calls about the member; member.ErrNotFound when there is none.
func (s *Store) OrganisationOf(ctx context.Context, memberID string) (string, error) {
	if uuid.Validate(memberID) != nil {
		return "", member.ErrNotFound
	}
	var id string
	err := s.pool.QueryRow(ctx, `SELECT organisation_id::text FROM members WHERE id = $1`, memberID).Scan(&id)
	return id, interpretError(err, member.ErrNotFound)
}

// MoveMembers is the view's Moved hook: the members whose relationship
// sits in a moved subtree take its new paths and district.
func MoveMembers(ctx context.Context, tx pgx.Tx, newPath string) error {
	_, err := tx.Exec(ctx, `UPDATE members m SET path = o.path, district_id = o.district_id FROM orgs o
		WHERE o.id = m.organisation_id AND o.path >= $1 AND o.path < $2`, newPath, newPath+"~")
	return err
}
