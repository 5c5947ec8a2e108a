package grpcapi_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/structpb"

	"gongjian.dev/pkg/servicetest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestAssessorsSettingsAndTheTrailOfEveryWrite: a district's own bands and
// daily share (checked, versioned, read by a secretary) grade its period;
// an inspector assesses what their group covers and nothing else; a
// retried creation makes one list; every write leaves one event and one
// audit record; a draft rule on the results is previewed without writing.
func TestAssessorsSettingsAndTheTrailOfEveryWrite(t *testing.T) {
	t.Parallel()
	clk := servicetest.NewClock(time.Date(2026, 3, 20, 9, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	c := h.city(t)
	a := h.created(t, c.street, kindCommunity, "A", "2020-01-01")
	b := h.created(t, c.street, kindCommunity, "B", "2020-01-01")
	h.known(t, a, b)
	ctx := servicetest.Ctx(t)
	admin := h.assessing(districtAdmin(c.district))
	h.group(t, c.district, "inspector-1", a)
	insp := h.assessing(inspector("inspector-1"))

	t.Run("settings are checked and versioned", func(t *testing.T) {
		for fields, bands := range map[string][]*pb.GradeBand{
			"settings.bands[1].min_score": {{Name: "优秀", MinScore: 90}, {Name: "良好", MinScore: 95}, {Name: "差", MinScore: 0}},
			"settings.bands[0].min_score": {{Name: "合格", MinScore: 60}},
			"settings.bands[1].name":      {{Name: "好", MinScore: 60}, {Name: "好", MinScore: 0}},
		} {
			_, err := admin.assess.UpdateAssessmentSettings(ctx, &pb.UpdateAssessmentSettingsRequest{Settings: &pb.AssessmentSettings{
				DistrictId: c.district.GetId(), Bands: bands}})
			if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{fields}) {
				t.Errorf("%v: %+v", bands, got)
			}
		}
		good := &pb.AssessmentSettings{DistrictId: c.district.GetId(), DailySharePercent: 0,
			Bands: []*pb.GradeBand{{Name: "一档", MinScore: 55}, {Name: "二档", MinScore: 0}}}
		_, err := h.assessing(districtAdmin(c.other)).assess.UpdateAssessmentSettings(ctx, &pb.UpdateAssessmentSettingsRequest{Settings: good})
		if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
			t.Errorf("another district's administrator: %v", got)
		}
		set, err := admin.assess.UpdateAssessmentSettings(ctx, &pb.UpdateAssessmentSettingsRequest{Settings: good})
		if err != nil || set.GetSettings().GetVersion() != 1 {
			t.Fatalf("%v, %v", set, err)
		}
		good.Version = 5
		_, err = admin.assess.UpdateAssessmentSettings(ctx, &pb.UpdateAssessmentSettingsRequest{Settings: good})
		if got := servicetest.RefusalOf(err).Code; got != codes.Aborted {
			t.Errorf("a stale version: %v", got)
		}
		read, err := h.assessing(secretary(a)).assess.GetAssessmentSettings(ctx, &pb.GetAssessmentSettingsRequest{DistrictId: c.district.GetId()})
		if err != nil || read.GetSettings().GetVersion() != 1 || read.GetSettings().GetBands()[0].GetName() != "一档" {
			t.Errorf("the secretary reads %v, %v", read.GetSettings(), err)
		}
		def, err := h.assessing(cityAdmin).assess.GetAssessmentSettings(ctx, &pb.GetAssessmentSettingsRequest{DistrictId: c.other.GetId()})
		if err != nil || def.GetSettings().GetDailySharePercent() != 30 || len(def.GetSettings().GetBands()) != 4 {
			t.Errorf("the defaults: %v, %v", def.GetSettings(), err)
		}
	})

	var lists = map[string]string{}
	t.Run("a retried creation makes one list", func(t *testing.T) {
		for _, o := range []*orgv1.Organisation{a, a, b} {
			l, err := admin.assess.CreateTaskList(ctx, &pb.CreateTaskListRequest{TaskList: twoTasks(o, "2026-Q1"), RequestId: "list-" + o.GetId()})
			if err != nil {
				t.Fatal(err)
			}
			if id, ok := lists[o.GetName()]; ok && id != l.GetTaskList().GetId() {
				t.Errorf("the retry made another list")
			}
			lists[o.GetName()] = l.GetTaskList().GetId()
		}
		if n := h.count(t, `SELECT count(*) FROM task_lists`); n != 2 {
			t.Errorf("%d lists", n)
		}
		_, err := insp.assess.CreateTaskList(ctx, &pb.CreateTaskListRequest{TaskList: twoTasks(a, "2026-Q2")})
		if got := servicetest.RefusalOf(err).Code; got != codes.PermissionDenied {
			t.Errorf("an inspector setting a list: %v", got)
		}
	})

	t.Run("an inspector assesses what their group covers", func(t *testing.T) {
		ev := map[string]string{}
		for name, o := range map[string]*orgv1.Organisation{"A": a, "B": b} {
			e, err := h.assessing(secretary(o)).assess.SubmitTaskEvidence(ctx, &pb.SubmitTaskEvidenceRequest{TaskListId: lists[name],
				TaskCode: "life", Description: "minutes of four meetings"})
			if err != nil {
				t.Fatal(err)
			}
			ev[name] = e.GetEvidence().GetId()
		}
		if _, err := insp.assess.ReviewTaskEvidence(ctx, &pb.ReviewTaskEvidenceRequest{Id: ev["A"], Score: 60, Note: "all held"}); err != nil {
			t.Fatal(err)
		}
		_, err := insp.assess.ReviewTaskEvidence(ctx, &pb.ReviewTaskEvidenceRequest{Id: ev["B"], Score: 50, Note: "x"})
		if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
			t.Errorf("reviewing an organisation the group does not cover: %v", got)
		}
		if _, err := admin.assess.ReviewTaskEvidence(ctx, &pb.ReviewTaskEvidenceRequest{Id: ev["B"], Score: 50, Note: "two missed"}); err != nil {
			t.Fatal(err)
		}
		_, err = admin.assess.ReviewTaskEvidence(ctx, &pb.ReviewTaskEvidenceRequest{Id: ev["B"], Score: 55, Note: "again"})
		if got := servicetest.RefusalOf(err); got.Code != codes.FailedPrecondition || got.Reason != "STATE" {
			t.Errorf("reviewing twice: %+v", got)
		}
		if _, err := insp.assess.RecordDailyEntry(ctx, &pb.RecordDailyEntryRequest{Entry: &pb.DailyEntry{OrganisationId: a.GetId(),
			Day: "2026-03-19", Points: 2, Note: "residents praised the service desk"}}); err != nil {
			t.Fatal(err)
		}
		_, err = insp.assess.RecordDailyEntry(ctx, &pb.RecordDailyEntryRequest{Entry: &pb.DailyEntry{OrganisationId: b.GetId(),
			Day: "2026-03-19", Points: -2, Note: "closed"}})
		if got := servicetest.RefusalOf(err).Code; got != codes.NotFound {
			t.Errorf("a daily entry outside the group's cover: %v", got)
		}
		_, err = insp.assess.RecordDailyEntry(ctx, &pb.RecordDailyEntryRequest{Entry: &pb.DailyEntry{OrganisationId: a.GetId(),
			Day: "2026-03-21", Points: 1, Note: "tomorrow"}})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"entry.day"}) {
			t.Errorf("a daily entry for tomorrow: %+v", got)
		}
	})

	clk.Set(time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC))
	graded, err := admin.assess.GradePeriod(ctx, &pb.GradePeriodRequest{DistrictId: c.district.GetId(), Period: "2026-Q1"})
	if err != nil {
		t.Fatal(err)
	}
	// Daily share 0: the tasks alone; the district's bands.
	got := map[string]string{}
	for _, r := range graded.GetResults() {
		got[r.GetName()] = r.GetGrade()
		if r.GetName() == "A" && (r.GetScore() != 60 || r.GetDailyScore() != 100) {
			t.Errorf("A's result %v", r)
		}
	}
	if got["A"] != "一档" || got["B"] != "二档" {
		t.Errorf("grades %v", got)
	}

	t.Run("every write leaves one event and one audit record", func(t *testing.T) {
		want := map[string]int{ // subject suffix and audit subject type
			"assessment_settings_updated/assessment_settings": 1, "assessment_task_list_created/task_list": 2,
			"assessment_evidence_submitted/task_evidence": 2, "assessment_evidence_reviewed/task_evidence": 2,
			"assessment_daily_entry_recorded/daily_entry": 1, "assessment_graded/assessment_result": 2,
		}
		total := 0
		for _, n := range want {
			total += n
		}
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type IN
			('assessment_settings', 'task_list', 'task_evidence', 'daily_entry', 'assessment_result')`); n != total {
			t.Errorf("%d audit records, want %d", n, total)
		}
		servicetest.EventsUntil(t, h.Stream, "the assessment events", func(evs []servicetest.Event) bool {
			seen := map[string]int{}
			for _, e := range evs {
				seen[e.Subject]++
			}
			for k, n := range want {
				subject, _, _ := strings.Cut(k, "/")
				if seen["gongjian.supervision.v1."+subject] != n {
					return false
				}
			}
			return true
		})
	})

	t.Run("lists page newest first; results name whose", func(t *testing.T) {
		var seen []string
		token := ""
		for range 3 {
			got, err := admin.assess.ListTaskLists(ctx, &pb.ListTaskListsRequest{AncestorId: c.street.GetId(), PageSize: 1, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range got.GetTaskLists() {
				seen = append(seen, l.GetId())
			}
			if token = got.GetNextPageToken(); token == "" {
				break
			}
		}
		if !slices.Equal(seen, []string{lists["B"], lists["A"]}) {
			t.Errorf("pages %v, want B's then A's list", seen)
		}
		_, err := admin.assess.ListTaskLists(ctx, &pb.ListTaskListsRequest{PageToken: "eyJ0IjoiMjAyNi0wMS0wMVQwMDowMDowMFoiLCJpIjoieCJ9"})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"page_token"}) {
			t.Errorf("a token with a forged id: %+v", got)
		}
		_, err = h.clients(cityAdmin).items.ListItems(ctx, &pb.ListItemsRequest{PageToken: "eyJ0IjoiMjAyNi0wMS0wMVQwMDowMDowMFoiLCJpIjoieCJ9"})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"page_token"}) {
			t.Errorf("an item list's token with a forged id: %+v", got)
		}
		_, err = admin.assess.ListResults(ctx, &pb.ListResultsRequest{Period: "2026-Q1"})
		if got := servicetest.RefusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"organisation_id", "parent_id"}) {
			t.Errorf("results of nobody: %+v", got)
		}
	})

	t.Run("a draft rule on the results is previewed without writing", func(t *testing.T) {
		findings := h.count(t, `SELECT count(*) FROM findings`)
		mark, _ := structpb.NewStruct(map[string]any{"mark": 55})
		p, err := h.clients(districtAdmin(c.district)).rules.PreviewRule(ctx, &pb.PreviewRuleRequest{DistrictId: c.district.GetId(),
			Rule: &pb.Rule{Code: "below_my_mark", Name: "Below the district's mark", Fact: "assessment_result",
				Window: &pb.Window{Kind: pb.WindowKind_WINDOW_KIND_ON_EVENT}, Condition: "score < params.mark",
				Params: mark, Severity: pb.Severity_SEVERITY_LOW, Explanation: "the district's own mark",
				Enabled: true, Consequences: []*pb.Consequence{{Kind: pb.ConsequenceKind_CONSEQUENCE_KIND_OPEN_ITEM, DeadlineDays: 30}}}})
		if err != nil {
			t.Fatal(err)
		}
		if p.GetNewFindings() != 1 || len(p.GetSamples()) != 1 || p.GetSamples()[0].GetOrganisationId() != b.GetId() {
			t.Errorf("the preview: %v", p)
		}
		if n := h.count(t, `SELECT count(*) FROM findings`); n != findings {
			t.Errorf("the preview wrote %d findings", n-findings)
		}
	})
}

// TestADistrictsFirstSettingsWrittenAtOnceGoOneAfterTheOther: eight
// administrators save a district's first assessment settings at the same
// moment; each save is a version of its own (1 to 8), as one after the
// other would make them, and the trail has one record of each.
func TestADistrictsFirstSettingsWrittenAtOnceGoOneAfterTheOther(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	c := h.city(t)
	h.known(t, c.district)
	ctx := servicetest.Ctx(t)
	admin := h.assessing(districtAdmin(c.district))
	const n = 8
	versions := make(chan int32, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			set, err := admin.assess.UpdateAssessmentSettings(ctx, &pb.UpdateAssessmentSettingsRequest{Settings: &pb.AssessmentSettings{
				DistrictId: c.district.GetId(), Bands: []*pb.GradeBand{{Name: "一档", MinScore: float64(50 + i)}, {Name: "二档", MinScore: 0}}}})
			if err != nil {
				t.Error(err)
				return
			}
			versions <- set.GetSettings().GetVersion()
		})
	}
	wg.Wait()
	close(versions)
	var got []int32
	for v := range versions {
		got = append(got, v)
	}
	slices.Sort(got)
	if !slices.Equal(got, []int32{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("versions %v, want 1 to 8", got)
	}
	if k := h.count(t, `SELECT count(DISTINCT after->>'version') FROM audit_log WHERE subject_type = 'assessment_settings'`); k != n {
		t.Errorf("%d distinct versions in the trail, want %d", k, n)
	}
}
