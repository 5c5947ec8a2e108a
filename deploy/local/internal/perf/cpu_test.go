package perf

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestCPUPerCallIsEachProcessesTimeOverTheCalls(t *testing.T) {
	t.Parallel()
	before := CPUSample{ByProcess: map[string]time.Duration{"postgres": time.Second, "member": 2 * time.Second, ClientName: 0},
		Busy: 10 * time.Second, Total: 20 * time.Second}
	after := CPUSample{ByProcess: map[string]time.Duration{"postgres": 3 * time.Second, "member": 3 * time.Second, ClientName: 500 * time.Millisecond},
		Busy: 13 * time.Second, Total: 24 * time.Second}
	got := after.Since(before).PerCall(1000)
	want := map[string]float64{"postgres": 2, "member": 1, ClientName: 0.5, "total": 3.5}
	for name, v := range want {
		if math.Abs(got[name]-v) > 1e-9 {
			t.Errorf("%s: %v ms a call, want %v", name, got[name], v)
		}
	}
	if busy := after.Since(before).MachineBusy; math.Abs(busy-0.75) > 1e-9 {
		t.Errorf("machine busy %v, want 3 s of 4", busy)
	}
	if (CPU{}).PerCall(10) != nil || after.Since(before).PerCall(0) != nil {
		t.Error("a row with nothing metered, or no call, has no CPU per call")
	}
}

// The postmaster's backends come and go: a child that ended and was
// waited for still counts, through its parent's reaped children's time.
func TestTheMeterCountsTheChildrenThatEnded(t *testing.T) {
	t.Parallel()
	m := &Meter{}
	m.Add("self", os.Getpid(), true)
	before := m.Sample()
	cmd := exec.Command("/bin/sh", "-c", `i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done`)
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	child := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	got := m.Sample().Since(before).ByProcess["self"]
	// The kernel counts in ticks of 10 ms; the test's own goroutines add.
	if got < child-2*clockTick {
		t.Errorf("metered %v for this process and its children, but the child alone spent %v", got, child)
	}
	if m.Sample().Total <= 0 {
		t.Error("the machine's CPU time was not read")
	}
}

func TestTheReportSaysWhereEachCallsCPUWent(t *testing.T) {
	t.Parallel()
	rows := []Row{
		{Name: "copy", PerSecond: 90000},
		{Name: "transfer step calls", PerSecond: 340, MachineBusy: 0.98,
			CPUPerCallMs: map[string]float64{"postgres": 2.5, "member": 1.55, ClientName: 0.2, "total": 4.25}},
	}
	var b bytes.Buffer
	if err := WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	_, cpu, ok := strings.Cut(out, "CPU time per call")
	if !ok {
		t.Fatalf("no CPU table:\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(cpu), "\n")
	if len(lines) != 3 {
		t.Fatalf("CPU table of %d lines, want a title, a header and the one metered row:\n%s", len(lines), cpu)
	}
	for _, want := range []string{"postgres", "member", ClientName, "machine busy"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("header %q lacks %q", lines[1], want)
		}
	}
	for _, want := range []string{"transfer step calls", "4.25", "2.50", "1.55", "0.20", "98%"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("row %q lacks %q", lines[2], want)
		}
	}
}
