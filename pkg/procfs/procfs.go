// Package procfs reads the few figures of Linux's /proc that the platform
// uses: the machine's memory, to size the database's buffers, and a
// process's resident memory, which the benchmarks and the performance
// runs write down beside their ceilings.
package procfs

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// KB reads the line "<key> <n> kB" of a /proc file (meminfo, a process's
// status) and answers n in bytes. key includes its colon ("MemTotal:").
func KB(path, key string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseKB(string(b), key, path)
}

func parseKB(text, key, path string) (int64, error) {
	for line := range strings.Lines(text) {
		v, ok := strings.CutPrefix(line, key)
		if !ok {
			continue
		}
		digits, ok := strings.CutSuffix(strings.TrimSpace(v), " kB")
		if !ok {
			return 0, fmt.Errorf("%s: %s is not in kB: %q", path, key, strings.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(digits), 10, 64)
		if err != nil || kb < 0 {
			return 0, fmt.Errorf("%s: %s is not a number of kB: %q", path, key, strings.TrimSpace(line))
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("%s: no %s line", path, key)
}

// MemTotal is the machine's memory in bytes.
func MemTotal() (int64, error) { return KB("/proc/meminfo", "MemTotal:") }

// PeakRSS is the peak resident memory of this process (VmHWM) in bytes.
func PeakRSS() (int64, error) { return KB("/proc/self/status", "VmHWM:") }

// ResetPeakRSS starts this process's peak resident memory afresh, so that
// the next PeakRSS is the peak of what follows.
func ResetPeakRSS() error { return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
