package store

import (
	"context"
	"encoding/json"
	"fmt"
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

// MemberOrganisation implements member.Tx.
func (t *txStore) MemberOrganisation(ctx context.Context, memberID string) (string, error) {
	if uuid.Validate(memberID) != nil {
		return "", member.ErrNotFound
	}
	var id string
	err := t.tx.QueryRow(ctx, `SELECT organisation_id::text FROM members WHERE id = $1`, memberID).Scan(&id)
	return id, interpretError(err, member.ErrNotFound)
}

// LeftHolder implements member.Tx.
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

// FormerlyHeld implements roster.Tx, in one statement for a roster.
func (t *txStore) FormerlyHeld(ctx context.Context, nationalIDs []string) (map[string]bool, error) {
	hashes, byHash := t.hashes(nationalIDs)
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
