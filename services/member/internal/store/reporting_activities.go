package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/services/member/internal/reporting"
)

// UncountedAttendees implements reporting.Tx. The advisory lock, keyed by
// the activity, queues two counts of one activity (an event and its replay
// under another id) so that the second sees what the first recorded.
func (t *txStore) UncountedAttendees(ctx context.Context, activityID string, memberIDs []string) ([]string, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('joint_activity:' || $1, 0))`, activityID); err != nil {
		return nil, err
	}
	rows, err := t.tx.Query(ctx, `SELECT i.id FROM unnest($2::text[]) WITH ORDINALITY AS i(id, n)
		WHERE NOT EXISTS (SELECT 1 FROM activity_attendances a WHERE a.activity_id = $1 AND a.member_id = i.id)
		ORDER BY i.n`, activityID, memberIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// AttendeesOn implements reporting.Tx: one statement for all the members,
// an id that is no UUID found as no member.
func (t *txStore) AttendeesOn(ctx context.Context, memberIDs []string, day time.Time, prefer []string) ([]reporting.Attendee, error) {
	rows, err := t.tx.Query(ctx, `SELECT i.id, m.id IS NOT NULL, m.left_at IS NOT NULL,
			coalesce(r.id::text, ''), coalesce(r.community_id::text, ''), coalesce(r.kind, '')
		FROM unnest($1::text[]) WITH ORDINALITY AS i(id, n)
		LEFT JOIN members m ON m.id = CASE WHEN i.id ~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
			THEN i.id::uuid END
		LEFT JOIN LATERAL (SELECT r.id, r.community_id, r.kind FROM registrations r
			WHERE r.member_id = m.id AND r.report_date <= $2 AND (r.end_date IS NULL OR r.end_date >= $2)
			ORDER BY r.community_id::text = ANY($3) DESC, r.kind = 'RESIDENCE' DESC, r.report_date DESC LIMIT 1) r ON true
		ORDER BY i.n`, memberIDs, day, prefer)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (reporting.Attendee, error) {
		var (
			a                      reporting.Attendee
			regID, community, kind string
		)
		if err := row.Scan(&a.MemberID, &a.Found, &a.Left, &regID, &community, &kind); err != nil {
			return a, err
		}
		if regID != "" {
			a.Registration = &reporting.Registration{ID: regID, MemberID: a.MemberID, CommunityID: community, Kind: kind}
		}
		return a, nil
	})
}

// InsertActivityEntries implements reporting.Tx: the entries, then the
// attendances that name them, each set in one statement.
func (t *txStore) InsertActivityEntries(ctx context.Context, entries []*reporting.CardEntry, attendances []reporting.Attendance) error {
	if len(entries) > 0 {
		rows := make([][]any, len(entries))
		for i, e := range entries {
			rows[i] = []any{e.ID, e.MemberID, e.CommunityID, e.RegistrationID, e.Kind, e.Date, e.Title, e.Hours,
				e.SourceActivityID, e.RecordedBy, e.Created}
		}
		if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{"card_entries"}, []string{"id", "member_id", "community_id",
			"registration_id", "kind", "date", "title", "hours", "source_activity_id", "recorded_by", "created_at"},
			pgx.CopyFromRows(rows)); err != nil {
			return err
		}
	}
	if len(attendances) == 0 {
		return nil
	}
	rows := make([][]any, len(attendances))
	for i, a := range attendances {
		outcome := "COUNTED"
		if a.Skipped != "" {
			outcome = "SKIPPED"
		}
		rows[i] = []any{a.ActivityID, a.MemberID, outcome, nullable(a.EntryID), a.Skipped, a.Recorded}
	}
	_, err := t.tx.CopyFrom(ctx, pgx.Identifier{"activity_attendances"}, []string{"activity_id", "member_id", "outcome",
		"entry_id", "reason", "recorded_at"}, pgx.CopyFromRows(rows))
	return err
}

// Attendances implements reporting.Store.
func (s *Store) Attendances(ctx context.Context, activityID string) ([]reporting.Attendance, error) {
	rows, err := s.pool.Query(ctx, `SELECT activity_id::text, member_id, coalesce(entry_id::text, ''), reason, recorded_at
		FROM activity_attendances WHERE activity_id::text = $1 ORDER BY member_id`, activityID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (reporting.Attendance, error) {
		var a reporting.Attendance
		err := row.Scan(&a.ActivityID, &a.MemberID, &a.EntryID, &a.Skipped, &a.Recorded)
		a.Recorded = a.Recorded.UTC()
		return a, err
	})
}
