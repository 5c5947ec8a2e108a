package assess

import (
	"slices"
	"testing"
)

func TestRanksArePerParentAndKindAndTiesShareARank(t *testing.T) {
	t.Parallel()
	rs := []*Result{
		{Name: "a", ParentID: "s1", Kind: "COMMUNITY", Score: 80},
		{Name: "b", ParentID: "s1", Kind: "COMMUNITY", Score: 95},
		{Name: "c", ParentID: "s1", Kind: "COMMUNITY", Score: 80},
		{Name: "d", ParentID: "s1", Kind: "COMMUNITY", Score: 70},
		{Name: "e", ParentID: "s2", Kind: "COMMUNITY", Score: 10},
		{Name: "f", ParentID: "s2", Kind: "COMMUNITY", Score: 20},
		{Name: "g", ParentID: "s1", Kind: "BRANCH", Score: 50},
	}
	rank(rs)
	type row struct {
		Name      string
		Rank      int32
		Peers     int32
		BottomTwo bool
	}
	var got []row
	for _, r := range rs {
		got = append(got, row{r.Name, r.Rank, r.Peers, r.BottomTwo})
	}
	want := []row{
		{"g", 1, 1, false},
		// 95, 80, 80, 70: the tie shares the second rank; the last two
		// ranks (3 and 4 of 4) are the bottom two, so a tie at rank 2 is not.
		{"b", 1, 4, false}, {"a", 2, 4, false}, {"c", 2, 4, false}, {"d", 4, 4, true},
		// Two peers have no bottom two.
		{"f", 1, 2, false}, {"e", 2, 2, false},
	}
	if !slices.Equal(want, got) {
		t.Errorf("ranks %v, want %v", got, want)
	}
}

func TestPeriodsAreYearsOrQuarters(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"2026": "2026-01-01..2026-12-31", "2026-Q2": "2026-04-01..2026-06-30", "2026-Q4": "2026-10-01..2026-12-31"} {
		p, err := ParsePeriod(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := p.First().Format("2006-01-02") + ".." + p.Last().Format("2006-01-02"); got != want || p.String() != in {
			t.Errorf("%s: %s (%s), want %s", in, got, p, want)
		}
	}
	for _, bad := range []string{"", "26", "2026-Q5", "2026-Q0", "2026Q1", "1999", "2026-q1"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q was taken", bad)
		}
	}
}

func TestGradesFollowTheBands(t *testing.T) {
	t.Parallel()
	st := DefaultSettings("d")
	for score, want := range map[float64]string{100: "优秀", 90: "优秀", 89.99: "良好", 80: "良好", 60: "合格", 59.5: "不合格", 0: "不合格"} {
		if got := st.Grade(score); got != want {
			t.Errorf("%g: %s, want %s", score, got, want)
		}
	}
	if err := (&Settings{Bands: []Band{{"A", 50}, {"B", 60}, {"C", 0}}}).check(); err == nil {
		t.Error("bands going up were taken")
	}
	if err := (&Settings{Bands: []Band{{"A", 50}}}).check(); err == nil {
		t.Error("a last band above 0 was taken")
	}
}
