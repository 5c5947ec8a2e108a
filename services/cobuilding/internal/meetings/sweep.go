package meetings

import (
	"context"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// sweepBatch is how many items or conveners one sweeping transaction takes.
const sweepBatch = 500

// SweepOverdue announces once each ledger item found past its deadline
// (LedgerItemOverdue), marking it in the transaction that writes the
// event, on rows locked with SKIP LOCKED: any number of replicas may sweep
// at once.
func (s *Service) SweepOverdue(ctx context.Context) (int, error) {
	ctx = actor.AsSystem(ctx, "ledger-sweeper")
	today := s.clock.Today()
	total := 0
	for {
		var n int
		err := s.store.InTx(ctx, func(tx Tx) error {
			items, err := tx.MarkOverdue(ctx, today, sweepBatch, s.clock.Now())
			n = len(items)
			for _, it := range items {
				if err == nil {
					err = tx.Emit(ctx, ItemOverdue{Item: it})
				}
			}
			return err
		})
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}

// SweepMissedMeetings announces once each convener that held no joint
// meeting in a period of its district that has closed (JointMeetingMissed),
// in the same way.
func (s *Service) SweepMissedMeetings(ctx context.Context) (int, error) {
	ctx = actor.AsSystem(ctx, "meeting-sweeper")
	today := s.clock.Today()
	total := 0
	for {
		var n, taken int
		err := s.store.InTx(ctx, func(tx Tx) error {
			missed, conveners, err := tx.MarkMissedMeetings(ctx, today, cobuild.DefaultSettings, sweepBatch, s.clock.Now())
			n, taken = len(missed), conveners
			for _, m := range missed {
				if err == nil {
					err = tx.Emit(ctx, MissedEvent{Missed: m})
				}
			}
			return err
		})
		total += n
		if err != nil || taken < sweepBatch {
			return total, err
		}
	}
}
