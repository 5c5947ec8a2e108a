package pgdb

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"
)

// versionTableSuffix ends the name of the table where a set's version is kept.
const versionTableSuffix = "_schema_version"

// MigrationSet is a sequence of SQL migrations in tern's format: files
// named 001_create_things.sql, 002_….sql … at the root of FS, each run in
// its own transaction, in order, at most once. A service embeds its set:
//
//	//go:embed migrations/*.sql
//	var files embed.FS
//	migrations, _ := fs.Sub(files, "migrations")
//	set := pgdb.MigrationSet{Name: "organisation", FS: migrations}
//
// Migrations create unqualified names, which land in the schema given to
// Migrate. As in tern, each file is a text/template (so "{{" must be
// written {{"{{"}}), and a file with a line "---- tern: disable-tx ----"
// runs outside a transaction, for CREATE INDEX CONCURRENTLY and the like.
type MigrationSet struct {
	// Name identifies the set; its version is kept in the table
	// <schema>.<Name>_schema_version.
	Name string
	// FS holds the migration files at its root.
	FS fs.FS
}

// Embedded is the set called name whose files are embedded under dir of
// files (a //go:embed dir/*.sql). It panics only when the embed pattern and
// dir disagree, which the first test finds.
func Embedded(name string, files fs.FS, dir string) MigrationSet {
	sub, err := fs.Sub(files, dir)
	if err != nil {
		panic(err)
	}
	return MigrationSet{Name: name, FS: sub}
}

func (s MigrationSet) check() error {
	if s.FS == nil {
		return fmt.Errorf("pgdb: migration set %q has no files", s.Name)
	}
	return checkIdentifier("migration set name", s.Name, maxIdentifier-len(versionTableSuffix))
}

// Migrate brings schema in the database at url up to date: it creates the
// schema if missing and applies each set's pending migrations, set after
// set, with search_path set to schema. Concurrent callers (two pods starting
// at once) wait for each other; running it again changes nothing.
func Migrate(ctx context.Context, url, schema string, sets ...MigrationSet) error {
	if err := checkMigration(schema, sets); err != nil {
		return err
	}
	conn, err := connect(ctx, url, schema)
	if err != nil {
		return err
	}
	// Closing the connection also releases the lock.
	defer conn.Close(context.WithoutCancel(ctx))
	if err := lockSchema(ctx, conn, schema); err != nil {
		return err
	}
	if err := ensureSchema(ctx, conn, schema); err != nil {
		return err
	}
	for _, set := range sets {
		if err := migrateSet(ctx, conn, schema, set); err != nil {
			return fmt.Errorf("pgdb: migrating %s (set %s): %w", schema, set.Name, err)
		}
	}
	return nil
}

func checkMigration(schema string, sets []MigrationSet) error {
	errs := []error{checkIdentifier("schema", schema, maxIdentifier)}
	seen := map[string]bool{}
	for _, set := range sets {
		errs = append(errs, set.check())
		if seen[set.Name] { // they would share a version table
			errs = append(errs, fmt.Errorf("pgdb: two migration sets named %q", set.Name))
		}
		seen[set.Name] = true
	}
	return errors.Join(errs...)
}

// lockSchema takes a session-level advisory lock named after the schema, so
// that only one migrator works on it at a time.
func lockSchema(ctx context.Context, conn *pgx.Conn, schema string) error {
	_, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", "pgdb.Migrate "+schema)
	if err != nil {
		return fmt.Errorf("pgdb: locking schema %s for migration: %w", schema, err)
	}
	return nil
}

// ensureSchema looks before creating because CREATE SCHEMA IF NOT EXISTS
// demands the CREATE privilege on the database even when the schema exists,
// which a service's role may well lack.
func ensureSchema(ctx context.Context, conn *pgx.Conn, schema string) error {
	var exists bool
	err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&exists)
	if err == nil && !exists {
		_, err = conn.Exec(ctx, "CREATE SCHEMA "+schema)
	}
	if err != nil {
		return fmt.Errorf("pgdb: creating schema %s: %w", schema, err)
	}
	return nil
}

func migrateSet(ctx context.Context, conn *pgx.Conn, schema string, set MigrationSet) error {
	m, err := migrate.NewMigrator(ctx, conn, schema+"."+set.Name+versionTableSuffix)
	if err != nil {
		return err
	}
	if err := m.LoadMigrations(set.FS); err != nil {
		return err
	}
	return m.Migrate(ctx)
}
