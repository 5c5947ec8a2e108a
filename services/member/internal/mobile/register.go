package mobile

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// OutflowRequest registers that a member of this city went away.
type OutflowRequest struct {
	MemberID, Place, DestinationOrgID, Reason, ContactPhone, RequestID string
	Since                                                              time.Time
}

// InflowRequest registers that someone came to a host organisation here:
// a member of this city (MemberID) or someone from outside it (Person).
type InflowRequest struct {
	MemberID                                          string
	Person                                            OutsidePerson
	HostOrgID, Place, Reason, ContactPhone, RequestID string
	Since                                             time.Time
}

// checkSince refuses a missing day or one in the future.
func checkSince(v *errs.Validation, field string, since, today time.Time) {
	switch {
	case since.IsZero():
		v.Add(field, "the day the mobility began is required")
	case since.After(today):
		v.Add(field, "the day the mobility began cannot be in the future")
	}
}

// RegisterOutflow records that a member of this city went away; the member
// becomes mobile and is reclassified in the same transaction. A request id
// seen before returns the record it made.
func (s *Service) RegisterOutflow(ctx context.Context, r OutflowRequest, a member.Actor) (*Record, error) {
	v := member.NewValidation()
	if r.MemberID == "" {
		v.Add("record.member_id", "member_id is required")
	}
	if strings.TrimSpace(r.Place) == "" {
		v.Add("record.place", "where the member went is required")
	}
	checkSince(v, "record.since", r.Since, s.clock.Today())
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Record
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("register_outflow", r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.LockMobile); err != nil || seen {
			return err
		}
		m, err := s.lockMobileMember(ctx, tx, r.MemberID, "record.member_id")
		if err != nil {
			return err
		}
		if r.DestinationOrgID != "" {
			if _, err := existingOrg(ctx, tx, r.DestinationOrgID, "record.destination_organisation_id"); err != nil {
				return err
			}
		}
		rec := &Record{Direction: Outflow, MemberID: m.ID, HomeOrgID: m.OrganisationID,
			DistrictID: m.DistrictID, Place: strings.TrimSpace(r.Place), DestinationOrgID: r.DestinationOrgID,
			Since: r.Since, Reason: r.Reason, ContactPhone: orDefault(r.ContactPhone, m.Phone)}
		if err := s.insertMobile(ctx, tx, rec, m, a); err != nil {
			return err
		}
		out = rec
		return tx.RememberRequest(ctx, key, rec.ID)
	})
	return out, err
}

// RegisterInflow records that someone came to a host organisation here. A
// member of this city becomes mobile, as for an outflow.
func (s *Service) RegisterInflow(ctx context.Context, r InflowRequest, a member.Actor) (*Record, error) {
	v := member.NewValidation()
	if r.HostOrgID == "" {
		v.Add("record.host_organisation_id", "host_organisation_id is required")
	}
	switch {
	case r.MemberID != "" && r.Person != (OutsidePerson{}):
		v.Add("record.person", "give member_id for a member of this city, or person for someone from outside it, not both")
	case r.MemberID == "":
		if strings.TrimSpace(r.Person.Name) == "" {
			v.Add("record.person.name", "the name of someone from outside the city is required")
		}
		if strings.TrimSpace(r.Person.HomeOrganisation) == "" {
			v.Add("record.person.home_organisation", "the organisation holding their relationship is required")
		}
	}
	checkSince(v, "record.since", r.Since, s.clock.Today())
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Record
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("register_inflow", r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.LockMobile); err != nil || seen {
			return err
		}
		const hostField = "record.host_organisation_id"
		host, err := existingOrg(ctx, tx, r.HostOrgID, hostField)
		if err != nil {
			return err
		}
		if err := member.CheckHolds(host, hostField); err != nil {
			return err
		}
		rec := &Record{Direction: Inflow, HostOrgID: host.ID, DistrictID: host.DistrictID,
			Place: strings.TrimSpace(r.Place), Since: r.Since, Reason: r.Reason, ContactPhone: r.ContactPhone}
		var m *member.Member
		if r.MemberID != "" {
			if m, err = s.lockMobileMember(ctx, tx, r.MemberID, "record.member_id"); err != nil {
				return err
			}
			if m.OrganisationID == host.ID {
				return errs.Field(member.ErrInvalid, hostField, "the member's relationship already sits in this organisation")
			}
			rec.MemberID, rec.HomeOrgID, rec.DistrictID = m.ID, m.OrganisationID, m.DistrictID
			rec.ContactPhone = orDefault(rec.ContactPhone, m.Phone)
		} else {
			rec.Person = OutsidePerson{Name: strings.TrimSpace(r.Person.Name), Phone: r.Person.Phone,
				HomeOrganisation: strings.TrimSpace(r.Person.HomeOrganisation)}
			rec.ContactPhone = orDefault(rec.ContactPhone, r.Person.Phone)
		}
		if err := s.insertMobile(ctx, tx, rec, m, a); err != nil {
			return err
		}
		out = rec
		return tx.RememberRequest(ctx, key, rec.ID)
	})
	return out, err
}

// lockMobileMember locks a member of this city about to become mobile:
// a member has one open mobility at a time.
func (s *Service) lockMobileMember(ctx context.Context, tx Tx, id, field string) (*member.Member, error) {
	m, err := member.Live(tx.Lock(ctx, id))
	if errors.Is(err, member.ErrNotFound) {
		return nil, errs.Field(member.ErrNotFound, field, "no member has this id")
	}
	if err != nil {
		return nil, err
	}
	if open, found, err := tx.OpenMobile(ctx, m.ID); err != nil {
		return nil, err
	} else if found {
		return nil, errs.Field(ErrMobileOpen, field, "the member already has the open mobile record "+open.ID)
	}
	return m, nil
}

// existingOrg reads an organisation of the local view that must exist and
// be active.
func existingOrg(ctx context.Context, tx Tx, id, field string) (*member.Org, error) {
	o, err := tx.Org(ctx, id)
	if errors.Is(err, member.ErrOrgNotFound) {
		return nil, errs.Field(member.ErrOrgNotFound, field, "no organisation has this id")
	}
	if err != nil {
		return nil, err
	}
	if o.State == member.OrgDissolved {
		return nil, errs.Field(member.ErrOrgDissolved, field, "the organisation is dissolved")
	}
	return o, nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// insertMobile completes a new record from its district's settings, writes
// it with its first step, makes its member (if of this city) mobile and
// publishes it.
func (s *Service) insertMobile(ctx context.Context, tx Tx, rec *Record, m *member.Member, a member.Actor) error {
	settings, err := tx.MobileSettings(ctx, rec.DistrictID)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	rec.ID, rec.State, rec.Version, rec.Created, rec.Updated = member.NewID(), Away, 1, now, now
	rec.TemporaryFrom = rec.Since.AddDate(0, settings.TemporaryAfterMonths, 0)
	rec.ContactInterval = settings.ContactIntervalDays
	rec.resetContact(rec.Since)
	note := "outflow registered: " + rec.Place
	if rec.Direction == Inflow {
		note = "inflow registered"
	}
	step := Step{State: Away, ActorSubject: a.Subject, ActorRole: a.Role, Note: note, At: now}
	rec.Steps = []Step{step}
	if err := tx.InsertMobile(ctx, rec, step); err != nil {
		return err
	}
	if err := tx.Emit(ctx, Registered{Record: rec}, now); err != nil {
		return err
	}
	if m == nil {
		return nil
	}
	return s.setMobile(ctx, tx, m, true)
}

// setMobile marks a member of this city mobile or not, and reclassifies
// them: the category rules see "mobile" (DOMAIN §2: mobile → 协管).
func (s *Service) setMobile(ctx context.Context, tx Tx, m *member.Member, mobile bool) error {
	if m.Mobile == mobile {
		return nil
	}
	m.Mobile = mobile
	if err := s.members.Reclassify(ctx, tx, m, nil, s.clock.Now()); err != nil {
		return err
	}
	return tx.SetMemberMobile(ctx, m.ID, mobile)
}

// GrantTemporary gives a mobile member a temporary relationship with a
// host organisation near where they are, and a numbered activity
// certificate, once the period away has passed.
func (s *Service) GrantTemporary(ctx context.Context, id, hostOrgID, etag string, a member.Actor) (*Record, error) {
	var out *Record
	err := s.store.InTx(ctx, func(tx Tx) error {
		rec, err := tx.LockMobile(ctx, id)
		if err != nil {
			return err
		}
		if etag != "" && etag != rec.Etag() {
			return ErrMobileEtag
		}
		host, err := grantHost(ctx, tx, hostOrgID, "host_organisation_id")
		if err != nil {
			return err
		}
		if err := s.grant(ctx, tx, rec, host, a); err != nil {
			return err
		}
		out = rec
		return nil
	})
	return out, err
}

// grantHost reads the organisation a temporary relationship is to be held
// with: it must exist here, be active and hold memberships.
func grantHost(ctx context.Context, tx Tx, id, field string) (*member.Org, error) {
	host, err := existingOrg(ctx, tx, id, field)
	if err != nil {
		return nil, err
	}
	return host, member.CheckHolds(host, field)
}

// grant gives one locked record its temporary relationship and certificate,
// saves it and publishes it.
func (s *Service) grant(ctx context.Context, tx Tx, rec *Record, host *member.Org, a member.Actor) error {
	if rec.State != Away {
		return errs.Detail(ErrMobileState, "the record is %s", strings.ToLower(rec.State))
	}
	if host.ID == rec.HomeOrgID {
		return errs.Field(member.ErrInvalid, "host_organisation_id", "the host is the member's home organisation")
	}
	today := s.clock.Today()
	if today.Before(rec.TemporaryFrom) {
		return errs.Detail(ErrMobileTooEarly, "a temporary relationship can be granted from %s, after the period away that began on %s",
			rec.TemporaryFrom.Format(time.DateOnly), rec.Since.Format(time.DateOnly))
	}
	settings, err := tx.MobileSettings(ctx, rec.DistrictID)
	if err != nil {
		return err
	}
	n, err := tx.NextCertificateNumber(ctx)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	rec.Temporary = TemporaryRelationship{OrgID: host.ID,
		CertificateNumber: fmt.Sprintf("LD-%d-%06d", s.clock.Year(now), n),
		ValidUntil:        today.AddDate(0, settings.CertificateMonths, -1), Granted: now}
	rec.State = Temporary
	step := Step{State: Temporary, ActorSubject: a.Subject, ActorRole: a.Role,
		Note: "temporary relationship with " + orDefault(host.Name, host.ID) + ", certificate " + rec.Temporary.CertificateNumber, At: now}
	if err := s.saveMobile(ctx, tx, rec, &step); err != nil {
		return err
	}
	return tx.Emit(ctx, Granted{Record: rec}, now)
}

// saveMobile advances a record's version and writes it, with step if the
// state changed.
func (s *Service) saveMobile(ctx context.Context, tx EndTx, rec *Record, step *Step) error {
	rec.Version++
	rec.Updated = s.clock.Now()
	if step != nil {
		rec.Steps = append(rec.Steps, *step)
	}
	return tx.SaveMobile(ctx, rec, step)
}
