package reporting

import "gongjian.dev/services/member/internal/member"

// CommunityRegistered is published when an in-service member registers
// with a community; its events are ordered with the community's.
type CommunityRegistered struct{ Registration *Registration }

// RegistrationEnded is published when a registration ends.
type RegistrationEnded struct{ Registration *Registration }

// PostClaimed is published when a member claims a post.
type PostClaimed struct{ Claim *Claim }

// PostReleased is published when a claim ends, by ReleasePost or with
// its registration.
type PostReleased struct{ Claim *Claim }

// FeedbackSent is published when a community rates a member: the rating
// and the year's card go to the organisation where the member's
// relationship sits, and are ordered with its events.
type FeedbackSent struct {
	Rating *CommunityRating
	Card   *ContactCard
}

// StarRatingSet is published when a member is given a star rating; Current
// is the member's star rating after it.
type StarRatingSet struct {
	Rating  *StarRating
	Current int32
}

// StarsChanged is published, as a MemberUpdated naming star_rating, when a
// star rating changes the member's current one. StarRatingSet, published
// with it, carries the audit record of the change.
type StarsChanged struct{ Member *member.Member }

// AppraisalRecorded is published when an appraisal result is recorded.
type AppraisalRecorded struct{ Appraisal *Appraisal }

func (e CommunityRegistered) AggregateID() string { return e.Registration.CommunityID }
func (e RegistrationEnded) AggregateID() string   { return e.Registration.CommunityID }
func (e PostClaimed) AggregateID() string         { return e.Claim.CommunityID }
func (e PostReleased) AggregateID() string        { return e.Claim.CommunityID }
func (e FeedbackSent) AggregateID() string        { return e.Rating.OrganisationID }
func (e StarRatingSet) AggregateID() string       { return e.Rating.OrganisationID }
func (e StarsChanged) AggregateID() string        { return e.Member.OrganisationID }
func (e AppraisalRecorded) AggregateID() string   { return e.Appraisal.OrganisationID }

// PostCreated records that a community published a post; it is recorded,
// not published.
type PostCreated struct{ Post *Post }

// CardEntryAdded records an entry of a member's card; it is recorded, not
// published (the card goes to the employer with the community's rating).
type CardEntryAdded struct{ Entry *CardEntry }

// SettingsSet records that a district set its minimums, before and after;
// it is recorded, not published.
type SettingsSet struct{ Before, After Settings }

func (e PostCreated) AggregateID() string    { return e.Post.CommunityID }
func (e CardEntryAdded) AggregateID() string { return e.Entry.CommunityID }
func (e SettingsSet) AggregateID() string    { return e.After.DistrictID }
