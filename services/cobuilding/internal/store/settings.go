package store

import (
	"context"
	"time"

	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/settings"
)

// SettingsStore implements settings.Store.
type SettingsStore struct{ *Store }

// Settings is the store of the settings domain.
func (s *Store) SettingsStore() SettingsStore { return SettingsStore{s} }

// InTx implements settings.Store.
func (s SettingsStore) InTx(ctx context.Context, fn func(settings.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(t) })
}

// SaveSettings implements settings.Tx.
func (t *txStore) SaveSettings(ctx context.Context, st cobuild.Settings, at time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO district_settings (district_id, report_due_day, community_meeting_months,
		county_meeting_months, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (district_id) DO UPDATE SET report_due_day = EXCLUDED.report_due_day,
			community_meeting_months = EXCLUDED.community_meeting_months,
			county_meeting_months = EXCLUDED.county_meeting_months, updated_at = EXCLUDED.updated_at`,
		st.DistrictID, st.ReportDueDay, st.CommunityMeetingMonths, st.CountyMeetingMonths, at)
	return err
}
