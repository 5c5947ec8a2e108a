package pbconv

import (
	"strings"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/units"
)

// Unit is the API's resident unit.
func Unit(u *units.Unit) *pb.ResidentUnit {
	return &pb.ResidentUnit{
		Id: u.ID, Name: u.Name, Type: pb.UnitType(pb.UnitType_value["UNIT_TYPE_"+string(u.Type)]),
		CommunityId: u.CommunityID, StreetId: u.StreetID, DistrictId: u.DistrictID, Address: u.Address,
		Contacts: Contacts(u.Contacts), HeadCount: int32(u.HeadCount), PartyMemberCount: int32(u.PartyMemberCount),
		PartyOrganisationId: u.PartyOrganisationID, CoverageGap: u.CoverageGap(),
		InServiceMemberCount: int32(u.InServiceMembers), Version: u.Version,
		CreateTime: ts(u.Created), UpdateTime: ts(u.Updated),
	}
}

// UnitOf is the domain's unit of an API one.
func UnitOf(u *pb.ResidentUnit) *units.Unit {
	return &units.Unit{
		ID: u.GetId(), Name: u.GetName(), Type: UnitTypeOf(u.GetType()), CommunityID: u.GetCommunityId(),
		Address: u.GetAddress(), Contacts: ContactsOf(u.GetContacts()), HeadCount: int(u.GetHeadCount()),
		PartyMemberCount: int(u.GetPartyMemberCount()), PartyOrganisationID: u.GetPartyOrganisationId(),
	}
}

// UnitTypeOf is the domain's type of an API one ("" for none).
func UnitTypeOf(t pb.UnitType) units.Type {
	if t == pb.UnitType_UNIT_TYPE_UNSPECIFIED {
		return ""
	}
	return units.Type(strings.TrimPrefix(t.String(), "UNIT_TYPE_"))
}
