package org

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// asOf is the day of the reports; its last completed quarter runs from
// 2026-07-01 to 2026-09-30.
var asOf = NewDate(2026, time.November, 22)

const districtID = "district-1"

func cadreOf(name, role, sex, born string, edu int, posts ...string) Cadre {
	d, err := ParseDate(born)
	if err != nil {
		panic(err)
	}
	return Cadre{Name: name, Role: role, Sex: sex, BirthDate: d, Education: edu, ConcurrentPosts: posts}
}

// passingFacts describes a community that keeps every rule under the
// default settings on asOf.
func passingFacts() CommunityFacts {
	return CommunityFacts{
		Community: &Organisation{
			ID: "community-1", Name: "Xinhua Road Community", Kind: Community, DistrictID: districtID,
			Created: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC),
			Details: Details{
				CommunityForm: FormCommittee,
				Premises:      &Premises{AreaM2: 200, Equipment: []string{"file_cabinets", "desks", "dvd_player", "computer", "tv", "phone", "projector"}},
			},
			Leadership: []Cadre{
				cadreOf("Ma Jianguo", RoleSecretary, SexMale, "1971-11-22", EducationCollege, PostRCDirector),
				cadreOf("Liu Xia", "DEPUTY_SECRETARY", SexFemale, "1976-11-22", EducationHigh),
				cadreOf("Zhou Qiang", "COMMITTEE_MEMBER", SexMale, "1980-01-01", EducationHigh),
			},
		},
		BranchDescendants:      1,
		Members:                50,
		ConcentratedActivities: 1,
	}
}

// outcome is what the report says of one community: the rules it fails
// (with their number of findings) and the rules the settings switched off.
type outcome struct {
	Failing    map[Rule]int
	NotChecked []Rule
}

func outcomeOf(r *Report) outcome {
	o := outcome{Failing: map[Rule]int{}}
	for _, res := range r.Results {
		if res.Checked == 0 {
			o.NotChecked = append(o.NotChecked, res.Rule)
		}
		if res.Count > 0 {
			o.Failing[res.Rule] = res.Count
		}
	}
	return o
}

func TestEvaluateOneCommunity(t *testing.T) {
	t.Parallel()
	fails := func(rules ...Rule) outcome {
		o := outcome{Failing: map[Rule]int{}}
		for _, r := range rules {
			o.Failing[r]++
		}
		return o
	}
	team := func(f *CommunityFacts) []Cadre { return f.Community.Leadership }
	tests := []struct {
		name     string
		change   func(*CommunityFacts)
		settings func(*Settings)
		want     outcome
	}{
		{name: "a community that keeps every rule", want: fails()},

		{name: "no branch below a party committee", change: func(f *CommunityFacts) { f.BranchDescendants = 0 },
			want: fails(RuleCommunityHasBranch)},
		{name: "a community in branch form is its own branch", change: func(f *CommunityFacts) {
			f.BranchDescendants, f.Community.Details.CommunityForm = 0, FormBranch
		}, want: fails()},

		{name: "fifty-one members in branch form", change: func(f *CommunityFacts) {
			f.Members, f.Community.Details.CommunityForm = 51, FormBranch
		}, want: fails(RuleGeneralBranchOver)},
		{name: "fifty-one members with a general branch below", change: func(f *CommunityFacts) {
			f.Members, f.Community.Details.CommunityForm, f.GeneralBranchDescendants = 51, FormBranch, 1
		}, want: fails()},
		{name: "fifty-one members as a party committee", change: func(f *CommunityFacts) { f.Members = 51 }, want: fails()},
		{name: "fifty-one members where the district's threshold is sixty", change: func(f *CommunityFacts) {
			f.Members, f.Community.Details.CommunityForm = 51, FormBranch
		}, settings: func(s *Settings) { s.GeneralBranchMemberThreshold = 60 }, want: fails()},

		{name: "a team of two", change: func(f *CommunityFacts) { f.Community.Leadership = team(f)[:2] },
			want: fails(RuleLeadershipSize)},
		{name: "a team of six", change: func(f *CommunityFacts) {
			f.Community.Leadership = append(team(f), team(f)[2], team(f)[2], team(f)[2])
		}, want: fails(RuleLeadershipSize)},
		{name: "a team of six where the district allows seven", change: func(f *CommunityFacts) {
			f.Community.Leadership = append(team(f), team(f)[2], team(f)[2], team(f)[2])
		}, settings: func(s *Settings) { s.LeadershipMaxSize = 7 }, want: fails()},

		{name: "a man of fifty-six", change: func(f *CommunityFacts) { team(f)[0].BirthDate = NewDate(1970, time.November, 22) },
			want: fails(RuleLeadershipAge)},
		{name: "a man of fifty-five the day before he turns fifty-six", change: func(f *CommunityFacts) {
			team(f)[0].BirthDate = NewDate(1970, time.November, 23)
		}, want: fails()},
		{name: "a man of sixty kept on by exception", change: func(f *CommunityFacts) {
			team(f)[0].BirthDate, team(f)[0].AgeException = NewDate(1966, time.March, 1), true
		}, want: fails()},
		{name: "a woman of fifty-one", change: func(f *CommunityFacts) { team(f)[1].BirthDate = NewDate(1975, time.November, 22) },
			want: fails(RuleLeadershipAge)},
		{name: "a woman of fifty-one where the district allows fifty-five", change: func(f *CommunityFacts) {
			team(f)[1].BirthDate = NewDate(1975, time.November, 22)
		}, settings: func(s *Settings) { s.MaxAgeFemale = 55 }, want: fails()},

		{name: "a cadre with junior high school only", change: func(f *CommunityFacts) { team(f)[2].Education = EducationHigh - 1 },
			want: fails(RuleLeadershipEducation)},
		{name: "no cadre with college", change: func(f *CommunityFacts) { team(f)[0].Education = EducationHigh },
			want: fails(RuleLeadershipEducation)},
		{name: "no cadre with college where the district does not ask for one", change: func(f *CommunityFacts) {
			team(f)[0].Education = EducationHigh
		}, settings: func(s *Settings) { s.RequireCollegeCadre = false }, want: fails()},

		{name: "a secretary who does not chair the residents' committee", change: func(f *CommunityFacts) { team(f)[0].ConcurrentPosts = nil },
			want: fails(RuleSecretaryDirector)},
		{name: "no secretary", change: func(f *CommunityFacts) { team(f)[0].Role = "DEPUTY_SECRETARY" },
			want: fails(RuleSecretaryDirector)},
		{name: "a separate director where the district does not ask for one person", change: func(f *CommunityFacts) {
			team(f)[0].ConcurrentPosts = nil
		}, settings: func(s *Settings) { s.RequireSecretaryDirector = false }, want: outcome{Failing: map[Rule]int{}, NotChecked: []Rule{RuleSecretaryDirector}}},

		{name: "premises just under the area", change: func(f *CommunityFacts) { f.Community.Details.Premises.AreaM2 = 199.5 },
			want: fails(RulePremisesArea)},
		{name: "no premises at all", change: func(f *CommunityFacts) { f.Community.Details.Premises = nil },
			want: fails(RulePremisesArea, RulePremisesEquipment)},
		{name: "premises without a DVD player", change: func(f *CommunityFacts) {
			f.Community.Details.Premises.Equipment = slices.DeleteFunc(f.Community.Details.Premises.Equipment, func(e string) bool { return e == "dvd_player" })
		}, want: fails(RulePremisesEquipment)},
		{name: "premises without a DVD player where the district asks only for a phone", change: func(f *CommunityFacts) {
			f.Community.Details.Premises.Equipment = []string{"phone"}
		}, settings: func(s *Settings) { s.RequiredEquipment = []string{"phone"} }, want: fails()},
		{name: "bare premises where the district asks for no equipment", change: func(f *CommunityFacts) {
			f.Community.Details.Premises.Equipment = nil
		}, settings: func(s *Settings) { s.RequiredEquipment = nil }, want: outcome{Failing: map[Rule]int{}, NotChecked: []Rule{RulePremisesEquipment}}},

		{name: "two places with members and no organisation", change: func(f *CommunityFacts) {
			f.Gaps = []*CoveragePoint{
				{ID: "point-1", Kind: Estate, Name: "Jinhui Garden", MemberCount: 23},
				{ID: "point-2", Kind: SocialOrganisation, Name: "Xinhua Road Chamber of Commerce", MemberCount: 4},
			}
		}, want: outcome{Failing: map[Rule]int{RuleCoverageGap: 2}}},

		{name: "no concentrated activity in the last quarter", change: func(f *CommunityFacts) { f.ConcentratedActivities = 0 },
			want: fails(RuleQuarterlyActivity)},
		{name: "no concentrated activity, founded on the quarter's last day", change: func(f *CommunityFacts) {
			f.ConcentratedActivities, f.Community.Created = 0, time.Date(2026, 9, 30, 23, 0, 0, 0, time.UTC)
		}, want: fails(RuleQuarterlyActivity)},
		{name: "no concentrated activity, founded after the quarter", change: func(f *CommunityFacts) {
			f.ConcentratedActivities, f.Community.Created = 0, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
		}, want: fails()},
		{name: "no concentrated activity where the district does not ask for one", change: func(f *CommunityFacts) {
			f.ConcentratedActivities = 0
		}, settings: func(s *Settings) { s.QuarterlyActivityRequired = false }, want: outcome{Failing: map[Rule]int{}, NotChecked: []Rule{RuleQuarterlyActivity}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := passingFacts()
			if tt.change != nil {
				tt.change(&f)
			}
			st := DefaultSettings(districtID)
			if tt.settings != nil {
				tt.settings(st)
			}
			got := outcomeOf(evaluate([]CommunityFacts{f}, map[string]*Settings{districtID: st}, asOf))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvaluateFindings(t *testing.T) {
	t.Parallel()
	f := passingFacts()
	f.Community.Leadership[0].BirthDate = NewDate(1960, time.January, 1)
	f.Gaps = []*CoveragePoint{{ID: "point-1", Kind: SocialOrganisation, Name: "Xinhua Road Chamber of Commerce", MemberCount: 4}}
	f.UnitGaps = []*UnitCoverage{{UnitID: "unit-1", UnitName: "Tongjiang Hotel", CommunityID: "community-1", PartyMembers: 7, Gap: true,
		Opened: time.Date(2026, time.March, 2, 9, 0, 0, 0, time.UTC)}}
	r := evaluate([]CommunityFacts{f}, nil, asOf)
	var got []Finding
	for _, res := range r.Results {
		got = append(got, res.Findings...)
	}
	want := []Finding{
		{OrganisationID: "community-1", OrganisationName: "Xinhua Road Community", Reason: "over the age limit without an exception: Ma Jianguo is 66 (limit 55)"},
		{OrganisationID: "community-1", OrganisationName: "Xinhua Road Community", SubjectID: "point-1", SubjectKind: SubjectCoveragePoint,
			Reason: `social organisation "Xinhua Road Chamber of Commerce" has 4 members but no party organisation`},
		{OrganisationID: "community-1", OrganisationName: "Xinhua Road Community", SubjectID: "unit-1", SubjectKind: SubjectResidentUnit,
			Reason: `resident unit "Tongjiang Hotel" has 7 party members but no party organisation (since 2026-03-02)`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings under the default settings (-want +got):\n%s", diff)
	}
	if r.AsOf != asOf {
		t.Errorf("report as of %s, want %s", r.AsOf, asOf)
	}
}

func TestEvaluateUsesEachDistrictsSettings(t *testing.T) {
	t.Parallel()
	inDistrict := func(id, district string) CommunityFacts {
		f := passingFacts()
		f.Community.ID, f.Community.DistrictID = id, district
		f.Community.Details.CommunityForm = FormBranch
		f.Members = 80
		return f
	}
	lenient := DefaultSettings("district-lenient")
	lenient.GeneralBranchMemberThreshold = 100
	facts := []CommunityFacts{inDistrict("community-strict", "district-strict"), inDistrict("community-lenient", "district-lenient")}
	r := evaluate(facts, map[string]*Settings{"district-lenient": lenient}, asOf)
	for _, res := range r.Results {
		if res.Rule != RuleGeneralBranchOver {
			continue
		}
		var got []string
		for _, f := range res.Findings {
			got = append(got, f.OrganisationID)
		}
		if diff := cmp.Diff([]string{"community-strict"}, got); diff != "" || res.Checked != 2 {
			t.Errorf("general branch rule: %d checked, failing (-want +got):\n%s", res.Checked, diff)
		}
	}
}

func TestEvaluateListsAtMostAThousandFindings(t *testing.T) {
	t.Parallel()
	facts := make([]CommunityFacts, maxFindingsListed+5)
	for i := range facts {
		facts[i] = passingFacts()
		facts[i].Community.ID = fmt.Sprintf("community-%d", i)
		facts[i].BranchDescendants = 0
	}
	for _, res := range evaluate(facts, nil, asOf).Results {
		if res.Rule != RuleCommunityHasBranch {
			continue
		}
		if res.Count != maxFindingsListed+5 || len(res.Findings) != maxFindingsListed || res.Checked != maxFindingsListed+5 {
			t.Errorf("%d checked, %d findings counted, %d listed; want %d, %d, %d",
				res.Checked, res.Count, len(res.Findings), maxFindingsListed+5, maxFindingsListed+5, maxFindingsListed)
		}
	}
}
