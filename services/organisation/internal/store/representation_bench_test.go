package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/pgtest"
)

// BenchmarkSubtreeRepresentation is how the tree's representation was
// chosen: the first page (50, in tree order) of a subtree at 100,000 nodes,
// for a community (24 nodes below it) and a district (6,700), with three
// representations side by side in one database:
//   - path: a materialised path in the C collation, a subtree as a range of
//     the primary b-tree (what the service uses);
//   - ltree: the ltree extension with a GiST index, a subtree as lpath <@ x;
//   - adjacency: parent ids only, a subtree by a recursive query.
func BenchmarkSubtreeRepresentation(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.Pool(b, "repr")
	ids := seedRepresentations(b, pool)
	queries := map[string]string{
		"path": `SELECT id FROM repr WHERE path > $1 AND path < $1 || '~' ORDER BY path LIMIT 50`,
		"ltree": `SELECT id FROM repr WHERE lpath <@ (SELECT lpath FROM repr WHERE path = $1)
			AND path <> $1 ORDER BY lpath LIMIT 50`,
		"adjacency": `WITH RECURSIVE sub AS (
				SELECT id, ARRAY[id::text] AS ord FROM repr WHERE parent_id = (SELECT id FROM repr WHERE path = $1)
				UNION ALL
				SELECT r.id, sub.ord || r.id::text FROM repr r JOIN sub ON r.parent_id = sub.id)
			SELECT id FROM sub ORDER BY ord LIMIT 50`,
	}
	for _, level := range []string{"community", "district"} {
		for _, repr := range []string{"path", "ltree", "adjacency"} {
			b.Run(level+"/"+repr, func(b *testing.B) {
				for b.Loop() {
					rows, err := pool.Query(ctx, queries[repr], ids[level][rand.IntN(len(ids[level]))])
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					for rows.Next() {
						n++
					}
					rows.Close()
					if rows.Err() != nil || n == 0 {
						b.Fatal(rows.Err(), n)
					}
				}
			})
		}
	}
}

// seedRepresentations writes a city of 15 districts × 14 streets × 20
// communities × 23 branches, returning the paths of the districts and communities.
func seedRepresentations(b *testing.B, pool *pgxpool.Pool) map[string][]string {
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS ltree;
		CREATE TABLE repr (id uuid PRIMARY KEY, parent_id uuid, path text COLLATE "C" UNIQUE, lpath ltree)`); err != nil {
		b.Fatal(err)
	}
	var rows [][]any
	out := map[string][]string{}
	var add func(parent uuid.UUID, path string, depth int)
	fanout := []int{15, 14, 20, 23}
	add = func(parent uuid.UUID, path string, depth int) {
		if depth == len(fanout) {
			return
		}
		for range fanout[depth] {
			id := uuid.Must(uuid.NewV7())
			p := path + id.String() + "/"
			rows = append(rows, []any{id, parent, p})
			switch depth {
			case 0:
				out["district"] = append(out["district"], p)
			case 2:
				out["community"] = append(out["community"], p)
			}
			add(id, p, depth+1)
		}
	}
	city := uuid.Must(uuid.NewV7())
	rows = append(rows, []any{city, nil, "/" + city.String() + "/"})
	add(city, "/"+city.String()+"/", 0)
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"repr"}, []string{"id", "parent_id", "path"}, pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	// The same path as ltree labels: '/a-b/c-d/' → 'a_b.c_d'.
	if _, err := pool.Exec(ctx, `UPDATE repr SET lpath = text2ltree(replace(replace(trim(both '/' from path), '-', '_'), '/', '.'));
		CREATE INDEX ON repr USING gist (lpath); CREATE INDEX ON repr (lpath);
		CREATE INDEX ON repr (parent_id); ANALYZE repr`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d nodes", len(rows))
	if len(rows) < 100000 {
		b.Fatal(fmt.Sprintf("only %d nodes", len(rows)))
	}
	return out
}
