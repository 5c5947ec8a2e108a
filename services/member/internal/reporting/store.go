package reporting

import (
	"context"
	"time"

	"gongjian.dev/services/member/internal/member"
)

// Tx is what the reporting, appraisal and star rating commands
// need inside a transaction.
type Tx interface {
	member.Tx

	// CommunityAbove is the nearest community on an organisation's path
	// (the organisation itself excluded), if any.
	CommunityAbove(ctx context.Context, path string) (*member.Org, bool, error)

	GetRegistration(ctx context.Context, id string) (*Registration, error)
	// LiveRegistration is the member's live registration of a kind, locked.
	LiveRegistration(ctx context.Context, memberID, kind string) (*Registration, bool, error)
	// LeaversWithLiveRegistrations are up to limit members who left and
	// still have a live registration, in id order, after the id after
	// ("" for the first).
	LeaversWithLiveRegistrations(ctx context.Context, after string, limit int) ([]string, error)
	// RegistrationOn is a registration of the member with the community
	// that covered day (live ones only when liveOnly), the residence one
	// first.
	RegistrationOn(ctx context.Context, memberID, communityID string, day time.Time, liveOnly bool) (*Registration, bool, error)
	// RegisteredInYear reports whether the member had a registration with
	// the community (any when ""), of the kind (any when ""), live on some
	// day of the year.
	RegisteredInYear(ctx context.Context, memberID, communityID, kind string, year int32) (bool, error)
	InsertRegistration(ctx context.Context, r *Registration) error
	// EndRegistration writes the end of r.
	EndRegistration(ctx context.Context, r *Registration) error

	// InsertPost writes a new post and its audit record.
	InsertPost(ctx context.Context, p *Post) error
	// LockPost reads a post and locks it: claims of one post queue on it.
	LockPost(ctx context.Context, id string) (*Post, error)
	GetClaim(ctx context.Context, id string) (*Claim, error)
	LiveClaim(ctx context.Context, postID, memberID string) (*Claim, bool, error)
	// LiveClaimsUnder are the live claims made under a registration.
	LiveClaimsUnder(ctx context.Context, registrationID string) ([]*Claim, error)
	// InsertClaim writes a claim and counts it on its post; ReleaseClaim
	// writes its release and uncounts it.
	InsertClaim(ctx context.Context, c *Claim) error
	ReleaseClaim(ctx context.Context, c *Claim) error

	// InsertCardEntry writes an entry and its audit record.
	InsertCardEntry(ctx context.Context, e *CardEntry) error
	GetCardEntry(ctx context.Context, id string) (*CardEntry, error)
	// CardEntries are the member's entries of a year, in date order.
	CardEntries(ctx context.Context, memberID string, year int32) ([]CardEntry, error)
	// UncountedAttendees are those of memberIDs not yet recorded as
	// attendances of the activity, in their order; it locks the activity's
	// attendances against a concurrent count of the same activity.
	UncountedAttendees(ctx context.Context, activityID string, memberIDs []string) ([]string, error)
	// AttendeesOn reads each of memberIDs as of day: whether the member
	// exists and left, and the registration covering day, one with a
	// community of prefer first, then the residence one. In the order of
	// memberIDs.
	AttendeesOn(ctx context.Context, memberIDs []string, day time.Time, prefer []string) ([]Attendee, error)
	// InsertActivityEntries writes the card entries counted from an
	// activity and the attendances recorded; the audit records come from
	// Emit.
	InsertActivityEntries(ctx context.Context, entries []*CardEntry, attendances []Attendance) error

	// Settings are a district's minimums, or the defaults.
	ReportingSettings(ctx context.Context, districtID string) (Settings, error)
	// SaveReportingSettings writes a district's minimums and the audit record.
	SaveReportingSettings(ctx context.Context, s Settings, by string, at time.Time) error

	GetRating(ctx context.Context, id string) (*CommunityRating, error)
	// LastRatingVersion is the highest version of the community's ratings
	// of the member for the year, 0 when none.
	LastRatingVersion(ctx context.Context, memberID, communityID string, year int32) (int32, error)
	InsertRating(ctx context.Context, r *CommunityRating) error

	// Reported says whether the member reported in the year (see ErrNotReported).
	Reported(ctx context.Context, memberID string, year int32) (bool, error)
	GetAppraisal(ctx context.Context, id string) (*Appraisal, error)
	CurrentAppraisal(ctx context.Context, memberID string, year int32) (*Appraisal, bool, error)
	InsertAppraisal(ctx context.Context, a *Appraisal) error

	GetStarRating(ctx context.Context, id string) (*StarRating, error)
	InsertStarRating(ctx context.Context, r *StarRating) error
	// CurrentStars is the latest star rating of the latest year rated, 0
	// when none.
	CurrentStars(ctx context.Context, memberID string) (int32, error)
	// SaveStars writes m's star rating and version, advanced by one, and
	// nothing else of the member.
	SaveStars(ctx context.Context, m *member.Member) error
}

// Store is what the reporting commands and reads need: their
// transactions, and the reads outside one.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*member.Member, error)
	ListRegistrations(ctx context.Context, f RegistrationFilter) ([]*Registration, string, error)
	ListPosts(ctx context.Context, f PostFilter) ([]*Post, string, error)
	// CardOf reads what a member's card of a year is made of, with the
	// settings of the member's district.
	CardOf(ctx context.Context, memberID, districtID string, year int32) (CardData, error)
	// Appraisals lists a member's results of a year (every year when 0),
	// newest year and version first.
	Appraisals(ctx context.Context, memberID string, year int32) ([]*Appraisal, error)
	// StarRatings lists a member's star ratings, newest first.
	StarRatings(ctx context.Context, memberID string) ([]*StarRating, error)
	// Attendances lists an activity's attendances by member id.
	Attendances(ctx context.Context, activityID string) ([]Attendance, error)
}
