package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

const dateLayout = "2006-01-02"

// seed fixes the random source, so that one calendar day always gives the
// same city.
const seed = 2004_07_27

// node is one organisation to create, with what goes with it.
type node struct {
	// key is unique in the plan and stable between runs; request ids derive from it.
	key      string
	org      *orgv1.Organisation
	members  int64
	team     []*orgv1.Cadre
	life     []*orgv1.Activity
	points   []*point
	children []*node

	// Set by the loader.
	id       string
	existing *orgv1.Organisation
}

// point is a coverage point (estate, building, social organisation).
type point struct {
	kind      orgv1.CoveragePointKind
	name      string
	members   int64
	coveredBy *node
}

// site is a demonstration community with its three-year plan.
type site struct {
	community  *node
	start, end string
	ratings    []*orgv1.FiveGoodsRating
}

// liaison links a leader to a community.
type liaison struct {
	kind          orgv1.LiaisonKind
	leader, title string
	community     *node
	start         time.Time
}

// plan is the whole demo city, built before anything is sent.
type plan struct {
	today    time.Time
	city     *node
	sites    []*site
	liaisons []*liaison
	// flawed names, by rule, the communities given a flaw against it.
	flawed map[orgv1.ComplianceRule][]string
	// exemplary names the communities meant to pass every rule.
	exemplary []string
}

// builder draws the plan from one random source, in one fixed order.
type builder struct {
	r           *rand.Rand
	today       time.Time
	people      *people
	plan        *plan
	communities map[string]*node // by district key and name
	unitPool    map[string][]unit
}

// newPlan builds the demo city as of now's calendar day.
func newPlan(now time.Time) *plan {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(seed, uint64(today.Unix())))
	b := &builder{
		r:           r,
		today:       today,
		people:      &people{r: r, today: today},
		plan:        &plan{today: today, flawed: map[orgv1.ComplianceRule][]string{}},
		communities: map[string]*node{},
		unitPool:    map[string][]unit{},
	}
	city := &node{key: "city", org: &orgv1.Organisation{
		Kind: orgv1.OrganisationKind_ORGANISATION_KIND_CITY, Name: CityName, Code: CityCode,
	}}
	for _, d := range districts {
		city.children = append(city.children, b.district(d))
	}
	b.plan.city = city
	b.demonstrationSites()
	b.standingCommitteeLinks()
	return b.plan
}

func (b *builder) district(d districtDef) *node {
	n := &node{key: d.key, org: &orgv1.Organisation{
		Kind: orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT, Name: d.name, Code: d.code,
	}}
	for i, s := range d.streets {
		n.children = append(n.children, b.street(d, i, s))
	}
	return n
}

func (b *builder) street(d districtDef, i int, s streetDef) *node {
	name := "中共" + s.name + "工作委员会"
	if s.town {
		name = "中共" + s.name + "委员会"
	}
	n := &node{key: fmt.Sprintf("%s/%d", d.key, i+1), org: &orgv1.Organisation{
		Kind: orgv1.OrganisationKind_ORGANISATION_KIND_STREET, Name: name,
		Code: fmt.Sprintf("%s-%02d", d.code, i+1), Town: s.town,
	}}
	for j, c := range s.communities {
		n.children = append(n.children, b.community(d, n, j, c))
	}
	for j, tower := range s.towers {
		n.children = append(n.children, b.buildingBranch(n, j, tower))
	}
	for j, station := range s.stations {
		n.children = append(n.children, &node{key: fmt.Sprintf("%s/s%d", n.key, j+1), org: &orgv1.Organisation{
			Kind: orgv1.OrganisationKind_ORGANISATION_KIND_LIAISON_STATION, Name: station,
		}})
	}
	if s.temporary != nil {
		n.children = append(n.children, b.temporaryBranch(n, *s.temporary))
	}
	n.children = append(n.children, b.residentUnits(d, n, s.units, s.unitMembers)...)
	return n
}

// walk visits every node of the subtree below n, n first.
func (n *node) walk(visit func(*node)) {
	visit(n)
	for _, c := range n.children {
		c.walk(visit)
	}
}

// shortName drops the "中共" and committee words from a street's name.
func shortName(n *node) string {
	s := strings.TrimPrefix(n.org.GetName(), "中共")
	s = strings.TrimSuffix(s, "工作委员会")
	return strings.TrimSuffix(s, "委员会")
}
