package transfer

import (
	"context"

	"gongjian.dev/services/member/internal/member"
)

// A name-only member (挂名党员, DOMAIN §2, document 004) is one whose
// relationship sits in a community while the person lives and works
// elsewhere: the relationship should follow the person. What the records
// can tell, and so the definition this service uses:
//
//   - the member is live and their relationship sits in a community's
//     organisation tree: the community's own organisation or one below it
//     (a general branch, branch, building branch…). Relationships that sit
//     nowhere under a community (a district's organs) have no community to
//     be nominal in;
//   - except in a resident unit's organisation (驻区单位): its members are
//     organised by where they work, and living elsewhere is their normal
//     case;
//   - and the member's recorded residence community is another community.
//
// Where a member works is free text (the employer), so it cannot be
// compared: the residence decides. A member with no residence community
// recorded cannot be told either way; IncludeUnknown lists them too, with
// their own reason, so that the secretary can complete the record.
type NameOnly struct {
	Member *member.Member
	// CommunityID is the community the relationship sits in.
	CommunityID string
	Reason      string
}

// The reasons a member is listed as name-only.
const (
	NameOnlyElsewhere = "RESIDENCE_ELSEWHERE"
	NameOnlyUnknown   = "RESIDENCE_UNKNOWN"
)

// NameOnlyFilter selects the name-only members of the subtree of
// OrganisationID (which may lie above, at or below a community).
type NameOnlyFilter struct {
	OrganisationID string
	IncludeUnknown bool
	// WithinID keeps the list inside the caller's subtree.
	WithinID string
	Page     member.Page
}

// ListNameOnly pages through the name-only members of a subtree, in tree order.
func (s *Service) ListNameOnly(ctx context.Context, f NameOnlyFilter) ([]NameOnly, string, error) {
	f.Page = f.Page.Bounded()
	return s.store.ListNameOnly(ctx, f)
}
