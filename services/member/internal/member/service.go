package member

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
)

// Service carries out the commands of members and their categories; the
// other sub-domains change a member through it (Classify, Reclassify,
// Recount, Leave…), in their own transactions.
type Service struct {
	store Store
	clock Clock
}

// NewService returns a Service over store. now is the clock (time.Now when
// nil); loc is the city's time zone, which decides what "today" is (UTC
// when nil).
func NewService(store Store, now func() time.Time, loc *time.Location) *Service {
	return &Service{store: store, clock: NewClock(now, loc)}
}

// Clock is the service's clock, which the other sub-domains share.
func (s *Service) Clock() Clock { return s.clock }

// NewID returns a new time-ordered identifier.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// Create registers m in its organisation. A request id seen before returns
// the member it created.
func (s *Service) Create(ctx context.Context, m *Member, requestID string) (*Member, error) {
	// The service names a new member. An id the client sent is not theirs
	// to choose, and must not reach the checks that tell this member from
	// others (the former holders of the number).
	m.ID = ""
	if m.StarRating != 0 {
		return nil, errs.Field(ErrInvalid, "member.star_rating",
			"a star rating is given with its year and reason by AppraisalService.SetStarRating, which keeps its history")
	}
	if err := m.Validate(s.clock.Today()); err != nil {
		return nil, err
	}
	if m.OrganisationID == "" {
		return nil, errs.Field(ErrInvalid, "member.organisation_id", "organisation_id is required")
	}
	var created *Member
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("create_member", requestID)
		if seen, err := replay.Seen(ctx, tx, key, &created, tx.Lock); err != nil || seen {
			return err
		}
		o, err := s.holder(ctx, tx, m.OrganisationID)
		if err != nil {
			return err
		}
		if err := s.checkUnique(ctx, tx, m.NationalID, ""); err != nil {
			return err
		}
		if err := s.CheckFormerHolders(ctx, tx, m); err != nil {
			return err
		}
		now := s.clock.Now()
		m.ID, m.Version, m.Created, m.Updated = NewID(), 1, now, now
		m.DistrictID, m.Path = o.DistrictID, o.Path
		m.Category = Category{}
		if err := s.Classify(ctx, tx, m); err != nil {
			return err
		}
		if err := tx.Insert(ctx, m); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, m.ID); err != nil {
			return err
		}
		created = m
		if err := tx.Emit(ctx, Registered{Member: m}, now); err != nil {
			return err
		}
		return s.Recount(ctx, tx, o.ID, now)
	})
	return created, err
}

// holder locks the organisation a membership is to sit in and checks that
// it may hold one.
func (s *Service) holder(ctx context.Context, tx Tx, orgID string) (*Org, error) {
	o, err := tx.LockOrg(ctx, orgID)
	if errors.Is(err, ErrOrgNotFound) {
		return nil, errs.Field(ErrOrgNotFound, "member.organisation_id", "no organisation has this id")
	}
	if err != nil {
		return nil, err
	}
	return o, CheckHolds(o, "member.organisation_id")
}

// checkUnique refuses a number that a live member other than self already
// has, naming the district that holds it so that the two offices can talk.
func (s *Service) checkUnique(ctx context.Context, tx Tx, nationalID, self string) error {
	other, found, err := tx.LiveHolder(ctx, nationalID)
	if err != nil || !found || other.ID == self {
		return err
	}
	where := "another district"
	if d, err := tx.Org(ctx, other.DistrictID); err == nil && d.Name != "" {
		where = d.Name
	}
	return errs.Fields(errs.Detail(ErrDuplicateID, "the member is registered in %s", where),
		errs.Violation{Field: "member.national_id", Description: "already registered in " + where})
}

// Recount publishes, as of at, the number of members now directly in an
// organisation, counted under the lock of its view row.
func (s *Service) Recount(ctx context.Context, tx Tx, orgID string, at time.Time) error {
	n, err := tx.CountMembers(ctx, orgID)
	if err != nil {
		return err
	}
	return tx.Emit(ctx, CountChanged{OrganisationID: orgID, Count: n}, at)
}

// Get returns a member.
func (s *Service) Get(ctx context.Context, id string) (*Member, error) { return s.store.Get(ctx, id) }

// List pages through members.
func (s *Service) List(ctx context.Context, f ListFilter) ([]*Member, string, error) {
	f.Page = f.Page.Bounded()
	return s.store.List(ctx, f)
}

// updatable lists the fields UpdateMember may change, by API name. The
// organisation is not among them: it changes by a transfer.
var updatable = map[string]func(dst, src *Member){
	"name":              func(d, s *Member) { d.Name = s.Name },
	"sex":               func(d, s *Member) { d.Sex = s.Sex },
	"birth_date":        func(d, s *Member) { d.BirthDate = s.BirthDate },
	"national_id":       func(d, s *Member) { d.NationalID = s.NationalID },
	"phone":             func(d, s *Member) { d.Phone = s.Phone },
	"education":         func(d, s *Member) { d.Education = s.Education },
	"join_date":         func(d, s *Member) { d.JoinDate = s.JoinDate },
	"status":            func(d, s *Member) { d.Status = s.Status },
	"employment_status": func(d, s *Member) { d.EmploymentStatus = s.EmploymentStatus },
	"employer":          func(d, s *Member) { d.Employer = s.Employer },
	"residence":         func(d, s *Member) { d.Residence = s.Residence },
	"skills":            func(d, s *Member) { d.Skills = s.Skills },
	"hardship":          func(d, s *Member) { d.Hardship = s.Hardship },
}

// Update changes the named fields of a member.
func (s *Service) Update(ctx context.Context, patch *Member, fields []string, etag string) (*Member, error) {
	for _, f := range fields {
		if f == "organisation_id" {
			return nil, errs.Field(ErrNotUpdatable, "update_mask", "organisation_id changes by a transfer of the membership relationship")
		}
		if f == "star_rating" {
			return nil, errs.Field(ErrNotUpdatable, "update_mask", "star_rating is set with its year and reason by AppraisalService.SetStarRating, which keeps its history")
		}
		if _, ok := updatable[f]; !ok {
			return nil, errs.Field(ErrNotUpdatable, "update_mask", "cannot update "+f)
		}
	}
	var updated *Member
	err := s.store.InTx(ctx, func(tx Tx) error {
		m, err := tx.Lock(ctx, patch.ID)
		if err != nil {
			return err
		}
		if m.Left != nil {
			return ErrMemberLeft
		}
		if etag != "" && etag != m.Etag() {
			return ErrEtagMismatch
		}
		for _, f := range fields {
			updatable[f](m, patch)
		}
		if err := m.Validate(s.clock.Today()); err != nil {
			return err
		}
		if slices.Contains(fields, "national_id") {
			if err := s.checkUnique(ctx, tx, m.NationalID, m.ID); err != nil {
				return err
			}
			if err := s.CheckFormerHolders(ctx, tx, m); err != nil {
				return err
			}
		}
		updated = m
		return s.Reclassify(ctx, tx, m, fields, s.clock.Now())
	})
	return updated, err
}

// Reclassify classifies a changed member again by its district's scheme,
// advances its version and saves it at now; it publishes Updated naming
// the fields changed (none: the change is the category's only) and
// CategoryChanged when the category moved.
func (s *Service) Reclassify(ctx context.Context, tx Tx, m *Member, changed []string, now time.Time) error {
	old := m.Category
	if err := s.Classify(ctx, tx, m); err != nil {
		return err
	}
	m.Version++
	m.Updated = now
	if err := tx.Save(ctx, m); err != nil {
		return err
	}
	if len(changed) > 0 {
		if err := tx.Emit(ctx, Updated{Member: m, Changed: changed}, now); err != nil {
			return err
		}
	}
	if old.Code == m.Category.Code {
		return nil
	}
	return tx.Emit(ctx, CategoryChanged{Member: m,
		Change: CategoryChange{MemberID: m.ID, OrganisationID: m.OrganisationID, Old: old, New: m.Category}}, now)
}
