// Package rules is the rule engine of supervision: rules are data — the
// fact a rule watches and over which window, a condition in CEL over the
// fact's variables and the rule's parameters, what follows when it fires,
// its severity and its explanation — versioned, set for the city and
// overridden per district, and evaluated on the facts as they stand (the
// service's projections of other services' events), each finding made
// once. It holds the rules of DOMAIN.md §4 and §5 and the Store it needs;
// no database, transport or generated code.
package rules

import "slices"

// Window is how a rule watches its fact over time.
type Window string

// The windows.
const (
	// OnEvent judges each fact as it arrives (a letter expired).
	OnEvent Window = "ON_EVENT"
	// QuarterEnd judges each quarter once it and the grace period after it
	// have passed.
	QuarterEnd Window = "QUARTER_END"
	// MonthsRunning judges a state that lasted a number of months running.
	MonthsRunning Window = "MONTHS_RUNNING"
	// YearsRunning judges a state that lasted a number of consecutive years.
	YearsRunning Window = "YEARS_RUNNING"
)

// VarType is the CEL type of a fact's variable.
type VarType string

// The variable types a fact declares.
const (
	Int        VarType = "int"
	Bool       VarType = "bool"
	String     VarType = "string"
	Double     VarType = "double"
	StringList VarType = "list(string)"
)

// Var is one variable of a fact that a condition may name.
type Var struct {
	Name string
	Type VarType
	Doc  string
}

// Subjects of findings.
const (
	SubjectOrganisation = "organisation"
	SubjectMember       = "member"
	SubjectTransfer     = "transfer"
	SubjectMobileRecord = "mobile_record"
	SubjectResidentUnit = "resident_unit"
	SubjectLedgerItem   = "ledger_item"
)

// Fact is something the service knows and a rule can watch: its subject,
// the windows it can be watched over and the variables it offers.
type Fact struct {
	Name        string
	Description string
	Subject     string
	Windows     []Window
	Vars        []Var
}

// The names of the facts.
const (
	FactQuarterlyActivity    = "quarterly_activity"
	FactInServiceAttendance  = "in_service_attendance"
	FactTransferExpired      = "transfer_expired"
	FactTransferFlagged      = "transfer_flagged_for_review"
	FactMobileContactOverdue = "mobile_contact_overdue"
	FactUnitReportMissed     = "unit_report_missed"
	FactJointMeetingMissed   = "joint_meeting_missed"
	FactLedgerItemOverdue    = "ledger_item_overdue"
	FactComplianceFinding    = "compliance_finding"
	FactAssessmentResult     = "assessment_result"
	FactUnitGrades           = "unit_grades"
)

// Facts is the catalogue of facts, by name.
var Facts = []Fact{
	{
		Name: FactQuarterlyActivity, Subject: SubjectOrganisation, Windows: []Window{QuarterEnd},
		Description: "Each live organisation of the kinds the rule's parameter kinds names, and the concentrated " +
			"activities (集中活动) held in it or below it in a quarter, from the organisation service's events " +
			"(002: one concentrated activity every quarter).",
		Vars: []Var{
			{"kind", String, "the organisation's kind (COMMUNITY, BRANCH…)"},
			{"concentrated_activities", Int, "concentrated activities held in the quarter, in the organisation or below it"},
			{"founded_before_quarter", Bool, "founded on or before the quarter's first day: an organisation founded during a quarter is judged from the next"},
		},
	},
	{
		Name: FactInServiceAttendance, Subject: SubjectMember, Windows: []Window{MonthsRunning},
		Description: "Each in-service member registered with a community (member service), the months since they " +
			"last joined a joint activity of co-building or, if never, since they registered, and their star rating " +
			"(002: absent six months running → public criticism and loss of five-star status).",
		Vars: []Var{
			{"months_absent", Int, "whole months since the member last joined a joint activity, or since registering"},
			{"stars", Int, "the member's current star rating, 0 to 5"},
		},
	},
	{
		Name: FactTransferExpired, Subject: SubjectTransfer, Windows: []Window{OnEvent},
		Description: "A transfer letter past its deadline and not received: the member is a pocket member " +
			"(口袋党员, member service).",
		Vars: []Var{
			{"outside_city", Bool, "the letter was for an organisation outside the city"},
			{"days_overdue", Int, "days between the deadline and when the expiry was found"},
		},
	},
	{
		Name: FactTransferFlagged, Subject: SubjectTransfer, Windows: []Window{OnEvent},
		Description: "A transfer open six months (the member service's setting), flagged for the 自行脱党 review.",
		Vars: []Var{
			{"months_open", Int, "whole months since the transfer was requested"},
		},
	},
	{
		Name: FactMobileContactOverdue, Subject: SubjectMobileRecord, Windows: []Window{OnEvent},
		Description: "A mobile member who has not reported for a contact interval (member service), once per interval.",
		Vars: []Var{
			{"period", Int, "intervals without a report: 1 for the first"},
		},
	},
	{
		Name: FactUnitReportMissed, Subject: SubjectResidentUnit, Windows: []Window{OnEvent},
		Description: "A resident unit that did not file its monthly report with its community by the due date " +
			"(co-building service, once per unit, community and month; 002: each unit reports every month).",
		Vars: []Var{
			{"month", String, "the month missed, YYYY-MM"},
			{"days_late", Int, "days between the due date and when the miss was found"},
		},
	},
	{
		Name: FactJointMeetingMissed, Subject: SubjectOrganisation, Windows: []Window{OnEvent},
		Description: "A convener — a community with live agreements, or a district's coordination committee — " +
			"that held no joint meeting (联席会议) in a period of its district (co-building service; 002: every half " +
			"year; 000, 001: the county every quarter).",
		Vars: []Var{
			{"kind", String, "COMMUNITY (a community's meeting with its units) or COUNTY (the district's committee)"},
			{"period_days", Int, "the length of the period missed, in days"},
		},
	},
	{
		Name: FactLedgerItemOverdue, Subject: SubjectLedgerItem, Windows: []Window{OnEvent},
		Description: "An item of a joint meeting's issue ledger (议事台账) past its deadline and not ticked off " +
			"(co-building service, once per item); its convener answers for it.",
		Vars: []Var{
			{"days_overdue", Int, "days between the deadline and when it was found overdue"},
			{"owned_by_unit", Bool, "a resident unit owns the task (otherwise an organisation does)"},
		},
	},
	{
		Name: FactComplianceFinding, Subject: SubjectOrganisation, Windows: []Window{OnEvent},
		Description: "An organisation failing a check of the organisation service's compliance report (DOMAIN §1), as " +
			"the report stands when the service reads it (every COMPLIANCE_INTERVAL), once per organisation, check " +
			"and quarter: a failure that lasts is found again the next quarter. The missed quarterly activity has " +
			"its own fact and is left out.",
		Vars: []Var{
			{"area", String, "STAFFING (the leadership team), STRUCTURE (branches), PREMISES or COVERAGE (空白点)"},
			{"check", String, "the report's check: LEADERSHIP_SIZE, LEADERSHIP_AGE, LEADERSHIP_EDUCATION, SECRETARY_DIRECTOR, " +
				"COMMUNITY_HAS_BRANCH, GENERAL_BRANCH_OVER_THRESHOLD, PREMISES_AREA, PREMISES_EQUIPMENT, COVERAGE_GAP"},
			{"reason", String, "what is wrong, in the report's words"},
		},
	},
	{
		Name: FactAssessmentResult, Subject: SubjectOrganisation, Windows: []Window{OnEvent},
		Description: "An organisation's graded assessment result for a year or a quarter (this service's assessment): " +
			"its score, grade and rank among the organisations of its kind under the same parent (DOMAIN §5: " +
			"quarterly task lists with scores; twice in the bottom two, below 60 points).",
		Vars: []Var{
			{"score", Double, "the score, 0 to 100: the tasks and the daily records combined"},
			{"task_score", Double, "the tasks' score, 0 to 100"},
			{"daily_score", Double, "the daily records' score, 0 to 100"},
			{"grade", String, "the grade by the district's bands (优秀, 良好…)"},
			{"rank", Int, "the rank among its peers, 1 the best"},
			{"peers", Int, "how many were ranked together"},
			{"bottom_two", Bool, "in the last two ranks of three or more"},
			{"bottom_two_count", Int, "the quarters of the year, this one included, it was in the bottom two"},
			{"quarterly", Bool, "the period is a quarter (not a year)"},
			{"version", Int, "the result's version: 1 as graded, one more for each correction"},
		},
	},
}

// unitGradesFact is the co-building service's year-end grades of a unit.
var unitGradesFact = Fact{
	Name: FactUnitGrades, Subject: SubjectResidentUnit, Windows: []Window{YearsRunning},
	Description: "Each resident unit's grades by its community in the year-end two-way evaluation (双向评议, co-building " +
		"service), and how many years running, up to its latest, it was graded ordinary (一般) (002: ordinary two " +
		"years running → its leader is interviewed).",
	Vars: []Var{
		{"ordinary_years", Int, "consecutive years, ending with the latest graded, the unit was graded ORDINARY (a year not graded breaks the run)"},
		{"latest_year", Int, "the latest year the unit was graded"},
		{"latest_grade", String, "its grade that year: GOOD, FAIRLY_GOOD, ORDINARY or POOR"},
		{"unit_name", String, "the unit's name when it was last graded"},
	},
}

func init() { Facts = append(Facts, unitGradesFact) }

// ComplianceAreas are the areas of the compliance report's checks that
// the fact compliance_finding carries, by check.
var ComplianceAreas = map[string]string{
	"LEADERSHIP_SIZE": "STAFFING", "LEADERSHIP_AGE": "STAFFING", "LEADERSHIP_EDUCATION": "STAFFING",
	"SECRETARY_DIRECTOR": "STAFFING", "COMMUNITY_HAS_BRANCH": "STRUCTURE", "GENERAL_BRANCH_OVER_THRESHOLD": "STRUCTURE",
	"PREMISES_AREA": "PREMISES", "PREMISES_EQUIPMENT": "PREMISES", "COVERAGE_GAP": "COVERAGE",
}

// FactNamed finds a fact of the catalogue.
func FactNamed(name string) (Fact, bool) {
	i := slices.IndexFunc(Facts, func(f Fact) bool { return f.Name == name })
	if i < 0 {
		return Fact{}, false
	}
	return Facts[i], true
}
