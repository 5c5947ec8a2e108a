package org

import (
	"context"
	"maps"
	"slices"
)

// MemberCount is the member count kept for an organisation.
type MemberCount struct {
	OrganisationID, Name string
	Count                int64
}

// CountDifference is an organisation whose member count here disagrees
// with the member service's: Here is the count kept here, There the member
// service's.
type CountDifference struct {
	OrganisationID, Name string
	Here, There          int64
}

// ReconcileMemberCounts compares the counts kept for the subtree of rootID
// with theirs (the member service's live members by organisation), and
// returns how many organisations were compared — those with members on
// either side — and every difference, in tree order (organisations this
// service does not know last).
func (s *Service) ReconcileMemberCounts(ctx context.Context, rootID string, theirs map[string]int64) (int, []CountDifference, error) {
	if _, err := s.store.Get(ctx, rootID); err != nil {
		return 0, nil, err
	}
	ids := make([]string, 0, len(theirs))
	for id := range theirs {
		ids = append(ids, id)
	}
	ours, err := s.store.MemberCounts(ctx, rootID, ids)
	if err != nil {
		return 0, nil, err
	}
	var diffs []CountDifference
	known := make(map[string]bool, len(ours))
	for _, c := range ours {
		known[c.OrganisationID] = true
		if c.Count != theirs[c.OrganisationID] {
			diffs = append(diffs, CountDifference{OrganisationID: c.OrganisationID, Name: c.Name, Here: c.Count, There: theirs[c.OrganisationID]})
		}
	}
	compared := len(ours)
	for _, id := range slices.Sorted(maps.Keys(theirs)) {
		if !known[id] {
			compared++
			diffs = append(diffs, CountDifference{OrganisationID: id, There: theirs[id]})
		}
	}
	return compared, diffs, nil
}
