package grpcapi_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/domain"
)

// clock is a time the test moves.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *clock) addMonths(n int) {
	c.mu.Lock()
	c.now = c.now.AddDate(0, n, 0)
	c.mu.Unlock()
}

// timed is the harness over a service whose clock the test moves, with
// the service itself for sweeping and a second service over the same
// database, as a second replica would be.
type timed struct {
	*harness
	clock   *clock
	svc     *domain.Services
	replica *domain.Services
}

func newTimedHarness(t *testing.T) *timed {
	t.Helper()
	c := &clock{now: time.Now().UTC().Truncate(time.Microsecond)}
	h := newHarness(t, servicetest.WithClock(c.Now))
	return &timed{harness: h, clock: c, svc: h.svc, replica: domain.New(h.st, c.Now, nil)}
}

func (h *timed) sweep(t *testing.T) {
	t.Helper()
	if err := h.svc.Sweep(callContext(t)); err != nil {
		t.Fatalf("sweep: %v", err)
	}
}

func (h *timed) get(t *testing.T, id string) *pb.Transfer {
	t.Helper()
	resp, err := h.transfers.GetTransfer(callContext(t), &pb.GetTransferRequest{Id: id})
	if err != nil {
		t.Fatalf("get transfer: %v", err)
	}
	return resp.GetTransfer()
}

// transferEventsOf lists the transfer ids of the events of one message
// type on the member stream, in order, once the stream holds want of them.
func (h *harness) transferEventsOf(t *testing.T, name string, want int) []string {
	t.Helper()
	var ids []string
	waitFor(t, name+" events", func() bool {
		ids = nil
		for _, e := range h.memberEvents(t) {
			if string(proto.MessageName(e).Name()) == name {
				ids = append(ids, e.(interface{ GetTransfer() *pb.Transfer }).GetTransfer().GetId())
			}
		}
		return len(ids) >= want
	})
	return ids
}

func actions(tf *pb.Transfer) []string {
	var out []string
	for _, s := range tf.GetSteps() {
		out = append(out, s.GetAction().String())
	}
	return out
}

// memberRow is what a sweep must never change: the member's version and
// organisation.
func (h *harness) memberRow(t *testing.T, id string) string {
	t.Helper()
	var v int64
	var org string
	if err := h.pool.QueryRow(callContext(t), `SELECT version, organisation_id::text FROM members WHERE id = $1`, id).Scan(&v, &org); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s@%d", org, v)
}

// TestSuspendedTransferTakesNoStep: the side holding a transfer suspends
// it (the sender before the letter, the receiver after); a suspended
// transfer cannot be confirmed, released, received or rejected, stays the
// member's one open transfer, and resumes to the state it left; every
// step is kept and published.
func TestSuspendedTransferTakesNoStep(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	sender := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "da-a", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}))
	receiver := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "da-b", Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}))
	m := h.register(t, person(tr.branch.GetId(), "Zhou Min"))
	tf := h.requestTransfer(t, m.GetId(), tr.otherCommunity.GetId())

	if _, err := receiver.SuspendTransfer(ctx, &pb.SuspendTransferRequest{Id: tf.GetId(), Reason: "not ours yet"}); status.Code(err) != codes.NotFound {
		t.Errorf("the receiving side suspends a requested transfer: %v", err)
	}
	if _, err := sender.SuspendTransfer(ctx, &pb.SuspendTransferRequest{Id: tf.GetId()}); !equal(refusalOf(err).Fields, []string{"reason"}) {
		t.Errorf("a suspension without a reason: %v", err)
	}
	s, err := sender.SuspendTransfer(ctx, &pb.SuspendTransferRequest{Id: tf.GetId(), Etag: tf.GetEtag(), Reason: "under investigation"})
	if err != nil {
		t.Fatalf("suspend: %v", err)
	}
	if got := s.GetTransfer(); got.GetState() != pb.TransferState_TRANSFER_STATE_SUSPENDED ||
		got.GetSuspendedFrom() != pb.TransferState_TRANSFER_STATE_REQUESTED {
		t.Fatalf("suspended: %v", got)
	}
	refusedAsSuspended := func(what string, err error) {
		t.Helper()
		if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "TRANSFER_SUSPENDED" {
			t.Errorf("%s a suspended transfer: %v", what, err)
		}
	}
	_, err = h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Reason: "signed on paper"})
	refusedAsSuspended("confirm", err)
	_, err = h.transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId()})
	refusedAsSuspended("release", err)
	_, err = h.transfers.RejectTransfer(ctx, &pb.RejectTransferRequest{Id: tf.GetId(), Reason: "no"})
	refusedAsSuspended("reject", err)
	_, err = sender.SuspendTransfer(ctx, &pb.SuspendTransferRequest{Id: tf.GetId(), Reason: "again"})
	refusedAsSuspended("suspend", err)
	if _, err := h.transfers.RequestTransfer(ctx, &pb.RequestTransferRequest{Transfer: &pb.Transfer{MemberId: m.GetId(),
		ToOrganisationId: tr.community.GetId()}}); reasonOf(err) != "TRANSFER_OPEN" {
		t.Errorf("a second transfer while one is suspended: %v", err)
	}
	if _, err := receiver.ResumeTransfer(ctx, &pb.ResumeTransferRequest{Id: tf.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("the receiving side resumes the sender's suspension: %v", err)
	}
	r, err := sender.ResumeTransfer(ctx, &pb.ResumeTransferRequest{Id: tf.GetId(), Etag: s.GetTransfer().GetEtag(), Reason: "cleared"})
	if err != nil || r.GetTransfer().GetState() != pb.TransferState_TRANSFER_STATE_REQUESTED || r.GetTransfer().GetSuspendedFrom() != 0 {
		t.Fatalf("resume: %v, %v", r, err)
	}
	if _, err := sender.ResumeTransfer(ctx, &pb.ResumeTransferRequest{Id: tf.GetId()}); reasonOf(err) != "TRANSFER_STATE" {
		t.Errorf("resume a transfer that is not suspended: %v", err)
	}

	// Released: the receiving side holds it now.
	c, err := h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Reason: "signed on paper"})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := sender.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId(), Etag: c.GetTransfer().GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sender.SuspendTransfer(ctx, &pb.SuspendTransferRequest{Id: tf.GetId(), Reason: "dues unpaid"}); status.Code(err) != codes.NotFound {
		t.Errorf("the sending side suspends a released letter: %v", err)
	}
	if _, err := receiver.SuspendTransfer(ctx, &pb.SuspendTransferRequest{Id: tf.GetId(), Reason: "dues unpaid"}); err != nil {
		t.Fatalf("the receiving side suspends: %v", err)
	}
	_, err = receiver.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId()})
	refusedAsSuspended("receive", err)
	_, err = sender.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId()})
	refusedAsSuspended("release", err)
	if h.memberOrg(t, m.GetId()) != tr.branch.GetId() {
		t.Fatal("the member of a suspended transfer moved")
	}
	if _, err := sender.ResumeTransfer(ctx, &pb.ResumeTransferRequest{Id: tf.GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("the sending side resumes the receiver's suspension: %v", err)
	}
	r, err = receiver.ResumeTransfer(ctx, &pb.ResumeTransferRequest{Id: tf.GetId(), Reason: "dues paid"})
	if err != nil || r.GetTransfer().GetState() != pb.TransferState_TRANSFER_STATE_RELEASED ||
		r.GetTransfer().GetLetterNumber() != rel.GetTransfer().GetLetterNumber() {
		t.Fatalf("resume to released: %v, %v", r, err)
	}
	done, err := receiver.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId(), Etag: r.GetTransfer().GetEtag()})
	if err != nil {
		t.Fatalf("receive after resuming: %v", err)
	}
	want := []string{"TRANSFER_ACTION_REQUESTED", "TRANSFER_ACTION_SUSPENDED", "TRANSFER_ACTION_RESUMED", "TRANSFER_ACTION_CONFIRMED",
		"TRANSFER_ACTION_RELEASED", "TRANSFER_ACTION_SUSPENDED", "TRANSFER_ACTION_RESUMED", "TRANSFER_ACTION_RECEIVED"}
	if got := actions(done.GetTransfer()); !equal(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
	if st := done.GetTransfer().GetSteps()[1]; st.GetReason() != "under investigation" || st.GetActorSubject() != "da-a" {
		t.Errorf("the suspension's step: %v", st)
	}
	if st := done.GetTransfer().GetSteps()[5]; st.GetActorSubject() != "da-b" || st.GetState() != pb.TransferState_TRANSFER_STATE_SUSPENDED {
		t.Errorf("the receiver's suspension's step: %v", st)
	}
	if ids := h.transferEventsOf(t, "TransferSuspended", 2); !equal(ids, []string{tf.GetId(), tf.GetId()}) {
		t.Errorf("suspended events %v", ids)
	}
	if ids := h.transferEventsOf(t, "TransferResumed", 2); len(ids) != 2 {
		t.Errorf("resumed events %v", ids)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'transfer' AND subject_id = $1`, tf.GetId()); n != 8 {
		t.Errorf("%d audit records for 8 steps", n)
	}
}

// TestSuspendedTransferCanBeWithdrawn: a suspension does not trap the
// member: the sending side may still withdraw, and a new transfer follow.
func TestSuspendedTransferCanBeWithdrawn(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	tf := h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId())
	if _, err := h.transfers.SuspendTransfer(ctx, &pb.SuspendTransferRequest{Id: tf.GetId(), Reason: "papers incomplete"}); err != nil {
		t.Fatal(err)
	}
	w, err := h.transfers.WithdrawTransfer(ctx, &pb.WithdrawTransferRequest{Id: tf.GetId(), Reason: "moving elsewhere"})
	if err != nil || w.GetTransfer().GetState() != pb.TransferState_TRANSFER_STATE_WITHDRAWN || w.GetTransfer().GetSuspendedFrom() != 0 {
		t.Fatalf("withdraw a suspended transfer: %v, %v", w, err)
	}
	if _, err := h.transfers.ResumeTransfer(ctx, &pb.ResumeTransferRequest{Id: tf.GetId()}); reasonOf(err) != "TRANSFER_STATE" {
		t.Errorf("resume a withdrawn transfer: %v", err)
	}
	h.requestTransfer(t, tf.GetMemberId(), tr.community.GetId())
}

// TestLetterExpiresOnceWithReplicasSweeping: two replicas sweep at once,
// again and again; every letter past its deadline is marked and announced
// exactly once, the members are untouched, the pocket list is exactly the
// marked letters, an expired letter is not received, and the sending side
// issues a new one, which the receiving side then receives.
func TestLetterExpiresOnceWithReplicasSweeping(t *testing.T) {
	t.Parallel()
	h := newTimedHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	var letters []*pb.Transfer
	before := map[string]string{}
	for range 12 {
		tf := h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId())
		letters = append(letters, tf)
	}
	h.clock.add(5 * 24 * time.Hour)
	fresh := h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId()) // valid 10 more days
	for _, tf := range append(slices.Clone(letters), fresh) {
		before[tf.GetMemberId()] = h.memberRow(t, tf.GetMemberId())
	}
	pocket := func() []string {
		resp, err := h.transfers.ListPocketMembers(ctx, &pb.ListPocketMembersRequest{OrganisationId: tr.branch.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range resp.GetTransfers() {
			ids = append(ids, p.GetId())
		}
		slices.Sort(ids)
		return ids
	}
	h.sweep(t)
	if got := pocket(); len(got) != 0 {
		t.Fatalf("pocket members before any deadline: %v", got)
	}
	h.clock.add(6 * 24 * time.Hour) // 11 days after the first letters
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 5 {
		for _, svc := range []*domain.Services{h.svc, h.replica} {
			wg.Go(func() { errs <- svc.Sweep(ctx) })
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("sweep: %v", err)
		}
	}
	var want []string
	for _, tf := range letters {
		want = append(want, tf.GetId())
	}
	slices.Sort(want)
	got := h.transferEventsOf(t, "TransferExpired", len(letters))
	slices.Sort(got)
	if !equal(got, want) {
		t.Fatalf("expired events %v, want each of %v once", got, want)
	}
	if n := h.count(t, `SELECT count(*) FROM transfer_steps WHERE action = 'EXPIRED'`); n != len(letters) {
		t.Errorf("%d expiry steps, want %d", n, len(letters))
	}
	if got := pocket(); !equal(got, want) {
		t.Errorf("pocket members %v, want the marked letters %v", got, want)
	}
	for id, row := range before {
		if h.memberRow(t, id) != row {
			t.Errorf("the sweep changed member %s", id)
		}
	}
	h.sweep(t) // a later sweep finds nothing new
	waitFor(t, "the relay to publish everything", func() bool { return h.count(t, `SELECT count(*) FROM outbox`) == 0 })
	if got := h.transferEventsOf(t, "TransferExpired", len(letters)); len(got) != len(letters) {
		t.Errorf("a later sweep announced again: %d events", len(got))
	}

	// An expired letter is not received; the sender issues a new one.
	late := letters[0]
	receiver := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "da-b", Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}))
	if _, err := receiver.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: late.GetId()}); reasonOf(err) != "LETTER_EXPIRED" {
		t.Fatalf("receive an expired letter: %v", err)
	}
	if _, err := h.transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: fresh.GetId()}); reasonOf(err) != "TRANSFER_STATE" {
		t.Errorf("a valid letter issued again: %v", err)
	}
	again, err := h.transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: late.GetId(), Reason: "the member asked again"})
	if err != nil {
		t.Fatalf("issue a new letter: %v", err)
	}
	a := again.GetTransfer()
	if a.GetLetterNumber() == late.GetLetterNumber() || a.GetExpireTime() != nil || !a.GetLetterDeadline().AsTime().After(h.clock.Now()) {
		t.Errorf("new letter: %v", a)
	}
	steps := a.GetSteps()
	if got := steps[len(steps)-1].GetLetterNumber(); got != a.GetLetterNumber() || steps[2].GetLetterNumber() != late.GetLetterNumber() {
		t.Errorf("the steps keep both letters: %v", steps)
	}
	if slices.Contains(pocket(), late.GetId()) {
		t.Error("a member with a new letter is still a pocket member")
	}
	if _, err := receiver.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: late.GetId()}); err != nil {
		t.Fatalf("receive the new letter: %v", err)
	}
}

// TestOpenTransfersAreFlaggedOnceForReview: a transfer open longer than
// its sending district's review period (six months by default, two in a
// district that set so) is flagged once, never changing the member; the
// sending side lists the flagged transfers and records the review's
// outcome as a step; the receiving side's list of its transfers does not
// carry the review.
func TestOpenTransfersAreFlaggedOnceForReview(t *testing.T) {
	t.Parallel()
	h := newTimedHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	if _, err := h.pool.Exec(ctx, `INSERT INTO transfer_settings (district_id, review_months) VALUES ($1, 2)`, tr.otherDistrict.GetId()); err != nil {
		t.Fatal(err)
	}
	a := h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId()) // from the district with the default
	suspended := h.requestTransfer(t, h.register(t, person(tr.branch.GetId(), "Xu Jing")).GetId(), tr.community.GetId())
	if _, err := h.transfers.SuspendTransfer(ctx, &pb.SuspendTransferRequest{Id: suspended.GetId(), Reason: "under investigation"}); err != nil {
		t.Fatal(err)
	}
	b := h.requestTransfer(t, h.register(t, person(tr.otherCommunity.GetId(), "Ma Li")).GetId(), tr.branch.GetId()) // two months
	done := h.released(t, tr.branch.GetId(), tr.community.GetId())
	if _, err := h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: done.GetId()}); err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, tf := range []*pb.Transfer{a, suspended, b, done} {
		rows[tf.GetMemberId()] = h.memberRow(t, tf.GetMemberId())
	}
	flagged := func() map[string]bool {
		n := map[string]bool{}
		for _, tf := range h.transferEventsOf(t, "TransferFlaggedForReview", 0) {
			n[tf] = true
		}
		return n
	}

	h.clock.addMonths(2)
	h.clock.add(time.Hour)
	h.sweep(t)
	h.transferEventsOf(t, "TransferFlaggedForReview", 1)
	if got := flagged(); len(got) != 1 || !got[b.GetId()] {
		t.Fatalf("after two months flagged %v, want only %s", got, b.GetId())
	}
	h.clock.addMonths(4)
	for range 3 {
		h.sweep(t)
	}
	ids := h.transferEventsOf(t, "TransferFlaggedForReview", 3)
	slices.Sort(ids)
	want := []string{a.GetId(), suspended.GetId(), b.GetId()}
	slices.Sort(want)
	if !equal(ids, want) {
		t.Fatalf("flagged events %v, want each open transfer once %v", ids, want)
	}
	for id, row := range rows {
		if h.memberRow(t, id) != row {
			t.Errorf("the review flag changed member %s", id)
		}
	}
	if got := h.get(t, suspended.GetId()); got.GetState() != pb.TransferState_TRANSFER_STATE_SUSPENDED || got.GetFlagTime() == nil {
		t.Errorf("a flagged suspended transfer: %v", got)
	}

	sender := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "sec-a", Role: auth.CommunitySecretary, ScopeOrgID: tr.community.GetId()}))
	list := func(c pb.TransferServiceClient, review pb.TransferReviewFilter, org string) []string {
		resp, err := c.ListTransfers(ctx, &pb.ListTransfersRequest{Review: review, OrganisationId: org})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, tf := range resp.GetTransfers() {
			out = append(out, tf.GetId())
		}
		slices.Sort(out)
		return out
	}
	fromBranch := []string{a.GetId(), suspended.GetId()}
	slices.Sort(fromBranch)
	if got := list(sender, pb.TransferReviewFilter_TRANSFER_REVIEW_FILTER_PENDING, ""); !equal(got, fromBranch) {
		t.Errorf("the sending community's pending reviews %v, want %v", got, fromBranch)
	}
	if got := list(h.transfers, pb.TransferReviewFilter_TRANSFER_REVIEW_FILTER_FLAGGED, tr.branch.GetId()); !equal(got, fromBranch) {
		t.Errorf("flagged transfers sent from the branch %v, want %v (not %s, which it receives)", got, fromBranch, b.GetId())
	}
	receiverSide := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "da-b", Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}))
	if got := list(receiverSide, pb.TransferReviewFilter_TRANSFER_REVIEW_FILTER_FLAGGED, ""); !equal(got, []string{b.GetId()}) {
		t.Errorf("the other district's reviews %v, want only its own %s", got, b.GetId())
	}

	if _, err := sender.RecordTransferReview(ctx, &pb.RecordTransferReviewRequest{Id: a.GetId(),
		Outcome: pb.TransferReviewOutcome_TRANSFER_REVIEW_OUTCOME_CONTACTED}); !equal(refusalOf(err).Fields, []string{"reason"}) {
		t.Errorf("a review without a reason: %v", err)
	}
	if _, err := receiverSide.RecordTransferReview(ctx, &pb.RecordTransferReviewRequest{Id: a.GetId(), Reason: "x",
		Outcome: pb.TransferReviewOutcome_TRANSFER_REVIEW_OUTCOME_TREATED_AS_LEFT}); status.Code(err) != codes.NotFound {
		t.Errorf("the receiving side reviews: %v", err)
	}
	r, err := sender.RecordTransferReview(ctx, &pb.RecordTransferReviewRequest{Id: a.GetId(), Reason: "reached by phone, will report",
		Outcome: pb.TransferReviewOutcome_TRANSFER_REVIEW_OUTCOME_CONTACTED})
	if err != nil {
		t.Fatalf("record a review: %v", err)
	}
	got := r.GetTransfer()
	last := got.GetSteps()[len(got.GetSteps())-1]
	if got.GetReviewOutcome() != pb.TransferReviewOutcome_TRANSFER_REVIEW_OUTCOME_CONTACTED || got.GetState() != pb.TransferState_TRANSFER_STATE_RELEASED ||
		last.GetAction() != pb.TransferAction_TRANSFER_ACTION_REVIEWED || last.GetActorSubject() != "sec-a" ||
		last.GetReviewOutcome() != pb.TransferReviewOutcome_TRANSFER_REVIEW_OUTCOME_CONTACTED {
		t.Errorf("reviewed: %v", got)
	}
	if got := list(sender, pb.TransferReviewFilter_TRANSFER_REVIEW_FILTER_PENDING, ""); !equal(got, []string{suspended.GetId()}) {
		t.Errorf("pending reviews after one %v", got)
	}
	if _, err := h.transfers.RecordTransferReview(ctx, &pb.RecordTransferReviewRequest{Id: done.GetId(), Reason: "x",
		Outcome: pb.TransferReviewOutcome_TRANSFER_REVIEW_OUTCOME_NOT_REACHED}); reasonOf(err) != "NOT_FLAGGED" {
		t.Errorf("review a transfer never flagged: %v", err)
	}
	if ids := h.transferEventsOf(t, "TransferReviewRecorded", 1); !equal(ids, []string{a.GetId()}) {
		t.Errorf("review events %v", ids)
	}
	if h.memberRow(t, a.GetMemberId()) != rows[a.GetMemberId()] {
		t.Error("recording a review changed the member")
	}
}

// TestEveryStepIsPublished: each step of a transfer has its event on
// NATS, and a receipt publishes both the receipt and the completion.
func TestEveryStepIsPublished(t *testing.T) {
	t.Parallel()
	h := newTimedHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	from, to := tr.branch.GetId(), tr.otherCommunity.GetId()
	completed := h.released(t, from, to)
	if _, err := h.transfers.SuspendTransfer(ctx, &pb.SuspendTransferRequest{Id: completed.GetId(), Reason: "papers"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.transfers.ResumeTransfer(ctx, &pb.ResumeTransferRequest{Id: completed.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: completed.GetId()}); err != nil {
		t.Fatal(err)
	}
	rejected := h.requestTransfer(t, h.register(t, person(from, "Rejected")).GetId(), to)
	if _, err := h.transfers.RejectTransfer(ctx, &pb.RejectTransferRequest{Id: rejected.GetId(), Reason: "no"}); err != nil {
		t.Fatal(err)
	}
	withdrawn := h.requestTransfer(t, h.register(t, person(from, "Withdrawn")).GetId(), to)
	if _, err := h.transfers.WithdrawTransfer(ctx, &pb.WithdrawTransferRequest{Id: withdrawn.GetId()}); err != nil {
		t.Fatal(err)
	}
	late := h.released(t, from, to)
	h.clock.addMonths(7)
	h.sweep(t)
	if _, err := h.transfers.RecordTransferReview(ctx, &pb.RecordTransferReviewRequest{Id: late.GetId(), Reason: "no answer",
		Outcome: pb.TransferReviewOutcome_TRANSFER_REVIEW_OUTCOME_NOT_REACHED}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		completed.GetId(): {"TransferRequested", "TransferConfirmed", "TransferReleased", "TransferSuspended", "TransferResumed",
			"TransferReceived", "TransferCompleted"},
		rejected.GetId():  {"TransferRequested", "TransferRejected"},
		withdrawn.GetId(): {"TransferRequested", "TransferWithdrawn"},
		late.GetId(): {"TransferRequested", "TransferConfirmed", "TransferReleased", "TransferExpired", "TransferFlaggedForReview",
			"TransferReviewRecorded"},
	}
	var got map[string][]string
	waitFor(t, "every step's event", func() bool {
		got = map[string][]string{}
		for _, e := range h.memberEvents(t) {
			if tf, ok := e.(interface{ GetTransfer() *pb.Transfer }); ok {
				got[tf.GetTransfer().GetId()] = append(got[tf.GetTransfer().GetId()], string(proto.MessageName(e).Name()))
			}
		}
		return len(got[late.GetId()]) >= len(want[late.GetId()])
	})
	for id, w := range want {
		if !equal(got[id], w) {
			t.Errorf("events of %s: %v, want %v", id, got[id], w)
		}
	}
	// The completion carries the completed transfer, after the receipt.
	for _, e := range h.memberEvents(t) {
		if c, ok := e.(*pb.TransferCompleted); ok && c.GetTransfer().GetState() != pb.TransferState_TRANSFER_STATE_COMPLETED {
			t.Errorf("completion event: %v", c)
		}
	}
}
