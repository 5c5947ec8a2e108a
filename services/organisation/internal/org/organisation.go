package org

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Organisation is one node of the tree.
type Organisation struct {
	ID          string
	ParentID    string
	Kind        Kind
	Name        string
	Code        string
	DistrictID  string
	AncestorIDs []string // from the city down, derived from the path
	Depth       int
	State       State
	Details     Details
	Leadership  []Cadre
	MemberCount int64
	// DissolveReason, set when dissolved.
	DissolveReason string
	Created        time.Time
	Updated        time.Time
	DissolvedAt    time.Time
	Version        int64
}

// Details are the kind-specific and descriptive fields, kept together.
type Details struct {
	Founded       Date              `json:"founded,omitzero"`
	CommunityForm CommunityForm     `json:"community_form,omitempty"`
	BranchBasis   string            `json:"branch_basis,omitempty"`
	Town          bool              `json:"town,omitempty"`
	Grid          *GridInfo         `json:"grid,omitempty"`
	Temporary     *TemporaryInfo    `json:"temporary,omitempty"`
	ResidentUnit  *ResidentUnitInfo `json:"resident_unit,omitempty"`
	Premises      *Premises         `json:"premises,omitempty"`
	Funds         *Funds            `json:"funds,omitempty"`
}

// GridInfo is a grid's leader and workers.
type GridInfo struct {
	LeaderName  string   `json:"leader_name,omitempty"`
	LeaderPhone string   `json:"leader_phone,omitempty"`
	Workers     []string `json:"workers,omitempty"`
	Households  int32    `json:"households,omitempty"`
}

// TemporaryInfo says why a temporary branch exists and until when.
type TemporaryInfo struct {
	Reason string `json:"reason"`
	Until  Date   `json:"until"`
	Region string `json:"region,omitempty"`
}

// ResidentUnitInfo names the unit of a resident-unit organisation.
type ResidentUnitInfo struct {
	UnitName string `json:"unit_name"`
	UnitType string `json:"unit_type,omitempty"`
}

// Premises is the activity premises (阵地).
type Premises struct {
	AreaM2    float64  `json:"area_m2"`
	Equipment []string `json:"equipment,omitempty"`
	Centres   []string `json:"centres,omitempty"`
	Address   string   `json:"address,omitempty"`
}

// Funds is the working funds, in yuan.
type Funds struct {
	AnnualWorkingFundYuan int64 `json:"annual_working_fund_yuan"`
	MonthlyStipendYuan    int64 `json:"monthly_stipend_yuan"`
}

// Cadre is one member of a leadership team.
type Cadre struct {
	Name            string   `json:"name"`
	Role            string   `json:"role"`
	Sex             string   `json:"sex"`
	BirthDate       Date     `json:"birth_date"`
	Education       int      `json:"education"` // ordered: see the Education constants
	ConcurrentPosts []string `json:"concurrent_posts,omitempty"`
	AgeException    bool     `json:"age_exception,omitempty"`
	ExceptionReason string   `json:"exception_reason,omitempty"`
	MemberID        string   `json:"member_id,omitempty"`
}

// The leadership roles, sexes and concurrent posts the rules look at.
const (
	RoleSecretary         = "SECRETARY"
	SexMale               = "MALE"
	SexFemale             = "FEMALE"
	PostRCDirector        = "RESIDENTS_COMMITTEE_DIRECTOR"
	EducationPrimary      = 1
	EducationHigh         = 3 // senior high school
	EducationCollege      = 4 // junior college (大专) or more
	EducationPostgraduate = 6
	maxSecretaries        = 1
)

// IsSecretary reports whether the cadre is the secretary.
func (c Cadre) IsSecretary() bool { return c.Role == RoleSecretary }

// Holds reports whether the cadre holds a concurrent post.
func (c Cadre) Holds(post string) bool { return slices.Contains(c.ConcurrentPosts, post) }

// IsCommunity reports whether o is a community party organisation.
func (o *Organisation) IsCommunity() bool { return o.Kind == Community }

// Etag is the version as the API shows it.
func (o *Organisation) Etag() string { return fmt.Sprintf("%d", o.Version) }

// validateShape checks that the kind-specific fields fit the kind: a
// community says its form, a temporary branch says why and until when, a
// resident-unit organisation names its unit, and no kind carries another's fields.
func (o *Organisation) validateShape() error {
	v := newValidation()
	if !o.Kind.Valid() {
		v.Add("organisation.kind", "kind is required: one of the organisation kinds")
	}
	if strings.TrimSpace(o.Name) == "" {
		v.Add("organisation.name", "name is required")
	}
	d := o.Details
	switch {
	case o.Kind == Community && d.CommunityForm == FormNone:
		v.Add("organisation.community_form", "a community must say whether it is a party committee, general branch or branch")
	case o.Kind != Community && d.CommunityForm != FormNone:
		v.Add("organisation.community_form", "only a community has a community form")
	}
	requireOnly(v, o.Kind == TemporaryBranch, d.Temporary != nil, "organisation.temporary", "a temporary branch")
	requireOnly(v, o.Kind == ResidentUnit, d.ResidentUnit != nil, "organisation.resident_unit", "a resident-unit organisation")
	if d.Grid != nil && o.Kind != Grid {
		v.Add("organisation.grid", "only a grid has grid details")
	}
	if !d.Founded.IsZero() && !o.Created.IsZero() && DateOf(o.Created).Before(d.Founded) {
		v.Add("organisation.founding_date", "an organisation cannot have been founded after it was recorded")
	}
	if d.Town && o.Kind != Street {
		v.Add("organisation.town", "only a street or town committee can be a town")
	}
	if t := d.Temporary; t != nil {
		if strings.TrimSpace(t.Reason) == "" {
			v.Add("organisation.temporary.reason", "a temporary branch says why it exists")
		}
		if t.Until.IsZero() {
			v.Add("organisation.temporary.until", "a temporary branch says until when it exists")
		}
	}
	return v.Err()
}

// requireOnly records a violation when a field is present on the wrong kind
// or absent on the kind that needs it.
func requireOnly(v *validation, isKind, present bool, field, what string) {
	switch {
	case isKind && !present:
		v.Add(field, "%s needs %s", what, field[strings.LastIndex(field, ".")+1:])
	case !isKind && present:
		v.Add(field, "only %s has %s", what, field[strings.LastIndex(field, ".")+1:])
	}
}

// validateTeam checks a leadership team: at most one secretary, birth dates in
// the past, an age exception always with its reason.
func validateTeam(team []Cadre, today Date) error {
	v := newValidation()
	secretaries := 0
	for i, c := range team {
		f := fmt.Sprintf("cadres[%d]", i)
		if c.IsSecretary() {
			secretaries++
		}
		if c.BirthDate.IsZero() || !c.BirthDate.Before(today) {
			v.Add(f+".birth_date", "birth date must be a real day in the past")
		}
		if c.AgeException && strings.TrimSpace(c.ExceptionReason) == "" {
			v.Add(f+".exception_reason", "an age exception needs its reason")
		}
	}
	if secretaries > maxSecretaries {
		v.Add("cadres", "a team has at most one secretary, got %d", secretaries)
	}
	return v.Err()
}
