package store

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/activities"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// ActivityStore implements activities.Store.
type ActivityStore struct{ *Store }

// Activities is the store of the activities domain.
func (s *Store) Activities() ActivityStore { return ActivityStore{s} }

type activityTx struct{ *txStore }

// InTx implements activities.Store.
func (s ActivityStore) InTx(ctx context.Context, fn func(activities.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(activityTx{t}) })
}

const activityColumns = `id::text, title, area, date, community_ids::text[], unit_ids::text[], coalesce(district_id::text, ''),
	attendance, member_attendance, member_ids::text[], description, hours, recorded_by, created_at`

func scanActivity(row pgx.Row) (*activities.Activity, error) {
	var a activities.Activity
	err := row.Scan(&a.ID, &a.Title, &a.Area, &a.Date, &a.CommunityIDs, &a.UnitIDs, &a.DistrictID, &a.Attendance,
		&a.MemberAttendance, &a.MemberIDs, &a.Description, &a.Hours, &a.RecordedBy, &a.Created)
	a.Created = a.Created.UTC()
	return &a, err
}

func getActivity(ctx context.Context, q querier, id string) (*activities.Activity, error) {
	if !cobuild.ValidID(id) {
		return nil, activities.ErrNotFound
	}
	a, err := scanActivity(q.QueryRow(ctx, `SELECT `+activityColumns+` FROM joint_activities WHERE id = $1`, id))
	if pgdb.IsNoRows(err) {
		return nil, activities.ErrNotFound
	}
	return a, err
}

// Get implements activities.Store.
func (s ActivityStore) Get(ctx context.Context, id string) (*activities.Activity, error) {
	return getActivity(ctx, s.pool, id)
}

// Get implements activities.Tx.
func (t activityTx) Get(ctx context.Context, id string) (*activities.Activity, error) {
	return getActivity(ctx, t.tx, id)
}

// List implements activities.Store: latest first, keyset pages.
func (s ActivityStore) List(ctx context.Context, f activities.Filter) ([]*activities.Activity, string, error) {
	var after dateKey
	if err := page.Decode(f.PageToken, &after); err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	if f.CommunityID != "" {
		w.Add(`community_ids @> ARRAY[?::uuid]`, f.CommunityID)
	}
	if f.UnitID != "" {
		w.Add(`unit_ids @> ARRAY[?::uuid]`, f.UnitID)
	}
	if f.AncestorID != "" {
		w.Add(`EXISTS (SELECT 1 FROM unnest(community_ids) c, orgs o, orgs r
			WHERE o.id = c AND r.id = ? AND o.path >= r.path AND o.path < r.path || '~')`, f.AncestorID)
	}
	if f.Area != "" {
		w.Add(`area = ?`, string(f.Area))
	}
	if after.ID != "" {
		w.Add(`(date, id) < (?, ?::uuid)`, after.Date, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+activityColumns+` FROM joint_activities WHERE `+w.SQL()+
		` ORDER BY date DESC, id DESC LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*activities.Activity, error) { return scanActivity(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(a *activities.Activity) any { return dateKey{a.Date, a.ID} })
	return list, next, nil
}

// Insert implements activities.Tx.
func (t activityTx) Insert(ctx context.Context, a *activities.Activity) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO joint_activities (id, title, area, date, community_ids, unit_ids, district_id,
		attendance, member_attendance, member_ids, description, hours, recorded_by, created_at)
		VALUES ($1, $2, $3, $4, $5::uuid[], $6::uuid[], $7, $8, $9, $10::uuid[], $11, $12, $13, $14)`,
		a.ID, a.Title, string(a.Area), a.Date, ids(a.CommunityIDs), ids(a.UnitIDs), nullable(a.DistrictID), a.Attendance,
		a.MemberAttendance, ids(a.MemberIDs), a.Description, a.Hours, a.RecordedBy, a.Created)
	return err
}

// Unregistered implements activities.Store from the in-service
// registrations the member service's events keep.
func (s ActivityStore) Unregistered(ctx context.Context, memberIDs, communityIDs []string) ([]string, error) {
	var valid, out []string
	for _, id := range memberIDs {
		if cobuild.ValidID(id) {
			valid = append(valid, id)
		} else {
			out = append(out, id)
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT m::text FROM unnest($1::uuid[]) WITH ORDINALITY AS n(m, i)
		WHERE NOT EXISTS (SELECT FROM in_service_registrations r WHERE r.member_id = n.m AND r.community_id = ANY($2::uuid[]))
		ORDER BY i`, valid, communityIDs)
	if err != nil {
		return nil, err
	}
	unknown, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return append(out, unknown...), err
}
