package outbox

import (
	"embed"

	"gongjian.dev/pkg/pgdb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the outbox and inbox tables in the service's schema.
// Every service that enqueues events or consumes them with package events
// applies it next to its own migrations.
var Migrations = pgdb.Embedded("outbox", migrationFiles, "migrations")
