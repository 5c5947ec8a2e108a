package org

import (
	"context"
	"time"
)

// UnitCoverage is a resident unit's coverage as the co-building service,
// which keeps the units, last reported it: a unit with party members and
// no party organisation of its own is a coverage gap (空白点, 000) of the
// community where it sits. The service learns it from the co-building
// service's events and never sets it otherwise.
type UnitCoverage struct {
	UnitID, UnitName, CommunityID, DistrictID string
	PartyOrganisationID                       string
	PartyMembers                              int32
	Gap                                       bool
	// Opened is when the unit last became a gap; Closed when that gap
	// closed (zero while it is open, or when it never was a gap).
	Opened, Closed time.Time
	// Updated is when the co-building service made the change last applied.
	Updated time.Time
}

// The changes a UnitCoverageRecorded reports.
const (
	UnitGapOpened       = "gap_opened"
	UnitGapClosed       = "gap_closed"
	UnitCoverageUpdated = "updated"
)

// UnitCoverageRecorded records a unit's coverage as reported; it is
// recorded (audited), not published: the fact is the co-building
// service's.
type UnitCoverageRecorded struct {
	Unit   *UnitCoverage
	Change string
}

// AggregateID implements Event.
func (e UnitCoverageRecorded) AggregateID() string { return e.Unit.CommunityID }

// ApplyUnitCoverage keeps a unit's coverage as the co-building service
// reported it at at: a gap opens when a unit becomes one and closes when
// it stops being one. A report older than the one kept is passed over, so
// an event delivered late never reopens a gap closed since.
func (s *Service) ApplyUnitCoverage(ctx context.Context, u UnitCoverage, at time.Time) error {
	at = at.UTC().Truncate(time.Microsecond)
	return s.store.InTx(ctx, func(tx Tx) error {
		prev, found, err := tx.LockUnitCoverage(ctx, u.UnitID)
		if err != nil || (found && !at.After(prev.Updated)) {
			return err
		}
		u.Updated, u.Opened, u.Closed = at, time.Time{}, time.Time{}
		if found {
			u.Opened, u.Closed = prev.Opened, prev.Closed
		}
		change := UnitCoverageUpdated
		switch {
		case u.Gap && (!found || !prev.Gap):
			u.Opened, u.Closed, change = at, time.Time{}, UnitGapOpened
		case !u.Gap && found && prev.Gap:
			u.Closed, change = at, UnitGapClosed
		}
		if err := tx.SaveUnitCoverage(ctx, &u); err != nil {
			return err
		}
		return tx.Emit(ctx, UnitCoverageRecorded{Unit: &u, Change: change}, s.now())
	})
}
