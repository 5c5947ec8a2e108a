package grpcapi_test

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func TestEventsFollowEveryChange(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)

	in := child(tr.community, kindBranch, "Mobile Members' Branch of Guangzhou Road")
	in.BranchBasis = pb.BranchBasis_BRANCH_BASIS_MOBILE
	created := h.create(t, in)
	group := h.create(t, child(created, kindPartyGroup, "Party Group of Members Working in Lanzhou"))

	patch := cloneOrg(created)
	patch.Name = "Mobile Members' Branch of Chengguan"
	updated, err := h.org.UpdateOrganisation(ctx, &pb.UpdateOrganisationRequest{Organisation: patch, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	moved, err := h.org.MoveOrganisation(ctx, &pb.MoveOrganisationRequest{Id: created.GetId(), NewParentId: tr.otherStreet.GetId()})
	if err != nil {
		t.Fatalf("move: %v", err)
	}
	recorded := h.record(t, created.GetId(), meeting(membersMeeting, "2025-09-12", "Contact with members away from home"))
	if _, err := h.org.DissolveOrganisation(ctx, &pb.DissolveOrganisationRequest{Id: group.GetId(), Reason: "members came home"}); err != nil {
		t.Fatalf("dissolve the party group: %v", err)
	}
	dissolved, err := h.org.DissolveOrganisation(ctx, &pb.DissolveOrganisationRequest{Id: created.GetId(), Reason: "members came home"})
	if err != nil {
		t.Fatalf("dissolve: %v", err)
	}

	about := func(evs []event) []event {
		var out []event
		for _, e := range evs {
			if subjectOrganisation(e) == created.GetId() {
				out = append(out, e)
			}
		}
		return out
	}
	evs := about(h.eventsUntil(t, "five events about the branch", func(evs []event) bool { return len(about(evs)) >= 5 }))

	type header struct{ Subject, EventType string }
	var gotHeaders []header
	for _, e := range evs {
		gotHeaders = append(gotHeaders, header{e.Subject, e.EventType})
	}
	wantHeaders := []header{
		{"gongjian.organisation.v1.organisation_created", "gongjian.organisation.v1.OrganisationCreated"},
		{"gongjian.organisation.v1.organisation_updated", "gongjian.organisation.v1.OrganisationUpdated"},
		{"gongjian.organisation.v1.organisation_moved", "gongjian.organisation.v1.OrganisationMoved"},
		{"gongjian.organisation.v1.activity_recorded", "gongjian.organisation.v1.ActivityRecorded"},
		{"gongjian.organisation.v1.organisation_dissolved", "gongjian.organisation.v1.OrganisationDissolved"},
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Fatalf("events about the branch, in stream order (-want +got):\n%s", diff)
	}

	seen := map[string]bool{}
	for _, e := range evs {
		if id := eventID(e); id == "" || e.MsgID != id || seen[id] {
			t.Errorf("%s: Nats-Msg-Id %q, event_id %q; want them equal, set and unique", e.Subject, e.MsgID, id)
		}
		seen[eventID(e)] = true
	}

	// Each payload carries the organisation as the call that caused it left it.
	ancestors := append(append([]string(nil), moved.GetOrganisation().GetAncestorIds()...), created.GetId())
	want := []proto.Message{
		&pb.OrganisationCreated{Organisation: created},
		&pb.OrganisationUpdated{Organisation: updated.GetOrganisation(), Changed: &fieldmaskpb.FieldMask{Paths: []string{"name"}}},
		&pb.OrganisationMoved{Organisation: moved.GetOrganisation(), OldParentId: tr.community.GetId(), OldDistrictId: tr.district.GetId(), SubtreeSize: 1},
		&pb.ActivityRecorded{Activity: recorded, OrganisationAncestorIds: ancestors},
		&pb.OrganisationDissolved{Organisation: dissolved.GetOrganisation()},
	}
	var ignore cmp.Options
	for _, m := range want {
		ignore = append(ignore, protocmp.IgnoreFields(m, "event_id", "occur_time"))
	}
	type occurred interface{ GetOccurTime() *timestamppb.Timestamp }
	for i, e := range evs {
		if diff := cmp.Diff(want[i], e.Payload, protocmp.Transform(), ignore); diff != "" {
			t.Errorf("payload on %s (-want +got):\n%s", e.Subject, diff)
		}
		if p, ok := e.Payload.(occurred); !ok || p.GetOccurTime() == nil {
			t.Errorf("payload on %s has no occur_time", e.Subject)
		}
	}
}

// TestEventsFollowEveryOtherWrite: coverage points, demonstration sites,
// liaisons, district settings and member counts each publish one event in
// the transaction of their write, carrying what the write left; a refused
// write publishes nothing.
func TestEventsFollowEveryOtherWrite(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	gone := h.create(t, community(tr.street, "Jinchuan Road Community", pb.CommunityForm_COMMUNITY_FORM_GENERAL_BRANCH))
	if _, err := h.org.DissolveOrganisation(callContext(t), &pb.DissolveOrganisationRequest{Id: gone.GetId(), Reason: "merged into Guangzhou Road"}); err != nil {
		t.Fatalf("dissolve %s: %v", gone.GetName(), err)
	}

	// refused checks that a write was refused with code; the stream at the
	// end shows it published nothing.
	refused := func(what string, want codes.Code, err error) {
		t.Helper()
		if got := status.Code(err); got != want {
			t.Errorf("%s: code %v (%v), want %v", what, got, err, want)
		}
	}
	var want []proto.Message
	ctx := callContext(t)

	refused("a coverage point in a street", codes.FailedPrecondition, func() error {
		_, err := h.org.CreateCoveragePoint(ctx, &pb.CreateCoveragePointRequest{CommunityId: tr.street.GetId(),
			CoveragePoint: &pb.CoveragePoint{Kind: pb.CoveragePointKind_COVERAGE_POINT_KIND_ESTATE, Name: "Binhe Garden Estate"}})
		return err
	}())
	point, err := h.org.CreateCoveragePoint(ctx, &pb.CreateCoveragePointRequest{CommunityId: tr.community.GetId(),
		CoveragePoint: &pb.CoveragePoint{Kind: pb.CoveragePointKind_COVERAGE_POINT_KIND_ESTATE, Name: "Jinhui Garden Estate", MemberCount: 5}})
	if err != nil {
		t.Fatalf("create coverage point: %v", err)
	}
	want = append(want, &pb.CoveragePointChanged{CoveragePoint: point.GetCoveragePoint(), Change: "created"})
	refused("a point covered from outside its community", codes.FailedPrecondition, func() error {
		_, err := h.org.CoverCoveragePoint(ctx, &pb.CoverCoveragePointRequest{Id: point.GetCoveragePoint().GetId(), OrganisationId: tr.otherStreet.GetId()})
		return err
	}())
	covered, err := h.org.CoverCoveragePoint(ctx, &pb.CoverCoveragePointRequest{Id: point.GetCoveragePoint().GetId(), OrganisationId: tr.branch.GetId(), MemberCount: 8})
	if err != nil {
		t.Fatalf("cover coverage point: %v", err)
	}
	if covered.GetCoveragePoint().GetCoveringOrganisationId() != tr.branch.GetId() || covered.GetCoveragePoint().GetMemberCount() != 8 {
		t.Errorf("covered point: %v", covered.GetCoveragePoint())
	}
	want = append(want, &pb.CoveragePointChanged{CoveragePoint: covered.GetCoveragePoint(), Change: "covered"})

	plan := &pb.DemonstrationSite{CommunityId: tr.community.GetId(), StartDate: "2025-01-01", EndDate: "2027-12-31"}
	created, err := h.demonstration.CreateDemonstrationSite(ctx, &pb.CreateDemonstrationSiteRequest{Site: plan})
	if err != nil {
		t.Fatalf("create site: %v", err)
	}
	want = append(want, &pb.DemonstrationSiteChanged{Site: created.GetSite(), Change: "created"})
	refused("a site for a dissolved community", codes.FailedPrecondition, func() error {
		_, err := h.demonstration.CreateDemonstrationSite(ctx, &pb.CreateDemonstrationSiteRequest{
			Site: &pb.DemonstrationSite{CommunityId: gone.GetId(), StartDate: "2025-01-01", EndDate: "2027-12-31"}})
		return err
	}())
	site := created.GetSite()
	if len(site.GetMilestones()) == 0 {
		t.Fatalf("site without a plan: %v", site)
	}
	milestone := site.GetMilestones()[0].GetId()
	completed, err := h.demonstration.CompleteMilestone(ctx, &pb.CompleteMilestoneRequest{SiteId: site.GetId(), MilestoneId: milestone, Note: "premises renovated"})
	if err != nil {
		t.Fatalf("complete milestone: %v", err)
	}
	if completed.GetSite().GetMilestones()[0].GetCompleteTime() == nil {
		t.Errorf("completed milestone has no complete_time: %v", completed.GetSite().GetMilestones()[0])
	}
	want = append(want, &pb.DemonstrationSiteChanged{Site: completed.GetSite(), Change: "milestone_completed"})
	refused("a milestone completed twice", codes.FailedPrecondition, func() error {
		_, err := h.demonstration.CompleteMilestone(ctx, &pb.CompleteMilestoneRequest{SiteId: site.GetId(), MilestoneId: milestone})
		return err
	}())
	good := pb.FiveGoodsGrade_FIVE_GOODS_GRADE_GOOD
	rated, err := h.demonstration.RateFiveGoods(ctx, &pb.RateFiveGoodsRequest{SiteId: site.GetId(), Rating: &pb.FiveGoodsRating{
		Year: 2025, Leadership: pb.FiveGoodsGrade_FIVE_GOODS_GRADE_EXCELLENT, CadresAndMembers: good, Mechanisms: good,
		ManagementAndService: good, ResidentsOpinion: good, RatedBy: tr.street.GetName(),
	}})
	if err != nil {
		t.Fatalf("rate five goods: %v", err)
	}
	if len(rated.GetSite().GetRatings()) != 1 {
		t.Errorf("ratings of the site: %v", rated.GetSite().GetRatings())
	}
	want = append(want, &pb.DemonstrationSiteChanged{Site: rated.GetSite(), Change: "rated"})

	refused("a liaison for a dissolved community", codes.FailedPrecondition, func() error {
		_, err := h.demonstration.CreateLiaison(ctx, &pb.CreateLiaisonRequest{Liaison: &pb.Liaison{
			Kind: pb.LiaisonKind_LIAISON_KIND_SPONSOR, LeaderName: "Zhang Wei", CommunityId: gone.GetId()}})
		return err
	}())
	linked, err := h.demonstration.CreateLiaison(ctx, &pb.CreateLiaisonRequest{Liaison: &pb.Liaison{
		Kind: pb.LiaisonKind_LIAISON_KIND_STANDING_COMMITTEE, LeaderName: "Wang Fang", LeaderTitle: "Member of the Standing Committee",
		CommunityId: tr.community.GetId()}})
	if err != nil {
		t.Fatalf("create liaison: %v", err)
	}
	want = append(want, &pb.LiaisonChanged{Liaison: linked.GetLiaison(), Change: "created"})
	ended, err := h.demonstration.EndLiaison(ctx, &pb.EndLiaisonRequest{Id: linked.GetLiaison().GetId()})
	if err != nil {
		t.Fatalf("end liaison: %v", err)
	}
	if ended.GetLiaison().GetEndTime() == nil {
		t.Errorf("ended liaison has no end_time: %v", ended.GetLiaison())
	}
	want = append(want, &pb.LiaisonChanged{Liaison: ended.GetLiaison(), Change: "ended"})
	refused("a liaison ended twice", codes.FailedPrecondition, func() error {
		_, err := h.demonstration.EndLiaison(ctx, &pb.EndLiaisonRequest{Id: linked.GetLiaison().GetId()})
		return err
	}())

	mask := &fieldmaskpb.FieldMask{Paths: []string{"max_age_male", "max_age_female"}}
	refused("settings of a street", codes.FailedPrecondition, func() error {
		_, err := h.compliance.UpdateDistrictSettings(ctx, &pb.UpdateDistrictSettingsRequest{
			Settings: &pb.DistrictSettings{DistrictId: tr.street.GetId(), MaxAgeMale: 58, MaxAgeFemale: 55}, UpdateMask: mask})
		return err
	}())
	refused("a team whose minimum is above its maximum", codes.InvalidArgument, func() error {
		_, err := h.compliance.UpdateDistrictSettings(ctx, &pb.UpdateDistrictSettingsRequest{
			Settings:   &pb.DistrictSettings{DistrictId: tr.district.GetId(), LeadershipMinSize: 7},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"leadership_min_size"}}})
		return err
	}())
	settings, err := h.compliance.UpdateDistrictSettings(ctx, &pb.UpdateDistrictSettingsRequest{
		Settings: &pb.DistrictSettings{DistrictId: tr.district.GetId(), MaxAgeMale: 58, MaxAgeFemale: 55}, UpdateMask: mask})
	if err != nil {
		t.Fatalf("update settings: %v", err)
	}
	if s := settings.GetSettings(); s.GetMaxAgeMale() != 58 || s.GetMaxAgeFemale() != 55 || s.GetLeadershipMinSize() != 3 {
		t.Errorf("settings after the update: %v", s)
	}
	want = append(want, &pb.DistrictSettingsUpdated{Settings: settings.GetSettings(), Changed: mask})

	// Member counts come from the member service's events only: one for a
	// street and one for a dissolved community are passed over, the
	// branch's is kept and announced.
	h.publishCount(t, tr.street.GetId(), 12)
	h.publishCount(t, gone.GetId(), 3)
	h.recordMembers(t, tr.branch.GetId(), 12)
	want = append(want, &pb.MemberCountRecorded{OrganisationId: tr.branch.GetId(), MemberCount: 12})

	// The relay publishes in commit order, so once the organisation created
	// after every write is in the stream, any event a refusal had let
	// through would be there too.
	marker := h.create(t, child(tr.community, kindBranch, "Second Branch of Guangzhou Road Community"))
	evs := h.eventsUntil(t, "the event of the last creation", func(evs []event) bool {
		return slices.ContainsFunc(evs, func(e event) bool { return subjectOrganisation(e) == marker.GetId() })
	})
	organisationSubjects := []string{
		"gongjian.organisation.v1.organisation_created", "gongjian.organisation.v1.organisation_dissolved",
	}
	var got []event
	for _, e := range evs {
		if !slices.Contains(organisationSubjects, e.Subject) {
			got = append(got, e)
		}
	}

	type header struct{ Subject, EventType, About string }
	var gotHeaders []header
	for _, e := range got {
		gotHeaders = append(gotHeaders, header{e.Subject, e.EventType, subjectOrganisation(e)})
	}
	h2 := func(subject, eventType, about string) header {
		return header{"gongjian.organisation.v1." + subject, "gongjian.organisation.v1." + eventType, about}
	}
	community := tr.community.GetId()
	wantHeaders := []header{
		h2("coverage_point_changed", "CoveragePointChanged", community),
		h2("coverage_point_changed", "CoveragePointChanged", community),
		h2("demonstration_site_changed", "DemonstrationSiteChanged", community),
		h2("demonstration_site_changed", "DemonstrationSiteChanged", community),
		h2("demonstration_site_changed", "DemonstrationSiteChanged", community),
		h2("liaison_changed", "LiaisonChanged", community),
		h2("liaison_changed", "LiaisonChanged", community),
		h2("district_settings_updated", "DistrictSettingsUpdated", tr.district.GetId()),
		h2("member_count_recorded", "MemberCountRecorded", tr.branch.GetId()),
	}
	if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
		t.Fatalf("events of the writes, in stream order (-want +got):\n%s", diff)
	}

	seen := map[string]bool{}
	for _, e := range got {
		if id := eventID(e); id == "" || e.MsgID != id || seen[id] {
			t.Errorf("%s: Nats-Msg-Id %q, event_id %q; want them equal, set and unique", e.Subject, e.MsgID, id)
		}
		seen[eventID(e)] = true
	}

	// Each payload carries what the write left, as its call returned it.
	var ignore cmp.Options
	for _, m := range want {
		ignore = append(ignore, protocmp.IgnoreFields(m, "event_id", "occur_time"))
	}
	type occurred interface{ GetOccurTime() *timestamppb.Timestamp }
	for i, e := range got {
		if diff := cmp.Diff(want[i], e.Payload, protocmp.Transform(), ignore); diff != "" {
			t.Errorf("payload %d on %s (-want +got):\n%s", i, e.Subject, diff)
		}
		if p, ok := e.Payload.(occurred); !ok || p.GetOccurTime() == nil {
			t.Errorf("payload on %s has no occur_time", e.Subject)
		}
	}
}
