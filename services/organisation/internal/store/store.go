// Package store keeps the organisation domain in PostgreSQL (schema
// "organisation"), with pgx. It implements org.Store and org.Tx; every
// write transaction also writes its events to the outbox.
package store

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/requestid"
	"gongjian.dev/services/organisation/internal/org"
)

// Schema is the PostgreSQL schema the service owns.
const Schema = "organisation"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the service's own migrations; run them after outbox.Migrations.
var Migrations = pgdb.Embedded("organisation", migrationFiles, "migrations")

// AllMigrations are every migration set the service's schema needs, in order.
var AllMigrations = []pgdb.MigrationSet{outbox.Migrations, audit.Migrations, Migrations, AttendanceMigrations}

// Store implements org.Store over a pool.
type Store struct{ pool *pgxpool.Pool }

// New returns a Store over pool (whose search_path is the service schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Pool is the store's connection pool, for the audit trail's reader.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// InTx runs fn in one transaction, which sends the writes it deferred
// before it commits; its events wake the relay once it has committed
// (outbox.InTx).
func (s *Store) InTx(ctx context.Context, fn func(org.Tx) error) error {
	return outbox.InTx(ctx, s.pool, func(tx pgx.Tx) (bool, error) {
		t, err := runTx(ctx, tx, fn, false)
		return t.wrote, err
	})
}

// runTx runs fn with the store over tx, then sends what it deferred; with
// notify, the relay is woken when tx commits (a transaction committed by
// its caller).
func runTx(ctx context.Context, tx pgx.Tx, fn func(org.Tx) error, notify bool) (*txStore, error) {
	t := &txStore{tx: tx, before: audit.Befores{}, batch: &pgx.Batch{}, notify: notify}
	if err := fn(t); err != nil {
		return t, err
	}
	// A transaction of the store's own (its caller does not commit it, so
	// it asks for no NOTIFY) ends here: its COMMIT goes with the batch.
	return t, t.flush(ctx, !notify)
}

// txStore implements org.Tx.
type txStore struct {
	tx pgx.Tx
	// before keeps, by subject, what each row locked in this transaction
	// looked like when it was locked: the "before" of its audit record.
	before audit.Befores
	// batch holds the writes nothing in the transaction reads back — a
	// new organisation's row and first version, the request id that made
	// it, the outbox rows and audit records of the events — sent in one
	// round trip when the transaction ends (flush); events counts the
	// outbox rows, which ask for the relay to be woken.
	batch  *pgx.Batch
	events int
	// notify asks PostgreSQL to wake the relay at the commit, for a
	// transaction committed elsewhere; wrote says that outbox rows were
	// sent, for the store that commits to wake it after.
	notify, wrote bool
}

// flush sends the deferred writes in one round trip, with the COMMIT when
// final (pgdb.SendAndCommit). A request id another call committed
// meanwhile is requestid.ErrInFlight, as Remember says.
func (t *txStore) flush(ctx context.Context, final bool) error {
	if t.batch.Len() == 0 {
		return nil
	}
	if t.events > 0 && t.notify {
		outbox.QueueNotify(t.batch)
	}
	t.wrote = t.wrote || t.events > 0
	var err error
	if final {
		err = pgdb.SendAndCommit(ctx, t.tx, t.batch)
	} else {
		err = t.tx.SendBatch(ctx, t.batch).Close()
	}
	t.batch, t.events = &pgx.Batch{}, 0
	if pgdb.IsUniqueViolation(err, "requests_pkey") {
		return requestid.ErrInFlight
	}
	return interpretError(err, org.ErrNotFound)
}

// deferred is the transaction for the writes of code made for one
// statement at a time (audit.Write, requestid.Remember): they are queued
// in the batch.
func (t *txStore) deferred() pgx.Tx { return pgdb.Queued(t.tx, t.batch) }

// querier is what reads need: a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// interpretError turns the database's answers into domain errors.
func interpretError(err error, notFound *errs.Error) error {
	switch {
	case err == nil:
		return nil
	case pgdb.IsNoRows(err):
		return notFound
	case pgdb.IsUniqueViolation(err, "organisations_live_code"):
		return errs.Field(org.ErrCodeTaken, "organisation.code", "another live organisation has this code")
	case pgdb.IsUniqueViolation(err, "organisations_one_city"):
		return errs.Field(org.ErrCityExists, "organisation.kind", "the city committee is the one root of the tree")
	case pgdb.IsUniqueViolation(err, "demonstration_sites_community_id_key"):
		return org.ErrSiteExists
	}
	return err
}

const orgColumns = `o.id::text, coalesce(o.parent_id::text, ''), o.kind, o.name, coalesce(o.code, ''), o.path,
	o.depth, coalesce(o.district_id::text, ''), o.state, o.details, o.leadership, o.dissolve_reason,
	o.version, o.created_at, o.updated_at, o.dissolved_at, coalesce(mc.member_count, 0)`

const orgFrom = ` FROM organisations o LEFT JOIN member_counts mc ON mc.organisation_id = o.id `

func scanOrg(row pgx.Row) (*org.Organisation, error) {
	var (
		o          org.Organisation
		path       string
		details    []byte
		leadership []byte
		dissolved  *time.Time
	)
	err := row.Scan(&o.ID, &o.ParentID, &o.Kind, &o.Name, &o.Code, &path, &o.Depth, &o.DistrictID,
		&o.State, &details, &leadership, &o.DissolveReason, &o.Version, &o.Created, &o.Updated, &dissolved, &o.MemberCount)
	if err != nil {
		return nil, err
	}
	if dissolved != nil {
		o.DissolvedAt = dissolved.UTC()
	}
	o.Created, o.Updated = o.Created.UTC(), o.Updated.UTC()
	o.AncestorIDs = ancestors(path)
	if err := json.Unmarshal(details, &o.Details); err != nil {
		return nil, fmt.Errorf("organisation %s details: %w", o.ID, err)
	}
	if err := json.Unmarshal(leadership, &o.Leadership); err != nil {
		return nil, fmt.Errorf("organisation %s leadership: %w", o.ID, err)
	}
	return &o, nil
}

// pathOf is the materialised path of an organisation: '/<city>/…/<id>/'.
func pathOf(o *org.Organisation) string {
	return "/" + strings.Join(append(append([]string(nil), o.AncestorIDs...), o.ID), "/") + "/"
}

func ancestors(path string) []string {
	ids := strings.Split(strings.Trim(path, "/"), "/")
	return ids[:len(ids)-1]
}

// subtreeEnd bounds a path prefix range: every path in the subtree of p is
// >= p and < p+"~", since ids use only [0-9a-f-] and '~' sorts after them.
// Unlike LIKE p||'%', the range uses the index when p is a parameter or a
// column of another row.
func subtreeEnd(p string) string { return p + "~" }

func getOrg(ctx context.Context, q querier, id string, lock bool) (*org.Organisation, error) {
	if uuid.Validate(id) != nil {
		// Not an id this service issued; PostgreSQL would refuse to compare it.
		return nil, org.ErrNotFound
	}
	sql := `SELECT ` + orgColumns + orgFrom + `WHERE o.id = $1`
	if lock {
		sql += ` FOR UPDATE OF o`
	}
	o, err := scanOrg(q.QueryRow(ctx, sql, id))
	return o, interpretError(err, org.ErrNotFound)
}

// Get implements org.Store.
func (s *Store) Get(ctx context.Context, id string) (*org.Organisation, error) {
	return getOrg(ctx, s.pool, id, false)
}

// Lock implements org.Tx.
func (t *txStore) Lock(ctx context.Context, id string) (*org.Organisation, error) {
	o, err := getOrg(ctx, t.tx, id, true)
	if err == nil {
		t.snapshot(o)
	}
	return o, err
}

// treeLockKey is the advisory lock that serialises moves against creations.
const treeLockKey = 0x6f7267747265 // "orgtre"

// LockTree implements org.Tx.
func (t *txStore) LockTree(ctx context.Context, exclusive bool) error {
	sql := `SELECT pg_advisory_xact_lock_shared($1)`
	if exclusive {
		sql = `SELECT pg_advisory_xact_lock($1)`
	}
	_, err := t.tx.Exec(ctx, sql, int64(treeLockKey))
	return err
}

// CityExists implements org.Tx.
func (t *txStore) CityExists(ctx context.Context) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organisations WHERE kind = 'CITY')`).Scan(&ok)
	return ok, err
}

// LiveChildren implements org.Tx.
func (t *txStore) LiveChildren(ctx context.Context, id string) (int64, error) {
	var n int64
	err := t.tx.QueryRow(ctx, `SELECT count(*) FROM organisations WHERE parent_id = $1 AND state = 'ACTIVE'`, id).Scan(&n)
	return n, err
}

// snapshot is what the history keeps of each version.
type snapshot struct {
	ParentID       string      `json:"parent_id,omitempty"`
	Kind           org.Kind    `json:"kind"`
	Name           string      `json:"name"`
	Code           string      `json:"code,omitempty"`
	State          org.State   `json:"state"`
	Details        org.Details `json:"details"`
	Leadership     []org.Cadre `json:"leadership,omitempty"`
	DissolveReason string      `json:"dissolve_reason,omitempty"`
	Created        time.Time   `json:"created"`
	DissolvedAt    time.Time   `json:"dissolved_at,omitzero"`
}

func snapshotOf(o *org.Organisation) snapshot {
	return snapshot{ParentID: o.ParentID, Kind: o.Kind, Name: o.Name, Code: o.Code, State: o.State,
		Details: o.Details, Leadership: o.Leadership, DissolveReason: o.DissolveReason,
		Created: o.Created, DissolvedAt: o.DissolvedAt}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Insert implements org.Tx: the row and its first version, deferred to
// the end of the transaction (nothing in it reads them back; a code
// already taken is answered then).
func (t *txStore) Insert(ctx context.Context, o *org.Organisation) error {
	details, leadership, err := marshalParts(o)
	if err != nil {
		return err
	}
	snap, err := json.Marshal(snapshotOf(o))
	if err != nil {
		return err
	}
	t.batch.Queue(`INSERT INTO organisations (id, parent_id, kind, name, code, path, depth, district_id,
		state, details, leadership, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)`,
		o.ID, nullable(o.ParentID), o.Kind, o.Name, nullable(o.Code), pathOf(o), o.Depth, nullable(o.DistrictID),
		o.State, details, leadership, o.Version, o.Created)
	t.batch.Queue(`INSERT INTO organisation_versions (organisation_id, version, change, valid_from, snapshot)
		VALUES ($1, $2, $3, $4, $5)`, o.ID, o.Version, org.ChangeCreated, o.Updated, snap)
	return nil
}

func marshalParts(o *org.Organisation) ([]byte, []byte, error) {
	details, err := json.Marshal(o.Details)
	if err != nil {
		return nil, nil, err
	}
	team := o.Leadership
	if team == nil {
		team = []org.Cadre{}
	}
	leadership, err := json.Marshal(team)
	return details, leadership, err
}

// Save implements org.Tx.
func (t *txStore) Save(ctx context.Context, o *org.Organisation, change string) error {
	details, leadership, err := marshalParts(o)
	if err != nil {
		return err
	}
	tag, err := t.tx.Exec(ctx, `UPDATE organisations SET parent_id = $2, name = $3, code = $4, path = $5, depth = $6,
		district_id = $7, state = $8, details = $9, leadership = $10, dissolve_reason = $11, dissolved_at = $12,
		version = $13, updated_at = $14
		WHERE id = $1 AND version = $13 - 1`,
		o.ID, nullable(o.ParentID), o.Name, nullable(o.Code), pathOf(o), o.Depth, nullable(o.DistrictID), o.State,
		details, leadership, o.DissolveReason, nullTime(o.DissolvedAt), o.Version, o.Updated)
	if err != nil {
		return interpretError(err, org.ErrNotFound)
	}
	if tag.RowsAffected() != 1 {
		return errors.New("organisation version moved under a row lock")
	}
	return t.addVersion(ctx, o, change)
}

// addVersion closes the open version, if any, and opens the new one.
func (t *txStore) addVersion(ctx context.Context, o *org.Organisation, change string) error {
	snap, err := json.Marshal(snapshotOf(o))
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE organisation_versions SET valid_to = $2 WHERE organisation_id = $1 AND valid_to IS NULL`, o.ID, o.Updated)
	b.Queue(`INSERT INTO organisation_versions (organisation_id, version, change, valid_from, snapshot)
		VALUES ($1, $2, $3, $4, $5)`, o.ID, o.Version, change, o.Updated, snap)
	return t.tx.SendBatch(ctx, b).Close()
}

// MoveSubtree implements org.Tx. o already carries its new position.
func (t *txStore) MoveSubtree(ctx context.Context, o, newParent *org.Organisation) (int64, error) {
	var oldPath string
	var oldDepth int
	if err := t.tx.QueryRow(ctx, `SELECT path, depth FROM organisations WHERE id = $1`, o.ID).Scan(&oldPath, &oldDepth); err != nil {
		return 0, interpretError(err, org.ErrNotFound)
	}
	tag, err := t.tx.Exec(ctx, `UPDATE organisations
		SET path = $3 || substr(path, length($1) + 1), depth = depth + $4, district_id = $5
		WHERE path > $1 AND path < $2`,
		oldPath, subtreeEnd(oldPath), pathOf(o), o.Depth-oldDepth, nullable(o.DistrictOf()))
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// SetMemberCount implements org.Tx.
func (t *txStore) SetMemberCount(ctx context.Context, id string, count int64, at time.Time) (bool, error) {
	tag, err := t.tx.Exec(ctx, `INSERT INTO member_counts (organisation_id, member_count, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (organisation_id) DO UPDATE SET member_count = EXCLUDED.member_count, updated_at = EXCLUDED.updated_at
		WHERE member_counts.updated_at <= EXCLUDED.updated_at`,
		id, count, at)
	return tag.RowsAffected() == 1, err
}

// Bound is the store working inside a transaction opened elsewhere (an
// event consumer's, which also records the event as applied): InTx runs
// in that transaction.
func (s *Store) Bound(tx pgx.Tx) *BoundStore { return &BoundStore{Store: s, tx: tx} }

// BoundStore is a Store whose transactions are one given transaction.
type BoundStore struct {
	*Store
	tx pgx.Tx
}

// InTx implements org.Store within the bound transaction.
func (b *BoundStore) InTx(ctx context.Context, fn func(org.Tx) error) error {
	_, err := runTx(ctx, b.tx, fn, true)
	return err
}

// RequestSeen implements org.Tx.
func (t *txStore) RequestSeen(ctx context.Context, requestID string) (string, bool, error) {
	return requestid.Seen(ctx, t.tx, requestID)
}

// RememberRequest implements org.Tx.
func (t *txStore) RememberRequest(ctx context.Context, requestID, resourceID string) error {
	return requestid.Remember(ctx, t.deferred(), requestID, resourceID)
}
