package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/reporting"
)

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
		Hours: e.Hours, PostId: e.PostID, RecordedBy: e.RecordedBy, CreateTime: ts(e.Created),
		SourceActivityId: e.SourceActivityID}
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
