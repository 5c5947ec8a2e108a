package main

import (
	"context"
	"slices"

	"gongjian.dev/deploy/local/internal/perf"
)

// A measurement measures the running system and returns its rows. To add
// one, write the function in a file of its own and register it there:
//
//	func init() { register(70, "sweeps", measureSweeps) }
//
//	func measureSweeps(ctx context.Context, s *system) ([]perf.Row, error) {
//		res := s.run(ctx, s.load(), func(ctx context.Context, w int) error { … one call … })
//		row, err := s.row("SweepRules", res)
//		if err != nil { return nil, err }
//		ceiling := s.ceiling(ceilingCopy)
//		return []perf.Row{row.Against(ceiling)}, nil
//	}
//
// The order places it among the others (ceilings 10, reads 20, dashboards
// 25, transfers 30, organisation writes 40, events 50, the bulk import
// 60); a row whose throughput is not a call rate (rows imported per
// second) builds its perf.Row itself, as imports.go does.
type measurement struct {
	order int
	name  string
	run   func(ctx context.Context, s *system) ([]perf.Row, error)
}

var measurements []measurement

func register(order int, name string, run func(ctx context.Context, s *system) ([]perf.Row, error)) {
	measurements = append(measurements, measurement{order, name, run})
}

func sortedMeasurements() []measurement {
	out := slices.Clone(measurements)
	slices.SortStableFunc(out, func(a, b measurement) int { return a.order - b.order })
	return out
}
