package demo

import orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"

// flaw is a shortcoming given to a community on purpose, so that the
// compliance report of the demo city has something to say under every rule,
// as the source documents say real cities do.
type flaw uint32

const (
	// noBranch: only grids and their party groups, no branch (一社区一支部).
	noBranch flaw = 1 << iota
	// noGeneralBranch: over 50 members, still a single branch.
	noGeneralBranch
	// smallTeam: two cadres.
	smallTeam
	// largeTeam: six cadres.
	largeTeam
	// oldSecretary: a secretary past the age limit, without an exception.
	oldSecretary
	// oldDeputy: a woman deputy past the age limit, without an exception.
	oldDeputy
	// lowEducation: a committee member with junior-high education.
	lowEducation
	// noCollege: nobody in the team went to college.
	noCollege
	// notDirector: the secretary does not chair the residents' committee.
	notDirector
	// smallPremises: premises under 200 m².
	smallPremises
	// missingEquipment: no computer and no DVD player.
	missingEquipment
	// coverageGap: a place with members and no organisation.
	coverageGap
	// missedQuarter: no concentrated activity in the last completed quarter.
	missedQuarter
	// agedExcepted is no flaw: a secretary past the limit kept on with a
	// recorded exception, which the age rule must accept.
	agedExcepted
)

// flawRules maps each flaw to the rule it breaks.
var flawRules = []struct {
	flaw flaw
	rule orgv1.ComplianceRule
}{
	{noBranch, orgv1.ComplianceRule_COMPLIANCE_RULE_COMMUNITY_HAS_BRANCH},
	{noGeneralBranch, orgv1.ComplianceRule_COMPLIANCE_RULE_GENERAL_BRANCH_OVER_THRESHOLD},
	{smallTeam, orgv1.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_SIZE},
	{largeTeam, orgv1.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_SIZE},
	{oldSecretary, orgv1.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_AGE},
	{oldDeputy, orgv1.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_AGE},
	{lowEducation, orgv1.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_EDUCATION},
	{noCollege, orgv1.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_EDUCATION},
	{notDirector, orgv1.ComplianceRule_COMPLIANCE_RULE_SECRETARY_DIRECTOR},
	{smallPremises, orgv1.ComplianceRule_COMPLIANCE_RULE_PREMISES_AREA},
	{missingEquipment, orgv1.ComplianceRule_COMPLIANCE_RULE_PREMISES_EQUIPMENT},
	{coverageGap, orgv1.ComplianceRule_COMPLIANCE_RULE_COVERAGE_GAP},
	{missedQuarter, orgv1.ComplianceRule_COMPLIANCE_RULE_QUARTERLY_ACTIVITY},
}

func (f flaw) has(x flaw) bool { return f&x != 0 }

// rules lists the rules f breaks, without repeats.
func (f flaw) rules() []orgv1.ComplianceRule {
	var out []orgv1.ComplianceRule
	seen := map[orgv1.ComplianceRule]bool{}
	for _, fr := range flawRules {
		if f.has(fr.flaw) && !seen[fr.rule] {
			seen[fr.rule] = true
			out = append(out, fr.rule)
		}
	}
	return out
}
