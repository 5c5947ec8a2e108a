package demo

import (
	"fmt"
	"strings"
	"time"

	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// buildingBranch is a commercial tower's branch (楼宇党支部, 004) under a street.
func (b *builder) buildingBranch(street *node, j int, tower string) *node {
	members := between(b.r, 14, 36)
	n := &node{key: fmt.Sprintf("%s/t%d", street.key, j+1), members: int64(members), org: &orgv1.Organisation{
		Kind: orgv1.OrganisationKind_ORGANISATION_KIND_BUILDING_BRANCH, BranchBasis: orgv1.BranchBasis_BRANCH_BASIS_BUILDING,
		Name: tower + "楼宇党支部",
	}}
	for k := range 2 {
		n.children = append(n.children, &node{key: fmt.Sprintf("%s/pg%d", n.key, k+1), org: &orgv1.Organisation{
			Kind: orgv1.OrganisationKind_ORGANISATION_KIND_PARTY_GROUP, BranchBasis: orgv1.BranchBasis_BRANCH_BASIS_BUILDING,
			Name: n.org.GetName() + "第" + chineseNumber(k+1) + "党小组",
		}})
	}
	n.life = b.branchLife(members)
	return n
}

// temporaryBranch is a branch of mobile members (流动党员临时党组织, 000, 004),
// set up until the end of next year.
func (b *builder) temporaryBranch(street *node, t temporaryDef) *node {
	until := time.Date(b.today.Year()+1, 12, 31, 0, 0, 0, 0, time.UTC)
	n := &node{key: street.key + "/mobile", members: int64(t.members), org: &orgv1.Organisation{
		Kind: orgv1.OrganisationKind_ORGANISATION_KIND_TEMPORARY_BRANCH, BranchBasis: orgv1.BranchBasis_BRANCH_BASIS_MOBILE,
		Name:      t.name,
		Temporary: &orgv1.TemporaryBranch{Reason: t.reason, Until: until.Format(dateLayout), Region: t.region},
	}}
	n.children = []*node{{key: n.key + "/pg1", org: &orgv1.Organisation{
		Kind: orgv1.OrganisationKind_ORGANISATION_KIND_PARTY_GROUP, BranchBasis: orgv1.BranchBasis_BRANCH_BASIS_MOBILE,
		Name: t.name + "第一党小组",
	}}}
	n.life = b.mobileLife(t.members)
	return n
}

// unit is a resident unit (驻区单位).
type unit struct{ name, unitType string }

// residentUnits are the party organisations of count resident units under a
// street, their in-service members summing to members.
func (b *builder) residentUnits(d districtDef, street *node, count, members int) []*node {
	if count == 0 {
		return nil
	}
	pool := b.units(d)
	if count > len(pool) {
		panic(fmt.Sprintf("demo: %s has %d resident units to draw, %d names", d.key, count, len(pool)))
	}
	b.unitPool[d.key] = pool[count:]
	counts := split(b.r, members, count, 3)
	nodes := make([]*node, count)
	for i, u := range pool[:count] {
		suffix := "党支部"
		switch {
		case counts[i] >= 50:
			suffix = "党委"
		case u.unitType == "党政机关":
			suffix = "机关党支部"
		}
		nodes[i] = &node{key: fmt.Sprintf("%s/u%03d", street.key, i+1), members: int64(counts[i]), org: &orgv1.Organisation{
			Kind: orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT, BranchBasis: orgv1.BranchBasis_BRANCH_BASIS_UNIT,
			Name:         u.name + suffix,
			ResidentUnit: &orgv1.ResidentUnit{UnitName: u.name, UnitType: u.unitType},
		}}
	}
	return nodes
}

// units returns the district's resident units not drawn yet, making the
// shuffled list on first use: its offices, institutions, state enterprises
// and social organisations, and private firms to make up the rest.
func (b *builder) units(d districtDef) []unit {
	if pool, ok := b.unitPool[d.key]; ok {
		return pool
	}
	var pool []unit
	for _, p := range unitPools {
		for _, name := range p.names {
			pool = append(pool, unit{fmt.Sprintf(name, d.prefix), p.unitType})
		}
	}
	town := strings.TrimRight(d.prefix, "县区")
	for _, w := range firmWords {
		for _, t := range firmTrades[:3] {
			pool = append(pool, unit{town + w + t, "非公企业"})
		}
	}
	b.r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	return pool
}

// demonstrationSites designates the communities of 001 with a three-year
// plan ("一年打基础，二年抓提高，三年见成效") now in its third year, rated on
// the five goods every year so far, each sponsored by a department leader
// (包抓).
func (b *builder) demonstrationSites() {
	startYear := b.today.Year() - 2
	if b.today.Month() < time.July {
		startYear--
	}
	for _, def := range demonstrationSites {
		c := b.communities[def.district+"/"+def.community]
		s := &site{
			community: c,
			start:     fmt.Sprintf("%d-07-01", startYear),
			end:       fmt.Sprintf("%d-06-30", startYear+3),
		}
		ratedBy := "凤翔县委组织部"
		if def.level == "市级" {
			ratedBy = "共建市委组织部"
		}
		for y := startYear; y < b.today.Year(); y++ {
			s.ratings = append(s.ratings, b.rating(int32(y), y-startYear, ratedBy))
		}
		b.plan.sites = append(b.plan.sites, s)
		b.plan.exemplary = append(b.plan.exemplary, c.org.GetName())
		b.plan.liaisons = append(b.plan.liaisons, &liaison{
			kind: orgv1.LiaisonKind_LIAISON_KIND_SPONSOR, leader: b.people.anyone(), title: def.sponsorTitle,
			community: c, start: time.Date(startYear, 7, 1, 0, 0, 0, 0, time.UTC),
		})
	}
}

// rating grades a site's n-th year: better each year, as the plan intends.
func (b *builder) rating(year int32, n int, ratedBy string) *orgv1.FiveGoodsRating {
	grades := []orgv1.FiveGoodsGrade{
		orgv1.FiveGoodsGrade_FIVE_GOODS_GRADE_ORDINARY,
		orgv1.FiveGoodsGrade_FIVE_GOODS_GRADE_GOOD,
		orgv1.FiveGoodsGrade_FIVE_GOODS_GRADE_EXCELLENT,
	}
	grade := func() orgv1.FiveGoodsGrade {
		i := min(n+b.r.IntN(2), len(grades)-1)
		return grades[i]
	}
	return &orgv1.FiveGoodsRating{
		Year: year, Leadership: grade(), CadresAndMembers: grade(), Mechanisms: grade(),
		ManagementAndService: grade(), ResidentsOpinion: grade(), RatedBy: ratedBy,
	}
}

// standingCommitteeLinks links the nine city leaders to Tongjiang's nine
// communities (002).
func (b *builder) standingCommitteeLinks() {
	var tongjiang []*node
	for _, d := range districts {
		if d.key != "tj" {
			continue
		}
		for _, s := range d.streets {
			for _, c := range s.communities {
				tongjiang = append(tongjiang, b.communities[d.key+"/"+c.name])
			}
		}
	}
	start := b.today.AddDate(0, -10, 0)
	for i, title := range standingCommittee {
		b.plan.liaisons = append(b.plan.liaisons, &liaison{
			kind: orgv1.LiaisonKind_LIAISON_KIND_STANDING_COMMITTEE, leader: b.people.anyone(), title: title,
			community: tongjiang[i], start: start,
		})
	}
}
