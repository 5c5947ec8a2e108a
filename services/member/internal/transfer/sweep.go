package transfer

import (
	"context"
	"time"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/services/member/internal/member"
)

// transferSweepBatch is how many transfers one sweeping transaction marks: small
// enough to keep row locks short, large enough to amortise the commit.
const transferSweepBatch = 100

// Sweeper is the actor of the steps the sweeper takes.
var Sweeper = member.Actor{Subject: "system:transfer-sweeper", Role: "system"}

// Sweep reports letters past their deadline and transfers open
// for six months.
//
// A released letter whose deadline passed without a receipt is marked
// expired and announced once (TransferExpired): its member is a pocket
// member (口袋党员) from then on. A transfer open longer than the sending
// district's review period is flagged once for the 自行脱党 review
// (TransferFlaggedForReview). Neither touches the member: the software
// never makes anyone leave. Each mark is a step, taken in the transaction
// that publishes it, on rows locked with SKIP LOCKED so that replicas
// sweeping at once share the work and never mark a row twice.
func (s *Service) Sweep(ctx context.Context, now time.Time) error {
	ctx = actor.AsSystem(ctx, "transfer-sweeper")
	for _, mark := range []struct {
		due    func(Tx, context.Context, time.Time, int) ([]string, error)
		action string
		apply  func(*Transfer)
	}{
		{Tx.LockLettersToExpire, ActionExpired, func(t *Transfer) { t.Expired = now }},
		{Tx.LockTransfersToFlag, ActionFlagged, func(t *Transfer) { t.Flagged = now }},
	} {
		for {
			n, err := s.markDue(ctx, now, mark.due, mark.action, mark.apply)
			if err != nil {
				return err
			}
			if n < transferSweepBatch {
				break
			}
		}
	}
	return nil
}

// markDue marks one batch of the transfers due returns, in one transaction.
func (s *Service) markDue(ctx context.Context, now time.Time, due func(Tx, context.Context, time.Time, int) ([]string, error),
	action string, apply func(*Transfer)) (int, error) {
	var n int
	err := s.store.InTx(ctx, func(tx Tx) error {
		ids, err := due(tx, ctx, now, transferSweepBatch)
		if err != nil {
			return err
		}
		n = len(ids)
		for _, id := range ids {
			t, err := tx.LockTransfer(ctx, id)
			if err != nil {
				return err
			}
			apply(t)
			st := Step{Action: action, ActorSubject: Sweeper.Subject, ActorRole: Sweeper.Role}
			if err := appendStep(ctx, tx, t, st, now); err != nil {
				return err
			}
		}
		return nil
	})
	return n, err
}
