package grpcapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
)

// roster is who the filter tests register: name, age in years on the day
// of the test (+ a day younger when young is set), employment, skills,
// hardship, and where (b: the branch, c: the community, o: the other
// district's community).
type rosterEntry struct {
	name       string
	age        int
	young      bool
	employment pb.EmploymentStatus
	skills     []string
	hardship   bool
	where      byte
}

var filterRoster = []rosterEntry{
	{"王建国", 60, false, retired, []string{"调解", "书法"}, false, 'b'},
	{"张建国", 60, true, retired, []string{"调解"}, true, 'b'},
	{"李建华", 45, false, employed, []string{"电脑维修"}, false, 'b'},
	{"王芳", 30, false, laidOff, []string{"书法", "电脑维修"}, true, 'c'},
	{"Li Na", 72, false, retired, []string{"调解", "电脑维修"}, true, 'c'},
	{"LILY Wang", 25, false, employed, nil, false, 'c'},
	{"赵秀英", 81, false, retired, []string{"书法"}, false, 'b'},
	{"周建国", 60, false, retired, []string{"调解"}, true, 'o'},
	{"王丽", 38, false, laidOff, []string{"电脑维修"}, true, 'o'},
}

// birthFor is the birth date of someone age years old today, or a day
// short of it.
func birthFor(age int, young bool) time.Time {
	now := time.Now().UTC()
	b := member.BornBy(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), age)
	if young {
		b = b.AddDate(0, 0, 1)
	}
	return b
}

func ageOf(birth string) int {
	b, _ := time.Parse(time.DateOnly, birth)
	now := time.Now().UTC()
	age := now.Year() - b.Year()
	if now.Month() < b.Month() || (now.Month() == b.Month() && now.Day() < b.Day()) {
		age--
	}
	return age
}

func (h *harness) registerRoster(t *testing.T, tr *tree) []*pb.Member {
	t.Helper()
	var out []*pb.Member
	for _, e := range filterRoster {
		org := map[byte]string{'b': tr.branch.GetId(), 'c': tr.community.GetId(), 'o': tr.otherCommunity.GetId()}[e.where]
		birth := birthFor(e.age, e.young)
		m := person(org, e.name)
		m.BirthDate, m.NationalId = birth.Format(time.DateOnly), nationalID("610102", birth.Format("20060102"))
		m.JoinDate = birth.AddDate(20, 0, 0).Format(time.DateOnly)
		if birth.AddDate(20, 0, 0).After(time.Now()) {
			m.JoinDate = time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
		}
		m.EmploymentStatus, m.Skills, m.Hardship = e.employment, e.skills, e.hardship
		out = append(out, h.register(t, m))
	}
	return out
}

func i32(n int32) *int32 { return &n }
func yes(b bool) *bool   { return &b }

// TestListFilters: each filter, and filters combined, list exactly the
// members they describe, page after page with none twice and none
// missed; CountMembers counts what the list lists; and every caller sees
// only their scope.
func TestListFilters(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	all := h.registerRoster(t, tr)
	hasSkills := func(m *pb.Member, any bool, want ...string) bool {
		n := 0
		for _, s := range want {
			if slices.Contains(m.GetSkills(), s) {
				n++
			}
		}
		return (any && n > 0) || n == len(want)
	}
	tests := []struct {
		name string
		req  *pb.ListMembersRequest
		want func(m *pb.Member) bool
	}{
		{"a management category", &pb.ListMembersRequest{CategoryCode: "joint"},
			func(m *pb.Member) bool { return m.GetEmploymentStatus() == retired }},
		{"part of a given name", &pb.ListMembersRequest{Name: "建国"},
			func(m *pb.Member) bool { return strings.Contains(m.GetName(), "建国") }},
		{"a surname of one character", &pb.ListMembersRequest{Name: "王"},
			func(m *pb.Member) bool { return strings.Contains(m.GetName(), "王") }},
		{"a name in another case", &pb.ListMembersRequest{Name: "li"},
			func(m *pb.Member) bool { return strings.Contains(strings.ToLower(m.GetName()), "li") }},
		{"a name with a LIKE wildcard matches nobody", &pb.ListMembersRequest{Name: "王%"},
			func(*pb.Member) bool { return false }},
		{"60 and over", &pb.ListMembersRequest{MinAge: i32(60)},
			func(m *pb.Member) bool { return ageOf(m.GetBirthDate()) >= 60 }},
		{"59 and under", &pb.ListMembersRequest{MaxAge: i32(59)},
			func(m *pb.Member) bool { return ageOf(m.GetBirthDate()) <= 59 }},
		{"an age band", &pb.ListMembersRequest{MinAge: i32(30), MaxAge: i32(60)},
			func(m *pb.Member) bool { a := ageOf(m.GetBirthDate()); return a >= 30 && a <= 60 }},
		{"all of some skills", &pb.ListMembersRequest{Skills: []string{"调解", "电脑维修"}},
			func(m *pb.Member) bool { return hasSkills(m, false, "调解", "电脑维修") }},
		{"any of some skills", &pb.ListMembersRequest{Skills: []string{"书法", "电脑维修"}, SkillsMatch: pb.SkillsMatch_SKILLS_MATCH_ANY},
			func(m *pb.Member) bool { return hasSkills(m, true, "书法", "电脑维修") }},
		{"in hardship", &pb.ListMembersRequest{Hardship: yes(true)}, func(m *pb.Member) bool { return m.GetHardship() }},
		{"not in hardship", &pb.ListMembersRequest{Hardship: yes(false)}, func(m *pb.Member) bool { return !m.GetHardship() }},
		{"an employment status", &pb.ListMembersRequest{EmploymentStatus: laidOff},
			func(m *pb.Member) bool { return m.GetEmploymentStatus() == laidOff }},
		{"retired, 60 and over, in hardship, with a skill, in a subtree", &pb.ListMembersRequest{
			AncestorId: tr.community.GetId(), EmploymentStatus: retired, MinAge: i32(60), Hardship: yes(true),
			Skills: []string{"调解"}},
			func(m *pb.Member) bool {
				return m.GetDistrictId() == tr.district.GetId() && m.GetEmploymentStatus() == retired &&
					ageOf(m.GetBirthDate()) >= 60 && m.GetHardship() && slices.Contains(m.GetSkills(), "调解")
			}},
		{"a category and a name in one organisation", &pb.ListMembersRequest{OrganisationId: tr.branch.GetId(),
			CategoryCode: "joint", Name: "建"},
			func(m *pb.Member) bool {
				return m.GetOrganisationId() == tr.branch.GetId() && m.GetCategoryCode() == "joint" && strings.Contains(m.GetName(), "建")
			}},
	}
	callers := []struct {
		name   string
		claims devissuer.Claims
		sees   func(m *pb.Member) bool
	}{
		{"the city", cityAdmin, func(*pb.Member) bool { return true }},
		{"the district", devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()},
			func(m *pb.Member) bool { return m.GetDistrictId() == tr.district.GetId() }},
		{"the other district", devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()},
			func(m *pb.Member) bool { return m.GetDistrictId() == tr.otherDistrict.GetId() }},
	}
	for _, who := range callers {
		members := pb.NewMemberServiceClient(h.as(who.claims))
		for _, tt := range tests {
			if who.claims.ScopeOrgID == tr.otherDistrict.GetId() && (tt.req.GetAncestorId() != "" || tt.req.GetOrganisationId() != "") {
				continue // naming the first district's organisations: refused by the access matrix's rules
			}
			t.Run(who.name+": "+tt.name, func(t *testing.T) {
				var want []string
				for _, m := range all {
					if who.sees(m) && tt.want(m) {
						want = append(want, m.GetName())
					}
				}
				var got []string
				seen := map[string]bool{}
				req := tt.req
				req.PageSize, req.PageToken = 2, ""
				for page := 0; ; page++ {
					resp, err := members.ListMembers(callContext(t), req)
					if err != nil {
						t.Fatalf("page %d: %v", page, err)
					}
					if len(resp.GetMembers()) > 2 {
						t.Fatalf("page %d has %d members", page, len(resp.GetMembers()))
					}
					for _, m := range resp.GetMembers() {
						if seen[m.GetId()] {
							t.Errorf("%s listed twice", m.GetName())
						}
						seen[m.GetId()] = true
						got = append(got, m.GetName())
					}
					if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
						break
					}
				}
				slices.Sort(want)
				slices.Sort(got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("listed (-want +got):\n%s", diff)
				}
				n, err := members.CountMembers(callContext(t), countOf(req))
				if err != nil {
					t.Fatal(err)
				}
				if n.GetCount() != int64(len(got)) {
					t.Errorf("counted %d, listed %d", n.GetCount(), len(got))
				}
			})
		}
	}
	if len(all) != len(filterRoster) || all[1].GetCategoryCode() != "joint" {
		t.Fatalf("the roster was registered as %v", all)
	}
}

// countOf is the count request of a list request's filters.
func countOf(r *pb.ListMembersRequest) *pb.CountMembersRequest {
	return &pb.CountMembersRequest{OrganisationId: r.GetOrganisationId(), AncestorId: r.GetAncestorId(), Status: r.GetStatus(),
		CategoryCode: r.GetCategoryCode(), Name: r.GetName(), MinAge: r.MinAge, MaxAge: r.MaxAge, Skills: r.GetSkills(),
		SkillsMatch: r.GetSkillsMatch(), Hardship: r.Hardship, EmploymentStatus: r.GetEmploymentStatus()}
}

// TestBadFiltersAreRefusedOnTheirField: a filter that cannot be meant is
// InvalidArgument naming its field, for a list and a count alike.
func TestBadFiltersAreRefusedOnTheirField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	skills := make([]string, 17)
	for i := range skills {
		skills[i] = fmt.Sprintf("skill %d", i)
	}
	tests := []struct {
		name  string
		req   *pb.ListMembersRequest
		field string
	}{
		{"older than young", &pb.ListMembersRequest{MinAge: i32(70), MaxAge: i32(60)}, "min_age"},
		{"a category code of another shape", &pb.ListMembersRequest{CategoryCode: "Joint Care"}, "category_code"},
		{"too many skills", &pb.ListMembersRequest{Skills: skills}, "skills"},
		{"an age nobody has", &pb.ListMembersRequest{MaxAge: i32(200)}, "max_age"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := h.members.ListMembers(callContext(t), tt.req)
			if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{tt.field}}, refusalOf(err)); diff != "" {
				t.Errorf("list (-want +got):\n%s", diff)
			}
			_, err = h.members.CountMembers(callContext(t), countOf(tt.req))
			if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{tt.field}}, refusalOf(err)); diff != "" {
				t.Errorf("count (-want +got):\n%s", diff)
			}
		})
	}
}
