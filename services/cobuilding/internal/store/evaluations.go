package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/cobuilding/internal/cobuild"
	"gongjian.dev/services/cobuilding/internal/evaluations"
)

// EvaluationStore implements evaluations.Store.
type EvaluationStore struct{ *Store }

// Evaluations is the store of the two-way evaluation.
func (s *Store) Evaluations() EvaluationStore { return EvaluationStore{s} }

type evaluationTx struct{ *txStore }

// InTx implements evaluations.Store.
func (s EvaluationStore) InTx(ctx context.Context, fn func(evaluations.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(evaluationTx{t}) })
}

// Unit implements evaluations.Store.
func (s EvaluationStore) Unit(ctx context.Context, id string) (evaluations.Unit, error) {
	var u evaluations.Unit
	if !cobuild.ValidID(id) {
		return u, evaluations.ErrNoUnit
	}
	err := s.pool.QueryRow(ctx, `SELECT name, coalesce(party_organisation_id::text, '') FROM resident_units WHERE id = $1`, id).
		Scan(&u.Name, &u.PartyOrganisationID)
	if pgdb.IsNoRows(err) {
		return u, evaluations.ErrNoUnit
	}
	return u, err
}

const evaluationColumns = `e.id::text, e.year, e.direction, e.community_id::text, e.unit_id::text, e.grade, e.comment,
	coalesce(e.district_id::text, ''), e.evaluated_by, e.version, e.created_at, e.updated_at, u.name,
	coalesce(u.party_organisation_id::text, '')`

const evaluationFrom = ` FROM evaluations e JOIN resident_units u ON u.id = e.unit_id`

func scanEvaluation(row pgx.Row) (*evaluations.Evaluation, error) {
	var e evaluations.Evaluation
	err := row.Scan(&e.ID, &e.Year, &e.Direction, &e.CommunityID, &e.UnitID, &e.Grade, &e.Comment, &e.DistrictID, &e.By,
		&e.Version, &e.Created, &e.Updated, &e.UnitName, &e.UnitPartyOrgID)
	e.Created, e.Updated = e.Created.UTC(), e.Updated.UTC()
	return &e, err
}

// Get implements evaluations.Store.
func (s EvaluationStore) Get(ctx context.Context, id string) (*evaluations.Evaluation, error) {
	if !cobuild.ValidID(id) {
		return nil, evaluations.ErrNotFound
	}
	e, err := scanEvaluation(s.pool.QueryRow(ctx, `SELECT `+evaluationColumns+evaluationFrom+` WHERE e.id = $1`, id))
	if pgdb.IsNoRows(err) {
		return nil, evaluations.ErrNotFound
	}
	return e, err
}

// yearKey is where a page of latest-year-first evaluations ends.
type yearKey struct {
	Year int
	ID   string
}

// Valid implements page.Key.
func (k yearKey) Valid() bool { return k.ID == "" || page.ID(k.ID) }

// List implements evaluations.Store: latest year first, keyset pages.
func (s EvaluationStore) List(ctx context.Context, f evaluations.Filter) ([]*evaluations.Evaluation, string, error) {
	after, err := page.After(f.PageToken, yearKey{})
	if err != nil {
		return nil, "", err
	}
	var w pgdb.Where
	if f.Year != 0 {
		w.Add(`e.year = ?`, f.Year)
	}
	if f.Direction != "" {
		w.Add(`e.direction = ?`, string(f.Direction))
	}
	if f.Grade != "" {
		w.Add(`e.grade = ?`, string(f.Grade))
	}
	if f.CommunityID != "" {
		w.Add(`e.community_id = ?`, f.CommunityID)
	}
	if f.UnitID != "" {
		w.Add(`e.unit_id = ?`, f.UnitID)
	}
	if f.AncestorID != "" {
		inSubtree(&w, "e.community_id", f.AncestorID)
	}
	if after.ID != "" {
		w.Add(`(e.year, e.id) < (?, ?::uuid)`, after.Year, after.ID)
	}
	size := page.Size(f.PageSize)
	rows, err := s.pool.Query(ctx, `SELECT `+evaluationColumns+evaluationFrom+` WHERE `+w.SQL()+
		` ORDER BY e.year DESC, e.id DESC LIMIT `+w.Arg(size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*evaluations.Evaluation, error) { return scanEvaluation(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, size, func(e *evaluations.Evaluation) any { return yearKey{e.Year, e.ID} })
	return list, next, nil
}

// HadAgreement implements evaluations.Tx.
func (t evaluationTx) HadAgreement(ctx context.Context, communityID, unitID string, first, last time.Time) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM agreements WHERE community_id = $1 AND unit_id = $2
		AND start_date <= $4 AND agreement_last_day(state, ended_date, end_date) >= $3)`, communityID, unitID, first, last).Scan(&ok)
	return ok, err
}

// Lock implements evaluations.Tx.
func (t evaluationTx) Lock(ctx context.Context, year int, d evaluations.Direction, communityID, unitID string) (*evaluations.Evaluation, error) {
	e, err := scanEvaluation(t.tx.QueryRow(ctx, `SELECT `+evaluationColumns+evaluationFrom+`
		WHERE e.year = $1 AND e.direction = $2 AND e.community_id = $3 AND e.unit_id = $4 FOR UPDATE OF e`,
		year, string(d), communityID, unitID))
	if pgdb.IsNoRows(err) {
		return nil, nil
	}
	return e, err
}

// Insert implements evaluations.Tx.
func (t evaluationTx) Insert(ctx context.Context, e *evaluations.Evaluation) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO evaluations (id, year, direction, community_id, unit_id, grade, comment,
		district_id, evaluated_by, version, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, e.Year, string(e.Direction), e.CommunityID, e.UnitID, string(e.Grade), e.Comment, nullable(e.DistrictID), e.By,
		e.Version, e.Created, e.Updated)
	if pgdb.IsUniqueViolation(err, "evaluations_one_per_pair") {
		return evaluations.ErrConcurrent
	}
	return err
}

// Save implements evaluations.Tx.
func (t evaluationTx) Save(ctx context.Context, e *evaluations.Evaluation) error {
	_, err := t.tx.Exec(ctx, `UPDATE evaluations SET grade = $2, comment = $3, district_id = $4, evaluated_by = $5,
		version = $6, updated_at = $7 WHERE id = $1`,
		e.ID, string(e.Grade), e.Comment, nullable(e.DistrictID), e.By, e.Version, e.Updated)
	return err
}

// EvaluationSides are an evaluation's community and unit.
func (s *Store) EvaluationSides(ctx context.Context, id string) (community, unit string, err error) {
	err = s.lookup(ctx, id, `SELECT community_id::text, unit_id::text FROM evaluations WHERE id = $1`, &community, &unit)
	return community, unit, err
}
