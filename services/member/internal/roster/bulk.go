package roster

import (
	"context"
	"errors"
	"slices"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
)

// The states of a bulk import job.
const (
	JobReceiving   = "RECEIVING"
	JobRegistering = "REGISTERING"
	JobDone        = "DONE"
	JobFailed      = "FAILED"
)

// Errors of bulk imports.
var (
	// ErrJobNotFound is a job that does not exist (or lies outside the
	// caller's scope).
	ErrJobNotFound = errs.New(errs.NotFound, "no import job has this id")
	// ErrOffset is a chunk past what the job has received: the client
	// resumes from the job's resume offset.
	ErrOffset = errs.WithReason(errs.FailedPrecondition, "OFFSET", "the chunk does not follow what the job has received")
	// ErrJobClosed is a chunk sent to a job that has its whole file.
	ErrJobClosed = errs.New(errs.FailedPrecondition, "the job has received its whole file")
	// ErrJobMoved is a batch staged by a stream that another stream of
	// the same job overtook: the later stream goes on, this one ends.
	ErrJobMoved = errs.New(errs.Aborted, "another upload of this job took the same bytes")
)

// Job is a bulk import: a roster too large for Import, received in
// chunks, staged row by row and registered set-based.
type Job struct {
	ID             string
	OrganisationID string
	// ScopeID is the root of the creator's scope: every row's organisation
	// must lie under it ("" for the whole city).
	ScopeID string
	State   string
	Error   string
	// Encoding ("UTF-8" or "GBK") and Header are learnt from the file's
	// first bytes.
	Encoding string
	Header   []string
	// ReceivedBytes ends the last row staged: the offset to resume from;
	// ReceivedLines is the line it ends on.
	ReceivedBytes, ReceivedLines int64
	RowsReceived, RowsChecked    int64
	RowsRegistered, RowsAlready  int64
	RowsRefused                  int64
	// RegisteredThrough is the last staged row registered, in the order
	// of registration: by organisation, then by Seq.
	RegisteredThrough int64
	// DuplicatesMarked says the rows sharing an ID number were refused.
	DuplicatesMarked bool
	CreatedBy        string
	Created, Updated time.Time
}

// Staged is a row read and checked on its own, ready for the staging
// table: the member as it would be registered (id, category), its
// number to be sealed and hashed by the store, and its problems so far.
type Staged struct {
	Seq, Line int64
	Member    *member.Member
	Problems  []Problem
}

// Arrival is a member a registration batch registered.
type Arrival struct {
	MemberID, OrganisationID, DistrictID, Status, CategoryCode string
}

// BatchResult is what registering a batch of staged rows did.
type BatchResult struct {
	Arrivals                              []Arrival
	Checked, Registered, Already, Refused int64
}

// BulkTx is what registering a batch needs inside its transaction.
type BulkTx interface {
	member.Tx
	// LockJob reads a job, locked.
	LockJob(ctx context.Context, id string) (*Job, error)
	// MarkDuplicates refuses every staged row of the job whose number is
	// on another row, naming the other rows, as Import does.
	MarkDuplicates(ctx context.Context, jobID string) error
	// OrderForRegistration sets the order in which the job's rows are
	// registered: by organisation, then by their place in the file, so
	// that an organisation's arrivals fall in as few batches (and events)
	// as their number allows, however the file mixes them.
	OrderForRegistration(ctx context.Context, jobID string) error
	// RegisterStaged registers the staged rows of a job in (after,
	// through], in the order of registration, set-based, with Import's
	// checks (organisation in scope and able to hold members, the number
	// held live or formerly), each
	// registered member's audit record, and the outcome of every row.
	RegisterStaged(ctx context.Context, job *Job, after, through int64, at time.Time) (BatchResult, error)
	// SaveJob writes a job's state and counts.
	SaveJob(ctx context.Context, job *Job) error
	// CountMembersIn is member.Tx's CountMembers of many organisations.
	CountMembersIn(ctx context.Context, orgIDs []string) (map[string]int64, error)
	// EmitMany emits events as member.Tx's Emit does, in one statement.
	EmitMany(ctx context.Context, evs []member.Event, at time.Time) error
}

// BulkStore is what bulk imports need of the store.
type BulkStore interface {
	// CreateJob writes a new job, or returns the one its request id opened.
	CreateJob(ctx context.Context, job *Job, requestID string) (*Job, error)
	Job(ctx context.Context, id string) (*Job, error)
	// OrgsOf reads the organisations of the view with these ids.
	OrgsOf(ctx context.Context, ids []string) (map[string]*member.Org, error)
	// Classifier is the classifier of a district's scheme.
	Classifier(ctx context.Context, districtID string) (*member.Classifier, error)
	// Stage copies rows into the staging table and saves job (its offset,
	// lines, counts, header) in one transaction, provided the job has
	// received exactly from bytes (else ErrJobMoved).
	Stage(ctx context.Context, job *Job, from int64, rows []Staged) error
	// StagedCount is the number of rows of the job in the staging table
	// (which a crash of the database empties).
	StagedLost(ctx context.Context, job *Job) (bool, error)
	// ResetJob starts a job's file again.
	ResetJob(ctx context.Context, id string) error
	// Rows reads the report of a job's rows after seq after.
	Rows(ctx context.Context, jobID string, refusedOnly bool, after int64, limit int) ([]Row, error)
	InBulkTx(ctx context.Context, fn func(BulkTx) error) error
}

// BulkService runs bulk imports.
type BulkService struct {
	store   BulkStore
	members *member.Service
	clock   member.Clock
	// BatchRows is how many rows are staged, and registered, at a time.
	BatchRows int
	// RegisterRows is how many staged rows one registration transaction
	// takes.
	RegisterRows int
}

// NewBulkService returns a BulkService over store.
func NewBulkService(store BulkStore, members *member.Service) *BulkService {
	return &BulkService{store: store, members: members, clock: members.Clock(), BatchRows: 5000, RegisterRows: 50_000}
}

// CreateJob opens a job importing into orgID (unless rows name another)
// for who, whose scope is scopeID.
func (s *BulkService) CreateJob(ctx context.Context, orgID, scopeID, requestID string, who member.Actor) (*Job, error) {
	now := s.clock.Now()
	job := &Job{ID: member.NewID(), OrganisationID: orgID, ScopeID: scopeID, State: JobReceiving,
		CreatedBy: who.Subject, Created: now, Updated: now}
	return s.store.CreateJob(ctx, job, requestID)
}

// Job reads a job; a job whose staged rows a database crash lost starts
// its file again.
func (s *BulkService) Job(ctx context.Context, id string) (*Job, error) {
	job, err := s.store.Job(ctx, id)
	if err != nil {
		return nil, err
	}
	if job.State != JobReceiving && job.State != JobRegistering {
		return job, nil
	}
	lost, err := s.store.StagedLost(ctx, job)
	if err != nil || !lost {
		return job, err
	}
	if err := s.store.ResetJob(ctx, id); err != nil {
		return nil, err
	}
	return s.store.Job(ctx, id)
}

// Rows reads a page of a job's report.
func (s *BulkService) Rows(ctx context.Context, jobID string, refusedOnly bool, after int64, limit int) ([]Row, error) {
	return s.store.Rows(ctx, jobID, refusedOnly, after, limit)
}

// Register registers the staged rows of a job that has its whole file,
// a batch per transaction, each batch publishing one MembersImported per
// organisation and each organisation's new count. A job interrupted
// (the process ended) goes on from its last batch when called again.
func (s *BulkService) Register(ctx context.Context, jobID string) (*Job, error) {
	for {
		var job *Job
		more := false
		err := s.store.InBulkTx(ctx, func(tx BulkTx) error {
			var err error
			if job, err = tx.LockJob(ctx, jobID); err != nil {
				return err
			}
			if job.State != JobRegistering {
				return nil
			}
			if !job.DuplicatesMarked {
				if err := tx.MarkDuplicates(ctx, job.ID); err != nil {
					return err
				}
				if err := tx.OrderForRegistration(ctx, job.ID); err != nil {
					return err
				}
				job.DuplicatesMarked = true
				more = true
				return tx.SaveJob(ctx, job)
			}
			more, err = s.registerBatch(ctx, tx, job)
			return err
		})
		if err != nil || !more {
			return job, err
		}
	}
}

// registerBatch registers the next batch of a job's staged rows, and
// says whether any are left.
func (s *BulkService) registerBatch(ctx context.Context, tx BulkTx, job *Job) (bool, error) {
	now := s.clock.Now()
	after := job.RegisteredThrough
	through := min(after+int64(s.RegisterRows), job.RowsReceived)
	res, err := tx.RegisterStaged(ctx, job, after, through, now)
	if err != nil {
		return false, err
	}
	if err := s.emitArrivals(ctx, tx, job.ID, res.Arrivals, now); err != nil {
		return false, err
	}
	job.RegisteredThrough = through
	job.RowsChecked += res.Checked
	job.RowsRegistered += res.Registered
	job.RowsAlready += res.Already
	job.RowsRefused += res.Refused
	job.Updated = now
	if through >= job.RowsReceived {
		job.State = JobDone
	}
	return job.State == JobRegistering, tx.SaveJob(ctx, job)
}

// maxArrivalsPerEvent bounds one MembersImported, well under the broker's
// message size.
const maxArrivalsPerEvent = 5000

// emitArrivals publishes the arrivals of a batch, one event per
// organisation (split past maxArrivalsPerEvent), then each
// organisation's new count, in the order of the organisations' ids: the
// counts read, and the events written, in one statement each however
// many organisations the batch reached.
func (s *BulkService) emitArrivals(ctx context.Context, tx BulkTx, jobID string, arrivals []Arrival, at time.Time) error {
	byOrg := map[string][]Arrival{}
	for _, a := range arrivals {
		byOrg[a.OrganisationID] = append(byOrg[a.OrganisationID], a)
	}
	orgs := make([]string, 0, len(byOrg))
	for id := range byOrg {
		orgs = append(orgs, id)
	}
	if len(orgs) == 0 {
		return nil
	}
	slices.Sort(orgs)
	counts, err := tx.CountMembersIn(ctx, orgs)
	if err != nil {
		return err
	}
	evs := make([]member.Event, 0, 2*len(orgs))
	for _, id := range orgs {
		for chunk := range slices.Chunk(byOrg[id], maxArrivalsPerEvent) {
			evs = append(evs, member.Imported{JobID: jobID, OrganisationID: id, DistrictID: chunk[0].DistrictID,
				Members: importedOf(chunk)})
		}
		evs = append(evs, member.CountChanged{OrganisationID: id, Count: counts[id]})
	}
	return tx.EmitMany(ctx, evs, at)
}

func importedOf(as []Arrival) []member.ImportedMember {
	out := make([]member.ImportedMember, len(as))
	for i, a := range as {
		out[i] = member.ImportedMember{ID: a.MemberID, Status: a.Status, CategoryCode: a.CategoryCode}
	}
	return out
}

// isDomain says whether err is one of the domain's own refusals.
func isDomain(err error) bool {
	_, ok := errs.As(err)
	return ok && !errors.Is(err, context.Canceled)
}
