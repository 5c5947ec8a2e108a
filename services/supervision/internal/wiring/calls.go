// The calls to other services that findings ask for, made after the
// finding's transaction committed, with the service's own identity: today,
// withdrawing a member's star rating in the member service, so that the
// member's star history shows the rule and the finding as the reason. A
// call is retried with the same request id until the member service takes
// it, so it is made once.

package wiring

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/supervision/internal/store"
)

// Runner makes the pending calls.
type Runner struct {
	Store *store.Store
	// Appraisals is the member service's AppraisalService, nil when the
	// service is not configured (calls then wait).
	Appraisals memberv1.AppraisalServiceClient
	Log        *slog.Logger
	Now        func() time.Time
}

// RunOnce makes the calls that are due and returns how many were taken.
func (r *Runner) RunOnce(ctx context.Context) (int, error) {
	if r.Appraisals == nil {
		return 0, nil
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	return r.Store.RunActions(ctx, now(), 100, r.do)
}

func (r *Runner) do(ctx context.Context, a store.Action) (store.Outcome, error) {
	var p store.WithdrawStar
	if err := json.Unmarshal(a.Payload, &p); err != nil {
		return store.GiveUp, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := r.Appraisals.SetStarRating(ctx, &memberv1.SetStarRatingRequest{MemberId: p.MemberID, Year: p.Year, Stars: 0,
		Reason: p.Reason, RequestId: "supervision/" + a.ID})
	switch status.Code(err) {
	case codes.OK:
		r.Log.InfoContext(ctx, "star rating withdrawn", "member_id", p.MemberID, "finding_id", a.FindingID)
		return store.Done, nil
	case codes.NotFound, codes.InvalidArgument, codes.FailedPrecondition:
		// The member left, or cannot be rated: no retry changes that.
		r.Log.WarnContext(ctx, "star rating not withdrawn", "member_id", p.MemberID, "finding_id", a.FindingID, "error", err)
		return store.GiveUp, err
	}
	r.Log.WarnContext(ctx, "star rating withdrawal to be retried", "member_id", p.MemberID, "error", err)
	return store.Retry, err
}
