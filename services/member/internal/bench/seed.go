package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/member"
)

// Branch is where seeded members' relationships sit.
type Branch struct {
	ID, District, Path string
}

// memberColumns are the columns a seeded member row fills.
var memberColumns = []string{"id", "name", "sex", "birth_date", "national_id_sealed", "national_id_hash", "phone", "education",
	"join_date", "status", "employment_status", "employer", "residence", "organisation_id", "district_id", "path",
	"skills", "hardship", "star_rating", "version", "created_at", "updated_at"}

// copyBatch is how many rows one COPY carries.
const copyBatch = 50_000

// SeedMembers writes n members spread over branches into table (members,
// or a table shaped like it) with COPY, as a migration from an older
// system would: valid national ID numbers, sealed and hashed by ids. It
// returns their ids in the order written.
func SeedMembers(ctx context.Context, pool *pgxpool.Pool, ids *idcrypt.Sealer, table string, branches []Branch, n int) ([]string, error) {
	employment := []string{"RETIRED", "RETIRED", "RETIRED", "RETIRED", "EMPLOYED", "LAID_OFF", "UNEMPLOYED", "OTHER", "SELF_EMPLOYED"}
	r := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	out := make([]string, 0, n)
	rows := make([][]any, 0, min(n, copyBatch))
	flush := func() error {
		_, err := pool.CopyFrom(ctx, pgx.Identifier{table}, memberColumns, pgx.CopyFromRows(rows))
		rows = rows[:0]
		return err
	}
	base := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		id := member.NewID()
		br := branches[i%len(branches)]
		// Birth dates over 60 years and a three-digit sequence make a
		// million distinct numbers.
		birth := base.AddDate(0, 0, i%21900)
		first := fmt.Sprintf("610102%s%03d", birth.Format("20060102"), (i/21900)%1000)
		nid := first + string(member.CheckCharacter(first))
		sealed, err := ids.Seal(nid, id)
		if err != nil {
			return nil, err
		}
		rows = append(rows, []any{id, fmt.Sprintf("党员%07d", i), []string{"MALE", "FEMALE"}[i%2], birth, sealed, ids.Hash(nid),
			"13800000000", "HIGH_SCHOOL", birth.AddDate(25, 0, 0), "FULL", employment[r.IntN(len(employment))], "",
			`{}`, br.ID, br.District, br.Path, []string{"mediation"}, i%17 == 0, i % 6, int64(1), now, now})
		out = append(out, id)
		if len(rows) == copyBatch {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if len(rows) > 0 {
		if err := flush(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadBranches reads the branches of the organisation view, which must
// hold some.
func ReadBranches(ctx context.Context, pool *pgxpool.Pool) ([]Branch, error) {
	rows, err := pool.Query(ctx, `SELECT id::text, district_id::text, path FROM orgs WHERE kind = 'BRANCH' ORDER BY path`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Branch
	for rows.Next() {
		var b Branch
		if err := rows.Scan(&b.ID, &b.District, &b.Path); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("the organisation view holds no branch: seed the organisations first")
	}
	return out, nil
}
