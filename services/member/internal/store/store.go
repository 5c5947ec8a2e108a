// Package store keeps the member service's domain in PostgreSQL (schema
// "member"), with pgx: one store whose transaction implements the Tx of
// every sub-domain, and which hands each sub-domain its view (Members,
// Transfers, Mobile, Reporting, Leaving, Roster). Every write transaction
// also writes the records of its events (pbconv.RecordOf): their messages
// to the outbox and their audit records. National ID numbers are sealed
// before they reach the database and opened after they leave it.
package store

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/requestid"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/leaving"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/mobile"
	"gongjian.dev/services/member/internal/reporting"
	"gongjian.dev/services/member/internal/roster"
	"gongjian.dev/services/member/internal/transfer"
)

// Schema is the PostgreSQL schema the service owns.
const Schema = "member"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the service's own migrations; run them after outbox.Migrations.
var Migrations = pgdb.Embedded("member", migrationFiles, "migrations")

//go:embed migrations/bulkimport/*.sql
var bulkImportFiles embed.FS

// BulkImportMigrations are the tables of bulk imports: jobs and their
// staged rows.
var BulkImportMigrations = pgdb.Embedded("member_bulkimport", bulkImportFiles, "migrations/bulkimport")

//go:embed migrations_counters/*.sql
var counterFiles embed.FS

// CounterMigrations are the counters rolled up per ancestor that counts
// and compositions of a subtree read, a set of their own (tern numbers a
// set's files without gaps).
var CounterMigrations = pgdb.Embedded("member_counters", counterFiles, "migrations_counters")

//go:embed migrations_dues/*.sql
var duesMigrationFiles embed.FS

// DuesMigrations are the tables of the party dues ledger (declarations,
// exemptions, bills, payments), a set of their own, numbered apart from
// the service's first set.
var DuesMigrations = pgdb.Embedded("member_dues", duesMigrationFiles, "migrations_dues")

// AllMigrations are every migration set the service's schema needs, in
// order. The view of the organisation tree comes after the service's own
// first set, which created its table before the shared set existed; then
// the rolled-up counters, the dues ledger, attendance and bulk imports.
var AllMigrations = []pgdb.MigrationSet{outbox.Migrations, audit.Migrations, Migrations, orgview.Migrations,
	CounterMigrations, DuesMigrations, AttendanceMigrations,
	BulkImportMigrations}

// Store is the service's store over a pool; its views implement the Store
// of each sub-domain.
type Store struct {
	pool *pgxpool.Pool
	ids  *idcrypt.Sealer
}

// New returns a Store over pool (whose search_path is the service schema)
// that seals national ID numbers with ids.
func New(pool *pgxpool.Pool, ids *idcrypt.Sealer) *Store { return &Store{pool: pool, ids: ids} }

// Pool is the store's connection pool, for the audit trail's reader.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// view is the store as a sub-domain whose transactions are T sees it: the
// one store with the one transaction, each sub-domain naming in its own
// interfaces only the methods it uses.
type view[T any] struct{ *Store }

// InTx runs fn in one transaction.
func (v view[T]) InTx(ctx context.Context, fn func(T) error) error {
	return v.inTx(ctx, func(t *txStore) error { return fn(any(t).(T)) })
}

// Members is the store as the member kernel sees it.
func (s *Store) Members() member.Store { return view[member.Tx]{s} }

// Transfers is the store as transfers see it.
func (s *Store) Transfers() transfer.Store { return view[transfer.Tx]{s} }

// Mobile is the store as mobile members see it.
func (s *Store) Mobile() mobile.Store { return view[mobile.Tx]{s} }

// Leaving is the store as the end of a membership sees it.
func (s *Store) Leaving() leaving.Store { return view[leaving.Tx]{s} }

// Roster is the store as the import of rosters sees it.
func (s *Store) Roster() roster.Store { return view[roster.Tx]{s} }

// Reporting is the store as in-service reporting sees it.
func (s *Store) Reporting() reporting.Store { return view[reporting.Tx]{s} }

// Bound is the store working inside a transaction opened elsewhere (an
// event consumer's, which also records the event as applied): a
// sub-domain's InTx runs fn in that transaction and sends the writes it
// deferred, and the consumer commits.
func (s *Store) Bound(tx pgx.Tx) *BoundStore { return &BoundStore{Store: s, tx: tx} }

// BoundStore is a Store whose transactions are one given transaction.
type BoundStore struct {
	*Store
	tx pgx.Tx
}

// Reporting is the bound store as in-service reporting sees it.
func (b *BoundStore) Reporting() reporting.Store { return boundView[reporting.Tx]{b} }

type boundView[T any] struct{ *BoundStore }

// InTx runs fn in the bound transaction.
func (v boundView[T]) InTx(ctx context.Context, fn func(T) error) error {
	t := &txStore{tx: v.tx, ids: v.ids, before: audit.Befores{}, batch: &pgx.Batch{}, notify: true}
	if err := fn(any(t).(T)); err != nil {
		return err
	}
	return t.flush(ctx, false) // the consumer commits
}

// The transaction is every sub-domain's.
var (
	_ member.Tx    = (*txStore)(nil)
	_ transfer.Tx  = (*txStore)(nil)
	_ mobile.Tx    = (*txStore)(nil)
	_ leaving.Tx   = (*txStore)(nil)
	_ roster.Tx    = (*txStore)(nil)
	_ reporting.Tx = (*txStore)(nil)
)

// inTx runs fn in one transaction, which sends the outbox rows and audit
// records of its events before it commits, and wakes the relay once it
// has committed (outbox.Wake).
func (s *Store) inTx(ctx context.Context, fn func(*txStore) error) error {
	return outbox.InTx(ctx, s.pool, func(tx pgx.Tx) (bool, error) {
		t := &txStore{tx: tx, ids: s.ids, before: audit.Befores{}, batch: &pgx.Batch{}}
		if err := fn(t); err != nil {
			return false, err
		}
		wrote := t.events > 0
		return wrote, t.flush(ctx, true)
	})
}

// flush sends the writes deferred to the end of the transaction (the
// outbox rows and audit records of its events) in one round trip; the
// last flush of a transaction of the store's own (final) carries its
// COMMIT too (pgdb.SendAndCommit).
func (t *txStore) flush(ctx context.Context, final bool) error {
	if t.batch.Len() == 0 {
		return nil
	}
	if t.events > 0 && t.notify {
		outbox.QueueNotify(t.batch)
	}
	var err error
	if final {
		err = pgdb.SendAndCommit(ctx, t.tx, t.batch)
	} else {
		err = t.tx.SendBatch(ctx, t.batch).Close()
	}
	t.batch = &pgx.Batch{}
	return interpretError(err, member.ErrNotFound)
}

// deferred is the transaction for writes that nothing in it reads back
// (audit records): they are queued and sent with the outbox rows when the
// transaction ends.
func (t *txStore) deferred() pgx.Tx { return pgdb.Queued(t.tx, t.batch) }

// txStore implements member.Tx.
type txStore struct {
	tx  pgx.Tx
	ids *idcrypt.Sealer
	// before keeps what each subject locked in this transaction looked like
	// when it was locked: the "before" of its audit record.
	before audit.Befores
	// batch holds the writes deferred to the end of the transaction, and
	// events counts the outbox rows among them.
	batch  *pgx.Batch
	events int
	// notify asks PostgreSQL to wake the relay at the commit, for a
	// transaction committed elsewhere (a consumer's); the store that commits
	// its own wakes it after (outbox.InTx).
	notify bool
}

type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// interpretError turns the database's answers into domain errors.
func interpretError(err error, notFound error) error {
	switch {
	case err == nil:
		return nil
	case pgdb.IsNoRows(err):
		return notFound
	case pgdb.IsUniqueViolation(err, "transfers_one_open_per_member"):
		return errs.Field(transfer.ErrTransferOpen, "transfer.member_id", "the member already has an open transfer")
	case pgdb.IsUniqueViolation(err, "members_live_national_id"):
		return errs.Field(member.ErrDuplicateID, "member.national_id", "a live member already has this number")
	case pgdb.IsUniqueViolation(err, "members_died_national_id"):
		return errs.Field(member.ErrHolderDied, "member.national_id", "the holder of this number died")
	case pgdb.IsForeignKeyViolation(err, ""):
		return errs.Field(member.ErrOrgNotFound, "member.organisation_id", "no organisation has this id")
	}
	return err
}

const memberColumns = `id::text, name, sex, birth_date, national_id_sealed, phone, education, join_date, status,
	employment_status, employer, residence, organisation_id::text, coalesce(district_id::text, ''), path, skills,
	hardship, star_rating, version, created_at, updated_at, category_code, category_name, category_overridden,
	category_reason, category_by, category_at, mobile, left_at, coalesce(left_kind, ''), left_date, left_reason, arrival`

func (s *Store) scanMember(row pgx.Row) (*member.Member, error) {
	var (
		m          member.Member
		sealed     string
		residence  []byte
		categoryAt *time.Time
		left       leftColumns
	)
	err := row.Scan(&m.ID, &m.Name, &m.Sex, &m.BirthDate, &sealed, &m.Phone, &m.Education, &m.JoinDate, &m.Status,
		&m.EmploymentStatus, &m.Employer, &residence, &m.OrganisationID, &m.DistrictID, &m.Path, &m.Skills,
		&m.Hardship, &m.StarRating, &m.Version, &m.Created, &m.Updated, &m.Category.Code, &m.Category.Name,
		&m.Category.Overridden, &m.Category.Reason, &m.Category.By, &categoryAt, &m.Mobile,
		&left.at, &left.kind, &left.date, &left.reason, &left.arrival)
	if err != nil {
		return nil, err
	}
	if err := left.into(&m); err != nil {
		return nil, err
	}
	if categoryAt != nil {
		m.Category.At = categoryAt.UTC()
	}
	m.Created, m.Updated = m.Created.UTC(), m.Updated.UTC()
	if err := json.Unmarshal(residence, &m.Residence); err != nil {
		return nil, fmt.Errorf("member %s residence: %w", m.ID, err)
	}
	// The error names the member, never the number.
	if m.NationalID, err = s.ids.Open(sealed, m.ID); err != nil {
		return nil, fmt.Errorf("member %s national ID: %w", m.ID, err)
	}
	return &m, nil
}

func (s *Store) getMember(ctx context.Context, q querier, id string, lock bool) (*member.Member, error) {
	if uuid.Validate(id) != nil {
		return nil, member.ErrNotFound
	}
	sql := `SELECT ` + memberColumns + ` FROM members WHERE id = $1`
	if lock {
		sql += ` FOR UPDATE`
	}
	m, err := s.scanMember(q.QueryRow(ctx, sql, id))
	return m, interpretError(err, member.ErrNotFound)
}

// Get implements member.Store.
func (s *Store) Get(ctx context.Context, id string) (*member.Member, error) {
	return s.getMember(ctx, s.pool, id, false)
}

func (t *txStore) store() *Store { return &Store{ids: t.ids} }

// Lock implements member.Tx.
func (t *txStore) Lock(ctx context.Context, id string) (*member.Member, error) {
	m, err := t.store().getMember(ctx, t.tx, id, true)
	if err == nil {
		t.snapshot(m)
	}
	return m, err
}

// LiveHolder implements member.Tx.
func (t *txStore) LiveHolder(ctx context.Context, nationalID string) (*member.Member, bool, error) {
	m, err := t.store().scanMember(t.tx.QueryRow(ctx, `SELECT `+memberColumns+` FROM members
		WHERE national_id_hash = $1 AND left_at IS NULL`, t.ids.Hash(nationalID)))
	if pgdb.IsNoRows(err) {
		return nil, false, nil
	}
	return m, err == nil, err
}

func (t *txStore) sealed(m *member.Member) (string, []byte, []byte, error) {
	sealed, err := t.ids.Seal(m.NationalID, m.ID)
	if err != nil {
		return "", nil, nil, err
	}
	residence, err := json.Marshal(m.Residence)
	return sealed, t.ids.Hash(m.NationalID), residence, err
}

func skills(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Insert implements member.Tx.
func (t *txStore) Insert(ctx context.Context, m *member.Member) error {
	sealed, hash, residence, err := t.sealed(m)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO members (id, name, sex, birth_date, national_id_sealed, national_id_hash,
		phone, education, join_date, status, employment_status, employer, residence, organisation_id, district_id,
		path, skills, hardship, star_rating, version, created_at, updated_at, category_code, category_name,
		category_overridden, category_reason, category_by, category_at, arrival)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21,
			$22, $23, $24, $25, $26, $27, $28)`,
		m.ID, m.Name, m.Sex, m.BirthDate, sealed, hash, m.Phone, m.Education, m.JoinDate, m.Status,
		m.EmploymentStatus, m.Employer, residence, m.OrganisationID, nullable(m.DistrictID), m.Path,
		skills(m.Skills), m.Hardship, m.StarRating, m.Version, m.Created, m.Category.Code, m.Category.Name,
		m.Category.Overridden, m.Category.Reason, m.Category.By, nullableTime(m.Category.At), arrivalJSON(m.Arrival))
	return interpretError(err, member.ErrNotFound)
}

// Save implements member.Tx.
func (t *txStore) Save(ctx context.Context, m *member.Member) error {
	sealed, hash, residence, err := t.sealed(m)
	if err != nil {
		return err
	}
	tag, err := t.tx.Exec(ctx, `UPDATE members SET name = $2, sex = $3, birth_date = $4, national_id_sealed = $5,
		national_id_hash = $6, phone = $7, education = $8, join_date = $9, status = $10, employment_status = $11,
		employer = $12, residence = $13, skills = $14, hardship = $15, star_rating = $16, version = $17, updated_at = $18,
		organisation_id = $19, district_id = $20, path = $21, category_code = $22, category_name = $23,
		category_overridden = $24, category_reason = $25, category_by = $26, category_at = $27,
		left_at = $28, left_kind = $29, left_date = $30, left_reason = $31
		WHERE id = $1 AND version = $17 - 1`,
		append([]any{m.ID, m.Name, m.Sex, m.BirthDate, sealed, hash, m.Phone, m.Education, m.JoinDate, m.Status,
			m.EmploymentStatus, m.Employer, residence, skills(m.Skills), m.Hardship, m.StarRating, m.Version, m.Updated,
			m.OrganisationID, nullable(m.DistrictID), m.Path, m.Category.Code, m.Category.Name,
			m.Category.Overridden, m.Category.Reason, m.Category.By, nullableTime(m.Category.At)}, leftArgs(m.Left)...)...)
	if err != nil {
		return interpretError(err, member.ErrNotFound)
	}
	if tag.RowsAffected() != 1 {
		return errors.New("member version moved under a row lock")
	}
	return nil
}

// CountMembers implements member.Tx.
func (t *txStore) CountMembers(ctx context.Context, orgID string) (int64, error) {
	var n int64
	err := t.tx.QueryRow(ctx, `SELECT coalesce(sum(n), 0)::bigint FROM member_counts WHERE organisation_id = $1`, orgID).Scan(&n)
	return n, err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// RequestSeen implements replay.Requests.
func (t *txStore) RequestSeen(ctx context.Context, requestID string) (string, bool, error) {
	return requestid.Seen(ctx, t.tx, requestID)
}

// RememberRequest implements replay.Requests.
func (t *txStore) RememberRequest(ctx context.Context, requestID, resourceID string) error {
	return requestid.Remember(ctx, t.tx, requestID, resourceID)
}
