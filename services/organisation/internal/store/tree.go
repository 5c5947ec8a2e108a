package store

import (
	"context"
	"encoding/json"
	"fmt"

	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/organisation/internal/org"
)

// List implements org.Store: filters combine; tree order; keyset pages on path.
func (s *Store) List(ctx context.Context, f org.ListFilter) ([]*org.Organisation, string, error) {
	var w pgdb.Where
	for field, id := range map[string]string{"parent_id": f.ParentID, "district_id": f.DistrictID} {
		if id == "" {
			continue
		}
		if _, err := s.Get(ctx, id); err != nil {
			return nil, "", errs.Field(org.ErrNotFound, field, "no organisation has this id")
		}
		w.Add("o."+field+" = ?", id)
	}
	if f.AncestorID != "" {
		anc, err := s.path(ctx, f.AncestorID)
		if err != nil {
			return nil, "", errs.Field(org.ErrNotFound, "ancestor_id", "no organisation has this id")
		}
		w.Add("o.path > ? AND o.path < ?", anc, subtreeEnd(anc))
	}
	if f.WithinID != "" {
		root, err := s.path(ctx, f.WithinID)
		if err != nil {
			return nil, "", err
		}
		w.Add("o.path >= ? AND o.path < ?", root, subtreeEnd(root))
	}
	if f.Kind != "" {
		w.Add("o.kind = ?", f.Kind)
	}
	if !f.IncludeDissolved {
		w.Add("o.state = 'ACTIVE'")
	}
	if f.Page.Token != "" {
		after, err := page.After(f.Page.Token, pathKey{})
		if err != nil {
			return nil, "", err
		}
		w.Add("o.path > ?", after.Path)
	}
	sql := `SELECT ` + orgColumns + orgFrom + `WHERE ` + w.SQL() + ` ORDER BY o.path LIMIT ` + w.Arg(f.Page.Size+1)
	rows, err := s.pool.Query(ctx, sql, w.Args()...)
	if err != nil {
		return nil, "", err
	}
	orgs, err := collectOrgs(rows)
	if err != nil {
		return nil, "", err
	}
	orgs, next := page.Cut(orgs, f.Page.Size, func(o *org.Organisation) any { return pathKey{Path: pathOf(o)} })
	return orgs, next, nil
}

func collectOrgs(rows pgx.Rows) ([]*org.Organisation, error) {
	defer rows.Close()
	var out []*org.Organisation
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *Store) path(ctx context.Context, id string) (string, error) {
	var p string
	err := s.pool.QueryRow(ctx, `SELECT path FROM organisations WHERE id = $1`, id).Scan(&p)
	return p, interpretError(err, org.ErrNotFound)
}

// History implements org.Store, newest version first.
func (s *Store) History(ctx context.Context, id string, p org.Page) ([]org.Version, string, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, "", err
	}
	before, err := page.After(p.Token, versionKey{Version: 1 << 62})
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT version, change, valid_from, valid_to, snapshot FROM organisation_versions
		WHERE organisation_id = $1 AND version < $2 ORDER BY version DESC LIMIT $3`, id, before.Version, p.Size+1)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []org.Version
	for rows.Next() {
		var (
			v      org.Version
			to     *time.Time
			snapJS []byte
		)
		if err := rows.Scan(&v.Number, &v.Change, &v.ValidFrom, &to, &snapJS); err != nil {
			return nil, "", err
		}
		if to != nil {
			v.ValidTo = to.UTC()
		}
		v.ValidFrom = v.ValidFrom.UTC()
		if v.Org, err = fromSnapshot(id, v.Number, v.ValidFrom, snapJS); err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := page.Cut(out, p.Size, func(v org.Version) any { return versionKey{Version: v.Number} })
	return out, next, nil
}

func fromSnapshot(id string, version int64, from time.Time, js []byte) (*org.Organisation, error) {
	var s snapshot
	if err := json.Unmarshal(js, &s); err != nil {
		return nil, fmt.Errorf("organisation %s version %d: %w", id, version, err)
	}
	return &org.Organisation{ID: id, ParentID: s.ParentID, Kind: s.Kind, Name: s.Name, Code: s.Code, State: s.State,
		Details: s.Details, Leadership: s.Leadership, DissolveReason: s.DissolveReason, Created: s.Created,
		Updated: from, DissolvedAt: s.DissolvedAt, Version: version}, nil
}

// GetAsOf implements org.Store: the version valid at the instant, and the
// chain of its ancestors as each was at that instant.
func (s *Store) GetAsOf(ctx context.Context, id string, at time.Time) (*org.Organisation, error) {
	rows, err := s.pool.Query(ctx, `WITH RECURSIVE chain AS (
		SELECT v.organisation_id, v.version, v.valid_from, v.snapshot, 0 AS up
		FROM organisation_versions v
		WHERE v.organisation_id = $1 AND v.valid_from <= $2 AND (v.valid_to IS NULL OR v.valid_to > $2)
		UNION ALL
		SELECT v.organisation_id, v.version, v.valid_from, v.snapshot, c.up + 1
		FROM chain c JOIN organisation_versions v ON v.organisation_id = (c.snapshot->>'parent_id')::uuid
		WHERE v.valid_from <= $2 AND (v.valid_to IS NULL OR v.valid_to > $2) AND c.up < 32
	) SELECT organisation_id::text, version, valid_from, snapshot FROM chain ORDER BY up`, id, at)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var chain []*org.Organisation
	for rows.Next() {
		var (
			oid     string
			version int64
			from    time.Time
			js      []byte
		)
		if err := rows.Scan(&oid, &version, &from, &js); err != nil {
			return nil, err
		}
		o, err := fromSnapshot(oid, version, from.UTC(), js)
		if err != nil {
			return nil, err
		}
		chain = append(chain, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(chain) == 0 {
		return nil, errs.Detail(org.ErrNotFound, "the organisation did not exist at %s", at.UTC().Format(time.RFC3339))
	}
	o := chain[0]
	for i := len(chain) - 1; i > 0; i-- {
		o.AncestorIDs = append(o.AncestorIDs, chain[i].ID)
		if chain[i].Kind == org.District {
			o.DistrictID = chain[i].ID
		}
	}
	o.Depth = len(o.AncestorIDs)
	if o.Kind == org.District {
		o.DistrictID = ""
	}
	return o, nil
}
