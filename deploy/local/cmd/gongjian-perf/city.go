package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// city is what the measurements pick from.
type city struct {
	id                               string
	districts, communities, branches []string
	branchDistrict                   map[string]string
	orgCount                         int
	// members are a shuffled sample of the seeded members.
	members []cityMember
}

type cityMember struct{ id, branch, district string }

// The city's shape: 16 districts of 10 streets; the communities and their
// branches are sized so that the city has about the organisations asked.
const (
	districts   = 16
	streetsPer  = 10
	branchesPer = 11
)

func pick[T any](xs []T) T { return xs[rand.IntN(len(xs))] }

// seedOrganisations writes the tree with COPY into the organisation
// service's tables and, the same organisations, into the member service's
// view of them (which it would otherwise build from the organisation
// service's events), as a migration from an older system would.
func seedOrganisations(ctx context.Context, s *system, n int) (*city, error) {
	communitiesPer := max(1, (n-1-districts-districts*streetsPer)/(districts*streetsPer*(1+branchesPer)))
	now := time.Now().UTC()
	c := &city{branchDistrict: map[string]string{}}
	var orgRows, versionRows, viewRows [][]any
	add := func(kind, parentID, parentPath, district string, depth int, name string) (string, string) {
		id := uuid.NewString()
		path := parentPath + id + "/"
		var parent, dist, viewDist any
		if parentID != "" {
			parent = parentID
		}
		if district != "" {
			dist, viewDist = district, district
		}
		if kind == "DISTRICT" {
			viewDist = id
		}
		details := "{}"
		if kind == "COMMUNITY" {
			details = `{"community_form":"BRANCH"}`
		}
		orgRows = append(orgRows, []any{id, parent, kind, name, path, depth, dist, "ACTIVE", details, "[]", int64(1), now, now})
		snap, _ := json.Marshal(map[string]any{"parent_id": parentID, "kind": kind, "name": name, "state": "ACTIVE", "details": json.RawMessage(details)})
		versionRows = append(versionRows, []any{id, int64(1), "created", now, string(snap)})
		viewRows = append(viewRows, []any{id, kind, "ACTIVE", name, viewDist, path, now})
		return id, path
	}
	var cityPath string
	c.id, cityPath = add("CITY", "", "/", "", 0, "city")
	for d := range districts {
		did, dpath := add("DISTRICT", c.id, cityPath, "", 1, fmt.Sprintf("district %d", d))
		c.districts = append(c.districts, did)
		for st := range streetsPer {
			sid, spath := add("STREET", did, dpath, did, 2, fmt.Sprintf("street %d.%d", d, st))
			for cm := range communitiesPer {
				cid, cpath := add("COMMUNITY", sid, spath, did, 3, fmt.Sprintf("community %d.%d.%d", d, st, cm))
				c.communities = append(c.communities, cid)
				for b := range branchesPer {
					bid, _ := add("BRANCH", cid, cpath, did, 4, fmt.Sprintf("branch %d.%d.%d.%d", d, st, cm, b))
					c.branches = append(c.branches, bid)
					c.branchDistrict[bid] = did
				}
			}
		}
	}
	c.orgCount = len(orgRows)
	orgs, err := s.pool(ctx, "organisation")
	if err != nil {
		return nil, err
	}
	if _, err := orgs.CopyFrom(ctx, pgx.Identifier{"organisations"}, []string{"id", "parent_id", "kind", "name", "path", "depth",
		"district_id", "state", "details", "leadership", "version", "created_at", "updated_at"}, pgx.CopyFromRows(orgRows)); err != nil {
		return nil, err
	}
	if _, err := orgs.CopyFrom(ctx, pgx.Identifier{"organisation_versions"},
		[]string{"organisation_id", "version", "change", "valid_from", "snapshot"}, pgx.CopyFromRows(versionRows)); err != nil {
		return nil, err
	}
	if _, err := orgs.Exec(ctx, `ANALYZE organisations; ANALYZE organisation_versions`); err != nil {
		return nil, err
	}
	members, err := s.pool(ctx, "member")
	if err != nil {
		return nil, err
	}
	if _, err := members.CopyFrom(ctx, pgx.Identifier{"orgs"}, []string{"id", "kind", "state", "name", "district_id", "path", "updated_at"},
		pgx.CopyFromRows(viewRows)); err != nil {
		return nil, err
	}
	if _, err := members.Exec(ctx, `ANALYZE orgs`); err != nil {
		return nil, err
	}
	return c, nil
}

// sampleMembers reads n seeded members in random order.
func (c *city) sampleMembers(ctx context.Context, s *system, n int) error {
	pool, err := s.pool(ctx, "member")
	if err != nil {
		return err
	}
	rows, err := pool.Query(ctx, `SELECT id::text, organisation_id::text, district_id::text FROM members ORDER BY random() LIMIT $1`, n)
	if err != nil {
		return err
	}
	c.members, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (cityMember, error) {
		var m cityMember
		return m, r.Scan(&m.id, &m.branch, &m.district)
	})
	return err
}
