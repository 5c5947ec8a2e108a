package cobuild

import "context"

// Settings are a district's co-building settings: where the documents
// disagree or leave a day open, the district decides.
type Settings struct {
	DistrictID string
	// ReportDueDay is the day of the next month by which a unit's monthly
	// report is due (1–28).
	ReportDueDay int
	// CommunityMeetingMonths is the period in which a community must hold
	// a joint meeting with its units (document 002: every half year).
	CommunityMeetingMonths int
	// CountyMeetingMonths is the period of the county's coordination
	// committee (documents 000 and 001: every quarter).
	CountyMeetingMonths int
	// Inherited is true when the district set none and the defaults apply.
	Inherited bool
}

// DefaultSettings apply to a district that set none.
var DefaultSettings = Settings{ReportDueDay: 10, CommunityMeetingMonths: 6, CountyMeetingMonths: 3, Inherited: true}

// MeetingPeriods are the periods a meeting obligation may have, in months:
// the divisors of a year, so that periods align with it.
var MeetingPeriods = []int{1, 2, 3, 4, 6, 12}

// SettingsReader reads a district's settings, the defaults when it set none.
type SettingsReader interface {
	Settings(ctx context.Context, districtID string) (Settings, error)
}
