package dues

import (
	"errors"
	"testing"

	"gongjian.dev/pkg/errs"
)

// yuan is an amount in fen from yuan and fen, so that the table below
// reads as the published one does.
func yuan(y, f int64) int64 { return y*100 + f }

// TestComputeAgainstThePublishedTable checks the default bands at each
// boundary, both sides of it, against the published table: the rate of the
// band applies to the whole income, rounded half up to the fen.
func TestComputeAgainstThePublishedTable(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     Income
		want   int64
		kind   string
		band   int
		rateBP int64
	}{
		{"in service 3,000.00 is 0.5%", Income{yuan(3000, 0), Employed, false}, yuan(15, 0), KindInService, 0, 50},
		{"in service 3,000.01 is 1%", Income{yuan(3000, 1), Employed, false}, yuan(30, 0), KindInService, 1, 100},
		{"in service 4,000 is 1% of the whole", Income{yuan(4000, 0), Employed, false}, yuan(40, 0), KindInService, 1, 100},
		{"in service 5,000.00 is 1%", Income{yuan(5000, 0), Employed, false}, yuan(50, 0), KindInService, 1, 100},
		{"in service 5,000.01 is 1.5%", Income{yuan(5000, 1), Employed, false}, yuan(75, 0), KindInService, 2, 150},
		{"in service 10,000.00 is 1.5%", Income{yuan(10000, 0), Employed, false}, yuan(150, 0), KindInService, 2, 150},
		{"in service 10,000.01 is 2%", Income{yuan(10000, 1), Employed, false}, yuan(200, 0), KindInService, 3, 200},
		{"in service 20,000 is 2%", Income{yuan(20000, 0), Employed, false}, yuan(400, 0), KindInService, 3, 200},
		{"self-employed pay as in service", Income{yuan(4000, 0), SelfEmployed, false}, yuan(40, 0), KindInService, 1, 100},
		{"in service no income pays nothing", Income{0, Employed, false}, 0, KindInService, 0, 50},
		{"half a fen rounds up", Income{100, Employed, false}, 1, KindInService, 0, 50},
		{"under half a fen rounds down", Income{99, Employed, false}, 0, KindInService, 0, 50},
		{"in service 2,999.99 is 15.00 (14.99995 rounded)", Income{yuan(2999, 99), Employed, false}, yuan(15, 0), KindInService, 0, 50},
		{"retired 5,000.00 is 0.5%", Income{yuan(5000, 0), Retired, false}, yuan(25, 0), KindRetired, 0, 50},
		{"retired 5,000.01 is 1%", Income{yuan(5000, 1), Retired, false}, yuan(50, 0), KindRetired, 1, 100},
		{"retired 3,000 is 0.5%", Income{yuan(3000, 0), Retired, false}, yuan(15, 0), KindRetired, 0, 50},
		{"student pays the fixed 0.20", Income{yuan(800, 0), Student, false}, 20, KindFixed, 0, 0},
		{"unemployed pays the fixed 0.20", Income{0, Unemployed, false}, 20, KindFixed, 0, 0},
		{"laid off pays the fixed 0.20", Income{yuan(1200, 0), LaidOff, false}, 20, KindFixed, 0, 0},
		{"minimum living allowance pays the fixed 0.20 whatever the status", Income{yuan(9000, 0), Employed, true}, 20, KindFixed, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, err := Defaults("").Compute(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if q.MonthlyDuesFen != c.want || q.Kind != c.kind || q.Index != c.band || q.Band.RateBP != c.rateBP {
				t.Fatalf("quote %+v, want %d fen, %s band %d at %d bp", q, c.want, c.kind, c.band, c.rateBP)
			}
		})
	}
}

// TestComputeRefuses names the field of what it cannot quote.
func TestComputeRefuses(t *testing.T) {
	for _, c := range []struct {
		in    Income
		field string
	}{
		{Income{-1, Employed, false}, "monthly_income_fen"},
		{Income{maxIncomeFen + 1, Employed, false}, "monthly_income_fen"},
		{Income{yuan(4000, 0), Other, false}, "employment_status"},
		{Income{yuan(4000, 0), "", false}, "employment_status"},
	} {
		_, err := Defaults("").Compute(c.in)
		assertField(t, err, c.field)
	}
}

// TestSettingsChangeTheQuote quotes by a district's own bands.
func TestSettingsChangeTheQuote(t *testing.T) {
	s := Defaults("d")
	s.InService = []Band{{UpToFen: yuan(5000, 0), RateBP: 50}, {RateBP: 100}}
	s.FixedFen = 50
	if err := s.validate(); err != nil {
		t.Fatal(err)
	}
	q, _ := s.Compute(Income{yuan(4000, 0), Employed, false})
	if q.MonthlyDuesFen != yuan(20, 0) {
		t.Fatalf("4,000 yuan under the district's bands: %d fen, want 2,000", q.MonthlyDuesFen)
	}
	if q, _ := s.Compute(Income{0, Student, false}); q.MonthlyDuesFen != 50 {
		t.Fatalf("fixed: %d fen, want 50", q.MonthlyDuesFen)
	}
	if len(DefaultSettings.InService) != 4 || DefaultSettings.InService[0].RateBP != 50 {
		t.Fatal("changing a district's settings changed the defaults")
	}
}

// TestValidateSettings refuses tables that are not ascending, have no
// open last band, or rates beyond 100%.
func TestValidateSettings(t *testing.T) {
	for _, c := range []struct {
		mod   func(*Settings)
		field string
	}{
		{func(s *Settings) { s.InService = nil }, "settings.in_service"},
		{func(s *Settings) { s.InService[3].UpToFen = 2000000 }, "settings.in_service[3].up_to_fen"},
		{func(s *Settings) { s.InService[1].UpToFen = 300000 }, "settings.in_service[1].up_to_fen"},
		{func(s *Settings) { s.Retired[0].UpToFen = 0 }, "settings.retired[0].up_to_fen"},
		{func(s *Settings) { s.Retired[1].RateBP = 10001 }, "settings.retired[1].rate_basis_points"},
		{func(s *Settings) { s.FixedFen = -1 }, "settings.fixed_fen"},
	} {
		s := Defaults("d")
		c.mod(&s)
		assertField(t, s.validate(), c.field)
	}
	if err := Defaults("d").validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
}

func assertField(t *testing.T, err error, field string) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("want invalid naming %s, got %v", field, err)
	}
	e, _ := errs.As(err)
	for _, v := range e.Violations {
		if v.Field == field {
			return
		}
	}
	t.Fatalf("%v names %+v, not %s", err, e.Violations, field)
}
