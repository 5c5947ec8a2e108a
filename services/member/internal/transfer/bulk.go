package transfer

import (
	"context"
	"errors"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// A bulk transfer (DOMAIN §2: enterprises being restructured hand over all
// their members at once) is a job: its members are fixed when it starts,
// each with a row that receives its outcome in the transaction that
// transfers or skips the member. A job cut off (the client gone, the
// process stopped) continues with the rows still pending when it is called
// again, and never takes a member twice.
//
// How far a member goes in a job: requested, confirmed on the member's
// behalf — the organisation's decision, with the job's reason, recorded
// as the step's reason and taken by the caller — and released with a
// letter to the destination. The receiving side then receives each member
// as any other transfer: the receipt is that side's act, its to say that
// the member arrived, and its letter expires like any other (the member
// then shows as a pocket member). A job never receives on the receiving
// side's behalf.

// BulkJob is one bulk transfer job.
type BulkJob struct {
	ID             string
	OrganisationID string
	Subtree        bool
	ToOrgID        string // the default destination; "" for each member's residence community
	Reason         string
	Total, Done    int
	CreatedBy      string
	Created        time.Time
	Finished       time.Time
}

// BulkOutcome is the row of one member of a job.
type BulkOutcome struct {
	JobID    string
	Position int
	MemberID string
	// DestinationID is the destination the request named for the member.
	DestinationID string
	Result        string
	TransferID    string
	State         string // the state the transfer reached in the job
	ToOrgID       string
	Reason        string // the code of a skip
	Detail        string
	At            time.Time
}

// The results of a member of a job.
const (
	BulkPending     = "PENDING"
	BulkTransferred = "TRANSFERRED"
	BulkSkipped     = "SKIPPED"
)

// The reasons a member of a job is skipped.
const (
	SkipNotInOrganisation = "NOT_IN_ORGANISATION"
	SkipOpenTransfer      = "OPEN_TRANSFER"
	SkipNoResidence       = "NO_RESIDENCE"
	SkipNoDestination     = "DESTINATION_NOT_FOUND"
	SkipRefuses           = "DESTINATION_REFUSES"
	SkipAlreadyThere      = "ALREADY_THERE"
	SkipRefused           = "REFUSED"
)

// MaxBulkMembers is the most members one job takes.
const MaxBulkMembers = 5000

// The errors of bulk transfers.
var (
	ErrBulkJobNotFound = errs.New(errs.NotFound, "bulk transfer job not found")
	ErrBulkTooLarge    = errs.New(errs.InvalidArgument, "too many members for one job")
	ErrBulkRequestUsed = errs.New(errs.AlreadyExists, "this request id started a job of another organisation")
)

// BulkRequest starts a job (RequestID, OrganisationID, Reason, and what to
// take) or continues one (JobID, or the RequestID that started it).
type BulkRequest struct {
	RequestID, JobID string
	OrganisationID   string
	Subtree          bool
	MemberIDs        []string
	Destinations     map[string]string
	ToOrgID, Reason  string
}

// skip is a member kept out of a job by a rule.
type skip struct{ reason, detail string }

func (s *skip) Error() string { return s.reason + ": " + s.detail }

// skipOf is the skip for reason of a rule's refusal, told by the
// refusal's field violation.
func skipOf(reason string, refusal error) *skip {
	e, _ := errs.As(refusal)
	return &skip{reason, e.Violations[0].Description}
}

// StartBulk returns the job a request names, creating it (with a pending
// row for each of its members) when it is new.
func (s *Service) StartBulk(ctx context.Context, r BulkRequest, a member.Actor) (*BulkJob, error) {
	if r.JobID != "" {
		return s.store.GetBulkJob(ctx, r.JobID)
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	var job *BulkJob
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("bulk_transfer/"+a.Subject, r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &job, tx.BulkJob); err != nil || seen {
			if err == nil && job.OrganisationID != r.OrganisationID {
				return errs.Field(ErrBulkRequestUsed, "request_id", "this request id started a job of another organisation")
			}
			return err
		}
		if _, err := tx.Org(ctx, r.OrganisationID); errors.Is(err, member.ErrOrgNotFound) {
			return errs.Field(member.ErrOrgNotFound, "organisation_id", "no organisation has this id")
		} else if err != nil {
			return err
		}
		ids, err := tx.BulkCandidates(ctx, r.OrganisationID, r.Subtree, r.MemberIDs, MaxBulkMembers)
		if err != nil {
			return err
		}
		if len(ids) > MaxBulkMembers {
			return errs.Detail(ErrBulkTooLarge, "a job takes at most %d members; name them with member_ids in several jobs", MaxBulkMembers)
		}
		in := make(map[string]bool, len(ids))
		for _, id := range ids {
			in[id] = true
		}
		for id := range r.Destinations {
			if !in[id] {
				return errs.Field(member.ErrInvalid, "destinations", "names "+id+", who is not among the job's members")
			}
		}
		now := s.clock.Now()
		job = &BulkJob{ID: member.NewID(), OrganisationID: r.OrganisationID, Subtree: r.Subtree, ToOrgID: r.ToOrgID,
			Reason: r.Reason, Total: len(ids), CreatedBy: a.Subject, Created: now}
		rows := make([]BulkOutcome, len(ids))
		for i, id := range ids {
			rows[i] = BulkOutcome{JobID: job.ID, Position: i, MemberID: id, DestinationID: r.Destinations[id], Result: BulkPending}
		}
		if err := tx.InsertBulkJob(ctx, job, rows); err != nil {
			return err
		}
		if err := tx.Emit(ctx, JobStarted{Job: job}, now); err != nil {
			return err
		}
		return tx.RememberRequest(ctx, key, job.ID)
	})
	return job, err
}

func (r BulkRequest) validate() error {
	v := member.NewValidation()
	if r.RequestID == "" {
		v.Add("request_id", "a job needs a request id, which continues it when called again")
	}
	if r.OrganisationID == "" {
		v.Add("organisation_id", "organisation_id is required")
	}
	if strings.TrimSpace(r.Reason) == "" {
		v.Add("reason", "a bulk transfer is an organisational decision: say what it is")
	}
	return v.Err()
}

// BulkJobOutcomes returns a job and the rows of its members.
func (s *Service) BulkJobOutcomes(ctx context.Context, id string) (*BulkJob, []BulkOutcome, error) {
	job, err := s.store.GetBulkJob(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.store.BulkOutcomes(ctx, id, false)
	return job, rows, err
}

// RunBulk takes the pending members of a job in its order, each in a
// transaction of its own, and reports each outcome with the number of
// members done (done before it started). It stops at the first error that
// is not a rule's (the member stays pending) or when ctx ends; the
// transaction of the last outcome finishes the job.
func (s *Service) RunBulk(ctx context.Context, job *BulkJob, pending []BulkOutcome, done int, a member.Actor,
	report func(o BulkOutcome, done int) error) error {
	for _, p := range pending {
		if err := ctx.Err(); err != nil {
			return err
		}
		o, err := s.bulkOne(ctx, job, p.Position, a)
		if err != nil {
			return err
		}
		done++
		if err := report(*o, done); err != nil {
			return err
		}
	}
	return nil
}

// bulkOne reaches the outcome of the member at position: the transfer, or
// the rule that skips the member. A rule found by a write (the database's
// one open transfer per member, under a race) rolls the transfer back, and
// the skip is recorded in a transaction of its own.
func (s *Service) bulkOne(ctx context.Context, job *BulkJob, position int, a member.Actor) (*BulkOutcome, error) {
	var out *BulkOutcome
	err := s.store.InTx(ctx, func(tx Tx) error {
		o, err := tx.LockBulkMember(ctx, job.ID, position)
		if err != nil || o.Result != BulkPending {
			out = o // another call reached it first
			return err
		}
		err = s.bulkTransfer(ctx, tx, job, o, a)
		var sk *skip
		if errors.As(err, &sk) {
			o.Result, o.Reason, o.Detail = BulkSkipped, sk.reason, sk.detail
			err = nil
		}
		if err != nil {
			return err
		}
		o.At = s.clock.Now()
		out = o
		return saveOutcome(ctx, tx, job, o)
	})
	e, ruled := errs.As(err)
	if err == nil || !ruled || e.Kind == errs.Internal || e.Kind == errs.Unavailable || e.Kind == errs.Aborted {
		return out, err
	}
	reason := SkipRefused
	if errors.Is(err, ErrTransferOpen) {
		reason = SkipOpenTransfer
	}
	err = s.store.InTx(ctx, func(tx Tx) error {
		o, err := tx.LockBulkMember(ctx, job.ID, position)
		if err != nil || o.Result != BulkPending {
			out = o
			return err
		}
		o.Result, o.Reason, o.Detail, o.At = BulkSkipped, reason, e.Error(), s.clock.Now()
		out = o
		return saveOutcome(ctx, tx, job, o)
	})
	return out, err
}

// saveOutcome writes the outcome of a member of a job; a skip is recorded
// (a transfer is, by the records of its steps).
func saveOutcome(ctx context.Context, tx Tx, job *BulkJob, o *BulkOutcome) error {
	if err := tx.SaveBulkOutcome(ctx, o); err != nil || o.Result != BulkSkipped {
		return err
	}
	return tx.Emit(ctx, MemberSkipped{Job: job, Outcome: *o}, o.At)
}

// bulkTransfer opens, confirms and releases the transfer of o's member, or
// returns the skip that keeps the member out.
func (s *Service) bulkTransfer(ctx context.Context, tx Tx, job *BulkJob, o *BulkOutcome, a member.Actor) error {
	m, err := tx.Lock(ctx, o.MemberID)
	if errors.Is(err, member.ErrNotFound) {
		return &skip{SkipNotInOrganisation, "no member has this id"}
	}
	if err != nil {
		return err
	}
	if m.Left != nil {
		return &skip{SkipNotInOrganisation, "the membership has ended"}
	}
	from, err := tx.Org(ctx, m.OrganisationID)
	if err != nil {
		return err
	}
	if m.OrganisationID != job.OrganisationID {
		root, err := tx.Org(ctx, job.OrganisationID)
		if err != nil {
			return err
		}
		if !job.Subtree || !strings.HasPrefix(from.Path, root.Path) {
			return &skip{SkipNotInOrganisation, "the member's relationship does not sit in the organisation"}
		}
	}
	dest := firstOf(o.DestinationID, job.ToOrgID, m.Residence.CommunityID)
	if dest == "" {
		return &skip{SkipNoResidence, "no destination given and no residence community recorded"}
	}
	o.ToOrgID = dest
	if dest == m.OrganisationID {
		return &skip{SkipAlreadyThere, "the member's relationship already sits in the destination"}
	}
	to, err := tx.Org(ctx, dest)
	if errors.Is(err, member.ErrOrgNotFound) {
		return &skip{SkipNoDestination, "no organisation of the city has the destination's id"}
	}
	if err != nil {
		return err
	}
	if err := member.CheckHolds(to, "to_organisation_id"); err != nil {
		return skipOf(SkipRefuses, err)
	}
	if err := noOpenTransfer(ctx, tx, m.ID, "member_id"); errors.Is(err, ErrTransferOpen) {
		return skipOf(SkipOpenTransfer, err)
	} else if err != nil {
		return err
	}
	now := s.clock.Now()
	t := &Transfer{ID: member.NewID(), MemberID: m.ID, FromOrgID: from.ID, ToOrgID: to.ID, FromDistrictID: from.DistrictID,
		ToDistrictID: to.DistrictID, Reason: job.Reason, Created: now}
	if err := s.issueLetter(ctx, tx, t, now); err != nil {
		return err
	}
	by := func(action, state, reason string) Step {
		return Step{State: state, Action: action, ActorSubject: a.Subject, ActorRole: a.Role, Reason: reason, At: now}
	}
	steps := []Step{
		by(ActionRequested, Requested, "bulk transfer "+job.ID+": "+job.Reason),
		by(ActionConfirmed, Confirmed, "confirmed on the member's behalf by the organisation's decision: "+job.Reason),
		by(ActionReleased, Released, "bulk transfer "+job.ID),
	}
	steps[1].OnBehalfOf = m.ID
	steps[2].LetterNumber = t.LetterNumber
	t.State, t.Version, t.Updated, t.Steps = Released, int64(len(steps)), now, steps
	if err := tx.InsertTransferSteps(ctx, t, steps); err != nil {
		return err
	}
	for i := range steps { // each step is published as it would be one by one
		snap := *t
		snap.State, snap.Version, snap.Steps = steps[i].State, int64(i+1), steps[:i+1]
		if steps[i].State != Released {
			snap.LetterNumber, snap.LetterDeadline = "", time.Time{}
		}
		if err := tx.Emit(ctx, Changed{Transfer: &snap}, now); err != nil {
			return err
		}
	}
	o.Result, o.TransferID, o.State = BulkTransferred, t.ID, t.State
	return nil
}

func firstOf(ids ...string) string {
	for _, id := range ids {
		if id != "" {
			return id
		}
	}
	return ""
}
