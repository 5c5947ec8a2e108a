package reporting

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/services/member/internal/member"
)

// EndTx is what ending a leaver's registrations needs inside the
// transaction that ends the membership.
type EndTx interface {
	member.Tx
	// LiveRegistration is the member's live registration of a kind, locked.
	LiveRegistration(ctx context.Context, memberID, kind string) (*Registration, bool, error)
	// EndRegistration writes the end of r.
	EndRegistration(ctx context.Context, r *Registration) error
	// LiveClaimsUnder are the live claims made under a registration.
	LiveClaimsUnder(ctx context.Context, registrationID string) ([]*Claim, error)
	// ReleaseClaim writes a claim's release and uncounts it.
	ReleaseClaim(ctx context.Context, c *Claim) error
}

// EndOnLeaving ends the live registrations of m with communities, of
// either kind, when their membership ends as l (a death, a withdrawal, a
// transfer out of the city…): on the day it ended (not before the member
// reported), saying how it ended, and releases the posts claimed under them. A
// leaver no longer reports to a community, so the co-building service,
// which counts each unit's in-service members from these registrations'
// events, stops counting them. Callers run it in the transaction that
// marks the member as left.
func EndOnLeaving(ctx context.Context, tx EndTx, m *member.Member, l member.Leaving) error {
	return endOnLeaving(ctx, tx, m, l, l.At)
}

// endOnLeaving is EndOnLeaving, changing the registrations at now.
func endOnLeaving(ctx context.Context, tx EndTx, m *member.Member, l member.Leaving, now time.Time) error {
	for _, kind := range []string{RegistrationResidence, RegistrationUnitLocation} {
		reg, found, err := tx.LiveRegistration(ctx, m.ID, kind)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		end := l.Date
		if end.Before(reg.ReportDate) {
			end = reg.ReportDate
		}
		// The kind, never the leaving's own words (the grounds of an
		// expulsion): the ending is published and communities read it.
		reason := "the membership ended (" + strings.ToLower(strings.ReplaceAll(l.Kind, "_", " ")) + ")"
		if err := endRegistration(ctx, tx, reg, end, reason, now); err != nil {
			return err
		}
	}
	return nil
}

// endRegistration ends reg on the day end for reason, publishes that it
// ended and releases the posts claimed under it.
func endRegistration(ctx context.Context, tx EndTx, reg *Registration, end time.Time, reason string, now time.Time) error {
	reg.EndDate, reg.EndReason, reg.Updated = end, reason, now
	if err := tx.EndRegistration(ctx, reg); err != nil {
		return err
	}
	if err := tx.Emit(ctx, RegistrationEnded{Registration: reg}, now); err != nil {
		return err
	}
	claims, err := tx.LiveClaimsUnder(ctx, reg.ID)
	if err != nil {
		return err
	}
	for _, cl := range claims {
		if err := releaseClaim(ctx, tx, cl, now); err != nil {
			return err
		}
	}
	return nil
}

// sweepBatch is how many leavers Sweep reads at a time.
const sweepBatch = 100

// Sweep ends the registrations that members who left still hold: those
// of memberships ended before their end ended registrations too. Each
// leaver is locked and ended as EndOnLeaving does, at now (their events
// published, their posts released), in a transaction of their own, so
// that one that cannot be ended holds back no other; the errors are
// returned together once every leaver was tried. A replica sweeping at
// the same time waits for the leaver's lock, finds the registrations
// ended and does nothing more.
func (s *Service) Sweep(ctx context.Context, now time.Time) error {
	ctx = actor.AsSystem(ctx, "leavers-registrations-sweeper")
	var errs []error
	after := ""
	for {
		var ids []string
		err := s.store.InTx(ctx, func(tx Tx) error {
			var err error
			ids, err = tx.LeaversWithLiveRegistrations(ctx, after, sweepBatch)
			return err
		})
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
		for _, id := range ids {
			err := s.store.InTx(ctx, func(tx Tx) error {
				m, err := tx.Lock(ctx, id)
				if err != nil || m.Left == nil {
					return err
				}
				return endOnLeaving(ctx, tx, m, *m.Left, now)
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("the registrations of leaver %s: %w", id, err))
			}
		}
		if len(ids) < sweepBatch {
			return errors.Join(errs...)
		}
		after = ids[len(ids)-1]
	}
}
