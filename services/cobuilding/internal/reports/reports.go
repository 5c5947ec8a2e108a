// Package reports keeps the monthly reports (按月报到、报告共建情况,
// document 002) each unit with a live agreement owes its community: what
// it did in each area of joint work, with attendance. A month's report is
// due on the district's due day of the next month; a month that closes
// without one is found by the sweeper and announced once; a report filed
// after its due day is taken and marked late. A report for a month that
// has not begun is refused.
package reports

import (
	"context"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Item is what a unit did in one area in the month.
type Item struct {
	Area                                     cobuild.Area
	Text                                     string
	Activities, Attendance, MemberAttendance int
}

// Report is a unit's report of one month to its community.
type Report struct {
	ID, UnitID, CommunityID string
	Month                   cobuild.Month
	Summary                 string
	Items                   []Item
	// AgreementID is the agreement the report is owed under.
	AgreementID string
	// DistrictID is the community's district, whose due day applies.
	DistrictID string
	// Due is the last day it was due; Late says it was filed after.
	Due              time.Time
	Late             bool
	FiledBy          string
	Version          int64
	Created, Updated time.Time
}

// Missed is a month a unit did not report by its due day.
type Missed struct {
	UnitID, CommunityID, DistrictID, AgreementID string
	Month                                        cobuild.Month
	Due                                          time.Time
	// ReportID is the report filed late since, if any.
	ReportID string
	Detected time.Time
}

// Filed is a report filed, or corrected.
type Filed struct {
	Report, Before *Report
}

// EventName implements cobuild.Event.
func (Filed) EventName() string { return "unit_report_filed" }

// MissedEvent announces a missed month, once.
type MissedEvent struct{ Missed Missed }

// EventName implements cobuild.Event.
func (MissedEvent) EventName() string { return "unit_report_missed" }

// The errors of reports.
var (
	ErrNotFound    = errs.New(errs.NotFound, "report not found")
	ErrInvalid     = cobuild.ErrInvalid
	ErrNotBegun    = errs.WithReason(errs.InvalidArgument, "MONTH_NOT_BEGUN", "the month has not begun")
	ErrNoAgreement = errs.WithReason(errs.FailedPrecondition, "NO_AGREEMENT", "no agreement of the unit with the community covers the month")
	ErrDuplicate   = errs.New(errs.AlreadyExists, "the unit already reported this month to the community")
)

// Filter selects the reports (or misses) of a list.
type Filter struct {
	UnitID, CommunityID, AncestorID string
	Month                           string
	LateOnly                        bool
	PageSize                        int
	PageToken                       string
}

// Store is what reports need of the database.
type Store interface {
	cobuild.SettingsReader
	InTx(ctx context.Context, fn func(Tx) error) error
	Get(ctx context.Context, id string) (*Report, error)
	List(ctx context.Context, f Filter) ([]*Report, string, error)
	ListMissed(ctx context.Context, f Filter) ([]Missed, string, error)
}

// Tx is a transaction over reports.
type Tx interface {
	cobuild.Tx
	// Agreement finds the agreement of the unit with the community whose
	// term meets the month: its id and district, or ok false.
	Agreement(ctx context.Context, unitID, communityID string, m cobuild.Month) (id, districtID string, ok bool, err error)
	Lock(ctx context.Context, id string) (*Report, error)
	Insert(ctx context.Context, r *Report) error
	Save(ctx context.Context, r *Report) error
	// MarkMissed takes, in id order after the agreement after ("" for the
	// first), at most limit agreements that no other transaction holds and
	// that have months closed before today not yet swept; records each
	// such month without a report as missed; marks the agreements swept
	// through them; and returns the misses and the last agreement it took
	// ("" when it took none): a month is returned once, ever.
	MarkMissed(ctx context.Context, today time.Time, defaultDueDay, limit int, now time.Time, after string) ([]Missed, string, error)
}

// Service holds the rules of reports.
type Service struct {
	store Store
	clock cobuild.Clock
}

// NewService returns the reports service over st.
func NewService(st Store, clock cobuild.Clock) *Service { return &Service{store: st, clock: clock} }

// Get returns one report.
func (s *Service) Get(ctx context.Context, id string) (*Report, error) { return s.store.Get(ctx, id) }

// List lists reports.
func (s *Service) List(ctx context.Context, f Filter) ([]*Report, string, error) {
	return s.store.List(ctx, f)
}

// ListMissed lists missed months.
func (s *Service) ListMissed(ctx context.Context, f Filter) ([]Missed, string, error) {
	return s.store.ListMissed(ctx, f)
}

// DueDate is the last day the report of month m is due under settings st.
func DueDate(m cobuild.Month, st cobuild.Settings) time.Time {
	return m.Next().First().AddDate(0, 0, st.ReportDueDay-1)
}

// Create files r, by the caller by. A request id seen before returns the
// report it filed.
func (s *Service) Create(ctx context.Context, r *Report, by, requestID string) (*Report, error) {
	today := s.clock.Today()
	if err := r.validate(); err != nil {
		return nil, err
	}
	if today.Before(r.Month.First()) {
		return nil, errs.Field(ErrNotBegun, "unit_report.month", r.Month.String()+" has not begun")
	}
	var out *Report
	err := s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_unit_report", requestID, func(id string) (*Report, error) { return tx.Lock(ctx, id) }, func() (*Report, string, error) {
			err := s.file(ctx, tx, r, by, today) // names r: read r.ID after it
			return r, r.ID, err
		})
		return err
	})
	return out, err
}

// file files r in tx.
func (s *Service) file(ctx context.Context, tx Tx, r *Report, by string, today time.Time) error {
	agreement, district, ok, err := tx.Agreement(ctx, r.UnitID, r.CommunityID, r.Month)
	if err != nil {
		return err
	}
	if !ok {
		return errs.Field(ErrNoAgreement, "unit_report.unit_id", "the unit has no agreement with the community whose term meets "+r.Month.String())
	}
	st, err := s.store.Settings(ctx, district)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	r.ID, r.AgreementID, r.DistrictID, r.FiledBy = cobuild.NewID(), agreement, district, by
	r.Due = DueDate(r.Month, st)
	r.Late = today.After(r.Due)
	r.Version, r.Created, r.Updated = 1, now, now
	if err := tx.Insert(ctx, r); err != nil {
		return err
	}
	return tx.Emit(ctx, Filed{Report: r})
}

// updatable are the fields a correction may name.
var updatable = []string{"summary", "items"}

// Update corrects a report's summary or items; it keeps its filing time
// and lateness.
func (s *Service) Update(ctx context.Context, id string, in *Report, mask []string) (*Report, error) {
	if err := cobuild.CheckMask(mask, updatable); err != nil {
		return nil, err
	}
	var out *Report
	err := s.store.InTx(ctx, func(tx Tx) error {
		r, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		before := *r
		for _, f := range mask {
			switch f {
			case "summary":
				r.Summary = in.Summary
			case "items":
				r.Items = in.Items
			}
		}
		if err := r.validateItems(); err != nil {
			return err
		}
		r.Version++
		r.Updated = s.clock.Now()
		if err := tx.Save(ctx, r); err != nil {
			return err
		}
		out = r
		return tx.Emit(ctx, Filed{Report: r, Before: &before})
	})
	return out, err
}

func (r *Report) validate() error {
	v := errs.NewValidation(ErrInvalid)
	if !cobuild.ValidID(r.UnitID) {
		v.Add("unit_report.unit_id", "required")
	}
	if !cobuild.ValidID(r.CommunityID) {
		v.Add("unit_report.community_id", "required")
	}
	if r.Month == (cobuild.Month{}) {
		v.Add("unit_report.month", "required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return r.validateItems()
}

func (r *Report) validateItems() error {
	v := errs.NewValidation(ErrInvalid)
	if len(r.Items) == 0 {
		v.Add("unit_report.items", "at least one area")
	}
	seen := map[cobuild.Area]bool{}
	for _, it := range r.Items {
		switch {
		case !it.Area.Valid():
			v.Add("unit_report.items.area", "required: one of %v", cobuild.Areas)
		case seen[it.Area]:
			v.Add("unit_report.items.area", "%s twice: one item per area", it.Area)
		case strings.TrimSpace(it.Text) == "":
			v.Add("unit_report.items.text", "required")
		case it.MemberAttendance > it.Attendance:
			v.Add("unit_report.items.member_attendance", "more party members than people who took part")
		}
		seen[it.Area] = true
	}
	return v.Err()
}
