package logtest

import (
	"strings"
	"sync"
	"testing"
)

func TestBufferKeepsConcurrentWrites(t *testing.T) {
	t.Parallel()
	var b Buffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { _, _ = b.Write([]byte("line\n")) })
	}
	wg.Wait()
	if n := strings.Count(b.String(), "line\n"); n != 8 {
		t.Fatalf("%d lines, want 8", n)
	}
}
