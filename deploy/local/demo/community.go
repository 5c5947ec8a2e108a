package demo

import (
	"fmt"
	"slices"

	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// The equipment the premises rule asks for (001), and some it does not.
var (
	requiredEquipment = []string{"phone", "tv", "computer", "dvd_player", "desks", "file_cabinets"}
	extraEquipment    = []string{"projector", "bookshelves", "loudspeakers"}
)

var formSuffix = map[orgv1.CommunityForm]string{
	orgv1.CommunityForm_COMMUNITY_FORM_COMMITTEE:      "党委",
	orgv1.CommunityForm_COMMUNITY_FORM_GENERAL_BRANCH: "党总支",
	orgv1.CommunityForm_COMMUNITY_FORM_BRANCH:         "党支部",
}

// community builds a community with its team, premises, branches, grids,
// coverage points and a year of organisation life.
func (b *builder) community(d districtDef, street *node, j int, c communityDef) *node {
	form := formOf(d.style, c)
	short := c.name + "社区"
	n := &node{key: fmt.Sprintf("%s/c%02d", street.key, j+1), members: int64(c.members), org: &orgv1.Organisation{
		Kind:          orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY,
		Name:          short + formSuffix[form],
		Code:          fmt.Sprintf("%s-%02d", street.org.GetCode(), j+1),
		CommunityForm: form,
		Premises:      b.premises(d.style, c, shortName(street)+short),
		Funds: &orgv1.Funds{
			AnnualWorkingFundYuan: d.style.annualFund,
			MonthlyStipendYuan:    d.style.stipend,
		},
	}}
	b.communities[d.key+"/"+c.name] = n
	n.team = b.team(d.style, c.flaws)
	estates := b.estates()
	if !c.flaws.has(noBranch) {
		b.branches(n, short, c, form, estates)
	}
	b.grids(n, short, d.style, c)
	b.extraPoints(n, short, c.flaws, estates)
	n.life = b.communityLife(c.members, len(n.team), c.flaws.has(missedQuarter))
	for _, rule := range c.flaws.rules() {
		b.plan.flawed[rule] = append(b.plan.flawed[rule], n.org.GetName())
	}
	return n
}

// formOf is the community's form: the district's when it has one, else by
// size (over 100 members a committee, over 50 a general branch); a community
// flawed on purpose stays a single branch however big.
func formOf(st style, c communityDef) orgv1.CommunityForm {
	switch {
	case c.flaws.has(noGeneralBranch):
		return orgv1.CommunityForm_COMMUNITY_FORM_BRANCH
	case st.form != orgv1.CommunityForm_COMMUNITY_FORM_UNSPECIFIED:
		return st.form
	case c.members > 100:
		return orgv1.CommunityForm_COMMUNITY_FORM_COMMITTEE
	case c.members > 50:
		return orgv1.CommunityForm_COMMUNITY_FORM_GENERAL_BRANCH
	default:
		return orgv1.CommunityForm_COMMUNITY_FORM_BRANCH
	}
}

func (b *builder) premises(st style, c communityDef, address string) *orgv1.Premises {
	area := c.area
	if area == 0 {
		area = between(b.r, st.area[0], st.area[1])
	}
	equipment := slices.Clone(requiredEquipment)
	if c.flaws.has(missingEquipment) {
		equipment = slices.DeleteFunc(equipment, func(e string) bool { return e == "computer" || e == "dvd_player" })
	}
	for _, e := range extraEquipment {
		if b.r.IntN(2) == 0 {
			equipment = append(equipment, e)
		}
	}
	return &orgv1.Premises{
		AreaM2:    float64(area),
		Equipment: equipment,
		Centres:   slices.Clone(st.centres),
		Address:   address + "党群服务中心",
	}
}

// estates draws the residential estates of one community, in order of use.
func (b *builder) estates() []string {
	names := slices.Clone(estateNames)
	b.r.Shuffle(len(names), func(i, j int) { names[i], names[j] = names[j], names[i] })
	return names
}

// branches adds the community's branches: under two general branches in a
// community committee, directly under the community otherwise.
func (b *builder) branches(n *node, short string, c communityDef, form orgv1.CommunityForm, estates []string) {
	parents := []*node{n}
	count := b.branchCount(c.members)
	if form == orgv1.CommunityForm_COMMUNITY_FORM_COMMITTEE {
		parents = nil
		for i, name := range []string{"离退休党员党总支", "居民党员党总支"} {
			gb := &node{key: fmt.Sprintf("%s/gb%d", n.key, i+1), org: &orgv1.Organisation{
				Kind: orgv1.OrganisationKind_ORGANISATION_KIND_GENERAL_BRANCH, Name: short + name,
			}}
			n.children = append(n.children, gb)
			parents = append(parents, gb)
		}
		count = max(count, 4)
	}
	bases := []orgv1.BranchBasis{
		orgv1.BranchBasis_BRANCH_BASIS_ESTATE, orgv1.BranchBasis_BRANCH_BASIS_ESTATE,
		orgv1.BranchBasis_BRANCH_BASIS_BUILDING, orgv1.BranchBasis_BRANCH_BASIS_TRADE,
		orgv1.BranchBasis_BRANCH_BASIS_REGIONAL,
	}
	for i := range count {
		basis := orgv1.BranchBasis_BRANCH_BASIS_ESTATE
		if i > 0 {
			basis = bases[b.r.IntN(len(bases))]
		}
		parent := parents[i%len(parents)]
		parent.children = append(parent.children, b.branch(n, short, i, basis, estates[i], ""))
	}
	for i, sp := range c.special {
		n.children = append(n.children, b.branch(n, short, count+i, sp.basis, "", sp.name))
	}
}

// branchCount draws how many branches a community of that size has.
func (b *builder) branchCount(members int) int {
	switch {
	case members <= 40:
		return between(b.r, 1, 2)
	case members <= 80:
		return between(b.r, 2, 3)
	default:
		return between(b.r, 3, 4)
	}
}

// branch builds one branch of a community, with the coverage point it
// covers and its party groups. A special branch has its name given.
func (b *builder) branch(community *node, short string, i int, basis orgv1.BranchBasis, estate, special string) *node {
	br := &node{key: fmt.Sprintf("%s/b%d", community.key, i+1), org: &orgv1.Organisation{
		Kind: orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH, BranchBasis: basis,
	}}
	var covers *point
	switch {
	case special != "":
		br.org.Name = short + special
	case basis == orgv1.BranchBasis_BRANCH_BASIS_ESTATE:
		br.org.Name = short + estate + "党支部"
		covers = &point{kind: orgv1.CoveragePointKind_COVERAGE_POINT_KIND_ESTATE, name: estate}
	case basis == orgv1.BranchBasis_BRANCH_BASIS_BUILDING:
		building := fmt.Sprintf("%s%d号楼", estate, between(b.r, 1, 18))
		br.org.Name = short + building + "党支部"
		covers = &point{kind: orgv1.CoveragePointKind_COVERAGE_POINT_KIND_BUILDING, name: building}
	case basis == orgv1.BranchBasis_BRANCH_BASIS_TRADE:
		trade := trades[b.r.IntN(len(trades))]
		br.org.Name = short + trade + "行业党支部"
		covers = &point{kind: orgv1.CoveragePointKind_COVERAGE_POINT_KIND_SOCIAL_ORGANISATION, name: short + trade + "协会"}
	default:
		br.org.Name = short + "第" + chineseNumber(i+1) + "片区党支部"
	}
	if covers != nil {
		covers.members = int64(between(b.r, 6, 28))
		covers.coveredBy = br
		community.points = append(community.points, covers)
	}
	groups := between(b.r, 1, 3)
	for k := range groups {
		pg := &node{key: fmt.Sprintf("%s/pg%d", br.key, k+1), org: &orgv1.Organisation{
			Kind: orgv1.OrganisationKind_ORGANISATION_KIND_PARTY_GROUP, BranchBasis: basis,
			Name: br.org.GetName() + "第" + chineseNumber(k+1) + "党小组",
		}}
		pg.life = b.partyGroupLife(between(b.r, 4, 9))
		br.children = append(br.children, pg)
	}
	br.life = b.branchLife(between(b.r, 9, 26))
	return br
}

// grids adds the community's grids, each with its grid leader, workers and
// grid party group (网格党小组, 002).
func (b *builder) grids(n *node, short string, st style, c communityDef) {
	var households []int
	if c.households > 0 {
		households = split(b.r, c.households, c.grids, 120)
	}
	for k := range c.grids {
		h := 0
		if households != nil {
			h = households[k]
		} else {
			h = between(b.r, st.households[0], st.households[1])
		}
		workers := make([]string, between(b.r, 1, 3))
		for w := range workers {
			workers[w] = b.people.anyone()
		}
		g := &node{key: fmt.Sprintf("%s/g%d", n.key, k+1), org: &orgv1.Organisation{
			Kind: orgv1.OrganisationKind_ORGANISATION_KIND_GRID,
			Name: short + "第" + chineseNumber(k+1) + "网格",
			Grid: &orgv1.Grid{
				LeaderName: b.people.anyone(), LeaderPhone: b.people.phone(),
				Workers: workers, Households: int32(h),
			},
		}}
		g.children = []*node{{key: g.key + "/pg", org: &orgv1.Organisation{
			Kind: orgv1.OrganisationKind_ORGANISATION_KIND_PARTY_GROUP, BranchBasis: orgv1.BranchBasis_BRANCH_BASIS_REGIONAL,
			Name: g.org.GetName() + "党小组",
		}}}
		n.children = append(n.children, g)
	}
}

// extraPoints adds the places no branch covers: now and then a new estate
// with no members yet (not a gap), and for a flawed community places with
// members and no organisation (空白点).
func (b *builder) extraPoints(n *node, short string, f flaw, estates []string) {
	if b.r.IntN(3) == 0 {
		n.points = append(n.points, &point{
			kind: orgv1.CoveragePointKind_COVERAGE_POINT_KIND_ESTATE, name: estates[len(estates)-1] + "二期",
		})
	}
	if !f.has(coverageGap) {
		return
	}
	for i := range 2 {
		kind := gapKinds[b.r.IntN(len(gapKinds))]
		var name string
		switch kind {
		case orgv1.CoveragePointKind_COVERAGE_POINT_KIND_ESTATE:
			name = estates[len(estates)-2-i]
		case orgv1.CoveragePointKind_COVERAGE_POINT_KIND_BUILDING:
			name = firmWords[b.r.IntN(len(firmWords))] + "商务楼"
		default:
			name = short + socials[b.r.IntN(len(socials))]
		}
		n.points = append(n.points, &point{kind: kind, name: name, members: int64(between(b.r, 3, 15))})
	}
}

// team builds a leadership team: three to five cadres, the secretary also
// director of the residents' committee, ages and schooling within the
// limits of 001, unless a flaw says otherwise.
func (b *builder) team(st style, f flaw) []*orgv1.Cadre {
	size := between(b.r, 3, 5)
	switch {
	case f.has(smallTeam):
		size = 2
	case f.has(largeTeam):
		size = 6
	}
	team := make([]*orgv1.Cadre, size)
	for i := range team {
		team[i] = b.cadre(i)
	}
	secretary := team[0]
	if f.has(notDirector) {
		team[1].ConcurrentPosts = []orgv1.ConcurrentPost{orgv1.ConcurrentPost_CONCURRENT_POST_RESIDENTS_COMMITTEE_DIRECTOR}
	} else {
		secretary.ConcurrentPosts = slices.Clone(st.secretaryPosts)
	}
	switch {
	case f.has(oldSecretary):
		b.age(secretary, orgv1.Sex_SEX_MALE, between(b.r, 58, 64))
	case f.has(agedExcepted):
		b.age(secretary, orgv1.Sex_SEX_MALE, between(b.r, 57, 60))
		secretary.AgeException = true
		secretary.ExceptionReason = "优秀的现任社区干部，群众公认，经组织部门同意年龄适当放宽"
	}
	if f.has(oldDeputy) {
		b.age(team[1], orgv1.Sex_SEX_FEMALE, between(b.r, 52, 54))
	}
	if f.has(lowEducation) {
		team[size-1].Education = orgv1.Education_EDUCATION_JUNIOR_HIGH
	}
	if f.has(noCollege) {
		for _, c := range team {
			c.Education = orgv1.Education_EDUCATION_HIGH_SCHOOL
		}
	}
	return team
}

// cadre draws the i-th cadre of a team (0 the secretary, 1 the deputy),
// within every limit.
func (b *builder) cadre(i int) *orgv1.Cadre {
	role := orgv1.CadreRole_CADRE_ROLE_COMMITTEE_MEMBER
	education := []orgv1.Education{
		orgv1.Education_EDUCATION_HIGH_SCHOOL, orgv1.Education_EDUCATION_COLLEGE,
		orgv1.Education_EDUCATION_COLLEGE, orgv1.Education_EDUCATION_BACHELOR,
	}
	switch i {
	case 0:
		role, education = orgv1.CadreRole_CADRE_ROLE_SECRETARY, education[1:]
	case 1:
		role = orgv1.CadreRole_CADRE_ROLE_DEPUTY_SECRETARY
	}
	sex := orgv1.Sex_SEX_FEMALE
	if b.r.IntN(10) < 6 {
		sex = orgv1.Sex_SEX_MALE
	}
	c := &orgv1.Cadre{Role: role, Education: education[b.r.IntN(len(education))]}
	if sex == orgv1.Sex_SEX_MALE {
		b.age(c, sex, between(b.r, 33, 52))
	} else {
		b.age(c, sex, between(b.r, 29, 47))
	}
	// Cross-appointment between the party and residents' committees (001).
	if i > 0 && b.r.IntN(2) == 0 {
		c.ConcurrentPosts = []orgv1.ConcurrentPost{orgv1.ConcurrentPost_CONCURRENT_POST_RESIDENTS_COMMITTEE_MEMBER}
	}
	return c
}

// age gives a cadre a sex, a name to match and a birth date making them age.
func (b *builder) age(c *orgv1.Cadre, sex orgv1.Sex, age int) {
	c.Sex = sex
	c.Name = b.people.name(sex)
	c.BirthDate = b.people.birthDate(age)
}
