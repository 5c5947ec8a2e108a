package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/organisation/internal/org"
)

// List implements org.Store: filters combine; tree order; keyset pages on path.
func (s *Store) List(ctx context.Context, f org.ListFilter) ([]*org.Organisation, string, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	for field, id := range map[string]string{"parent_id": f.ParentID, "district_id": f.DistrictID} {
		if id == "" {
			continue
		}
		if _, err := s.Get(ctx, id); err != nil {
			return nil, "", errs.Field(org.ErrNotFound, field, "no organisation has this id")
		}
		add("o."+field+" = $%d", id)
	}
	if f.AncestorID != "" {
		anc, err := s.path(ctx, f.AncestorID)
		if err != nil {
			return nil, "", errs.Field(org.ErrNotFound, "ancestor_id", "no organisation has this id")
		}
		add("o.path > $%d", anc)
		add("o.path < $%d", subtreeEnd(anc))
	}
	if f.WithinID != "" {
		root, err := s.path(ctx, f.WithinID)
		if err != nil {
			return nil, "", err
		}
		add("o.path >= $%d", root)
		add("o.path < $%d", subtreeEnd(root))
	}
	if f.Kind != "" {
		add("o.kind = $%d", f.Kind)
	}
	if !f.IncludeDissolved {
		where = append(where, "o.state = 'ACTIVE'")
	}
	if f.Page.Token != "" {
		after, err := pathAfter(f.Page.Token)
		if err != nil {
			return nil, "", err
		}
		add("o.path > $%d", after)
	}
	sql := `SELECT ` + orgColumns + orgFrom + `WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY o.path LIMIT %d`, f.Page.Size+1)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, "", err
	}
	orgs, err := collectOrgs(rows)
	if err != nil {
		return nil, "", err
	}
	if len(orgs) <= f.Page.Size {
		return orgs, "", nil
	}
	orgs = orgs[:f.Page.Size]
	return orgs, encodeToken(pathOf(orgs[len(orgs)-1])), nil
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

// Page tokens are opaque to clients: the keyset value, base64url-encoded.
func encodeToken(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func decodeToken(token string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		return "", errs.Field(org.ErrInvalidPageToken, "page_token", "not a token this service issued")
	}
	return string(b), nil
}

// errBadToken refuses a page token this service did not issue.
var errBadToken = errs.Field(org.ErrInvalidPageToken, "page_token", "not a token this service issued")

// pathAfter is the path a page of organisations continues after. It goes
// into SQL as it is: anything but a path of ids (a NUL, broken UTF-8) would
// fail there as an internal error.
func pathAfter(token string) (string, error) {
	p, err := decodeToken(token)
	if err != nil {
		return "", err
	}
	if !validPath(p) {
		return "", errBadToken
	}
	return p, nil
}

// validPath reports whether p is a path as pathOf writes them.
func validPath(p string) bool {
	if len(p) < 2 || !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") {
		return false
	}
	for _, id := range strings.Split(p[1:len(p)-1], "/") {
		if !validID(id) {
			return false
		}
	}
	return true
}

// validID reports whether s is an id as the service writes them: a UUID
// in its canonical form (uuid.Validate also takes forms PostgreSQL's uuid
// input refuses).
func validID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// versionBefore is the version a page of history continues before.
func versionBefore(token string) (int64, error) {
	t, err := decodeToken(token)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 1 {
		return 0, errBadToken
	}
	return v, nil
}

// History implements org.Store, newest version first.
func (s *Store) History(ctx context.Context, id string, p org.Page) ([]org.Version, string, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, "", err
	}
	before := int64(1 << 62)
	if p.Token != "" {
		var err error
		if before, err = versionBefore(p.Token); err != nil {
			return nil, "", err
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT version, change, valid_from, valid_to, snapshot FROM organisation_versions
		WHERE organisation_id = $1 AND version < $2 ORDER BY version DESC LIMIT $3`, id, before, p.Size+1)
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
	if len(out) <= p.Size {
		return out, "", nil
	}
	out = out[:p.Size]
	return out, encodeToken(strconv.FormatInt(out[len(out)-1].Number, 10)), nil
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
