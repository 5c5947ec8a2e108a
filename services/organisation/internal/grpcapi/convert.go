package grpcapi

import (
	"fmt"

	"gongjian.dev/pkg/errs"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/pbconv"
)

// dates parses YYYY-MM-DD fields, collecting every bad one as a field violation.
type dates struct{ v *errs.Validation }

func newDates() *dates { return &dates{v: errs.NewValidation(org.ErrInvalid)} }

func (d *dates) parse(field, s string) org.Date {
	t, err := org.ParseDate(s)
	if err != nil {
		d.v.Add(field, "%v", err)
	}
	return t
}

func (d *dates) err() error { return d.v.Err() }

// organisation converts the API message to the domain; the derived fields
// (district, ancestors, state, times) are ignored.
func organisation(m *pb.Organisation) (*org.Organisation, error) {
	d := newDates()
	o := &org.Organisation{
		ID: m.GetId(), ParentID: m.GetParentId(), Kind: pbconv.Kind(m.GetKind()), Name: m.GetName(), Code: m.GetCode(),
		Details: org.Details{
			CommunityForm: org.CommunityForm(trim(m.GetCommunityForm().String(), "COMMUNITY_FORM_")),
			BranchBasis:   trim(m.GetBranchBasis().String(), "BRANCH_BASIS_"),
			Town:          m.GetTown(),
			Founded:       d.parse("organisation.founding_date", m.GetFoundingDate()),
		},
	}
	if g := m.GetGrid(); g != nil {
		o.Details.Grid = &org.GridInfo{LeaderName: g.GetLeaderName(), LeaderPhone: g.GetLeaderPhone(), Workers: g.GetWorkers(), Households: g.GetHouseholds()}
	}
	if t := m.GetTemporary(); t != nil {
		o.Details.Temporary = &org.TemporaryInfo{Reason: t.GetReason(), Until: d.parse("organisation.temporary.until", t.GetUntil()), Region: t.GetRegion()}
	}
	if u := m.GetResidentUnit(); u != nil {
		o.Details.ResidentUnit = &org.ResidentUnitInfo{UnitName: u.GetUnitName(), UnitType: u.GetUnitType()}
	}
	if p := m.GetPremises(); p != nil {
		o.Details.Premises = &org.Premises{AreaM2: p.GetAreaM2(), Equipment: p.GetEquipment(), Centres: p.GetCentres(), Address: p.GetAddress()}
	}
	if f := m.GetFunds(); f != nil {
		o.Details.Funds = &org.Funds{AnnualWorkingFundYuan: f.GetAnnualWorkingFundYuan(), MonthlyStipendYuan: f.GetMonthlyStipendYuan()}
	}
	return o, d.err()
}

func trim(full, prefix string) string {
	if len(full) > len(prefix) && full[:len(prefix)] == prefix && full != prefix+"UNSPECIFIED" {
		return full[len(prefix):]
	}
	return ""
}

func cadres(ms []*pb.Cadre) ([]org.Cadre, error) {
	d := newDates()
	out := make([]org.Cadre, len(ms))
	for i, m := range ms {
		c := org.Cadre{
			Name: m.GetName(), Role: trim(m.GetRole().String(), "CADRE_ROLE_"), Sex: trim(m.GetSex().String(), "SEX_"),
			BirthDate: d.parse(fmt.Sprintf("cadres[%d].birth_date", i), m.GetBirthDate()), Education: int(m.GetEducation()),
			AgeException: m.GetAgeException(), ExceptionReason: m.GetExceptionReason(), MemberID: m.GetMemberId(),
		}
		for _, p := range m.GetConcurrentPosts() {
			c.ConcurrentPosts = append(c.ConcurrentPosts, trim(p.String(), "CONCURRENT_POST_"))
		}
		out[i] = c
	}
	return out, d.err()
}

func activity(orgID string, m *pb.Activity) (*org.Activity, error) {
	d := newDates()
	a := &org.Activity{
		OrganisationID: orgID, Kind: pbconv.ActivityKind(m.GetKind()), Date: d.parse("activity.date", m.GetDate()),
		Topic: m.GetTopic(), Expected: m.GetExpected(), Attended: m.GetAttended(), Note: m.GetNote(),
		AttendeeIDs: m.GetAttendeeMemberIds(),
	}
	for _, ab := range m.GetAbsentees() {
		a.Absentees = append(a.Absentees, org.Absentee{Name: ab.GetName(), Reason: ab.GetReason(),
			MemberID: ab.GetMemberId(), ReasonKind: pbconv.AbsenceReason(ab.GetReasonKind())})
	}
	return a, d.err()
}

func settingsFrom(m *pb.DistrictSettings) *org.Settings {
	return &org.Settings{
		DistrictID: m.GetDistrictId(), GeneralBranchMemberThreshold: m.GetGeneralBranchMemberThreshold(),
		LeadershipMinSize: m.GetLeadershipMinSize(), LeadershipMaxSize: m.GetLeadershipMaxSize(),
		MaxAgeMale: m.GetMaxAgeMale(), MaxAgeFemale: m.GetMaxAgeFemale(), MinEducation: int(m.GetMinEducation()),
		RequireCollegeCadre: m.GetRequireCollegeCadre(), RequireSecretaryDirector: m.GetRequireSecretaryDirector(),
		MinPremisesAreaM2: m.GetMinPremisesAreaM2(), RequiredEquipment: m.GetRequiredEquipment(),
		QuarterlyActivityRequired: m.GetQuarterlyActivityRequired(),
	}
}

func report(r *org.Report) *pb.GetComplianceReportResponse {
	out := &pb.GetComplianceReportResponse{AsOfDate: r.AsOf.String()}
	for _, res := range r.Results {
		m := &pb.RuleResult{
			Rule:  pb.ComplianceRule(pb.ComplianceRule_value["COMPLIANCE_RULE_"+string(res.Rule)]),
			Title: res.Title, Source: res.Source, Checked: int32(res.Checked), FindingCount: int32(res.Count),
		}
		for _, f := range res.Findings {
			m.Findings = append(m.Findings, &pb.Finding{OrganisationId: f.OrganisationID, OrganisationName: f.OrganisationName, Reason: f.Reason,
				SubjectId: f.SubjectID, SubjectKind: pb.FindingSubjectKind(pb.FindingSubjectKind_value["FINDING_SUBJECT_KIND_"+f.SubjectKind])})
		}
		out.Results = append(out.Results, m)
	}
	return out
}
