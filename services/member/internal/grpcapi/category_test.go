package grpcapi_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
)

// The presets, by document.
func jinchangScheme() *pb.Scheme  { return pbconv.Scheme(&member.Presets[0]) }
func fengxiangScheme() *pb.Scheme { return pbconv.Scheme(&member.Presets[1]) }
func shiquanScheme() *pb.Scheme   { return pbconv.Scheme(&member.Presets[2]) }

// profile is a member to register with the attributes rules look at.
type profile struct {
	name       string
	employment pb.EmploymentStatus
	birth      string // YYYY-MM-DD
	skills     []string
	hardship   bool
}

func (p profile) in(orgID string) *pb.Member {
	m := person(orgID, p.name)
	m.EmploymentStatus, m.Skills, m.Hardship = p.employment, p.skills, p.hardship
	if p.birth != "" {
		m.BirthDate = p.birth
		m.NationalId = nationalID("610102", strings.ReplaceAll(p.birth, "-", ""))
		if born, err := time.Parse(time.DateOnly, p.birth); err == nil && born.AddDate(20, 0, 0).Format(time.DateOnly) > m.JoinDate {
			m.JoinDate = born.AddDate(20, 0, 0).Format(time.DateOnly) // joined at twenty, not before eighteen
		}
	}
	return m
}

const (
	employed     = pb.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED
	retired      = pb.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED
	laidOff      = pb.EmploymentStatus_EMPLOYMENT_STATUS_LAID_OFF
	unemployed   = pb.EmploymentStatus_EMPLOYMENT_STATUS_UNEMPLOYED
	student      = pb.EmploymentStatus_EMPLOYMENT_STATUS_STUDENT
	selfEmployed = pb.EmploymentStatus_EMPLOYMENT_STATUS_SELF_EMPLOYED
	otherWork    = pb.EmploymentStatus_EMPLOYMENT_STATUS_OTHER
)

// TestPresetsClassify: each document's scheme puts a table of members in
// the categories the document gives them — Jinchang's as the built-in
// default on registration, Fengxiang's and Shiquan's once set for the
// district.
func TestPresetsClassify(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	table := []struct {
		p                     profile
		jinchang, fengxiang   string
		shiquan               string
		jinchangName, comment string
	}{
		{profile{"Retired Worker", retired, "1950-03-02", nil, false}, "joint", "takeover", "elderly", "共管", "retired → 共管"},
		{profile{"Teacher", employed, "1985-06-01", nil, false}, "dual", "assisted", "in_service", "双管", "in service"},
		{profile{"Laid-off Worker", laidOff, "1975-09-09", nil, false}, "takeover", "direct", "jobless", "接管", "laid off"},
		{profile{"Graduate", student, "2000-05-05", nil, false}, "takeover", "takeover", "", "接管", "no Shiquan class fits"},
		{profile{"Shopkeeper", selfEmployed, "1980-02-02", nil, false}, "direct", "direct", "self_employed", "直管", "self-employed"},
		{profile{"Platform Engineer", employed, "1990-10-10", []string{"两新组织"}, false}, "dual", "allied", "in_service", "双管",
			"a new economic organisation"},
		{profile{"Carer", otherWork, "1970-07-07", nil, true}, "direct", "direct", "jobless", "直管", "hardship"},
		{profile{"Old Jobless", unemployed, "1955-01-01", nil, false}, "takeover", "direct", "elderly", "接管", "60 and over"},
		{profile{"Veteran", otherWork, "1992-12-12", []string{"退役军人"}, false}, "takeover", "takeover", "", "接管", "an unplaced veteran"},
	}
	ids := make([]string, len(table))
	for i, row := range table {
		m := h.register(t, row.p.in(tr.branch.GetId()))
		ids[i] = m.GetId()
		if m.GetCategoryCode() != row.jinchang || m.GetCategoryName() != row.jinchangName || m.GetCategoryOverridden() {
			t.Errorf("%s (%s) under 004: %s %s, want %s %s", row.p.name, row.comment, m.GetCategoryCode(),
				m.GetCategoryName(), row.jinchang, row.jinchangName)
		}
	}
	got, err := h.categories.GetScheme(callContext(t), &pb.GetSchemeRequest{DistrictId: tr.district.GetId()})
	if err != nil || !got.GetInherited() || got.GetScheme().GetName() != "五管" {
		t.Fatalf("the district's scheme before any is set: %v, %v", got, err)
	}
	for _, sc := range []struct {
		scheme *pb.Scheme
		want   func(i int) string
	}{
		{fengxiangScheme(), func(i int) string { return table[i].fengxiang }},
		{shiquanScheme(), func(i int) string { return table[i].shiquan }},
	} {
		if _, err := h.categories.SetScheme(callContext(t), &pb.SetSchemeRequest{DistrictId: tr.district.GetId(), Scheme: sc.scheme}); err != nil {
			t.Fatalf("set %s: %v", sc.scheme.GetName(), err)
		}
		for i, id := range ids {
			m, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: id})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.GetMember().GetCategoryCode(); got != sc.want(i) {
				t.Errorf("%s under %s: %q, want %q", table[i].p.name, sc.scheme.GetName(), got, sc.want(i))
			}
		}
	}
	presets, err := h.categories.ListPresets(callContext(t), &pb.ListPresetsRequest{})
	if err != nil || len(presets.GetSchemes()) != 3 {
		t.Fatalf("presets: %v, %v", presets, err)
	}
}

// violations are the field violations of a refusal, by field.
func violations(err error) map[string]string {
	out := map[string]string{}
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out[v.GetField()] = v.GetDescription()
			}
		}
	}
	return out
}

// TestBadRuleRefused: a rule that does not compile, does not yield a bool
// or uses an unknown variable is refused, naming its field and saying what
// CEL found; nothing is saved.
func TestBadRuleRefused(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	for _, tc := range []struct {
		name, rule, says string
	}{
		{"syntax error", `employment_status ==`, "Syntax error"},
		{"not a bool", `age + 1`, "not bool"},
		{"unknown variable", `salary > 3000`, "undeclared reference to 'salary'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := jinchangScheme()
			s.Categories[1].Rule = tc.rule
			_, err := h.categories.SetScheme(callContext(t), &pb.SetSchemeRequest{DistrictId: tr.district.GetId(), Scheme: s})
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("%v, want InvalidArgument", err)
			}
			v := violations(err)
			if len(v) != 1 || !strings.Contains(v["scheme.categories[1].rule"], tc.says) {
				t.Errorf("violations %v, want scheme.categories[1].rule saying %q", v, tc.says)
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM category_schemes`); n != 0 {
		t.Errorf("%d schemes saved", n)
	}
}

// categoryEvents are the category changes the stream carries, by member.
func categoryEvents(evs []proto.Message) map[string][]*pb.MemberCategoryChanged {
	out := map[string][]*pb.MemberCategoryChanged{}
	for _, e := range evs {
		if c, ok := e.(*pb.MemberCategoryChanged); ok {
			out[c.GetMemberId()] = append(out[c.GetMemberId()], c)
		}
	}
	return out
}

func changedTotal(m map[string][]*pb.MemberCategoryChanged) int {
	n := 0
	for _, v := range m {
		n += len(v)
	}
	return n
}

// TestSchemeChangeReclassifies: a new scheme for a district reclassifies
// its members, and only its members, in the same transaction, publishing
// one event and leaving one audit record per member whose category changed.
func TestSchemeChangeReclassifies(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	retiree := h.register(t, profile{"Retiree", retired, "1950-03-02", nil, false}.in(tr.branch.GetId()))
	worker := h.register(t, profile{"Worker", employed, "1985-06-01", nil, false}.in(tr.branch.GetId()))
	shop := h.register(t, profile{"Shopkeeper", selfEmployed, "1980-02-02", nil, false}.in(tr.community.GetId()))
	elsewhere := h.register(t, profile{"Retiree Elsewhere", retired, "1950-03-02", nil, false}.in(tr.otherCommunity.GetId()))
	waitFor(t, "the registrations", func() bool { return len(h.memberEvents(t)) == 8 })

	resp, err := h.categories.SetScheme(callContext(t), &pb.SetSchemeRequest{DistrictId: tr.district.GetId(), Scheme: shiquanScheme()})
	if err != nil {
		t.Fatal(err)
	}
	// joint → elderly, dual → in_service, direct → self_employed.
	if resp.GetReclassified() != 3 {
		t.Errorf("reclassified %d, want 3", resp.GetReclassified())
	}
	waitFor(t, "three category events", func() bool { return changedTotal(categoryEvents(h.memberEvents(t))) == 3 })
	evs := categoryEvents(h.memberEvents(t))
	want := map[string][2]string{retiree.GetId(): {"joint", "elderly"}, worker.GetId(): {"dual", "in_service"},
		shop.GetId(): {"direct", "self_employed"}}
	for id, codes := range want {
		if len(evs[id]) != 1 || evs[id][0].GetOldCategoryCode() != codes[0] || evs[id][0].GetNewCategoryCode() != codes[1] ||
			evs[id][0].GetOverridden() {
			t.Errorf("events of %s: %v, want one %s → %s", id, evs[id], codes[0], codes[1])
		}
	}
	if evs[worker.GetId()][0].GetOrganisationId() != tr.branch.GetId() {
		t.Errorf("the event names organisation %s", evs[worker.GetId()][0].GetOrganisationId())
	}
	if len(evs[elsewhere.GetId()]) != 0 {
		t.Errorf("a member of another district was reclassified")
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'member' AND after->>'category_code' IS NOT NULL`); n != 3 {
		t.Errorf("%d audit records of category changes, want 3", n)
	}
	m, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: worker.GetId()})
	if err != nil || m.GetMember().GetCategoryName() != "在职党员" || m.GetMember().GetEtag() != "2" {
		t.Errorf("the worker after the change: %v, %v", m, err)
	}
	// The same scheme again changes nobody.
	resp, err = h.categories.SetScheme(callContext(t), &pb.SetSchemeRequest{DistrictId: tr.district.GetId(), Scheme: shiquanScheme()})
	if err != nil || resp.GetReclassified() != 0 {
		t.Errorf("setting the scheme again: %v, %v", resp, err)
	}
	// The default applies to the other district only now.
	dresp, err := h.categories.SetDefaultScheme(callContext(t), &pb.SetDefaultSchemeRequest{Scheme: fengxiangScheme()})
	if err != nil || dresp.GetReclassified() != 1 {
		t.Fatalf("set the default: %v, %v", dresp, err)
	}
	m, err = h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: elsewhere.GetId()})
	if err != nil || m.GetMember().GetCategoryCode() != "takeover" {
		t.Errorf("the other district's retiree under the default: %v, %v", m.GetMember().GetCategoryCode(), err)
	}
	g, err := h.categories.GetScheme(callContext(t), &pb.GetSchemeRequest{DistrictId: tr.otherDistrict.GetId()})
	if err != nil || !g.GetInherited() || g.GetScheme().GetName() != "三知五管" || g.GetScheme().GetUpdateSubject() != "city-admin" {
		t.Errorf("the other district's scheme: %v, %v", g, err)
	}
	// A scheme is for a district.
	_, err = h.categories.SetScheme(callContext(t), &pb.SetSchemeRequest{DistrictId: tr.community.GetId(), Scheme: shiquanScheme()})
	if r := refusalOf(err); r.Code != codes.FailedPrecondition || !cmp.Equal(r.Fields, []string{"district_id"}) {
		t.Errorf("a scheme for a community: %v", err)
	}
}

// TestOverride: a category set by hand keeps who and why, wins over the
// rules (also when the scheme changes) until cleared, and clearing it
// restores the rules' category.
func TestOverride(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	m := h.register(t, profile{"Retiree", retired, "1950-03-02", nil, false}.in(tr.branch.GetId()))
	got, err := h.categories.OverrideCategory(callContext(t), &pb.OverrideCategoryRequest{MemberId: m.GetId(),
		CategoryCode: "dual", Reason: "re-employed as a consultant by the nickel company"})
	if err != nil {
		t.Fatal(err)
	}
	o := got.GetMember()
	if o.GetCategoryCode() != "dual" || o.GetCategoryName() != "双管" || !o.GetCategoryOverridden() ||
		o.GetCategoryOverride().GetSubject() != "city-admin" || !strings.Contains(o.GetCategoryOverride().GetReason(), "consultant") ||
		o.GetCategoryOverride().GetTime() == nil {
		t.Errorf("after the override: %v", o)
	}
	// An update keeps the override.
	if _, err := h.members.UpdateMember(callContext(t), &pb.UpdateMemberRequest{Member: &pb.Member{Id: m.GetId(), Hardship: true},
		UpdateMask: mask("hardship")}); err != nil {
		t.Fatal(err)
	}
	// So does a new scheme that has the category.
	if _, err := h.categories.SetScheme(callContext(t), &pb.SetSchemeRequest{DistrictId: tr.district.GetId(), Scheme: jinchangScheme()}); err != nil {
		t.Fatal(err)
	}
	g, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: m.GetId()})
	if err != nil || g.GetMember().GetCategoryCode() != "dual" || !g.GetMember().GetCategoryOverridden() {
		t.Errorf("the override after an update and a new scheme: %v, %v", g.GetMember(), err)
	}
	for _, tc := range []struct {
		name  string
		req   *pb.OverrideCategoryRequest
		field string
	}{
		{"unknown category", &pb.OverrideCategoryRequest{MemberId: m.GetId(), CategoryCode: "elderly", Reason: "old"}, "category_code"},
		{"no reason", &pb.OverrideCategoryRequest{MemberId: m.GetId(), CategoryCode: "joint"}, "reason"},
	} {
		_, err := h.categories.OverrideCategory(callContext(t), tc.req)
		if r := refusalOf(err); r.Code != codes.InvalidArgument || !cmp.Equal(r.Fields, []string{tc.field}) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	cleared, err := h.categories.ClearCategoryOverride(callContext(t), &pb.ClearCategoryOverrideRequest{MemberId: m.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if c := cleared.GetMember(); c.GetCategoryCode() != "joint" || c.GetCategoryOverridden() || c.GetCategoryOverride() != nil {
		t.Errorf("after clearing: %v", c)
	}
	_, err = h.categories.ClearCategoryOverride(callContext(t), &pb.ClearCategoryOverrideRequest{MemberId: m.GetId()})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("clearing twice: %v", err)
	}
	waitFor(t, "two category events", func() bool { return changedTotal(categoryEvents(h.memberEvents(t))) == 2 })
	evs := categoryEvents(h.memberEvents(t))[m.GetId()]
	if evs[0].GetNewCategoryCode() != "dual" || !evs[0].GetOverridden() || evs[1].GetNewCategoryCode() != "joint" || evs[1].GetOverridden() {
		t.Errorf("category events: %v", evs)
	}
}

// apportion splits n in the proportions of weights, by largest remainder.
func apportion(n int, weights []int) []int {
	total := 0
	for _, w := range weights {
		total += w
	}
	out := make([]int, len(weights))
	rem := make([]int, len(weights))
	left := n
	for i, w := range weights {
		out[i] = n * w / total
		rem[i] = n * w % total
		left -= out[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// TestJinchangComposition: twenty members with the employment mix of
// Jinchang's 1,952 community members (927 retired, 128 laid off, 214 in
// service, 173 others; the 170 mobile members are left out, as mobile
// members are not kept yet) give back that mix in the composition report
// of the community's subtree; each branch counts its own.
func TestJinchangComposition(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	second := h.created(t, org(tr.community, kindBranch, "Second Branch of Guangzhou Road Community"))
	h.waitView(t, second.GetId())
	mix := []struct {
		code       string
		employment pb.EmploymentStatus
		weight     int
	}{{"joint", retired, 927}, {"takeover", laidOff, 128}, {"dual", employed, 214}, {"direct", otherWork, 173}}
	weights := make([]int, len(mix))
	for i, x := range mix {
		weights[i] = x.weight
	}
	shares := apportion(20, weights)
	if !cmp.Equal(shares, []int{13, 2, 3, 2}) {
		t.Fatalf("the scaled mix is %v", shares)
	}
	want := map[string]int64{}
	inFirst := map[string]int64{}
	n := 0
	for i, x := range mix {
		for range shares[i] {
			where := []*orgv1.Organisation{tr.branch, second}[n%2]
			h.register(t, profile{fmt.Sprintf("Member %d", n), x.employment, "", nil, false}.in(where.GetId()))
			want[x.code]++
			if where == tr.branch {
				inFirst[x.code]++
			}
			n++
		}
	}
	h.register(t, profile{"Elsewhere", retired, "", nil, false}.in(tr.otherCommunity.GetId()))
	composition := func(orgID string, subtree bool) (map[string]int64, int64) {
		resp, err := h.categories.GetComposition(callContext(t), &pb.GetCompositionRequest{OrganisationId: orgID, Subtree: subtree})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, c := range resp.GetCounts() {
			out[c.GetCategoryCode()] = c.GetCount()
		}
		if resp.GetUnclassified() != 0 {
			t.Errorf("%d unclassified", resp.GetUnclassified())
		}
		return out, resp.GetTotal()
	}
	got, total := composition(tr.community.GetId(), true)
	if diff := cmp.Diff(want, got); diff != "" || total != 20 {
		t.Errorf("the community's subtree: total %d (-want +got):\n%s", total, diff)
	}
	got, total = composition(tr.branch.GetId(), false)
	if diff := cmp.Diff(inFirst, got); diff != "" || total != 10 {
		t.Errorf("the first branch: total %d (-want +got):\n%s", total, diff)
	}
	if got, total = composition(tr.community.GetId(), false); len(got) != 0 || total != 0 {
		t.Errorf("directly in the community: %v, %d", got, total)
	}
	if got, total = composition(tr.city.GetId(), true); total != 21 || got["joint"] != 14 {
		t.Errorf("the city: %v, %d", got, total)
	}
}

func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
