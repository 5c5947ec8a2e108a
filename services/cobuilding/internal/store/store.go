// Package store keeps the co-building service's records in PostgreSQL
// (schema "cobuilding"), with pgx. It implements the store interfaces of
// the domain packages; every write transaction also writes its events to
// the outbox and its audit records.
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
const Schema = "cobuilding"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the service's own migrations.
var Migrations = pgdb.Embedded("cobuilding", migrationFiles, "migrations")

// AllMigrations are every migration set the service's schema needs, in
// order: the outbox and inbox, the audit trail, the view of the
// organisation tree, then the service's own tables.
var AllMigrations = []pgdb.MigrationSet{outbox.Migrations, audit.Migrations, orgview.Migrations, Migrations}

// Store is the service's database.
type Store struct {
	pool *pgxpool.Pool
	// Tree answers whether an organisation lies in a subtree, from the
	// local view of the organisation tree.
	orgview.Tree
}

// New returns a Store over pool (whose search_path is the service schema).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool, Tree: orgview.Tree{Pool: pool}} }
