// Package store keeps the supervision domain in PostgreSQL (schema
// "supervision"), with pgx: the rules and their findings, the projections
// of the other services' events the rules are evaluated on, inspection
// rounds, rectification items and interviews. Every write transaction also
// writes its events to the outbox and its audit record.
package store

import (
	"embed"

	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
)

// Schema is the PostgreSQL schema the service owns.
const Schema = "supervision"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the service's own migrations.
var Migrations = pgdb.Embedded("supervision", migrationFiles, "migrations")

// AllMigrations are every migration set the service's schema needs, in
// order: the outbox and inbox, the audit trail, the view of the
// organisation tree, then the service's own tables.
var AllMigrations = []pgdb.MigrationSet{outbox.Migrations, audit.Migrations, orgview.Migrations, Migrations}

// Store implements the domain's stores over a pool.
type Store struct {
	pool *pgxpool.Pool
	orgview.Tree
}

// New returns a Store over pool (whose search_path is the service schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, Tree: orgview.Tree{Pool: pool}} }
