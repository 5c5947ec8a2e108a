package supervisor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// sh is a child running a shell script, with PATH so that it finds sleep.
func sh(name, script string) Spec {
	return Spec{Name: name, Path: "/bin/sh", Args: []string{"-c", script}, Env: []string{"PATH=/usr/bin:/bin"}}
}

// loop runs until SIGTERM, when it exits cleanly.
const loop = `trap 'echo bye; exit 0' TERM; echo up; while :; do sleep 0.05; done`

type lines struct {
	mu  sync.Mutex
	got []string
}

func (l *lines) add(name, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, name+": "+line)
}

func (l *lines) has(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.got, s)
}

func TestAChildRunsUntilStoppedAndItsLinesAreNamed(t *testing.T) {
	t.Parallel()
	out := &lines{}
	s := New(out.add)
	if err := s.Start(t.Context(), sh("svc", loop)); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(5 * time.Second); err != nil {
		t.Errorf("Stop = %v, want a clean stop", err)
	}
	for _, want := range []string{"svc: up", "svc: bye"} {
		if !out.has(want) {
			t.Errorf("output lacks %q: %q", want, out.got)
		}
	}
}

func TestStartWaitsForTheProbe(t *testing.T) {
	t.Parallel()
	s := New(func(string, string) {})
	defer s.Stop(time.Second)
	ready := time.Now().Add(300 * time.Millisecond)
	spec := sh("svc", loop)
	spec.Ready = func(context.Context) error {
		if time.Now().Before(ready) {
			return errors.New("not yet")
		}
		return nil
	}
	if err := s.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	if time.Now().Before(ready) {
		t.Error("Start returned before the probe passed")
	}
}

func TestStartFails(t *testing.T) {
	t.Parallel()
	never := func(context.Context) error { return errors.New("not ready") }
	tests := []struct {
		name    string
		spec    Spec
		timeout time.Duration
		want    []string
	}{
		{"when the child exits before it is ready, quoting its last lines",
			sh("svc", "echo cannot bind; exit 3"), 0, []string{"exit status 3", "cannot bind"}},
		{"when the probe never passes",
			sh("svc", loop), 300 * time.Millisecond, []string{"not ready after 300ms", "up"}},
		{"when the program does not exist",
			Spec{Name: "svc", Path: "/nonexistent/svc"}, 0, []string{"svc: start"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.spec.Ready, tt.spec.ReadyTimeout = never, tt.timeout
			s := New(func(string, string) {})
			err := s.Start(t.Context(), tt.spec)
			if err == nil {
				t.Fatal("Start succeeded")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if err := s.Stop(time.Second); err != nil {
				t.Errorf("Stop after a failed Start = %v, want nothing more to report", err)
			}
		})
	}
}

func TestAReadyChildThatDiesIsReportedOnce(t *testing.T) {
	t.Parallel()
	s := New(func(string, string) {})
	s.Quote = strings.ToUpper
	if err := s.Start(t.Context(), sh("svc", "echo panic: boom; sleep 0.2; exit 2")); err != nil {
		t.Fatal(err)
	}
	select {
	case exit := <-s.Died():
		if exit.Name != "svc" || !slices.Contains(exit.Tail, "PANIC: BOOM") || !strings.Contains(exit.Error(), "exit status 2") {
			t.Errorf("Died = %+v (%v), want svc with its quoted last line and exit status", exit, exit)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the death was not reported")
	}
	if err := s.Stop(time.Second); err != nil {
		t.Errorf("Stop = %v, want the death not reported again", err)
	}
}

func TestAChildIgnoringSIGTERMIsKilledAfterTheGrace(t *testing.T) {
	t.Parallel()
	s := New(func(string, string) {})
	if err := s.Start(t.Context(), sh("stubborn", `trap '' TERM; echo up; while :; do sleep 0.05; done`)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := s.Stop(300 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "killed after 300ms") {
		t.Errorf("Stop = %v, want the child reported killed", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Stop took %s", took)
	}
	select {
	case exit := <-s.Died():
		t.Errorf("a child killed by Stop was reported as dying on its own: %v", exit)
	default:
	}
}
