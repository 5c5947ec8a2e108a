// Package requests keeps the residents' requests of the convenience
// service (便民服务, DOMAIN §3 and §5): enquiries, claim-and-handle (领办),
// handle-on-behalf (代办), home visits (上门) and micro-wishes (微心愿) that a
// member or a team claims. A request is handled as the city service
// hotlines (12345, 接诉即办) handle theirs — received, assigned, accepted,
// handled, answered, rated by the resident, closed — within the district's
// time limits, each passed limit announced once, and measured per
// community and month by its response, on-time, resolution and
// satisfaction rates. The resident's name, phone and address are personal
// data: masked in lists, events and audit snapshots, and read in full only
// with a read record.
package requests

import (
	"context"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Kind is what a resident asks for; the values are the API enum's names
// without the prefix.
type Kind string

// The kinds of request.
const (
	Enquiry        Kind = "ENQUIRY"
	ClaimAndHandle Kind = "CLAIM_AND_HANDLE"
	HandleOnBehalf Kind = "HANDLE_ON_BEHALF"
	HomeVisit      Kind = "HOME_VISIT"
	MicroWish      Kind = "MICRO_WISH"
)

// Kinds are the kinds of request.
var Kinds = []Kind{Enquiry, ClaimAndHandle, HandleOnBehalf, HomeVisit, MicroWish}

// Claimable are the kinds a handler claims rather than is assigned.
var Claimable = []Kind{ClaimAndHandle, MicroWish}

// Channel is how a request came in.
type Channel string

// The channels.
const (
	Counter    Channel = "COUNTER"
	Phone      Channel = "PHONE"
	WeChat     Channel = "WECHAT"
	GridWorker Channel = "GRID_WORKER"
)

// Channels are the channels.
var Channels = []Channel{Counter, Phone, WeChat, GridWorker}

// State is where a request is.
type State string

// The states, in the order a request passes them.
const (
	Received State = "RECEIVED"
	Assigned State = "ASSIGNED"
	Accepted State = "ACCEPTED"
	Answered State = "ANSWERED"
	Rated    State = "RATED"
	Closed   State = "CLOSED"
)

// HandlerKind is who handles a request.
type HandlerKind string

// The kinds of handler.
const (
	ByOrganisation  HandlerKind = "ORGANISATION"
	ByUnit          HandlerKind = "UNIT"
	ByMember        HandlerKind = "MEMBER"
	ByVolunteerTeam HandlerKind = "VOLUNTEER_TEAM"
)

// HandlerKinds are the kinds of handler.
var HandlerKinds = []HandlerKind{ByOrganisation, ByUnit, ByMember, ByVolunteerTeam}

// Handler is who handles a request.
type Handler struct {
	Kind     HandlerKind
	ID, Name string
}

// Satisfaction is the resident's rating.
type Satisfaction string

// The ratings.
const (
	Satisfied          Satisfaction = "SATISFIED"
	BasicallySatisfied Satisfaction = "BASICALLY_SATISFIED"
	Dissatisfied       Satisfaction = "DISSATISFIED"
)

// Resident is the personal data of a request.
type Resident struct {
	Name, Phone, Address string
}

// Progress is one note of what the handler did.
type Progress struct {
	Note, By string
	At       time.Time
}

// Request is a resident's request.
type Request struct {
	ID, CommunityID, DistrictID string
	Kind                        Kind
	Channel                     Channel
	Title, Content              string
	Resident                    Resident
	// Masked is true when Resident holds masked values.
	Masked  bool
	State   State
	Handler *Handler
	// Received is when it came in; ResponseDue when it must be accepted
	// by; Accepted when it was; ProgressDue when progress or the answer
	// is due after acceptance; FirstProgress when the first note came.
	Received, ResponseDue, Accepted, ProgressDue, FirstProgress time.Time
	// Month is the month of receipt in the city's calendar, the month
	// whose rates the request counts in.
	Month         cobuild.Month
	Progress      []Progress
	Answer        string
	Resolved      bool
	Answered      time.Time
	Satisfaction  Satisfaction
	RatingComment string
	Rated, Closed time.Time
	// ResponseWarned and ProgressWarned are when each limit was found
	// passed.
	ResponseWarned, ProgressWarned time.Time
	ReceivedBy                     string
	Version                        int64
	Updated                        time.Time
}

// WithMaskedResident is a copy of r whose personal data is masked.
func (r *Request) WithMaskedResident() *Request {
	c := *r
	if !c.Masked {
		c.Resident = Resident{Name: MaskName(r.Resident.Name), Phone: MaskPhone(r.Resident.Phone), Address: MaskAddress(r.Resident.Address)}
		c.Masked = true
	}
	return &c
}

// MaskName keeps a name's first character: 张三丰 → 张**.
func MaskName(s string) string {
	rs := []rune(strings.TrimSpace(s))
	if len(rs) == 0 {
		return ""
	}
	if len(rs) == 1 {
		return "*"
	}
	return string(rs[0]) + strings.Repeat("*", len(rs)-1)
}

// MaskPhone keeps the first three and the last four digits of a phone of
// eight digits or more (138****5678), the last two of five to seven
// (an extension), nothing of a shorter one.
func MaskPhone(s string) string {
	rs := []rune(s)
	switch {
	case len(rs) == 0:
		return ""
	case len(rs) >= 8:
		return string(rs[:3]) + strings.Repeat("*", len(rs)-7) + string(rs[len(rs)-4:])
	case len(rs) > 4:
		return strings.Repeat("*", len(rs)-2) + string(rs[len(rs)-2:])
	}
	return strings.Repeat("*", len(rs))
}

// MaskAddress keeps an address's first six characters (the estate, not
// the door).
func MaskAddress(s string) string {
	rs := []rune(s)
	if len(rs) <= 6 {
		return strings.Repeat("*", len(rs))
	}
	return string(rs[:6]) + "****"
}

// The changes a request goes through, as its event names them.
const (
	ChangeReceived   = "RECEIVED"
	ChangeAssigned   = "ASSIGNED"
	ChangeClaimed    = "CLAIMED"
	ChangeAccepted   = "ACCEPTED"
	ChangeProgressed = "PROGRESSED"
	ChangeAnswered   = "ANSWERED"
	ChangeRated      = "RATED"
	ChangeClosed     = "CLOSED"
)

// Changed is a request received or changed; Before is nil for a new one.
type Changed struct {
	Request, Before *Request
	Change          string
}

// EventName implements cobuild.Event.
func (Changed) EventName() string { return "service_request_changed" }

// The warnings of the sweeper.
const (
	NoResponse = "NO_RESPONSE"
	NoProgress = "NO_PROGRESS"
)

// Overdue is a request found past a time limit: not accepted within the
// response limit (NoResponse), or accepted and without progress or an
// answer within the progress limit (NoProgress).
type Overdue struct {
	Request *Request
	Warning string
}

// EventName implements cobuild.Event.
func (Overdue) EventName() string { return "service_request_overdue" }

// Due is the limit the request passed.
func (o Overdue) Due() time.Time {
	if o.Warning == NoResponse {
		return o.Request.ResponseDue
	}
	return o.Request.ProgressDue
}

// The errors of requests.
var (
	ErrNotFound     = errs.New(errs.NotFound, "service request not found")
	ErrInvalid      = cobuild.ErrInvalid
	ErrWrongState   = errs.WithReason(errs.FailedPrecondition, "WRONG_STATE", "the request is not in a state that allows this")
	ErrNotClaimable = errs.WithReason(errs.FailedPrecondition, "NOT_CLAIMABLE", "only micro-wishes and claim-and-handle requests are claimed")
	ErrNoHandler    = errs.New(errs.FailedPrecondition, "no such handler")
)

// Filter selects the requests of a list.
type Filter struct {
	CommunityID, AncestorID, HandlerUnitID string
	State                                  State
	Kind                                   Kind
	OverdueOnly                            bool
	PageSize                               int
	PageToken                              string
}

// Store is what requests need of the database.
type Store interface {
	cobuild.Places
	InTx(ctx context.Context, fn func(Tx) error) error
	// Get returns a request with the resident's data masked.
	Get(ctx context.Context, id string) (*Request, error)
	// ReadPersonal returns a request in full, having recorded that the
	// caller read its personal data; a read that cannot be recorded
	// fails.
	ReadPersonal(ctx context.Context, id string) (*Request, error)
	// List lists requests, newest first, the resident's data masked.
	List(ctx context.Context, f Filter) ([]*Request, string, error)
	// Rates sums the counts of month of each community at or below the
	// organisation.
	Rates(ctx context.Context, org cobuild.Place, month cobuild.Month) ([]Rates, error)
	Settings(ctx context.Context, districtID string) (Settings, error)
	// UnitExists reports whether a resident unit has the id.
	UnitExists(ctx context.Context, id string) (bool, error)
}

// Tx is a transaction over requests.
type Tx interface {
	cobuild.Tx
	Lock(ctx context.Context, id string) (*Request, error)
	Insert(ctx context.Context, r *Request) error
	Save(ctx context.Context, r *Request) error
	SaveSettings(ctx context.Context, s Settings, at time.Time) error
	// AddCounts adds d to the counts of r's community and month.
	AddCounts(ctx context.Context, r *Request, d Counts) error
	// MarkOverdue marks up to limit requests past the limit of warning at
	// now (SKIP LOCKED) and returns them.
	MarkOverdue(ctx context.Context, warning string, now time.Time, limit int) ([]*Request, error)
}

// Service holds the rules of requests.
type Service struct {
	store Store
	clock cobuild.Clock
}

// NewService returns the requests service over st.
func NewService(st Store, clock cobuild.Clock) *Service { return &Service{store: st, clock: clock} }

// Get returns a request in full, recording the read of its personal data
// (the transport masks it for callers who may not see it).
func (s *Service) Get(ctx context.Context, id string) (*Request, error) {
	return s.store.ReadPersonal(ctx, id)
}

// List lists requests, the resident's data masked.
func (s *Service) List(ctx context.Context, f Filter) ([]*Request, string, error) {
	return s.store.List(ctx, f)
}

// Create records a request received by the caller by. Its response limit
// is the district's at receipt. A request id seen before returns the
// request it recorded.
func (s *Service) Create(ctx context.Context, r *Request, by, requestID string) (*Request, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	c, err := cobuild.Community(ctx, s.store, "service_request.community_id", r.CommunityID)
	if err != nil {
		return nil, err
	}
	st, err := s.store.Settings(ctx, c.DistrictID)
	if err != nil {
		return nil, err
	}
	var out *Request
	err = s.store.InTx(ctx, func(tx Tx) (err error) {
		out, err = cobuild.Once(ctx, tx, "create_service_request", requestID, func(id string) (*Request, error) { return tx.Lock(ctx, id) }, func() (*Request, string, error) {
			now := s.clock.Now()
			r.ID, r.DistrictID, r.State, r.Handler, r.ReceivedBy, r.Version = cobuild.NewID(), c.DistrictID, Received, nil, by, 1
			r.Received, r.ResponseDue, r.Updated = now, now.Add(time.Duration(st.ResponseHours)*time.Hour), now
			r.Month = cobuild.MonthOf(cobuild.DayOf(now, s.clock.Loc))
			if err := tx.Insert(ctx, r); err != nil {
				return nil, "", err
			}
			if err := tx.AddCounts(ctx, r, r.Counts()); err != nil {
				return nil, "", err
			}
			return r, r.ID, tx.Emit(ctx, Changed{Request: r, Change: ChangeReceived})
		})
		return err
	})
	return out, err
}

// Assign dispatches a received or assigned request to h.
func (s *Service) Assign(ctx context.Context, id string, h Handler) (*Request, error) {
	if err := s.checkHandler(ctx, h); err != nil {
		return nil, err
	}
	return s.change(ctx, id, ChangeAssigned, func(r *Request, _ time.Time) error {
		if r.State != Received && r.State != Assigned {
			return wrongState(r, "assigned")
		}
		r.State, r.Handler = Assigned, &h
		return nil
	})
}

// Accept is the assigned handler taking the request on.
func (s *Service) Accept(ctx context.Context, id string) (*Request, error) {
	return s.change(ctx, id, ChangeAccepted, func(r *Request, now time.Time) error {
		if r.State != Assigned {
			return wrongState(r, "accepted")
		}
		return s.accept(ctx, r, now)
	})
}

// Claim is h claiming a received micro-wish or claim-and-handle request:
// assigned and accepted at once.
func (s *Service) Claim(ctx context.Context, id string, h Handler) (*Request, error) {
	if err := s.checkHandler(ctx, h); err != nil {
		return nil, err
	}
	return s.change(ctx, id, ChangeClaimed, func(r *Request, now time.Time) error {
		if !slices.Contains(Claimable, r.Kind) {
			return errs.Field(ErrNotClaimable, "id", "a "+string(r.Kind)+" request is assigned, not claimed")
		}
		if r.State != Received {
			return wrongState(r, "claimed")
		}
		r.Handler = &h
		return s.accept(ctx, r, now)
	})
}

func (s *Service) accept(ctx context.Context, r *Request, now time.Time) error {
	st, err := s.store.Settings(ctx, r.DistrictID)
	if err != nil {
		return err
	}
	r.State, r.Accepted, r.ProgressDue = Accepted, now, now.AddDate(0, 0, st.ProgressDays)
	return nil
}

// RecordProgress notes what the handler did on an accepted request.
func (s *Service) RecordProgress(ctx context.Context, id, note, by string) (*Request, error) {
	if strings.TrimSpace(note) == "" {
		return nil, errs.Field(ErrInvalid, "note", "required")
	}
	return s.change(ctx, id, ChangeProgressed, func(r *Request, now time.Time) error {
		if r.State != Accepted {
			return wrongState(r, "progressed")
		}
		r.Progress = append(r.Progress, Progress{Note: note, By: by, At: now})
		if r.FirstProgress.IsZero() {
			r.FirstProgress = now
		}
		return nil
	})
}

// Answer gives the resident the result of an accepted request.
func (s *Service) Answer(ctx context.Context, id, answer string, resolved bool) (*Request, error) {
	if strings.TrimSpace(answer) == "" {
		return nil, errs.Field(ErrInvalid, "answer", "required")
	}
	return s.change(ctx, id, ChangeAnswered, func(r *Request, now time.Time) error {
		if r.State != Accepted {
			return wrongState(r, "answered")
		}
		r.State, r.Answer, r.Resolved, r.Answered = Answered, answer, resolved, now
		return nil
	})
}

// Rate records the resident's rating of an answered request.
func (s *Service) Rate(ctx context.Context, id string, sat Satisfaction, comment string) (*Request, error) {
	if sat != Satisfied && sat != BasicallySatisfied && sat != Dissatisfied {
		return nil, errs.Field(ErrInvalid, "satisfaction", "required")
	}
	return s.change(ctx, id, ChangeRated, func(r *Request, now time.Time) error {
		if r.State != Answered {
			return wrongState(r, "rated")
		}
		r.State, r.Satisfaction, r.RatingComment, r.Rated = Rated, sat, comment, now
		return nil
	})
}

// Close closes an answered or rated request.
func (s *Service) Close(ctx context.Context, id string) (*Request, error) {
	return s.change(ctx, id, ChangeClosed, func(r *Request, now time.Time) error {
		if r.State != Answered && r.State != Rated {
			return wrongState(r, "closed")
		}
		r.State, r.Closed = Closed, now
		return nil
	})
}

// change applies fn to the request id in a transaction with its event.
func (s *Service) change(ctx context.Context, id, change string, fn func(*Request, time.Time) error) (*Request, error) {
	var out *Request
	err := s.store.InTx(ctx, func(tx Tx) error {
		r, err := tx.Lock(ctx, id)
		if err != nil {
			return err
		}
		before := *r
		now := s.clock.Now()
		if err := fn(r, now); err != nil {
			return err
		}
		r.Version++
		r.Updated = now
		if err := tx.Save(ctx, r); err != nil {
			return err
		}
		if d := r.Counts().minus(before.Counts()); d != (Counts{}) {
			if err := tx.AddCounts(ctx, r, d); err != nil {
				return err
			}
		}
		out = r
		return tx.Emit(ctx, Changed{Request: r, Before: &before, Change: change})
	})
	return out, err
}

func wrongState(r *Request, what string) error {
	return errs.Field(ErrWrongState, "id", "a request that is "+string(r.State)+" cannot be "+what)
}

func (s *Service) checkHandler(ctx context.Context, h Handler) error {
	v := errs.NewValidation(ErrInvalid)
	if !slices.Contains(HandlerKinds, h.Kind) {
		v.Add("handler.kind", "required: one of %v", HandlerKinds)
	}
	if !cobuild.ValidID(h.ID) {
		v.Add("handler.id", "required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	switch h.Kind {
	case ByUnit:
		ok, err := s.store.UnitExists(ctx, h.ID)
		if err != nil || !ok {
			return orNoHandler(err, "no resident unit has this id")
		}
	case ByOrganisation:
		p, err := s.store.Place(ctx, h.ID)
		if err != nil || !p.Active {
			return orNoHandler(ignoreNoPlace(err), "no active organisation has this id")
		}
	}
	return nil
}

func ignoreNoPlace(err error) error {
	if err == cobuild.ErrNoPlace {
		return nil
	}
	return err
}

func orNoHandler(err error, description string) error {
	if err != nil {
		return err
	}
	return errs.Field(ErrNoHandler, "handler.id", description)
}

func (r *Request) validate() error {
	v := errs.NewValidation(ErrInvalid)
	if r.CommunityID == "" {
		v.Add("service_request.community_id", "required")
	}
	if !slices.Contains(Kinds, r.Kind) {
		v.Add("service_request.kind", "required: one of %v", Kinds)
	}
	if !slices.Contains(Channels, r.Channel) {
		v.Add("service_request.channel", "required: one of %v", Channels)
	}
	if strings.TrimSpace(r.Title) == "" {
		v.Add("service_request.title", "required")
	}
	if strings.TrimSpace(r.Resident.Name) == "" {
		v.Add("service_request.resident_name", "required")
	}
	return v.Err()
}
