package grpcapi_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// TestFoundingDateDecidesWhichQuartersCount: a community brought in today
// with the day it was really founded is held to the quarters since then; one
// founded in the future is refused.
func TestFoundingDateDecidesWhichQuartersCount(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withClock(func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }))
	tr := h.tree(t)
	old := community(tr.street, "Old Community", pb.CommunityForm_COMMUNITY_FORM_BRANCH)
	old.FoundingDate = "2004-07-01"
	imported := h.create(t, old)
	recent := h.create(t, community(tr.street, "New Community", pb.CommunityForm_COMMUNITY_FORM_BRANCH))
	if imported.GetFoundingDate() != "2004-07-01" || recent.GetFoundingDate() != "2026-11-22" {
		t.Fatalf("founding dates %q and %q, want 2004-07-01 and the day of creation", imported.GetFoundingDate(), recent.GetFoundingDate())
	}

	resp, err := h.compliance.GetComplianceReport(callContext(t), &pb.GetComplianceReportRequest{
		OrganisationId: tr.street.GetId(), Subtree: true, AsOfDate: "2026-11-22"})
	if err != nil {
		t.Fatal(err)
	}
	var flagged []string
	for _, r := range resp.GetResults() {
		if r.GetRule() == pb.ComplianceRule_COMPLIANCE_RULE_QUARTERLY_ACTIVITY {
			for _, f := range r.GetFindings() {
				flagged = append(flagged, f.GetOrganisationName())
			}
		}
	}
	if !slices.Contains(flagged, "Old Community") || slices.Contains(flagged, "New Community") {
		t.Fatalf("quarterly findings %v: want the community founded in 2004 and not the one founded today", flagged)
	}

	future := community(tr.street, "Future Community", pb.CommunityForm_COMMUNITY_FORM_BRANCH)
	future.FoundingDate = "2027-01-01"
	_, err = h.org.CreateOrganisation(callContext(t), &pb.CreateOrganisationRequest{Organisation: future})
	if got := refusalOf(err); got.Code != codes.InvalidArgument || !slices.Contains(got.Fields, "organisation.founding_date") {
		t.Fatalf("a community founded in the future: %+v", got)
	}
}
