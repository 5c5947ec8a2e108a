package rules

import (
	"context"
	"errors"

	"gongjian.dev/pkg/actor"
)

// Presets are the rules of the source documents and of public practice
// (DOMAIN §4, §5) as the service ships them, named in Chinese as the
// documents and the people using them name them (the name becomes the
// title of every item a rule opens, in the console, the exports and other
// systems alike; the console keeps an English name per rule code): the city's rules until an
// administrator changes them, each district able to override their
// parameters or switch them off.
var Presets = []Rule{
	{
		Code: "quarterly_activity_missed", Name: "季度内未开展集中活动",
		Fact: FactQuarterlyActivity, Window: QuarterEnd,
		Condition: "founded_before_quarter && concentrated_activities == 0",
		Params:    map[string]any{"kinds": []any{"COMMUNITY"}, "grace_days": float64(15)},
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 30,
			RequiredEvidence: "the minutes, attendance and photos of a concentrated activity held to make up for the quarter"}},
		Severity: Medium, Enabled: true,
		Explanation: "002: every community holds one concentrated activity each quarter (每季度组织开展一次集中活动). " +
			"Judged when the quarter and the district's grace period (grace_days) have passed, for the kinds of " +
			"organisation the district names (kinds); an organisation founded during a quarter is judged from the next. " +
			"An activity recorded late does not erase the miss, but lets the item be closed.",
	},
	{
		Code: "in_service_absent_six_months", Name: "在职党员连续六个月未参加共建活动",
		Fact: FactInServiceAttendance, Window: MonthsRunning, WindowCount: 6,
		Condition:    "months_absent >= window",
		Consequences: []Consequence{{Kind: PublishCriticism}, {Kind: WithdrawStar}},
		Severity:     High, Enabled: true,
		Explanation: "002: an in-service member who takes no part in the joint activities (联学共建) six months running is " +
			"criticised publicly and loses five-star status (连续半年不参加活动的在职党员通报批评，取消五星级党员资格). " +
			"Attendance comes from the members named on the co-building service's joint activities.",
	},
	{
		Code: "pocket_member", Name: "介绍信过期未被接收（口袋党员）",
		Fact: FactTransferExpired, Window: OnEvent, Condition: "true",
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 30,
			RequiredEvidence: "the receipt of the receiving organisation, or the letter re-issued"}},
		Severity: Medium, Enabled: true,
		Explanation: "004: a letter released and never received makes a pocket member (口袋党员); the sending organisation follows it up.",
	},
	{
		Code: "transfer_open_six_months", Name: "组织关系转接半年未办结",
		Fact: FactTransferFlagged, Window: OnEvent, Condition: "true",
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 30,
			RequiredEvidence: "the outcome of the review recorded: contacted, not reached, or treated as left"}},
		Severity: Medium, Enabled: true,
		Explanation: "Public practice (DOMAIN §5): a member who has not completed a transfer after six months is reviewed as having left (自行脱党) — never removed automatically.",
	},
	{
		Code: "mobile_contact_overdue", Name: "流动党员联系逾期",
		Fact: FactMobileContactOverdue, Window: OnEvent, Condition: "period >= params.min_period",
		Params: map[string]any{"min_period": float64(1)},
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 15,
			RequiredEvidence: "the contact made with the member, logged in the member service"}},
		Severity: Low, Enabled: true,
		Explanation: "000: two-way contact with mobile members (双向联系); an overdue contact is flagged and followed up by the home organisation.",
	},
	// Assessment (this service's own results).
	{
		Code: "assessment_bottom_two_twice", Name: "年内两次季度考核排名末两位",
		Fact: FactAssessmentResult, Window: OnEvent, Condition: "quarterly && bottom_two_count >= params.times",
		Params:       map[string]any{"times": float64(2)},
		Consequences: []Consequence{{Kind: BarCommendation}},
		Severity:     Medium, Enabled: true,
		Explanation: "Public practice (DOMAIN §5): quarterly task lists with scores and rankings; an organisation in the " +
			"bottom two of its peers twice in a year loses the year's awards (取消评优资格), and with it its leaders.",
	},
	{
		Code: "assessment_below_pass", Name: "考核得分低于合格线",
		Fact: FactAssessmentResult, Window: OnEvent, Condition: "score < params.pass_score",
		Params: map[string]any{"pass_score": float64(60)},
		Consequences: []Consequence{{Kind: ScheduleInterview, DeadlineDays: 15}, {Kind: OpenItem, DeadlineDays: 30,
			RequiredEvidence: "a rectification plan for the tasks that scored low, and what was done"}},
		Severity: High, Enabled: true,
		Explanation: "Public practice (DOMAIN §5) and 002: an organisation scoring below 60 points is held to account " +
			"(问责): its leader is interviewed (约谈) and it fixes what scored low by a deadline (限期整改).",
	},
}

// The presets on co-building's facts (DOMAIN §3, §4).
var coBuildingPresets = []Rule{
	{
		Code: "unit_report_missed", Name: "驻区单位未按月报送共建情况",
		Fact: FactUnitReportMissed, Window: OnEvent, Condition: "days_late >= params.min_days_late",
		Params: map[string]any{"min_days_late": float64(0)},
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 15,
			RequiredEvidence: "the unit's report for the month filed, or the community's record of following it up"}},
		Severity: Low, Enabled: true,
		Explanation: "002: each resident unit reports to its community every month on its co-building work; the " +
			"community owed the report follows a missed month up.",
	},
	{
		Code: "joint_meeting_missed", Name: "期内未召开联席会议",
		Fact: FactJointMeetingMissed, Window: OnEvent, Condition: "kind in params.kinds",
		Params: map[string]any{"kinds": []any{"COMMUNITY", "COUNTY"}},
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 30,
			RequiredEvidence: "the minutes and attendance of a joint meeting held to make up for the period"}},
		Severity: Medium, Enabled: true,
		Explanation: "002: a community meets its resident units at least every half year; 000, 001: the county " +
			"coordination committee meets every quarter. The convener answers for a period without one.",
	},
	{
		Code: "ledger_item_overdue", Name: "联席会议议事台账事项逾期未办结",
		Fact: FactLedgerItemOverdue, Window: OnEvent, Condition: "true",
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 15,
			RequiredEvidence: "the item ticked off in the issue ledger, or its new deadline agreed with the owner"}},
		Severity: Medium, Enabled: true,
		Explanation: "002: each item agreed at a joint meeting has an owner and a deadline, is tracked (跟踪督办) and " +
			"ticked off (销号); the community that convened the meeting answers for an item past its deadline.",
	},
}

// The presets on the compliance report's findings (DOMAIN §1, §4), one
// per area of its checks.
var compliancePresets = []Rule{
	{
		Code: "compliance_staffing", Name: "社区班子配备不符合要求",
		Fact: FactComplianceFinding, Window: OnEvent, Condition: `area == "STAFFING"`,
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 90,
			RequiredEvidence: "the leadership team as changed (size, ages, education, the secretary chairing the residents' committee), or the exception approved"}},
		Severity: Medium, Enabled: true,
		Explanation: "001: a community's team has three to five cadres, men at most 55 and women at most 50 unless " +
			"excepted, high school or more with some college; 000, 001, 002: the secretary chairs the residents' committee.",
	},
	{
		Code: "compliance_structure", Name: "社区党组织设置不符合要求",
		Fact: FactComplianceFinding, Window: OnEvent, Condition: `area == "STRUCTURE"`,
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 60,
			RequiredEvidence: "the branch or general branch set up in the organisation service"}},
		Severity: Medium, Enabled: true,
		Explanation: "001: every community has at least one branch (一社区一支部); 000: a community over the member " +
			"threshold sets up a general branch.",
	},
	{
		Code: "compliance_premises", Name: "活动阵地不达标",
		Fact: FactComplianceFinding, Window: OnEvent, Condition: `area == "PREMISES"`,
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 180,
			RequiredEvidence: "the premises' area and equipment as recorded now, with photos"}},
		Severity: Low, Enabled: true,
		Explanation: "001: a community's premises have at least 200 m² and the required equipment.",
	},
	{
		Code: "compliance_coverage_gap", Name: "组织覆盖空白点未建党组织",
		Fact: FactComplianceFinding, Window: OnEvent, Condition: `area == "COVERAGE"`,
		Consequences: []Consequence{{Kind: OpenItem, DeadlineDays: 60,
			RequiredEvidence: "the organisation set up or named for the estate, building or organisation, recorded as covering it"}},
		Severity: Medium, Enabled: true,
		Explanation: "000: an estate, building or social organisation with party members and no party organisation is a " +
			"gap the community closes.",
	},
}

// ordinaryTwice is the preset on the two-way evaluation's grades.
var ordinaryTwice = Rule{
	Code: "unit_ordinary_two_years", Name: "驻区单位连续两年评议为一般",
	Fact: FactUnitGrades, Window: YearsRunning, WindowCount: 2, Condition: "ordinary_years >= window",
	Consequences: []Consequence{{Kind: ScheduleInterview, DeadlineDays: 30}},
	Severity:     High, Enabled: true,
	Explanation: "002: a resident unit its community grades ordinary (一般) in the year-end two-way evaluation two years " +
		"running has its leader called in for an interview (约谈); the community where it sits holds it.",
}

func init() {
	Presets = append(append(append(Presets, coBuildingPresets...), compliancePresets...), ordinaryTwice)
}

// EnsurePresets saves each preset the city does not have yet (by code);
// replicas starting at once each save it or find it saved.
func (s *Service) EnsurePresets(ctx context.Context) error {
	ctx = actor.AsSystem(ctx, "rule-presets")
	have, err := s.store.Rules(ctx)
	if err != nil {
		return err
	}
	codes := map[string]bool{}
	for _, r := range have {
		codes[r.Code] = true
	}
	for _, p := range Presets {
		if codes[p.Code] {
			continue
		}
		r := p
		if _, err := s.CreateRule(ctx, &r, "", Actor{Subject: "system:rule-presets"}); err != nil && !errors.Is(err, ErrCodeTaken) {
			return err
		}
	}
	return nil
}
