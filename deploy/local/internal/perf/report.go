// Package perf measures the running system against the machine's ceilings
// for `make perf`: a load generator over gRPC and HTTP that records every
// call's latency, the processes' CPU time, and the report — one table, and
// the same rows as JSON — in which each operation stands beside the
// ceiling measured in the same run.
package perf

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
)

// Row is one line of the report.
type Row struct {
	// Name names the operation (or the ceiling).
	Name string `json:"name"`
	// PerSecond is the throughput: calls (or rows, or events) per second.
	PerSecond float64 `json:"per_second"`
	// P50ms and P99ms are the latency quantiles of one call, in ms (0
	// when the row has none, as a COPY).
	P50ms float64 `json:"p50_ms"`
	P99ms float64 `json:"p99_ms"`
	// CeilingName names the ceiling the row is compared with; empty for a
	// ceiling itself.
	CeilingName string `json:"ceiling_name"`
	// CeilingPerSecond is that ceiling's throughput in the same run.
	CeilingPerSecond float64 `json:"ceiling_per_second"`
	// Ratio is PerSecond / CeilingPerSecond (0 without a ceiling).
	Ratio float64 `json:"ratio"`
	// ClientCPUShare is the load generator's share of the CPU time spent
	// by it and the system's processes while the row was measured.
	ClientCPUShare float64 `json:"client_cpu_share,omitempty"`
	// CPUPerCallMs is the CPU time each process spent per successful call,
	// in ms, the load generator's among them, and their sum under "total".
	CPUPerCallMs map[string]float64 `json:"cpu_ms_per_call,omitempty"`
	// MachineBusy is the share of the machine's CPU time that was busy
	// while the row was measured.
	MachineBusy float64 `json:"machine_cpu_busy,omitempty"`
	// Errors counts failed calls.
	Errors int `json:"errors,omitempty"`
	// Note says what else the row needs said (its rate, its target).
	Note string `json:"note,omitempty"`
}

// Against sets the row's ceiling and ratio; a ceiling without a name (not
// measured in this run) leaves the row as it is.
func (r Row) Against(ceiling Row) Row {
	if ceiling.Name == "" {
		return r
	}
	r.CeilingName, r.CeilingPerSecond = ceiling.Name, ceiling.PerSecond
	if ceiling.PerSecond > 0 {
		r.Ratio = r.PerSecond / ceiling.PerSecond
	}
	return r
}

// WriteTable prints rows as an aligned table.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\t/s\tp50 ms\tp99 ms\tceiling\tceiling /s\tratio\tclient cpu\terrors\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Name, number(r.PerSecond), ms(r.P50ms), ms(r.P99ms),
			r.CeilingName, number(r.CeilingPerSecond), ratio(r.Ratio), percent(r.ClientCPUShare), errorCount(r.Errors))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Note != "" {
			if _, err := fmt.Fprintf(w, "  %s: %s\n", r.Name, r.Note); err != nil {
				return err
			}
		}
	}
	return writeCPUTable(w, rows)
}

// writeCPUTable prints, for the rows whose CPU was metered, the CPU time
// each process spent per call: where a call's cost lies, and so what
// bounds a throughput on a machine whose CPUs are all busy.
func writeCPUTable(w io.Writer, rows []Row) error {
	var names []string
	seen := map[string]bool{"total": true}
	for _, r := range rows {
		for name := range r.CPUPerCallMs {
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	if _, err := fmt.Fprintln(w, "\nCPU time per call, ms, by process (and how busy the machine's CPUs were):"); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "operation\ttotal\t%s\tmachine busy\t\n", strings.Join(names, "\t"))
	for _, r := range rows {
		if r.CPUPerCallMs == nil {
			continue
		}
		cells := []string{r.Name, cpuMs(r.CPUPerCallMs["total"])}
		for _, name := range names {
			cells = append(cells, cpuMs(r.CPUPerCallMs[name]))
		}
		cells = append(cells, percent(r.MachineBusy))
		fmt.Fprintf(tw, "%s\t\n", strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

func cpuMs(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v < 0.01:
		return "<0.01"
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// WriteJSON writes rows as a JSON array to path, making its folder.
func WriteJSON(path string, rows []Row) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if rows == nil {
		rows = []Row{}
	}
	b, err := json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// number prints a throughput with thousands separators, or a dash.
func number(v float64) string {
	if v == 0 {
		return "–"
	}
	s := fmt.Sprintf("%.0f", v)
	if v < 100 {
		s = fmt.Sprintf("%.1f", v)
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

func ms(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

func ratio(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func percent(v float64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", 100*v)
}

func errorCount(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}
