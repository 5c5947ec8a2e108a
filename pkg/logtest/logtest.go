// Package logtest gives tests a logger whose lines are kept and shown only
// when the test fails, and the concurrency-safe buffer behind it.
package logtest

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"
)

// Buffer is a log destination safe for concurrent writers.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// New returns a text logger for one test; its lines are printed if the test fails.
func New(t testing.TB) *slog.Logger {
	var buf Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(&buf, nil))
}
