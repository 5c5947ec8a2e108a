package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/pgcluster"
	"gongjian.dev/pkg/pgdb"
)

// environment is one server and the templates made on it by this process.
type environment struct {
	adminURL string
	admin    *pgxpool.Pool
	cluster  *pgcluster.Cluster // nil when the server is not ours

	// cloneMu serialises CREATE DATABASE: PostgreSQL refuses to copy a
	// template while another session is connected to it.
	cloneMu sync.Mutex

	mu        sync.Mutex
	templates map[string]*template
	builds    map[string]int // migrations run per template key, for tests
}

func newEnvironment(ctx context.Context, adminURL string, cluster *pgcluster.Cluster) (*environment, error) {
	cfg, err := pgxpool.ParseConfig(adminURL)
	if err != nil {
		return nil, fmt.Errorf("test server URL: %w", err)
	}
	// Parallel tests create and drop databases through it, and each
	// template being prepared holds one connection.
	cfg.MaxConns = adminConns
	admin, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to the test server: %w", err)
	}
	if err := admin.Ping(ctx); err != nil {
		admin.Close()
		return nil, fmt.Errorf("connecting to the test server: %w", err)
	}
	return &environment{
		adminURL:  adminURL,
		admin:     admin,
		cluster:   cluster,
		templates: map[string]*template{},
		builds:    map[string]int{},
	}, nil
}

func (e *environment) close() error {
	e.admin.Close()
	if e.cluster == nil {
		return nil
	}
	return e.cluster.Stop()
}

// url returns the URL of database db on the server.
func (e *environment) url(db string) string {
	return withDatabase(e.adminURL, db)
}

// withDatabase replaces the database in a connection string, either a URL
// or a list of keyword=value pairs (where the last dbname wins).
func withDatabase(conn, db string) string {
	if u, err := url.Parse(conn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path, u.RawPath = "/"+db, ""
		return u.String()
	}
	return conn + " dbname=" + db
}

// newDatabase copies the template for schema and sets into a new database
// and returns its name.
func (e *environment) newDatabase(schema string, sets []pgdb.MigrationSet) (string, error) {
	tpl, err := e.template(schema, sets)
	if err != nil {
		return "", err
	}
	name := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	e.cloneMu.Lock()
	defer e.cloneMu.Unlock()
	if _, err := e.admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tpl); err != nil {
		return "", fmt.Errorf("copying template %s: %w", tpl, err)
	}
	return name, nil
}

func (e *environment) dropDatabase(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	if _, err := e.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dropping test database %s: %w", name, err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
