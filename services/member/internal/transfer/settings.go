package transfer

import (
	"context"
	"strconv"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/member/internal/member"
)

// SettingsUpdated is published when a district sets its transfer
// settings: the settings before and after, and the names of those that
// changed.
type SettingsUpdated struct {
	Before, After Settings
	Changed       []string
}

func (e SettingsUpdated) AggregateID() string { return e.After.DistrictID }

// ErrSettingsEtag refuses an update of settings someone else
// changed since the caller read them.
var ErrSettingsEtag = errs.WithReason(errs.FailedPrecondition, "ETAG_MISMATCH",
	"the transfer settings were changed by someone else; read them again")

// Etag is the version as the API shows it: "0" while inherited.
func (s Settings) Etag() string { return strconv.FormatInt(s.Version, 10) }

// validate checks settings a district sets. A letter is never valid for
// more than three months (DOMAIN §5), so the cap is at most 3; the days
// are at most the 92 of the longest three months, beyond which the cap
// would always cut them.
func (s Settings) validate() error {
	v := member.NewValidation()
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
func (s Settings) changed(o Settings) []string {
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

// SettingsOf returns a district's transfer settings, or the
// defaults (Inherited) when it has set none.
func (s *Service) SettingsOf(ctx context.Context, districtID string) (Settings, error) {
	var out Settings
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := member.District(ctx, tx, districtID); err != nil {
			return err
		}
		var err error
		out, err = tx.TransferSettings(ctx, districtID)
		out.DistrictID = districtID
		return err
	})
	return out, err
}

// SetSettings sets a district's transfer settings, all four; with
// an etag, only if it is still the settings' version. The letters
// released from then on follow them, and the next sweep; letters already
// released keep their deadline.
func (s *Service) SetSettings(ctx context.Context, ts Settings, etag string, a member.Actor) (Settings, error) {
	if err := ts.validate(); err != nil {
		return Settings{}, err
	}
	var out Settings
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := member.District(ctx, tx, ts.DistrictID); err != nil {
			return err
		}
		before, err := tx.TransferSettings(ctx, ts.DistrictID)
		if err != nil {
			return err
		}
		before.DistrictID = ts.DistrictID
		if etag != "" && etag != before.Etag() {
			return ErrSettingsEtag
		}
		out = Settings{InsideDays: ts.InsideDays, OutsideDays: ts.OutsideDays, MaxMonths: ts.MaxMonths,
			ReviewMonths: ts.ReviewMonths, DistrictID: ts.DistrictID, Version: before.Version + 1,
			Updated: s.clock.Now(), UpdatedBy: a.Subject}
		if err := tx.SaveTransferSettings(ctx, out); err != nil {
			return err
		}
		return tx.Emit(ctx, SettingsUpdated{Before: before, After: out, Changed: out.changed(before)}, out.Updated)
	})
	return out, err
}
