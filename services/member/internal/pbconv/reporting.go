package pbconv

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/reporting"
)

// The subjects of the events of in-service members' reporting, appraisals
// and star ratings.
const (
	SubjectInServiceRegistered        = "gongjian.member.v1.in_service_registered"
	SubjectInServiceRegistrationEnded = "gongjian.member.v1.in_service_registration_ended"
	SubjectServicePostClaimed         = "gongjian.member.v1.service_post_claimed"
	SubjectServicePostReleased        = "gongjian.member.v1.service_post_released"
	SubjectInServiceFeedbackSent      = "gongjian.member.v1.in_service_feedback_sent"
	SubjectStarRatingSet              = "gongjian.member.v1.star_rating_set"
	SubjectAppraisalRecorded          = "gongjian.member.v1.appraisal_recorded"
)

// reportingEvent returns the subject and message of a reporting event.
func reportingEvent(e reporting.Event, id string, at time.Time) (string, proto.Message, error) {
	occur := ts(at)
	switch e := e.(type) {
	case reporting.CommunityRegistered:
		return SubjectInServiceRegistered, &pb.InServiceRegistered{EventId: id, OccurTime: occur,
			Registration: Registration(e.Registration)}, nil
	case reporting.RegistrationEnded:
		return SubjectInServiceRegistrationEnded, &pb.InServiceRegistrationEnded{EventId: id, OccurTime: occur,
			Registration: Registration(e.Registration)}, nil
	case reporting.PostClaimed:
		return SubjectServicePostClaimed, &pb.ServicePostClaimed{EventId: id, OccurTime: occur, Claim: Claim(e.Claim)}, nil
	case reporting.PostReleased:
		return SubjectServicePostReleased, &pb.ServicePostReleased{EventId: id, OccurTime: occur, Claim: Claim(e.Claim)}, nil
	case reporting.FeedbackSent:
		return SubjectInServiceFeedbackSent, &pb.InServiceFeedbackSent{EventId: id, OccurTime: occur,
			OrganisationId: e.Rating.OrganisationID, Rating: Rating(e.Rating), Totals: CardTotals(e.Card.Totals),
			QuartersMeetingContacts: e.Card.QuartersMeetingContacts(), MeetsActivities: e.Card.MeetsActivities,
			Settings: ReportingSettings(e.Card.Settings)}, nil
	case reporting.StarRatingSet:
		return SubjectStarRatingSet, &pb.StarRatingSet{EventId: id, OccurTime: occur, Rating: StarRating(e.Rating),
			CurrentStars: e.Current}, nil
	case reporting.StarsChanged:
		return SubjectUpdated, &pb.MemberUpdated{EventId: id, OccurTime: occur, Member: Member(e.Member, IDOmitted),
			Changed: &fieldmaskpb.FieldMask{Paths: []string{"star_rating"}}}, nil
	case reporting.AppraisalRecorded:
		return SubjectAppraisalRecorded, &pb.AppraisalRecorded{EventId: id, OccurTime: occur,
			Appraisal: Appraisal(e.Appraisal)}, nil
	}
	return "", nil, fmt.Errorf("pbconv: no message for %T", e)
}

// Registration is the API message of a registration.
func Registration(r *reporting.Registration) *pb.Registration {
	return &pb.Registration{Id: r.ID, MemberId: r.MemberID, CommunityId: r.CommunityID,
		Kind: pb.RegistrationKind(pb.RegistrationKind_value["REGISTRATION_KIND_"+r.Kind]), MemberOrganisationId: r.MemberOrgID,
		ReportDate: date(r.ReportDate), EndDate: date(r.EndDate), EndReason: r.EndReason,
		CreateTime: ts(r.Created), UpdateTime: ts(r.Updated)}
}

// Post is the API message of a post.
func Post(p *reporting.Post) *pb.ServicePost {
	return &pb.ServicePost{Id: p.ID, CommunityId: p.CommunityID, Name: p.Name,
		Kind: pb.PostKind(pb.PostKind_value["POST_KIND_"+p.Kind]), Description: p.Description,
		Capacity: p.Capacity, Claimed: p.Claimed, CreateTime: ts(p.Created)}
}

// Claim is the API message of a claim.
func Claim(c *reporting.Claim) *pb.PostClaim {
	return &pb.PostClaim{Id: c.ID, PostId: c.PostID, PostName: c.PostName, CommunityId: c.CommunityID,
		MemberId: c.MemberID, ClaimTime: ts(c.Claimed), ReleaseTime: ts(c.Released)}
}

// CardEntry is the API message of a card entry.
func CardEntry(e *reporting.CardEntry) *pb.CardEntry {
	return &pb.CardEntry{Id: e.ID, MemberId: e.MemberID, CommunityId: e.CommunityID,
		Kind: pb.CardEntryKind(pb.CardEntryKind_value["CARD_ENTRY_KIND_"+e.Kind]), Date: date(e.Date), Title: e.Title,
		Hours: e.Hours, PostId: e.PostID, RecordedBy: e.RecordedBy, CreateTime: ts(e.Created)}
}

// CardTotals is the API message of a card's totals.
func CardTotals(t reporting.CardTotals) *pb.CardTotals {
	return &pb.CardTotals{Contacts: t.Contacts, Activities: t.Activities, Hours: t.Hours}
}

// ReportingSettings is the API message of a district's minimums.
func ReportingSettings(s reporting.Settings) *pb.ReportingSettings {
	return &pb.ReportingSettings{DistrictId: s.DistrictID, MinContactsPerQuarter: s.MinContactsPerQuarter,
		MinActivitiesPerYear: s.MinActivitiesPerYear, Inherited: s.Inherited}
}

// Grade is the API value of a grade.
func Grade(g string) pb.PerformanceGrade {
	return pb.PerformanceGrade(pb.PerformanceGrade_value["PERFORMANCE_GRADE_"+g])
}

// Rating is the API message of a community's rating.
func Rating(r *reporting.CommunityRating) *pb.CommunityRating {
	return &pb.CommunityRating{Id: r.ID, MemberId: r.MemberID, CommunityId: r.CommunityID, Year: r.Year,
		Grade: Grade(r.Grade), Comment: r.Comment, Version: r.Version, RatedBy: r.RatedBy, CreateTime: ts(r.Created),
		OrganisationId: r.OrganisationID}
}

// ContactCard is the API message of a card.
func ContactCard(c *reporting.ContactCard) *pb.ContactCard {
	out := &pb.ContactCard{MemberId: c.MemberID, Year: c.Year, Totals: CardTotals(c.Totals),
		MeetsActivities: c.MeetsActivities, Settings: ReportingSettings(c.Settings)}
	for i := range c.Entries {
		out.Entries = append(out.Entries, CardEntry(&c.Entries[i]))
	}
	for _, q := range c.Quarters {
		out.Quarters = append(out.Quarters, &pb.CardQuarter{Quarter: q.Quarter, Totals: CardTotals(q.Totals),
			MeetsContacts: q.MeetsContacts, Closed: q.Closed})
	}
	for _, cl := range c.Claims {
		out.Claims = append(out.Claims, Claim(cl))
	}
	for _, r := range c.Ratings {
		out.Ratings = append(out.Ratings, Rating(r))
	}
	return out
}

// Appraisal is the API message of an appraisal result.
func Appraisal(a *reporting.Appraisal) *pb.Appraisal {
	return &pb.Appraisal{Id: a.ID, MemberId: a.MemberID, OrganisationId: a.OrganisationID, Year: a.Year,
		Grade: Grade(a.Grade), Comment: a.Comment, Version: a.Version, RecordedBy: a.RecordedBy, CreateTime: ts(a.Created)}
}

// StarRating is the API message of a star rating.
func StarRating(r *reporting.StarRating) *pb.StarRating {
	return &pb.StarRating{Id: r.ID, MemberId: r.MemberID, OrganisationId: r.OrganisationID, Year: r.Year,
		Stars: r.Stars, Reason: r.Reason, RatedBy: r.RatedBy, CreateTime: ts(r.Created)}
}
