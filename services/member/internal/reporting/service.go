// Package reporting holds the rules of in-service members who report to
// the community (在职党员到社区报到, DOMAIN §2 and §5): registrations with
// the community where they live and the one where their unit sits (one
// live registration of each kind), service posts (认岗) whose capacity
// the database holds, the community's contact card with the district's
// minimums (contacts a quarter, activities a year), the community's rating
// sent to the employer's organisation (双向反馈), the annual democratic
// appraisal with the rule that a member who did not report cannot be
// rated qualified, and five-star ratings with their history.
package reporting

import "gongjian.dev/services/member/internal/member"

// Service carries out the commands of reporting, appraisals and star
// ratings.
type Service struct {
	store Store
	clock member.Clock
}

// NewService returns a Service over store, on the member service's clock.
func NewService(store Store, clock member.Clock) *Service {
	return &Service{store: store, clock: clock}
}
