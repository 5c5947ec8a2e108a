// Package demo loads a demonstration city into a running system through its
// public gRPC API, as any client would: one city whose districts are shaped
// like the places of the source documents and carry their figures, with a
// year of organisation life before the given day.
//
// The city is deterministic (one calendar day always gives the same city)
// and deliberately imperfect: some communities break each rule the
// compliance report checks, as the documents say real communities do, so
// that the report has something to show under every rule. Loading again, or
// resuming an interrupted load, creates nothing twice: organisations and
// activities carry request ids, and the rest is looked up before it is made.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"

	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// Summary says what the demo city consists of, whether Load created it or
// found it from an earlier load.
type Summary struct {
	// CityID is the id of the city committee.
	CityID string
	// Organisations counts the organisations by kind.
	Organisations map[orgv1.OrganisationKind]int
	// Members is the sum of the member counts recorded.
	Members int64
	// Cadres, Activities, CoveragePoints, DemonstrationSites and Liaisons
	// count the rest.
	Cadres, Activities, CoveragePoints, DemonstrationSites, Liaisons int
	// Flawed names, by rule, the communities made to fail that rule.
	Flawed map[orgv1.ComplianceRule][]string
	// Exemplary names the communities meant to pass every rule: the
	// demonstration sites.
	Exemplary []string

	// plan is the city as planned, with the ids the load gave it.
	plan *plan
}

// Total is the number of organisations.
func (s Summary) Total() int {
	total := 0
	for _, n := range s.Organisations {
		total += n
	}
	return total
}

// String describes the city in one line.
func (s Summary) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.Organisations)) {
		name := strings.ToLower(strings.TrimPrefix(k.String(), "ORGANISATION_KIND_"))
		parts = append(parts, fmt.Sprintf("%d %s", s.Organisations[k], name))
	}
	return fmt.Sprintf("%d organisations (%s), %d members, %d cadres, %d activities, %d coverage points, %d demonstration sites, %d liaisons",
		s.Total(), strings.Join(parts, ", "), s.Members, s.Cadres, s.Activities, s.CoveragePoints, s.DemonstrationSites, s.Liaisons)
}

// Load creates the demo city as of now's calendar day and returns what it
// consists of.
func Load(ctx context.Context, conn grpc.ClientConnInterface, now time.Time, log *slog.Logger) (Summary, error) {
	p := newPlan(now)
	l := newLoader(conn)
	steps := []struct {
		what string
		run  func(context.Context, *plan) error
	}{
		{"organisation tree", l.tree},
		{"leadership teams, member counts, organisation life, coverage points", l.details},
		{"demonstration sites and liaisons", l.demonstration},
	}
	for _, step := range steps {
		start := time.Now()
		if err := step.run(ctx, p); err != nil {
			return Summary{}, fmt.Errorf("demo: %s: %w", step.what, err)
		}
		log.Info("loaded "+step.what, "took", time.Since(start).Round(time.Millisecond).String())
	}
	return p.summary(), nil
}

// State is what Inspect finds.
type State int

const (
	// NoCity: the system holds no city; the demo can be loaded.
	NoCity State = iota
	// DemoCity: the only city is the demo's (complete or not).
	DemoCity
	// OtherCity: some other city is there; the demo must not be mixed in.
	OtherCity
)

// Inspect says whether the system holds no city, the demo city, or another,
// with the id of the first city there is.
func Inspect(ctx context.Context, conn grpc.ClientConnInterface) (State, string, error) {
	resp, err := orgv1.NewOrganisationServiceClient(conn).ListOrganisations(ctx, &orgv1.ListOrganisationsRequest{
		Kind: orgv1.OrganisationKind_ORGANISATION_KIND_CITY, PageSize: 10,
	})
	if err != nil {
		return 0, "", fmt.Errorf("demo: listing cities: %w", err)
	}
	cities := resp.GetOrganisations()
	switch {
	case len(cities) == 0:
		return NoCity, "", nil
	case len(cities) == 1 && cities[0].GetCode() == CityCode:
		return DemoCity, cities[0].GetId(), nil
	default:
		return OtherCity, cities[0].GetId(), nil
	}
}

func (p *plan) summary() Summary {
	s := Summary{
		CityID:             p.city.id,
		Organisations:      map[orgv1.OrganisationKind]int{},
		DemonstrationSites: len(p.sites),
		Liaisons:           len(p.liaisons),
		Flawed:             p.flawed,
		Exemplary:          p.exemplary,
		plan:               p,
	}
	p.city.walk(func(n *node) {
		s.Organisations[n.org.GetKind()]++
		s.Members += n.members
		s.Cadres += len(n.team)
		s.Activities += len(n.life)
		s.CoveragePoints += len(n.points)
	})
	return s
}

// foundingDate is when the demo's organisations were founded: the year the
// documents' demonstration programme began (001).
const foundingDate = "2004-07-01"
