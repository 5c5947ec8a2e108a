package member

import (
	"context"
	"errors"
	"time"
)

// Sweep finds what time alone has changed and says so, each finding once:
// transfer letters past their deadline (pocket members), transfers open
// for six months (flagged for review), mobile members whose contact is
// overdue. Every sweeper marks what it reported in the transaction that
// emits the event, and skips rows another replica holds, so any number of
// replicas may sweep at once.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	var errs []error
	for _, sweep := range []func(context.Context, time.Time) error{s.sweepTransfers, s.sweepMobile} {
		errs = append(errs, sweep(ctx, now))
	}
	return errors.Join(errs...)
}

// RunSweeper sweeps every interval until ctx ends; a failed sweep is
// reported through onError and tried again at the next tick.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration, onError func(error)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
