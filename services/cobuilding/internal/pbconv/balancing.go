package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/balancing"
)

// CommunityBalance is the API's balance of a community.
func CommunityBalance(b balancing.CommunityBalance) *pb.CommunityBalance {
	return &pb.CommunityBalance{CommunityId: b.CommunityID, Name: b.Name, StreetId: b.StreetID, Units: int32(b.Units),
		LiveAgreements: int32(b.LiveAgreements)}
}

// BalancingProposal is the API's proposal.
func BalancingProposal(p *balancing.Proposal) *pb.BalancingProposal {
	out := &pb.BalancingProposal{Id: p.ID, OrganisationId: p.OrganisationID, DistrictId: p.DistrictID,
		State:      pb.BalancingProposalState(pb.BalancingProposalState_value["BALANCING_PROPOSAL_STATE_"+string(p.State)]),
		ProposedBy: p.ProposedBy, AcceptedBy: p.AcceptedBy, CreateTime: ts(p.Created), AcceptTime: ts(p.AcceptedAt)}
	for _, it := range p.Items {
		out.Items = append(out.Items, &pb.BalancingItem{UnitId: it.UnitID, UnitName: it.UnitName, UnitCommunityId: it.UnitCommunityID,
			CommunityId: it.CommunityID, CommunityName: it.CommunityName,
			Tier:             pb.BalancingTier(pb.BalancingTier_value["BALANCING_TIER_"+string(it.Tier)]),
			AgreementsBefore: int32(it.AgreementsBefore), AgreementId: it.AgreementID})
	}
	return out
}

// TermsOf are the domain's terms of an acceptance, its days read and named
// when they are not days.
func TermsOf(req *pb.AcceptBalancingProposalRequest) (balancing.Terms, error) {
	t := balancing.Terms{CommunityContact: ContactOf(req.GetCommunityContact())}
	for _, g := range req.GetGoals() {
		t.Goals = append(t.Goals, agreements.Goal{Area: AreaOf(g.GetArea()), Text: g.GetText()})
	}
	var err error
	if t.Start, err = DateOf("start_date", req.GetStartDate()); err != nil {
		return t, err
	}
	t.End, err = DateOf("end_date", req.GetEndDate())
	return t, err
}
