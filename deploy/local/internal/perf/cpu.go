package perf

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's times (USER_HZ).
const clockTick = 10 * time.Millisecond

// Meter reads the CPU time of this process (the load generator) and of the
// system's processes, each under its name: the services, the gateway,
// NATS, and PostgreSQL with every backend it forked; and how busy the
// machine's CPUs were meanwhile.
type Meter struct {
	procs []meteredProc
}

type meteredProc struct {
	name     string
	pid      int
	children bool
}

// Add meters process pid under name (names may repeat: their times add
// up); with children, the processes it forked count too (the postmaster's
// backends).
func (m *Meter) Add(name string, pid int, children bool) {
	m.procs = append(m.procs, meteredProc{name: name, pid: pid, children: children})
}

// ClientName names the load generator among a sample's processes.
const ClientName = "load generator"

// CPUSample is a reading of the meter.
type CPUSample struct {
	// ByProcess is each metered name's time, the client's under ClientName.
	ByProcess map[string]time.Duration
	// Busy and Total are the machine's CPU time spent working and in all
	// since boot (/proc/stat), summed over its CPUs.
	Busy, Total time.Duration
}

// CPU is the CPU time spent between two samples.
type CPU struct {
	// ByProcess is each metered name's time, the client's under ClientName.
	ByProcess map[string]time.Duration
	// MachineBusy is the share of the machine's CPU time that was busy,
	// whoever spent it (0 when unknown).
	MachineBusy float64
}

// ClientShare is the generator's share of the CPU time spent.
func (c CPU) ClientShare() float64 {
	var all time.Duration
	for _, d := range c.ByProcess {
		all += d
	}
	if all <= 0 {
		return 0
	}
	return float64(c.ByProcess[ClientName]) / float64(all)
}

// PerCall is each process's CPU time per call, in ms, and their sum under
// "total"; nil when nothing was metered or no call succeeded.
func (c CPU) PerCall(calls float64) map[string]float64 {
	if calls <= 0 || len(c.ByProcess) == 0 {
		return nil
	}
	out := map[string]float64{}
	var total time.Duration
	for name, d := range c.ByProcess {
		out[name] = float64(d) / float64(time.Millisecond) / calls
		total += d
	}
	out["total"] = float64(total) / float64(time.Millisecond) / calls
	return out
}

// Since is the CPU time spent from before to s.
func (s CPUSample) Since(before CPUSample) CPU {
	c := CPU{ByProcess: map[string]time.Duration{}}
	for name, d := range s.ByProcess {
		c.ByProcess[name] = d - before.ByProcess[name]
	}
	if total := s.Total - before.Total; total > 0 {
		c.MachineBusy = float64(s.Busy-before.Busy) / float64(total)
	}
	return c
}

// Sample reads the meter.
func (m *Meter) Sample() CPUSample {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	s := CPUSample{ByProcess: map[string]time.Duration{ClientName: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}}
	var parents []int
	for _, p := range m.procs {
		if p.children {
			parents = append(parents, p.pid)
		}
	}
	children := childrenOf(parents)
	for _, p := range m.procs {
		d := procCPU(p.pid, p.children)
		for _, c := range children[p.pid] {
			d += procCPU(c, false)
		}
		s.ByProcess[p.name] += d
	}
	s.Busy, s.Total = machineCPU()
	return s
}

// machineCPU reads the first line of /proc/stat: the time all CPUs spent
// busy (user, nice, system, irq, softirq, steal) and in all (with idle
// and iowait).
func machineCPU() (busy, total time.Duration) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0
	}
	for i, v := range f[1:9] {
		n, _ := strconv.ParseInt(v, 10, 64)
		d := time.Duration(n) * clockTick
		total += d
		if i != 3 && i != 4 { // idle, iowait
			busy += d
		}
	}
	return busy, total
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

// procCPU is a process's user and system time and, with reaped, that of
// its children that ended and were waited for (a PostgreSQL backend that
// closed).
func procCPU(pid int, reaped bool) time.Duration {
	f := procStat(pid)
	// Fields after the name: state(0) ppid(1) … utime(11) stime(12)
	// cutime(13) cstime(14).
	last := 12
	if reaped {
		last = 14
	}
	if len(f) <= last {
		return 0
	}
	var ticks int64
	for _, v := range f[11 : last+1] {
		n, _ := strconv.ParseInt(v, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * clockTick
}

// childrenOf lists the running processes whose parent is one of parents,
// by parent.
func childrenOf(parents []int) map[int][]int {
	if len(parents) == 0 {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := map[int][]int{}
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
		if slices.Contains(parents, ppid) {
			out[ppid] = append(out[ppid], pid)
		}
	}
	return out
}
