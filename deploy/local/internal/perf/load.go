package perf

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Load is how a measurement calls: closed loop (each worker calls again as
// soon as its call returns) when Rate is 0, else open loop at Rate calls a
// second in all, each call's latency counted from when it was due, so that
// a stalled server shows in the latency rather than slowing the schedule.
type Load struct {
	Workers  int
	Duration time.Duration
	Rate     float64
}

// Call is one call of worker w; it may keep per-worker state (a transfer's
// next step) indexed by w.
type Call func(ctx context.Context, w int) error

// Result is what a load measured.
type Result struct {
	Calls, Errors int
	FirstError    error
	Elapsed       time.Duration
	// Latencies are the successful calls', sorted.
	Latencies []time.Duration
	CPU       CPU
}

// PerSecond is the successful calls per second.
func (r Result) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls-r.Errors) / r.Elapsed.Seconds()
}

// Quantile is the q-quantile of the latencies, in ms.
func (r Result) Quantile(q float64) float64 {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := min(len(r.Latencies)-1, int(q*float64(len(r.Latencies))))
	return float64(r.Latencies[i]) / float64(time.Millisecond)
}

// Row is the result as a report row.
func (r Result) Row(name string) Row {
	return Row{Name: name, PerSecond: r.PerSecond(), P50ms: r.Quantile(0.5), P99ms: r.Quantile(0.99),
		ClientCPUShare: r.CPU.ClientShare(), CPUPerCallMs: r.CPU.PerCall(float64(r.Calls - r.Errors)),
		MachineBusy: r.CPU.MachineBusy, Errors: r.Errors}
}

// Run applies the load to call, while meter (when not nil) counts the CPU
// time of the generator and the system.
//
// The run ends after l.Duration: calls under way then finish, uncounted;
// calls get ctx, not the run's end, as their deadline, so that none is cut
// short by it.
func Run(ctx context.Context, l Load, meter *Meter, call Call) Result {
	runCtx, cancel := context.WithTimeout(ctx, l.Duration)
	defer cancel()
	type worker struct {
		lat      []time.Duration
		errs     int
		firstErr error
	}
	ws := make([]worker, max(1, l.Workers))
	var due chan time.Time
	if l.Rate > 0 {
		due = make(chan time.Time, 1<<16)
		go schedule(runCtx, l.Rate, due)
	}
	var before CPUSample
	if meter != nil {
		before = meter.Sample()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range ws {
		wg.Go(func() {
			w := &ws[i]
			for {
				var from time.Time
				if due == nil {
					if runCtx.Err() != nil {
						return
					}
					from = time.Now()
				} else {
					select {
					case <-runCtx.Done():
						return
					case from = <-due:
					}
				}
				err := call(ctx, i)
				took := time.Since(from)
				if runCtx.Err() != nil {
					return // the run ended meanwhile: not counted
				}
				if err != nil {
					if w.errs++; w.firstErr == nil {
						w.firstErr = err
					}
					continue
				}
				w.lat = append(w.lat, took)
			}
		})
	}
	<-runCtx.Done()
	res := Result{Elapsed: time.Since(start)}
	if meter != nil {
		res.CPU = meter.Sample().Since(before)
	}
	wg.Wait()
	for _, w := range ws {
		res.Latencies = append(res.Latencies, w.lat...)
		res.Errors += w.errs
		if res.FirstError == nil {
			res.FirstError = w.firstErr
		}
	}
	res.Calls = len(res.Latencies) + res.Errors
	slices.Sort(res.Latencies)
	return res
}

// schedule sends the due time of each call at rate a second until ctx ends.
func schedule(ctx context.Context, rate float64, due chan<- time.Time) {
	interval := time.Duration(float64(time.Second) / rate)
	next := time.Now()
	for {
		if wait := time.Until(next); wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		for !next.After(time.Now()) { // catch up after a late wake-up
			select {
			case due <- next:
			case <-ctx.Done():
				return
			}
			next = next.Add(interval)
		}
	}
}
