package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/requests"
)

// RequestStore implements requests.Store.
type RequestStore struct{ *Store }

// Requests is the store of residents' requests.
func (s *Store) Requests() RequestStore { return RequestStore{s} }

type requestTx struct{ *txStore }

// InTx implements requests.Store.
func (s RequestStore) InTx(ctx context.Context, fn func(requests.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(requestTx{t}) })
}

const requestColumns = `id::text, community_id::text, coalesce(district_id::text, ''), kind, channel, title, content,
	resident_name, resident_phone, address, state, handler, received_at, response_due, accepted_at, progress_due,
	first_progress_at, progress, answer, resolved, answered_at, coalesce(satisfaction, ''), rating_comment, rated_at,
	closed_at, response_warned_at, progress_warned_at, received_by, version, updated_at, received_month`

func scanRequest(row pgx.Row) (*requests.Request, error) {
	var (
		r                                                     requests.Request
		handler, progress                                     []byte
		accepted, progressDue, first, answered, rated, closed *time.Time
		responseWarned, progressWarned                        *time.Time
		month                                                 time.Time
	)
	err := row.Scan(&r.ID, &r.CommunityID, &r.DistrictID, &r.Kind, &r.Channel, &r.Title, &r.Content,
		&r.Resident.Name, &r.Resident.Phone, &r.Resident.Address, &r.State, &handler, &r.Received, &r.ResponseDue,
		&accepted, &progressDue, &first, &progress, &r.Answer, &r.Resolved, &answered, &r.Satisfaction, &r.RatingComment,
		&rated, &closed, &responseWarned, &progressWarned, &r.ReceivedBy, &r.Version, &r.Updated, &month)
	if err != nil {
		return nil, err
	}
	r.Month = cobuild.MonthOf(month)
	r.Received, r.ResponseDue, r.Updated = r.Received.UTC(), r.ResponseDue.UTC(), r.Updated.UTC()
	r.Accepted, r.ProgressDue, r.FirstProgress = dateOrZero(accepted), dateOrZero(progressDue), dateOrZero(first)
	r.Answered, r.Rated, r.Closed = dateOrZero(answered), dateOrZero(rated), dateOrZero(closed)
	r.ResponseWarned, r.ProgressWarned = dateOrZero(responseWarned), dateOrZero(progressWarned)
	if handler != nil {
		r.Handler = new(requests.Handler)
		if err := json.Unmarshal(handler, r.Handler); err != nil {
			return nil, err
		}
	}
	return &r, json.Unmarshal(progress, &r.Progress)
}

func getRequest(ctx context.Context, q querier, id string, lock bool) (*requests.Request, error) {
	return rowByID(ctx, q, requestColumns, "service_requests", id, lock, scanRequest, requests.ErrNotFound)
}

// Get implements requests.Store.
func (s RequestStore) Get(ctx context.Context, id string) (*requests.Request, error) {
	r, err := getRequest(ctx, s.pool, id, false)
	if err != nil {
		return nil, err
	}
	return r.WithMaskedResident(), nil
}

// ReadPersonal implements requests.Store: the row and the read record in
// one transaction.
func (s RequestStore) ReadPersonal(ctx context.Context, id string) (*requests.Request, error) {
	var out *requests.Request
	err := pgdb.InTx(ctx, s.pool, func(tx pgx.Tx) (err error) {
		if out, err = getRequest(ctx, tx, id, false); err != nil {
			return err
		}
		return audit.WriteReads(ctx, tx, audit.Entry{Action: audit.ActionRead, SubjectType: "service_request",
			SubjectID: out.ID, OrganisationID: out.CommunityID})
	})
	return out, err
}

// List implements requests.Store: newest first, keyset pages.
func (s RequestStore) List(ctx context.Context, f requests.Filter) ([]*requests.Request, string, error) {
	var after timeKey
	if err := page.Decode(f.PageToken, &after); err != nil {
		return nil, "", err
	}
	if after.ID != "" && !page.ID(after.ID) {
		return nil, "", page.ErrInvalidToken
	}
	var w pgdb.Where
	if f.CommunityID != "" {
		w.Add(`community_id = ?`, f.CommunityID)
	}
	if f.HandlerUnitID != "" {
		w.Add(`handler_unit_id = ?`, f.HandlerUnitID)
	}
	if f.AncestorID != "" {
		inSubtree(&w, "community_id", f.AncestorID)
	}
	if f.State != "" {
		w.Add(`state = ?`, string(f.State))
	}
	if f.Kind != "" {
		w.Add(`kind = ?`, string(f.Kind))
	}
	if f.OverdueOnly {
		w.Add(`(response_warned_at IS NOT NULL OR progress_warned_at IS NOT NULL)`)
	}
	if after.ID != "" {
		w.Add(`(received_at, id) < (?, ?::uuid)`, after.At, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+requestColumns+` FROM service_requests WHERE `+w.SQL()+
		` ORDER BY received_at DESC, id DESC LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*requests.Request, error) {
		x, err := scanRequest(r)
		if err != nil {
			return nil, err
		}
		return x.WithMaskedResident(), nil
	})
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(r *requests.Request) any { return timeKey{r.Received, r.ID} })
	return list, next, nil
}

// Rates implements requests.Store from the counts kept on write: a
// district by its own column, a community by its id, anything else by the
// communities of its subtree.
func (s RequestStore) Rates(ctx context.Context, org cobuild.Place, month cobuild.Month) ([]requests.Rates, error) {
	var w pgdb.Where
	w.Add(`c.month = ?`, month.First())
	switch org.Kind {
	case cobuild.KindDistrict:
		w.Add(`c.district_id = ?`, org.ID)
	case cobuild.KindCommunity:
		w.Add(`c.community_id = ?`, org.ID)
	default:
		inSubtree(&w, "c.community_id", org.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT c.community_id::text, coalesce(o.name, ''), c.received, c.responded, c.answered,
			c.on_time, c.resolved, c.rated, c.satisfied
		FROM service_request_counts c LEFT JOIN orgs o ON o.id = c.community_id
		WHERE `+w.SQL()+` AND c.received > 0
		ORDER BY o.name, c.community_id`, w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (requests.Rates, error) {
		var x requests.Rates
		err := r.Scan(&x.CommunityID, &x.CommunityName, &x.Received, &x.Responded, &x.Answered, &x.OnTime, &x.Resolved,
			&x.Rated, &x.Satisfied)
		return x, err
	})
}

// AddCounts implements requests.Tx.
func (t requestTx) AddCounts(ctx context.Context, r *requests.Request, d requests.Counts) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO service_request_counts AS c (community_id, month, district_id, received, responded,
			answered, on_time, resolved, rated, satisfied) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (community_id, month) DO UPDATE SET received = c.received + EXCLUDED.received,
			responded = c.responded + EXCLUDED.responded, answered = c.answered + EXCLUDED.answered,
			on_time = c.on_time + EXCLUDED.on_time, resolved = c.resolved + EXCLUDED.resolved,
			rated = c.rated + EXCLUDED.rated, satisfied = c.satisfied + EXCLUDED.satisfied`,
		r.CommunityID, r.Month.First(), nullable(r.DistrictID), d.Received, d.Responded, d.Answered, d.OnTime, d.Resolved,
		d.Rated, d.Satisfied)
	return err
}

// Settings implements requests.Store.
func (s RequestStore) Settings(ctx context.Context, districtID string) (requests.Settings, error) {
	st := requests.DefaultSettings
	st.DistrictID = districtID
	if !cobuild.ValidID(districtID) {
		return st, nil
	}
	err := s.pool.QueryRow(ctx, `SELECT response_hours, progress_days FROM service_request_settings WHERE district_id = $1`,
		districtID).Scan(&st.ResponseHours, &st.ProgressDays)
	if pgdb.IsNoRows(err) {
		return st, nil
	}
	st.Inherited = false
	return st, err
}

// UnitExists implements requests.Store.
func (s RequestStore) UnitExists(ctx context.Context, id string) (bool, error) {
	_, err := s.Store.UnitCommunity(ctx, id)
	if err == errNoUnit {
		return false, nil
	}
	return err == nil, err
}

// Lock implements requests.Tx.
func (t requestTx) Lock(ctx context.Context, id string) (*requests.Request, error) {
	return getRequest(ctx, t.tx, id, true)
}

func requestArgs(r *requests.Request) ([]any, error) {
	var handler []byte
	unit := ""
	if r.Handler != nil {
		var err error
		if handler, err = json.Marshal(r.Handler); err != nil {
			return nil, err
		}
		if r.Handler.Kind == requests.ByUnit {
			unit = r.Handler.ID
		}
	}
	progress, err := json.Marshal(r.Progress)
	if err != nil {
		return nil, err
	}
	if r.Progress == nil {
		progress = []byte("[]")
	}
	return []any{r.ID, r.CommunityID, nullable(r.DistrictID), string(r.Kind), string(r.Channel), r.Title, r.Content,
		r.Resident.Name, r.Resident.Phone, r.Resident.Address, string(r.State), handler, nullable(unit), r.Received,
		r.ResponseDue, nullableTime(r.Accepted), nullableTime(r.ProgressDue), nullableTime(r.FirstProgress), progress,
		r.Answer, r.Resolved, nullableTime(r.Answered), nullable(string(r.Satisfaction)), r.RatingComment,
		nullableTime(r.Rated), nullableTime(r.Closed), r.ReceivedBy, r.Version, r.Updated}, nil
}

// Insert implements requests.Tx.
func (t requestTx) Insert(ctx context.Context, r *requests.Request) error {
	args, err := requestArgs(r)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO service_requests (id, community_id, district_id, kind, channel, title, content,
		resident_name, resident_phone, address, state, handler, handler_unit_id, received_at, response_due, accepted_at,
		progress_due, first_progress_at, progress, answer, resolved, answered_at, satisfaction, rating_comment, rated_at,
		closed_at, received_by, version, updated_at, received_month)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
			$24, $25, $26, $27, $28, $29, $30)`, append(args, r.Month.First())...)
	return err
}

// Save implements requests.Tx: what a request's life changes; the
// personal data and the time of receipt never change.
func (t requestTx) Save(ctx context.Context, r *requests.Request) error {
	a, err := requestArgs(r)
	if err != nil {
		return err
	}
	// requestArgs' order: 10 state, 11 handler, 12 handler unit, 15–25 from
	// accepted_at to closed_at, 27 version, 28 updated_at.
	args := append([]any{a[0]}, a[10:13]...)
	args = append(append(args, a[15:26]...), a[27:]...)
	_, err = t.tx.Exec(ctx, `UPDATE service_requests SET state = $2, handler = $3, handler_unit_id = $4,
		accepted_at = $5, progress_due = $6, first_progress_at = $7, progress = $8, answer = $9, resolved = $10,
		answered_at = $11, satisfaction = $12, rating_comment = $13, rated_at = $14, closed_at = $15, version = $16,
		updated_at = $17 WHERE id = $1`,
		args...)
	return err
}

// SaveSettings implements requests.Tx.
func (t requestTx) SaveSettings(ctx context.Context, st requests.Settings, at time.Time) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO service_request_settings (district_id, response_hours, progress_days, updated_at)
		VALUES ($1, $2, $3, $4) ON CONFLICT (district_id) DO UPDATE SET response_hours = EXCLUDED.response_hours,
			progress_days = EXCLUDED.progress_days, updated_at = EXCLUDED.updated_at`,
		st.DistrictID, st.ResponseHours, st.ProgressDays, at)
	return err
}

// MarkOverdue implements requests.Tx: SKIP LOCKED shares the work among
// replicas; the warning's mark, set in this transaction, keeps a request
// from being found twice.
func (t requestTx) MarkOverdue(ctx context.Context, warning string, now time.Time, limit int) ([]*requests.Request, error) {
	sql := `UPDATE service_requests SET response_warned_at = $1 WHERE id IN (
			SELECT id FROM service_requests WHERE response_warned_at IS NULL AND state IN ('RECEIVED', 'ASSIGNED')
				AND response_due < $1 ORDER BY response_due, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING ` + requestColumns
	if warning == requests.NoProgress {
		sql = `UPDATE service_requests SET progress_warned_at = $1 WHERE id IN (
			SELECT id FROM service_requests WHERE progress_warned_at IS NULL AND first_progress_at IS NULL
				AND state = 'ACCEPTED' AND progress_due < $1 ORDER BY progress_due, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING ` + requestColumns
	}
	rows, err := t.tx.Query(ctx, sql, now, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*requests.Request, error) { return scanRequest(r) })
}

// RequestSides are a request's community and the unit handling it, if a
// unit does.
func (s *Store) RequestSides(ctx context.Context, id string) (community, unit string, err error) {
	err = s.lookup(ctx, id, `SELECT community_id::text, coalesce(handler_unit_id::text, '') FROM service_requests WHERE id = $1`,
		&community, &unit)
	return community, unit, err
}
