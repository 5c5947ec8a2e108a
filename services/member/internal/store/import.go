package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
	"gongjian.dev/services/member/internal/roster"
)

// Orgs implements roster.Tx.
func (t *txStore) Orgs(ctx context.Context, ids []string, lock bool) (map[string]*member.Org, error) {
	valid := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return uuid.Validate(id) != nil })
	sql := `SELECT ` + orgColumns + ` FROM orgs WHERE id = ANY($1::uuid[]) ORDER BY id`
	if lock {
		sql += ` FOR UPDATE`
	}
	rows, err := t.tx.Query(ctx, sql, valid)
	if err != nil {
		return nil, err
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*member.Org, error) { return scanOrg(r) })
	if err != nil {
		return nil, err
	}
	out := make(map[string]*member.Org, len(list))
	for _, o := range list {
		out[o.ID] = o
	}
	return out, nil
}

// hashes are the keyed hashes of numbers, and the number of each hash.
func (t *txStore) hashes(nationalIDs []string) ([][]byte, map[string]string) {
	byHash := make(map[string]string, len(nationalIDs))
	hashes := make([][]byte, len(nationalIDs))
	for i, id := range nationalIDs {
		hashes[i] = t.ids.Hash(id)
		byHash[string(hashes[i])] = id
	}
	return hashes, byHash
}

// LiveHolders implements roster.Tx.
func (t *txStore) LiveHolders(ctx context.Context, nationalIDs []string) (map[string]roster.Holder, error) {
	hashes, byHash := t.hashes(nationalIDs)
	rows, err := t.tx.Query(ctx, `SELECT national_id_hash, id::text, organisation_id::text, coalesce(district_id::text, '')
		FROM members WHERE national_id_hash = ANY($1) AND left_at IS NULL`, hashes)
	if err != nil {
		return nil, err
	}
	out := map[string]roster.Holder{}
	var (
		hash []byte
		h    roster.Holder
	)
	_, err = pgx.ForEachRow(rows, []any{&hash, &h.MemberID, &h.OrganisationID, &h.DistrictID}, func() error {
		out[byHash[string(hash)]] = h
		return nil
	})
	return out, err
}

// importColumns are the columns an import writes, in the order of
// importValues.
var importColumns = []string{"id", "name", "sex", "birth_date", "national_id_sealed", "national_id_hash",
	"phone", "education", "join_date", "status", "employment_status", "employer", "residence", "organisation_id",
	"district_id", "path", "skills", "hardship", "star_rating", "version", "created_at", "updated_at",
	"category_code", "category_name", "category_overridden", "category_reason", "category_by", "category_at"}

func (t *txStore) importValues(m *member.Member) ([]any, error) {
	sealed, hash, residence, err := t.sealed(m)
	if err != nil {
		return nil, err
	}
	return []any{m.ID, m.Name, m.Sex, m.BirthDate, sealed, hash, m.Phone, m.Education, m.JoinDate, m.Status,
		m.EmploymentStatus, m.Employer, residence, m.OrganisationID, nullable(m.DistrictID), m.Path,
		skills(m.Skills), m.Hardship, m.StarRating, m.Version, m.Created, m.Created, m.Category.Code,
		m.Category.Name, m.Category.Overridden, m.Category.Reason, m.Category.By, nullableTime(m.Category.At)}, nil
}

// InsertMembers implements roster.Tx: the rows are copied into a
// staging table of the transaction, then inserted in one statement that
// leaves out, row by row, each number a live member holds. The partial
// unique index decides, so a registration that commits meanwhile (the
// statement waits for it) wins and its number's row is left out, never
// doubled. Rows go in the order of their hashes, as in every import, so
// that two imports sharing numbers wait for each other instead of
// deadlocking.
func (t *txStore) InsertMembers(ctx context.Context, ms []*member.Member) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ms) == 0 {
		return out, nil
	}
	if _, err := t.tx.Exec(ctx, `CREATE TEMP TABLE member_import_rows
		(LIKE members INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return nil, err
	}
	values := make([][]any, len(ms))
	for i, m := range ms {
		v, err := t.importValues(m)
		if err != nil {
			return nil, err
		}
		values[i] = v
	}
	if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{"member_import_rows"}, importColumns, pgx.CopyFromRows(values)); err != nil {
		return nil, fmt.Errorf("copy import rows: %w", err)
	}
	cols := join2(importColumns)
	rows, err := t.tx.Query(ctx, `INSERT INTO members (`+cols+`) SELECT `+cols+` FROM member_import_rows ORDER BY national_id_hash
		ON CONFLICT (national_id_hash) WHERE left_at IS NULL DO NOTHING RETURNING id::text`)
	if err != nil {
		return nil, err
	}
	var id string
	if _, err := pgx.ForEachRow(rows, []any{&id}, func() error { out[id] = true; return nil }); err != nil {
		return nil, interpretError(err, member.ErrNotFound)
	}
	_, err = t.tx.Exec(ctx, `DROP TABLE member_import_rows`)
	return out, err
}

func join2(cols []string) string {
	out := cols[0]
	for _, c := range cols[1:] {
		out += ", " + c
	}
	return out
}

// EmitRegistered implements roster.Tx: the records of the registrations,
// as Emit makes them one by one, their audit records written in one
// statement and their messages queued for the outbox with the
// transaction's other events, so that the relay is woken once the import
// has committed (inTx), not by a notification inside its commit.
func (t *txStore) EmitRegistered(ctx context.Context, ms []*member.Member, at time.Time) error {
	if len(ms) == 0 {
		return nil
	}
	evs := make([]outbox.Event, len(ms))
	entries := make([]audit.Entry, len(ms))
	for i, m := range ms {
		r, err := pbconv.RecordOf(member.Registered{Member: m}, member.NewID(), at)
		if err != nil {
			return err
		}
		entry, _ := t.entry(r)
		evs[i], entries[i] = r.Outbox, entry
	}
	if err := audit.WriteMany(ctx, t.tx, entries...); err != nil {
		return err
	}
	t.events += len(evs)
	return outbox.QueueMany(ctx, t.batch, evs...)
}

// SaveImport implements roster.Tx.
func (t *txStore) SaveImport(ctx context.Context, r *roster.Report, by string) error {
	report, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO member_imports (id, report, created_at, created_by) VALUES ($1, $2, $3, $4)`,
		r.ID, report, r.Created, by)
	return err
}

// ImportReport implements roster.Tx.
func (t *txStore) ImportReport(ctx context.Context, id string) (*roster.Report, error) {
	var report []byte
	if err := t.tx.QueryRow(ctx, `SELECT report FROM member_imports WHERE id = $1`, id).Scan(&report); err != nil {
		return nil, fmt.Errorf("import %s: %w", id, err)
	}
	var r roster.Report
	if err := json.Unmarshal(report, &r); err != nil {
		return nil, fmt.Errorf("import %s: %w", id, err)
	}
	r.Created = r.Created.UTC()
	return &r, nil
}
