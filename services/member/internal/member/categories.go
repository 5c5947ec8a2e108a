package member

import (
	"context"
	"errors"

	"gongjian.dev/pkg/errs"
)

// CategoryChanged is published when a member's management category
// changes. Member is the member when it was locked whole (a hand override
// or an update), nil in a reclassification by a new scheme.
type CategoryChanged struct {
	Change CategoryChange
	Member *Member
}

func (e CategoryChanged) AggregateID() string { return e.Change.OrganisationID }

// SchemeSet records that the scheme of a district, or the city's default
// (Scope DefaultScheme), was set: it is recorded, not published (the
// reclassifications that follow are).
type SchemeSet struct {
	Scope         string
	Before, After *Scheme
}

// AggregateID is the district.
func (e SchemeSet) AggregateID() string { return e.Scope }

// ClassifierFor compiles the scheme a district classifies by.
func ClassifierFor(ctx context.Context, tx Tx, districtID string) (*Classifier, error) {
	sch, _, err := tx.SchemeFor(ctx, districtID)
	if err != nil {
		return nil, err
	}
	return Compile(*sch, "scheme")
}

// Classify sets m's category by the rules of its district's scheme, unless
// it was set by hand.
func (s *Service) Classify(ctx context.Context, tx Tx, m *Member) error {
	if m.Category.Overridden {
		return nil
	}
	c, err := ClassifierFor(ctx, tx, m.DistrictID)
	if err != nil {
		return err
	}
	cat, _ := c.Classify(m, s.clock.Today())
	m.Category = Category{Code: cat.Code, Name: cat.Name}
	return nil
}

// Scheme returns the scheme a district classifies by (DefaultScheme for
// the city's default) and whether it is inherited from the default.
func (s *Service) Scheme(ctx context.Context, districtID string) (*Scheme, bool, error) {
	return s.store.Scheme(ctx, districtID)
}

// SetScheme sets the scheme of a district, or the city's default
// (DefaultScheme), and reclassifies in the same transaction every member it
// applies to whose category was not set by hand; each change is published.
// It returns the scheme as set and the number of members reclassified.
func (s *Service) SetScheme(ctx context.Context, scope string, sch Scheme, a Actor) (*Scheme, int64, error) {
	c, err := Compile(sch, "scheme")
	if err != nil {
		return nil, 0, err
	}
	var changed int64
	err = s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.LockSchemes(ctx); err != nil {
			return err
		}
		if scope != DefaultScheme {
			o, err := tx.Org(ctx, scope)
			if errors.Is(err, ErrOrgNotFound) {
				return errs.Field(ErrOrgNotFound, "district_id", "no organisation has this id")
			}
			if err != nil {
				return err
			}
			if o.Kind != "DISTRICT" {
				return errs.Field(ErrNotDistrict, "district_id", "a scheme is set for a district")
			}
		}
		before, _, err := tx.SchemeFor(ctx, scope)
		if err != nil {
			return err
		}
		sch.Updated, sch.UpdatedBy = s.clock.Now(), a.Subject
		if err := tx.SaveScheme(ctx, scope, &sch); err != nil {
			return err
		}
		if err := tx.Emit(ctx, SchemeSet{Scope: scope, Before: before, After: &sch}, sch.Updated); err != nil {
			return err
		}
		members, err := tx.LockRuleClassified(ctx, scope)
		if err != nil {
			return err
		}
		today := s.clock.Today()
		var changes []CategoryChange
		for _, m := range members {
			cat, _ := c.Classify(m, today)
			if cat.Code == m.Category.Code && cat.Name == m.Category.Name {
				continue
			}
			changes = append(changes, CategoryChange{MemberID: m.ID, OrganisationID: m.OrganisationID,
				Old: m.Category, New: Category{Code: cat.Code, Name: cat.Name}})
		}
		if err := tx.SaveCategories(ctx, changes, sch.Updated); err != nil {
			return err
		}
		for _, ch := range changes {
			if err := tx.Emit(ctx, CategoryChanged{Change: ch}, sch.Updated); err != nil {
				return err
			}
		}
		changed = int64(len(changes))
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return &sch, changed, nil
}

// OverrideCategory puts a member in a category of its district's scheme by
// hand; the override wins over the rules until cleared.
func (s *Service) OverrideCategory(ctx context.Context, memberID, code, reason string, a Actor) (*Member, error) {
	return s.recategorise(ctx, memberID, func(tx Tx, m *Member) error {
		c, err := ClassifierFor(ctx, tx, m.DistrictID)
		if err != nil {
			return err
		}
		cat, ok := c.Find(code)
		if !ok {
			return errs.Field(ErrUnknownCategory, "category_code", "the scheme "+c.Scheme.Name+" has no category "+code)
		}
		m.Category = Category{Code: cat.Code, Name: cat.Name, Overridden: true, Reason: reason, By: a.Subject, At: s.clock.Now()}
		return nil
	})
}

// ClearCategoryOverride removes a hand override: the rules classify the
// member again.
func (s *Service) ClearCategoryOverride(ctx context.Context, memberID string) (*Member, error) {
	return s.recategorise(ctx, memberID, func(tx Tx, m *Member) error {
		if !m.Category.Overridden {
			return errs.Field(ErrNoOverride, "member_id", "the member's category follows the rules already")
		}
		m.Category = Category{}
		return s.Classify(ctx, tx, m)
	})
}

// recategorise locks a member, changes its category by change, saves it
// and publishes the change.
func (s *Service) recategorise(ctx context.Context, memberID string, change func(Tx, *Member) error) (*Member, error) {
	var out *Member
	err := s.store.InTx(ctx, func(tx Tx) error {
		m, err := Live(tx.Lock(ctx, memberID))
		if err != nil {
			return err
		}
		old := m.Category
		if err := change(tx, m); err != nil {
			return err
		}
		m.Version++
		m.Updated = s.clock.Now()
		if err := tx.Save(ctx, m); err != nil {
			return err
		}
		out = m
		return tx.Emit(ctx, CategoryChanged{Member: m,
			Change: CategoryChange{MemberID: m.ID, OrganisationID: m.OrganisationID, Old: old, New: m.Category}}, m.Updated)
	})
	return out, err
}

// Composition counts the live members of an organisation, or of its
// subtree, per category.
func (s *Service) Composition(ctx context.Context, orgID string, subtree bool) ([]CategoryCount, error) {
	return s.store.Composition(ctx, orgID, subtree)
}
