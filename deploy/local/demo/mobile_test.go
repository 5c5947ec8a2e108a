package demo

import "testing"

// TestMobilePlanHasEveryKindOfMobileMember: the plan is deterministic and
// holds a group of five from one community, outflows under and over six
// months (some inside the city, to be granted a temporary relationship),
// some that never reported, and two inflows.
func TestMobilePlanHasEveryKindOfMobileMember(t *testing.T) {
	p := newPlan(planDay)
	mp := newMemberPlan(p)
	group, singles, inflows := planMobile(p, mp)
	if len(group) != groupSize {
		t.Fatalf("a group of %d, want %d", len(group), groupSize)
	}
	for _, d := range group[1:] {
		if d.m.community != group[0].m.community {
			t.Error("the group's members are not of one community")
		}
	}
	seen := map[*memberDef]bool{}
	var granted, young, silent int
	for _, d := range append(append([]*mobileDef{}, group...), singles...) {
		if seen[d.m] || d.m.district != "jc" || d.m.group != mobile {
			t.Errorf("%s: planned twice or not a mobile member of Jinchang", d.m.key)
		}
		seen[d.m] = true
		switch {
		case d.destination != nil && d.monthsAgo >= 6:
			granted++
		case d.monthsAgo < 6:
			young++
		}
		if d.report == 0 && d.monthsAgo >= 4 {
			silent++
		}
	}
	if len(seen) != jinchangRoll[mobile] {
		t.Errorf("%d mobile members planned, want %d", len(seen), jinchangRoll[mobile])
	}
	if granted < 10 || young < 10 || silent < 5 {
		t.Errorf("granted %d, under six months %d, silent %d: the plan lacks a kind", granted, young, silent)
	}
	if len(inflows) != 2 || inflows[0].person == nil || inflows[1].member == nil || inflows[1].member.district == "jc" {
		t.Errorf("inflows: %+v", inflows)
	}
	for _, tr := range mp.transfers {
		if seen[tr.member] {
			t.Errorf("%s is both mobile and transferred", tr.member.key)
		}
	}
	again, singles2, _ := planMobile(newPlan(planDay.AddDate(0, 0, 5)), newMemberPlan(newPlan(planDay.AddDate(0, 0, 5))))
	if again[0].m.key != group[0].m.key || len(singles2) != len(singles) || singles2[7].m.key != singles[7].m.key {
		t.Error("the plan differs between days")
	}
}
