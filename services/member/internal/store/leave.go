package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/services/member/internal/member"
)

// leftColumns are the columns of the end of a membership and of an
// arrival, as scanned.
type leftColumns struct {
	at, date *time.Time
	kind     string
	reason   string
	arrival  []byte
}

// arrivalRecord is how an arrival is stored.
type arrivalRecord struct {
	OriginOrganisation string `json:"origin_organisation"`
	LetterNumber       string `json:"letter_number"`
	LetterDate         string `json:"letter_date"`
}

func (c leftColumns) into(m *member.Member) error {
	if c.at != nil {
		m.Left = &member.Leaving{Kind: c.kind, Date: utc(c.date), Reason: c.reason, At: c.at.UTC()}
	}
	if c.arrival == nil {
		return nil
	}
	var a arrivalRecord
	if err := json.Unmarshal(c.arrival, &a); err != nil {
		return fmt.Errorf("member %s arrival: %w", m.ID, err)
	}
	day, err := time.Parse(time.DateOnly, a.LetterDate)
	if err != nil {
		return fmt.Errorf("member %s arrival: %w", m.ID, err)
	}
	m.Arrival = &member.Arrival{OriginOrganisation: a.OriginOrganisation, LetterNumber: a.LetterNumber, LetterDate: day}
	return nil
}

// arrivalJSON is the stored value of an arrival: NULL for none.
func arrivalJSON(a *member.Arrival) any {
	if a == nil {
		return nil
	}
	b, _ := json.Marshal(arrivalRecord{OriginOrganisation: a.OriginOrganisation, LetterNumber: a.LetterNumber,
		LetterDate: a.LetterDate.Format(time.DateOnly)})
	return b
}

// leftArgs are the values of left_at, left_kind, left_date and left_reason.
func leftArgs(l *member.Leaving) []any {
	if l == nil {
		return []any{nil, nil, nil, ""}
	}
	return []any{l.At, l.Kind, l.Date, l.Reason}
}

// MemberOrganisation implements member.LeaveTx.
func (t *txStore) MemberOrganisation(ctx context.Context, memberID string) (string, error) {
	if uuid.Validate(memberID) != nil {
		return "", member.ErrNotFound
	}
	var id string
	err := t.tx.QueryRow(ctx, `SELECT organisation_id::text FROM members WHERE id = $1`, memberID).Scan(&id)
	return id, interpretError(err, member.ErrNotFound)
}

// LeftHolder implements member.LeaveTx.
func (t *txStore) LeftHolder(ctx context.Context, nationalID, self string) (*member.Member, bool, error) {
	if self == "" {
		self = uuid.Nil.String()
	}
	m, err := t.store().scanMember(t.tx.QueryRow(ctx, `SELECT `+memberColumns+` FROM members
		WHERE national_id_hash = $1 AND left_at IS NOT NULL AND id <> $2
		ORDER BY left_kind = 'DIED' DESC, left_date DESC LIMIT 1`, t.ids.Hash(nationalID), self))
	if pgdb.IsNoRows(err) {
		return nil, false, nil
	}
	return m, err == nil, err
}

// FormerlyHeld implements member.LeaveTx, in one statement for a roster.
func (t *txStore) FormerlyHeld(ctx context.Context, nationalIDs []string) (map[string]bool, error) {
	byHash := make(map[string]string, len(nationalIDs))
	hashes := make([][]byte, len(nationalIDs))
	for i, id := range nationalIDs {
		hashes[i] = t.ids.Hash(id)
		byHash[string(hashes[i])] = id
	}
	rows, err := t.tx.Query(ctx, `SELECT DISTINCT national_id_hash FROM members
		WHERE national_id_hash = ANY($1) AND left_at IS NOT NULL`, hashes)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	var hash []byte
	_, err = pgx.ForEachRow(rows, []any{&hash}, func() error {
		out[byHash[string(hash)]] = true
		return nil
	})
	return out, err
}

// ListWithLeft implements member.LeaveStore: the query of List without its
// condition on live members, in the same order and pages.
func (s *Store) ListWithLeft(ctx context.Context, f member.ListFilter) ([]*member.Member, string, error) {
	q, ok := memberQuery(f)
	if !ok {
		return nil, "", nil
	}
	n := len(q.where)
	if q.where = slices.DeleteFunc(q.where, func(c string) bool { return c == liveOnly }); len(q.where) == n {
		return nil, "", fmt.Errorf("member query: no live-only condition to lift")
	}
	if f.Page.Token != "" {
		k, err := decodeToken(f.Page.Token)
		if err != nil {
			return nil, "", err
		}
		q.add(`(path, id) > (?, ?::uuid)`, k.Path, k.ID)
	}
	q.add(`true`)
	rows, err := s.pool.Query(ctx, `SELECT `+memberColumns+` FROM members WHERE `+join(q.where)+
		fmt.Sprintf(` ORDER BY path, id LIMIT %d`, f.Page.Size+1), q.args...)
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

var (
	_ member.LeaveTx    = (*txStore)(nil)
	_ member.LeaveStore = (*Store)(nil)
)
