package org

import (
	"context"
	"errors"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/replay"
)

// ActivityKind is a kind of organisation life (组织生活, document 004).
type ActivityKind string

// The kinds of organisation life.
const (
	MembersMeeting        ActivityKind = "MEMBERS_MEETING"
	CommitteeMeeting      ActivityKind = "COMMITTEE_MEETING"
	PartyGroupMeeting     ActivityKind = "PARTY_GROUP_MEETING"
	PartyLecture          ActivityKind = "PARTY_LECTURE"
	ThemedPartyDay        ActivityKind = "THEMED_PARTY_DAY"
	ConcentratedActivity  ActivityKind = "CONCENTRATED_ACTIVITY"
	DemocraticLifeMeeting ActivityKind = "DEMOCRATIC_LIFE_MEETING"
	DemocraticAppraisal   ActivityKind = "DEMOCRATIC_APPRAISAL"
)

// Activity is one event of organisation life.
type Activity struct {
	ID             string
	OrganisationID string
	Kind           ActivityKind
	Date           Date
	Topic          string
	Expected       int32
	Attended       int32
	Absentees      []Absentee
	Note           string
	Recorded       time.Time
	// AttendeeIDs are the member ids of those present (records made before
	// ids were taken have none, only the count).
	AttendeeIDs []string
}

// Absentee is a member who was absent, named, identified by member id, or
// both. Reason and ReasonKind are what was said; empty stays empty — the
// system never invents a reason.
type Absentee struct {
	Name       string        `json:"name"`
	Reason     string        `json:"reason,omitempty"`
	MemberID   string        `json:"memberId,omitempty"`
	ReasonKind AbsenceReason `json:"reasonKind,omitempty"`
}

// ActivityFilter selects activities of one organisation.
type ActivityFilter struct {
	OrganisationID string
	Kind           ActivityKind
	From, To       Date
	Page           Page
}

// RecordActivity records organisation life held by a live organisation. The
// attendance must add up: no more present than expected, and no more named
// absentees than were absent.
func (s *Service) RecordActivity(ctx context.Context, a *Activity, requestID string) (*Activity, error) {
	if err := validateActivity(a, s.today()); err != nil {
		return nil, err
	}
	var out *Activity
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("record_activity", requestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.GetActivity); err != nil || seen {
			return err
		}
		o, err := tx.Lock(ctx, a.OrganisationID)
		if err != nil {
			return err
		}
		if o.State == Dissolved {
			return ErrDissolved
		}
		if err := checkAttendance(ctx, tx, o, a); err != nil {
			return err
		}
		a.ID, a.Recorded = NewID(), s.now()
		if err := tx.InsertActivity(ctx, a); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, a.ID); err != nil {
			return err
		}
		out = a
		return tx.Emit(ctx, ActivityRecorded{Activity: a, AncestorIDs: append(o.AncestorIDs, o.ID)}, a.Recorded)
	})
	return out, err
}

func validateActivity(a *Activity, today Date) error {
	v := newValidation()
	if a.Date.IsZero() {
		v.Add("activity.date", "the day of the activity is required")
	} else if today.Before(a.Date) {
		v.Add("activity.date", "organisation life is recorded after it happened, not before")
	}
	if strings.TrimSpace(a.Topic) == "" {
		v.Add("activity.topic", "topic is required")
	}
	if a.Attended > a.Expected {
		v.Add("activity.attended", "more attended (%d) than were expected (%d)", a.Attended, a.Expected)
	}
	if absent := a.Expected - a.Attended; int32(len(a.Absentees)) > absent && a.Attended <= a.Expected {
		v.Add("activity.absentees", "%d absentees named but only %d were absent", len(a.Absentees), absent)
	}
	validateAttendees(v, a)
	return v.Err()
}

// ListActivities pages through an organisation's life, newest first.
func (s *Service) ListActivities(ctx context.Context, f ActivityFilter) ([]*Activity, string, error) {
	if _, err := s.store.Get(ctx, f.OrganisationID); err != nil {
		return nil, "", err
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return nil, "", errs.Field(ErrInvalid, "to_date", "to_date is before from_date")
	}
	f.Page.Size = page.Size(f.Page.Size)
	return s.store.ListActivities(ctx, f)
}

// CoveragePointKind is what a coverage point is.
type CoveragePointKind string

// The kinds of coverage point.
const (
	Estate             CoveragePointKind = "ESTATE"
	Building           CoveragePointKind = "BUILDING"
	SocialOrganisation CoveragePointKind = "SOCIAL_ORGANISATION"
)

// CoveragePoint is an estate, building or social organisation of a community
// that should have a party organisation once it has members (DOMAIN §1, 000).
type CoveragePoint struct {
	ID                     string
	CommunityID            string
	Kind                   CoveragePointKind
	Name                   string
	CoveringOrganisationID string
	MemberCount            int64
}

// CreateCoveragePoint registers a coverage point in a community.
func (s *Service) CreateCoveragePoint(ctx context.Context, p *CoveragePoint) (*CoveragePoint, error) {
	err := s.store.InTx(ctx, func(tx Tx) error {
		c, err := s.lockLiveCommunity(ctx, tx, p.CommunityID, "community_id")
		if err != nil {
			return err
		}
		if err := s.checkCover(ctx, tx, c, p.CoveringOrganisationID, "coverage_point.covering_organisation_id"); err != nil {
			return err
		}
		p.ID = NewID()
		if err := tx.InsertCoveragePoint(ctx, p); err != nil {
			return err
		}
		return tx.Emit(ctx, CoveragePointChanged{Point: p, Change: CoveragePointCreated}, s.now())
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// CoverCoveragePoint records which organisation now covers a point, and
// optionally its new member count.
func (s *Service) CoverCoveragePoint(ctx context.Context, id, orgID string, memberCount int64) (*CoveragePoint, error) {
	var out *CoveragePoint
	err := s.store.InTx(ctx, func(tx Tx) error {
		p, err := tx.LockCoveragePoint(ctx, id)
		if err != nil {
			return err
		}
		c, err := tx.Lock(ctx, p.CommunityID)
		if err != nil {
			return err
		}
		if err := s.checkCover(ctx, tx, c, orgID, "organisation_id"); err != nil {
			return err
		}
		p.CoveringOrganisationID = orgID
		if memberCount > 0 {
			p.MemberCount = memberCount
		}
		if err := tx.SaveCoveragePoint(ctx, p); err != nil {
			return err
		}
		out = p
		return tx.Emit(ctx, CoveragePointChanged{Point: p, Change: CoveragePointCovered}, s.now())
	})
	return out, err
}

// checkCover: the covering organisation must be live and inside the community.
func (s *Service) checkCover(ctx context.Context, tx Tx, community *Organisation, orgID, field string) error {
	if orgID == "" {
		return nil
	}
	o, err := tx.Lock(ctx, orgID)
	if errors.Is(err, ErrNotFound) {
		return errs.Field(ErrParentNotFound, field, "no organisation has this id")
	}
	if err != nil {
		return err
	}
	if o.State == Dissolved {
		return errs.Field(ErrDissolved, field, "the covering organisation is dissolved")
	}
	if !contains(o.AncestorIDs, community.ID) {
		return errs.Field(ErrKindNotAllowed, field, "the covering organisation must lie inside the community")
	}
	return nil
}

// ListCoveragePoints lists a community's coverage points.
func (s *Service) ListCoveragePoints(ctx context.Context, communityID string) ([]*CoveragePoint, error) {
	c, err := s.store.Get(ctx, communityID)
	if err != nil {
		return nil, err
	}
	if !c.IsCommunity() {
		return nil, errs.Field(ErrNotCommunity, "community_id", "coverage points belong to communities")
	}
	return s.store.ListCoveragePoints(ctx, communityID)
}

func (s *Service) lockLiveCommunity(ctx context.Context, tx Tx, id, field string) (*Organisation, error) {
	c, err := tx.Lock(ctx, id)
	if err != nil {
		return nil, err
	}
	if !c.IsCommunity() {
		return nil, errs.Field(ErrNotCommunity, field, "this organisation is a "+kindWord(c.Kind)+", not a community")
	}
	if c.State == Dissolved {
		return nil, errs.Field(ErrDissolved, field, "the community is dissolved")
	}
	return c, nil
}
