package audit

import (
	"embed"

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
var Migrations = pgdb.Embedded("audit", migrationFiles, "migrations")
