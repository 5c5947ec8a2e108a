package demo

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func TestMemberPlanScalesJinchangsRollWithValidUniqueNumbers(t *testing.T) {
	p := newPlan(planDay)
	mp := newMemberPlan(p)

	byDistrict := map[string]int{}
	jinchang := map[group]int{}
	byCommunity := map[*node]int{}
	ids, keys := map[string]bool{}, map[string]bool{}
	holds := map[orgv1.OrganisationKind]bool{
		orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY: true,
		orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH:    true,
	}
	for _, m := range mp.members {
		byDistrict[m.district]++
		if m.district == "jc" {
			jinchang[m.group]++
			byCommunity[m.community]++
		}
		pb := m.member
		if keys[m.key] || len(requestID(m.key)) > 64 {
			t.Errorf("member key %q repeated or too long", m.key)
		}
		keys[m.key] = true
		id := pb.GetNationalId()
		if ids[id] {
			t.Errorf("national ID number %s given twice", id)
		}
		ids[id] = true
		if len(id) != 18 || checkCharacter(id) != id[17] {
			t.Errorf("%s: invalid national ID number %s", pb.GetName(), id)
		}
		if !strings.HasPrefix(id, regionCodes[m.district]) {
			t.Errorf("%s: %s is not registered in %s", pb.GetName(), id, regionCodes[m.district])
		}
		if id[6:14] != strings.ReplaceAll(pb.GetBirthDate(), "-", "") {
			t.Errorf("%s: number %s disagrees with birth date %s", pb.GetName(), id, pb.GetBirthDate())
		}
		if male := (id[16]-'0')%2 == 1; male != (pb.GetSex() == memberv1.Sex_SEX_MALE) {
			t.Errorf("%s: sequence of %s disagrees with sex %s", pb.GetName(), id, pb.GetSex())
		}
		born, _ := time.Parse(dateLayout, pb.GetBirthDate())
		if m.group == retired && (born.Year() < 1940 || born.Year() > 1962) {
			t.Errorf("%s: retired but born %s", pb.GetName(), pb.GetBirthDate())
		}
		if joined, _ := time.Parse(dateLayout, pb.GetJoinDate()); joined.Before(born.AddDate(18, 0, 0)) || joined.After(p.today) {
			t.Errorf("%s: born %s, joined %s", pb.GetName(), pb.GetBirthDate(), pb.GetJoinDate())
		}
		// A year of probation before full membership: the service refuses
		// a full member who joined less than a year ago.
		if joined, _ := time.Parse(dateLayout, pb.GetJoinDate()); pb.GetStatus() == memberv1.MemberStatus_MEMBER_STATUS_FULL &&
			joined.AddDate(1, 0, 0).After(p.today) {
			t.Errorf("%s: a full member who joined %s, less than a year ago", pb.GetName(), pb.GetJoinDate())
		}
		if !holds[m.org.org.GetKind()] || m.community.org.GetKind() != orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY {
			t.Errorf("%s: held by a %s in a %s", pb.GetName(), m.org.org.GetKind(), m.community.org.GetKind())
		}
	}
	if byDistrict["jc"] != 1952 {
		t.Errorf("Jinchang has %d members, want the document's 1,952", byDistrict["jc"])
	}
	for _, d := range []string{"tj", "sq", "fx"} {
		if byDistrict[d] != otherMembers {
			t.Errorf("%s has %d members, want %d", d, byDistrict[d], otherMembers)
		}
	}
	communities := 0
	for c, n := range byCommunity {
		communities++
		if int64(n) != c.members {
			t.Errorf("%s: %d members, the plan gives it %d", c.org.GetName(), n, c.members)
		}
	}
	if communities != 36 {
		t.Errorf("Jinchang's members live in %d communities, want the document's 36", communities)
	}
	// The document's roll, and the residents who make up its total.
	want := map[group]int{retired: 927, laidOff: 128, mobile: 170, inService: 214, others: 173, residents: 340}
	for g, n := range want {
		if jinchang[g] != n {
			t.Errorf("Jinchang group %d: %d members, want %d", g, jinchang[g], n)
		}
	}

	states, outside := map[memberv1.TransferState]int{}, map[memberv1.TransferState]int{}
	moved := map[*memberDef]bool{}
	for _, tr := range mp.transfers {
		states[tr.final]++
		if moved[tr.member] {
			t.Errorf("%s moved twice", tr.member.member.GetName())
		}
		moved[tr.member] = true
		if tr.outside != nil {
			outside[tr.final]++
			if tr.to != nil || tr.member.district == "jc" || tr.outside.GetOrganisation() == "" || tr.outside.GetPlace() == "" ||
				(tr.final == memberv1.TransferState_TRANSFER_STATE_COMPLETED) != (tr.receipt != "") {
				t.Errorf("transfer %s out of the city: to %v, from %s, %v, receipt %q", tr.key, tr.to, tr.member.district, tr.outside, tr.receipt)
			}
			continue
		}
		if tr.to.org.GetKind() != orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH && tr.to.org.GetKind() != orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY {
			t.Errorf("transfer %s to a %s", tr.key, tr.to.org.GetKind())
		}
	}
	// Two moves completed across districts and one out of the city by its
	// receipt; two requested (one on paper); two released inside the city
	// (one on paper) and one out of it.
	if states[memberv1.TransferState_TRANSFER_STATE_COMPLETED] != 3 || states[memberv1.TransferState_TRANSFER_STATE_REQUESTED] != 2 ||
		states[memberv1.TransferState_TRANSFER_STATE_RELEASED] != 3 {
		t.Errorf("transfers by final state: %v", states)
	}
	if outside[memberv1.TransferState_TRANSFER_STATE_COMPLETED] != 1 || outside[memberv1.TransferState_TRANSFER_STATE_RELEASED] != 1 {
		t.Errorf("transfers out of the city by final state: %v", outside)
	}
}

// TestMemberPlanRecordsTwoTransfersBegunOnPaper: a letter released 45 days
// ago across districts and a request open for seven months inside one,
// both of residents outside Jinchang, to an organisation other than their
// own, on days the member service accepts.
func TestMemberPlanRecordsTwoTransfersBegunOnPaper(t *testing.T) {
	p := newPlan(planDay)
	mp := newMemberPlan(p)
	var letter, request *transferDef
	for _, tr := range mp.transfers {
		switch {
		case tr.earlier == nil:
		case tr.final == memberv1.TransferState_TRANSFER_STATE_RELEASED:
			letter = tr
		case tr.final == memberv1.TransferState_TRANSFER_STATE_REQUESTED:
			request = tr
		default:
			t.Errorf("transfer %s recorded as %v", tr.key, tr.final)
		}
	}
	if letter == nil || request == nil {
		t.Fatalf("recorded letter %v, request %v", letter, request)
	}
	district := func(n *node) string {
		found := ""
		for _, d := range p.city.children {
			d.walk(func(c *node) {
				if c == n {
					found = d.key
				}
			})
		}
		return found
	}
	for _, tr := range []*transferDef{letter, request} {
		m := tr.member
		if m.district == "jc" || district(tr.to) == "jc" || m.group != residents {
			t.Errorf("%s: a %d of %s to %s", tr.key, m.group, m.district, district(tr.to))
		}
		if tr.to == m.org {
			t.Errorf("%s: to the member's own organisation", tr.key)
		}
		e := tr.earlier
		joined, _ := time.Parse(dateLayout, m.member.GetJoinDate())
		if e.requested.Before(joined) || !e.requested.Before(p.today) {
			t.Errorf("%s: requested %v, joined %v", tr.key, e.requested, joined)
		}
	}
	if district(letter.to) == letter.member.district {
		t.Errorf("the recorded letter stays in %s: want one across districts", letter.member.district)
	}
	e := letter.earlier
	if !e.released.Equal(p.today.AddDate(0, 0, -45)) || e.confirmed.Before(e.requested) || e.released.Before(e.confirmed) {
		t.Errorf("letter days: %+v", e)
	}
	if district(request.to) != request.member.district {
		t.Errorf("the recorded request goes from %s to %s: want one inside a district", request.member.district, district(request.to))
	}
	if r := request.earlier; !r.requested.Equal(p.today.AddDate(0, -7, 0)) || !r.confirmed.IsZero() || !r.released.IsZero() {
		t.Errorf("request days: %+v", r)
	}
}

func TestMemberPlanIsTheSameEveryDay(t *testing.T) {
	a, b := newMemberPlan(newPlan(planDay)), newMemberPlan(newPlan(planDay.AddDate(0, 0, 3)))
	for i, m := range a.members {
		n := b.members[i]
		if m.key != n.key || m.member.GetNationalId() != n.member.GetNationalId() || m.member.GetName() != n.member.GetName() {
			t.Fatalf("member %s differs between days: %s %s, %s %s", m.key,
				m.member.GetName(), m.member.GetNationalId(), n.member.GetName(), n.member.GetNationalId())
		}
	}
}

// TestTheOtherDistrictsSendRosters: outside Jinchang every community's
// residents and every unit's in-service members come as rosters, as many
// as the plan gives each — Tongjiang's units hold document 002's 2,174 —
// each a valid file of numbers no other member has.
func TestTheOtherDistrictsSendRosters(t *testing.T) {
	p := newPlan(planDay)
	mp := newMemberPlan(p)
	ids := map[string]bool{}
	for _, m := range mp.members {
		ids[m.member.GetNationalId()] = true
	}
	unitMembers := map[string]int{}
	for _, u := range mp.rosters {
		if u.district == "jc" {
			t.Fatalf("a roster in Jinchang: %s", u.unit.org.GetName())
		}
		rows, err := csv.NewReader(bytes.NewReader(u.csv())).ReadAll()
		if err != nil || len(rows) != len(u.members)+1 || len(u.members) == 0 {
			t.Fatalf("%s: roster of %d rows (%v)", u.unit.org.GetName(), len(rows), err)
		}
		unit := u.unit.org.GetKind() == orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT
		for _, m := range u.members {
			id := m.GetNationalId()
			if ids[id] || checkCharacter(id) != id[17] || employment[m.GetEmploymentStatus()] == "" {
				t.Errorf("%s: %s repeated or invalid, or %s not written", m.GetName(), id, m.GetEmploymentStatus())
			}
			if unit && m.GetEmploymentStatus() != memberv1.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED {
				t.Errorf("%s of unit %s is not in service", m.GetName(), u.unit.org.GetName())
			}
			ids[id] = true
		}
		if unit {
			unitMembers[u.district] += len(u.members)
		}
	}
	if unitMembers["tj"] != 2174 {
		t.Errorf("Tongjiang's units hold %d members, want the document's 2,174", unitMembers["tj"])
	}
}
