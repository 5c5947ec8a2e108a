// Package pbconv converts between the organisation domain and its protobuf
// messages, for the gRPC handlers and for the events, and turns every
// domain event into its record (RecordOf): its message for the outbox and
// its audit record, built in one place. Domain enums are the API enum
// names without their prefix.
package pbconv

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/org"
)

// enumName strips the API prefix from an enum value name; the zero value is "".
func enumName(full, prefix string) string {
	if strings.HasSuffix(full, "_UNSPECIFIED") {
		return ""
	}
	return strings.TrimPrefix(full, prefix)
}

func enumValue(values map[string]int32, prefix, name string) int32 {
	if name == "" {
		return 0
	}
	return values[prefix+name]
}

// Kind converts an API kind.
func Kind(k pb.OrganisationKind) org.Kind {
	return org.Kind(enumName(k.String(), "ORGANISATION_KIND_"))
}

// KindPB converts a domain kind.
func KindPB(k org.Kind) pb.OrganisationKind {
	return pb.OrganisationKind(enumValue(pb.OrganisationKind_value, "ORGANISATION_KIND_", string(k)))
}

// ActivityKind converts an API activity kind.
func ActivityKind(k pb.ActivityKind) org.ActivityKind {
	return org.ActivityKind(enumName(k.String(), "ACTIVITY_KIND_"))
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func tm(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime()
}

// Organisation converts a domain organisation to its message.
func Organisation(o *org.Organisation) *pb.Organisation {
	d := o.Details
	m := &pb.Organisation{
		Id: o.ID, ParentId: o.ParentID, Kind: KindPB(o.Kind), Name: o.Name, Code: o.Code,
		DistrictId: o.DistrictID, AncestorIds: o.AncestorIDs, Depth: int32(o.Depth),
		State:         pb.OrganisationState(enumValue(pb.OrganisationState_value, "ORGANISATION_STATE_", string(o.State))),
		CommunityForm: pb.CommunityForm(enumValue(pb.CommunityForm_value, "COMMUNITY_FORM_", string(d.CommunityForm))),
		BranchBasis:   pb.BranchBasis(enumValue(pb.BranchBasis_value, "BRANCH_BASIS_", d.BranchBasis)),
		Town:          d.Town, DissolveReason: o.DissolveReason, MemberCount: o.MemberCount, FoundingDate: d.Founded.String(),
		CreateTime: ts(o.Created), UpdateTime: ts(o.Updated), DissolveTime: ts(o.DissolvedAt), Etag: o.Etag(),
	}
	if g := d.Grid; g != nil {
		m.Grid = &pb.Grid{LeaderName: g.LeaderName, LeaderPhone: g.LeaderPhone, Workers: g.Workers, Households: g.Households}
	}
	if t := d.Temporary; t != nil {
		m.Temporary = &pb.TemporaryBranch{Reason: t.Reason, Until: t.Until.String(), Region: t.Region}
	}
	if u := d.ResidentUnit; u != nil {
		m.ResidentUnit = &pb.ResidentUnit{UnitName: u.UnitName, UnitType: u.UnitType}
	}
	if p := d.Premises; p != nil {
		m.Premises = &pb.Premises{AreaM2: p.AreaM2, Equipment: p.Equipment, Centres: p.Centres, Address: p.Address}
	}
	if f := d.Funds; f != nil {
		m.Funds = &pb.Funds{AnnualWorkingFundYuan: f.AnnualWorkingFundYuan, MonthlyStipendYuan: f.MonthlyStipendYuan}
	}
	for _, c := range o.Leadership {
		m.Leadership = append(m.Leadership, Cadre(c))
	}
	return m
}

// Cadre converts a domain cadre to its message.
func Cadre(c org.Cadre) *pb.Cadre {
	m := &pb.Cadre{
		Name:            c.Name,
		Role:            pb.CadreRole(enumValue(pb.CadreRole_value, "CADRE_ROLE_", c.Role)),
		Sex:             pb.Sex(enumValue(pb.Sex_value, "SEX_", c.Sex)),
		BirthDate:       c.BirthDate.String(),
		Education:       pb.Education(c.Education),
		AgeException:    c.AgeException,
		ExceptionReason: c.ExceptionReason,
		MemberId:        c.MemberID,
	}
	for _, p := range c.ConcurrentPosts {
		m.ConcurrentPosts = append(m.ConcurrentPosts, pb.ConcurrentPost(enumValue(pb.ConcurrentPost_value, "CONCURRENT_POST_", p)))
	}
	return m
}

// Activity converts a domain activity to its message.
func Activity(a *org.Activity) *pb.Activity {
	m := &pb.Activity{
		Id: a.ID, OrganisationId: a.OrganisationID,
		Kind: pb.ActivityKind(enumValue(pb.ActivityKind_value, "ACTIVITY_KIND_", string(a.Kind))),
		Date: a.Date.String(), Topic: a.Topic, Expected: a.Expected, Attended: a.Attended,
		Note: a.Note, RecordTime: ts(a.Recorded), AttendeeMemberIds: a.AttendeeIDs,
	}
	for _, ab := range a.Absentees {
		m.Absentees = append(m.Absentees, &pb.Absentee{Name: ab.Name, Reason: ab.Reason, MemberId: ab.MemberID,
			ReasonKind: pb.AbsenceReason(enumValue(pb.AbsenceReason_value, "ABSENCE_REASON_", string(ab.ReasonKind)))})
	}
	return m
}

// AbsenceReason converts an API kind of absence reason ("" when none was given).
func AbsenceReason(r pb.AbsenceReason) org.AbsenceReason {
	return org.AbsenceReason(enumName(r.String(), "ABSENCE_REASON_"))
}

// CoveragePoint converts a domain coverage point to its message.
func CoveragePoint(p *org.CoveragePoint) *pb.CoveragePoint {
	return &pb.CoveragePoint{
		Id: p.ID, CommunityId: p.CommunityID, Name: p.Name, MemberCount: p.MemberCount,
		Kind:                   pb.CoveragePointKind(enumValue(pb.CoveragePointKind_value, "COVERAGE_POINT_KIND_", string(p.Kind))),
		CoveringOrganisationId: p.CoveringOrganisationID,
	}
}

// Site converts a domain demonstration site to its message.
func Site(s *org.Site) *pb.DemonstrationSite {
	m := &pb.DemonstrationSite{Id: s.ID, CommunityId: s.CommunityID, StartDate: s.Start.String(), EndDate: s.End.String(), CreateTime: ts(s.Created)}
	for _, ms := range s.Milestones {
		m.Milestones = append(m.Milestones, &pb.Milestone{Id: ms.ID, Title: ms.Title, DueDate: ms.Due.String(), CompleteTime: ts(ms.Completed), Note: ms.Note})
	}
	for _, r := range s.Ratings {
		m.Ratings = append(m.Ratings, &pb.FiveGoodsRating{
			Year: r.Year, Leadership: grade(r.Leadership), CadresAndMembers: grade(r.CadresAndMembers),
			Mechanisms: grade(r.Mechanisms), ManagementAndService: grade(r.ManagementAndService),
			ResidentsOpinion: grade(r.ResidentsOpinion), RatedBy: r.RatedBy,
		})
	}
	return m
}

// grade converts a domain five-goods grade.
func grade(s string) pb.FiveGoodsGrade {
	return pb.FiveGoodsGrade(enumValue(pb.FiveGoodsGrade_value, "FIVE_GOODS_GRADE_", s))
}

// Liaison converts a domain liaison to its message.
func Liaison(l *org.Liaison) *pb.Liaison {
	return &pb.Liaison{
		Id: l.ID, Kind: pb.LiaisonKind(enumValue(pb.LiaisonKind_value, "LIAISON_KIND_", string(l.Kind))), LeaderName: l.LeaderName,
		LeaderTitle: l.LeaderTitle, CommunityId: l.CommunityID, StartTime: ts(l.Started), EndTime: ts(l.Ended),
	}
}

// Settings converts a district's domain settings to their message.
func Settings(s *org.Settings) *pb.DistrictSettings {
	return &pb.DistrictSettings{
		DistrictId: s.DistrictID, GeneralBranchMemberThreshold: s.GeneralBranchMemberThreshold,
		LeadershipMinSize: s.LeadershipMinSize, LeadershipMaxSize: s.LeadershipMaxSize,
		MaxAgeMale: s.MaxAgeMale, MaxAgeFemale: s.MaxAgeFemale, MinEducation: pb.Education(s.MinEducation),
		RequireCollegeCadre: s.RequireCollegeCadre, RequireSecretaryDirector: s.RequireSecretaryDirector,
		MinPremisesAreaM2: s.MinPremisesAreaM2, RequiredEquipment: s.RequiredEquipment,
		QuarterlyActivityRequired: s.QuarterlyActivityRequired, UpdateTime: ts(s.Updated),
	}
}
