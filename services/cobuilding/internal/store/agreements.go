package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/meetings"
)

// AgreementStore implements agreements.Store.
type AgreementStore struct{ *Store }

// Agreements is the store of the agreements domain.
func (s *Store) Agreements() AgreementStore { return AgreementStore{s} }

type agreementTx struct{ *txStore }

// InTx implements agreements.Store.
func (s AgreementStore) InTx(ctx context.Context, fn func(agreements.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(agreementTx{t}) })
}

// UnitCommunity implements agreements.Store.
func (s AgreementStore) UnitCommunity(ctx context.Context, unitID string) (string, error) {
	c, err := s.Store.UnitCommunity(ctx, unitID)
	if errors.Is(err, errNoUnit) {
		return "", agreements.ErrNoUnit
	}
	return c, err
}

const agreementColumns = `id::text, community_id::text, unit_id::text, goals, start_date, end_date, community_contact,
	unit_contact, signed_date, state, ended_date, end_reason, renewals, version, coalesce(street_id::text, ''),
	coalesce(district_id::text, ''), created_at, updated_at`

// agreementJSON is an agreement's JSON columns.
type agreementJSON struct{ goals, community, unit []byte }

func scanAgreement(row pgx.Row) (*agreements.Agreement, error) {
	var (
		a     agreements.Agreement
		j     agreementJSON
		ended *time.Time
	)
	err := row.Scan(&a.ID, &a.CommunityID, &a.UnitID, &j.goals, &a.Start, &a.End, &j.community, &j.unit, &a.Signed,
		&a.State, &ended, &a.EndReason, &a.Renewals, &a.Version, &a.StreetID, &a.DistrictID, &a.Created, &a.Updated)
	if err != nil {
		return nil, err
	}
	a.EndedOn, a.Created, a.Updated = dateOrZero(ended), a.Created.UTC(), a.Updated.UTC()
	return &a, errors.Join(json.Unmarshal(j.goals, &a.Goals), json.Unmarshal(j.community, &a.CommunityContact),
		json.Unmarshal(j.unit, &a.UnitContact))
}

func getAgreement(ctx context.Context, q querier, id string, lock bool) (*agreements.Agreement, error) {
	return rowByID(ctx, q, agreementColumns, "agreements", id, lock, scanAgreement, agreements.ErrNotFound)
}

// Get implements agreements.Store.
func (s AgreementStore) Get(ctx context.Context, id string) (*agreements.Agreement, error) {
	return getAgreement(ctx, s.pool, id, false)
}

// timeKey is where a page of newest-first rows ends.
type timeKey struct {
	At time.Time
	ID string
}

// List implements agreements.Store: newest first, keyset pages.
func (s AgreementStore) List(ctx context.Context, f agreements.Filter) ([]*agreements.Agreement, string, error) {
	var after timeKey
	if err := page.Decode(f.PageToken, &after); err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	if f.CommunityID != "" {
		w.Add(`community_id = ?`, f.CommunityID)
	}
	if f.UnitID != "" {
		w.Add(`unit_id = ?`, f.UnitID)
	}
	if f.AncestorID != "" {
		inSubtree(&w, "community_id", f.AncestorID)
	}
	if f.State != "" {
		w.Add(`state = ?`, string(f.State))
	}
	if after.ID != "" {
		w.Add(`(created_at, id) < (?, ?::uuid)`, after.At, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+agreementColumns+` FROM agreements WHERE `+w.SQL()+
		` ORDER BY created_at DESC, id DESC LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*agreements.Agreement, error) { return scanAgreement(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(a *agreements.Agreement) any { return timeKey{a.Created, a.ID} })
	return list, next, nil
}

// Versions implements agreements.Store.
func (s AgreementStore) Versions(ctx context.Context, id string) ([]agreements.Version, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT change, changed_by, snapshot FROM agreement_versions
		WHERE agreement_id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (agreements.Version, error) {
		var (
			v        agreements.Version
			snapshot []byte
		)
		if err := r.Scan(&v.Change, &v.By, &snapshot); err != nil {
			return v, err
		}
		return v, json.Unmarshal(snapshot, &v.Agreement)
	})
}

// Lock implements agreements.Tx.
func (t agreementTx) Lock(ctx context.Context, id string) (*agreements.Agreement, error) {
	return getAgreement(ctx, t.tx, id, true)
}

func agreementArgs(a *agreements.Agreement) ([]any, error) {
	goals, err1 := json.Marshal(a.Goals)
	community, err2 := json.Marshal(a.CommunityContact)
	unit, err3 := json.Marshal(a.UnitContact)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, err
	}
	return []any{a.ID, a.CommunityID, a.UnitID, goals, a.Start, a.End, community, unit, a.Signed, string(a.State),
		nullableTime(a.EndedOn), a.EndReason, a.Renewals, a.Version, nullable(a.StreetID), nullable(a.DistrictID),
		a.Created, a.Updated}, nil
}

// Insert implements agreements.Tx: the agreement, its first version, and
// the community and its county bound to meet from its start.
func (t agreementTx) Insert(ctx context.Context, a *agreements.Agreement, by string) error {
	args, err := agreementArgs(a)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO agreements (id, community_id, unit_id, goals, start_date, end_date,
		community_contact, unit_contact, signed_date, state, ended_date, end_reason, renewals, version, street_id,
		district_id, created_at, updated_at, reports_swept_to)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
			date_trunc('month', $5::date)::date)`, args...)
	if pgdb.IsUniqueViolation(err, "agreements_one_live_per_pair") {
		return errs.Field(agreements.ErrLiveExists, "agreement.unit_id", "the community and the unit already have a live agreement: end it first")
	}
	if err != nil {
		return err
	}
	// The community, and the county (the district) when it has one.
	if _, err := t.tx.Exec(ctx, `INSERT INTO meeting_sweeps (kind, convener_id, district_id, swept_to)
		SELECT k, c, $4::uuid, $5 FROM (VALUES ($1, $2::uuid), ($3, $4::uuid)) AS v(k, c) WHERE c IS NOT NULL
		ON CONFLICT DO NOTHING`,
		string(meetings.CommunityMeeting), a.CommunityID, string(meetings.CountyMeeting), nullable(a.DistrictID), a.Start); err != nil {
		return err
	}
	return t.version(ctx, a, agreements.ChangeSigned, by)
}

// Save implements agreements.Tx.
func (t agreementTx) Save(ctx context.Context, a *agreements.Agreement, change, by string) error {
	args, err := agreementArgs(a)
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `UPDATE agreements SET community_id = $2, unit_id = $3, goals = $4, start_date = $5,
		end_date = $6, community_contact = $7, unit_contact = $8, signed_date = $9, state = $10, ended_date = $11,
		end_reason = $12, renewals = $13, version = $14, street_id = $15, district_id = $16, created_at = $17,
		updated_at = $18 WHERE id = $1`, args...); err != nil {
		return err
	}
	return t.version(ctx, a, change, by)
}

func (t agreementTx) version(ctx context.Context, a *agreements.Agreement, change, by string) error {
	snapshot, err := json.Marshal(a)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO agreement_versions (agreement_id, version, change, changed_by, snapshot, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, a.ID, a.Version, change, by, snapshot, a.Updated)
	return err
}
