package pgtest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/pgdb"
)

func TestMain(m *testing.M) { Main(m) }

// notes seeds a random number, so that databases copied from one template
// show the same number and databases migrated separately do not.
var notes = pgdb.MigrationSet{Name: "notes", FS: fstest.MapFS{
	"001_create_notes.sql": {Data: []byte("CREATE TABLE notes (author text NOT NULL, body text NOT NULL);")},
	"002_seed.sql":         {Data: []byte("CREATE TABLE seed (v float8 NOT NULL); INSERT INTO seed VALUES (random());")},
}}

// freshNotes is notes with different content, so that its template cannot
// exist yet, even on a long-lived server. Its templates for schemas are
// dropped after the test.
func freshNotes(t *testing.T, schemas ...string) pgdb.MigrationSet {
	files := fstest.MapFS{"003_nonce.sql": {Data: []byte("COMMENT ON TABLE seed IS '" + randomHex(8) + "';")}}
	for name, f := range notes.FS.(fstest.MapFS) {
		files[name] = f
	}
	set := pgdb.MigrationSet{Name: "notes", FS: files}
	for _, schema := range schemas {
		dropTemplateAfter(t, schema, set)
	}
	return set
}

// dropTemplateAfter keeps a test's one-off templates from piling up on a
// long-lived server.
func dropTemplateAfter(t *testing.T, schema string, set pgdb.MigrationSet) {
	name := "tpl_" + key(t, schema, set)[:24]
	env := otherProcess(t)
	t.Cleanup(func() {
		ctx := context.Background()
		env.admin.Exec(ctx, "ALTER DATABASE "+name+" IS_TEMPLATE false")
		if _, err := env.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
	})
}

func TestEachCallGetsItsOwnDatabase(t *testing.T) {
	t.Parallel()
	a, b := Pool(t, "notes", notes), Pool(t, "notes", notes)
	exec(t, a, "INSERT INTO notes VALUES ('a', 'only in a')")

	if got := queryString(t, b, "SELECT count(*)::text FROM notes"); got != "0" {
		t.Errorf("rows written through one pool seen through the other: %s", got)
	}
	if da, db := queryString(t, a, "SELECT current_database()"), queryString(t, b, "SELECT current_database()"); da == db {
		t.Errorf("both pools on database %s", da)
	}
}

func TestParallelTestsGetSeparateDatabases(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	seen := map[string]string{}
	for _, author := range []string{"ada", "brian", "grace", "ken"} {
		t.Run(author, func(t *testing.T) {
			t.Parallel()
			pool := Pool(t, "notes", notes)
			exec(t, pool, "INSERT INTO notes VALUES ($1, 'hello')", author)

			if got := queryString(t, pool, "SELECT string_agg(author, ',') FROM notes"); got != author {
				t.Errorf("authors in this test's database = %q, want only %q", got, author)
			}
			db := queryString(t, pool, "SELECT current_database()")
			mu.Lock()
			defer mu.Unlock()
			if other, ok := seen[db]; ok {
				t.Errorf("database %s given to both %s and %s", db, other, author)
			}
			seen[db] = author
		})
	}
}

func TestMigrationsRanIntoTheSchema(t *testing.T) {
	t.Parallel()
	pool := Pool(t, "notes", notes)
	got := queryString(t, pool, `SELECT string_agg(table_schema || '.' || table_name, ',' ORDER BY table_name)
		FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if want := "notes.notes,notes.notes_schema_version,notes.seed"; got != want {
		t.Errorf("tables = %s, want %s", got, want)
	}
	if got := queryString(t, pool, "SELECT version::text FROM notes_schema_version"); got != "2" {
		t.Errorf("schema version = %s, want 2", got)
	}
}

func TestTemplateIsMigratedOnce(t *testing.T) {
	t.Parallel()
	set := freshNotes(t, "notes", "other_notes")
	first := queryString(t, Pool(t, "notes", set), "SELECT v::text FROM seed")
	second := queryString(t, Pool(t, "notes", set), "SELECT v::text FROM seed")
	other := queryString(t, Pool(t, "other_notes", set), "SELECT v::text FROM seed")

	if first != second {
		t.Errorf("seeds %s and %s: the second database was migrated anew", first, second)
	}
	if other == first {
		t.Errorf("another schema got the same seed %s: it shares a template", other)
	}
	env, _ := sharedEnvironment()
	for _, schema := range []string{"notes", "other_notes"} {
		if n := builds(t, env, schema, set); n != 1 {
			t.Errorf("template for schema %s migrated %d times, want 1", schema, n)
		}
	}
}

func TestTemplatesAreSharedWithOtherProcesses(t *testing.T) {
	t.Parallel()
	set := freshNotes(t, "notes")
	// Each environment plays a test binary of its own, on one server.
	first, second := otherProcess(t), otherProcess(t)
	seed1 := queryString(t, openDatabase(t, first, "notes", set), "SELECT v::text FROM seed")
	seed2 := queryString(t, openDatabase(t, second, "notes", set), "SELECT v::text FROM seed")

	if seed1 != seed2 {
		t.Errorf("seeds %s and %s: the second process did not reuse the template", seed1, seed2)
	}
	if got := []int{builds(t, first, "notes", set), builds(t, second, "notes", set)}; !cmp.Equal(got, []int{1, 0}) {
		t.Errorf("migrations run by each process = %v, want [1 0]", got)
	}
}

func TestHalfBuiltTemplateIsRebuilt(t *testing.T) {
	t.Parallel()
	set := freshNotes(t, "notes")
	env := otherProcess(t)
	key, err := templateKey("notes", []pgdb.MigrationSet{set})
	if err != nil {
		t.Fatal(err)
	}
	// As an interrupted run leaves it: created, not migrated, not marked.
	if _, err := env.admin.Exec(context.Background(), "CREATE DATABASE tpl_"+key[:24]); err != nil {
		t.Fatal(err)
	}
	pool := openDatabase(t, env, "notes", set)
	if got := queryString(t, pool, "SELECT count(*)::text FROM seed"); got != "1" {
		t.Errorf("seed rows = %s, want 1", got)
	}
}

func TestURLDatabaseIsDroppedAfterTheTest(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("a test using a database", func(t *testing.T) {
		u := URL(t, "notes", notes)
		name = u[strings.LastIndex(u, "/")+1 : strings.Index(u, "?")]
	})
	env, _ := sharedEnvironment()
	var n int
	if err := env.admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %q still exists after its test", name)
	}
}

// fatalRecorder notes a failure where testing.T would stop the test.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestBrokenMigrationsFailTheTest(t *testing.T) {
	t.Parallel()
	broken := pgdb.MigrationSet{Name: "broken", FS: fstest.MapFS{
		"001_oops.sql": {Data: []byte("CREATE TABLE oops (id int REFERENCES nowhere (id));")},
	}}
	dropTemplateAfter(t, "broken", broken)
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Pool(rec, "broken", broken)
	}()
	<-done
	if !strings.Contains(rec.msg, `relation "nowhere" does not exist`) {
		t.Errorf("Pool with a broken migration failed with %q, want the database's reason", rec.msg)
	}
}

func TestWithDatabase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, conn, want string
	}{
		{"a URL", "postgres://u:p@db:5432/app?sslmode=disable", "postgres://u:p@db:5432/t_1?sslmode=disable"},
		{"a URL without database", "postgresql://localhost", "postgresql://localhost/t_1"},
		{"keyword=value pairs", "host=db dbname=app", "host=db dbname=app dbname=t_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := withDatabase(tt.conn, "t_1"); got != tt.want {
				t.Errorf("withDatabase(%q) = %q, want %q", tt.conn, got, tt.want)
			}
		})
	}
}

func TestTemplateKeyChangesWithTheMigrations(t *testing.T) {
	t.Parallel()
	file := func(sql string) fstest.MapFS { return fstest.MapFS{"001_a.sql": {Data: []byte(sql)}} }
	a := pgdb.MigrationSet{Name: "a", FS: file("CREATE TABLE a ();")}
	b := pgdb.MigrationSet{Name: "b", FS: file("CREATE TABLE b ();")}
	base := key(t, "s", a, b)
	tests := []struct {
		name   string
		schema string
		sets   []pgdb.MigrationSet
		same   bool
	}{
		{"the same schema and sets", "s", []pgdb.MigrationSet{a, b}, true},
		{"another schema", "t", []pgdb.MigrationSet{a, b}, false},
		{"the sets in another order", "s", []pgdb.MigrationSet{b, a}, false},
		{"a set renamed", "s", []pgdb.MigrationSet{{Name: "c", FS: a.FS}, b}, false},
		{"a file changed", "s", []pgdb.MigrationSet{{Name: "a", FS: file("CREATE TABLE a (x int);")}, b}, false},
		{"a set left out", "s", []pgdb.MigrationSet{a}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := key(t, tt.schema, tt.sets...) == base; got != tt.same {
				t.Errorf("same key = %v, want %v", got, tt.same)
			}
		})
	}
}

func key(t *testing.T, schema string, sets ...pgdb.MigrationSet) string {
	t.Helper()
	k, err := templateKey(schema, sets)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func builds(t *testing.T, env *environment, schema string, set pgdb.MigrationSet) int {
	t.Helper()
	k := key(t, schema, set)
	env.mu.Lock()
	defer env.mu.Unlock()
	return env.builds[k]
}

// otherProcess returns a new environment on the shared server, as another
// test binary would have.
func otherProcess(t *testing.T) *environment {
	t.Helper()
	shared, err := sharedEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	env, err := newEnvironment(context.Background(), shared.adminURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.close() })
	return env
}

func openDatabase(t *testing.T, env *environment, schema string, set pgdb.MigrationSet) *pgxpool.Pool {
	t.Helper()
	name, err := env.newDatabase(schema, []pgdb.MigrationSet{set})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.dropDatabase(name) })
	pool, err := pgdb.Open(context.Background(), env.url(name), schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func exec(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func queryString(t *testing.T, pool *pgxpool.Pool, sql string) string {
	t.Helper()
	var s string
	if err := pool.QueryRow(context.Background(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}
