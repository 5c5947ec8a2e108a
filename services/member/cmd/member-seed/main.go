// Command member-seed writes a city's members into the member service's
// database with COPY, as a migration from an older system would, for `make
// perf`: valid national ID numbers sealed and hashed under the service's
// keys (MEMBER_ID_KEYS, MEMBER_ID_HASH_KEY), spread over the branches of
// the service's organisation view, which must already be there. Then it
// measures, in the same run, the ceiling of that write: COPY of the same
// rows into a table shaped as members but without its indexes and
// triggers. It prints one JSON object on stdout.
//
//	DATABASE_URL=… MEMBER_ID_KEYS=… MEMBER_ID_HASH_KEY=… member-seed -members 1000000 -ceiling-rows 200000
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/bench"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/store"
)

// result is what the command prints.
type result struct {
	Members          int     `json:"members"`
	SeedSeconds      float64 `json:"seed_seconds"`
	CeilingRows      int     `json:"ceiling_rows"`
	CeilingPerSecond float64 `json:"ceiling_per_second"`
}

func main() {
	members := flag.Int("members", 1000, "members to write")
	ceilingRows := flag.Int("ceiling-rows", 100_000, "rows of the CopyFrom ceiling (0: none)")
	flag.Parse()
	res, err := run(context.Background(), *members, *ceilingRows)
	if err != nil {
		fmt.Fprintln(os.Stderr, "member-seed:", err)
		os.Exit(1)
	}
	_ = json.NewEncoder(os.Stdout).Encode(res)
}

func run(ctx context.Context, n, ceilingRows int) (result, error) {
	ids, err := idcrypt.New(os.Getenv("MEMBER_ID_KEYS"), os.Getenv("MEMBER_ID_HASH_KEY"))
	if err != nil {
		return result{}, err
	}
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return result{}, errors.New("DATABASE_URL is not set")
	}
	pool, err := pgdb.Open(ctx, url, store.Schema)
	if err != nil {
		return result{}, err
	}
	defer pool.Close()
	branches, err := bench.ReadBranches(ctx, pool)
	if err != nil {
		return result{}, err
	}
	res := result{Members: n, CeilingRows: ceilingRows}
	start := time.Now()
	if _, err := bench.SeedMembers(ctx, pool, ids, "members", branches, n); err != nil {
		return result{}, err
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE members`); err != nil {
		return result{}, err
	}
	res.SeedSeconds = time.Since(start).Seconds()
	if ceilingRows > 0 {
		if res.CeilingPerSecond, err = copyCeiling(ctx, pool, ids, branches, ceilingRows); err != nil {
			return result{}, err
		}
	}
	return res, nil
}

// copyCeiling is the rate of COPY of n member rows, sealed and hashed as
// the seed's, into a durable table shaped as members with neither indexes
// nor triggers, committed.
func copyCeiling(ctx context.Context, pool *pgxpool.Pool, ids *idcrypt.Sealer, branches []bench.Branch, n int) (float64, error) {
	const table = "perf_copy_ceiling"
	if _, err := pool.Exec(ctx, `DROP TABLE IF EXISTS `+table+`; CREATE TABLE `+table+` (LIKE members INCLUDING DEFAULTS)`); err != nil {
		return 0, err
	}
	defer func() { _, _ = pool.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+table) }()
	start := time.Now()
	if _, err := bench.SeedMembers(ctx, pool, ids, table, branches, n); err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
