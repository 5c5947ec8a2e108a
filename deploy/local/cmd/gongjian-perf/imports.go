package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"gongjian.dev/deploy/local/internal/perf"
	"gongjian.dev/deploy/local/internal/stack"
	"gongjian.dev/pkg/procfs"
)

func init() {
	register(60, "import", measureImport)
}

// The import's rows and ceilings, as the member service's bulk import
// measures them (member-bulkload).
const (
	ceilingImportCopy        = "CopyFrom of the import's rows"
	ceilingImportIndexedCopy = "CopyFrom of them, members' indexes"
	importMaxRSS             = 300 << 20
)

// importResult is what member-bulkload prints.
type importResult struct {
	Rows                        int     `json:"rows"`
	Seconds                     float64 `json:"seconds"`
	RowsPerSecond               float64 `json:"rows_per_second"`
	CeilingSeconds              float64 `json:"ceiling_seconds"`
	CeilingRowsPerSecond        float64 `json:"ceiling_rows_per_second"`
	IndexedCeilingSeconds       float64 `json:"indexed_ceiling_seconds"`
	IndexedCeilingRowsPerSecond float64 `json:"indexed_ceiling_rows_per_second"`
	SentSeconds                 float64 `json:"sent_seconds"`
	Job                         string  `json:"job"`
}

// measureImport imports a roster of PERF_IMPORT_ROWS new members (200,000
// by default, at most one and a half times the city's) through MemberImportService, end to
// end — the file streamed over gRPC, staged with COPY, checked, registered
// with its audit records, events and counters — beside the CopyFrom of the
// same rows into a table shaped as members (bare, then with members'
// indexes) in the same run, while the member service's resident memory is
// read every 100 ms.
func measureImport(ctx context.Context, s *system) ([]perf.Row, error) {
	rows := s.cfg.ImportRows
	if rows <= 0 {
		rows = min(200_000, s.cfg.Members*3/2)
	}
	raw, err := s.issuer.Issue(reader)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "member-bulkload"), "-addr", s.addrs["member"],
		"-rows", strconv.Itoa(rows), "-area", "610103") // the seed's numbers are of 610102
	env := map[string]string{"DATABASE_URL": s.dbURL, "MEMBER_TOKEN": raw}
	maps.Copy(env, s.secrets["member"])
	cmd.Env = stack.Environ(env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr

	stopWatch := watchRSS(s.sup.Pid("member"), 100*time.Millisecond)
	stopHeaps := s.heapsAtPeak(ctx, "member", "import")
	before := s.meter.Sample()
	s.logf("importing %d members (after their ceilings)", rows)
	runErr := cmd.Run()
	cpu := s.meter.Sample().Since(before)
	peak := stopWatch()
	stopHeaps()
	if runErr != nil {
		return nil, fmt.Errorf("member-bulkload: %w", runErr)
	}
	var res importResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("member-bulkload printed %q: %w", out.String(), err)
	}
	// The importer is the load generator: its CPU is the client's.
	if st := cmd.ProcessState; st != nil {
		cpu.ByProcess[perf.ClientName] += st.UserTime() + st.SystemTime()
	}
	bare := perf.Row{Name: ceilingImportCopy, PerSecond: res.CeilingRowsPerSecond,
		Note: fmt.Sprintf("%d rows, ID numbers sealed and hashed, into a table shaped as members with its primary key only (%.0f s)", rows, res.CeilingSeconds)}
	indexed := perf.Row{Name: ceilingImportIndexedCopy, PerSecond: res.IndexedCeilingRowsPerSecond,
		Note: fmt.Sprintf("the same rows into a table shaped as members with all its indexes (%.0f s)", res.IndexedCeilingSeconds)}
	row := perf.Row{Name: "bulk import, end to end", PerSecond: res.RowsPerSecond,
		ClientCPUShare: cpu.ClientShare(), CPUPerCallMs: cpu.PerCall(float64(rows)), MachineBusy: cpu.MachineBusy}.Against(bare)
	verdict := "met"
	if peak.bytes >= importMaxRSS {
		verdict = "not met"
	}
	row.Note = fmt.Sprintf("%d rows in %.0f s (the file sent, checked and staged after %.0f s), %.2f of the indexed copy; "+
		"the member service's resident memory at most %d MiB (%s; target < 300 MiB: %s); target ratio 0.5; CPU per row",
		rows, res.Seconds, res.SentSeconds, res.RowsPerSecond/max(res.IndexedCeilingRowsPerSecond, 1), peak.bytes>>20, peak.how, verdict)
	return []perf.Row{bare, indexed, row}, nil
}

// heapsAtPeak, with PERF_PROFILE, saves service's heap profile (and its
// memory statistics, as text) into the run's profiles folder as
// <name>-heap.pprof and <name>-heap.txt each time its resident memory,
// read every two seconds, has grown by 8 MiB since the last saved: what
// is left when stop returns is the heap nearest the peak.
func (s *system) heapsAtPeak(ctx context.Context, service, name string) (stop func()) {
	addr, pid := s.pprof[service], s.sup.Pid(service)
	if addr == "" || pid == 0 {
		return func() {}
	}
	status := fmt.Sprintf("/proc/%d/status", pid)
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(2 * time.Second)
		defer t.Stop()
		var saved int64
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			rss, err := procfs.KB(status, "VmRSS:")
			if err != nil || rss < saved+8<<20 {
				continue
			}
			base := fmt.Sprintf("http://%s/debug/pprof/heap", addr)
			err = s.saveDebug(ctx, base, name+"-heap.pprof")
			if err == nil {
				err = s.saveDebug(ctx, base+"?debug=1", name+"-heap.txt")
			}
			if err != nil {
				s.logf("heap of %s: %v", service, err)
				return
			}
			saved = rss
			s.logf("heap of %s saved at %d MiB resident", service, rss>>20)
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// rssPeak is the most memory a process was seen holding, and how it was read.
type rssPeak struct {
	bytes int64
	how   string
}

// watchRSS resets process pid's high-water mark where the kernel lets it
// (clear_refs), then samples its VmRSS every interval; the stop function
// returns the larger of the samples' maximum and the high-water mark when
// it was reset.
func watchRSS(pid int, interval time.Duration) (stop func() rssPeak) {
	status := fmt.Sprintf("/proc/%d/status", pid)
	reset := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
	var sampled int64 // the sampler's alone until it has stopped
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			if v, err := procfs.KB(status, "VmRSS:"); err == nil {
				sampled = max(sampled, v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() rssPeak {
		close(done)
		<-stopped
		p := rssPeak{bytes: sampled, how: fmt.Sprintf("VmRSS read every %v", interval)}
		if hwm, err := procfs.KB(status, "VmHWM:"); err == nil && reset && hwm > p.bytes {
			p = rssPeak{bytes: hwm, how: "its high-water mark, VmHWM"}
		} else if reset {
			p.how += ", VmHWM no higher"
		}
		return p
	}
}
