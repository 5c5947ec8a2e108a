// Package store keeps the supervision domain in PostgreSQL (schema
// "supervision"), with pgx: the rules and their findings, the projections
// of the other services' events the rules are evaluated on, inspection
// rounds, rectification items and interviews. Every write transaction also
// writes its events to the outbox and its audit record.
package store

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"hash/fnv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/requestid"
	"gongjian.dev/services/supervision/internal/rules"
)

// Schema is the PostgreSQL schema the service owns.
const Schema = "supervision"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the service's own migrations.
var Migrations = pgdb.Embedded("supervision", migrationFiles, "migrations")

//go:embed assessment/*.sql
var assessmentFiles embed.FS

// AssessmentMigrations are the tables of assessment and commendations, a
// set of their own (tern numbers a set's files without gaps).
var AssessmentMigrations = pgdb.Embedded("supervision_assessment", assessmentFiles, "assessment")

//go:embed migrations_cobuilding/*.sql
var coBuildingMigrationFiles embed.FS

// CoBuildingMigrations are the service's tables and indexes of facts added
// beside its first set (co-building's unit grades, what the sweep's
// queries reach a district's facts by), a set of their own, numbered apart
// from the others.
var CoBuildingMigrations = pgdb.Embedded("supervision_cobuilding", coBuildingMigrationFiles, "migrations_cobuilding")

//go:embed migrations_dashboard/*.sql
var dashboardMigrationFiles embed.FS

// DashboardMigrations are the dashboard's counters rolled up per ancestor,
// a set of their own, numbered apart from the others.
var DashboardMigrations = pgdb.Embedded("supervision_dashboard", dashboardMigrationFiles, "migrations_dashboard")

//go:embed assessment_versions/*.sql
var assessmentVersionFiles embed.FS

// AssessmentVersionMigrations keep every version of a graded result (a
// correction is a new one), a set of their own.
var AssessmentVersionMigrations = pgdb.Embedded("supervision_assessment_versions", assessmentVersionFiles, "assessment_versions")

// AllMigrations are every migration set the service's schema needs, in
// order: the outbox and inbox, the audit trail, the view of the
// organisation tree, then the service's own tables.
var AllMigrations = []pgdb.MigrationSet{outbox.Migrations, audit.Migrations, orgview.Migrations, Migrations,
	AssessmentMigrations, CoBuildingMigrations, AssessmentVersionMigrations, DashboardMigrations}

// Store implements the domain's stores over a pool.
type Store struct {
	pool *pgxpool.Pool
	orgview.Tree
}

// New returns a Store over pool (whose search_path is the service schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, Tree: orgview.Tree{Pool: pool}} }

// Pool is the store's pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// InTx runs fn in one transaction.
func (s *Store) InTx(ctx context.Context, fn func(rules.Tx) error) error {
	return s.ownTx(ctx, func(t *TxStore) error { return fn(t) })
}

// ownTx runs fn in a transaction of the store's own, and wakes the relay
// once it has committed when fn wrote events (outbox.InTx): no
// notification inside it, which would make the commits that carry one
// wait for each other.
func (s *Store) ownTx(ctx context.Context, fn func(*TxStore) error) error {
	return outbox.InTx(ctx, s.pool, func(tx pgx.Tx) (bool, error) {
		t := &TxStore{tx: tx, q: tx, own: true}
		err := fn(t)
		return t.wrote, err
	})
}

// Tx is the store's transaction over tx: a consumer's, which also records
// the event in the inbox.
func (s *Store) Tx(tx pgx.Tx) *TxStore { return &TxStore{tx: tx, q: tx} }

// TxStore implements the domains' transactions.
type TxStore struct {
	tx pgx.Tx
	q  querier
	// own is a transaction of the store's own (ownTx), which wakes the
	// relay after it commits; wrote says it wrote events.
	own, wrote bool
}

// querier runs statements: the pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// RequestSeen implements rules.Tx.
func (t *TxStore) RequestSeen(ctx context.Context, key string) (string, bool, error) {
	if key == "" || key[len(key)-1] == '/' {
		return "", false, nil
	}
	return requestid.Seen(ctx, t.tx, key)
}

// RememberRequest implements rules.Tx.
func (t *TxStore) RememberRequest(ctx context.Context, key, id string) error {
	if key == "" || key[len(key)-1] == '/' {
		return nil
	}
	return requestid.Remember(ctx, t.tx, key, id)
}

// TryLock implements rules.Tx.
func (t *TxStore) TryLock(ctx context.Context, key string) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, lockKey(key)).Scan(&ok)
	return ok, err
}

// Lock takes the transaction's advisory lock of key, waiting for whoever
// holds it.
func (t *TxStore) Lock(ctx context.Context, key string) error {
	_, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(key))
	return err
}

func lockKey(key string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("supervision/" + key))
	return int64(h.Sum64())
}

// sweepWorkMem is the memory a sweep's transaction lets each sort and hash
// use: the attendance query hashes every attendance of the city, which
// PostgreSQL's default 4MB spills to disk in batches from about 150,000
// in-service members on.
const sweepWorkMem = "64MB"

// ForSweep implements rules.Tx: the transaction's hash joins and sorts
// get the memory a city-wide query needs (SET LOCAL, this transaction
// only).
func (t *TxStore) ForSweep(ctx context.Context) error {
	_, err := t.tx.Exec(ctx, `SELECT set_config('work_mem', $1, true)`, sweepWorkMem)
	return err
}

// jsonOf encodes v for a jsonb column ("null" for nil maps is avoided).
func jsonOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" {
		return []byte("{}")
	}
	return b
}

func decodeMap(b []byte) (map[string]any, error) {
	m := map[string]any{}
	if len(b) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode %s: %w", b, err)
	}
	return m, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
