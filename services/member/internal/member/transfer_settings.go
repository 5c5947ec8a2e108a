package member

import (
	"context"
	"strconv"

	"gongjian.dev/pkg/errs"
)

// TransferSettingsUpdated is published when a district sets its transfer
// settings: the settings before and after, and the names of those that
// changed.
type TransferSettingsUpdated struct {
	Before, After TransferSettings
	Changed       []string
}

func (e TransferSettingsUpdated) AggregateID() string { return e.After.DistrictID }

// ErrTransferSettingsEtag refuses an update of settings someone else
// changed since the caller read them.
var ErrTransferSettingsEtag = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH",
	"the transfer settings were changed by someone else; read them again")

// Etag is the version as the API shows it: "0" while inherited.
func (s TransferSettings) Etag() string { return strconv.FormatInt(s.Version, 10) }

// validate checks settings a district sets. A letter is never valid for
// more than three months (DOMAIN §5), so the cap is at most 3; the days
// are at most the 92 of the longest three months, beyond which the cap
// would always cut them.
func (s TransferSettings) validate() error {
	v := NewValidation()
	for _, f := range []struct {
		field    string
		n, most  int
		describe string
	}{
		{"settings.inside_days", s.InsideDays, 92, "1 to 92 days"},
		{"settings.outside_days", s.OutsideDays, 92, "1 to 92 days"},
		{"settings.max_months", s.MaxMonths, 3, "1 to 3 months: a letter is valid three months at most"},
		{"settings.review_months", s.ReviewMonths, 120, "1 to 120 months"},
	} {
		if f.n < 1 || f.n > f.most {
			v.Add(f.field, "%s", f.describe)
		}
	}
	return v.Err()
}

// changed names the settings that differ between s and o, by API name.
func (s TransferSettings) changed(o TransferSettings) []string {
	var out []string
	for _, f := range []struct {
		name string
		a, b int
	}{
		{"inside_days", s.InsideDays, o.InsideDays}, {"outside_days", s.OutsideDays, o.OutsideDays},
		{"max_months", s.MaxMonths, o.MaxMonths}, {"review_months", s.ReviewMonths, o.ReviewMonths},
	} {
		if f.a != f.b {
			out = append(out, f.name)
		}
	}
	return out
}

// TransferSettingsOf returns a district's transfer settings, or the
// defaults (Inherited) when it has set none.
func (s *Service) TransferSettingsOf(ctx context.Context, districtID string) (TransferSettings, error) {
	var out TransferSettings
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := District(ctx, tx, districtID); err != nil {
			return err
		}
		var err error
		out, err = tx.TransferSettings(ctx, districtID)
		out.DistrictID = districtID
		return err
	})
	return out, err
}

// SetTransferSettings sets a district's transfer settings, all four; with
// an etag, only if it is still the settings' version. The letters
// released from then on follow them, and the next sweep; letters already
// released keep their deadline.
func (s *Service) SetTransferSettings(ctx context.Context, ts TransferSettings, etag string, a Actor) (TransferSettings, error) {
	if err := ts.validate(); err != nil {
		return TransferSettings{}, err
	}
	var out TransferSettings
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := District(ctx, tx, ts.DistrictID); err != nil {
			return err
		}
		before, err := tx.TransferSettings(ctx, ts.DistrictID)
		if err != nil {
			return err
		}
		before.DistrictID = ts.DistrictID
		if etag != "" && etag != before.Etag() {
			return ErrTransferSettingsEtag
		}
		out = TransferSettings{InsideDays: ts.InsideDays, OutsideDays: ts.OutsideDays, MaxMonths: ts.MaxMonths,
			ReviewMonths: ts.ReviewMonths, DistrictID: ts.DistrictID, Version: before.Version + 1,
			Updated: s.clock.Now(), UpdatedBy: a.Subject}
		if err := tx.SaveTransferSettings(ctx, out); err != nil {
			return err
		}
		return tx.Emit(ctx, TransferSettingsUpdated{Before: before, After: out, Changed: out.changed(before)})
	})
	return out, err
}
