package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
)

// template is a migrated database that test databases are copied from.
type template struct {
	once sync.Once
	name string
	err  error
}

// template returns the name of the template for schema and sets, migrating
// it on first use; concurrent callers wait for that one migration.
func (e *environment) template(schema string, sets []pgdb.MigrationSet) (string, error) {
	key, err := templateKey(schema, sets)
	if err != nil {
		return "", err
	}
	e.mu.Lock()
	tpl, ok := e.templates[key]
	if !ok {
		tpl = &template{name: "tpl_" + key[:24]}
		e.templates[key] = tpl
	}
	e.mu.Unlock()
	tpl.once.Do(func() { tpl.err = e.prepare(key, tpl.name, schema, sets) })
	return tpl.name, tpl.err
}

// templateKey hashes everything that decides a template's content: the
// schema, and each set's name and files.
func templateKey(schema string, sets []pgdb.MigrationSet) (string, error) {
	h := sha256.New()
	writeField(h, schema)
	for _, set := range sets {
		writeField(h, set.Name)
		if set.FS == nil {
			return "", fmt.Errorf("migration set %q has no files", set.Name)
		}
		if err := hashFiles(h, set.FS); err != nil {
			return "", fmt.Errorf("reading migration set %q: %w", set.Name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashFiles feeds every file of fsys, in lexical order, to h.
func hashFiles(h io.Writer, fsys fs.FS) error {
	return fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		writeField(h, path)
		writeField(h, string(b))
		return nil
	})
}

// writeField writes s with its length, so that no two lists of fields
// hash alike.
func writeField(h io.Writer, s string) {
	fmt.Fprintf(h, "%d:%s;", len(s), s)
}

// prepare makes sure the template exists and is complete. It holds an
// advisory lock meanwhile, for the test binaries of other packages that
// share a server named by TEST_DATABASE_URL.
func (e *environment) prepare(key, name, schema string, sets []pgdb.MigrationSet) error {
	ctx, cancel := context.WithTimeout(context.Background(), migrateTimeout)
	defer cancel()
	conn, err := e.admin.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtextextended($1, 0))", name); err != nil {
		return fmt.Errorf("locking template %s: %w", name, err)
	}
	err = e.prepareLocked(ctx, conn.Conn(), key, name, schema, sets)
	if _, unlockErr := conn.Exec(ctx, "SELECT pg_advisory_unlock_all()"); unlockErr != nil {
		conn.Conn().Close(ctx) // the pool then discards it, lock and all
	}
	return err
}

func (e *environment) prepareLocked(ctx context.Context, conn *pgx.Conn, key, name, schema string, sets []pgdb.MigrationSet) error {
	var complete, exists bool
	err := conn.QueryRow(ctx, "SELECT true, datistemplate FROM pg_database WHERE datname = $1", name).Scan(&exists, &complete)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("looking for template %s: %w", name, err)
	}
	if complete {
		return nil
	}
	if exists { // left half-migrated by an interrupted run
		if _, err := conn.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping unfinished template %s: %w", name, err)
		}
	}
	return e.build(ctx, conn, key, name, schema, sets)
}

// build creates and migrates the template, then marks it complete once no
// session is left connected to it.
func (e *environment) build(ctx context.Context, conn *pgx.Conn, key, name, schema string, sets []pgdb.MigrationSet) error {
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("creating template %s: %w", name, err)
	}
	e.countBuild(key)
	if err := pgdb.Migrate(ctx, e.url(name), schema, sets...); err != nil {
		return fmt.Errorf("migrating template %s: %w", name, err)
	}
	if err := waitDisconnected(ctx, conn, name); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+name+" IS_TEMPLATE true"); err != nil {
		return fmt.Errorf("marking template %s: %w", name, err)
	}
	return nil
}

// waitDisconnected waits for the backends of closed connections to db to
// exit: a client's close does not wait for its backend, and CREATE DATABASE
// would otherwise find the template busy.
func waitDisconnected(ctx context.Context, conn *pgx.Conn, db string) error {
	for {
		var n int
		err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", db).Scan(&n)
		if err != nil || n == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sessions still connected to template %s: %w", db, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (e *environment) countBuild(key string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.builds[key]++
}
