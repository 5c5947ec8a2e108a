package audit

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// ReadLog records reads of personal data as WriteReads does over the pool,
// with group commit: the records of reads that arrive while one statement
// is being committed are written together by the next, so that under load
// one durable commit serves many reads instead of one each, and a read
// alone waits only for its own commit, as before. Every read still returns
// only once its own record has committed, and fails if it could not be
// written (then so do the others of its group: none of them is served).
//
// Pass a ReadLog where the pool was passed to WriteReads; its Exec sends a
// statement straight to the pool.
type ReadLog struct {
	db Executor

	mu      sync.Mutex
	pending *readGroup // the records waiting for the next statement
	writing bool       // a statement is being written and committed
}

// readGroup is the records of one statement and what became of it.
type readGroup struct {
	cols [][]string
	done chan struct{}
	err  error
}

// readLogTimeout bounds one grouped statement, whatever the context of the
// read that sends it (its caller may leave; the others of the group wait).
const readLogTimeout = 30 * time.Second

// NewReadLog returns a ReadLog writing into db, a pool whose search path
// holds audit_log.
func NewReadLog(db Executor) *ReadLog { return &ReadLog{db: db} }

// Exec implements Executor, straight to the pool.
func (l *ReadLog) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return l.db.Exec(ctx, sql, args...)
}

// write adds the records (by column) to the group waiting, and waits
// until the group is committed. The first read finding no statement under
// way sends its group at once; reads arriving meanwhile gather into the
// next group, which is sent as soon as the one under way has committed.
func (l *ReadLog) write(ctx context.Context, cols [][]string) error {
	l.mu.Lock()
	if l.pending == nil {
		l.pending = &readGroup{cols: make([][]string, len(cols)), done: make(chan struct{})}
	}
	g := l.pending
	for i := range cols {
		g.cols[i] = append(g.cols[i], cols[i]...)
	}
	lead := !l.writing
	l.writing = true
	l.mu.Unlock()
	if lead {
		l.drain(context.WithoutCancel(ctx))
	}
	select {
	case <-g.done:
		return g.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// drain sends the waiting groups one statement each until none waits.
// The read that started it returns once its own group is committed, and
// hands what gathered meanwhile to a goroutine of its own.
func (l *ReadLog) drain(ctx context.Context) {
	first := true
	for {
		l.mu.Lock()
		g := l.pending
		l.pending = nil
		if g == nil {
			l.writing = false
			l.mu.Unlock()
			return
		}
		if !first {
			// Not this read's group: let another goroutine carry on, so the
			// read that led is not kept writing for others.
			l.pending = g
			l.mu.Unlock()
			go l.drain(ctx)
			return
		}
		l.mu.Unlock()
		first = false
		sctx, cancel := context.WithTimeout(ctx, readLogTimeout)
		g.err = insertReads(sctx, l.db, g.cols)
		cancel()
		close(g.done)
	}
}
