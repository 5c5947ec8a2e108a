package store

import (
	"context"
	"fmt"

	"gongjian.dev/pkg/audit"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/reporting"
)

// auditReporting writes the audit record of a reporting event's change.
// StarsChanged has none: the StarRatingSet of its transaction records the
// rating and the member's star rating after it.
func (t *txStore) auditReporting(ctx context.Context, e reporting.Event) error {
	var entry audit.Entry
	switch e := e.(type) {
	case reporting.CommunityRegistered:
		r := e.Registration
		entry = audit.Entry{SubjectType: subjectRegistration, SubjectID: r.ID, OrganisationID: r.CommunityID,
			After: pbconv.Registration(r)}
	case reporting.RegistrationEnded:
		r := e.Registration
		before := pbconv.Registration(r)
		before.EndDate, before.EndReason, before.UpdateTime = "", "", nil
		entry = audit.Entry{SubjectType: subjectRegistration, SubjectID: r.ID, OrganisationID: r.CommunityID,
			Before: before, After: pbconv.Registration(r)}
	case reporting.PostClaimed:
		entry = audit.Entry{SubjectType: subjectClaim, SubjectID: e.Claim.ID, OrganisationID: e.Claim.CommunityID,
			After: pbconv.Claim(e.Claim)}
	case reporting.PostReleased:
		before := pbconv.Claim(e.Claim)
		before.ReleaseTime = nil
		entry = audit.Entry{SubjectType: subjectClaim, SubjectID: e.Claim.ID, OrganisationID: e.Claim.CommunityID,
			Before: before, After: pbconv.Claim(e.Claim)}
	case reporting.FeedbackSent:
		entry = audit.Entry{SubjectType: subjectRating, SubjectID: e.Rating.ID, OrganisationID: e.Rating.CommunityID,
			After: pbconv.Rating(e.Rating)}
	case reporting.StarRatingSet:
		entry = audit.Entry{SubjectType: subjectStarRating, SubjectID: e.Rating.ID, OrganisationID: e.Rating.OrganisationID,
			After: &pb.StarRatingSet{Rating: pbconv.StarRating(e.Rating), CurrentStars: e.Current}}
	case reporting.AppraisalRecorded:
		entry = audit.Entry{SubjectType: subjectAppraisal, SubjectID: e.Appraisal.ID, OrganisationID: e.Appraisal.OrganisationID,
			After: pbconv.Appraisal(e.Appraisal)}
	case reporting.StarsChanged:
		return nil
	default:
		return fmt.Errorf("store: no audit record for %T", e)
	}
	return audit.Write(ctx, t.deferred(), entry)
}
