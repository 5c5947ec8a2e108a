package perf

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ).
const clockTick = 10 * time.Millisecond

// Meter reads the CPU time of this process (the load generator) and of the
// system's processes: the services, the gateway, NATS, and PostgreSQL with
// every backend it forked.
type Meter struct {
	// Servers are the system's process ids; Parents are those whose
	// children count too (the postmaster).
	Servers, Parents []int
}

// CPUSample is a reading of the meter.
type CPUSample struct {
	Client, Servers time.Duration
}

// CPU is the CPU time spent between two samples.
type CPU struct {
	Client, Servers time.Duration
}

// ClientShare is the generator's share of the CPU time spent.
func (c CPU) ClientShare() float64 {
	if c.Client+c.Servers <= 0 {
		return 0
	}
	return float64(c.Client) / float64(c.Client+c.Servers)
}

// Since is the CPU time spent from before to s.
func (s CPUSample) Since(before CPUSample) CPU {
	return CPU{Client: s.Client - before.Client, Servers: s.Servers - before.Servers}
}

// Sample reads the meter.
func (m *Meter) Sample() CPUSample {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	s := CPUSample{Client: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	for _, pid := range m.Servers {
		s.Servers += procCPU(pid)
	}
	if len(m.Parents) > 0 {
		for _, pid := range childrenOf(m.Parents) {
			s.Servers += procCPU(pid)
		}
	}
	return s
}

// procStat returns the fields of /proc/<pid>/stat after the command name.
func procStat(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(s[i+1:])
}

// procCPU is a process's user and system time.
func procCPU(pid int) time.Duration {
	f := procStat(pid)
	if len(f) < 13 {
		return 0
	}
	// Fields after the name: state(0) ppid(1) … utime(11) stime(12).
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * clockTick
}

// childrenOf lists the running processes whose parent is one of parents.
func childrenOf(parents []int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f := procStat(pid)
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		for _, p := range parents {
			if ppid == p {
				out = append(out, pid)
			}
		}
	}
	return out
}
