package grpcapi_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/grpcapi"
)

// communitySpec describes a community for the compliance report; the
// default passes every rule, and each test community changes one thing.
type communitySpec struct {
	name          string
	form          pb.CommunityForm
	team          []*pb.Cadre
	premises      *pb.Premises
	branch        bool
	branchMembers int64
	ownMembers    int64
	// activities are held by the branch, or by the community when it has none.
	activities []*pb.Activity
	gap        bool // an estate with members and no organisation
}

func cadre(name string, role pb.CadreRole, sex pb.Sex, born string, edu pb.Education, posts ...pb.ConcurrentPost) *pb.Cadre {
	return &pb.Cadre{Name: name, Role: role, Sex: sex, BirthDate: born, Education: edu, ConcurrentPosts: posts}
}

const (
	secretary = pb.CadreRole_CADRE_ROLE_SECRETARY
	deputy    = pb.CadreRole_CADRE_ROLE_DEPUTY_SECRETARY
	member    = pb.CadreRole_CADRE_ROLE_COMMITTEE_MEMBER
	male      = pb.Sex_SEX_MALE
	female    = pb.Sex_SEX_FEMALE
	director  = pb.ConcurrentPost_CONCURRENT_POST_RESIDENTS_COMMITTEE_DIRECTOR
)

// The report is made on 2026-11-22: the last completed quarter is
// 2026-07-01 to 2026-09-30.
const reportDay = "2026-11-22"

// passing is a community that keeps every rule on the report day: a team of
// three with the secretary chairing the residents' committee, a deputy of
// exactly fifty and an older member kept on by exception, 250 m² of
// premises with all the equipment, a branch, 45 members and a concentrated
// activity in the last quarter.
func passing(name string) communitySpec {
	return communitySpec{
		name: name,
		form: pb.CommunityForm_COMMUNITY_FORM_COMMITTEE,
		team: []*pb.Cadre{
			cadre("Ma Jianguo", secretary, male, "1975-03-01", pb.Education_EDUCATION_BACHELOR, director),
			cadre("Liu Xia", deputy, female, "1976-11-22", pb.Education_EDUCATION_HIGH_SCHOOL),
			func() *pb.Cadre {
				c := cadre("Zhou Qiang", member, male, "1962-05-01", pb.Education_EDUCATION_COLLEGE)
				c.AgeException, c.ExceptionReason = true, "re-elected as a strong incumbent with the street committee's approval"
				return c
			}(),
		},
		premises: &pb.Premises{AreaM2: 250, Equipment: []string{"phone", "tv", "computer", "dvd_player", "desks", "file_cabinets"},
			Centres: []string{"service station", "culture centre", "health centre", "employment centre"}},
		branch:        true,
		branchMembers: 30,
		ownMembers:    15,
		activities:    []*pb.Activity{meeting(concentrated, "2026-08-15", "Volunteer day in the estates")},
	}
}

// built is a community the test made, with what the report may name.
type built struct {
	community, branch *pb.Organisation
	gap               *pb.CoveragePoint
}

func (h *harness) buildCommunity(t *testing.T, street *pb.Organisation, s communitySpec) *built {
	t.Helper()
	in := community(street, s.name, s.form)
	in.Premises = s.premises
	b := &built{community: h.create(t, in)}
	if _, err := h.org.SetLeadershipTeam(callContext(t), &pb.SetLeadershipTeamRequest{OrganisationId: b.community.GetId(), Cadres: s.team}); err != nil {
		t.Fatalf("team of %s: %v", s.name, err)
	}
	h.recordMembers(t, b.community.GetId(), s.ownMembers)
	if s.branch {
		b.branch = h.create(t, child(b.community, kindBranch, "First Branch of "+s.name))
		h.recordMembers(t, b.branch.GetId(), s.branchMembers)
		// A place covered by the branch has members and is no gap.
		covered := &pb.CoveragePoint{Kind: pb.CoveragePointKind_COVERAGE_POINT_KIND_BUILDING, Name: "Commercial Tower of " + s.name,
			CoveringOrganisationId: b.branch.GetId(), MemberCount: 8}
		if _, err := h.org.CreateCoveragePoint(callContext(t), &pb.CreateCoveragePointRequest{CommunityId: b.community.GetId(), CoveragePoint: covered}); err != nil {
			t.Fatalf("covered point of %s: %v", s.name, err)
		}
	}
	if s.gap {
		resp, err := h.org.CreateCoveragePoint(callContext(t), &pb.CreateCoveragePointRequest{CommunityId: b.community.GetId(),
			CoveragePoint: &pb.CoveragePoint{Kind: pb.CoveragePointKind_COVERAGE_POINT_KIND_ESTATE, Name: "Jinhui Garden Estate", MemberCount: 23}})
		if err != nil {
			t.Fatalf("gap of %s: %v", s.name, err)
		}
		b.gap = resp.GetCoveragePoint()
	}
	return b
}

// holdActivities records a community's organisation life; it runs once the
// clock has passed the days of the activities.
func (h *harness) holdActivities(t *testing.T, b *built, s communitySpec) {
	t.Helper()
	holder := b.community
	if b.branch != nil {
		holder = b.branch
	}
	for _, a := range s.activities {
		h.record(t, holder.GetId(), a)
	}
}

func TestComplianceReport(t *testing.T) {
	t.Parallel()
	clk := newClock(time.Date(2026, 6, 15, 8, 0, 0, 0, time.UTC))
	h := newHarness(t, withClock(clk.Now))
	var tr tree // the districts and streets only: every community is made here
	tr.city = h.create(t, city("Tongjiang County Party Committee"))
	tr.district = h.create(t, child(tr.city, kindDistrict, "Chengguan District Committee"))
	tr.street = h.create(t, child(tr.district, kindStreet, "Jiefang Road Street Working Committee"))
	tr.otherDistrict = h.create(t, child(tr.city, kindDistrict, "Nuoshuihe District Committee"))
	tr.otherStreet = h.create(t, child(tr.otherDistrict, kindStreet, "Nuoshuihe Town Committee"))

	change := func(name string, fn func(*communitySpec)) communitySpec {
		s := passing(name)
		fn(&s)
		return s
	}
	specs := []communitySpec{
		passing("Passing Community"),
		change("Community Without a Branch", func(s *communitySpec) { s.branch, s.ownMembers = false, 20 }),
		change("Community of Sixty Members in Branch Form", func(s *communitySpec) {
			s.form, s.branchMembers, s.ownMembers = pb.CommunityForm_COMMUNITY_FORM_BRANCH, 60, 0
		}),
		change("Community With a Team of Two", func(s *communitySpec) { s.team = s.team[:2] }),
		change("Community With a Man Over Age", func(s *communitySpec) { s.team[2].AgeException, s.team[2].ExceptionReason = false, "" }),
		change("Community With a Woman Over Age", func(s *communitySpec) { s.team[1].BirthDate = "1975-11-22" }),
		change("Community With Low Education", func(s *communitySpec) { s.team[1].Education = pb.Education_EDUCATION_JUNIOR_HIGH }),
		change("Community Whose Secretary Does Not Chair", func(s *communitySpec) { s.team[0].ConcurrentPosts = nil }),
		change("Community With Small Premises", func(s *communitySpec) { s.premises.AreaM2 = 150 }),
		change("Community Without a DVD Player", func(s *communitySpec) { s.premises.Equipment = slices.Delete(s.premises.Equipment, 3, 4) }),
		change("Community With a Gap", func(s *communitySpec) { s.gap = true }),
		change("Community Without a Quarterly Activity", func(s *communitySpec) {
			s.activities = []*pb.Activity{
				meeting(partyDay, "2026-08-08", "Themed party day, not a concentrated activity"),
				meeting(concentrated, "2026-10-10", "Concentrated activity of the next quarter"),
			}
		}),
	}
	late := change("Community Founded After the Quarter", func(s *communitySpec) { s.activities = nil })
	elsewhere := change("Community of Sixty Members in Another District", func(s *communitySpec) {
		s.form, s.branchMembers, s.ownMembers = pb.CommunityForm_COMMUNITY_FORM_BRANCH, 60, 0
	})

	byName := map[string]*built{}
	for _, s := range specs {
		byName[s.name] = h.buildCommunity(t, tr.street, s)
	}
	byName[elsewhere.name] = h.buildCommunity(t, tr.otherStreet, elsewhere)
	clk.Set(time.Date(2026, 10, 15, 8, 0, 0, 0, time.UTC))
	byName[late.name] = h.buildCommunity(t, tr.street, late)
	clk.Set(time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC))
	for _, s := range append(specs, elsewhere) {
		h.holdActivities(t, byName[s.name], s)
	}
	nameOf, gapOf := map[string]string{}, map[string]string{}
	for name, b := range byName {
		nameOf[b.community.GetId()] = name
		gapOf[name] = b.gap.GetId()
	}

	// report returns, rule by rule, the names of the communities that fail
	// and how many communities were checked.
	type outcome struct {
		Checked int32
		Failing []string
	}
	report := func(t *testing.T, root *pb.Organisation, asOf string) map[pb.ComplianceRule]outcome {
		t.Helper()
		resp, err := h.compliance.GetComplianceReport(callContext(t), &pb.GetComplianceReportRequest{OrganisationId: root.GetId(), Subtree: true, AsOfDate: asOf})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetAsOfDate() != reportDay {
			t.Errorf("as_of_date = %q, want %q", resp.GetAsOfDate(), reportDay)
		}
		got := map[pb.ComplianceRule]outcome{}
		for _, r := range resp.GetResults() {
			o := outcome{Checked: r.GetChecked()}
			for _, f := range r.GetFindings() {
				name, ok := nameOf[f.GetOrganisationId()]
				if !ok {
					name = "unknown " + f.GetOrganisationId()
				}
				o.Failing = append(o.Failing, name)
				if f.GetOrganisationName() != name {
					t.Errorf("%s: finding names %q for %s", r.GetRule(), f.GetOrganisationName(), name)
				}
				if r.GetRule() == pb.ComplianceRule_COMPLIANCE_RULE_COVERAGE_GAP && f.GetSubjectId() != gapOf[name] {
					t.Errorf("coverage gap of %s names subject %q, want the estate %q", name, f.GetSubjectId(), gapOf[name])
				}
			}
			if int(r.GetFindingCount()) != len(r.GetFindings()) {
				t.Errorf("%s: finding_count %d for %d findings", r.GetRule(), r.GetFindingCount(), len(r.GetFindings()))
			}
			slices.Sort(o.Failing)
			got[r.GetRule()] = o
		}
		return got
	}
	const inDistrict = 13 // the twelve specs and the late community
	failing := func(names ...string) outcome { return outcome{Checked: inDistrict, Failing: names} }
	want := map[pb.ComplianceRule]outcome{
		pb.ComplianceRule_COMPLIANCE_RULE_COMMUNITY_HAS_BRANCH:          failing("Community Without a Branch"),
		pb.ComplianceRule_COMPLIANCE_RULE_GENERAL_BRANCH_OVER_THRESHOLD: failing("Community of Sixty Members in Branch Form"),
		pb.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_SIZE:               failing("Community With a Team of Two"),
		pb.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_AGE:                failing("Community With a Man Over Age", "Community With a Woman Over Age"),
		pb.ComplianceRule_COMPLIANCE_RULE_LEADERSHIP_EDUCATION:          failing("Community With Low Education"),
		pb.ComplianceRule_COMPLIANCE_RULE_SECRETARY_DIRECTOR:            failing("Community Whose Secretary Does Not Chair"),
		pb.ComplianceRule_COMPLIANCE_RULE_PREMISES_AREA:                 failing("Community With Small Premises"),
		pb.ComplianceRule_COMPLIANCE_RULE_PREMISES_EQUIPMENT:            failing("Community Without a DVD Player"),
		pb.ComplianceRule_COMPLIANCE_RULE_COVERAGE_GAP:                  failing("Community With a Gap"),
		pb.ComplianceRule_COMPLIANCE_RULE_QUARTERLY_ACTIVITY:            failing("Community Without a Quarterly Activity"),
	}

	t.Run("each rule names exactly the community that breaks it", func(t *testing.T) {
		if diff := cmp.Diff(want, report(t, tr.district, reportDay)); diff != "" {
			t.Errorf("report on the district (-want +got):\n%s", diff)
		}
	})
	t.Run("without a day the report is made for today", func(t *testing.T) {
		if diff := cmp.Diff(want, report(t, tr.district, "")); diff != "" {
			t.Errorf("report on the district (-want +got):\n%s", diff)
		}
	})
	t.Run("a covered estate is no longer a gap", func(t *testing.T) {
		b := byName["Community With a Gap"]
		if _, err := h.org.CoverCoveragePoint(callContext(t), &pb.CoverCoveragePointRequest{Id: b.gap.GetId(), OrganisationId: b.branch.GetId()}); err != nil {
			t.Fatal(err)
		}
		want[pb.ComplianceRule_COMPLIANCE_RULE_COVERAGE_GAP] = failing()
		if diff := cmp.Diff(want, report(t, tr.district, reportDay)); diff != "" {
			t.Errorf("report on the district (-want +got):\n%s", diff)
		}
	})
	t.Run("a district that raises its threshold no longer asks sixty members for a general branch", func(t *testing.T) {
		got, err := h.compliance.GetDistrictSettings(callContext(t), &pb.GetDistrictSettingsRequest{DistrictId: tr.district.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		defaults := &pb.DistrictSettings{
			DistrictId: tr.district.GetId(), GeneralBranchMemberThreshold: 50, LeadershipMinSize: 3, LeadershipMaxSize: 5,
			MaxAgeMale: 55, MaxAgeFemale: 50, MinEducation: pb.Education_EDUCATION_HIGH_SCHOOL, RequireCollegeCadre: true,
			RequireSecretaryDirector: true, MinPremisesAreaM2: 200, QuarterlyActivityRequired: true,
			RequiredEquipment: []string{"phone", "tv", "computer", "dvd_player", "desks", "file_cabinets"},
		}
		if diff := cmp.Diff(defaults, got.GetSettings(), protocmp.Transform()); diff != "" {
			t.Errorf("settings of a district never changed (-want +got):\n%s", diff)
		}
		raised := cloneSettings(got.GetSettings())
		raised.GeneralBranchMemberThreshold = 100
		updated, err := h.compliance.UpdateDistrictSettings(callContext(t), &pb.UpdateDistrictSettingsRequest{
			Settings: raised, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"general_branch_member_threshold"}}})
		if err != nil {
			t.Fatal(err)
		}
		if updated.GetSettings().GetGeneralBranchMemberThreshold() != 100 || updated.GetSettings().GetUpdateTime() == nil {
			t.Errorf("settings after the update: threshold %d, update_time %v", updated.GetSettings().GetGeneralBranchMemberThreshold(), updated.GetSettings().GetUpdateTime())
		}
		want[pb.ComplianceRule_COMPLIANCE_RULE_GENERAL_BRANCH_OVER_THRESHOLD] = failing()
		if diff := cmp.Diff(want, report(t, tr.district, reportDay)); diff != "" {
			t.Errorf("report on the district (-want +got):\n%s", diff)
		}
	})
	t.Run("the other district keeps its own threshold", func(t *testing.T) {
		got := report(t, tr.city, reportDay)[pb.ComplianceRule_COMPLIANCE_RULE_GENERAL_BRANCH_OVER_THRESHOLD]
		if diff := cmp.Diff(outcome{Checked: inDistrict + 1, Failing: []string{elsewhere.name}}, got); diff != "" {
			t.Errorf("general branch rule over the city (-want +got):\n%s", diff)
		}
	})
}

func cloneSettings(s *pb.DistrictSettings) *pb.DistrictSettings {
	return proto.Clone(s).(*pb.DistrictSettings)
}

// TestAServiceWithTheComplianceReportScopeReadsTheReportAndNothingElse:
// the supervision service's own token reads a district's report, subtree
// and all, and is refused every other read.
func TestAServiceWithTheComplianceReportScopeReadsTheReportAndNothingElse(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	svc := h.as(devissuer.Claims{Subject: "service:supervision", Role: auth.Service, Scopes: []string{grpcapi.ComplianceReportScope}})
	ctx := callContext(t)
	r, err := pb.NewComplianceServiceClient(svc).GetComplianceReport(ctx, &pb.GetComplianceReportRequest{OrganisationId: tr.district.GetId(), Subtree: true})
	if err != nil || len(r.GetResults()) == 0 {
		t.Fatalf("the report for the service: %v, %v", r, err)
	}
	_, err = pb.NewOrganisationServiceClient(svc).GetOrganisation(ctx, &pb.GetOrganisationRequest{Id: tr.district.GetId()})
	if got := status.Code(err); got != codes.PermissionDenied {
		t.Errorf("the compliance-report scope reading an organisation: %v, want PermissionDenied", got)
	}
	_, err = pb.NewComplianceServiceClient(svc).GetDistrictSettings(ctx, &pb.GetDistrictSettingsRequest{DistrictId: tr.district.GetId()})
	if got := status.Code(err); got != codes.PermissionDenied {
		t.Errorf("the compliance-report scope reading settings: %v, want PermissionDenied", got)
	}
}
