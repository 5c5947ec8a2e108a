package member

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"cel.dev/cel-go/cel"

	"gongjian.dev/pkg/errs"
)

// The errors of management categories.
var (
	ErrInvalidScheme   = errs.New(errs.InvalidArgument, "invalid category scheme")
	ErrUnknownCategory = errs.New(errs.InvalidArgument, "the scheme of the member's district has no such category")
	ErrNotDistrict     = errs.New(errs.FailedPrecondition, "not a district")
	ErrNoOverride      = errs.New(errs.FailedPrecondition, "the member's category was not set by hand")
)

// DefaultScheme is the key of the city's default scheme, which classifies
// the members of every district without a scheme of its own.
const DefaultScheme = "default"

// Scheme is how a district classifies its members (DOMAIN §2): an ordered
// list of categories, each with a rule; a member is in the first category
// whose rule holds, and in none if no rule holds.
type Scheme struct {
	Name       string
	Source     string
	Categories []SchemeCategory
	Updated    time.Time // zero for a preset or the built-in default
	UpdatedBy  string
}

// SchemeCategory is one category of a scheme. Rule is a CEL expression
// over the member (see ruleEnv) that yields a bool.
type SchemeCategory struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Method string `json:"method"`
	Rule   string `json:"rule"`
}

// Category is a member's management category: by the rules, or set by
// hand (Overridden), with who did it, when and why.
type Category struct {
	Code       string
	Name       string
	Overridden bool
	Reason     string
	By         string
	At         time.Time
}

// CategoryCount is the number of members in one category.
type CategoryCount struct {
	Code  string // "" for members in no category
	Name  string
	Count int64
}

var codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ruleEnv declares the variables a rule may use.
var ruleEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("employment_status", cel.StringType),
		cel.Variable("age", cel.IntType),
		cel.Variable("status", cel.StringType),
		cel.Variable("hardship", cel.BoolType),
		cel.Variable("mobile", cel.BoolType),
		cel.Variable("employer", cel.StringType),
		cel.Variable("skills", cel.ListType(cel.StringType)),
	)
})

// Classifier is a scheme with its rules compiled.
type Classifier struct {
	Scheme   Scheme
	programs []cel.Program
}

// classifiers keeps compiled schemes by their categories, so that a
// registration does not compile the rules again.
var classifiers sync.Map // string → *Classifier

func schemeKey(s Scheme) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q\x00", s.Name)
	for _, c := range s.Categories {
		fmt.Fprintf(&b, "%q %q %q\x00", c.Code, c.Name, c.Rule)
	}
	return b.String()
}

// Compile checks a scheme and compiles its rules, each type-checked to a
// bool; a fault is reported on its field under prefix ("scheme").
func Compile(s Scheme, prefix string) (*Classifier, error) {
	key := schemeKey(s)
	if c, ok := classifiers.Load(key); ok {
		return &Classifier{Scheme: s, programs: c.(*Classifier).programs}, nil
	}
	env, err := ruleEnv()
	if err != nil {
		return nil, err
	}
	v := errs.NewValidation(ErrInvalidScheme)
	if strings.TrimSpace(s.Name) == "" {
		v.Add(prefix+".name", "a scheme needs a name")
	}
	if len(s.Categories) == 0 {
		v.Add(prefix+".categories", "a scheme needs at least one category")
	}
	c := &Classifier{Scheme: s}
	seen := map[string]bool{}
	for i, cat := range s.Categories {
		field := fmt.Sprintf("%s.categories[%d]", prefix, i)
		switch {
		case !codePattern.MatchString(cat.Code):
			v.Add(field+".code", "a code is a lower-case letter followed by up to 31 lower-case letters, digits or underscores")
		case seen[cat.Code]:
			v.Add(field+".code", "the code %s is used twice", cat.Code)
		}
		seen[cat.Code] = true
		if strings.TrimSpace(cat.Name) == "" {
			v.Add(field+".name", "a category needs a name")
		}
		ast, iss := env.Compile(cat.Rule)
		if iss.Err() != nil {
			v.Add(field+".rule", "%s", iss.Err().Error())
			continue
		}
		if !ast.OutputType().IsExactType(cel.BoolType) {
			v.Add(field+".rule", "the rule yields %s, not bool", ast.OutputType())
			continue
		}
		prg, err := env.Program(ast)
		if err != nil {
			v.Add(field+".rule", "%s", err.Error())
			continue
		}
		c.programs = append(c.programs, prg)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	classifiers.Store(key, c)
	return c, nil
}

// Classify returns the category of m's attributes as of today: the first
// whose rule holds; ok is false when none does. A rule that fails to
// evaluate does not hold.
func (c *Classifier) Classify(m *Member, today time.Time) (SchemeCategory, bool) {
	vars := map[string]any{
		"employment_status": m.EmploymentStatus,
		"age":               int64(ageOn(m.BirthDate, today)),
		"status":            m.Status,
		"hardship":          m.Hardship,
		"mobile":            m.Mobile,
		"employer":          m.Employer,
		"skills":            skillsOf(m),
	}
	for i, prg := range c.programs {
		out, _, err := prg.Eval(vars)
		if err != nil {
			continue
		}
		if b, ok := out.Value().(bool); ok && b {
			return c.Scheme.Categories[i], true
		}
	}
	return SchemeCategory{}, false
}

// Find returns the category of the scheme with this code.
func (c *Classifier) Find(code string) (SchemeCategory, bool) {
	for _, cat := range c.Scheme.Categories {
		if cat.Code == code {
			return cat, true
		}
	}
	return SchemeCategory{}, false
}

func skillsOf(m *Member) []string {
	if m.Skills == nil {
		return []string{}
	}
	return m.Skills
}

// ageOn is the age in whole years on a day.
func ageOn(birth, day time.Time) int {
	if birth.IsZero() {
		return 0
	}
	age := day.Year() - birth.Year()
	if day.Month() < birth.Month() || (day.Month() == birth.Month() && day.Day() < birth.Day()) {
		age--
	}
	return age
}

// CategoryChange is a member whose category changes.
type CategoryChange struct {
	MemberID       string
	OrganisationID string
	Old, New       Category
}
