package member

import (
	"context"
	"errors"
	"strings"

	"gongjian.dev/pkg/errs"
)

// Org is what the member service knows of an organisation: its local view,
// kept from the organisation service's events, so that members can be
// registered while the organisation service is down.
type Org struct {
	ID         string
	Kind       string // the API enum's name without its prefix: "BRANCH"
	State      string // "ACTIVE" or "DISSOLVED"
	Name       string
	DistrictID string // the district it belongs to; a district's own id
	Path       string // '/<city>/…/<id>/'
}

// The organisation states.
const (
	OrgActive    = "ACTIVE"
	OrgDissolved = "DISSOLVED"
)

// acceptsMembers are the kinds in which a membership relationship may sit.
// Party groups, grids and liaison stations organise members whose
// relationship sits in a branch; the committees above the community hold
// the relationships of their own organs through branches.
var acceptsMembers = map[string]bool{
	"COMMUNITY": true, "GENERAL_BRANCH": true, "BRANCH": true,
	"BUILDING_BRANCH": true, "TEMPORARY_BRANCH": true, "RESIDENT_UNIT": true,
}

// CheckHolds refuses an organisation that cannot take a membership,
// naming field as the one at fault.
func CheckHolds(o *Org, field string) error {
	switch {
	case o.State == OrgDissolved:
		return fieldErr(ErrOrgDissolved, field, "the organisation is dissolved")
	case o.Kind == "PARTY_GROUP":
		return fieldErr(ErrOrgNoMembers, field, "a party group cannot hold memberships; use its branch")
	case !acceptsMembers[o.Kind]:
		return fieldErr(ErrOrgNoMembers, field, "a "+strings.ToLower(strings.ReplaceAll(o.Kind, "_", " "))+
			" cannot hold memberships; use a community, general branch, branch, building branch, temporary branch or resident-unit organisation")
	}
	return nil
}

// District checks that id is a district of the local view: settings
// are kept per district.
func District(ctx context.Context, tx Tx, id string) (*Org, error) {
	o, err := tx.Org(ctx, id)
	if errors.Is(err, ErrOrgNotFound) {
		return nil, errs.Field(ErrOrgNotFound, "district_id", "no organisation has this id")
	}
	if err == nil && o.Kind != "DISTRICT" {
		return nil, errs.Field(ErrNotDistrict, "district_id", "settings are kept per district")
	}
	return o, err
}
