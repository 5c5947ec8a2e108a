package store

import (
	"context"
	"encoding/json"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/supervision/internal/rules"
)

const ruleColumns = `r.id::text, r.code, v.version, v.name, v.fact, v.window_kind, v.window_count, v.condition,
	v.params, v.consequences, v.severity, v.explanation, v.enabled, v.created_at, v.created_by`

func scanRule(row pgx.Row) (*rules.Rule, error) {
	var (
		r              rules.Rule
		window         string
		severity       string
		params, conseq []byte
	)
	err := row.Scan(&r.ID, &r.Code, &r.Version, &r.Name, &r.Fact, &window, &r.WindowCount, &r.Condition,
		&params, &conseq, &severity, &r.Explanation, &r.Enabled, &r.Updated, &r.UpdatedBy)
	if pgdb.IsNoRows(err) {
		return nil, rules.ErrRuleNotFound
	}
	if err != nil {
		return nil, err
	}
	r.Window, r.Severity = rules.Window(window), rules.Severity(severity)
	if r.Params, err = decodeMap(params); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(conseq, &r.Consequences); err != nil {
		return nil, err
	}
	return &r, nil
}

// Rule implements rules.Store.
func (s *Store) Rule(ctx context.Context, id string, version int32) (*rules.Rule, error) {
	if !validUUID(id) {
		return nil, rules.ErrRuleNotFound
	}
	return scanRule(s.pool.QueryRow(ctx, `SELECT `+ruleColumns+` FROM rules r
		JOIN rule_versions v ON v.rule_id = r.id AND v.version = CASE WHEN $2 = 0 THEN r.version ELSE $2 END
		WHERE r.id = $1`, id, version))
}

// Rules implements rules.Store: the current version of every rule.
func (s *Store) Rules(ctx context.Context) ([]*rules.Rule, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+ruleColumns+` FROM rules r
		JOIN rule_versions v ON v.rule_id = r.id AND v.version = r.version ORDER BY r.code`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*rules.Rule, error) { return scanRule(row) })
}

// RuleVersions implements rules.Store.
func (s *Store) RuleVersions(ctx context.Context, id string) ([]*rules.Rule, error) {
	if !validUUID(id) {
		return nil, rules.ErrRuleNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT `+ruleColumns+` FROM rules r
		JOIN rule_versions v ON v.rule_id = r.id WHERE r.id = $1 ORDER BY v.version DESC`, id)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*rules.Rule, error) { return scanRule(row) })
	if err == nil && len(out) == 0 {
		err = rules.ErrRuleNotFound
	}
	return out, err
}

// InsertRule implements rules.Tx.
func (t *TxStore) InsertRule(ctx context.Context, r *rules.Rule) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO rules (id, code, version, updated_at) VALUES ($1, $2, $3, $4)`,
		r.ID, r.Code, r.Version, r.Updated)
	if pgdb.IsUniqueViolation(err, "rules_code_key") {
		return rules.ErrCodeTaken
	}
	if err != nil {
		return err
	}
	return t.insertVersion(ctx, r)
}

// LockRule implements rules.Tx.
func (t *TxStore) LockRule(ctx context.Context, id string) (*rules.Rule, error) {
	if !validUUID(id) {
		return nil, rules.ErrRuleNotFound
	}
	// The rule's row first, then the rule as it stands, in a statement of
	// its own: a statement that waited for the lock of a rule another
	// call changed meanwhile would join the rule's new version number to
	// the version rows of its snapshot, find none and say the rule does
	// not exist.
	var one int
	err := t.tx.QueryRow(ctx, `SELECT 1 FROM rules WHERE id = $1 FOR UPDATE`, id).Scan(&one)
	if pgdb.IsNoRows(err) {
		return nil, rules.ErrRuleNotFound
	}
	if err != nil {
		return nil, err
	}
	return scanRule(t.tx.QueryRow(ctx, `SELECT `+ruleColumns+` FROM rules r
		JOIN rule_versions v ON v.rule_id = r.id AND v.version = r.version
		WHERE r.id = $1`, id))
}

// InsertRuleVersion implements rules.Tx.
func (t *TxStore) InsertRuleVersion(ctx context.Context, r *rules.Rule) error {
	if _, err := t.tx.Exec(ctx, `UPDATE rules SET version = $2, updated_at = $3 WHERE id = $1`, r.ID, r.Version, r.Updated); err != nil {
		return err
	}
	return t.insertVersion(ctx, r)
}

func (t *TxStore) insertVersion(ctx context.Context, r *rules.Rule) error {
	conseq, err := json.Marshal(r.Consequences)
	if err != nil {
		return err
	}
	if r.Consequences == nil {
		conseq = []byte("[]")
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO rule_versions (rule_id, version, name, fact, window_kind, window_count, condition,
			params, consequences, severity, explanation, enabled, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.Version, r.Name, r.Fact, string(r.Window), r.WindowCount, r.Condition, jsonOf(r.Params), conseq,
		string(r.Severity), r.Explanation, r.Enabled, r.Updated, r.UpdatedBy)
	return err
}

const overrideColumns = `rule_id::text, district_id::text, version, params, enabled, created_at, created_by`

func scanOverride(row pgx.Row) (*rules.Override, error) {
	var (
		o      rules.Override
		params []byte
	)
	if err := row.Scan(&o.RuleID, &o.DistrictID, &o.Version, &params, &o.Enabled, &o.Updated, &o.UpdatedBy); err != nil {
		return nil, err
	}
	var err error
	o.Params, err = decodeMap(params)
	return &o, err
}

// Overrides implements rules.Store: the current override of each district.
func (s *Store) Overrides(ctx context.Context, ruleID string) ([]*rules.Override, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (district_id) `+overrideColumns+` FROM rule_overrides
		WHERE rule_id = $1 ORDER BY district_id, version DESC`, ruleID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*rules.Override, error) { return scanOverride(row) })
}

// CurrentOverride implements rules.Tx; nil when the district has none.
func (t *TxStore) CurrentOverride(ctx context.Context, ruleID, districtID string) (*rules.Override, error) {
	o, err := scanOverride(t.tx.QueryRow(ctx, `SELECT `+overrideColumns+` FROM rule_overrides
		WHERE rule_id = $1 AND district_id = $2 ORDER BY version DESC LIMIT 1`, ruleID, districtID))
	if pgdb.IsNoRows(err) {
		return nil, nil
	}
	return o, err
}

// InsertOverride implements rules.Tx.
func (t *TxStore) InsertOverride(ctx context.Context, o *rules.Override) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO rule_overrides (rule_id, district_id, version, params, enabled, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, o.RuleID, o.DistrictID, o.Version, jsonOf(o.Params), o.Enabled, o.Updated, o.UpdatedBy)
	return err
}

// Districts implements rules.Store: the live districts of the view.
func (s *Store) Districts(ctx context.Context) ([]rules.District, error) {
	rows, err := s.pool.Query(ctx, `SELECT id::text, name FROM orgs WHERE kind = 'DISTRICT' AND state = 'ACTIVE' ORDER BY path`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (rules.District, error) {
		var d rules.District
		return d, row.Scan(&d.ID, &d.Name)
	})
}

// DistrictOf implements rules.Store.
func (s *Store) DistrictOf(ctx context.Context, orgID string) (string, error) {
	if !validUUID(orgID) {
		return "", nil
	}
	var d *string
	err := s.pool.QueryRow(ctx, `SELECT CASE WHEN kind = 'DISTRICT' THEN id::text ELSE district_id::text END
		FROM orgs WHERE id = $1`, orgID).Scan(&d)
	if pgdb.IsNoRows(err) || d == nil {
		return "", nil
	}
	return *d, err
}

const findingColumns = `id::text, rule_id::text, rule_code, rule_version, coalesce(district_id::text, ''),
	coalesce(organisation_id::text, ''), subject_type, subject_id, period, facts, params, severity, explanation, created_at`

func scanFinding(row pgx.Row) (*rules.Finding, error) {
	var (
		f             rules.Finding
		facts, params []byte
		severity      string
	)
	err := row.Scan(&f.ID, &f.RuleID, &f.RuleCode, &f.RuleVersion, &f.DistrictID, &f.OrganisationID, &f.SubjectType,
		&f.SubjectID, &f.Period, &facts, &params, &severity, &f.Explanation, &f.Created)
	if pgdb.IsNoRows(err) {
		return nil, rules.ErrFindingNotFound
	}
	if err != nil {
		return nil, err
	}
	f.Severity = rules.Severity(severity)
	if f.Facts, err = decodeMap(facts); err != nil {
		return nil, err
	}
	f.Params, err = decodeMap(params)
	return &f, err
}

// Finding implements rules.Store.
func (s *Store) Finding(ctx context.Context, id string) (*rules.Finding, error) {
	if !validUUID(id) {
		return nil, rules.ErrFindingNotFound
	}
	return scanFinding(s.pool.QueryRow(ctx, `SELECT `+findingColumns+` FROM findings WHERE id = $1`, id))
}

// Findings implements rules.Store: newest first, by keyset.
func (s *Store) Findings(ctx context.Context, q rules.FindingQuery) ([]*rules.Finding, error) {
	var w pgdb.Where
	if q.OrganisationID != "" {
		w.Add(`organisation_id = ?`, q.OrganisationID)
	}
	if q.RuleID != "" {
		w.Add(`rule_id = ?`, q.RuleID)
	}
	for _, root := range []string{q.AncestorID, q.ScopeRoot} {
		if root != "" {
			w.Add(subtreeOf("organisation_id"), root)
		}
	}
	if q.Inspector != "" {
		w.Add(coveredBy("organisation_id"), q.Inspector)
	}
	if !q.After.Created.IsZero() {
		w.Add(`(created_at, id) < (?, ?)`, q.After.Created, q.After.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+findingColumns+` FROM findings WHERE `+w.SQL()+
		` ORDER BY created_at DESC, id DESC LIMIT `+w.Arg(q.Limit), w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*rules.Finding, error) { return scanFinding(row) })
}

// Found implements rules.Store.
func (s *Store) Found(ctx context.Context, ruleID string, keys []rules.SubjectPeriod) (map[rules.SubjectPeriod]bool, error) {
	subjects, periods := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		subjects[i], periods[i] = k.Subject, k.Period
	}
	rows, err := s.pool.Query(ctx, `SELECT f.subject_id, f.period FROM findings f
		JOIN unnest($2::text[], $3::text[]) AS k(subject_id, period) ON k.subject_id = f.subject_id AND k.period = f.period
		WHERE f.rule_id = $1`, ruleID, subjects, periods)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[rules.SubjectPeriod]bool{}
	for rows.Next() {
		var k rules.SubjectPeriod
		if err := rows.Scan(&k.Subject, &k.Period); err != nil {
			return nil, err
		}
		out[k] = true
	}
	return out, rows.Err()
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, c := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'):
		default:
			return false
		}
	}
	return true
}

// RefreshFindingStats implements rules.Store: ANALYZE of the findings (a
// sample, whatever their number), outside any transaction of the sweep.
func (s *Store) RefreshFindingStats(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `ANALYZE findings`)
	return err
}
