package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/page"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/organisation/internal/org"
)

const activityColumns = `id::text, organisation_id::text, kind, day, topic, expected, attended, absentees, note, recorded_at, ` + attendeeIDs

func scanActivity(row pgx.Row) (*org.Activity, error) {
	var (
		a         org.Activity
		day       time.Time
		absentees []byte
	)
	if err := row.Scan(&a.ID, &a.OrganisationID, &a.Kind, &day, &a.Topic, &a.Expected, &a.Attended,
		&absentees, &a.Note, &a.Recorded, &a.AttendeeIDs); err != nil {
		return nil, err
	}
	a.Date, a.Recorded = org.DateOf(day), a.Recorded.UTC()
	return &a, json.Unmarshal(absentees, &a.Absentees)
}

// InsertActivity implements org.Tx.
func (t *txStore) InsertActivity(ctx context.Context, a *org.Activity) error {
	absentees := a.Absentees
	if absentees == nil {
		absentees = []org.Absentee{}
	}
	js, err := json.Marshal(absentees)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO activities (id, organisation_id, kind, day, topic, expected, attended, absentees, note, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		a.ID, a.OrganisationID, a.Kind, a.Date.Time(), a.Topic, a.Expected, a.Attended, js, a.Note, a.Recorded)
	if err != nil {
		return err
	}
	return t.insertActivityMembers(ctx, a)
}

// GetActivity implements org.Tx.
func (t *txStore) GetActivity(ctx context.Context, id string) (*org.Activity, error) {
	a, err := scanActivity(t.tx.QueryRow(ctx, `SELECT `+activityColumns+` FROM activities WHERE id = $1`, id))
	return a, interpretError(err, org.ErrActivityNotFound)
}

// ListActivities implements org.Store: newest first, keyset on (day, id).
func (s *Store) ListActivities(ctx context.Context, f org.ActivityFilter) ([]*org.Activity, string, error) {
	var w pgdb.Where
	w.Add("organisation_id = ?", f.OrganisationID)
	if f.Kind != "" {
		w.Add("kind = ?", f.Kind)
	}
	if !f.From.IsZero() {
		w.Add("day >= ?", f.From.Time())
	}
	if !f.To.IsZero() {
		w.Add("day <= ?", f.To.Time())
	}
	if f.Page.Token != "" {
		k, err := page.After(f.Page.Token, activityKey{})
		if err != nil {
			return nil, "", err
		}
		w.Add("(day, id) < (?, ?)", k.date().Time(), k.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+activityColumns+` FROM activities WHERE `+w.SQL()+
		` ORDER BY day DESC, id DESC LIMIT `+w.Arg(f.Page.Size+1), w.Args()...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []*org.Activity
	for rows.Next() {
		a, err := scanActivity(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	out, next := page.Cut(out, f.Page.Size, func(a *org.Activity) any { return activityKey{Day: a.Date.String(), ID: a.ID} })
	return out, next, nil
}

const pointColumns = `id::text, community_id::text, kind, name, coalesce(covering_organisation_id::text, ''), member_count`

func scanPoint(row pgx.Row) (*org.CoveragePoint, error) {
	var p org.CoveragePoint
	err := row.Scan(&p.ID, &p.CommunityID, &p.Kind, &p.Name, &p.CoveringOrganisationID, &p.MemberCount)
	return &p, err
}

// InsertCoveragePoint implements org.Tx.
func (t *txStore) InsertCoveragePoint(ctx context.Context, p *org.CoveragePoint) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO coverage_points (id, community_id, kind, name, covering_organisation_id, member_count)
		VALUES ($1, $2, $3, $4, $5, $6)`, p.ID, p.CommunityID, p.Kind, p.Name, nullable(p.CoveringOrganisationID), p.MemberCount)
	return err
}

// LockCoveragePoint implements org.Tx.
func (t *txStore) LockCoveragePoint(ctx context.Context, id string) (*org.CoveragePoint, error) {
	p, err := scanPoint(t.tx.QueryRow(ctx, `SELECT `+pointColumns+` FROM coverage_points WHERE id = $1 FOR UPDATE`, id))
	if err == nil {
		t.snapshot(p)
	}
	return p, interpretError(err, org.ErrPointNotFound)
}

// SaveCoveragePoint implements org.Tx.
func (t *txStore) SaveCoveragePoint(ctx context.Context, p *org.CoveragePoint) error {
	_, err := t.tx.Exec(ctx, `UPDATE coverage_points SET covering_organisation_id = $2, member_count = $3 WHERE id = $1`,
		p.ID, nullable(p.CoveringOrganisationID), p.MemberCount)
	return err
}

// ListCoveragePoints implements org.Store.
func (s *Store) ListCoveragePoints(ctx context.Context, communityID string) ([]*org.CoveragePoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+pointColumns+` FROM coverage_points WHERE community_id = $1 ORDER BY name, id`, communityID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*org.CoveragePoint, error) { return scanPoint(r) })
}

const siteColumns = `s.id::text, s.community_id::text, s.start_date, s.end_date, s.milestones, s.ratings, s.created_at`

func scanSite(row pgx.Row) (*org.Site, error) {
	var (
		s                   org.Site
		start, end          time.Time
		milestones, ratings []byte
	)
	if err := row.Scan(&s.ID, &s.CommunityID, &start, &end, &milestones, &ratings, &s.Created); err != nil {
		return nil, err
	}
	s.Start, s.End, s.Created = org.DateOf(start), org.DateOf(end), s.Created.UTC()
	if err := json.Unmarshal(milestones, &s.Milestones); err != nil {
		return nil, err
	}
	return &s, json.Unmarshal(ratings, &s.Ratings)
}

func sitePlan(s *org.Site) ([]byte, []byte, error) {
	ms, err := json.Marshal(s.Milestones)
	if err != nil {
		return nil, nil, err
	}
	ratings := s.Ratings
	if ratings == nil {
		ratings = []org.FiveGoods{}
	}
	rs, err := json.Marshal(ratings)
	return ms, rs, err
}

// InsertSite implements org.Tx.
func (t *txStore) InsertSite(ctx context.Context, s *org.Site) error {
	ms, rs, err := sitePlan(s)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO demonstration_sites (id, community_id, start_date, end_date, milestones, ratings, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.ID, s.CommunityID, s.Start.Time(), s.End.Time(), ms, rs, s.Created)
	return interpretError(err, org.ErrSiteNotFound)
}

// LockSite implements org.Tx.
func (t *txStore) LockSite(ctx context.Context, id string) (*org.Site, error) {
	s, err := scanSite(t.tx.QueryRow(ctx, `SELECT `+siteColumns+` FROM demonstration_sites s WHERE s.id = $1 FOR UPDATE`, id))
	if err == nil {
		t.snapshot(s)
	}
	return s, interpretError(err, org.ErrSiteNotFound)
}

// SaveSite implements org.Tx.
func (t *txStore) SaveSite(ctx context.Context, s *org.Site) error {
	ms, rs, err := sitePlan(s)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE demonstration_sites SET milestones = $2, ratings = $3 WHERE id = $1`, s.ID, ms, rs)
	return err
}

// GetSite implements org.Store.
func (s *Store) GetSite(ctx context.Context, id string) (*org.Site, error) {
	site, err := scanSite(s.pool.QueryRow(ctx, `SELECT `+siteColumns+` FROM demonstration_sites s WHERE s.id = $1`, id))
	return site, interpretError(err, org.ErrSiteNotFound)
}

// inSubtree is the join condition of a row's community with an optional
// ancestor path given as $1 (” = whole city).
const inSubtree = ` JOIN organisations c ON c.id = %s.community_id
	WHERE ($1 = '' OR (c.path > $1 AND c.path < $1 || '~') OR c.path = $1) `

func (s *Store) ancestorPath(ctx context.Context, ancestorID string) (string, error) {
	if ancestorID == "" {
		return "", nil
	}
	p, err := s.path(ctx, ancestorID)
	if err != nil {
		return "", errs.Field(org.ErrNotFound, "ancestor_id", "no organisation has this id")
	}
	return p, nil
}

// ListSites implements org.Store.
func (s *Store) ListSites(ctx context.Context, ancestorID string) ([]*org.Site, error) {
	p, err := s.ancestorPath(ctx, ancestorID)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+siteColumns+` FROM demonstration_sites s`+fmt.Sprintf(inSubtree, "s")+
		`ORDER BY c.path`, p)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*org.Site, error) { return scanSite(r) })
}

const liaisonColumns = `l.id::text, l.kind, l.leader_name, l.leader_title, l.community_id::text, l.started_at, l.ended_at`

func scanLiaison(row pgx.Row) (*org.Liaison, error) {
	var (
		l     org.Liaison
		ended *time.Time
	)
	if err := row.Scan(&l.ID, &l.Kind, &l.LeaderName, &l.LeaderTitle, &l.CommunityID, &l.Started, &ended); err != nil {
		return nil, err
	}
	l.Started = l.Started.UTC()
	if ended != nil {
		l.Ended = ended.UTC()
	}
	return &l, nil
}

// InsertLiaison implements org.Tx.
func (t *txStore) InsertLiaison(ctx context.Context, l *org.Liaison) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO liaisons (id, kind, leader_name, leader_title, community_id, started_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, l.ID, l.Kind, l.LeaderName, l.LeaderTitle, l.CommunityID, l.Started)
	return err
}

// LockLiaison implements org.Tx.
func (t *txStore) LockLiaison(ctx context.Context, id string) (*org.Liaison, error) {
	l, err := scanLiaison(t.tx.QueryRow(ctx, `SELECT `+liaisonColumns+` FROM liaisons l WHERE l.id = $1 FOR UPDATE`, id))
	if err == nil {
		t.snapshot(l)
	}
	return l, interpretError(err, org.ErrLiaisonNotFound)
}

// SaveLiaison implements org.Tx.
func (t *txStore) SaveLiaison(ctx context.Context, l *org.Liaison) error {
	_, err := t.tx.Exec(ctx, `UPDATE liaisons SET ended_at = $2 WHERE id = $1`, l.ID, nullTime(l.Ended))
	return err
}

// ListLiaisons implements org.Store.
func (s *Store) ListLiaisons(ctx context.Context, ancestorID string, includeEnded bool) ([]*org.Liaison, error) {
	p, err := s.ancestorPath(ctx, ancestorID)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+liaisonColumns+` FROM liaisons l`+fmt.Sprintf(inSubtree, "l")+
		`AND ($2 OR l.ended_at IS NULL) ORDER BY c.path, l.started_at`, p, includeEnded)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*org.Liaison, error) { return scanLiaison(r) })
}

func readSettings(ctx context.Context, q querier, districtID string) (*org.Settings, error) {
	st := org.DefaultSettings(districtID)
	var (
		js      []byte
		updated time.Time
	)
	err := q.QueryRow(ctx, `SELECT settings, updated_at FROM district_settings WHERE district_id = $1`, districtID).Scan(&js, &updated)
	if pgdb.IsNoRows(err) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	// Stored settings overlay the defaults, so a setting added later
	// starts at its default in every district.
	if err := json.Unmarshal(js, st); err != nil {
		return nil, err
	}
	st.DistrictID, st.Updated = districtID, updated.UTC()
	return st, nil
}

// Settings implements org.Store.
func (s *Store) Settings(ctx context.Context, districtID string) (*org.Settings, error) {
	return readSettings(ctx, s.pool, districtID)
}

// Settings implements org.Tx.
func (t *txStore) Settings(ctx context.Context, districtID string) (*org.Settings, error) {
	st, err := readSettings(ctx, t.tx, districtID)
	if err == nil {
		t.snapshot(st)
	}
	return st, err
}

// SaveSettings implements org.Tx.
func (t *txStore) SaveSettings(ctx context.Context, st *org.Settings) error {
	js, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO district_settings (district_id, settings, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (district_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at`,
		st.DistrictID, js, st.Updated)
	return err
}
