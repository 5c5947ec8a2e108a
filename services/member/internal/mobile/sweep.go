package mobile

import (
	"context"
	"time"

	"gongjian.dev/pkg/actor"
)

// sweepBatch is how many overdue records one transaction reports.
const sweepBatch = 100

// Sweep reports mobile members whose two-way contact is overdue: one
// ContactOverdue for each contact interval without a report of the
// member, marked in the transaction that emits it, so that no period is
// reported twice. Records another replica holds are skipped.
func (s *Service) Sweep(ctx context.Context, now time.Time) error {
	ctx = actor.AsSystem(ctx, "mobile-contact-sweeper") // no caller asked for what it reports
	for {
		n, err := s.sweepMobileBatch(ctx, now)
		if err != nil || n < sweepBatch {
			return err
		}
	}
}

func (s *Service) sweepMobileBatch(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := s.store.InTx(ctx, func(tx Tx) error {
		recs, err := tx.LockOverdue(ctx, now, sweepBatch)
		if err != nil {
			return err
		}
		n = len(recs)
		for _, r := range recs {
			period := overduePeriod(r, now)
			r.OverduePeriods = period
			r.NextOverdue = r.ContactDue.Add(time.Duration(period) * r.interval())
			if err := tx.MarkOverdue(ctx, r); err != nil {
				return err
			}
			due := r.ContactDue.Add(time.Duration(period-1) * r.interval())
			if err := tx.Emit(ctx, ContactOverdue{Record: r, Period: period, Due: due}, now); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}

// overduePeriod is the overdue period now falls in: 1 from the contact due
// time, 2 one interval later, and so on. Periods that passed while nobody
// swept are reported as the one now, never one by one.
func overduePeriod(r *Record, now time.Time) int {
	if r.ContactInterval <= 0 {
		return r.OverduePeriods + 1
	}
	return int(now.Sub(r.ContactDue)/r.interval()) + 1
}
