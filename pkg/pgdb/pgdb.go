// Package pgdb is how a service reaches its PostgreSQL database: it runs the
// service's embedded migrations into the schema the service owns, opens a
// traced connection pool confined to that schema, runs transactions with
// retries, and recognises the errors a store turns into domain errors.
package pgdb

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// identifierPattern admits the names that need no quoting in SQL, so that a
// schema name can be used in statements and in search_path as it is.
var identifierPattern = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// maxIdentifier is PostgreSQL's NAMEDATALEN less its terminator.
const maxIdentifier = 63

func checkIdentifier(what, name string, room int) error {
	if !identifierPattern.MatchString(name) || len(name) > room {
		return fmt.Errorf("pgdb: %s %q must be lower case letters, digits and underscores, at most %d of them", what, name, room)
	}
	return nil
}

// DefaultMaxConns is the size of a pool whose URL does not set
// pool_max_conns.
const DefaultMaxConns = 16

// Open returns a pool for the database at url whose connections resolve
// unqualified names in schema, traced with OpenTelemetry, after checking
// that the database answers.
//
// Spans carry the SQL text but never the query parameters: those hold
// personal data, which must not reach traces.
func Open(ctx context.Context, url, schema string) (*pgxpool.Pool, error) {
	if err := checkIdentifier("schema", schema, maxIdentifier); err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default (the number of CPUs, at least 4) leaves a
		// service waiting on commits that each wait on the disk: with
		// more connections, commits of concurrent calls share a flush.
		cfg.MaxConns = DefaultMaxConns
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.ConnConfig.Tracer = newTracer(cfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	return pool, nil
}

// connect opens a single connection resolving unqualified names in schema.
func connect(ctx context.Context, url, schema string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	cfg.RuntimeParams["search_path"] = schema
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgdb: %w", err)
	}
	return conn, nil
}
