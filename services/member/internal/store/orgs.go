package store

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
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
	if uuid.Validate(orgID) != nil || uuid.Validate(rootID) != nil {
		return false, nil
	}
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orgs o, orgs r
		WHERE o.id = $1 AND r.id = $2 AND o.path >= r.path AND o.path < r.path || '~')`, orgID, rootID).Scan(&ok)
	return ok, err
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

// OrgRecord is an organisation as an event of the organisation service
// describes it.
type OrgRecord struct {
	ID, ParentID, Kind, State, Name, DistrictID string
	AncestorIDs                                 []string
}

// path is the organisation's path in the organisation service's format.
func (o OrgRecord) path() string {
	return "/" + strings.Join(append(append([]string(nil), o.AncestorIDs...), o.ID), "/") + "/"
}

// districtOf is the district the organisation belongs to; a district
// belongs to itself.
func (o OrgRecord) districtOf() string {
	if o.Kind == "DISTRICT" {
		return o.ID
	}
	return o.DistrictID
}

// ApplyOrg records a created, updated or dissolved organisation in the view
// within tx, unless the view already holds a newer state. It never moves an
// organisation: that is ApplyMove's, which moves the subtree with it.
func ApplyOrg(ctx context.Context, tx pgx.Tx, o OrgRecord, at time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO orgs (id, kind, state, name, district_id, path, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, state = EXCLUDED.state, name = EXCLUDED.name,
			updated_at = EXCLUDED.updated_at
		WHERE orgs.updated_at <= EXCLUDED.updated_at`,
		o.ID, o.Kind, o.State, o.Name, nullable(o.districtOf()), o.path(), at)
	return err
}

// ApplyMove records that o moved, within tx: the organisations of its
// subtree take the new path and district, and so do the members whose
// relationship sits in them. An older move delivered late is passed over.
func ApplyMove(ctx context.Context, tx pgx.Tx, o OrgRecord, at time.Time) error {
	var (
		oldPath string
		updated time.Time
	)
	err := tx.QueryRow(ctx, `SELECT path, updated_at FROM orgs WHERE id = $1 FOR UPDATE`, o.ID).Scan(&oldPath, &updated)
	if pgdb.IsNoRows(err) {
		return ApplyOrg(ctx, tx, o, at)
	}
	if err != nil || updated.After(at) {
		return err
	}
	newPath := o.path()
	b := &pgx.Batch{}
	b.Queue(`UPDATE orgs SET path = $3 || substr(path, length($1) + 1),
			district_id = CASE WHEN kind = 'DISTRICT' THEN id ELSE $4::uuid END
		WHERE path >= $1 AND path < $2`, oldPath, oldPath+"~", newPath, nullable(o.districtOf()))
	b.Queue(`UPDATE orgs SET kind = $2, state = $3, name = $4, updated_at = $5 WHERE id = $1`, o.ID, o.Kind, o.State, o.Name, at)
	b.Queue(`UPDATE members m SET path = o.path, district_id = o.district_id FROM orgs o
		WHERE o.id = m.organisation_id AND o.path >= $1 AND o.path < $2`, newPath, newPath+"~")
	return tx.SendBatch(ctx, b).Close()
}
