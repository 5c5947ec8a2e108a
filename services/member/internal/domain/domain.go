// Package domain assembles the member service's sub-domains over one store
// and one clock, each given the sub-domains it builds on (the kernel,
// member, under all of them), and sweeps what time alone changes. The
// wiring builds it once; the handlers call its services; a test builds a
// second one over the same database as a second replica would.
package domain

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"gongjian.dev/services/member/internal/dues"
	"gongjian.dev/services/member/internal/leaving"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/mobile"
	"gongjian.dev/services/member/internal/participation"
	"gongjian.dev/services/member/internal/reporting"
	"gongjian.dev/services/member/internal/roster"
	"gongjian.dev/services/member/internal/transfer"
)

// Store is the one store as each sub-domain sees it.
type Store interface {
	Members() member.Store
	Transfers() transfer.Store
	Mobile() mobile.Store
	Leaving() leaving.Store
	Roster() roster.Store
	Bulk() roster.BulkStore
	Reporting() reporting.Store
	Dues() dues.Store
	Participation() participation.Store
}

// Services are the sub-domains of the member service.
type Services struct {
	Members   *member.Service
	Transfers *transfer.Service
	Mobile    *mobile.Service
	Leaving   *leaving.Service
	Roster    *roster.Service
	Bulk      *roster.BulkService
	Reporting *reporting.Service
	Dues      *dues.Service
	// Participation is organisation life by member and lost contact.
	Participation *participation.Service
	clock         member.Clock
	// leaversSwept is set once a sweep of this process has ended the
	// registrations leavers still held (reporting.Service.Sweep): since
	// every ending ends them too, one pass a process is enough.
	leaversSwept atomic.Bool
}

// New builds the sub-domains over st, on the clock now (time.Now when nil)
// in the city's time zone loc (UTC when nil).
func New(st Store, now func() time.Time, loc *time.Location) *Services {
	members := member.NewService(st.Members(), now, loc)
	clock := members.Clock()
	mobiles := mobile.NewService(st.Mobile(), members)
	transfers := transfer.NewService(st.Transfers(), members, mobiles)
	// A member's own report in the contact log counts as contact: it
	// clears a lost-contact flag in its transaction.
	mobiles.OnReport(func(ctx context.Context, tx mobile.Tx, memberID string) error {
		ptx, ok := tx.(participation.Tx)
		if !ok {
			return errors.New("domain: the mobile transaction is not participation's")
		}
		return participation.ContactRegained(ctx, ptx, clock, []string{memberID}, participation.ByContact)
	})
	// A payment of dues clears a lost-contact flag in its transaction.
	duesSvc := dues.NewService(st.Dues(), clock)
	duesSvc.OnPayment(func(ctx context.Context, tx dues.Tx, memberIDs []string) error {
		ptx, ok := tx.(participation.Tx)
		if !ok {
			return errors.New("domain: the dues transaction is not participation's")
		}
		return participation.ContactRegained(ctx, ptx, clock, memberIDs, participation.ByPayment)
	})
	return &Services{
		Members:   members,
		Transfers: transfers,
		Mobile:    mobiles,
		Leaving:   leaving.NewService(st.Leaving(), members, transfers, mobiles),
		Roster:    roster.NewService(st.Roster(), members),
		Bulk:      roster.NewBulkService(st.Bulk(), members),
		Reporting: reporting.NewService(st.Reporting(), clock),
		Dues:      duesSvc,

		Participation: participation.NewService(st.Participation(), members),
		clock:         clock,
	}
}

// Sweep finds what time alone has changed and says so, each finding once:
// transfer letters past their deadline (pocket members), transfers open
// for six months (flagged for review), mobile members whose contact is
// overdue, and (on the first sweep of a day) members who lost contact;
// the first sweep of a process also ends the registrations with
// communities that members who left still hold (memberships ended before
// an ending ended them too).
// Every sweep marks what it reported in the transaction that
// emits the event, and skips rows another replica holds (the leavers'
// registrations wait for the replica that holds them, then find them
// ended), so any number of replicas may sweep at once. The sweeps run at one instant and each runs
// even when another failed.
func (s *Services) Sweep(ctx context.Context) error {
	now := s.clock.Now()
	var errs []error
	for _, sweep := range []func(context.Context, time.Time) error{s.Transfers.Sweep, s.Mobile.Sweep, s.Participation.Sweep} {
		errs = append(errs, sweep(ctx, now))
	}
	if !s.leaversSwept.Load() {
		err := s.Reporting.Sweep(ctx, now)
		s.leaversSwept.Store(err == nil)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// RunSweeper sweeps every interval until ctx ends; a failed sweep is
// reported through onError and tried again at the next tick.
func (s *Services) RunSweeper(ctx context.Context, interval time.Duration, onError func(error)) error {
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
