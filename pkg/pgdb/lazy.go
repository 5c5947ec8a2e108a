package pgdb

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// lazyTx is a transaction whose BEGIN travels with its first statement, in
// the same round trip, instead of alone before it as Conn.BeginTx sends it:
// every transaction of InTx saves a round trip to PostgreSQL, and one that
// sends nothing costs none.
//
// The first statement (or batch) goes in a batch that begins with pgx's
// Batch.BeginTx; from then on the transaction is pgx's own, and every call
// goes to it. What cannot share the batch — a copy, a savepoint, a
// statement with pgx's query options or of several commands — begins the
// transaction alone first, as pgx would.
type lazyTx struct {
	conn   *pgx.Conn
	opts   pgx.TxOptions
	tx     pgx.Tx // once begun, until SendAndCommit ends it
	closed bool   // ended before anything was sent, or by SendAndCommit: no statement taken
	ended  bool   // committed with its last batch, for InTx's Commit to find
	// savepoints counts those Begin opened: a savepoint is pgx's, and would
	// not know that SendAndCommit had ended the transaction, so there is
	// none then.
	savepoints int
}

func newLazyTx(conn *pgx.Conn, opts pgx.TxOptions) *lazyTx {
	return &lazyTx{conn: conn, opts: opts}
}

// start begins the transaction alone, for what cannot share a round trip
// with BEGIN.
func (t *lazyTx) start(ctx context.Context) (pgx.Tx, error) {
	if t.tx != nil {
		return t.tx, nil
	}
	if t.closed {
		return nil, pgx.ErrTxClosed
	}
	tx, err := t.conn.BeginTx(ctx, t.opts)
	if err != nil {
		return nil, err
	}
	t.tx = tx
	return tx, nil
}

// shareable says whether a statement can go in the batch that begins the
// transaction: not with pgx's query options (an execution mode, result
// formats), which a batch does not take, nor of several commands, which
// the extended protocol refuses.
func shareable(sql string, args []any) bool {
	if len(args) > 0 {
		switch args[0].(type) {
		case pgx.QueryExecMode, pgx.QueryResultFormats, pgx.QueryResultFormatsByOID:
			return false
		}
	}
	return !strings.Contains(strings.TrimRight(sql, "; \t\r\n"), ";")
}

// withBegin sends BEGIN and b's statements in one round trip and reads
// BEGIN's answer: the rest are the caller's to read. Should BEGIN fail,
// every read answers its error.
func (t *lazyTx) withBegin(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	nb := &pgx.Batch{}
	nb.BeginTx(t.opts)
	nb.QueuedQueries = append(nb.QueuedQueries, b.QueuedQueries...)
	br := t.conn.SendBatch(ctx, nb)
	t.tx = br.Tx()
	_, _ = br.Exec() // an error stays with br, for the caller's reads and Close
	return br
}

// Begin implements pgx.Tx: a savepoint.
func (t *lazyTx) Begin(ctx context.Context) (pgx.Tx, error) {
	tx, err := t.start(ctx)
	if err != nil {
		return nil, err
	}
	sp, err := tx.Begin(ctx)
	if err == nil {
		t.savepoints++
	}
	return sp, err
}

// Commit implements pgx.Tx: nothing to send for a transaction that sent
// nothing, or that SendAndCommit committed.
func (t *lazyTx) Commit(ctx context.Context) error {
	if t.ended {
		t.ended = false
		return nil
	}
	if t.tx != nil {
		return t.tx.Commit(ctx)
	}
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	return nil
}

// Rollback implements pgx.Tx.
func (t *lazyTx) Rollback(ctx context.Context) error {
	if t.ended {
		// Its COMMIT went with its last batch: there is nothing to roll back.
		t.ended = false
		return nil
	}
	if t.tx != nil {
		return t.tx.Rollback(ctx)
	}
	if t.closed {
		return pgx.ErrTxClosed
	}
	t.closed = true
	return nil
}

// CopyFrom implements pgx.Tx.
func (t *lazyTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	tx, err := t.start(ctx)
	if err != nil {
		return 0, err
	}
	return tx.CopyFrom(ctx, table, columns, src)
}

// SendBatch implements pgx.Tx: the first batch carries BEGIN.
func (t *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	switch {
	case t.tx != nil:
		return t.tx.SendBatch(ctx, b)
	case t.closed:
		return pgx.FailedBatchResults(b, pgx.ErrTxClosed)
	}
	return t.withBegin(ctx, b)
}

// LargeObjects implements pgx.Tx. It needs the transaction begun: a
// transaction that has sent nothing yet has none to give.
func (t *lazyTx) LargeObjects() pgx.LargeObjects {
	if t.tx == nil {
		panic("pgdb: LargeObjects before the transaction's first statement")
	}
	return t.tx.LargeObjects()
}

// Prepare implements pgx.Tx.
func (t *lazyTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if t.tx != nil {
		return t.tx.Prepare(ctx, name, sql)
	}
	if t.closed {
		return nil, pgx.ErrTxClosed
	}
	return t.conn.Prepare(ctx, name, sql)
}

// Exec implements pgx.Tx.
func (t *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if t.tx != nil || t.closed || !shareable(sql, args) {
		tx, err := t.start(ctx)
		if err != nil {
			return pgconn.CommandTag{}, err
		}
		return tx.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br := t.withBegin(ctx, b)
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// Query implements pgx.Tx.
func (t *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if t.tx != nil || t.closed || !shareable(sql, args) {
		tx, err := t.start(ctx)
		if err != nil {
			return errRows{err}, err
		}
		return tx.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	br := t.withBegin(ctx, b)
	rows, err := br.Query()
	if err != nil {
		if rows != nil {
			rows.Close()
		}
		_ = br.Close()
		return errRows{err}, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow implements pgx.Tx.
func (t *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if t.tx != nil {
		return t.tx.QueryRow(ctx, sql, args...)
	}
	rows, err := t.Query(ctx, sql, args...)
	return firstRow{rows: rows, err: err}
}

// Shared is tx handed to code that writes in it but must not end it (an
// event handler, in its consumer's transaction): SendAndCommit sends its
// batches alone.
func Shared(tx pgx.Tx) pgx.Tx { return shared{tx} }

type shared struct{ pgx.Tx }

// SendAndCommit sends b and, when tx is InTx's own transaction, its COMMIT
// in the same round trip: for the writes a transaction ends with, so that
// its last round trip is also its commit. It must be the last thing fn
// does with tx: after it the transaction takes no statement, and InTx's
// commit sends nothing. Any other transaction (one begun elsewhere, or
// handed on as Shared) gets b alone, as SendBatch would send it, and
// stays open.
func SendAndCommit(ctx context.Context, tx pgx.Tx, b *pgx.Batch) error {
	t, ok := tx.(*lazyTx)
	if !ok || t.tx == nil && t.closed || t.savepoints > 0 {
		return tx.SendBatch(ctx, b).Close()
	}
	for _, q := range b.QueuedQueries {
		if q.Fn != nil { // callbacks read their own results: keep the batch as it is
			return tx.SendBatch(ctx, b).Close()
		}
	}
	commit := "commit"
	if t.opts.CommitQuery != "" {
		commit = t.opts.CommitQuery
	}
	queued := append(append(make([]*pgx.QueuedQuery, 0, len(b.QueuedQueries)+1), b.QueuedQueries...), &pgx.QueuedQuery{SQL: commit})
	br := t.SendBatch(ctx, &pgx.Batch{QueuedQueries: queued})
	for range b.QueuedQueries {
		if _, err := br.Exec(); err != nil {
			_ = br.Close()
			return err
		}
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Ended: pgx's transaction never saw the COMMIT, so it is let go, and
	// every later statement finds the transaction closed.
	t.tx, t.closed, t.ended = nil, true, true
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// Conn implements pgx.Tx.
func (t *lazyTx) Conn() *pgx.Conn { return t.conn }

// batchRows are the rows of a transaction's first query, read from the
// batch that began it; closing them finishes the batch, after which the
// transaction is free for the next statement.
type batchRows struct {
	pgx.Rows
	br  pgx.BatchResults
	err error
}

func (r *batchRows) Close() {
	if r.br == nil {
		return
	}
	r.Rows.Close()
	r.err = r.br.Close()
	r.br = nil
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close() // as pgx's rows close themselves once read
	return false
}

// Scan closes the rows, and so the batch, when it fails, as pgx's rows do.
func (r *batchRows) Scan(dest ...any) error {
	err := r.Rows.Scan(dest...)
	if err != nil {
		r.Close()
	}
	return err
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// firstRow is QueryRow's answer made from Query's, as pgx makes it.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// errRows are the rows of a query that could not be sent: closed, and
// carrying why, as pgx answers them (pgx.CollectRows reads the error).
type errRows struct{ err error }

func (e errRows) Close()                                       {}
func (e errRows) Err() error                                   { return e.err }
func (e errRows) CommandTag() pgconn.CommandTag                { return pgconn.CommandTag{} }
func (e errRows) FieldDescriptions() []pgconn.FieldDescription { return nil }
func (e errRows) Next() bool                                   { return false }
func (e errRows) Scan(...any) error                            { return e.err }
func (e errRows) Values() ([]any, error)                       { return nil, e.err }
func (e errRows) RawValues() [][]byte                          { return nil }
func (e errRows) Conn() *pgx.Conn                              { return nil }
func (e errRows) TypeMap() *pgtype.Map                         { return pgtype.NewMap() }
