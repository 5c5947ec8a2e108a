package store

import (
	"context"
	"embed"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/participation"
)

//go:embed migrations_attendance/*.sql
var attendanceFiles embed.FS

// AttendanceMigrations are the tables of participation in organisation
// life and lost contact, a set of their own (tern numbers a set's files
// without gaps).
var AttendanceMigrations = pgdb.Embedded("member_attendance", attendanceFiles, "migrations_attendance")

// Participation is the store as participation and lost contact see it.
func (s *Store) Participation() participation.Store { return view[participation.Tx]{s} }

// Participation is the bound store as participation sees it.
func (b *BoundStore) Participation() participation.Store { return boundView[participation.Tx]{b} }

var _ participation.Tx = (*txStore)(nil)

// dayKey ends a page of a member's participation, newest first.
type dayKey struct {
	Day string `json:"d"`
	ID  string `json:"i"`
}

func (k dayKey) Valid() bool {
	_, err := time.Parse(time.DateOnly, k.Day)
	return err == nil && page.ID(k.ID)
}

// InsertParticipation implements participation.Tx: one statement for all
// the members an activity named, keeping only those known here, and one
// noting since when their organisations record life by member.
func (t *txStore) InsertParticipation(ctx context.Context, entries []participation.Entry) (present, absent []string, err error) {
	n := len(entries)
	ids, attended := make([]string, n), make([]bool, n)
	kinds, reasons := make([]string, n), make([]string, n)
	for i, e := range entries {
		ids[i], attended[i], kinds[i], reasons[i] = e.MemberID, e.Attended, e.ReasonKind, e.Reason
	}
	a := entries[0]
	rows, err := t.tx.Query(ctx, `WITH named AS (
			SELECT e.id::uuid AS member_id, e.attended, e.kind, e.reason
			FROM unnest($1::text[], $2::boolean[], $3::text[], $4::text[]) AS e(id, attended, kind, reason)),
		kept AS (
			INSERT INTO participation (member_id, activity_id, organisation_id, kind, day, topic, attended,
				absence_reason_kind, absence_reason, recorded_at)
			SELECT m.id, $5, $6, $7, $8, $9, n.attended, n.kind, n.reason, $10
			FROM named n JOIN members m ON m.id = n.member_id
			ON CONFLICT DO NOTHING
			RETURNING member_id, attended),
		since AS (
			INSERT INTO org_life_by_member (organisation_id, since)
			SELECT DISTINCT m.organisation_id, $8::date FROM kept k JOIN members m ON m.id = k.member_id
			ON CONFLICT (organisation_id) DO UPDATE SET since = least(org_life_by_member.since, EXCLUDED.since))
		SELECT member_id::text, attended FROM kept`,
		ids, attended, kinds, reasons, a.ActivityID, a.OrganisationID, a.Kind, a.Date, a.Topic, a.Recorded)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id string
			at bool
		)
		if err := rows.Scan(&id, &at); err != nil {
			return nil, nil, err
		}
		if at {
			present = append(present, id)
		} else {
			absent = append(absent, id)
		}
	}
	return present, absent, rows.Err()
}

const lostContactReturning = `id::text, member_id::text, flagged_at, last_attendance, last_payment, last_contact, cleared_at, coalesce(cleared_by, '')`

func scanLostContact(row pgx.Row) (*participation.LostContact, error) {
	var (
		l             participation.LostContact
		att, pay, con *time.Time
		cleared       *time.Time
	)
	err := row.Scan(&l.ID, &l.MemberID, &l.Flagged, &att, &pay, &con, &cleared, &l.ClearedBy)
	l.Flagged, l.LastAttendance, l.LastPayment, l.LastContact, l.Cleared = l.Flagged.UTC(), utc(att), utc(pay), utc(con), utc(cleared)
	return &l, err
}

// ClearLostContact implements participation.Tx.
func (t *txStore) ClearLostContact(ctx context.Context, memberIDs []string, by string, at time.Time) ([]*participation.LostContact, error) {
	rows, err := t.tx.Query(ctx, `UPDATE lost_contacts l SET cleared_at = $2, cleared_by = $3
		WHERE l.member_id = ANY($1::uuid[]) AND l.cleared_at IS NULL
		RETURNING `+lostContactReturning+`, (SELECT organisation_id::text FROM members m WHERE m.id = l.member_id)`,
		memberIDs, at, by)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*participation.LostContact, error) {
		var org string
		l, err := scanLostContact(tail{row, []any{&org}})
		l.OrganisationID = org
		return l, err
	})
}

// sweepLock is the advisory lock a lost-contact sweep holds for its
// transaction ("lostct").
const sweepLock = 0x6c6f73746374

// FlagLostContact implements participation.Tx: the rule in one statement,
// for the members named, or for all once a day (a day already swept
// sweeps nothing).
// A member is judged only once their organisation records its life by
// member, and each window runs from the latest of their joining, that
// first record and their last fact: attended (participation), paid (the
// dues ledger's payments that stand) and, while mobile, reported (a member report in the contact log, which
// counts within the attendance window). The unique open flag per member
// makes a concurrent sweep's insert of the same member do nothing.
func (t *txStore) FlagLostContact(ctx context.Context, today, at time.Time, zone string, memberIDs []string) ([]*participation.LostContact, bool, error) {
	if memberIDs == nil {
		var ok bool
		if err := t.tx.QueryRow(ctx, `SELECT pg_try_advisory_xact_lock($1)`, sweepLock).Scan(&ok); err != nil || !ok {
			return nil, false, err
		}
		tag, err := t.tx.Exec(ctx, `INSERT INTO lost_contact_sweeps (day, swept_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, today, at)
		if err != nil || tag.RowsAffected() == 0 {
			return nil, false, err
		}
	}
	rows, err := t.tx.Query(ctx, `WITH facts AS (
			SELECT m.id, m.organisation_id, greatest(m.join_date, o.since) AS start,
				coalesce(s.lost_contact_attendance_months, 6) AS attendance_months,
				coalesce(s.lost_contact_dues_months, 6) AS dues_months,
				(SELECT max(p.day) FROM participation p WHERE p.member_id = m.id AND p.attended) AS last_attendance,
				`+lastPayment+` AS last_payment,
				(SELECT max(timezone($3, c.contact_at))::date FROM mobile_records r
					JOIN mobile_contacts c ON c.record_id = r.id AND c.direction = 'MEMBER_REPORT'
					WHERE r.member_id = m.id) AS last_contact
			FROM members m
			JOIN org_life_by_member o ON o.organisation_id = m.organisation_id
			LEFT JOIN dues_settings s ON s.district_id = m.district_id
			WHERE m.left_at IS NULL AND ($4::uuid[] IS NULL OR m.id = ANY($4::uuid[]))
				AND NOT EXISTS (SELECT 1 FROM lost_contacts l WHERE l.member_id = m.id AND l.cleared_at IS NULL)),
		lost AS (
			SELECT * FROM facts f
			WHERE greatest(f.start, f.last_attendance) <= $1::date - make_interval(months => f.attendance_months)
				AND greatest(f.start, f.last_payment) <= $1::date - make_interval(months => f.dues_months)
				AND (f.last_contact IS NULL OR f.last_contact <= $1::date - make_interval(months => f.attendance_months)))
		INSERT INTO lost_contacts (id, member_id, flagged_at, last_attendance, last_payment, last_contact)
		SELECT gen_random_uuid(), id, $2, last_attendance, last_payment, last_contact FROM lost
		ON CONFLICT (member_id) WHERE cleared_at IS NULL DO NOTHING
		RETURNING `+lostContactReturning+`, (SELECT organisation_id::text FROM members m WHERE m.id = member_id)`,
		today, at, zone, memberIDs)
	if err != nil {
		return nil, true, err
	}
	flags, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*participation.LostContact, error) {
		var org string
		l, err := scanLostContact(tail{row, []any{&org}})
		l.OrganisationID = org
		return l, err
	})
	return flags, true, err
}

// lastPayment is the day a member last paid dues that stands (not
// refunded or corrected away), by the dues ledger's function.
const lastPayment = `dues_last_paid_on(m.id)`

// ListParticipation implements participation.Store.
func (s *Store) ListParticipation(ctx context.Context, memberID string, p member.Page) ([]*participation.Entry, string, error) {
	k, err := page.After(p.Token, dayKey{Day: "9999-12-31", ID: "ffffffff-ffff-ffff-ffff-ffffffffffff"})
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT member_id::text, activity_id::text, organisation_id::text, kind, day, topic,
			attended, absence_reason_kind, absence_reason, recorded_at
		FROM participation WHERE member_id = $1 AND (day, activity_id) < ($2::date, $3::uuid)
		ORDER BY day DESC, activity_id DESC LIMIT $4`, memberID, k.Day, k.ID, p.Size+1)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*participation.Entry, error) {
		var e participation.Entry
		err := row.Scan(&e.MemberID, &e.ActivityID, &e.OrganisationID, &e.Kind, &e.Date, &e.Topic, &e.Attended,
			&e.ReasonKind, &e.Reason, &e.Recorded)
		e.Recorded = e.Recorded.UTC()
		return &e, err
	})
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, p.Size, func(e *participation.Entry) any {
		return dayKey{Day: e.Date.Format(time.DateOnly), ID: e.ActivityID}
	})
	return list, next, nil
}

// ListLostContact implements participation.Store: the open flags of live
// members whose relationship sits in the subtree, keyset on (path, id).
func (s *Store) ListLostContact(ctx context.Context, rootID string, p member.Page) ([]*participation.LostContact, string, error) {
	k, err := page.After(p.Token, pathKey{ID: "00000000-0000-0000-0000-000000000000"})
	if err != nil {
		return nil, "", err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+prefixedLost+`, m.name, m.organisation_id::text, m.path
		FROM orgs r JOIN members m ON m.path >= r.path AND m.path < r.path || '~'
		JOIN lost_contacts l ON l.member_id = m.id AND l.cleared_at IS NULL
		WHERE r.id = $1 AND m.left_at IS NULL AND (m.path, m.id) > ($2, $3::uuid)
		ORDER BY m.path, m.id LIMIT $4`, rootID, k.Path, k.ID, p.Size+1)
	if err != nil {
		return nil, "", err
	}
	type row struct {
		l    *participation.LostContact
		path string
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var (
			out             row
			name, org, path string
		)
		l, err := scanLostContact(tail{r, []any{&name, &org, &path}})
		l.Name, l.OrganisationID = name, org
		out.l, out.path = l, path
		return out, err
	})
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, p.Size, func(r row) any { return pathKey{Path: r.path, ID: r.l.MemberID} })
	out := make([]*participation.LostContact, len(list))
	for i, r := range list {
		out[i] = r.l
	}
	return out, next, nil
}

const prefixedLost = `l.id::text, l.member_id::text, l.flagged_at, l.last_attendance, l.last_payment, l.last_contact, l.cleared_at, coalesce(l.cleared_by, '')`

// tail scans a row's leading columns into a scanner's targets and the rest
// into extra.
type tail struct {
	row   pgx.Row
	extra []any
}

func (s tail) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }

// LostContactFlagged implements leaving.Tx.
func (t *txStore) LostContactFlagged(ctx context.Context, memberID string) (time.Time, bool, error) {
	var at time.Time
	err := t.tx.QueryRow(ctx, `SELECT flagged_at FROM lost_contacts WHERE member_id = $1 AND cleared_at IS NULL`, memberID).Scan(&at)
	if pgdb.IsNoRows(err) {
		return time.Time{}, false, nil
	}
	return at.UTC(), err == nil, err
}
