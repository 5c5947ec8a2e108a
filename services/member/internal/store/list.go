package store

import (
	"context"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
)

// List implements member.Store.
func (s *Store) List(ctx context.Context, f member.ListFilter) ([]*member.Member, string, error) {
	q, ok := memberQuery(f, !f.IncludeLeft)
	if !ok {
		return nil, "", nil
	}
	if f.Page.Token != "" {
		k, err := page.After(f.Page.Token, pathKey{})
		if err != nil {
			return nil, "", err
		}
		q.Add(`(path, id) > (?, ?::uuid)`, k.Path, k.ID)
	}
	sql := `SELECT ` + memberColumns + ` FROM members WHERE ` + q.SQL() + ` ORDER BY path, id LIMIT ` + q.Arg(f.Page.Size+1)
	rows, err := s.pool.Query(ctx, sql, q.Args()...)
	if err != nil {
		return nil, "", err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*member.Member, error) { return s.scanMember(r) })
	if err != nil {
		return nil, "", err
	}
	list, next := page.Cut(list, f.Page.Size, func(m *member.Member) any { return pathKey{Path: m.Path, ID: m.ID} })
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
// attributes the counters keep (status, category, employment status) reads
// counters: of a subtree, those rolled up to its root (a few dozen rows for
// a district or the city, migration member_counters 001); of one
// organisation, its own (migration 009). A subtree's count by age band
// alone reads counters by month of birth and counts the months the band
// cuts. A count by anything else (name, skills, hardship, age with more)
// counts the members.
func (s *Store) Count(ctx context.Context, f member.ListFilter) (int64, error) {
	// The counters count live members only.
	counters := !f.IncludeLeft && countable(f.Search)
	if counters && f.OrganisationID == "" {
		return s.countRolledUp(ctx, f)
	}
	if !f.IncludeLeft && f.OrganisationID == "" && f.Status == "" && ageOnly(f.Search) {
		return s.countByAge(ctx, f)
	}
	q, ok := memberQuery(f, !f.IncludeLeft && !counters)
	if !ok {
		return 0, nil
	}
	sql := `SELECT count(*) FROM members WHERE ` + q.SQL()
	if counters {
		sql = `SELECT coalesce(sum(n), 0)::bigint FROM member_counts WHERE ` + q.SQL()
	}
	var n int64
	err := s.pool.QueryRow(ctx, sql, q.Args()...).Scan(&n)
	return n, err
}

// countable is whether the counters answer a search: it asks nothing but
// what they are kept by.
func countable(s member.Search) bool {
	return s.Name == "" && s.Hardship == nil && s.BornBy.IsZero() && s.BornAfter.IsZero() && len(s.Skills) == 0
}

// memberQuery is the condition of the members a filter selects, of the
// live ones only when live; ok is false when it can select nobody (an id
// that is not one). Every search condition is served by an index of
// migration 006, the subtree by the path's. The condition holds for
// member_counts too, whose columns bear the same names, as long as it asks
// only what the counters are kept by (countable).
func memberQuery(f member.ListFilter, live bool) (q *pgdb.Where, ok bool) {
	q = &pgdb.Where{}
	subtree := `path >= (SELECT path FROM orgs WHERE id = ?) AND path < (SELECT path || '~' FROM orgs WHERE id = ?)`
	for _, id := range []string{f.AncestorID, f.WithinID} {
		if id == "" {
			continue
		}
		if uuid.Validate(id) != nil {
			return nil, false
		}
		q.Add(subtree, id, id)
	}
	if f.OrganisationID != "" {
		if uuid.Validate(f.OrganisationID) != nil {
			return nil, false
		}
		q.Add(`organisation_id = ?`, f.OrganisationID)
	}
	if f.Status != "" {
		q.Add(`status = ?`, f.Status)
	}
	searchQuery(q, f.Search)
	if live {
		q.Add(`left_at IS NULL`)
	}
	return q, true
}

// searchQuery adds the conditions of a search.
func searchQuery(q *pgdb.Where, s member.Search) {
	if s.CategoryCode != "" {
		q.Add(`category_code = ?`, s.CategoryCode)
	}
	if s.EmploymentStatus != "" {
		q.Add(`employment_status = ?`, s.EmploymentStatus)
	}
	if s.Hardship != nil {
		q.Add(`hardship = ?`, *s.Hardship)
	}
	if !s.BornBy.IsZero() {
		q.Add(`birth_date <= ?`, s.BornBy)
	}
	if !s.BornAfter.IsZero() {
		q.Add(`birth_date > ?`, s.BornAfter)
	}
	if len(s.Skills) > 0 {
		op := `@>`
		if s.AnySkill {
			op = `&&`
		}
		q.Add(`skills `+op+` ?::text[]`, s.Skills)
	}
	if s.Name != "" {
		// The grams find the candidates in the index; LIKE keeps those
		// that hold the text in this order.
		q.Add(`member_name_grams(name) @> member_name_search_grams(?) AND lower(name) LIKE '%' || lower(?) || '%'`,
			s.Name, likeEscaper.Replace(s.Name))
	}
}

// likeEscaper makes text match itself in a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
