package org

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Rule names a compliance rule. The rules are reported, never enforced: an
// organisation that breaks one keeps working, and the report says so.
type Rule string

// The rules of DOMAIN §1, with the documents they come from.
const (
	RuleCommunityHasBranch  Rule = "COMMUNITY_HAS_BRANCH"
	RuleGeneralBranchOver   Rule = "GENERAL_BRANCH_OVER_THRESHOLD"
	RuleLeadershipSize      Rule = "LEADERSHIP_SIZE"
	RuleLeadershipAge       Rule = "LEADERSHIP_AGE"
	RuleLeadershipEducation Rule = "LEADERSHIP_EDUCATION"
	RuleSecretaryDirector   Rule = "SECRETARY_DIRECTOR"
	RulePremisesArea        Rule = "PREMISES_AREA"
	RulePremisesEquipment   Rule = "PREMISES_EQUIPMENT"
	RuleCoverageGap         Rule = "COVERAGE_GAP"
	RuleQuarterlyActivity   Rule = "QUARTERLY_ACTIVITY"
	maxFindingsListed            = 1000
)

// FactsQuery asks the store for the facts the rules need about every live
// community in scope.
type FactsQuery struct {
	RootID      string
	Subtree     bool
	QuarterFrom Date
	QuarterTo   Date
}

// CommunityFacts is what the rules look at for one community, gathered by
// the store in a few set-based queries.
type CommunityFacts struct {
	Community *Organisation
	// BranchDescendants counts the live branches and building branches below it.
	BranchDescendants int64
	// GeneralBranchDescendants counts the live general branches below it.
	GeneralBranchDescendants int64
	// Members is the member count of the whole community subtree.
	Members int64
	// ConcentratedActivities held in the quarter asked for, anywhere in the community.
	ConcentratedActivities int64
	// Gaps are coverage points with members and no live covering organisation.
	Gaps []*CoveragePoint
	// UnitGaps are the community's resident units with party members and
	// no party organisation, as the co-building service reports them.
	UnitGaps []*UnitCoverage
}

// Finding is one organisation failing one rule.
type Finding struct {
	OrganisationID   string
	OrganisationName string
	Reason           string
	SubjectID        string
	// SubjectKind says what SubjectID names: SubjectCoveragePoint or
	// SubjectResidentUnit.
	SubjectKind string
}

// What a finding's subject is.
const (
	SubjectCoveragePoint = "COVERAGE_POINT"
	SubjectResidentUnit  = "RESIDENT_UNIT"
)

// RuleResult is the outcome of one rule over the scope.
type RuleResult struct {
	Rule     Rule
	Title    string
	Source   string
	Checked  int
	Findings []Finding
	Count    int
}

// Report is the compliance report of a scope on a day.
type Report struct {
	AsOf    Date
	Results []RuleResult
}

// check is one rule: whether it applies to a community under its district's
// settings, and what is wrong (nothing when it passes).
type check struct {
	rule    Rule
	title   string
	source  string
	applies func(*Settings) bool
	eval    func(f *CommunityFacts, st *Settings, asOf Date) []Finding
}

func always(*Settings) bool { return true }

var checks = []check{
	{RuleCommunityHasBranch, "every community has at least one branch (一社区一支部)", "001", always, evalHasBranch},
	{RuleGeneralBranchOver, "a community over the member threshold sets up a general branch", "000", always, evalGeneralBranch},
	{RuleLeadershipSize, "a community leadership team has the prescribed number of cadres", "001", always, evalTeamSize},
	{RuleLeadershipAge, "cadres within the age limits (men 55, women 50) unless excepted", "001", always, evalTeamAge},
	{RuleLeadershipEducation, "cadres with high school or more, some with college", "001", always, evalTeamEducation},
	{RuleSecretaryDirector, "the secretary also chairs the residents' committee (一肩挑)", "000, 001, 002",
		func(s *Settings) bool { return s.RequireSecretaryDirector }, evalSecretaryDirector},
	{RulePremisesArea, "activity premises of at least the prescribed area", "001", always, evalPremisesArea},
	{RulePremisesEquipment, "activity premises with the prescribed equipment", "001",
		func(s *Settings) bool { return len(s.RequiredEquipment) > 0 }, evalPremisesEquipment},
	{RuleCoverageGap, "no estate, building, social organisation or resident unit with members but no party organisation (空白点)", "000", always, evalCoverage},
	{RuleQuarterlyActivity, "a concentrated activity in the last completed quarter", "002",
		func(s *Settings) bool { return s.QuarterlyActivityRequired }, evalQuarterly},
}

// Compliance checks one organisation, or its whole subtree, on day asOf.
// The rules apply to communities; a report on a street checks the
// communities under it.
func (s *Service) Compliance(ctx context.Context, rootID string, subtree bool, asOf Date) (*Report, error) {
	if asOf.IsZero() {
		asOf = s.today()
	}
	if _, err := s.store.Get(ctx, rootID); err != nil {
		return nil, err
	}
	from, to := asOf.PreviousQuarter()
	facts, err := s.store.ComplianceFacts(ctx, FactsQuery{RootID: rootID, Subtree: subtree, QuarterFrom: from, QuarterTo: to})
	if err != nil {
		return nil, err
	}
	settings := map[string]*Settings{}
	for _, f := range facts {
		d := f.Community.DistrictID
		if _, ok := settings[d]; !ok {
			if settings[d], err = s.store.Settings(ctx, d); err != nil {
				return nil, err
			}
		}
	}
	return evaluate(facts, settings, asOf), nil
}

// evaluate runs every rule over the facts: pure, so it is tested without a database.
func evaluate(facts []CommunityFacts, settings map[string]*Settings, asOf Date) *Report {
	r := &Report{AsOf: asOf}
	for _, c := range checks {
		res := RuleResult{Rule: c.rule, Title: c.title, Source: c.source}
		for i := range facts {
			f := &facts[i]
			st := settings[f.Community.DistrictID]
			if st == nil {
				st = DefaultSettings(f.Community.DistrictID)
			}
			if !c.applies(st) {
				continue
			}
			res.Checked++
			for _, fd := range c.eval(f, st, asOf) {
				res.Count++
				if len(res.Findings) < maxFindingsListed {
					res.Findings = append(res.Findings, fd)
				}
			}
		}
		r.Results = append(r.Results, res)
	}
	return r
}

func finding(f *CommunityFacts, format string, args ...any) []Finding {
	return []Finding{{OrganisationID: f.Community.ID, OrganisationName: f.Community.Name, Reason: fmt.Sprintf(format, args...)}}
}

func evalHasBranch(f *CommunityFacts, _ *Settings, _ Date) []Finding {
	if f.Community.Details.CommunityForm == FormBranch || f.BranchDescendants > 0 {
		return nil
	}
	return finding(f, "the community has no branch")
}

func evalGeneralBranch(f *CommunityFacts, st *Settings, _ Date) []Finding {
	if f.Members <= int64(st.GeneralBranchMemberThreshold) {
		return nil
	}
	form := f.Community.Details.CommunityForm
	if form == FormGeneralBranch || form == FormCommittee || f.GeneralBranchDescendants > 0 {
		return nil
	}
	return finding(f, "%d members, more than %d, but no general branch", f.Members, st.GeneralBranchMemberThreshold)
}

func evalTeamSize(f *CommunityFacts, st *Settings, _ Date) []Finding {
	n := int32(len(f.Community.Leadership))
	if n >= st.LeadershipMinSize && n <= st.LeadershipMaxSize {
		return nil
	}
	return finding(f, "leadership team of %d, the rule is %d–%d", n, st.LeadershipMinSize, st.LeadershipMaxSize)
}

func evalTeamAge(f *CommunityFacts, st *Settings, asOf Date) []Finding {
	var over []string
	for _, c := range f.Community.Leadership {
		limit := st.MaxAgeMale
		if c.Sex == SexFemale {
			limit = st.MaxAgeFemale
		}
		if age := asOf.YearsSince(c.BirthDate); int32(age) > limit && !c.AgeException {
			over = append(over, fmt.Sprintf("%s is %d (limit %d)", c.Name, age, limit))
		}
	}
	if len(over) == 0 {
		return nil
	}
	return finding(f, "over the age limit without an exception: %s", strings.Join(over, "; "))
}

func evalTeamEducation(f *CommunityFacts, st *Settings, _ Date) []Finding {
	var low []string
	college := false
	for _, c := range f.Community.Leadership {
		if c.Education < st.MinEducation {
			low = append(low, c.Name)
		}
		college = college || c.Education >= EducationCollege
	}
	var reasons []string
	if len(low) > 0 {
		reasons = append(reasons, "below the required education: "+strings.Join(low, ", "))
	}
	if st.RequireCollegeCadre && !college && len(f.Community.Leadership) > 0 {
		reasons = append(reasons, "no cadre with college education")
	}
	if len(reasons) == 0 {
		return nil
	}
	return finding(f, "%s", strings.Join(reasons, "; "))
}

func evalSecretaryDirector(f *CommunityFacts, _ *Settings, _ Date) []Finding {
	for _, c := range f.Community.Leadership {
		if c.IsSecretary() {
			if c.Holds(PostRCDirector) {
				return nil
			}
			return finding(f, "the secretary %s does not chair the residents' committee", c.Name)
		}
	}
	return finding(f, "the community has no secretary")
}

func evalPremisesArea(f *CommunityFacts, st *Settings, _ Date) []Finding {
	p := f.Community.Details.Premises
	if p == nil {
		return finding(f, "no activity premises recorded")
	}
	if p.AreaM2 < st.MinPremisesAreaM2 {
		return finding(f, "premises of %.0f m², under %.0f m²", p.AreaM2, st.MinPremisesAreaM2)
	}
	return nil
}

func evalPremisesEquipment(f *CommunityFacts, st *Settings, _ Date) []Finding {
	var have []string
	if p := f.Community.Details.Premises; p != nil {
		have = p.Equipment
	}
	var missing []string
	for _, e := range st.RequiredEquipment {
		if !slices.Contains(have, e) {
			missing = append(missing, e)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return finding(f, "premises lack: %s", strings.Join(missing, ", "))
}

func evalCoverage(f *CommunityFacts, _ *Settings, _ Date) []Finding {
	var out []Finding
	for _, p := range f.Gaps {
		out = append(out, Finding{OrganisationID: f.Community.ID, OrganisationName: f.Community.Name, SubjectID: p.ID,
			SubjectKind: SubjectCoveragePoint,
			Reason:      fmt.Sprintf("%s %q has %d members but no party organisation", strings.ToLower(strings.ReplaceAll(string(p.Kind), "_", " ")), p.Name, p.MemberCount)})
	}
	for _, u := range f.UnitGaps {
		out = append(out, Finding{OrganisationID: f.Community.ID, OrganisationName: f.Community.Name, SubjectID: u.UnitID,
			SubjectKind: SubjectResidentUnit,
			Reason: fmt.Sprintf("resident unit %q has %d party members but no party organisation (since %s)",
				u.UnitName, u.PartyMembers, u.Opened.Format(time.DateOnly))})
	}
	return out
}

func evalQuarterly(f *CommunityFacts, _ *Settings, asOf Date) []Finding {
	from, to := asOf.PreviousQuarter()
	founded := f.Community.Details.Founded
	if founded.IsZero() {
		founded = DateOf(f.Community.Created)
	}
	if f.ConcentratedActivities > 0 || to.Before(founded) {
		return nil // held one, or was not founded yet during that quarter
	}
	return finding(f, "no concentrated activity between %s and %s", from, to)
}
