package reports

import (
	"context"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// sweepBatch is how many agreements one sweeping transaction takes: small
// enough to keep row locks short, large enough to amortise the commit.
const sweepBatch = 500

// SweepMissed finds the months that closed without a unit's report and
// announces each once (UnitReportMissed). Each batch marks what it found
// in the transaction that writes the events, on agreements locked with
// SKIP LOCKED, so any number of replicas may sweep at once and none
// reports a month twice; batches walk the agreements in id order, so a
// sweep reads each once. It returns how many months it found.
func (s *Service) SweepMissed(ctx context.Context) (int, error) {
	ctx = actor.AsSystem(ctx, "report-sweeper")
	today := s.clock.Today()
	total, after := 0, ""
	for {
		var n int
		err := s.store.InTx(ctx, func(tx Tx) error {
			missed, last, err := tx.MarkMissed(ctx, today, cobuild.DefaultSettings.ReportDueDay, sweepBatch, s.clock.Now(), after)
			if err != nil {
				return err
			}
			n, after = len(missed), last
			for _, m := range missed {
				if err := tx.Emit(ctx, MissedEvent{Missed: m}); err != nil {
					return err
				}
			}
			return nil
		})
		total += n
		if err != nil || after == "" {
			return total, err
		}
	}
}
