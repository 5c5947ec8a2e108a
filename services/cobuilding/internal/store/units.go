package store

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/units"
)

// UnitStore implements units.Store.
type UnitStore struct{ *Store }

// Units is the store of the units domain.
func (s *Store) Units() UnitStore { return UnitStore{s} }

// unitTx implements units.Tx.
type unitTx struct{ *txStore }

// InTx implements units.Store.
func (s UnitStore) InTx(ctx context.Context, fn func(units.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(unitTx{t}) })
}

// unitColumns end with the unit's in-service members, counted from the
// registrations of members whose relationship sits in its party
// organisation's subtree.
const unitColumns = `id::text, name, type, community_id::text, coalesce(street_id::text, ''), coalesce(district_id::text, ''),
	address, contacts, head_count, party_member_count, coalesce(party_organisation_id::text, ''),
	(SELECT count(DISTINCT r.member_id) FROM in_service_registrations r, orgs o, orgs p
		WHERE p.id = resident_units.party_organisation_id AND o.id = r.member_organisation_id AND NOT r.ended
			AND o.path >= p.path AND o.path < p.path || '~')::int,
	version, created_at, updated_at`

func scanUnit(row pgx.Row) (*units.Unit, error) {
	var (
		u        units.Unit
		contacts []byte
	)
	err := row.Scan(&u.ID, &u.Name, &u.Type, &u.CommunityID, &u.StreetID, &u.DistrictID, &u.Address, &contacts,
		&u.HeadCount, &u.PartyMemberCount, &u.PartyOrganisationID, &u.InServiceMembers, &u.Version, &u.Created, &u.Updated)
	if err != nil {
		return nil, err
	}
	u.Created, u.Updated = u.Created.UTC(), u.Updated.UTC()
	return &u, json.Unmarshal(contacts, &u.Contacts)
}

func getUnit(ctx context.Context, q querier, id string, lock bool) (*units.Unit, error) {
	return rowByID(ctx, q, unitColumns, "resident_units", id, lock, scanUnit, units.ErrNotFound)
}

// Get implements units.Store.
func (s UnitStore) Get(ctx context.Context, id string) (*units.Unit, error) {
	return getUnit(ctx, s.pool, id, false)
}

// unitKey is where a page of units ends.
type unitKey struct{ Name, ID string }

// List implements units.Store: name order, keyset pages.
func (s UnitStore) List(ctx context.Context, f units.Filter) ([]*units.Unit, string, error) {
	var after unitKey
	if err := page.Decode(f.PageToken, &after); err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	if f.CommunityID != "" {
		w.Add(`community_id = ?`, f.CommunityID)
	}
	if f.AncestorID != "" {
		inSubtree(&w, "community_id", f.AncestorID)
	}
	if f.UnitID != "" {
		w.Add(`id = ?`, f.UnitID)
	}
	if f.Type != "" {
		w.Add(`type = ?`, string(f.Type))
	}
	if f.GapOnly {
		w.Add(`party_member_count > 0 AND party_organisation_id IS NULL`)
	}
	if after.ID != "" {
		w.Add(`(name, id) > (?, ?::uuid)`, after.Name, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+unitColumns+` FROM resident_units WHERE `+w.SQL()+
		` ORDER BY name, id LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*units.Unit, error) { return scanUnit(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(u *units.Unit) any { return unitKey{u.Name, u.ID} })
	return list, next, nil
}

// Lock implements units.Tx.
func (t unitTx) Lock(ctx context.Context, id string) (*units.Unit, error) {
	return getUnit(ctx, t.tx, id, true)
}

func unitArgs(u *units.Unit) ([]any, error) {
	contacts, err := json.Marshal(u.Contacts)
	if err != nil {
		return nil, err
	}
	if u.Contacts == nil {
		contacts = []byte("[]")
	}
	return []any{u.ID, u.Name, string(u.Type), u.CommunityID, nullable(u.StreetID), nullable(u.DistrictID), u.Address,
		contacts, u.HeadCount, u.PartyMemberCount, nullable(u.PartyOrganisationID), u.Version, u.Created, u.Updated}, nil
}

// Insert implements units.Tx.
func (t unitTx) Insert(ctx context.Context, u *units.Unit) error {
	args, err := unitArgs(u)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO resident_units (id, name, type, community_id, street_id, district_id, address,
		contacts, head_count, party_member_count, party_organisation_id, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, args...)
	return unitError(err)
}

// Save implements units.Tx.
func (t unitTx) Save(ctx context.Context, u *units.Unit) error {
	args, err := unitArgs(u)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE resident_units SET name = $2, type = $3, community_id = $4, street_id = $5,
		district_id = $6, address = $7, contacts = $8, head_count = $9, party_member_count = $10,
		party_organisation_id = $11, version = $12, created_at = $13, updated_at = $14 WHERE id = $1`, args...)
	return unitError(err)
}

func unitError(err error) error {
	if pgdb.IsUniqueViolation(err, "resident_units_party_organisation") {
		return errs.Field(units.ErrPartyOrgTaken, "resident_unit.party_organisation_id", "another unit has this party organisation")
	}
	return err
}

// UnitCommunity is the community where a unit sits.
func (s *Store) UnitCommunity(ctx context.Context, unitID string) (string, error) {
	if !cobuild.ValidID(unitID) {
		return "", errNoUnit
	}
	var c string
	err := s.pool.QueryRow(ctx, `SELECT community_id::text FROM resident_units WHERE id = $1`, unitID).Scan(&c)
	if pgdb.IsNoRows(err) {
		return "", errNoUnit
	}
	return c, err
}

// errNoUnit is a unit that does not exist; each domain store maps it to
// its own sentinel.
var errNoUnit = errors.New("no such resident unit")

// UnitCommunities maps each existing unit of ids to its community.
func (s *Store) UnitCommunities(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	var valid []string
	for _, id := range ids {
		if cobuild.ValidID(id) {
			valid = append(valid, id)
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT id::text, community_id::text FROM resident_units WHERE id = ANY($1::uuid[])`, valid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, c string
		if err := rows.Scan(&id, &c); err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, rows.Err()
}

// MissingUnits returns the ids among ids that are no resident unit.
func (s *Store) MissingUnits(ctx context.Context, ids []string) ([]string, error) {
	found, err := s.UnitCommunities(ctx, ids)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, id := range ids {
		if _, ok := found[id]; !ok {
			missing = append(missing, id)
		}
	}
	return missing, nil
}
