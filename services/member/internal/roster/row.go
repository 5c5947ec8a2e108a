package roster

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/textcheck"
	"gongjian.dev/services/member/internal/member"
)

// column is one column a roster may have: its field (the API's name), the
// headings it goes by, and whether a member cannot be registered without it.
type column struct {
	field    string
	headings []string
	required bool
}

// columns are the columns of a roster, in the order problems are reported.
var columns = []column{
	{"name", []string{"姓名"}, true},
	{"sex", []string{"性别"}, true},
	{"birth_date", []string{"出生日期"}, true},
	{"national_id", []string{"身份证号", "身份证号码", "公民身份号码"}, true},
	{"phone", []string{"联系电话", "电话", "手机", "手机号码"}, false},
	{"education", []string{"学历", "文化程度"}, false},
	{"join_date", []string{"入党日期", "入党时间"}, true},
	{"status", []string{"党员类别"}, true},
	{"employment_status", []string{"就业状态"}, false},
	{"employer", []string{"工作单位"}, false},
	{"residence", []string{"居住地址", "家庭住址"}, false},
	{"skills", []string{"技能特长", "特长"}, false},
	{"hardship", []string{"困难党员"}, false},
	{"organisation_id", []string{"组织id"}, false},
}

// headingNote is what rosters add to a heading: a mark or a hint.
var headingNote = regexp.MustCompile(`[*＊]|[(（].*?[)）]`)

// normaliseHeading reduces a heading to what names its column.
func normaliseHeading(h string) string {
	h = headingNote.ReplaceAllString(h, "")
	return strings.ToLower(strings.Join(strings.Fields(h), ""))
}

// layout is where each field's column is in a file: field → index.
type layout map[string]int

// layoutOf finds the columns of a header. Unknown headings are ignored; a
// heading that names a column twice, or no known heading at all, makes
// the file unreadable.
func layoutOf(header []string) (layout, error) {
	byHeading := map[string]string{}
	for _, c := range columns {
		byHeading[c.field] = c.field
		byHeading[strings.ReplaceAll(c.field, "_", "")] = c.field
		for _, h := range c.headings {
			byHeading[normaliseHeading(h)] = c.field
		}
	}
	l := layout{}
	for i, h := range header {
		field, ok := byHeading[normaliseHeading(h)]
		if !ok {
			continue
		}
		if _, twice := l[field]; twice {
			return nil, contentErr("two columns are %s (%s)", headingOf(field), field)
		}
		l[field] = i
	}
	if len(l) == 0 {
		return nil, contentErr("the first row names no known column: 姓名, 性别, 出生日期, 身份证号…")
	}
	return l, nil
}

func headingOf(field string) string {
	for _, c := range columns {
		if c.field == field {
			if field == "organisation_id" {
				return "组织ID"
			}
			return c.headings[0]
		}
	}
	return field
}

// missing are the problems of a file without some required columns,
// which every row has.
func (l layout) missing() []Problem {
	var out []Problem
	for _, c := range columns {
		if _, ok := l[c.field]; c.required && !ok {
			out = append(out, Problem{Field: c.field, Message: fmt.Sprintf("the file has no %s (%s) column", headingOf(c.field), c.field)})
		}
	}
	return out
}

// Problem is one thing wrong with a row.
type Problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// rowProblems collects the problems of one row, each once.
type rowProblems []Problem

func (p *rowProblems) add(field, format string, args ...any) {
	pr := Problem{Field: field, Message: fmt.Sprintf(format, args...)}
	if !slices.Contains(*p, pr) {
		*p = append(*p, pr)
	}
}

// The values rosters write, by field.
var (
	sexes = map[string]string{"男": member.SexMale, "女": member.SexFemale, "male": member.SexMale, "female": member.SexFemale,
		"m": member.SexMale, "f": member.SexFemale}
	statuses = map[string]string{"正式": member.StatusFull, "正式党员": member.StatusFull, "full": member.StatusFull,
		"预备": member.StatusProbationary, "预备党员": member.StatusProbationary, "probationary": member.StatusProbationary}
	educations = map[string]string{"小学": "PRIMARY", "初中": "JUNIOR_HIGH", "高中": "HIGH_SCHOOL",
		"中专": "HIGH_SCHOOL", "技校": "HIGH_SCHOOL", "职高": "HIGH_SCHOOL", "大专": "COLLEGE", "专科": "COLLEGE",
		"本科": "BACHELOR", "大学": "BACHELOR", "研究生": "POSTGRADUATE", "硕士": "POSTGRADUATE", "博士": "POSTGRADUATE"}
	employments = map[string]string{"在职": "EMPLOYED", "退休": "RETIRED", "离退休": "RETIRED", "离休": "RETIRED",
		"下岗": "LAID_OFF", "失业": "UNEMPLOYED", "无业": "UNEMPLOYED", "待业": "UNEMPLOYED", "学生": "STUDENT",
		"在校": "STUDENT", "个体": "SELF_EMPLOYED", "自由职业": "SELF_EMPLOYED", "其他": "OTHER"}
	// educationNames and employmentNames are the API's names, also taken.
	educationNames  = []string{"PRIMARY", "JUNIOR_HIGH", "HIGH_SCHOOL", "COLLEGE", "BACHELOR", "POSTGRADUATE"}
	employmentNames = []string{"EMPLOYED", "RETIRED", "LAID_OFF", "UNEMPLOYED", "STUDENT", "SELF_EMPLOYED", "OTHER"}
	yesNo           = map[string]bool{"是": true, "否": false, "yes": true, "no": false, "y": true, "n": false,
		"true": true, "false": false, "1": true, "0": false}
)

var (
	phonePattern  = regexp.MustCompile(`^[0-9+() -]*$`)
	skillsSep     = regexp.MustCompile(`[、,，;；\s]+`)
	datePattern   = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)
	serialPattern = regexp.MustCompile(`^\d{1,5}(\.\d+)?$`)
)

// rowReader turns the cells of rows into members.
type rowReader struct {
	layout     layout
	serials    bool
	defaultOrg string
}

// cell is a row's value of field, "" when the file has no such column.
func (r rowReader) cell(cells []string, field string) string {
	if i, ok := r.layout[field]; ok && i < len(cells) {
		return cells[i]
	}
	return ""
}

// member reads one row. The member carries what could be read; problems
// say what could not, or what the domain refuses (validate), by field.
func (r rowReader) member(cells []string, today time.Time) (*member.Member, rowProblems) {
	var p rowProblems
	// A file's cells are not checked on the way in as the API's strings
	// are (a roster travels as bytes): the same rule applies here.
	for _, c := range columns {
		if d, _ := textcheck.Problem(r.cell(cells, c.field)); d != "" {
			p.add(c.field, "%s", d)
		}
	}
	get := func(field string) string {
		if v := r.cell(cells, field); textcheck.Clean(v) {
			return v
		}
		return "" // named above; kept out of the member
	}
	m := &member.Member{Name: get("name"), NationalID: member.NormaliseNationalID(get("national_id")), Phone: get("phone"),
		Employer: get("employer"), Residence: member.Residence{Building: get("residence")}}
	m.Sex = r.choose(&p, "sex", get("sex"), sexes, nil)
	m.BirthDate = r.date(&p, "birth_date", get("birth_date"))
	m.Education = r.choose(&p, "education", get("education"), educations, educationNames)
	m.JoinDate = r.date(&p, "join_date", get("join_date"))
	m.Status = r.choose(&p, "status", get("status"), statuses, nil)
	m.EmploymentStatus = r.choose(&p, "employment_status", get("employment_status"), employments, employmentNames)
	if s := get("skills"); s != "" {
		m.Skills = slices.DeleteFunc(skillsSep.Split(s, -1), func(s string) bool { return s == "" })
	}
	if h := get("hardship"); h != "" {
		b, ok := yesNo[strings.ToLower(h)]
		if !ok {
			p.add("hardship", "write 是 or 否")
		}
		m.Hardship = b
	}
	m.OrganisationID = get("organisation_id")
	if m.OrganisationID == "" {
		m.OrganisationID = r.defaultOrg
	}
	r.checkLengths(&p, m)
	if strings.ContainsAny(m.NationalID, "E+.") {
		p.add("national_id", "the number was kept as a number and lost its last digits: format the column as text and type it again")
	}
	if err := m.Validate(today); err != nil {
		r.addViolations(&p, err)
	}
	if m.OrganisationID == "" {
		p.add("organisation_id", "the row names no organisation and the import gives none")
	} else if uuid.Validate(m.OrganisationID) != nil {
		p.add("organisation_id", "not an organisation id")
	}
	return m, p
}

// checkLengths applies the limits CreateMember's request has.
func (r rowReader) checkLengths(p *rowProblems, m *member.Member) {
	for _, f := range []struct {
		field, value string
		max          int
	}{{"name", m.Name, 100}, {"phone", m.Phone, 32}, {"employer", m.Employer, 200}, {"residence", m.Residence.Building, 200}} {
		if utf8.RuneCountInString(f.value) > f.max {
			p.add(f.field, "at most %d characters", f.max)
		}
	}
	if !phonePattern.MatchString(m.Phone) {
		p.add("phone", "a phone number has digits, spaces, +, ( ) and - only")
	}
	if len(m.Skills) > 32 {
		p.add("skills", "at most 32 skills")
	}
	for _, s := range m.Skills {
		if utf8.RuneCountInString(s) > 100 {
			p.add("skills", "a skill has at most 100 characters")
		}
	}
}

// addViolations adds the domain's refusals, except those of values that
// were unreadable or of columns the file lacks, already said.
func (r rowReader) addViolations(p *rowProblems, err error) {
	e, ok := errs.As(err)
	if !ok {
		p.add("row", "%v", err)
		return
	}
	said := map[string]bool{}
	for _, pr := range *p {
		said[pr.Field] = true
	}
	for _, v := range e.Violations {
		field := strings.TrimPrefix(v.Field, "member.")
		if _, has := r.layout[field]; said[field] || (!has && field != "organisation_id") {
			continue
		}
		p.add(field, "%s", v.Description)
	}
}

// choose reads a value of a closed set: a roster's word for it, or the
// API's name. "" is no value, which validate judges.
func (r rowReader) choose(p *rowProblems, field, v string, words map[string]string, names []string) string {
	if v == "" {
		return ""
	}
	if out, ok := words[strings.ToLower(v)]; ok {
		return out
	}
	if up := strings.ToUpper(v); slices.Contains(names, up) {
		return up
	}
	known := make([]string, 0, len(words))
	for w := range words {
		if !isASCII(w) {
			known = append(known, w)
		}
	}
	slices.Sort(known)
	p.add(field, "not one of %s", strings.Join(known, ", "))
	return ""
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// date reads a date as rosters write it: 1980-01-15, 1980/1/15, 1980.1.15,
// 1980年1月15日, 19800115, or (in a workbook) an Excel date.
func (r rowReader) date(p *rowProblems, field, v string) time.Time {
	if v == "" {
		return time.Time{}
	}
	if r.serials && serialPattern.MatchString(v) {
		f, _ := strconv.ParseFloat(v, 64)
		if t, err := excelize.ExcelDateToTime(f, false); err == nil && f >= 1 {
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		}
	}
	var y, m, d int
	if g := datePattern.FindStringSubmatch(v); g != nil {
		y, _ = strconv.Atoi(g[1])
		m, _ = strconv.Atoi(g[2])
		d, _ = strconv.Atoi(g[3])
	} else if len(v) == 8 && strings.Trim(v, "0123456789") == "" {
		y, _ = strconv.Atoi(v[:4])
		m, _ = strconv.Atoi(v[4:6])
		d, _ = strconv.Atoi(v[6:])
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if y == 0 || t.Year() != y || int(t.Month()) != m || t.Day() != d {
		p.add(field, "not a date: write it as 1980-01-15")
		return time.Time{}
	}
	return t
}
