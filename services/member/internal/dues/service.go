package dues

import (
	"context"

	"gongjian.dev/services/member/internal/member"
)

// Tx is what dues need inside a transaction.
type Tx interface {
	member.Tx
	// DuesSettings are a district's bands, or the defaults (Inherited).
	DuesSettings(ctx context.Context, districtID string) (Settings, error)
	// SaveDuesSettings writes a district's settings, whose Version was
	// advanced by one; ErrSettingsEtag when another writer moved them
	// since they were read.
	SaveDuesSettings(ctx context.Context, s Settings) error
	LedgerTx
}

// Store is what dues need of the store.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	LedgerStore
}

// Service quotes dues and keeps the districts' bands.
type Service struct {
	store Store
	clock member.Clock
	// paid is told, in the transaction of a payment, which members paid
	// (a payment counts as contact for lost contact); nil tells no one.
	paid func(ctx context.Context, tx Tx, memberIDs []string) error
}

// OnPayment has fn told, in the transaction of each payment recorded from
// now on, which members paid.
func (s *Service) OnPayment(fn func(ctx context.Context, tx Tx, memberIDs []string) error) {
	s.paid = fn
}

// NewService returns a Service over store on clock.
func NewService(store Store, clock member.Clock) *Service {
	return &Service{store: store, clock: clock}
}

// SettingsUpdated is published when a district sets its dues bands: the
// settings before and after.
type SettingsUpdated struct{ Before, After Settings }

func (e SettingsUpdated) AggregateID() string { return e.After.DistrictID }

// Quote is the monthly dues of an income by a district's bands, or by the
// defaults when districtID is "".
func (s *Service) Quote(ctx context.Context, districtID string, in Income) (Quote, Settings, error) {
	if _, err := Defaults("").Compute(in); err != nil {
		return Quote{}, Settings{}, err // refused before the database is asked
	}
	settings := Defaults("")
	if districtID != "" {
		var err error
		if settings, err = s.SettingsOf(ctx, districtID); err != nil {
			return Quote{}, Settings{}, err
		}
	}
	q, err := settings.Compute(in)
	return q, settings, err
}

// SettingsOf returns a district's dues settings, or the defaults
// (Inherited) when it has set none.
func (s *Service) SettingsOf(ctx context.Context, districtID string) (Settings, error) {
	var out Settings
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := member.District(ctx, tx, districtID); err != nil {
			return err
		}
		var err error
		out, err = tx.DuesSettings(ctx, districtID)
		return err
	})
	return out, err
}

// SetSettings sets a district's dues bands, all of them; with an etag,
// only if it is still the settings' version. Quotes follow them at once.
func (s *Service) SetSettings(ctx context.Context, ds Settings, etag string, a member.Actor) (Settings, error) {
	if err := ds.validate(); err != nil {
		return Settings{}, err
	}
	var out Settings
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := member.District(ctx, tx, ds.DistrictID); err != nil {
			return err
		}
		before, err := tx.DuesSettings(ctx, ds.DistrictID)
		if err != nil {
			return err
		}
		if etag != "" && etag != before.Etag() {
			return ErrSettingsEtag
		}
		out = Settings{InService: ds.InService, Retired: ds.Retired, FixedFen: ds.FixedFen,
			LostContactAttendanceMonths: orDefault(ds.LostContactAttendanceMonths),
			LostContactDuesMonths:       orDefault(ds.LostContactDuesMonths),
			DistrictID:                  ds.DistrictID, Version: before.Version + 1, Updated: s.clock.Now(), UpdatedBy: a.Subject}
		if err := tx.SaveDuesSettings(ctx, out); err != nil {
			return err
		}
		return tx.Emit(ctx, SettingsUpdated{Before: before, After: out}, out.Updated)
	})
	return out, err
}

// orDefault is a lost-contact window as set, 0 meaning the default.
func orDefault(months int32) int32 {
	if months == 0 {
		return DefaultLostContactMonths
	}
	return months
}
