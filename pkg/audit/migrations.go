package audit

import (
	"embed"
	"io/fs"

	"gongjian.dev/pkg/pgdb"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the append-only audit_log table in the service's
// schema. Every service that audits applies it next to its own migrations.
//
// The table refuses UPDATE, DELETE and TRUNCATE by trigger, for every role.
// Its owner can still disable or drop the triggers, so the role the service
// runs as should not own the table and should be granted only
//
//	GRANT SELECT, INSERT ON audit_log TO <service role>;
//	GRANT USAGE ON SEQUENCE audit_log_id_seq TO <service role>;
var Migrations = pgdb.MigrationSet{Name: "audit", FS: mustSub(migrationFiles, "migrations")}

func mustSub(fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		panic(err) // only if the embed pattern and dir disagree
	}
	return sub
}
