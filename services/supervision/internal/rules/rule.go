package rules

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"gongjian.dev/pkg/errs"
)

// The errors of rules.
var (
	ErrInvalidRule  = errs.New(errs.InvalidArgument, "invalid rule")
	ErrRuleNotFound = errs.New(errs.NotFound, "rule not found")
	ErrVersion      = errs.WithReason(errs.Aborted, "ETAG_MISMATCH", "the rule changed since it was read")
	ErrCodeTaken    = errs.New(errs.AlreadyExists, "a rule with this code exists")
	ErrNotDistrict  = errs.New(errs.FailedPrecondition, "not a district")
)

// Severity ranks findings.
type Severity string

// The severities.
const (
	Low    Severity = "LOW"
	Medium Severity = "MEDIUM"
	High   Severity = "HIGH"
)

// ConsequenceKind is what follows a finding.
type ConsequenceKind string

// The consequences a rule can have.
const (
	OpenItem          ConsequenceKind = "OPEN_ITEM"
	ScheduleInterview ConsequenceKind = "SCHEDULE_INTERVIEW"
	WithdrawStar      ConsequenceKind = "WITHDRAW_STAR"
	PublishCriticism  ConsequenceKind = "PUBLISH_CRITICISM"
	// BarCommendation bars the organisation (and so its leaders) from
	// commendation in the finding's year (取消评优资格).
	BarCommendation ConsequenceKind = "BAR_COMMENDATION"
)

// Consequence is one thing that follows a finding.
type Consequence struct {
	Kind             ConsequenceKind `json:"kind"`
	DeadlineDays     int32           `json:"deadline_days,omitempty"`
	RequiredEvidence string          `json:"required_evidence,omitempty"`
}

// Rule is one version of a rule.
type Rule struct {
	ID           string
	Code         string
	Version      int32
	Name         string
	Fact         string
	Window       Window
	WindowCount  int32
	Condition    string
	Params       map[string]any
	Consequences []Consequence
	Severity     Severity
	Explanation  string
	Enabled      bool
	Updated      time.Time
	UpdatedBy    string
	// DistrictID, when set, says the district override is applied.
	DistrictID string
}

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{2,63}$`)

// check validates r and compiles its condition against its fact, naming
// the field at fault; it returns the compiled condition.
func (r *Rule) check() (*Condition, error) {
	v := errs.NewValidation(ErrInvalidRule)
	if !codePattern.MatchString(r.Code) {
		v.Add("rule.code", "lower-case letters, digits and underscores, 3 to 64, starting with a letter")
	}
	if strings.TrimSpace(r.Name) == "" {
		v.Add("rule.name", "a rule needs a name")
	}
	if strings.TrimSpace(r.Explanation) == "" {
		v.Add("rule.explanation", "say why the rule exists: anyone reading a finding sees it")
	}
	if !slices.Contains([]Severity{Low, Medium, High}, r.Severity) {
		v.Add("rule.severity", "LOW, MEDIUM or HIGH")
	}
	for i, c := range r.Consequences {
		if !slices.Contains([]ConsequenceKind{OpenItem, ScheduleInterview, WithdrawStar, PublishCriticism, BarCommendation}, c.Kind) {
			v.Add(fmt.Sprintf("rule.consequences[%d].kind", i), "unknown consequence")
		}
		if (c.Kind == OpenItem || c.Kind == ScheduleInterview) && c.DeadlineDays <= 0 {
			v.Add(fmt.Sprintf("rule.consequences[%d].deadline_days", i), "an item or an interview needs a deadline in days")
		}
	}
	fact, ok := FactNamed(r.Fact)
	if !ok {
		v.Add("rule.fact", "no fact is called %q: see ListFacts", r.Fact)
		return nil, v.Err()
	}
	if !slices.Contains(fact.Windows, r.Window) {
		v.Add("rule.window.kind", "the fact %s is watched %v", fact.Name, fact.Windows)
	}
	if (r.Window == MonthsRunning || r.Window == YearsRunning) && r.WindowCount <= 0 {
		v.Add("rule.window.count", "a running window needs a count of months or years")
	}
	if slices.ContainsFunc(r.Consequences, func(c Consequence) bool { return c.Kind == WithdrawStar }) && fact.Subject != SubjectMember {
		v.Add("rule.consequences", "only a rule about members can withdraw a star rating")
	}
	if slices.ContainsFunc(r.Consequences, func(c Consequence) bool { return c.Kind == BarCommendation }) && fact.Subject != SubjectOrganisation {
		v.Add("rule.consequences", "only a rule about organisations can bar one from commendation")
	}
	cond, err := Compile(fact, r.Condition)
	if err != nil {
		v.Add("rule.condition", "%s", err.Error())
		return nil, v.Err()
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	// A trial on zero facts catches what type-checking cannot: a parameter
	// the condition names that the rule does not have.
	if _, err := cond.Eval(zeroVars(fact), r.Params, r.WindowCount); err != nil {
		return nil, errs.Field(ErrInvalidRule, "rule.params", err.Error())
	}
	return cond, nil
}

// Condition is a rule's compiled condition.
type Condition struct{ prg cel.Program }

// Compile type-checks a CEL condition against the variables of fact, its
// parameters (params, a map) and window (the window's count); it must yield
// a bool.
func Compile(fact Fact, expr string) (*Condition, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, fmt.Errorf("a rule needs a condition")
	}
	opts := []cel.EnvOption{
		cel.Variable("params", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("window", cel.IntType),
	}
	for _, v := range fact.Vars {
		opts = append(opts, cel.Variable(v.Name, celType(v.Type)))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, iss.Err()
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return nil, fmt.Errorf("the condition yields %s, not a bool", ast.OutputType())
	}
	prg, err := env.Program(ast, cel.CostLimit(100000))
	if err != nil {
		return nil, err
	}
	return &Condition{prg: prg}, nil
}

// Eval evaluates the condition on one subject's facts.
func (c *Condition) Eval(vars, params map[string]any, window int32) (bool, error) {
	act := make(map[string]any, len(vars)+2)
	maps.Copy(act, vars)
	if params == nil {
		params = map[string]any{}
	}
	act["params"], act["window"] = params, int64(window)
	out, _, err := c.prg.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	return ok && bool(b), nil
}

func celType(t VarType) *cel.Type {
	switch t {
	case Int:
		return cel.IntType
	case Bool:
		return cel.BoolType
	case Double:
		return cel.DoubleType
	case StringList:
		return cel.ListType(cel.StringType)
	}
	return cel.StringType
}

func zeroVars(f Fact) map[string]any {
	out := map[string]any{}
	for _, v := range f.Vars {
		switch v.Type {
		case Int:
			out[v.Name] = int64(0)
		case Bool:
			out[v.Name] = false
		case Double:
			out[v.Name] = 0.0
		case StringList:
			out[v.Name] = []string{}
		default:
			out[v.Name] = ""
		}
	}
	return out
}

// Override is a district's own setting of a city rule.
type Override struct {
	RuleID, DistrictID string
	Params             map[string]any
	// Enabled is nil when the district follows the city.
	Enabled   *bool
	Version   int32
	Updated   time.Time
	UpdatedBy string
}

// Apply returns the rule as it runs in the override's district.
func (o *Override) Apply(r *Rule) *Rule {
	out := *r
	out.DistrictID = o.DistrictID
	out.Params = maps.Clone(r.Params)
	if out.Params == nil {
		out.Params = map[string]any{}
	}
	maps.Copy(out.Params, o.Params)
	if o.Enabled != nil {
		out.Enabled = *o.Enabled
	}
	return &out
}
