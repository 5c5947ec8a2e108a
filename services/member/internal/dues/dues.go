// Package dues holds party dues (党费, DOMAIN §5): each member's monthly
// dues from their declared monthly income and employment status, by the
// bands of their district's settings. Money is integer fen throughout;
// the rate of the band an income falls in applies to the whole income, as
// the published tables do (4,000 yuan in service → 1% → 40 yuan), and the
// result is rounded half up to the fen.
package dues

import (
	"strconv"
	"time"

	"gongjian.dev/pkg/errs"
)

// Employment statuses as the member record keeps them.
const (
	Employed     = "EMPLOYED"
	SelfEmployed = "SELF_EMPLOYED"
	Retired      = "RETIRED"
	LaidOff      = "LAID_OFF"
	Unemployed   = "UNEMPLOYED"
	Student      = "STUDENT"
	Other        = "OTHER"
)

// Kinds of the band a quote applied.
const (
	KindInService = "IN_SERVICE"
	KindRetired   = "RETIRED"
	KindFixed     = "FIXED"
)

// Band is one income band: incomes up to UpToFen (inclusive) pay RateBP
// basis points (1/100 of a percent) of the whole income. The last band of
// a table has UpToFen 0: no upper limit.
type Band struct {
	UpToFen int64
	RateBP  int64
}

// Settings are a district's dues bands.
type Settings struct {
	// InService are the bands of members in work (在职), ascending.
	InService []Band
	// Retired are the bands of retired members, ascending.
	Retired []Band
	// FixedFen is the monthly amount of students, the unemployed, the
	// laid-off and those on minimum living allowance (低保).
	FixedFen int64
	// LostContactAttendanceMonths and LostContactDuesMonths are the
	// windows of lost contact (失联): no organisation life attended, and
	// no dues paid, for that many months.
	LostContactAttendanceMonths int32
	LostContactDuesMonths       int32

	DistrictID string
	// Inherited: the district set none and these are the defaults.
	Inherited bool
	// Version counts the times the district set them; 0 while inherited.
	Version   int64
	Updated   time.Time
	UpdatedBy string
}

// DefaultSettings apply to a district that has set none (DOMAIN §5).
var DefaultSettings = Settings{
	InService: []Band{{UpToFen: 300000, RateBP: 50}, {UpToFen: 500000, RateBP: 100},
		{UpToFen: 1000000, RateBP: 150}, {RateBP: 200}},
	Retired:   []Band{{UpToFen: 500000, RateBP: 50}, {RateBP: 100}},
	FixedFen:  20,
	Inherited: true,

	LostContactAttendanceMonths: DefaultLostContactMonths,
	LostContactDuesMonths:       DefaultLostContactMonths,
}

// DefaultLostContactMonths is each lost-contact window a district that set
// none has (DOMAIN §5: six months).
const DefaultLostContactMonths = 6

// Defaults returns a copy of the default settings for a district.
func Defaults(districtID string) Settings {
	d := DefaultSettings
	d.InService = append([]Band(nil), d.InService...)
	d.Retired = append([]Band(nil), d.Retired...)
	d.DistrictID = districtID
	return d
}

// Etag is the version as the API shows it: "0" while inherited.
func (s Settings) Etag() string { return strconv.FormatInt(s.Version, 10) }

// Income is what a quote is asked for.
type Income struct {
	MonthlyIncomeFen int64
	EmploymentStatus string
	// MinimumLivingAllowance: the member lives on minimum living
	// allowance (低保) and pays the fixed amount whatever the status.
	MinimumLivingAllowance bool
}

// Quote is a member's monthly dues and the band that gave them.
type Quote struct {
	MonthlyDuesFen int64
	Kind           string
	// Band is the band applied (zero for the fixed amount), and Index its
	// place in its table from 0.
	Band  Band
	Index int
}

// ErrInvalid refuses an income or settings that break a rule.
var ErrInvalid = errs.New(errs.InvalidArgument, "invalid dues request")

// ErrSettingsEtag refuses an update of settings someone else changed
// since the caller read them.
var ErrSettingsEtag = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH",
	"the dues settings were changed by someone else; read them again")

// maxIncomeFen bounds a declared monthly income (ten million yuan), so
// that income × rate never overflows.
const maxIncomeFen = 1_000_000_000

// Compute is a member's monthly dues by the settings s.
func (s Settings) Compute(in Income) (Quote, error) {
	if in.MonthlyIncomeFen < 0 || in.MonthlyIncomeFen > maxIncomeFen {
		return Quote{}, errs.Field(ErrInvalid, "monthly_income_fen", "0 to 1,000,000,000 fen (ten million yuan)")
	}
	var table []Band
	var kind string
	switch {
	case in.MinimumLivingAllowance:
		return Quote{MonthlyDuesFen: s.FixedFen, Kind: KindFixed}, nil
	case in.EmploymentStatus == Employed || in.EmploymentStatus == SelfEmployed:
		table, kind = s.InService, KindInService
	case in.EmploymentStatus == Retired:
		table, kind = s.Retired, KindRetired
	case in.EmploymentStatus == Student || in.EmploymentStatus == Unemployed || in.EmploymentStatus == LaidOff:
		return Quote{MonthlyDuesFen: s.FixedFen, Kind: KindFixed}, nil
	default:
		return Quote{}, errs.Field(ErrInvalid, "employment_status",
			"employed, self-employed, retired, laid off, unemployed or student: the bands need to know which")
	}
	i := bandOf(table, in.MonthlyIncomeFen)
	b := table[i]
	return Quote{MonthlyDuesFen: (in.MonthlyIncomeFen*b.RateBP + 5000) / 10000, Kind: kind, Band: b, Index: i}, nil
}

// bandOf is the index of the band of table an income falls in: the first
// whose upper limit it does not exceed, else the open last one.
func bandOf(table []Band, fen int64) int {
	for i, b := range table {
		if b.UpToFen == 0 || fen <= b.UpToFen {
			return i
		}
	}
	return len(table) - 1
}

// validate checks settings a district sets: each table ascending, its
// last band open, rates 0 to 100%; the fixed amount 0 to 100 yuan.
func (s Settings) validate() error {
	v := errs.NewValidation(ErrInvalid)
	for _, t := range []struct {
		field string
		bands []Band
	}{{"settings.in_service", s.InService}, {"settings.retired", s.Retired}} {
		if len(t.bands) == 0 || len(t.bands) > 20 {
			v.Add(t.field, "%s", "1 to 20 bands")
			continue
		}
		var prev int64
		for i, b := range t.bands {
			f := t.field + "[" + strconv.Itoa(i) + "]"
			last := i == len(t.bands)-1
			switch {
			case last && b.UpToFen != 0:
				v.Add(f+".up_to_fen", "%s", "the last band has no upper limit (0)")
			case !last && b.UpToFen <= prev:
				v.Add(f+".up_to_fen", "%s", "above 0 and above the band before")
			}
			if !last {
				prev = b.UpToFen
			}
			if b.RateBP < 0 || b.RateBP > 10000 {
				v.Add(f+".rate_basis_points", "%s", "0 to 10,000 (100%)")
			}
		}
	}
	if s.FixedFen < 0 || s.FixedFen > 10000 {
		v.Add("settings.fixed_fen", "%s", "0 to 10,000 fen (100 yuan)")
	}
	if s.LostContactAttendanceMonths < 0 || s.LostContactAttendanceMonths > 36 {
		v.Add("settings.lost_contact_attendance_months", "%s", "1 to 36 months (0: the default, 6)")
	}
	if s.LostContactDuesMonths < 0 || s.LostContactDuesMonths > 36 {
		v.Add("settings.lost_contact_dues_months", "%s", "1 to 36 months (0: the default, 6)")
	}
	return v.Err()
}
