package grpcapi

import (
	"context"

	"gongjian.dev/pkg/authz"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/roster"
)

// ImportMembers implements pb.MemberServiceServer. The rows may name
// organisations of their own, which must lie in the caller's scope.
func (a *API) ImportMembers(ctx context.Context, req *pb.ImportMembersRequest) (*pb.ImportMembersResponse, error) {
	r, err := a.roster.Import(ctx, roster.Request{
		Content: req.GetContent(), Format: pbconv.ImportFormat(req.GetFormat()),
		OrganisationID: req.GetOrganisationId(), WithinID: authz.ScopeRoot(ctx),
		DryRun: req.GetDryRun(), RequestID: req.GetRequestId(), Actor: actor(ctx),
	})
	if err != nil {
		return nil, err
	}
	return &pb.ImportMembersResponse{Report: pbconv.ImportReport(r)}, nil
}

// memberFilter is what ListMembersRequest and CountMembersRequest share.
type memberFilter interface {
	GetOrganisationId() string
	GetAncestorId() string
	GetStatus() pb.MemberStatus
	GetCategoryCode() string
	GetName() string
	GetSkills() []string
	GetSkillsMatch() pb.SkillsMatch
	GetEmploymentStatus() pb.EmploymentStatus
}

// filterOf is the domain filter of a list or count request, inside the
// caller's scope; the optional fields are passed as they are, nil when unset.
func filterOf(ctx context.Context, req memberFilter, minAge, maxAge *int32, hardship *bool) member.ListFilter {
	f := member.ListFilter{
		OrganisationID: req.GetOrganisationId(), AncestorID: req.GetAncestorId(),
		Status:   pbconv.Enum(req.GetStatus().String(), "MEMBER_STATUS_"),
		WithinID: authz.ScopeRoot(ctx),
		Search: member.Search{CategoryCode: req.GetCategoryCode(), Name: req.GetName(), Skills: req.GetSkills(),
			AnySkill:         req.GetSkillsMatch() == pb.SkillsMatch_SKILLS_MATCH_ANY,
			EmploymentStatus: pbconv.Enum(req.GetEmploymentStatus().String(), "EMPLOYMENT_STATUS_")},
	}
	if minAge != nil {
		n := int(*minAge)
		f.MinAge = &n
	}
	if maxAge != nil {
		n := int(*maxAge)
		f.MaxAge = &n
	}
	f.Hardship = hardship
	return f
}
