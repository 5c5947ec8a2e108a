package audit_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
)

// countingExecutor counts the statements sent to the pool, and blocks the
// first until released, so that reads gather behind it.
type countingExecutor struct {
	db      audit.Executor
	n       atomic.Int32
	hold    chan struct{}
	holding sync.Once
	failing bool
}

func (c *countingExecutor) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.n.Add(1)
	c.holding.Do(func() { <-c.hold })
	if c.failing {
		return pgconn.CommandTag{}, errors.New("the database is gone")
	}
	return c.db.Exec(ctx, sql, args...)
}

// TestAReadLogCommitsTheReadsThatArriveTogetherInOneStatement: 40 reads
// arriving while the first is being committed are written by one more
// statement, every record with its own reader; each read returns only
// after its record committed. A statement that fails fails every read of
// its group.
func TestAReadLogCommitsTheReadsThatArriveTogetherInOneStatement(t *testing.T) {
	t.Parallel()
	for _, failing := range []bool{false, true} {
		t.Run(fmt.Sprintf("failing=%v", failing), func(t *testing.T) {
			t.Parallel()
			pool := newPool(t)
			exec := &countingExecutor{db: pool, hold: make(chan struct{}), failing: failing}
			log := audit.NewReadLog(exec)
			read := func(i int) error {
				ctx := auth.WithPrincipal(callContext(t), &auth.Principal{Subject: fmt.Sprintf("reader-%02d", i), Role: auth.CommunitySecretary})
				return audit.WriteReads(ctx, log, audit.Entry{SubjectType: "member", SubjectID: fmt.Sprintf("m-%02d", i)})
			}
			errs := make([]error, 41)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); errs[0] = read(0) }()
			for exec.n.Load() == 0 { // the first statement is under way, held
				runtime.Gosched()
			}
			var started sync.WaitGroup
			for i := 1; i <= 40; i++ {
				wg.Add(1)
				started.Add(1)
				go func() { defer wg.Done(); started.Done(); errs[i] = read(i) }()
			}
			started.Wait()
			for audit.PendingReads(log) < 40 {
				runtime.Gosched()
			}
			close(exec.hold)
			wg.Wait()
			if n := exec.n.Load(); n < 2 || n > 3 {
				t.Errorf("%d statements for 41 reads, 40 of them arriving while the first was written; want 2 (3 if one came late)", n)
			}
			rows := readAll(t, pool)
			for i, err := range errs {
				if failing && err == nil {
					t.Errorf("read %d succeeded though its record could not be written", i)
				}
				if !failing && err != nil {
					t.Errorf("read %d: %v", i, err)
				}
			}
			if failing {
				if len(rows) != 0 {
					t.Errorf("%d records written by failed statements", len(rows))
				}
				return
			}
			seen := map[string]string{}
			for _, r := range rows {
				seen[r.SubjectID] = r.ActorSubject
			}
			for i := range 41 {
				if got := seen[fmt.Sprintf("m-%02d", i)]; got != fmt.Sprintf("reader-%02d", i) {
					t.Errorf("the read of m-%02d was recorded as %q's", i, got)
				}
			}
			if len(rows) != 41 {
				t.Errorf("%d records, want 41", len(rows))
			}
		})
	}
}
