package mobile

import (
	"context"
	"strconv"
	"time"

	"gongjian.dev/pkg/errs"
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

// Sides are the member and the organisations of a mobile record, for
// deciding who may act on it: Owner keeps it, Sides may read it.
type Sides struct {
	MemberID string
	Owner    string
	Sides    []string
}
