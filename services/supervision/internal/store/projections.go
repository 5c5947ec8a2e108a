package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// The projections of other services' events, written in the consumer's
// transaction (which records the event in the inbox, so each is applied
// once). An event older than what the row holds changes nothing.

// SaveFounding keeps an organisation's founding date.
func (t *TxStore) SaveFounding(ctx context.Context, orgID string, founded time.Time, at time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO org_facts (id, founding_date, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET founding_date = EXCLUDED.founding_date, updated_at = EXCLUDED.updated_at
		WHERE org_facts.updated_at <= EXCLUDED.updated_at`, orgID, nullTime(founded), at)
	return err
}

// SaveActivity keeps an activity of organisation life; it reports whether
// the activity is new.
func (t *TxStore) SaveActivity(ctx context.Context, id, orgID, kind string, day, at time.Time) (bool, error) {
	tag, err := t.tx.Exec(ctx, `INSERT INTO activities (id, organisation_id, kind, day, recorded_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO NOTHING`, id, orgID, kind, day, at)
	return tag.RowsAffected() == 1, err
}

// SaveInService keeps an in-service member's registration with a community.
func (t *TxStore) SaveInService(ctx context.Context, regID, memberID, communityID, orgID string, since, ended, at time.Time) error {
	// A registration of a member known to have left ends on the leaving
	// day at the latest, whatever order the events came in.
	_, err := t.tx.Exec(ctx, `INSERT INTO in_service (registration_id, member_id, community_id, organisation_id, since, ended, updated_at)
		VALUES ($1, $2, $3, $4, $5,
			coalesce((SELECT least(coalesce($6::date, f.left_on), f.left_on) FROM member_facts f WHERE f.member_id = $2 AND f.left_on IS NOT NULL), $6::date),
			$7)
		ON CONFLICT (registration_id) DO UPDATE SET ended = EXCLUDED.ended, updated_at = EXCLUDED.updated_at
		WHERE in_service.updated_at <= EXCLUDED.updated_at`,
		regID, memberID, communityID, nullable(orgID), since, nullTime(ended), at)
	return err
}

// SaveMember keeps a member's organisation and star rating; stars < 0
// leaves the rating as it is.
func (t *TxStore) SaveMember(ctx context.Context, memberID, orgID string, stars int32, at time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO member_facts (member_id, organisation_id, stars, updated_at)
		VALUES ($1, $2, greatest($3, 0), $4)
		ON CONFLICT (member_id) DO UPDATE SET organisation_id = coalesce(EXCLUDED.organisation_id, member_facts.organisation_id),
			stars = CASE WHEN $3 < 0 THEN member_facts.stars ELSE EXCLUDED.stars END, updated_at = EXCLUDED.updated_at
		WHERE member_facts.updated_at <= EXCLUDED.updated_at`, memberID, nullable(orgID), stars, at)
	return err
}

// SaveMembers keeps members of one organisation at once, as SaveMember
// keeps each with no star rating (a bulk import's arrivals), in one
// statement.
func (t *TxStore) SaveMembers(ctx context.Context, memberIDs []string, orgID string, at time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO member_facts (member_id, organisation_id, stars, updated_at)
		SELECT m, $2, 0, $3 FROM unnest($1::uuid[]) AS m
		ON CONFLICT (member_id) DO UPDATE SET organisation_id = coalesce(EXCLUDED.organisation_id, member_facts.organisation_id),
			stars = EXCLUDED.stars, updated_at = EXCLUDED.updated_at
		WHERE member_facts.updated_at <= EXCLUDED.updated_at`, memberIDs, nullable(orgID), at)
	return err
}

// EndInService ends the live registrations of a member who left, and
// keeps the leaving day for a registration whose event comes after.
func (t *TxStore) EndInService(ctx context.Context, memberID string, on, at time.Time) error {
	b := &pgx.Batch{}
	b.Queue(`UPDATE in_service SET ended = $2, updated_at = $3 WHERE member_id = $1 AND ended IS NULL`, memberID, on, at)
	b.Queue(`INSERT INTO member_facts (member_id, stars, updated_at, left_on) VALUES ($1, 0, '-infinity', $2)
		ON CONFLICT (member_id) DO UPDATE SET left_on = EXCLUDED.left_on`, memberID, on)
	return t.tx.SendBatch(ctx, b).Close()
}

// SaveEventFact keeps a fact that arrived as an event, once per fact,
// subject and period; it reports whether the fact is new.
func (t *TxStore) SaveEventFact(ctx context.Context, fact, subjectID, period, orgID string, vars map[string]any, at time.Time) (bool, error) {
	tag, err := t.tx.Exec(ctx, `INSERT INTO event_facts (fact, subject_id, period, organisation_id, vars, occurred_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`, fact, subjectID, period, nullable(orgID), jsonOf(vars), at)
	return tag.RowsAffected() == 1, err
}

// SaveAttendances keeps, for each member who joined a joint activity on
// day, the latest day they joined one: an activity recorded late never
// moves it back.
func (t *TxStore) SaveAttendances(ctx context.Context, memberIDs []string, day time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO joint_attendance (member_id, last_day)
		SELECT DISTINCT m::uuid, $2::date FROM unnest($1::text[]) AS m
		ON CONFLICT (member_id) DO UPDATE SET last_day = greatest(joint_attendance.last_day, EXCLUDED.last_day)`, memberIDs, day)
	return err
}

// SaveUnitGrade keeps a community's grade of a unit for a year.
func (t *TxStore) SaveUnitGrade(ctx context.Context, unitID, communityID string, year int32, grade, unitName string, at time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO unit_grades (unit_id, community_id, year, grade, unit_name, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (unit_id, community_id, year) DO UPDATE SET grade = EXCLUDED.grade, unit_name = EXCLUDED.unit_name,
			updated_at = EXCLUDED.updated_at
		WHERE unit_grades.updated_at <= EXCLUDED.updated_at`, unitID, communityID, year, grade, unitName, at)
	return err
}
