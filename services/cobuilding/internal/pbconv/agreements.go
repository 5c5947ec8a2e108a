package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Agreement is the API's agreement.
func Agreement(a *agreements.Agreement) *pb.Agreement {
	goals := make([]*pb.Goal, 0, len(a.Goals))
	for _, g := range a.Goals {
		goals = append(goals, &pb.Goal{Area: Area(g.Area), Text: g.Text})
	}
	return &pb.Agreement{
		Id: a.ID, CommunityId: a.CommunityID, UnitId: a.UnitID, Goals: goals,
		StartDate: cobuild.FormatDate(a.Start), EndDate: cobuild.FormatDate(a.End),
		CommunityContact: Contact(a.CommunityContact), UnitContact: Contact(a.UnitContact),
		SignedDate: cobuild.FormatDate(a.Signed), State: pb.AgreementState(pb.AgreementState_value["AGREEMENT_STATE_"+string(a.State)]),
		EndedDate: cobuild.FormatDate(a.EndedOn), EndReason: a.EndReason, Renewals: int32(a.Renewals), Version: a.Version,
		StreetId: a.StreetID, DistrictId: a.DistrictID, CreateTime: ts(a.Created), UpdateTime: ts(a.Updated),
	}
}

// AgreementOf is the domain's agreement of an API one, its days read and
// named when they are not days.
func AgreementOf(a *pb.Agreement) (*agreements.Agreement, error) {
	out := &agreements.Agreement{ID: a.GetId(), CommunityID: a.GetCommunityId(), UnitID: a.GetUnitId(),
		CommunityContact: ContactOf(a.GetCommunityContact()), UnitContact: ContactOf(a.GetUnitContact())}
	for _, g := range a.GetGoals() {
		out.Goals = append(out.Goals, agreements.Goal{Area: AreaOf(g.GetArea()), Text: g.GetText()})
	}
	var err error
	if out.Start, err = DateOf("agreement.start_date", a.GetStartDate()); err != nil {
		return nil, err
	}
	if out.End, err = DateOf("agreement.end_date", a.GetEndDate()); err != nil {
		return nil, err
	}
	if out.Signed, err = DateOf("agreement.signed_date", a.GetSignedDate()); err != nil {
		return nil, err
	}
	return out, nil
}

// AgreementState is the domain's state of an API one ("" for none).
func AgreementState(s pb.AgreementState) agreements.State {
	switch s {
	case pb.AgreementState_AGREEMENT_STATE_LIVE:
		return agreements.Live
	case pb.AgreementState_AGREEMENT_STATE_ENDED:
		return agreements.Ended
	}
	return ""
}

// AgreementVersion is the API's version of an agreement.
func AgreementVersion(v agreements.Version) *pb.AgreementVersion {
	return &pb.AgreementVersion{Agreement: Agreement(&v.Agreement), Change: v.Change, ChangedBy: v.By}
}
