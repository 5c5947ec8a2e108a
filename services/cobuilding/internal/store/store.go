// Package store keeps the co-building service's records in PostgreSQL
// (schema "cobuilding"), with pgx. It implements the store of each domain
// package (Units(), Agreements(), …); every write transaction also writes
// its events to the outbox and the audit record of each change a caller
// made, both built in one place (emit.go).
package store

import (
	"context"
	"embed"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/requestid"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Schema is the PostgreSQL schema the service owns.
const Schema = "cobuilding"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the service's own migrations.
var Migrations = pgdb.Embedded("cobuilding", migrationFiles, "migrations")

//go:embed migrations/venues/*.sql
var venueFiles embed.FS

// VenueMigrations are the tables of shared venues, their bookings, the
// official calendar and the volunteer teams: a set of their own, numbered
// on its own, so that parts added beside them never compete for a number.
var VenueMigrations = pgdb.Embedded("cobuilding_venues", venueFiles, "migrations/venues")

//go:embed migrations/requests/*.sql
var requestFiles embed.FS

// RequestMigrations are the tables of residents' requests, the two-way
// evaluation and balancing proposals.
var RequestMigrations = pgdb.Embedded("cobuilding_requests", requestFiles, "migrations/requests")

// AllMigrations are every migration set the service's schema needs, in
// order: the outbox and inbox, the audit trail, the view of the
// organisation tree, then the service's own tables.
var AllMigrations = []pgdb.MigrationSet{outbox.Migrations, audit.Migrations, orgview.Migrations, Migrations,
	VenueMigrations, RequestMigrations}

// Store is the service's database.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// Tree answers whether an organisation lies in a subtree, from the
	// local view of the organisation tree.
	orgview.Tree
}

// New returns a Store over pool (whose search_path is the service schema)
// that dates its events by now.
func New(pool *pgxpool.Pool, now func() time.Time) *Store {
	return &Store{pool: pool, now: now, Tree: orgview.Tree{Pool: pool}}
}

// Pool is the store's pool, for the audit trail's reads.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// txStore is one write transaction: its statements, the events to write
// to the outbox when it ends, and the writes nothing in it reads back
// (audit records), sent with them.
type txStore struct {
	tx     pgx.Tx
	now    func() time.Time
	events []outbox.Event
	batch  *pgx.Batch
}

// inTx runs fn in a transaction, then sends the outbox rows of its events
// and its audit records in one round trip with its COMMIT
// (pgdb.SendAndCommit), and wakes the relay once it has committed
// (outbox.InTx): no notification inside the transaction, which would make
// the commits that carry one wait for each other.
func (s *Store) inTx(ctx context.Context, fn func(*txStore) error) error {
	return outbox.InTx(ctx, s.pool, func(tx pgx.Tx) (bool, error) {
		t := &txStore{tx: tx, now: s.now, batch: &pgx.Batch{}}
		if err := fn(t); err != nil {
			return false, err
		}
		if err := outbox.Queue(ctx, t.batch, t.events...); err != nil {
			return false, err
		}
		if t.batch.Len() == 0 {
			return false, nil
		}
		return len(t.events) > 0, pgdb.SendAndCommit(ctx, tx, t.batch)
	})
}

// deferred is the transaction for writes that nothing in it reads back:
// they are queued and sent with the outbox rows when it ends.
func (t *txStore) deferred() pgx.Tx { return pgdb.Queued(t.tx, t.batch) }

// RequestSeen implements cobuild.Tx.
func (t *txStore) RequestSeen(ctx context.Context, requestID string) (string, bool, error) {
	return requestid.Seen(ctx, t.tx, requestID)
}

// RememberRequest implements cobuild.Tx.
func (t *txStore) RememberRequest(ctx context.Context, requestID, resourceID string) error {
	return requestid.Remember(ctx, t.tx, requestID, resourceID)
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Place implements cobuild.Places from the view of the tree.
func (s *Store) Place(ctx context.Context, id string) (cobuild.Place, error) {
	if !cobuild.ValidID(id) {
		return cobuild.Place{}, cobuild.ErrNoPlace
	}
	p := cobuild.Place{ID: id}
	var state, path string
	err := s.pool.QueryRow(ctx, `SELECT kind, state, name, coalesce(district_id::text, ''), path FROM orgs WHERE id = $1`, id).
		Scan(&p.Kind, &state, &p.Name, &p.DistrictID, &path)
	if pgdb.IsNoRows(err) {
		return cobuild.Place{}, cobuild.ErrNoPlace
	}
	p.Active = state == "ACTIVE"
	if parts := strings.Split(strings.Trim(path, "/"), "/"); len(parts) > 1 {
		p.ParentID = parts[len(parts)-2]
	}
	return p, err
}

// Settings implements cobuild.SettingsReader.
func (s *Store) Settings(ctx context.Context, districtID string) (cobuild.Settings, error) {
	return settingsOf(ctx, s.pool, districtID)
}

func settingsOf(ctx context.Context, q querier, districtID string) (cobuild.Settings, error) {
	st := cobuild.DefaultSettings
	st.DistrictID = districtID
	if !cobuild.ValidID(districtID) {
		return st, nil
	}
	err := q.QueryRow(ctx, `SELECT report_due_day, community_meeting_months, county_meeting_months
		FROM district_settings WHERE district_id = $1`, districtID).
		Scan(&st.ReportDueDay, &st.CommunityMeetingMonths, &st.CountyMeetingMonths)
	if pgdb.IsNoRows(err) {
		return st, nil
	}
	st.Inherited = false
	return st, err
}

// inSubtree restricts col (an organisation id) to the subtree of
// ancestorID in the view of the tree.
func inSubtree(w *pgdb.Where, col, ancestorID string) {
	w.Add(col+` IN (SELECT o.id FROM orgs o, orgs r WHERE r.id = ? AND o.path >= r.path AND o.path < r.path || '~')`, ancestorID)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullableTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func dateOrZero(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// rowByID reads the row of table whose id is id (locked FOR UPDATE when
// lock) with columns, scanned by scan; notFound when id is not an id or no
// row has it.
func rowByID[T any](ctx context.Context, q querier, columns, table, id string, lock bool,
	scan func(pgx.Row) (*T, error), notFound error) (*T, error) {
	if !cobuild.ValidID(id) {
		return nil, notFound
	}
	sql := `SELECT ` + columns + ` FROM ` + table + ` WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	v, err := scan(q.QueryRow(ctx, sql, id))
	if pgdb.IsNoRows(err) {
		return nil, notFound
	}
	return v, err
}
