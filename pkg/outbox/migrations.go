package outbox

import (
	"embed"
	"io/fs"

	"gongjian.dev/pkg/pgdb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the outbox and inbox tables in the service's schema.
// Every service that enqueues events or consumes them with package events
// applies it next to its own migrations.
var Migrations = pgdb.MigrationSet{Name: "outbox", FS: mustSub(migrationFiles, "migrations")}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // only if the embed pattern and dir disagree
	}
	return sub
}
