package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/services/member/internal/member"
)

// pageKey is where a page ends: members are listed in (path, id) order.
type pageKey struct {
	Path string `json:"p"`
	ID   string `json:"i"`
}

func encodeToken(k pageKey) string {
	b, _ := json.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s string) (pageKey, error) {
	var k pageKey
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &k)
	}
	if err != nil || !validKeyID(k.ID) || !validKeyPath(k.Path) {
		return k, member.ErrInvalidPageToken
	}
	return k, nil
}

// validKeyPath reports whether a page token's path is a path as the
// organisation service writes them, "/<id>/<id>/…/", or "" (the keys of
// lists by id only): it goes into SQL as it is, where a NUL would fail.
func validKeyPath(p string) bool {
	if p == "" {
		return true
	}
	if !strings.HasPrefix(p, "/") || !strings.HasSuffix(p, "/") || len(p) < 2 {
		return false
	}
	for _, id := range strings.Split(p[1:len(p)-1], "/") {
		if !validKeyID(id) {
			return false
		}
	}
	return true
}

// List implements member.Store.
func (s *Store) List(ctx context.Context, f member.ListFilter) ([]*member.Member, string, error) {
	q, ok := memberQuery(f, !f.IncludeLeft)
	if !ok {
		return nil, "", nil
	}
	if f.Page.Token != "" {
		k, err := decodeToken(f.Page.Token)
		if err != nil {
			return nil, "", err
		}
		q.add(`(path, id) > (?, ?::uuid)`, k.Path, k.ID)
	}
	sql := `SELECT ` + memberColumns + ` FROM members WHERE ` + join(q.where) +
		fmt.Sprintf(` ORDER BY path, id LIMIT %d`, f.Page.Size+1)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*member.Member, error) { return s.scanMember(r) })
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(list) > f.Page.Size {
		list = list[:f.Page.Size]
		last := list[len(list)-1]
		next = encodeToken(pageKey{Path: last.Path, ID: last.ID})
	}
	return list, next, nil
}

// CountByOrganisation implements member.Store from the counters, one
// index range of the subtree's paths.
func (s *Store) CountByOrganisation(ctx context.Context, ancestorID string) ([]member.OrgCount, error) {
	if uuid.Validate(ancestorID) != nil {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT c.organisation_id::text, sum(c.n)::bigint
		FROM member_counts c, orgs r
		WHERE r.id = $1 AND c.path >= r.path AND c.path < r.path || '~'
		GROUP BY c.path, c.organisation_id HAVING sum(c.n) > 0 ORDER BY c.path`, ancestorID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (member.OrgCount, error) {
		var c member.OrgCount
		err := r.Scan(&c.OrganisationID, &c.Count)
		return c, err
	})
}

// Count implements member.Store. A count by where members sit and by the
// attributes the counters keep (status, category, employment status) sums
// the counters of the organisations (migration 009): a district's count
// reads its organisations, not its tens of thousands of members. A count
// by anything else (name, age, skills, hardship) counts the members.
func (s *Store) Count(ctx context.Context, f member.ListFilter) (int64, error) {
	// The counters count live members only.
	counters := !f.IncludeLeft && countable(f.Search)
	q, ok := memberQuery(f, !f.IncludeLeft && !counters)
	if !ok {
		return 0, nil
	}
	sql := `SELECT count(*) FROM members WHERE ` + join(q.where)
	if counters {
		sql = `SELECT coalesce(sum(n), 0)::bigint FROM member_counts WHERE ` + join(q.where)
	}
	var n int64
	err := s.pool.QueryRow(ctx, sql, q.args...).Scan(&n)
	return n, err
}

// countable is whether the counters answer a search: it asks nothing but
// what they are kept by.
func countable(s member.Search) bool {
	return s.Name == "" && s.Hardship == nil && s.BornBy.IsZero() && s.BornAfter.IsZero() && len(s.Skills) == 0
}

// query is the WHERE clause of a statement being built, with its arguments.
type query struct {
	where []string
	args  []any
}

// add appends a condition whose ? are the values v, in order.
func (q *query) add(cond string, v ...any) {
	for _, x := range v {
		q.args = append(q.args, x)
		cond = replaceNext(cond, fmt.Sprintf("$%d", len(q.args)))
	}
	q.where = append(q.where, cond)
}

// memberQuery is the condition of the members a filter selects, of the
// live ones only when live; ok is false when it can select nobody (an id
// that is not one). Every search condition is served by an index of
// migration 006, the subtree by the path's. The condition holds for
// member_counts too, whose columns bear the same names, as long as it asks
// only what the counters are kept by (countable).
func memberQuery(f member.ListFilter, live bool) (q *query, ok bool) {
	q = &query{}
	subtree := `path >= (SELECT path FROM orgs WHERE id = ?) AND path < (SELECT path || '~' FROM orgs WHERE id = ?)`
	for _, id := range []string{f.AncestorID, f.WithinID} {
		if id == "" {
			continue
		}
		if uuid.Validate(id) != nil {
			return nil, false
		}
		q.add(subtree, id, id)
	}
	if f.OrganisationID != "" {
		if uuid.Validate(f.OrganisationID) != nil {
			return nil, false
		}
		q.add(`organisation_id = ?`, f.OrganisationID)
	}
	if f.Status != "" {
		q.add(`status = ?`, f.Status)
	}
	searchQuery(q, f.Search)
	if live {
		q.add(`left_at IS NULL`)
	}
	return q, true
}

// searchQuery adds the conditions of a search.
func searchQuery(q *query, s member.Search) {
	if s.CategoryCode != "" {
		q.add(`category_code = ?`, s.CategoryCode)
	}
	if s.EmploymentStatus != "" {
		q.add(`employment_status = ?`, s.EmploymentStatus)
	}
	if s.Hardship != nil {
		q.add(`hardship = ?`, *s.Hardship)
	}
	if !s.BornBy.IsZero() {
		q.add(`birth_date <= ?`, s.BornBy)
	}
	if !s.BornAfter.IsZero() {
		q.add(`birth_date > ?`, s.BornAfter)
	}
	if len(s.Skills) > 0 {
		op := `@>`
		if s.AnySkill {
			op = `&&`
		}
		q.add(`skills `+op+` ?::text[]`, s.Skills)
	}
	if s.Name != "" {
		// The grams find the candidates in the index; LIKE keeps those
		// that hold the text in this order.
		q.add(`member_name_grams(name) @> member_name_search_grams(?) AND lower(name) LIKE '%' || lower(?) || '%'`,
			s.Name, likeEscaper.Replace(s.Name))
	}
}

// likeEscaper makes text match itself in a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func replaceNext(s, with string) string {
	for i := range len(s) {
		if s[i] == '?' {
			return s[:i] + with + s[i+1:]
		}
	}
	return s
}

func join(conds []string) string {
	if len(conds) == 0 {
		return "true"
	}
	out := conds[0]
	for _, c := range conds[1:] {
		out += " AND " + c
	}
	return out
}
