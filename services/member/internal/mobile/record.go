package mobile

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// Record is one mobility of one person (流动党员, DOMAIN §2): a
// member of this city who went away (outflow), or someone whose
// relationship sits elsewhere who came to a host organisation here
// (inflow), whether a member of this city or of another. The membership
// relationship never moves with a mobility; a temporary relationship with
// a host branch is granted beside it after the period away.
type Record struct {
	ID        string
	Direction string // Outflow or Inflow
	State     string // Away, Temporary, Ended
	// MemberID is the member of this city who moved; "" for someone from
	// outside the city, who is Person.
	MemberID string
	Person   OutsidePerson
	// HomeOrgID is the organisation holding a city member's relationship
	// when the record was made.
	HomeOrgID string
	// Place is where an outflow went, or where an inflow came from.
	Place string
	// DestinationOrgID is an organisation of this city at an outflow's
	// destination, when known.
	DestinationOrgID string
	// HostOrgID is the organisation an inflow registered with.
	HostOrgID    string
	Since        time.Time // a date
	Reason       string
	ContactPhone string
	GroupID      string
	// DistrictID is the district whose settings apply: the home
	// organisation's, or the host's for someone from outside.
	DistrictID string
	// TemporaryFrom is the first day a temporary relationship may be granted.
	TemporaryFrom time.Time
	Temporary     TemporaryRelationship
	// ContactInterval is the days a member may go without reporting.
	ContactInterval int
	LastReport      time.Time
	// ContactDue is when the member's silence becomes overdue: the interval
	// after the last report, or after Since.
	ContactDue time.Time
	// OverduePeriods counts the overdue periods already reported since the
	// last report; NextOverdue is when the next one begins.
	OverduePeriods int
	NextOverdue    time.Time
	Ending         MobilityEnding
	Steps          []Step
	Created        time.Time
	Updated        time.Time
	Version        int64
}

// OutsidePerson is someone from outside the city registered as an inflow.
type OutsidePerson struct {
	Name             string
	Phone            string
	HomeOrganisation string
}

// TemporaryRelationship is a temporary relationship with a host
// organisation and the activity certificate (流动党员活动证) that goes with it.
type TemporaryRelationship struct {
	OrgID             string
	CertificateNumber string
	ValidUntil        time.Time // a date, the last day of validity
	Granted           time.Time
}

// MobilityEnding is how a record ended.
type MobilityEnding struct {
	Outcome string
	Reason  string
	At      time.Time
}

// Step is one step of a record as it was taken.
type Step struct {
	State        string
	ActorSubject string
	ActorRole    string
	Note         string
	At           time.Time
}

// ContactEntry is one contact of the two-way contact log (双向联系).
type ContactEntry struct {
	ID           string
	RecordID     string
	Direction    string // ContactReport or ContactNews
	Channel      string
	Summary      string
	At           time.Time // when the contact took place
	ActorSubject string
	ActorRole    string
	Logged       time.Time
	GroupID      string
	// BatchID is shared by the entries one call logged, so that a retried
	// call finds them.
	BatchID string
}

// The directions, states, outcomes and contact directions.
const (
	Outflow = "OUTFLOW"
	Inflow  = "INFLOW"

	Away      = "AWAY"
	Temporary = "TEMPORARY"
	Ended     = "ENDED"

	OutcomeReturned         = "RETURNED"
	OutcomeSettledElsewhere = "SETTLED_ELSEWHERE"
	OutcomeTransferred      = "TRANSFERRED"

	// OutcomeMembershipEnded ends the open mobile record of a member whose
	// membership ended; EndMobility does not take it.
	OutcomeMembershipEnded = "MEMBERSHIP_ENDED"

	ContactReport = "MEMBER_REPORT"
	ContactNews   = "ORGANISATION_NEWS"
)

var (
	outcomes        = map[string]bool{OutcomeReturned: true, OutcomeSettledElsewhere: true, OutcomeTransferred: true}
	contactChannels = map[string]bool{"PHONE": true, "MESSAGE": true, "MAIL": true, "VISIT": true, "ONLINE": true}
)

// Settings are a district's rules for mobile members: a temporary
// relationship after TemporaryAfterMonths away, a certificate valid
// CertificateMonths, a report at least every ContactIntervalDays.
type Settings struct {
	TemporaryAfterMonths int
	CertificateMonths    int
	ContactIntervalDays  int
}

// DefaultSettings apply to a district that has set none: six months
// (004), a certificate for a year, a report every quarter.
var DefaultSettings = Settings{TemporaryAfterMonths: 6, CertificateMonths: 12, ContactIntervalDays: 90}

// The errors of mobile members.
var (
	ErrMobileNotFound  = errs.New(errs.NotFound, "mobile record not found")
	ErrGroupNotFound   = errs.New(errs.NotFound, "mobile group not found")
	ErrMobileOpen      = errs.WithReason(errs.FailedPrecondition, "MOBILE_OPEN", "the member already has an open mobile record")
	ErrMobileState     = errs.WithReason(errs.FailedPrecondition, "MOBILE_STATE", "the mobile record is not in a state that allows this")
	ErrMobileTooEarly  = errs.WithReason(errs.FailedPrecondition, "MOBILE_TOO_EARLY", "the period away before a temporary relationship has not passed")
	ErrNotTransferred  = errs.WithReason(errs.FailedPrecondition, "MOBILE_NOT_TRANSFERRED", "the member's relationship still sits in the home organisation")
	ErrMobileEtag      = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH", "the mobile record was changed by someone else; read it again")
	ErrGroupEtag       = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH", "the mobile group was changed by someone else; read it again")
	ErrMemberReporting = errs.New(errs.PermissionDenied, "a member logs their own reports only")
)

// Etag is the version as the API shows it.
func (r *Record) Etag() string { return strconv.FormatInt(r.Version, 10) }

// Open reports whether the mobility is still going on.
func (r *Record) Open() bool { return r.State != Ended }

// ContactOverdue reports whether the member's silence is overdue at now.
func (r *Record) ContactOverdue(now time.Time) bool {
	return r.Open() && !r.ContactDue.IsZero() && now.After(r.ContactDue)
}

// OwnerOrgID is the organisation of this city that keeps the record: the
// home organisation of a member of this city, the host of someone from
// outside it.
func (r *Record) OwnerOrgID() string {
	if r.HomeOrgID != "" {
		return r.HomeOrgID
	}
	return r.HostOrgID
}

// Sides are the organisations of this city the record touches, the owner
// first: each side may read it.
func (r *Record) Sides() []string {
	var out []string
	for _, id := range []string{r.OwnerOrgID(), r.HostOrgID, r.DestinationOrgID, r.Temporary.OrgID} {
		if id != "" && !containsString(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// interval is the contact interval as a duration.
func (r *Record) interval() time.Duration {
	return time.Duration(r.ContactInterval) * 24 * time.Hour
}

// resetContact starts the contact clock again from ref (the last report,
// or the day the mobility began): no overdue period is reported for it yet.
func (r *Record) resetContact(ref time.Time) {
	r.ContactDue = ref.Add(r.interval())
	r.NextOverdue = r.ContactDue
	r.OverduePeriods = 0
}

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

// ContactRequest logs one contact on a record.
type ContactRequest struct {
	RecordID, Direction, Channel, Summary, RequestID string
	At                                               time.Time
	Actor                                            member.Actor
}

// checkContact checks a contact's fields that need no record.
func checkContact(v *errs.Validation, direction, channel, summary string) {
	if direction != ContactReport && direction != ContactNews {
		v.Add("contact.direction", "say whether the member reported or the organisation sent news")
	}
	if !contactChannels[channel] {
		v.Add("contact.channel", "the channel is required")
	}
	if strings.TrimSpace(summary) == "" {
		v.Add("contact.summary", "a summary is required")
	}
}

// LogContact appends one contact to a record's two-way contact log. A
// report of the member starts the contact interval again. A member logs
// their own reports only.
func (s *Service) LogContact(ctx context.Context, r ContactRequest) (*ContactEntry, *Record, error) {
	v := member.NewValidation()
	checkContact(v, r.Direction, r.Channel, r.Summary)
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var (
		entry *ContactEntry
		out   *Record
	)
	err := s.store.InTx(ctx, func(tx Tx) error {
		rec, err := tx.LockMobile(ctx, r.RecordID)
		if err != nil {
			return err
		}
		if r.Actor.MemberID != "" && r.Actor.MemberID != rec.MemberID {
			return ErrMobileNotFound
		}
		key := replay.Key("log_contact/"+r.Actor.Subject, r.RequestID)
		var logged []*ContactEntry
		if seen, err := replay.Seen(ctx, tx, key, &logged, tx.ContactsOfBatch); err != nil || seen {
			if len(logged) > 0 {
				entry, out = logged[0], rec
			}
			return err
		}
		if r.Actor.MemberID != "" && r.Direction != ContactReport {
			return ErrMemberReporting
		}
		e, err := s.contact(ctx, tx, rec, r, "")
		if err != nil {
			return err
		}
		entry, out = e, rec
		return tx.RememberRequest(ctx, key, e.BatchID)
	})
	return entry, out, err
}

// contact logs one entry on a locked, open record; batch is the id the
// entries of one call share ("" for a new one).
func (s *Service) contact(ctx context.Context, tx Tx, rec *Record, r ContactRequest, batch string) (*ContactEntry, error) {
	if !rec.Open() {
		return nil, errs.Detail(ErrMobileState, "the record has ended")
	}
	now := s.clock.Now()
	at := r.At
	if at.IsZero() {
		at = now
	}
	switch {
	case at.After(now):
		return nil, errs.Field(member.ErrInvalid, "contact.contact_time", "a contact cannot be in the future")
	case at.Before(rec.Since):
		return nil, errs.Field(member.ErrInvalid, "contact.contact_time", "a contact cannot be before the mobility began")
	}
	e := &ContactEntry{ID: member.NewID(), RecordID: rec.ID, Direction: r.Direction, Channel: r.Channel,
		Summary: strings.TrimSpace(r.Summary), At: at, ActorSubject: r.Actor.Subject, ActorRole: r.Actor.Role,
		Logged: now, GroupID: rec.GroupID, BatchID: batch}
	if e.BatchID == "" {
		e.BatchID = e.ID
	}
	if err := tx.InsertContact(ctx, e); err != nil {
		return nil, err
	}
	if r.Direction == ContactReport && at.After(rec.LastReport) {
		rec.LastReport = at
		rec.resetContact(at)
		if err := s.saveMobile(ctx, tx, rec, nil); err != nil {
			return nil, err
		}
	}
	return e, tx.Emit(ctx, ContactLogged{Record: rec, Entry: e}, now)
}

// EndMobility ends a record with its outcome. The member of this city is
// no longer mobile and is reclassified; one who settled elsewhere is asked
// to transfer (the event says so); "transferred" needs the relationship to
// have left the home organisation.
func (s *Service) EndMobility(ctx context.Context, id, outcome, reason, etag string, a member.Actor) (*Record, error) {
	if !outcomes[outcome] {
		return nil, errs.Field(member.ErrInvalid, "outcome", "the outcome is required: returned, settled elsewhere or transferred")
	}
	var out *Record
	err := s.store.InTx(ctx, func(tx Tx) error {
		peek, err := tx.PeekMobile(ctx, id)
		if err != nil {
			return err
		}
		var m *member.Member
		if peek.MemberID != "" { // the member first, as every writer locks them
			if m, err = tx.Lock(ctx, peek.MemberID); err != nil {
				return err
			}
		}
		rec, err := tx.LockMobile(ctx, id)
		if err != nil {
			return err
		}
		if etag != "" && etag != rec.Etag() {
			return ErrMobileEtag
		}
		if !rec.Open() {
			return errs.Detail(ErrMobileState, "the record has ended")
		}
		if outcome == OutcomeTransferred && m != nil && m.OrganisationID == rec.HomeOrgID {
			return errs.Field(ErrNotTransferred, "outcome", "transfer the relationship first, then end the mobility as transferred")
		}
		now := s.clock.Now()
		rec.State = Ended
		rec.Ending = MobilityEnding{Outcome: outcome, Reason: reason, At: now}
		step := Step{State: Ended, ActorSubject: a.Subject, ActorRole: a.Role,
			Note: strings.ToLower(strings.ReplaceAll(outcome, "_", " ")) + orDefault(prefixed(": ", reason), ""), At: now}
		if err := s.saveMobile(ctx, tx, rec, &step); err != nil {
			return err
		}
		if err := tx.Emit(ctx, MobilityEnded{Record: rec}, now); err != nil {
			return err
		}
		out = rec
		if m == nil {
			return nil
		}
		return s.setMobile(ctx, tx, m, false)
	})
	return out, err
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}

// TransferRequested reports whether an ended record asks the member to
// transfer their relationship: they settled elsewhere.
func (r *Record) TransferRequested() bool {
	return r.State == Ended && r.Ending.Outcome == OutcomeSettledElsewhere
}

// Filter selects mobile records; the fields combine.
type Filter struct {
	// OrganisationID lists records with a side in its subtree.
	OrganisationID string
	MemberID       string
	GroupID        string
	Direction      string
	OpenOnly       bool
	// OverdueAt lists open records whose contact is overdue at this time.
	OverdueAt time.Time
	// WithinID keeps the list to records with a side in the caller's subtree.
	WithinID string
	Page     member.Page
}

// GetMobile returns a record with its steps.
func (s *Service) GetMobile(ctx context.Context, id string) (*Record, error) {
	return s.store.GetMobile(ctx, id)
}

// ListMobile pages through records.
func (s *Service) ListMobile(ctx context.Context, f Filter, overdueOnly bool) ([]*Record, string, error) {
	f.Page = f.Page.Bounded()
	if overdueOnly {
		f.OverdueAt = s.clock.Now()
	}
	return s.store.ListMobile(ctx, f)
}

// ListContacts pages through a record's contact log.
func (s *Service) ListContacts(ctx context.Context, recordID string, p member.Page) ([]*ContactEntry, string, error) {
	return s.store.ListContacts(ctx, recordID, p.Bounded())
}

// Sides are the member and the organisations of a mobile record, for
// deciding who may act on it: Owner keeps it, Sides may read it.
type Sides struct {
	MemberID string
	Owner    string
	Sides    []string
}

// EndOnLeaving ends the open mobile record, if any, of a member whose
// membership ends as l: a member who left is no longer anyone's mobile
// member.
func (s *Service) EndOnLeaving(ctx context.Context, tx EndTx, m *member.Member, l member.Leaving, a member.Actor) error {
	outcome, reason, now := OutcomeMembershipEnded, l.Reason, l.At
	if l.Kind == member.LeftTransferredOut {
		outcome = OutcomeTransferred
	}
	open, found, err := tx.OpenMobile(ctx, m.ID)
	if err != nil || !found {
		return err
	}
	rec, err := tx.LockMobile(ctx, open.ID)
	if err != nil {
		return err
	}
	rec.State = Ended
	rec.Ending = MobilityEnding{Outcome: outcome, Reason: reason, At: now}
	step := Step{State: Ended, ActorSubject: a.Subject, ActorRole: a.Role,
		Note: "the membership ended: " + reason, At: now}
	if err := s.saveMobile(ctx, tx, rec, &step); err != nil {
		return err
	}
	if err := tx.Emit(ctx, MobilityEnded{Record: rec}, now); err != nil {
		return err
	}
	m.Mobile = false
	return tx.SetMemberMobile(ctx, m.ID, false)
}
