package grpcapi

import (
	"time"

	"gongjian.dev/pkg/errs"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
)

// fromProto converts the API message to the domain; the derived fields
// (district, times) are ignored.
func fromProto(m *pb.Member) (*member.Member, error) {
	v := errs.NewValidation(member.ErrInvalid)
	parse := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			v.Add(field, "not a real date in the form YYYY-MM-DD")
		}
		return t
	}
	out := &member.Member{
		ID: m.GetId(), Name: m.GetName(), Sex: pbconv.Enum(m.GetSex().String(), "SEX_"),
		BirthDate: parse("member.birth_date", m.GetBirthDate()), NationalID: m.GetNationalId(),
		Phone: m.GetPhone(), Education: pbconv.Enum(m.GetEducation().String(), "EDUCATION_"),
		JoinDate:         parse("member.join_date", m.GetJoinDate()),
		Status:           pbconv.Enum(m.GetStatus().String(), "MEMBER_STATUS_"),
		EmploymentStatus: pbconv.Enum(m.GetEmploymentStatus().String(), "EMPLOYMENT_STATUS_"),
		Employer:         m.GetEmployer(), OrganisationID: m.GetOrganisationId(),
		Skills: m.GetSkills(), Hardship: m.GetHardship(), StarRating: m.GetStarRating(),
	}
	if r := m.GetResidence(); r != nil {
		out.Residence = member.Residence{CommunityID: r.GetCommunityId(), GridID: r.GetGridId(), Building: r.GetBuilding()}
	}
	return out, v.Err()
}
