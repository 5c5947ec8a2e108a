package procfs

import (
	"strings"
	"testing"
)

func TestParseKB(t *testing.T) {
	const status = "Name:\tgongjian\nVmPeak:\t  123456 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nThreads:\t7\n"
	for _, tt := range []struct {
		key  string
		want int64
		err  string
	}{
		{key: "VmHWM:", want: 2048 << 10},
		{key: "VmRSS:", want: 1024 << 10},
		{key: "VmPeak:", want: 123456 << 10},
		{key: "VmSwap:", err: "no VmSwap: line"},
		{key: "Threads:", err: "not in kB"},
	} {
		got, err := parseKB(status, tt.key, "status")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: %d, %v; want an error with %q", tt.key, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.key, got, err, tt.want)
		}
	}
	if _, err := parseKB("VmHWM:\t  -5 kB\n", "VmHWM:", "status"); err == nil {
		t.Error("a negative size was taken")
	}
}

// TestThisMachine reads the real files: Linux is the only platform the
// services run on.
func TestThisMachine(t *testing.T) {
	mem, err := MemTotal()
	if err != nil || mem < 64<<20 {
		t.Fatalf("MemTotal %d, %v", mem, err)
	}
	if err := ResetPeakRSS(); err != nil {
		t.Fatal(err)
	}
	ballast := make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	peak, err := PeakRSS()
	if err != nil || peak < 64<<20 || peak > mem {
		t.Fatalf("PeakRSS %d, %v after touching 64 MiB", peak, err)
	}
	_ = ballast[len(ballast)-1]
}
