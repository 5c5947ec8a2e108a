package pbconv

import (
	"time"

	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/rectify"
)

// Round is the message of a round.
func Round(r *rectify.Round) *pb.InspectionRound {
	out := &pb.InspectionRound{Id: r.ID, DistrictId: r.DistrictID, Year: r.Year, Quarter: r.Quarter, Name: r.Name,
		CreatedBy: r.CreatedBy, CreateTime: ts(r.Created)}
	for _, c := range r.Checklist {
		out.Checklist = append(out.Checklist, &pb.ChecklistItem{Code: c.Code, Text: c.Text})
	}
	return out
}

// RoundOf is the domain's round of a message.
func RoundOf(m *pb.InspectionRound) *rectify.Round {
	r := &rectify.Round{DistrictID: m.GetDistrictId(), Year: m.GetYear(), Quarter: m.GetQuarter(), Name: m.GetName()}
	for _, c := range m.GetChecklist() {
		r.Checklist = append(r.Checklist, rectify.ChecklistItem{Code: c.GetCode(), Text: c.GetText()})
	}
	return r
}

// Group is the message of a group.
func Group(g *rectify.Group) *pb.InspectionGroup {
	return &pb.InspectionGroup{Id: g.ID, RoundId: g.RoundID, DistrictId: g.DistrictID, Name: g.Name,
		Inspectors: g.Inspectors, OrganisationIds: g.Covered, Version: g.Version}
}

// GroupOf is the domain's group of a message.
func GroupOf(m *pb.InspectionGroup) *rectify.Group {
	return &rectify.Group{ID: m.GetId(), RoundID: m.GetRoundId(), Name: m.GetName(), Inspectors: m.GetInspectors(), Covered: m.GetOrganisationIds()}
}

// InspectionFinding is the message of an inspection finding.
func InspectionFinding(f *rectify.InspectionFinding) *pb.InspectionFinding {
	return &pb.InspectionFinding{Id: f.ID, RoundId: f.RoundID, GroupId: f.GroupID, OrganisationId: f.OrganisationID,
		ChecklistCode: f.ChecklistCode, Description: f.Description, Inspector: f.Inspector, ItemId: f.ItemID, CreateTime: ts(f.Created),
		FoundOn: date(f.FoundOn)}
}

// Interview is the message of an interview.
func Interview(iv *rectify.Interview) *pb.Interview {
	return &pb.Interview{Id: iv.ID, OrganisationId: iv.OrganisationID, DistrictId: iv.DistrictID, FindingId: iv.FindingID,
		Reason: iv.Reason, DueBy: date(iv.DueBy), Interviewee: iv.Interviewee, HeldOn: date(iv.HeldOn),
		FixDeadline: date(iv.FixDeadline), FollowUp: iv.FollowUp, FollowedUpOn: date(iv.FollowedUpOn),
		State:     pb.InterviewState(pb.InterviewState_value["INTERVIEW_STATE_"+string(iv.State)]),
		CreatedBy: iv.CreatedBy, CreateTime: ts(iv.Created)}
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// Date reads a YYYY-MM-DD field (validated by the API); zero for "".
func Date(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}
