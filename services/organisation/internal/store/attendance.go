package store

import (
	"context"
	"embed"
	"time"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/organisation/internal/org"
)

//go:embed migrations_attendance/*.sql
var attendanceFiles embed.FS

// AttendanceMigrations are the tables of attendance by member and the view
// of the member service's members, a set of their own (tern numbers a
// set's files without gaps).
var AttendanceMigrations = pgdb.Embedded("organisation_attendance", attendanceFiles, "migrations_attendance")

// insertActivityMembers keeps who was present and who absent by id.
func (t *txStore) insertActivityMembers(ctx context.Context, a *org.Activity) error {
	var ids []string
	var present []bool
	for _, id := range a.AttendeeIDs {
		ids, present = append(ids, id), append(present, true)
	}
	for _, ab := range a.Absentees {
		if ab.MemberID != "" {
			ids, present = append(ids, ab.MemberID), append(present, false)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO activity_members (activity_id, member_id, present, ord)
		SELECT $1, m.id::uuid, m.present, m.ord FROM unnest($2::text[], $3::boolean[]) WITH ORDINALITY AS m(id, present, ord)`,
		a.ID, ids, present)
	return err
}

// attendeeIDs is the column list's expression of an activity's present members.
const attendeeIDs = `coalesce((SELECT array_agg(m.member_id::text ORDER BY m.ord) FROM activity_members m
	WHERE m.activity_id = activities.id AND m.present), '{}')`

// MemberPlaces implements org.Tx: what the view holds of each id, with the
// ancestors of the organisation the relationship sits in.
func (t *txStore) MemberPlaces(ctx context.Context, ids []string) (map[string]org.MemberPlace, error) {
	rows, err := t.tx.Query(ctx, `SELECT v.member_id::text, v.organisation_id::text, coalesce(o.path, ''), v.left_on
		FROM member_view v LEFT JOIN organisations o ON o.id = v.organisation_id
		WHERE v.member_id = ANY($1::uuid[])`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]org.MemberPlace{}
	for rows.Next() {
		var (
			p    org.MemberPlace
			path string
			left *time.Time
		)
		if err := rows.Scan(&p.MemberID, &p.OrganisationID, &path, &left); err != nil {
			return nil, err
		}
		p.AncestorIDs = ancestors(path)
		if left != nil {
			p.LeftOn = org.DateOf(*left)
		}
		out[p.MemberID] = p
	}
	return out, rows.Err()
}

// SaveMemberPlace keeps where a member's relationship sits as of at,
// unless the view holds a later word on the member. An organisation of ""
// keeps the one held (a leaving names none new).
func (b *BoundStore) SaveMemberPlace(ctx context.Context, memberID, orgID string, at time.Time) error {
	_, err := b.tx.Exec(ctx, `INSERT INTO member_view (member_id, organisation_id, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (member_id) DO UPDATE SET organisation_id = EXCLUDED.organisation_id, updated_at = EXCLUDED.updated_at
		WHERE member_view.updated_at <= EXCLUDED.updated_at`, memberID, orgID, at)
	return err
}

// SaveMemberLeft keeps the day a member's membership ended.
func (b *BoundStore) SaveMemberLeft(ctx context.Context, memberID, orgID string, on, at time.Time) error {
	_, err := b.tx.Exec(ctx, `INSERT INTO member_view (member_id, organisation_id, left_on, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (member_id) DO UPDATE SET left_on = EXCLUDED.left_on,
			updated_at = greatest(member_view.updated_at, EXCLUDED.updated_at)`, memberID, orgID, on, at)
	return err
}
