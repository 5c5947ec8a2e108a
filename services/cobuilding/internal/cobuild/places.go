package cobuild

import (
	"context"
	"errors"

	"gongjian.dev/pkg/errs"
)

// The kinds of organisation the domain looks for, as the view stores them.
const (
	KindDistrict     = "DISTRICT"
	KindStreet       = "STREET"
	KindCommunity    = "COMMUNITY"
	KindResidentUnit = "RESIDENT_UNIT"
)

// Place is an organisation as the local view of the tree knows it.
type Place struct {
	ID, Kind, Name string
	Active         bool
	// ParentID is the organisation above it, "" for the city.
	ParentID string
	// DistrictID is its district ("" above the districts); a district's
	// own id.
	DistrictID string
}

// Places finds organisations in the local view of the tree.
type Places interface {
	// Place returns the organisation id, or ErrNoPlace.
	Place(ctx context.Context, id string) (Place, error)
}

// ErrNoPlace is an organisation the view does not hold.
var ErrNoPlace = errs.New(errs.FailedPrecondition, "no such organisation")

// Community finds an active community, naming field when id is none.
func Community(ctx context.Context, p Places, field, id string) (Place, error) {
	return placeOfKind(ctx, p, field, id, KindCommunity, "an active community")
}

// District finds an active district, naming field when id is none.
func District(ctx context.Context, p Places, field, id string) (Place, error) {
	return placeOfKind(ctx, p, field, id, KindDistrict, "an active district")
}

func placeOfKind(ctx context.Context, p Places, field, id, kind, what string) (Place, error) {
	pl, err := p.Place(ctx, id)
	if errors.Is(err, ErrNoPlace) {
		return Place{}, fieldError(ErrNoPlace, field, "no organisation has this id")
	}
	if err != nil {
		return Place{}, err
	}
	if pl.Kind != kind || !pl.Active {
		return Place{}, fieldError(ErrWrongPlace, field, "not "+what)
	}
	return pl, nil
}

// ErrWrongPlace is an organisation of the wrong kind, or dissolved.
var ErrWrongPlace = errs.New(errs.FailedPrecondition, "wrong organisation")

func fieldError(sentinel *errs.Error, field, description string) error {
	return errs.Field(sentinel, field, description)
}
