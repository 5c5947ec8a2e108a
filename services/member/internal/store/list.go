package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

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
	if err != nil || uuid.Validate(k.ID) != nil {
		return k, member.ErrInvalidPageToken
	}
	return k, nil
}

// List implements member.Store.
func (s *Store) List(ctx context.Context, f member.ListFilter) ([]*member.Member, string, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, v ...any) {
		for _, x := range v {
			args = append(args, x)
			cond = replaceNext(cond, fmt.Sprintf("$%d", len(args)))
		}
		where = append(where, cond)
	}
	subtree := `path >= (SELECT path FROM orgs WHERE id = ?) AND path < (SELECT path || '~' FROM orgs WHERE id = ?)`
	for _, id := range []string{f.AncestorID, f.WithinID} {
		if id == "" {
			continue
		}
		if uuid.Validate(id) != nil {
			return nil, "", nil
		}
		add(subtree, id, id)
	}
	if f.OrganisationID != "" {
		if uuid.Validate(f.OrganisationID) != nil {
			return nil, "", nil
		}
		add(`organisation_id = ?`, f.OrganisationID)
	}
	if f.Status != "" {
		add(`status = ?`, f.Status)
	}
	if f.Page.Token != "" {
		k, err := decodeToken(f.Page.Token)
		if err != nil {
			return nil, "", err
		}
		add(`(path, id) > (?, ?::uuid)`, k.Path, k.ID)
	}
	add(`left_at IS NULL`)
	sql := `SELECT ` + memberColumns + ` FROM members WHERE ` + join(where) +
		fmt.Sprintf(` ORDER BY path, id LIMIT %d`, f.Page.Size+1)
	rows, err := s.pool.Query(ctx, sql, args...)
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

func replaceNext(s, with string) string {
	for i := range len(s) {
		if s[i] == '?' {
			return s[:i] + with + s[i+1:]
		}
	}
	return s
}

func join(conds []string) string {
	out := conds[0]
	for _, c := range conds[1:] {
		out += " AND " + c
	}
	return out
}
