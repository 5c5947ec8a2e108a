package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/volunteers"
)

// TeamStore implements volunteers.Store.
type TeamStore struct{ *Store }

// Teams is the store of the volunteer teams domain.
func (s *Store) Teams() TeamStore { return TeamStore{s} }

type teamTx struct{ *txStore }

// InTx implements volunteers.Store.
func (s TeamStore) InTx(ctx context.Context, fn func(volunteers.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(teamTx{t}) })
}

// UnitCommunity implements volunteers.Store.
func (s TeamStore) UnitCommunity(ctx context.Context, unitID string) (string, error) {
	c, err := s.Store.UnitCommunity(ctx, unitID)
	if errors.Is(err, errNoUnit) {
		return "", volunteers.ErrNoUnit
	}
	return c, err
}

// teamColumns end with the counts of the team's current volunteers and the
// hours all its volunteers gave.
const teamColumns = `t.id::text, t.name, t.kind, t.community_id::text, coalesce(t.unit_id::text, ''), coalesce(t.district_id::text, ''),
	t.leader, t.description,
	(SELECT count(*) FROM volunteers v WHERE v.team_id = t.id AND v.left_at IS NULL)::int,
	(SELECT count(*) FROM volunteers v WHERE v.team_id = t.id AND v.left_at IS NULL AND v.member_id IS NOT NULL)::int,
	(SELECT coalesce(sum(s.hours * cardinality(s.volunteer_ids)), 0) FROM volunteer_services s WHERE s.team_id = t.id),
	t.created_by, t.created_at`

func scanTeam(row pgx.Row) (*volunteers.Team, error) {
	var (
		t      volunteers.Team
		leader []byte
	)
	err := row.Scan(&t.ID, &t.Name, &t.Kind, &t.CommunityID, &t.UnitID, &t.DistrictID, &leader, &t.Description,
		&t.VolunteerCount, &t.PartyMemberCount, &t.ServiceHours, &t.CreatedBy, &t.Created)
	if err != nil {
		return nil, err
	}
	t.Created = t.Created.UTC()
	return &t, json.Unmarshal(leader, &t.Leader)
}

func getTeam(ctx context.Context, q querier, id, lock string) (*volunteers.Team, error) {
	if !cobuild.ValidID(id) {
		return nil, volunteers.ErrNotFound
	}
	if lock != "" {
		// The counts are aggregates, which FOR UPDATE cannot lock: take
		// the team's row first, then read it whole.
		var one int
		err := q.QueryRow(ctx, `SELECT 1 FROM volunteer_teams WHERE id = $1 FOR UPDATE`, id).Scan(&one)
		if pgdb.IsNoRows(err) {
			return nil, volunteers.ErrNotFound
		}
		if err != nil {
			return nil, err
		}
	}
	t, err := scanTeam(q.QueryRow(ctx, `SELECT `+teamColumns+` FROM volunteer_teams t WHERE t.id = $1`, id))
	if pgdb.IsNoRows(err) {
		return nil, volunteers.ErrNotFound
	}
	return t, err
}

// Get implements volunteers.Store.
func (s TeamStore) Get(ctx context.Context, id string) (*volunteers.Team, error) {
	return getTeam(ctx, s.pool, id, "")
}

// Lock implements volunteers.Tx.
func (t teamTx) Lock(ctx context.Context, id string) (*volunteers.Team, error) {
	return getTeam(ctx, t.tx, id, "lock")
}

// List implements volunteers.Store: name order, keyset pages.
func (s TeamStore) List(ctx context.Context, f volunteers.Filter) ([]*volunteers.Team, string, error) {
	after, err := page.After(f.PageToken, nameKey{})
	if err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	if f.CommunityID != "" {
		w.Add(`t.community_id = ?`, f.CommunityID)
	}
	if f.UnitID != "" {
		w.Add(`t.unit_id = ?`, f.UnitID)
	}
	if f.AncestorID != "" {
		inSubtree(&w, "t.community_id", f.AncestorID)
	}
	if f.Kind != "" {
		w.Add(`t.kind = ?`, string(f.Kind))
	}
	if after.ID != "" {
		w.Add(`(t.name, t.id) > (?, ?::uuid)`, after.Name, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+teamColumns+` FROM volunteer_teams t WHERE `+w.SQL()+
		` ORDER BY t.name, t.id LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*volunteers.Team, error) { return scanTeam(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(t *volunteers.Team) any { return nameKey{t.Name, t.ID} })
	return list, next, nil
}

// Insert implements volunteers.Tx.
func (t teamTx) Insert(ctx context.Context, tm *volunteers.Team) error {
	leader, err := json.Marshal(tm.Leader)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO volunteer_teams (id, name, kind, community_id, unit_id, district_id, leader,
		description, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		tm.ID, tm.Name, string(tm.Kind), tm.CommunityID, nullable(tm.UnitID), nullable(tm.DistrictID), leader,
		tm.Description, tm.CreatedBy, tm.Created)
	return err
}

// Save implements volunteers.Tx: what an update changes.
func (t teamTx) Save(ctx context.Context, tm *volunteers.Team) error {
	leader, err := json.Marshal(tm.Leader)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE volunteer_teams SET name = $2, kind = $3, leader = $4, description = $5 WHERE id = $1`,
		tm.ID, tm.Name, string(tm.Kind), leader, tm.Description)
	return err
}

// volunteerColumns end with the hours the volunteer gave.
const volunteerColumns = `v.id::text, v.team_id::text, coalesce(v.member_id::text, ''), v.name, v.skills, v.joined_at, v.left_at,
	(SELECT coalesce(sum(s.hours), 0) FROM volunteer_services s WHERE s.volunteer_ids @> ARRAY[v.id])`

func scanVolunteer(row pgx.Row) (*volunteers.Volunteer, error) {
	var (
		v    volunteers.Volunteer
		left *time.Time
	)
	err := row.Scan(&v.ID, &v.TeamID, &v.MemberID, &v.Name, &v.Skills, &v.Joined, &left, &v.ServiceHours)
	v.Joined, v.Left = v.Joined.UTC(), dateOrZero(left)
	return &v, err
}

// CurrentMembers implements volunteers.Tx.
func (t teamTx) CurrentMembers(ctx context.Context, teamID string) ([]string, error) {
	rows, err := t.tx.Query(ctx, `SELECT member_id::text FROM volunteers WHERE team_id = $1 AND left_at IS NULL AND member_id IS NOT NULL`, teamID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// CurrentVolunteers implements volunteers.Tx.
func (t teamTx) CurrentVolunteers(ctx context.Context, teamID string, ids []string) ([]*volunteers.Volunteer, error) {
	var valid []string
	for _, id := range ids {
		if cobuild.ValidID(id) {
			valid = append(valid, id)
		}
	}
	rows, err := t.tx.Query(ctx, `SELECT `+volunteerColumns+` FROM volunteers v
		WHERE v.team_id = $1 AND v.left_at IS NULL AND v.id = ANY($2::uuid[]) FOR UPDATE OF v`, teamID, valid)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*volunteers.Volunteer, error) { return scanVolunteer(r) })
}

// InsertVolunteers implements volunteers.Tx, in one statement.
func (t teamTx) InsertVolunteers(ctx context.Context, vs []*volunteers.Volunteer) error {
	rows := make([][]any, len(vs))
	for i, v := range vs {
		rows[i] = []any{v.ID, v.TeamID, nullable(v.MemberID), v.Name, v.Skills, v.Joined}
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"volunteers"}, []string{"id", "team_id", "member_id", "name", "skills", "joined_at"},
		pgx.CopyFromRows(rows))
	if pgdb.IsUniqueViolation(err, "volunteers_member_once") {
		return errs.Field(volunteers.ErrAlreadyVolunteer, "volunteers", "a party member is already in the team")
	}
	return err
}

// SaveVolunteer implements volunteers.Tx: what changes is their leaving.
func (t teamTx) SaveVolunteer(ctx context.Context, v *volunteers.Volunteer) error {
	_, err := t.tx.Exec(ctx, `UPDATE volunteers SET left_at = $2 WHERE id = $1`, v.ID, nullableTime(v.Left))
	return err
}

// joinKey is where a page of volunteers ends.
type joinKey struct {
	Joined time.Time
	ID     string
}

// Valid implements page.Key.
func (k joinKey) Valid() bool { return page.ID(k.ID) }

// Volunteers implements volunteers.Store: the current volunteers in the
// order they joined.
func (s TeamStore) Volunteers(ctx context.Context, teamID string, pageSize int, token string) ([]*volunteers.Volunteer, string, error) {
	after, err := page.After(token, joinKey{})
	if err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	w.Add(`v.team_id = ? AND v.left_at IS NULL`, teamID)
	if after.ID != "" {
		w.Add(`(v.joined_at, v.id) > (?, ?::uuid)`, after.Joined, after.ID)
	}
	size := page.Size(pageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+volunteerColumns+` FROM volunteers v WHERE `+w.SQL()+
		` ORDER BY v.joined_at, v.id LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*volunteers.Volunteer, error) { return scanVolunteer(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(v *volunteers.Volunteer) any { return joinKey{v.Joined, v.ID} })
	return list, next, nil
}

const serviceColumns = `id::text, team_id::text, date, title, volunteer_ids::text[], member_ids::text[], hours, served,
	recorded_by, created_at`

func scanService(row pgx.Row) (*volunteers.Service, error) {
	var sv volunteers.Service
	err := row.Scan(&sv.ID, &sv.TeamID, &sv.Date, &sv.Title, &sv.VolunteerIDs, &sv.MemberIDs, &sv.Hours, &sv.Served,
		&sv.RecordedBy, &sv.Created)
	sv.Created = sv.Created.UTC()
	return &sv, err
}

// GetService implements volunteers.Tx.
func (t teamTx) GetService(ctx context.Context, id string) (*volunteers.Service, error) {
	sv, err := scanService(t.tx.QueryRow(ctx, `SELECT `+serviceColumns+` FROM volunteer_services WHERE id = $1`, id))
	if pgdb.IsNoRows(err) {
		return nil, volunteers.ErrNotFound
	}
	return sv, err
}

// dayKey is where a page of a list latest first ends.
type dayKey struct {
	Date time.Time
	ID   string
}

// Valid implements page.Key.
func (k dayKey) Valid() bool { return page.ID(k.ID) }

// Services implements volunteers.Store: latest first.
func (s TeamStore) Services(ctx context.Context, teamID string, pageSize int, token string) ([]*volunteers.Service, string, error) {
	after, err := page.After(token, dayKey{})
	if err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	w.Add(`team_id = ?`, teamID)
	if after.ID != "" {
		w.Add(`(date, id) < (?, ?::uuid)`, after.Date, after.ID)
	}
	size := page.Size(pageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+serviceColumns+` FROM volunteer_services WHERE `+w.SQL()+
		` ORDER BY date DESC, id DESC LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*volunteers.Service, error) { return scanService(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(sv *volunteers.Service) any { return dayKey{sv.Date, sv.ID} })
	return list, next, nil
}

// InsertService implements volunteers.Tx.
func (t teamTx) InsertService(ctx context.Context, sv *volunteers.Service) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO volunteer_services (id, team_id, date, title, volunteer_ids, member_ids, hours, served,
		recorded_by, created_at) VALUES ($1, $2, $3, $4, $5::uuid[], $6::uuid[], $7, $8, $9, $10)`,
		sv.ID, sv.TeamID, sv.Date, sv.Title, ids(sv.VolunteerIDs), ids(sv.MemberIDs), sv.Hours, sv.Served, sv.RecordedBy, sv.Created)
	return err
}

// TeamSides are a team's community and unit ("" for a community's team).
func (s *Store) TeamSides(ctx context.Context, id string) (community, unit string, err error) {
	err = s.lookup(ctx, id, `SELECT community_id::text, coalesce(unit_id::text, '') FROM volunteer_teams WHERE id = $1`, &community, &unit)
	return community, unit, err
}
