package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/reporting"
)

// reportingError turns the database's answers about reporting into
// domain errors: the constraints hold what the domain checked under its
// locks, so these are reached only by a race the locks did not cover.
func reportingError(err error, notFound error) error {
	switch {
	case err == nil:
		return nil
	case pgdb.IsNoRows(err):
		return notFound
	case pgdb.IsUniqueViolation(err, "registrations_one_live_per_kind"):
		return errs.Field(reporting.ErrAlreadyRegistered, "kind", "the member already has a live registration of this kind")
	case pgdb.IsUniqueViolation(err, "post_claims_one_live"):
		return errs.Field(reporting.ErrAlreadyClaimed, "post_id", "the member already holds this post")
	case pgdb.IsCheckViolation(err, "service_posts_within_capacity"):
		return reporting.ErrPostFull
	}
	return err
}

// CommunityAbove implements reporting.Tx.
func (t *txStore) CommunityAbove(ctx context.Context, path string) (*member.Org, bool, error) {
	var ids []string
	for _, id := range strings.Split(strings.Trim(path, "/"), "/") {
		if uuid.Validate(id) == nil {
			ids = append(ids, id)
		}
	}
	o, err := scanOrg(t.tx.QueryRow(ctx, `SELECT `+orgColumns+` FROM orgs
		WHERE id = ANY($1::uuid[]) AND kind = 'COMMUNITY' AND path <> $2 ORDER BY length(path) DESC LIMIT 1`, ids, path))
	if pgdb.IsNoRows(err) {
		return nil, false, nil
	}
	return o, err == nil, err
}

const registrationColumns = `id::text, member_id::text, community_id::text, kind, member_organisation_id::text,
	report_date, end_date, end_reason, created_at, updated_at`

func scanRegistration(row pgx.Row) (*reporting.Registration, error) {
	var (
		r   reporting.Registration
		end *time.Time
	)
	err := row.Scan(&r.ID, &r.MemberID, &r.CommunityID, &r.Kind, &r.MemberOrgID, &r.ReportDate, &end, &r.EndReason,
		&r.Created, &r.Updated)
	if err != nil {
		return nil, err
	}
	if end != nil {
		r.EndDate = end.UTC()
	}
	r.ReportDate, r.Created, r.Updated = r.ReportDate.UTC(), r.Created.UTC(), r.Updated.UTC()
	return &r, nil
}

// findRegistration returns the first registration a query finds, if any.
func findRegistration(ctx context.Context, q querier, sql string, args ...any) (*reporting.Registration, bool, error) {
	r, err := scanRegistration(q.QueryRow(ctx, sql, args...))
	if pgdb.IsNoRows(err) {
		return nil, false, nil
	}
	return r, err == nil, err
}

// GetRegistration implements reporting.Tx.
func (t *txStore) GetRegistration(ctx context.Context, id string) (*reporting.Registration, error) {
	r, err := scanRegistration(t.tx.QueryRow(ctx, `SELECT `+registrationColumns+` FROM registrations WHERE id = $1`, id))
	return r, reportingError(err, reporting.ErrRegistrationGone)
}

// LiveRegistration implements reporting.Tx.
func (t *txStore) LiveRegistration(ctx context.Context, memberID, kind string) (*reporting.Registration, bool, error) {
	return findRegistration(ctx, t.tx, `SELECT `+registrationColumns+` FROM registrations
		WHERE member_id = $1 AND kind = $2 AND end_date IS NULL FOR UPDATE`, memberID, kind)
}

// LeaversWithLiveRegistrations implements reporting.Tx.
func (t *txStore) LeaversWithLiveRegistrations(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := t.tx.Query(ctx, `SELECT DISTINCT r.member_id FROM registrations r JOIN members m ON m.id = r.member_id
		WHERE r.end_date IS NULL AND m.left_at IS NOT NULL AND ($1 = '' OR r.member_id > $1::uuid)
		ORDER BY r.member_id LIMIT $2`, after, limit)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out, err
}

// RegistrationOn implements reporting.Tx.
func (t *txStore) RegistrationOn(ctx context.Context, memberID, communityID string, day time.Time, liveOnly bool) (*reporting.Registration, bool, error) {
	return findRegistration(ctx, t.tx, `SELECT `+registrationColumns+` FROM registrations
		WHERE member_id = $1 AND community_id = $2 AND report_date <= $3 AND (end_date IS NULL OR ($4 = false AND end_date >= $3))
		ORDER BY kind = 'RESIDENCE' DESC, end_date IS NULL DESC, report_date DESC LIMIT 1`, memberID, communityID, day, liveOnly)
}

// RegisteredInYear implements reporting.Tx.
func (t *txStore) RegisteredInYear(ctx context.Context, memberID, communityID, kind string, year int32) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM registrations
		WHERE member_id = $1 AND ($2 = '' OR community_id::text = $2) AND ($3 = '' OR kind = $3)
			AND report_date <= make_date($4, 12, 31) AND (end_date IS NULL OR end_date >= make_date($4, 1, 1)))`,
		memberID, communityID, kind, year).Scan(&ok)
	return ok, err
}

// InsertRegistration implements reporting.Tx.
func (t *txStore) InsertRegistration(ctx context.Context, r *reporting.Registration) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO registrations (id, member_id, community_id, kind, member_organisation_id,
		report_date, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
		r.ID, r.MemberID, r.CommunityID, r.Kind, r.MemberOrgID, r.ReportDate, r.Created)
	return reportingError(err, reporting.ErrRegistrationGone)
}

// EndRegistration implements reporting.Tx.
func (t *txStore) EndRegistration(ctx context.Context, r *reporting.Registration) error {
	tag, err := t.tx.Exec(ctx, `UPDATE registrations SET end_date = $2, end_reason = $3, updated_at = $4
		WHERE id = $1 AND end_date IS NULL`, r.ID, r.EndDate, r.EndReason, r.Updated)
	if err == nil && tag.RowsAffected() != 1 {
		err = fmt.Errorf("registration %s ended under a row lock", r.ID)
	}
	return err
}

const postColumns = `id::text, community_id::text, name, kind, description, capacity, claimed, created_by, created_at`

func scanPost(row pgx.Row) (*reporting.Post, error) {
	var p reporting.Post
	err := row.Scan(&p.ID, &p.CommunityID, &p.Name, &p.Kind, &p.Description, &p.Capacity, &p.Claimed, &p.CreatedBy, &p.Created)
	p.Created = p.Created.UTC()
	return &p, err
}

// InsertPost implements reporting.Tx.
func (t *txStore) InsertPost(ctx context.Context, p *reporting.Post) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO service_posts (id, community_id, name, kind, description, capacity, claimed,
		created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8)`,
		p.ID, p.CommunityID, p.Name, p.Kind, p.Description, p.Capacity, p.CreatedBy, p.Created)
	return reportingError(err, reporting.ErrPostNotFound)
}

// LockPost implements reporting.Tx.
func (t *txStore) LockPost(ctx context.Context, id string) (*reporting.Post, error) {
	if uuid.Validate(id) != nil {
		return nil, reporting.ErrPostNotFound
	}
	p, err := scanPost(t.tx.QueryRow(ctx, `SELECT `+postColumns+` FROM service_posts WHERE id = $1 FOR UPDATE`, id))
	return p, reportingError(err, reporting.ErrPostNotFound)
}

const claimColumns = `c.id::text, c.post_id::text, p.name, p.community_id::text, c.member_id::text, c.registration_id::text,
	c.claimed_at, c.released_at`

const claimFrom = ` FROM post_claims c JOIN service_posts p ON p.id = c.post_id `

func scanClaim(row pgx.Row) (*reporting.Claim, error) {
	var (
		c        reporting.Claim
		released *time.Time
	)
	err := row.Scan(&c.ID, &c.PostID, &c.PostName, &c.CommunityID, &c.MemberID, &c.RegistrationID, &c.Claimed, &released)
	if err != nil {
		return nil, err
	}
	if released != nil {
		c.Released = released.UTC()
	}
	c.Claimed = c.Claimed.UTC()
	return &c, nil
}

func collectClaims(rows pgx.Rows, err error) ([]*reporting.Claim, error) {
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*reporting.Claim, error) { return scanClaim(r) })
}

// GetClaim implements reporting.Tx.
func (t *txStore) GetClaim(ctx context.Context, id string) (*reporting.Claim, error) {
	c, err := scanClaim(t.tx.QueryRow(ctx, `SELECT `+claimColumns+claimFrom+`WHERE c.id = $1`, id))
	return c, reportingError(err, reporting.ErrPostNotFound)
}

// LiveClaim implements reporting.Tx.
func (t *txStore) LiveClaim(ctx context.Context, postID, memberID string) (*reporting.Claim, bool, error) {
	c, err := scanClaim(t.tx.QueryRow(ctx, `SELECT `+claimColumns+claimFrom+`
		WHERE c.post_id = $1 AND c.member_id = $2 AND c.released_at IS NULL`, postID, memberID))
	if pgdb.IsNoRows(err) {
		return nil, false, nil
	}
	return c, err == nil, err
}

// LiveClaimsUnder implements reporting.Tx.
func (t *txStore) LiveClaimsUnder(ctx context.Context, registrationID string) ([]*reporting.Claim, error) {
	return collectClaims(t.tx.Query(ctx, `SELECT `+claimColumns+claimFrom+`
		WHERE c.registration_id = $1 AND c.released_at IS NULL ORDER BY c.id FOR UPDATE OF c, p`, registrationID))
}

// InsertClaim implements reporting.Tx.
func (t *txStore) InsertClaim(ctx context.Context, c *reporting.Claim) error {
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO post_claims (id, post_id, member_id, registration_id, claimed_at) VALUES ($1, $2, $3, $4, $5)`,
		c.ID, c.PostID, c.MemberID, c.RegistrationID, c.Claimed)
	b.Queue(`UPDATE service_posts SET claimed = claimed + 1 WHERE id = $1`, c.PostID)
	return reportingError(t.tx.SendBatch(ctx, b).Close(), reporting.ErrPostNotFound)
}

// ReleaseClaim implements reporting.Tx.
func (t *txStore) ReleaseClaim(ctx context.Context, c *reporting.Claim) error {
	b := &pgx.Batch{}
	b.Queue(`UPDATE post_claims SET released_at = $2 WHERE id = $1 AND released_at IS NULL`, c.ID, c.Released)
	b.Queue(`UPDATE service_posts SET claimed = claimed - 1 WHERE id = $1`, c.PostID)
	return reportingError(t.tx.SendBatch(ctx, b).Close(), reporting.ErrPostNotFound)
}

// ListRegistrations implements reporting.Store.
func (s *Store) ListRegistrations(ctx context.Context, f reporting.RegistrationFilter) ([]*reporting.Registration, string, error) {
	for _, id := range []string{f.CommunityID, f.MemberID} {
		if id != "" && uuid.Validate(id) != nil {
			return nil, "", nil
		}
	}
	after, err := page.After(f.Page.Token, idKey{ID: uuid.Nil.String()})
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+registrationColumns+` FROM registrations
		WHERE ($1 = '' OR community_id::text = $1) AND ($2 = '' OR member_id::text = $2)
			AND ($3 OR end_date IS NULL) AND id > $4::uuid
		ORDER BY id LIMIT $5`, f.CommunityID, f.MemberID, f.IncludeEnded, after.ID, f.Page.Size+1)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*reporting.Registration, error) { return scanRegistration(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, f.Page.Size, func(r *reporting.Registration) any { return idKey{ID: r.ID} })
	return list, next, nil
}

// ListPosts implements reporting.Store.
func (s *Store) ListPosts(ctx context.Context, f reporting.PostFilter) ([]*reporting.Post, string, error) {
	for _, id := range []string{f.CommunityID, f.MemberID} {
		if id != "" && uuid.Validate(id) != nil {
			return nil, "", nil
		}
	}
	after, err := page.After(f.Page.Token, idKey{ID: uuid.Nil.String()})
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+postColumns+` FROM service_posts
		WHERE community_id = $1 AND id > $2::uuid
			AND ($3 = '' OR EXISTS (SELECT 1 FROM registrations r
				WHERE r.member_id::text = $3 AND r.community_id = $1 AND r.end_date IS NULL))
		ORDER BY id LIMIT $4`, f.CommunityID, after.ID, f.MemberID, f.Page.Size+1)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*reporting.Post, error) { return scanPost(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, f.Page.Size, func(p *reporting.Post) any { return idKey{ID: p.ID} })
	return list, next, nil
}

// MemberSides are the organisation where a member's relationship sits and
// the communities the member ever registered with, for scoping the reads
// of either side; member.ErrNotFound when there is no such member.
func (s *Store) MemberSides(ctx context.Context, memberID string) (string, []string, error) {
	org, err := s.OrganisationOf(ctx, memberID)
	if err != nil {
		return "", nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT community_id::text FROM registrations WHERE member_id = $1`, memberID)
	if err != nil {
		return "", nil, err
	}
	communities, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return org, communities, err
}
