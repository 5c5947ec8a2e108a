// Package settings keeps each district's co-building settings: the day a
// unit's monthly report is due and how often communities and the county's
// coordination committee must hold joint meetings. Where the documents
// disagree (a half year, a quarter) or leave a day open, a district
// decides; a district that did not has the defaults.
package settings

import (
	"context"
	"slices"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Updated is a district's settings changed.
type Updated struct{ Settings cobuild.Settings }

// EventName implements cobuild.Event.
func (Updated) EventName() string { return "settings_updated" }

// Store is what settings need of the database.
type Store interface {
	cobuild.Places
	cobuild.SettingsReader
	InTx(ctx context.Context, fn func(Tx) error) error
}

// Tx is a transaction over settings.
type Tx interface {
	cobuild.Tx
	SaveSettings(ctx context.Context, s cobuild.Settings, at time.Time) error
}

// Service holds the rules of settings.
type Service struct {
	store Store
	clock cobuild.Clock
}

// NewService returns the settings service over st.
func NewService(st Store, clock cobuild.Clock) *Service { return &Service{store: st, clock: clock} }

// Get returns a district's settings, the defaults when it set none.
func (s *Service) Get(ctx context.Context, districtID string) (cobuild.Settings, error) {
	if _, err := cobuild.District(ctx, s.store, "district_id", districtID); err != nil {
		return cobuild.Settings{}, err
	}
	return s.store.Settings(ctx, districtID)
}

// Update sets a district's settings.
func (s *Service) Update(ctx context.Context, in cobuild.Settings) (cobuild.Settings, error) {
	v := errs.NewValidation(cobuild.ErrInvalid)
	if in.ReportDueDay < 1 || in.ReportDueDay > 28 {
		v.Add("settings.report_due_day", "1 to 28, so that every month has it")
	}
	if !slices.Contains(cobuild.MeetingPeriods, in.CommunityMeetingMonths) {
		v.Add("settings.community_meeting_months", "one of %v", cobuild.MeetingPeriods)
	}
	if !slices.Contains(cobuild.MeetingPeriods, in.CountyMeetingMonths) {
		v.Add("settings.county_meeting_months", "one of %v", cobuild.MeetingPeriods)
	}
	if err := v.Err(); err != nil {
		return cobuild.Settings{}, err
	}
	if _, err := cobuild.District(ctx, s.store, "district_id", in.DistrictID); err != nil {
		return cobuild.Settings{}, err
	}
	in.Inherited = false
	err := s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.SaveSettings(ctx, in, s.clock.Now()); err != nil {
			return err
		}
		return tx.Emit(ctx, Updated{Settings: in})
	})
	return in, err
}
