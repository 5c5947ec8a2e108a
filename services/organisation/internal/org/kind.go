// Package org holds the rules of the organisation tree (DOMAIN §1): which
// kind of organisation may sit under which, what each kind must carry, how
// history is kept, and the compliance rules that are reported, never enforced.
package org

// Kind is the place of an organisation in the tree. The values are the names
// of the API enum without its prefix, and are what the database stores.
type Kind string

// The kinds of organisation.
const (
	City            Kind = "CITY"
	District        Kind = "DISTRICT"
	Street          Kind = "STREET"
	Community       Kind = "COMMUNITY"
	GeneralBranch   Kind = "GENERAL_BRANCH"
	Branch          Kind = "BRANCH"
	PartyGroup      Kind = "PARTY_GROUP"
	Grid            Kind = "GRID"
	BuildingBranch  Kind = "BUILDING_BRANCH"
	TemporaryBranch Kind = "TEMPORARY_BRANCH"
	ResidentUnit    Kind = "RESIDENT_UNIT"
	LiaisonStation  Kind = "LIAISON_STATION"
)

// parents says under which kinds each kind may sit: "vertical to the bottom,
// horizontal to the edge" (纵向到底，横向到边) with the main line city →
// district → street → community → general branch → branch → party group,
// and grids, building branches, temporary branches of mobile members and the
// organisations of resident units beside it (DOMAIN §1, documents 000, 002, 004).
var parents = map[Kind][]Kind{
	City:            nil,
	District:        {City},
	Street:          {District},
	Community:       {Street},
	GeneralBranch:   {Community, ResidentUnit},
	Branch:          {Community, GeneralBranch, Street, ResidentUnit},
	PartyGroup:      {Branch, BuildingBranch, TemporaryBranch, Grid},
	Grid:            {Community},
	BuildingBranch:  {Street, Community},
	TemporaryBranch: {Street, Community},
	ResidentUnit:    {District, Street, Community},
	LiaisonStation:  {Street, Community},
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	_, ok := parents[k]
	return ok
}

// AllowedUnder reports whether an organisation of kind k may sit under one of kind parent.
func (k Kind) AllowedUnder(parent Kind) bool {
	for _, p := range parents[k] {
		if p == parent {
			return true
		}
	}
	return false
}

// AllowedParents lists the kinds an organisation of kind k may sit under.
func (k Kind) AllowedParents() []Kind { return parents[k] }

// AcceptsMembers reports whether members' relationships may sit directly in
// an organisation of this kind. Party groups, grids and liaison stations
// organise members whose relationship sits in a branch; the committees above
// the community hold the relationships of their own organs through branches.
func (k Kind) AcceptsMembers() bool {
	switch k {
	case Community, GeneralBranch, Branch, BuildingBranch, TemporaryBranch, ResidentUnit:
		return true
	}
	return false
}

// IsBranchLike reports whether the kind counts as a branch for the
// "one community, one branch" rule (一社区一支部).
func (k Kind) IsBranchLike() bool {
	return k == Branch || k == BuildingBranch
}

// CommunityForm is the form a community party organisation takes.
type CommunityForm string

// The community forms.
const (
	FormNone          CommunityForm = ""
	FormCommittee     CommunityForm = "COMMITTEE"
	FormGeneralBranch CommunityForm = "GENERAL_BRANCH"
	FormBranch        CommunityForm = "BRANCH"
)

// State is the life state of an organisation.
type State string

// The states.
const (
	Active    State = "ACTIVE"
	Dissolved State = "DISSOLVED"
)
