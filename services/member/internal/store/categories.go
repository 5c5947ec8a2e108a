package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
)

// schemesLock is the advisory lock key of the category schemes: a change
// of scheme takes it exclusively, a classification shared, so that no
// member is classified by a scheme that is being replaced.
const schemesLock = 0x6d656d636174 // "memcat"

func nullableTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// schemeFor reads the scheme of a district, else the default, else the
// built-in default.
func schemeFor(ctx context.Context, q querier, districtID string) (*member.Scheme, bool, error) {
	scope := districtID
	if scope != member.DefaultScheme && uuid.Validate(scope) != nil {
		scope = member.DefaultScheme
	}
	var (
		s          member.Scheme
		categories []byte
		found      string
	)
	err := q.QueryRow(ctx, `SELECT scope, name, source, categories, updated_at, updated_by FROM category_schemes
		WHERE scope IN ($1, 'default') ORDER BY scope = 'default' LIMIT 1`, scope).
		Scan(&found, &s.Name, &s.Source, &categories, &s.Updated, &s.UpdatedBy)
	if pgdb.IsNoRows(err) {
		d := member.BuiltInDefault
		return &d, districtID != member.DefaultScheme, nil
	}
	if err != nil {
		return nil, false, err
	}
	s.Updated = s.Updated.UTC()
	if err := json.Unmarshal(categories, &s.Categories); err != nil {
		return nil, false, err
	}
	return &s, found != districtID, nil
}

// Scheme implements member.Store.
func (s *Store) Scheme(ctx context.Context, districtID string) (*member.Scheme, bool, error) {
	return schemeFor(ctx, s.pool, districtID)
}

// SchemeFor implements member.Tx.
func (t *txStore) SchemeFor(ctx context.Context, districtID string) (*member.Scheme, bool, error) {
	if _, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, int64(schemesLock)); err != nil {
		return nil, false, err
	}
	return schemeFor(ctx, t.tx, districtID)
}

// LockSchemes implements member.Tx.
func (t *txStore) LockSchemes(ctx context.Context) error {
	_, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(schemesLock))
	return err
}

// SaveScheme implements member.Tx.
func (t *txStore) SaveScheme(ctx context.Context, scope string, s *member.Scheme) error {
	categories, err := json.Marshal(s.Categories)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO category_schemes (scope, name, source, categories, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (scope) DO UPDATE SET name = EXCLUDED.name, source = EXCLUDED.source,
			categories = EXCLUDED.categories, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
		scope, s.Name, s.Source, categories, s.Updated, s.UpdatedBy)
	return err
}

// LockRuleClassified implements member.Tx. The default applies to the
// members of every district without a scheme of its own.
func (t *txStore) LockRuleClassified(ctx context.Context, scope string) ([]*member.Member, error) {
	sql := `SELECT id::text, organisation_id::text, employment_status, birth_date, status, hardship, employer, skills,
			category_code, category_name, mobile
		FROM members m WHERE left_at IS NULL AND NOT category_overridden AND `
	var args []any
	if scope == member.DefaultScheme {
		sql += `NOT EXISTS (SELECT 1 FROM category_schemes s WHERE s.scope = m.district_id::text)`
	} else {
		sql += `district_id = $1`
		args = append(args, scope)
	}
	rows, err := t.tx.Query(ctx, sql+` ORDER BY id FOR UPDATE`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*member.Member, error) {
		var m member.Member
		err := row.Scan(&m.ID, &m.OrganisationID, &m.EmploymentStatus, &m.BirthDate, &m.Status, &m.Hardship,
			&m.Employer, &m.Skills, &m.Category.Code, &m.Category.Name, &m.Mobile)
		return &m, err
	})
}

// SaveCategories implements member.Tx in one statement.
func (t *txStore) SaveCategories(ctx context.Context, changes []member.CategoryChange, at time.Time) error {
	if len(changes) == 0 {
		return nil
	}
	ids, codes, names := make([]string, len(changes)), make([]string, len(changes)), make([]string, len(changes))
	for i, c := range changes {
		ids[i], codes[i], names[i] = c.MemberID, c.New.Code, c.New.Name
	}
	_, err := t.tx.Exec(ctx, `UPDATE members m SET category_code = c.code, category_name = c.name,
			version = m.version + 1, updated_at = $4
		FROM unnest($1::uuid[], $2::text[], $3::text[]) AS c (id, code, name)
		WHERE m.id = c.id`, ids, codes, names, at)
	return err
}

// Composition implements member.Store.
func (s *Store) Composition(ctx context.Context, orgID string, subtree bool) ([]member.CategoryCount, error) {
	if uuid.Validate(orgID) != nil {
		return nil, nil
	}
	if subtree {
		return s.compositionRolledUp(ctx, orgID)
	}
	// The organisation's counters (migration 009), not its members.
	rows, err := s.pool.Query(ctx, `SELECT category_code, min(category_name), sum(n)::bigint FROM member_counts
		WHERE organisation_id = $1 GROUP BY category_code ORDER BY category_code`, orgID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (member.CategoryCount, error) {
		var c member.CategoryCount
		err := row.Scan(&c.Code, &c.Name, &c.Count)
		return c, err
	})
}
