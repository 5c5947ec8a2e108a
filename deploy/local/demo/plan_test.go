package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/prototext"

	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

var planDay = time.Date(2026, 11, 20, 15, 4, 5, 0, time.Local)

func TestPlanIsTheSameForTheSameDay(t *testing.T) {
	t.Parallel()
	a, b := dump(newPlan(planDay)), dump(newPlan(planDay.Add(-8*time.Hour)))
	if a != b {
		t.Error("two plans for the same day differ")
	}
	if c := dump(newPlan(planDay.AddDate(0, 0, 1))); c == a {
		t.Error("the plan for the next day is the same: dates do not follow the day")
	}
}

func TestPlanKeepsTheFiguresOfTheDocuments(t *testing.T) {
	t.Parallel()
	p := newPlan(planDay)
	district := func(key string) *node {
		for _, d := range p.city.children {
			if d.key == key {
				return d
			}
		}
		t.Fatalf("no district %s", key)
		return nil
	}
	tests := []struct {
		name     string
		district string
		count    func(n *node) int
		want     int
	}{
		{"Jinchang has 36 communities", "jc", countKind(orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY), 36},
		{"Jinchang's communities have 1,952 members", "jc", communityMembers, 1952},
		{"Tongjiang has 9 communities", "tj", countKind(orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY), 9},
		{"Tongjiang has 120 grid leaders", "tj", countKind(orgv1.OrganisationKind_ORGANISATION_KIND_GRID), 120},
		{"Tongjiang has 160 resident units", "tj", countKind(orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT), 160},
		{"Tongjiang's units have 2,174 in-service members", "tj", unitMembers, 2174},
		{"Tongjiang's premises cover 10,004 m²", "tj", premisesArea, 10004},
		{"Shiquan has 4 communities", "sq", countKind(orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY), 4},
		{"Shiquan has 8,332 households", "sq", households, 8332},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.count(district(tt.district)); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestPlanPutsEveryKindUnderAParentThatAdmitsIt(t *testing.T) {
	t.Parallel()
	k := func(name string) orgv1.OrganisationKind {
		return orgv1.OrganisationKind(orgv1.OrganisationKind_value["ORGANISATION_KIND_"+name])
	}
	admits := map[orgv1.OrganisationKind][]orgv1.OrganisationKind{
		k("CITY"):             {k("DISTRICT")},
		k("DISTRICT"):         {k("STREET"), k("RESIDENT_UNIT")},
		k("STREET"):           {k("COMMUNITY"), k("BRANCH"), k("BUILDING_BRANCH"), k("TEMPORARY_BRANCH"), k("LIAISON_STATION"), k("RESIDENT_UNIT")},
		k("COMMUNITY"):        {k("GENERAL_BRANCH"), k("BRANCH"), k("GRID"), k("BUILDING_BRANCH"), k("TEMPORARY_BRANCH"), k("LIAISON_STATION"), k("RESIDENT_UNIT")},
		k("GENERAL_BRANCH"):   {k("BRANCH")},
		k("RESIDENT_UNIT"):    {k("GENERAL_BRANCH"), k("BRANCH")},
		k("BRANCH"):           {k("PARTY_GROUP")},
		k("BUILDING_BRANCH"):  {k("PARTY_GROUP")},
		k("TEMPORARY_BRANCH"): {k("PARTY_GROUP")},
		k("GRID"):             {k("PARTY_GROUP")},
	}
	p := newPlan(planDay)
	p.city.walk(func(n *node) {
		for _, c := range n.children {
			if !slices.Contains(admits[n.org.GetKind()], c.org.GetKind()) {
				t.Errorf("%s (%s) under %s (%s)", c.org.GetName(), c.org.GetKind(), n.org.GetName(), n.org.GetKind())
			}
		}
	})
}

func TestPlanHasUniqueKeysAndValidRequestIDs(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	codes := map[string]bool{}
	newPlan(planDay).city.walk(func(n *node) {
		ids := []string{requestID(n.key)}
		for i := range n.life {
			ids = append(ids, requestID(fmt.Sprintf("%s/life%d", n.key, i)))
		}
		for _, id := range ids {
			if seen[id] || len(id) > 64 {
				t.Errorf("request id %q repeated or too long", id)
			}
			seen[id] = true
		}
		if code := n.org.GetCode(); code != "" {
			if codes[code] {
				t.Errorf("code %s repeated", code)
			}
			codes[code] = true
		}
	})
}

// TestPlanFlawsExactlyTheCommunitiesItSays checks the plan against the rules
// as DOMAIN §1 states them with their default limits: the communities that
// break a rule are the ones the plan flawed on purpose, no more, no fewer,
// and every rule has some.
func TestPlanFlawsExactlyTheCommunitiesItSays(t *testing.T) {
	t.Parallel()
	p := newPlan(planDay)
	got := map[orgv1.ComplianceRule][]string{}
	p.city.walk(func(n *node) {
		if n.org.GetKind() != orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY {
			return
		}
		for _, rule := range broken(n, p.today) {
			got[rule] = append(got[rule], n.org.GetName())
		}
	})
	if diff := cmp.Diff(p.flawed, got); diff != "" {
		t.Errorf("communities breaking each rule (-flawed on purpose +found):\n%s", diff)
	}
	for v := range orgv1.ComplianceRule_name {
		rule := orgv1.ComplianceRule(v)
		if rule != orgv1.ComplianceRule_COMPLIANCE_RULE_UNSPECIFIED && len(got[rule]) == 0 {
			t.Errorf("no community breaks %s", rule)
		}
	}
	for _, name := range p.exemplary {
		for rule, names := range got {
			if slices.Contains(names, name) {
				t.Errorf("demonstration community %s breaks %s", name, rule)
			}
		}
	}
}

// broken evaluates the rules of DOMAIN §1 with their default limits.
func broken(n *node, today time.Time) []orgv1.ComplianceRule {
	var out []orgv1.ComplianceRule
	fail := func(name string, failed bool) {
		if failed {
			out = append(out, orgv1.ComplianceRule(orgv1.ComplianceRule_value["COMPLIANCE_RULE_"+name]))
		}
	}
	fail("COMMUNITY_HAS_BRANCH", !hasDescendant(n, orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH))
	fail("GENERAL_BRANCH_OVER_THRESHOLD", n.members > 50 &&
		n.org.GetCommunityForm() == orgv1.CommunityForm_COMMUNITY_FORM_BRANCH &&
		!hasDescendant(n, orgv1.OrganisationKind_ORGANISATION_KIND_GENERAL_BRANCH))
	fail("LEADERSHIP_SIZE", len(n.team) < 3 || len(n.team) > 5)
	var tooOld, unschooled, college, director bool
	for _, c := range n.team {
		limit := 55
		if c.GetSex() == orgv1.Sex_SEX_FEMALE {
			limit = 50
		}
		birth, _ := time.Parse(dateLayout, c.GetBirthDate())
		tooOld = tooOld || (ageOn(birth, today) > limit && !c.GetAgeException())
		unschooled = unschooled || c.GetEducation() < orgv1.Education_EDUCATION_HIGH_SCHOOL
		college = college || c.GetEducation() >= orgv1.Education_EDUCATION_COLLEGE
		director = director || (c.GetRole() == orgv1.CadreRole_CADRE_ROLE_SECRETARY &&
			slices.Contains(c.GetConcurrentPosts(), orgv1.ConcurrentPost_CONCURRENT_POST_RESIDENTS_COMMITTEE_DIRECTOR))
	}
	fail("LEADERSHIP_AGE", tooOld)
	fail("LEADERSHIP_EDUCATION", unschooled || !college)
	fail("SECRETARY_DIRECTOR", !director)
	fail("PREMISES_AREA", n.org.GetPremises().GetAreaM2() < 200)
	missing := slices.ContainsFunc(requiredEquipment, func(e string) bool {
		return !slices.Contains(n.org.GetPremises().GetEquipment(), e)
	})
	fail("PREMISES_EQUIPMENT", missing)
	fail("COVERAGE_GAP", slices.ContainsFunc(n.points, func(p *point) bool { return p.members > 0 && p.coveredBy == nil }))
	quarter := (&builder{today: today}).lastQuarters(1)[0]
	held := slices.ContainsFunc(n.life, func(a *orgv1.Activity) bool {
		d, _ := time.Parse(dateLayout, a.GetDate())
		return a.GetKind() == orgv1.ActivityKind_ACTIVITY_KIND_CONCENTRATED_ACTIVITY &&
			!d.Before(quarter) && d.Before(quarter.AddDate(0, 3, 0))
	})
	fail("QUARTERLY_ACTIVITY", !held)
	return out
}

func TestActivitiesAreInTheYearBeforeToday(t *testing.T) {
	t.Parallel()
	p := newPlan(planDay)
	from, to := p.today.AddDate(-1, 0, -1).Format(dateLayout), p.today.Format(dateLayout)
	p.city.walk(func(n *node) {
		for _, a := range n.life {
			if a.GetDate() < from || a.GetDate() >= to {
				t.Errorf("%s: activity on %s, outside [%s, %s)", n.org.GetName(), a.GetDate(), from, to)
			}
			if int(a.GetAttended())+len(a.GetAbsentees()) != int(a.GetExpected()) {
				t.Errorf("%s: %d attended and %d absent of %d expected", n.org.GetName(), a.GetAttended(), len(a.GetAbsentees()), a.GetExpected())
			}
		}
	})
}

func TestChineseNumber(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{1: "一", 10: "十", 14: "十四", 20: "二十", 36: "三十六"} {
		if got := chineseNumber(n); got != want {
			t.Errorf("chineseNumber(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestSplitKeepsTheTotal(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ total, n, min int }{{2174, 92, 3}, {8332, 9, 120}, {10, 5, 2}} {
		parts := split(r, tc.total, tc.n, tc.min)
		sum := 0
		for _, x := range parts {
			sum += x
			if x < tc.min {
				t.Errorf("split(%d, %d, %d) has a part %d under the minimum", tc.total, tc.n, tc.min, x)
			}
		}
		if sum != tc.total || len(parts) != tc.n {
			t.Errorf("split(%d, %d, %d) = %d parts summing to %d", tc.total, tc.n, tc.min, len(parts), sum)
		}
	}
}

func ageOn(birth, day time.Time) int {
	age := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		age--
	}
	return age
}

func countKind(kind orgv1.OrganisationKind) func(*node) int {
	return func(d *node) int {
		count := 0
		d.walk(func(n *node) {
			if n.org.GetKind() == kind {
				count++
			}
		})
		return count
	}
}

func sumOver(kind orgv1.OrganisationKind, value func(*node) int) func(*node) int {
	return func(d *node) int {
		total := 0
		d.walk(func(n *node) {
			if n.org.GetKind() == kind {
				total += value(n)
			}
		})
		return total
	}
}

var (
	communityMembers = sumOver(orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY, func(n *node) int { return int(n.members) })
	unitMembers      = sumOver(orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT, func(n *node) int { return int(n.members) })
	premisesArea     = sumOver(orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY, func(n *node) int { return int(n.org.GetPremises().GetAreaM2()) })
	households       = sumOver(orgv1.OrganisationKind_ORGANISATION_KIND_GRID, func(n *node) int { return int(n.org.GetGrid().GetHouseholds()) })
)

func hasDescendant(n *node, kind orgv1.OrganisationKind) bool {
	found := false
	for _, c := range n.children {
		c.walk(func(d *node) { found = found || d.org.GetKind() == kind })
	}
	return found
}

// dump writes out everything a plan would send, to compare plans.
func dump(p *plan) string {
	var b strings.Builder
	p.city.walk(func(n *node) {
		fmt.Fprintf(&b, "%s %d %s\n", n.key, n.members, prototext.Format(n.org))
		for _, c := range n.team {
			b.WriteString(prototext.Format(c))
		}
		for _, a := range n.life {
			b.WriteString(prototext.Format(a))
		}
		for _, pt := range n.points {
			fmt.Fprintf(&b, "%v %s %d %v\n", pt.kind, pt.name, pt.members, pt.coveredBy != nil)
		}
	})
	for _, s := range p.sites {
		fmt.Fprintf(&b, "%s %s %s %v\n", s.community.key, s.start, s.end, s.ratings)
	}
	for _, l := range p.liaisons {
		fmt.Fprintf(&b, "%v %s %s %s %s\n", l.kind, l.leader, l.title, l.community.key, l.start)
	}
	return b.String()
}
