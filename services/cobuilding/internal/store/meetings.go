package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/meetings"
)

// MeetingStore implements meetings.Store.
type MeetingStore struct{ *Store }

// Meetings is the store of the meetings domain.
func (s *Store) Meetings() MeetingStore { return MeetingStore{s} }

type meetingTx struct{ *txStore }

// InTx implements meetings.Store.
func (s MeetingStore) InTx(ctx context.Context, fn func(meetings.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(meetingTx{t}) })
}

const meetingColumns = `id::text, kind, convener_id::text, coalesce(district_id::text, ''), date, title,
	unit_ids::text[], organisation_ids::text[], minutes, version, created_at, updated_at`

func scanMeeting(row pgx.Row) (*meetings.Meeting, error) {
	var m meetings.Meeting
	err := row.Scan(&m.ID, &m.Kind, &m.ConvenerID, &m.DistrictID, &m.Date, &m.Title, &m.UnitIDs, &m.OrganisationIDs,
		&m.Minutes, &m.Version, &m.Created, &m.Updated)
	m.Created, m.Updated = m.Created.UTC(), m.Updated.UTC()
	return &m, err
}

func getMeeting(ctx context.Context, q querier, id string, lock bool) (*meetings.Meeting, error) {
	return rowByID(ctx, q, meetingColumns, "joint_meetings", id, lock, scanMeeting, meetings.ErrNotFound)
}

// Get implements meetings.Store.
func (s MeetingStore) Get(ctx context.Context, id string) (*meetings.Meeting, error) {
	return getMeeting(ctx, s.pool, id, false)
}

// dateKey is where a page of latest-first rows ends.
type dateKey struct {
	Date time.Time
	ID   string
}

// List implements meetings.Store: latest first, keyset pages.
func (s MeetingStore) List(ctx context.Context, f meetings.MeetingFilter) ([]*meetings.Meeting, string, error) {
	var after dateKey
	if err := page.Decode(f.PageToken, &after); err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	if f.ConvenerID != "" {
		w.Add(`convener_id = ?`, f.ConvenerID)
	}
	if f.AncestorID != "" {
		inSubtree(&w, "convener_id", f.AncestorID)
	}
	if f.UnitID != "" {
		w.Add(`unit_ids @> ARRAY[?::uuid]`, f.UnitID)
	}
	if after.ID != "" {
		w.Add(`(date, id) < (?, ?::uuid)`, after.Date, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+meetingColumns+` FROM joint_meetings WHERE `+w.SQL()+
		` ORDER BY date DESC, id DESC LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*meetings.Meeting, error) { return scanMeeting(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(m *meetings.Meeting) any { return dateKey{m.Date, m.ID} })
	return list, next, nil
}

// Lock implements meetings.Tx.
func (t meetingTx) Lock(ctx context.Context, id string) (*meetings.Meeting, error) {
	return getMeeting(ctx, t.tx, id, true)
}

func ids(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Insert implements meetings.Tx.
func (t meetingTx) Insert(ctx context.Context, m *meetings.Meeting) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO joint_meetings (id, kind, convener_id, district_id, date, title, unit_ids,
		organisation_ids, minutes, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7::uuid[], $8::uuid[], $9, $10, $11, $12)`,
		m.ID, string(m.Kind), m.ConvenerID, nullable(m.DistrictID), m.Date, m.Title, ids(m.UnitIDs), ids(m.OrganisationIDs),
		m.Minutes, m.Version, m.Created, m.Updated)
	return err
}

// Save implements meetings.Tx.
func (t meetingTx) Save(ctx context.Context, m *meetings.Meeting) error {
	_, err := t.tx.Exec(ctx, `UPDATE joint_meetings SET title = $2, unit_ids = $3::uuid[], organisation_ids = $4::uuid[],
		minutes = $5, version = $6, updated_at = $7 WHERE id = $1`,
		m.ID, m.Title, ids(m.UnitIDs), ids(m.OrganisationIDs), m.Minutes, m.Version, m.Updated)
	return err
}

const itemColumns = `id::text, meeting_id::text, convener_id::text, coalesce(district_id::text, ''), matter, title,
	coalesce(owner_unit_id::text, ''), coalesce(owner_organisation_id::text, ''), deadline, status, progress,
	send_back_reason, close_note, closed_at, overdue_at, version, created_at, updated_at`

func scanItem(row pgx.Row) (*meetings.Item, error) {
	var (
		it               meetings.Item
		progress         []byte
		closed, overdued *time.Time
	)
	err := row.Scan(&it.ID, &it.MeetingID, &it.ConvenerID, &it.DistrictID, &it.Matter, &it.Title, &it.OwnerUnitID,
		&it.OwnerOrganisationID, &it.Deadline, &it.Status, &progress, &it.SendBackReason, &it.CloseNote, &closed,
		&overdued, &it.Version, &it.Created, &it.Updated)
	if err != nil {
		return nil, err
	}
	it.ClosedAt, it.OverdueAt, it.Created, it.Updated = dateOrZero(closed), dateOrZero(overdued), it.Created.UTC(), it.Updated.UTC()
	return &it, json.Unmarshal(progress, &it.Progress)
}

func getItem(ctx context.Context, q querier, id string, lock bool) (*meetings.Item, error) {
	return rowByID(ctx, q, itemColumns, "ledger_items", id, lock, scanItem, meetings.ErrItemNotFound)
}

// GetItem implements meetings.Store.
func (s MeetingStore) GetItem(ctx context.Context, id string) (*meetings.Item, error) {
	return getItem(ctx, s.pool, id, false)
}

// ListItems implements meetings.Store: earliest deadline first, keyset pages.
func (s MeetingStore) ListItems(ctx context.Context, f meetings.ItemFilter) ([]*meetings.Item, string, error) {
	var after dateKey
	if err := page.Decode(f.PageToken, &after); err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	if f.MeetingID != "" {
		w.Add(`meeting_id = ?`, f.MeetingID)
	}
	if f.ConvenerID != "" {
		w.Add(`convener_id = ?`, f.ConvenerID)
	}
	if f.OwnerUnitID != "" {
		w.Add(`owner_unit_id = ?`, f.OwnerUnitID)
	}
	if f.AncestorID != "" {
		inSubtree(&w, "convener_id", f.AncestorID)
	}
	if f.Status != "" {
		w.Add(`status = ?`, string(f.Status))
	}
	if f.OverdueOnly {
		w.Add(`(overdue_at IS NOT NULL OR (status <> 'CLOSED' AND deadline < ?))`, f.Today)
	}
	if after.ID != "" {
		w.Add(`(deadline, id) > (?, ?::uuid)`, after.Date, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+` FROM ledger_items WHERE `+w.SQL()+
		` ORDER BY deadline, id LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*meetings.Item, error) { return scanItem(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(it *meetings.Item) any { return dateKey{it.Deadline, it.ID} })
	return list, next, nil
}

// LockItem implements meetings.Tx.
func (t meetingTx) LockItem(ctx context.Context, id string) (*meetings.Item, error) {
	return getItem(ctx, t.tx, id, true)
}

func itemArgs(it *meetings.Item) ([]any, error) {
	progress, err := json.Marshal(it.Progress)
	if err != nil {
		return nil, err
	}
	if it.Progress == nil {
		progress = []byte("[]")
	}
	return []any{it.ID, it.MeetingID, it.ConvenerID, nullable(it.DistrictID), it.Matter, it.Title, nullable(it.OwnerUnitID),
		nullable(it.OwnerOrganisationID), it.Deadline, string(it.Status), progress, it.SendBackReason, it.CloseNote,
		nullableTime(it.ClosedAt), it.Version, it.Created, it.Updated}, nil
}

// InsertItem implements meetings.Tx.
func (t meetingTx) InsertItem(ctx context.Context, it *meetings.Item) error {
	args, err := itemArgs(it)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO ledger_items (id, meeting_id, convener_id, district_id, matter, title,
		owner_unit_id, owner_organisation_id, deadline, status, progress, send_back_reason, close_note, closed_at,
		version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)`, args...)
	if pgdb.IsForeignKeyViolation(err, "") {
		return errs.Field(meetings.ErrNoUnit, "ledger_item.owner_unit_id", "no resident unit has this id")
	}
	return err
}

// SaveItem implements meetings.Tx.
func (t meetingTx) SaveItem(ctx context.Context, it *meetings.Item) error {
	args, err := itemArgs(it)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE ledger_items SET meeting_id = $2, convener_id = $3, district_id = $4, matter = $5,
		title = $6, owner_unit_id = $7, owner_organisation_id = $8, deadline = $9, status = $10, progress = $11,
		send_back_reason = $12, close_note = $13, closed_at = $14, version = $15, created_at = $16, updated_at = $17
		WHERE id = $1`, args...)
	return err
}

// MarkOverdue implements meetings.Tx: SKIP LOCKED shares the work among
// replicas; overdue_at, set in this transaction, keeps an item from being
// found twice.
func (t meetingTx) MarkOverdue(ctx context.Context, today time.Time, limit int, now time.Time) ([]*meetings.Item, error) {
	rows, err := t.tx.Query(ctx, `UPDATE ledger_items SET overdue_at = $3 WHERE id IN (
			SELECT id FROM ledger_items WHERE status <> 'CLOSED' AND overdue_at IS NULL AND deadline < $1
			ORDER BY deadline, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING `+itemColumns, today, limit, now)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*meetings.Item, error) { return scanItem(r) })
}

// MarkMissedMeetings implements meetings.Tx in one statement, as
// MarkMissed does for reports: a batch of conveners with closed periods
// not yet swept (SKIP LOCKED), each period in which a live agreement bound
// the convener and it held no meeting recorded once (ON CONFLICT DO
// NOTHING), and the conveners' sweep mark moved to the current period.
func (t meetingTx) MarkMissedMeetings(ctx context.Context, today time.Time, defaults cobuild.Settings, limit int, now time.Time) ([]meetings.Missed, int, error) {
	var (
		taken int
		found []byte
	)
	err := t.tx.QueryRow(ctx, `WITH c AS (
			SELECT w.kind, w.convener_id, w.district_id, w.swept_to, p.months, period_start($1, p.months) AS current_start
			FROM meeting_sweeps w
			LEFT JOIN district_settings s ON s.district_id = w.district_id
			CROSS JOIN LATERAL (SELECT CASE w.kind WHEN 'COMMUNITY' THEN coalesce(s.community_meeting_months, $2)
				ELSE coalesce(s.county_meeting_months, $3) END AS months) p
			WHERE w.swept_to < period_start($1, p.months)
			ORDER BY w.kind, w.convener_id LIMIT $4
			FOR UPDATE OF w SKIP LOCKED),
		p AS (SELECT c.kind, c.convener_id, c.district_id, gs::date AS start,
				(gs + make_interval(months => c.months) - interval '1 day')::date AS stop
			FROM c CROSS JOIN LATERAL generate_series(period_start(c.swept_to, c.months),
				c.current_start - make_interval(months => c.months), make_interval(months => c.months)) gs),
		ins AS (INSERT INTO missed_meetings (kind, convener_id, period_start, period_end, district_id, detected_at)
			SELECT kind, convener_id, start, stop, district_id, $5 FROM p
			WHERE EXISTS (SELECT 1 FROM agreements a
					WHERE (CASE p.kind WHEN 'COMMUNITY' THEN a.community_id ELSE a.district_id END) = p.convener_id
						AND a.start_date <= p.stop AND agreement_last_day(a.state, a.ended_date, a.end_date) >= p.start)
				AND NOT EXISTS (SELECT 1 FROM joint_meetings j
					WHERE j.kind = p.kind AND j.convener_id = p.convener_id AND j.date BETWEEN p.start AND p.stop)
			ON CONFLICT DO NOTHING
			RETURNING kind, convener_id::text AS convener_id, coalesce(district_id::text, '') AS district_id, period_start, period_end),
		upd AS (UPDATE meeting_sweeps w SET swept_to = c.current_start FROM c
			WHERE w.kind = c.kind AND w.convener_id = c.convener_id)
		SELECT (SELECT count(*) FROM c)::int, (SELECT coalesce(jsonb_agg(to_jsonb(ins)), '[]'::jsonb) FROM ins)`,
		today, defaults.CommunityMeetingMonths, defaults.CountyMeetingMonths, limit, now).Scan(&taken, &found)
	if err != nil {
		return nil, 0, err
	}
	var rows []struct {
		Kind        string `json:"kind"`
		ConvenerID  string `json:"convener_id"`
		DistrictID  string `json:"district_id"`
		PeriodStart string `json:"period_start"`
		PeriodEnd   string `json:"period_end"`
	}
	if err := json.Unmarshal(found, &rows); err != nil {
		return nil, 0, err
	}
	out := make([]meetings.Missed, 0, len(rows))
	for _, r := range rows {
		start, err1 := time.Parse(time.DateOnly, r.PeriodStart)
		end, err2 := time.Parse(time.DateOnly, r.PeriodEnd)
		if err1 != nil || err2 != nil {
			return nil, 0, errs.New(errs.Internal, "missed meeting: unreadable dates")
		}
		out = append(out, meetings.Missed{Kind: meetings.Kind(r.Kind), ConvenerID: r.ConvenerID, DistrictID: r.DistrictID,
			Period: cobuild.Period{Start: start, End: end}, Detected: now})
	}
	return out, taken, nil
}
