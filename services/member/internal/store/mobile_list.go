package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/mobile"
)

const groupColumns = `id::text, name, home_organisation_id::text, place, coalesce(destination_organisation_id::text, ''),
	leader_member_id::text, coalesce(host_organisation_id::text, ''), version, created_at, updated_at`

func getGroup(ctx context.Context, q rowsQuerier, id string, lock bool) (*mobile.Group, error) {
	if uuid.Validate(id) != nil {
		return nil, mobile.ErrGroupNotFound
	}
	sql := `SELECT ` + groupColumns + ` FROM mobile_groups WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	var g mobile.Group
	err := q.QueryRow(ctx, sql, id).Scan(&g.ID, &g.Name, &g.HomeOrgID, &g.Place, &g.DestinationOrgID, &g.LeaderID,
		&g.HostOrgID, &g.Version, &g.Created, &g.Updated)
	if err != nil {
		return nil, interpretError(err, mobile.ErrGroupNotFound)
	}
	g.Created, g.Updated = g.Created.UTC(), g.Updated.UTC()
	rows, err := q.Query(ctx, `SELECT id::text FROM mobile_records WHERE group_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	g.RecordIDs, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return &g, err
}

func groupRecords(ctx context.Context, q rowsQuerier, groupID string, lock bool) ([]*mobile.Record, error) {
	sql := `SELECT ` + mobileColumns + ` FROM mobile_records WHERE group_id = $1 ORDER BY id`
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, err := q.Query(ctx, sql, groupID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*mobile.Record, error) { return scanMobile(row) })
}

// GetMobileGroup implements mobile.Store.
func (s *Store) GetMobileGroup(ctx context.Context, id string) (*mobile.Group, []*mobile.Record, error) {
	g, err := getGroup(ctx, s.pool, id, false)
	if err != nil {
		return nil, nil, err
	}
	recs, err := groupRecords(ctx, s.pool, id, false)
	return g, recs, err
}

// InsertMobileGroup implements mobile.Tx.
func (t *txStore) InsertMobileGroup(ctx context.Context, g *mobile.Group) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO mobile_groups (id, name, home_organisation_id, place,
		destination_organisation_id, leader_member_id, host_organisation_id, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)`,
		g.ID, g.Name, g.HomeOrgID, g.Place, nullable(g.DestinationOrgID), g.LeaderID, nullable(g.HostOrgID),
		g.Version, g.Created)
	return interpretError(err, mobile.ErrGroupNotFound)
}

// LockMobileGroup implements mobile.Tx.
func (t *txStore) LockMobileGroup(ctx context.Context, id string) (*mobile.Group, error) {
	g, err := getGroup(ctx, t.tx, id, true)
	if err == nil {
		t.snapshot(g)
	}
	return g, err
}

// SaveMobileGroup implements mobile.Tx.
func (t *txStore) SaveMobileGroup(ctx context.Context, g *mobile.Group) error {
	tag, err := t.tx.Exec(ctx, `UPDATE mobile_groups SET host_organisation_id = $2, version = $3, updated_at = $4
		WHERE id = $1 AND version = $3 - 1`, g.ID, nullable(g.HostOrgID), g.Version, g.Updated)
	if err != nil {
		return interpretError(err, mobile.ErrGroupNotFound)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("mobile group version moved under a row lock")
	}
	return nil
}

// LockGroupRecords implements mobile.Tx.
func (t *txStore) LockGroupRecords(ctx context.Context, groupID string) ([]*mobile.Record, error) {
	recs, err := groupRecords(ctx, t.tx, groupID, true)
	for _, r := range recs {
		t.snapshot(r)
	}
	return recs, err
}

const contactColumns = `id::text, record_id::text, direction, channel, summary, contact_at, actor_subject, actor_role,
	logged_at, coalesce(group_id::text, ''), batch_id::text`

func scanContact(row pgx.CollectableRow) (*mobile.ContactEntry, error) {
	var e mobile.ContactEntry
	err := row.Scan(&e.ID, &e.RecordID, &e.Direction, &e.Channel, &e.Summary, &e.At, &e.ActorSubject, &e.ActorRole,
		&e.Logged, &e.GroupID, &e.BatchID)
	e.At, e.Logged = e.At.UTC(), e.Logged.UTC()
	return &e, err
}

// InsertContact implements mobile.Tx.
func (t *txStore) InsertContact(ctx context.Context, e *mobile.ContactEntry) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO mobile_contacts (id, record_id, direction, channel, summary, contact_at,
		actor_subject, actor_role, logged_at, group_id, batch_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		e.ID, e.RecordID, e.Direction, e.Channel, e.Summary, e.At, e.ActorSubject, e.ActorRole, e.Logged,
		nullable(e.GroupID), e.BatchID)
	return err
}

// ContactsOfBatch implements mobile.Tx.
func (t *txStore) ContactsOfBatch(ctx context.Context, batchID string) ([]*mobile.ContactEntry, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+contactColumns+` FROM mobile_contacts WHERE batch_id = $1 ORDER BY id`, batchID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanContact)
}

// ListContacts implements mobile.Store.
func (s *Store) ListContacts(ctx context.Context, recordID string, p member.Page) ([]*mobile.ContactEntry, string, error) {
	if uuid.Validate(recordID) != nil {
		return nil, "", mobile.ErrMobileNotFound
	}
	var w pgdb.Where
	w.Add(`record_id = ?`, recordID)
	if p.Token != "" {
		k, err := page.After(p.Token, loggedKey{})
		if err != nil {
			return nil, "", err
		}
		w.Add(`(logged_at, id) > (?, ?::uuid)`, k.Logged, k.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+contactColumns+` FROM mobile_contacts WHERE `+w.SQL()+
		` ORDER BY logged_at, id LIMIT `+w.Arg(p.Size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, scanContact)
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, p.Size, func(e *mobile.ContactEntry) any { return loggedKey{Logged: e.Logged, ID: e.ID} })
	return list, next, nil
}

// sideWithin is the condition that a side of a record lies in the subtree
// of the organisation given as the next parameter.
const sideWithin = `EXISTS (SELECT 1 FROM orgs o, orgs r WHERE o.id IN (home_organisation_id, destination_organisation_id,
	host_organisation_id, temporary_organisation_id) AND r.id = ? AND o.path >= r.path AND o.path < r.path || '~')`

// ListMobile implements mobile.Store.
func (s *Store) ListMobile(ctx context.Context, f mobile.Filter) ([]*mobile.Record, string, error) {
	var w pgdb.Where
	for _, id := range []string{f.OrganisationID, f.MemberID, f.GroupID, f.WithinID} {
		if id != "" && uuid.Validate(id) != nil {
			return nil, "", nil
		}
	}
	if f.OrganisationID != "" {
		w.Add(sideWithin, f.OrganisationID)
	}
	if f.WithinID != "" {
		w.Add(sideWithin, f.WithinID)
	}
	if f.MemberID != "" {
		w.Add(`member_id = ?`, f.MemberID)
	}
	if f.GroupID != "" {
		w.Add(`group_id = ?`, f.GroupID)
	}
	if f.Direction != "" {
		w.Add(`direction = ?`, f.Direction)
	}
	if f.OpenOnly {
		w.Add(`state <> 'ENDED'`)
	}
	if !f.OverdueAt.IsZero() {
		w.Add(`state <> 'ENDED' AND contact_due_at < ?`, f.OverdueAt)
	}
	if f.Page.Token != "" {
		k, err := page.After(f.Page.Token, idKey{})
		if err != nil {
			return nil, "", err
		}
		w.Add(`id > ?::uuid`, k.ID)
	}
	sql := `SELECT ` + mobileColumns + ` FROM mobile_records WHERE ` + w.SQL() + ` ORDER BY id LIMIT ` + w.Arg(f.Page.Size+1)
	rows, err := s.pool.Query(ctx, sql, w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*mobile.Record, error) { return scanMobile(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, f.Page.Size, func(r *mobile.Record) any { return idKey{ID: r.ID} })
	return list, next, nil
}
