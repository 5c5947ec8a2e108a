package balancing_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"gongjian.dev/services/cobuilding/internal/balancing"
)

// TestSteeringFillsTheEmptiestCommunityOfTheStreetFirst: each unit goes to
// its street's community with the fewest agreements, counting what was
// steered before it; a tie goes to the unit's own community, then by
// name; a unit whose street is not in the balance is left out.
func TestSteeringFillsTheEmptiestCommunityOfTheStreetFirst(t *testing.T) {
	t.Parallel()
	balance := []balancing.CommunityBalance{
		{CommunityID: "a", Name: "甲社区", StreetID: "s1", LiveAgreements: 3},
		{CommunityID: "b", Name: "乙社区", StreetID: "s1", LiveAgreements: 1},
		{CommunityID: "c", Name: "丙社区", StreetID: "s1", LiveAgreements: 1},
		{CommunityID: "d", Name: "丁社区", StreetID: "s2", LiveAgreements: 0},
	}
	units := []balancing.Unassigned{
		{UnitID: "u1", CommunityID: "a", StreetID: "s1"}, // b and c tie at 1: by name, 丙 (c) before 乙 (b)
		{UnitID: "u2", CommunityID: "b", StreetID: "s1"}, // b at 1, c at 2: b, its own
		{UnitID: "u3", CommunityID: "c", StreetID: "s1"}, // b and c tie at 2: c, its own
		{UnitID: "u4", CommunityID: "d", StreetID: "s2"},
		{UnitID: "u5", CommunityID: "x", StreetID: "s9"}, // a street outside the balance
	}
	type got struct {
		Unit, Community string
		Tier            balancing.Tier
		Before          int
	}
	var out []got
	for _, it := range balancing.Steer(balance, units) {
		out = append(out, got{it.UnitID, it.CommunityID, it.Tier, it.AgreementsBefore})
	}
	want := []got{
		{"u1", "c", balancing.SameStreet, 1},
		{"u2", "b", balancing.SameCommunity, 1},
		{"u3", "c", balancing.SameCommunity, 2},
		{"u4", "d", balancing.SameCommunity, 0},
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
