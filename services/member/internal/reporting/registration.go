package reporting

import (
	"context"
	"errors"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// Registration is an in-service member's registration with a community
// (在职党员到社区报到, DOMAIN §2): where they live (RESIDENCE) or where their
// unit sits (UNIT_LOCATION). It ends (moved, retired…) but is never
// removed: the card entries and ratings made under it keep pointing at it.
type Registration struct {
	ID          string
	MemberID    string
	CommunityID string
	Kind        string
	// MemberOrgID is where the member's relationship sat when they registered.
	MemberOrgID string
	// ReportDate is the day the member reported; EndDate the day the
	// registration ended, zero while it is live. Both are midnight UTC.
	ReportDate time.Time
	EndDate    time.Time
	EndReason  string
	Created    time.Time
	Updated    time.Time
}

// The kinds of registration.
const (
	RegistrationResidence    = "RESIDENCE"
	RegistrationUnitLocation = "UNIT_LOCATION"
)

// Live reports whether the registration has not ended.
func (r *Registration) Live() bool { return r.EndDate.IsZero() }

// The employment status of an in-service member, and the kind of
// organisation members report to.
const (
	EmploymentEmployed = "EMPLOYED"
	kindCommunity      = "COMMUNITY"
)

// The errors of reporting.
var (
	ErrNotInService      = errs.WithReason(errs.FailedPrecondition, "NOT_IN_SERVICE", "only an in-service member reports to a community")
	ErrNotCommunity      = errs.WithReason(errs.FailedPrecondition, "NOT_COMMUNITY", "not a community, nor an organisation inside one")
	ErrAlreadyRegistered = errs.WithReason(errs.FailedPrecondition, "ALREADY_REGISTERED", "the member already has a live registration of this kind")
	ErrNotRegistered     = errs.WithReason(errs.FailedPrecondition, "NOT_REGISTERED", "the member is not registered with this community")
	ErrRegistrationGone  = errs.New(errs.NotFound, "registration not found")
)

// RegisterRequest is what registers a member with a community.
type RegisterRequest struct {
	MemberID, CommunityID, Kind, RequestID string
	// ReportDate is the day the member reported; today when zero.
	ReportDate time.Time
}

func validKind(kind string) bool {
	return kind == RegistrationResidence || kind == RegistrationUnitLocation
}

// RegisterWithCommunity registers an in-service member with a community,
// or with the community an organisation lies in. A member has at most one
// live registration of each kind. A request id seen before returns the
// registration it made.
func (s *Service) RegisterWithCommunity(ctx context.Context, r RegisterRequest, a member.Actor) (*Registration, error) {
	today := s.clock.Today()
	v := member.NewValidation()
	if !validKind(r.Kind) {
		v.Add("kind", "kind is required: residence or unit location")
	}
	if r.ReportDate.After(today) {
		v.Add("report_date", "the report date cannot be in the future")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Registration
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("register_with_community/"+a.Subject, r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.GetRegistration); err != nil || seen {
			return err
		}
		m, err := s.lockSelf(ctx, tx, r.MemberID, a)
		if err != nil {
			return err
		}
		if m.EmploymentStatus != EmploymentEmployed {
			return errs.Field(ErrNotInService, "member_id", "the member is not in service (employment status EMPLOYED)")
		}
		c, err := s.community(ctx, tx, r.CommunityID)
		if err != nil {
			return err
		}
		if live, found, err := tx.LiveRegistration(ctx, m.ID, r.Kind); err != nil {
			return err
		} else if found {
			return errs.Field(ErrAlreadyRegistered, "kind", "the member is registered with the community "+live.CommunityID+" as "+strings.ToLower(r.Kind))
		}
		if r.ReportDate.IsZero() {
			r.ReportDate = today
		}
		now := s.clock.Now()
		reg := &Registration{ID: member.NewID(), MemberID: m.ID, CommunityID: c.ID, Kind: r.Kind, MemberOrgID: m.OrganisationID,
			ReportDate: r.ReportDate, Created: now, Updated: now}
		if err := tx.InsertRegistration(ctx, reg); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, reg.ID); err != nil {
			return err
		}
		out = reg
		return tx.Emit(ctx, CommunityRegistered{Registration: reg}, reg.Created)
	})
	return out, err
}

// EndRequest is what ends a registration.
type EndRequest struct {
	MemberID, CommunityID, Kind, Reason string
}

// EndRegistration ends the member's live registration of a kind with a
// community, today, and releases the posts the member claimed under it.
func (s *Service) EndRegistration(ctx context.Context, r EndRequest, a member.Actor) (*Registration, error) {
	v := member.NewValidation()
	if !validKind(r.Kind) {
		v.Add("kind", "kind is required: residence or unit location")
	}
	if strings.TrimSpace(r.Reason) == "" {
		v.Add("reason", "a registration ends for a reason")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Registration
	err := s.store.InTx(ctx, func(tx Tx) error {
		m, err := s.lockSelf(ctx, tx, r.MemberID, a)
		if err != nil {
			return err
		}
		c, err := s.community(ctx, tx, r.CommunityID)
		if err != nil {
			return err
		}
		reg, found, err := tx.LiveRegistration(ctx, m.ID, r.Kind)
		if err != nil {
			return err
		}
		if !found || reg.CommunityID != c.ID {
			return errs.Field(ErrNotRegistered, "community_id", "the member has no live "+strings.ToLower(r.Kind)+" registration with this community")
		}
		end := s.clock.Today()
		if end.Before(reg.ReportDate) {
			end = reg.ReportDate
		}
		out = reg
		return endRegistration(ctx, tx, reg, end, r.Reason, s.clock.Now())
	})
	return out, err
}

// lockSelf locks the member a command is about; a member acting for
// themselves may name only themselves, and any other id answers as if it
// did not exist.
func (s *Service) lockSelf(ctx context.Context, tx Tx, memberID string, a member.Actor) (*member.Member, error) {
	if a.MemberID != "" && a.MemberID != memberID {
		return nil, member.ErrNotFound
	}
	return member.Live(tx.Lock(ctx, memberID))
}

// community is the active community an organisation is, or lies in:
// registrations, posts, cards and ratings belong to the community.
func (s *Service) community(ctx context.Context, tx Tx, id string) (*member.Org, error) {
	const field = "community_id"
	o, err := tx.Org(ctx, id)
	if errors.Is(err, member.ErrOrgNotFound) {
		return nil, errs.Field(member.ErrOrgNotFound, field, "no organisation has this id")
	}
	if err != nil {
		return nil, err
	}
	if o.Kind != kindCommunity {
		c, found, err := tx.CommunityAbove(ctx, o.Path)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, errs.Field(ErrNotCommunity, field, "a "+strings.ToLower(strings.ReplaceAll(o.Kind, "_", " "))+" lies in no community")
		}
		o = c
	}
	if o.State == member.OrgDissolved {
		return nil, errs.Field(member.ErrOrgDissolved, field, "the community is dissolved")
	}
	return o, nil
}

// RegistrationFilter selects registrations: of a community, of a member,
// or both; ended ones only when IncludeEnded.
type RegistrationFilter struct {
	CommunityID, MemberID string
	IncludeEnded          bool
	Page                  member.Page
}

// ListRegistrations pages through registrations.
func (s *Service) ListRegistrations(ctx context.Context, f RegistrationFilter) ([]*Registration, string, error) {
	if f.CommunityID == "" && f.MemberID == "" {
		return nil, "", errs.Field(member.ErrInvalid, "community_id", "name a community or a member")
	}
	f.Page = f.Page.Bounded()
	return s.store.ListRegistrations(ctx, f)
}
