package grpcapi_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// TestNameOnlyMembers: the name-only members of a subtree are exactly the
// live members whose relationship sits in a community (itself or below
// it, not in a resident unit's organisation) while they live in another
// community; those without a recorded residence only when asked, with
// their own reason; in tree order, over pages, scoped, with each read
// recorded.
func TestNameOnlyMembers(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	a := tr.community.GetId()
	c2 := h.created(t, org(tr.street, kindCommunity, "Xinhua Community Party Committee"))
	branch2 := h.created(t, org(c2, kindBranch, "First Branch of Xinhua Community"))
	unit := h.created(t, org(tr.community, orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT, "Party Branch of the Power Company"))
	factory := h.created(t, org(tr.street, kindBranch, "Party Branch of Factory No. 3"))
	h.waitView(t, c2.GetId(), branch2.GetId(), unit.GetId(), factory.GetId())

	reg := func(orgID, name, lives string) string { return h.register(t, residentOf(orgID, name, lives)).GetId() }
	reg(a, "Lives where registered", a)
	elsewhere := reg(tr.branch.GetId(), "Lives in Xinhua", c2.GetId())
	unknown := reg(tr.branch.GetId(), "Residence not recorded", "")
	reg(unit.GetId(), "Works at the power company", c2.GetId())
	farAway := reg(tr.branch.GetId(), "Lives in Beihai", tr.otherCommunity.GetId())
	inC2 := reg(branch2.GetId(), "Registered in Xinhua, lives in Guangzhou Road", a)
	reg(c2.GetId(), "Lives in Xinhua too", c2.GetId())
	reg(factory.GetId(), "Of the factory", a)

	type entry struct{ member, community, reason string }
	elsewhereA := []entry{{elsewhere, a, "NAME_ONLY_REASON_RESIDENCE_ELSEWHERE"}, {farAway, a, "NAME_ONLY_REASON_RESIDENCE_ELSEWHERE"}}
	unknownA := entry{unknown, a, "NAME_ONLY_REASON_RESIDENCE_UNKNOWN"}
	ofC2 := entry{inC2, c2.GetId(), "NAME_ONLY_REASON_RESIDENCE_ELSEWHERE"}
	sorted := func(es ...entry) []entry {
		slices.SortFunc(es, func(x, y entry) int { return strings.Compare(x.member, y.member) })
		return es
	}
	list := func(c pb.TransferServiceClient, root string, unknown bool, size int32) ([]entry, error) {
		var out []entry
		token := ""
		for {
			resp, err := c.ListNameOnlyMembers(ctx, &pb.ListNameOnlyMembersRequest{OrganisationId: root,
				IncludeUnknownResidence: unknown, PageSize: size, PageToken: token})
			if err != nil {
				return nil, err
			}
			for _, n := range resp.GetMembers() {
				if !strings.Contains(n.GetMember().GetNationalId(), "*") {
					t.Errorf("an unmasked national ID number in the list")
				}
				out = append(out, entry{n.GetMember().GetId(), n.GetCommunityId(), n.GetReason().String()})
			}
			if token = resp.GetNextPageToken(); token == "" {
				return out, nil
			}
		}
	}
	for name, c := range map[string]struct {
		root    string
		unknown bool
		want    []entry
	}{
		"the community":                     {a, false, elsewhereA},
		"the community, unknown residences": {a, true, append(slices.Clone(elsewhereA), unknownA)},
		"a branch below the community":      {tr.branch.GetId(), true, append(slices.Clone(elsewhereA), unknownA)},
		"the street":                        {tr.street.GetId(), false, append(slices.Clone(elsewhereA), ofC2)},
		"the district":                      {tr.district.GetId(), true, append(slices.Clone(elsewhereA), unknownA, ofC2)},
		"the other community":               {c2.GetId(), false, []entry{ofC2}},
		"the resident unit":                 {unit.GetId(), true, nil},
		"a branch under no community":       {factory.GetId(), true, nil},
	} {
		for _, size := range []int32{0, 1} {
			got, err := list(h.transfers, c.root, c.unknown, size)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !slices.Equal(sorted(got...), sorted(c.want...)) {
				t.Errorf("%s (pages of %d): %v, want %v", name, size, got, c.want)
			}
		}
	}
	// Tree order: the community's subtree before Xinhua's or after it, never mixed.
	got, _ := list(h.transfers, tr.street.GetId(), false, 1)
	if i := slices.IndexFunc(got, func(e entry) bool { return e.member == inC2 }); i != 0 && i != len(got)-1 {
		t.Errorf("not in tree order: %v", got)
	}

	secretary := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "sec-x", Role: auth.CommunitySecretary, ScopeOrgID: c2.GetId()}))
	if _, err := list(secretary, a, true, 0); status.Code(err) != codes.NotFound {
		t.Errorf("another community's secretary: %v", err)
	}
	if got, err := list(secretary, c2.GetId(), true, 0); err != nil || !slices.Equal(got, []entry{ofC2}) {
		t.Errorf("the secretary's own community: %v, %v", got, err)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'read' AND subject_id = $1 AND actor_subject = 'sec-x'`, inC2); n != 1 {
		t.Errorf("%d read records of the member the secretary listed", n)
	}
}
