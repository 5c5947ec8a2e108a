package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gongjian.dev/pkg/page"
	"gongjian.dev/services/member/internal/transfer"
)

// nameOnlySQL finds the name-only members of the subtree of $1 (see
// transfer.NameOnly): the communities that lie in it or above it (a range of
// orgs_path, or the ids of its path: primary-key lookups), and under each
// the members of the narrower of the two subtrees, from the page's key
// ($2, $3) in (path, id) order: for each community one range scan of
// members_by_path, stopped at the page's size. $4 also takes members
// without a residence community; $5 keeps the list in the caller's
// subtree.
const nameOnlySQL = `WITH r AS (SELECT path FROM orgs WHERE id = $1),
	w AS (SELECT coalesce((SELECT path FROM orgs WHERE id = $5), '') AS path),
	c AS (SELECT o.id AS community_id, greatest(o.path, r.path) AS lo FROM orgs o, r
		WHERE o.kind = 'COMMUNITY' AND ((o.path >= r.path AND o.path < r.path || '~')
			OR o.id = ANY (string_to_array(trim(both '/' from r.path), '/')::uuid[]))),
	h AS (SELECT x.* FROM c, w, LATERAL (
			SELECT m.id AS member_id, m.path AS member_path, c.community_id,
				CASE WHEN nullif(m.residence->>'community_id', '') IS NULL THEN 'RESIDENCE_UNKNOWN'
					ELSE 'RESIDENCE_ELSEWHERE' END AS why
			FROM members m JOIN orgs mo ON mo.id = m.organisation_id
			WHERE m.path >= c.lo AND m.path < c.lo || '~' AND (m.path, m.id) > ($2, $3::uuid)
				AND m.path >= w.path AND (w.path = '' OR m.path < w.path || '~')
				AND m.left_at IS NULL AND mo.kind <> 'RESIDENT_UNIT'
				AND CASE WHEN nullif(m.residence->>'community_id', '') IS NULL THEN $4
					ELSE m.residence->>'community_id' <> c.community_id::text END
			ORDER BY m.path, m.id LIMIT $6) x
		ORDER BY x.member_path, x.member_id LIMIT $6)
	SELECT ` + memberColumns + `, h.community_id::text, h.why FROM h JOIN members ON members.id = h.member_id
	ORDER BY path, id`

// ListNameOnly implements transfer.Store.
func (s *Store) ListNameOnly(ctx context.Context, f transfer.NameOnlyFilter) ([]transfer.NameOnly, string, error) {
	if uuid.Validate(f.OrganisationID) != nil || (f.WithinID != "" && uuid.Validate(f.WithinID) != nil) {
		return nil, "", nil
	}
	after, err := page.After(f.Page.Token, pathKey{ID: uuid.Nil.String()})
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, nameOnlySQL, f.OrganisationID, after.Path, after.ID, f.IncludeUnknown,
		nullable(f.WithinID), f.Page.Size+1)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (transfer.NameOnly, error) {
		var n transfer.NameOnly
		m, err := s.scanMember(nameOnlyRow{r, &n})
		n.Member = m
		return n, err
	})
	if err != nil {
		return nil, "", fmt.Errorf("name-only members: %w", err)
	}
	list, next := page.Cut(list, f.Page.Size, func(n transfer.NameOnly) any { return pathKey{Path: n.Member.Path, ID: n.Member.ID} })
	return list, next, nil
}

// nameOnlyRow scans a member and, after its columns, the community and
// the reason.
type nameOnlyRow struct {
	pgx.Row
	n *transfer.NameOnly
}

func (r nameOnlyRow) Scan(dest ...any) error {
	return r.Row.Scan(append(dest, &r.n.CommunityID, &r.n.Reason)...)
}
