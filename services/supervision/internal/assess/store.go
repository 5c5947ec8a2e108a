package assess

import (
	"context"
	"time"
)

// Store is what assessment needs of the database.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	Within(ctx context.Context, orgID, rootID string) (bool, error)
	// Covers says whether a group the inspector belongs to covers the organisation.
	Covers(ctx context.Context, inspector, orgID string) (bool, error)
	DistrictOf(ctx context.Context, orgID string) (string, error)
	// Org is an organisation of the view (nil if unknown).
	Org(ctx context.Context, id string) (*Org, error)
	// MemberOrganisation is the organisation of a member as the member
	// service's events told it ("" if unknown).
	MemberOrganisation(ctx context.Context, memberID string) (string, error)
	TaskList(ctx context.Context, id string) (*TaskList, error)
	TaskLists(ctx context.Context, q ListQuery) ([]*TaskList, error)
	Evidence(ctx context.Context, id string) (*Evidence, error)
	EvidenceOf(ctx context.Context, listID string) ([]*Evidence, error)
	DailyEntry(ctx context.Context, id string) (*DailyEntry, error)
	DailyEntries(ctx context.Context, orgIDs []string, from, to time.Time) ([]*DailyEntry, error)
	// Settings are a district's own settings (nil: none set).
	Settings(ctx context.Context, districtID string) (*Settings, error)
	Results(ctx context.Context, q ResultQuery) ([]*Result, error)
	// ResultVersions are every version of a result, the latest first.
	ResultVersions(ctx context.Context, orgID, period string) ([]*Result, error)
	// LatestPeriod is the latest period graded directly below root ("" if none).
	LatestPeriod(ctx context.Context, root string) (string, error)
	// Barred is the finding that bars an organisation from commendation in
	// a year ("" if none).
	Barred(ctx context.Context, orgID string, year int32) (string, error)
	Commendation(ctx context.Context, id string) (*Commendation, error)
	Commendations(ctx context.Context, q CommendationQuery) ([]*Commendation, error)
}

// Tx is what assessment writes in one transaction; each write also writes
// its event and audit record.
type Tx interface {
	RequestSeen(ctx context.Context, key string) (string, bool, error)
	RememberRequest(ctx context.Context, key, id string) error
	// PeriodGraded says whether a district's period is graded.
	PeriodGraded(ctx context.Context, districtID, period string) (bool, error)
	InsertTaskList(ctx context.Context, l *TaskList) error
	LockTaskList(ctx context.Context, id string) (*TaskList, error)
	InsertEvidence(ctx context.Context, l *TaskList, e *Evidence) error
	LockEvidence(ctx context.Context, id string) (*Evidence, error)
	// SaveReview saves a review and its task's score.
	SaveReview(ctx context.Context, l *TaskList, e *Evidence) error
	InsertDailyEntry(ctx context.Context, d *DailyEntry) error
	LockSettings(ctx context.Context, districtID string) (*Settings, error)
	SaveSettings(ctx context.Context, st *Settings) error
	// GradingInputs locks a district's lists of a period and reads what
	// grading them needs.
	GradingInputs(ctx context.Context, districtID string, p Period) (*Grading, error)
	// InsertResults saves the results, marks the lists graded and writes
	// an event and an audit record per result.
	InsertResults(ctx context.Context, districtID, period string, rs []*Result) error
	// LockPeers locks the current results of a period ranked together
	// with an organisation's (its own among them; none if it has none).
	LockPeers(ctx context.Context, orgID, period string) ([]*Result, error)
	// InsertVersions saves the new versions of results (prev are the
	// versions they follow), each with its event and audit record.
	InsertVersions(ctx context.Context, prev, next []*Result) error
	InsertCommendation(ctx context.Context, c *Commendation) error
	LockCommendation(ctx context.Context, id string) (*Commendation, error)
	// LockApproved locks the approved commendations of a year within root.
	LockApproved(ctx context.Context, root string, year int32) ([]*Commendation, error)
	// SaveCommendations saves commendations, with an event and an audit
	// record each.
	SaveCommendations(ctx context.Context, change string, cs ...*Commendation) error
}
