package grpcapi_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// lanzhou is a destination outside the city.
var lanzhou = &pb.OutsideDestination{Organisation: "兰州市城关区某社区党委", Place: "甘肃省兰州市城关区"}

// dayOf is the calendar day of an instant in the tests' city (UTC).
func dayOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// releasedOutside opens, confirms and releases a transfer of a new member
// of orgID out of the city, as a city administrator.
func (h *harness) releasedOutside(t *testing.T, orgID string) (*pb.Member, *pb.Transfer) {
	t.Helper()
	m := h.register(t, person(orgID, "Leaving Member"))
	ctx := callContext(t)
	r, err := h.transfers.RequestTransfer(ctx, &pb.RequestTransferRequest{
		Transfer: &pb.Transfer{MemberId: m.GetId(), Outside: lanzhou, Reason: "moved to Lanzhou"}})
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	c, err := h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: r.GetTransfer().GetId(), Reason: "signed on paper"})
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	rel, err := h.transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: c.GetTransfer().GetId()})
	if err != nil {
		t.Fatalf("release: %v", err)
	}
	return m, rel.GetTransfer()
}

// TestTransferOutOfTheCity: a transfer names a destination outside the
// city instead of an organisation; its letter is valid the sending
// district's outside days; nobody here receives it; the sending side's
// record of the receipt slip completes it and ends the membership here,
// keeping the member readable and out of lists, counts and compositions.
func TestTransferOutOfTheCity(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	districtAdmin := devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}
	sender := pb.NewTransferServiceClient(h.as(districtAdmin))
	other := pb.NewTransferServiceClient(h.as(devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}))
	if _, err := h.transfers.UpdateTransferSettings(ctx, &pb.UpdateTransferSettingsRequest{DistrictId: tr.district.GetId(),
		Settings: settings(5, 20, 3, 6)}); err != nil {
		t.Fatalf("settings: %v", err)
	}
	m := h.register(t, person(tr.branch.GetId(), "Leaving Member"))

	t.Run("the destination is one of the two, in full", func(t *testing.T) {
		for name, c := range map[string]struct {
			tf   *pb.Transfer
			want []string
		}{
			"neither":       {&pb.Transfer{MemberId: m.GetId()}, []string{"transfer.to_organisation_id"}},
			"both":          {&pb.Transfer{MemberId: m.GetId(), ToOrganisationId: tr.community.GetId(), Outside: lanzhou}, []string{"transfer.outside"}},
			"without place": {&pb.Transfer{MemberId: m.GetId(), Outside: &pb.OutsideDestination{Organisation: "某党委"}}, []string{"transfer.outside.place"}},
		} {
			_, err := h.transfers.RequestTransfer(ctx, &pb.RequestTransferRequest{Transfer: c.tf})
			if got := refusalOf(err); got.Code != codes.InvalidArgument || !equal(got.Fields, c.want) {
				t.Errorf("%s: %+v, want InvalidArgument on %v", name, got, c.want)
			}
		}
	})

	req := &pb.RequestTransferRequest{RequestId: "out-1", Transfer: &pb.Transfer{MemberId: m.GetId(), Outside: lanzhou, Reason: "moved"}}
	first, err := sender.RequestTransfer(ctx, req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	tf := first.GetTransfer()
	t.Run("a repeated request id returns the transfer opened first", func(t *testing.T) {
		again, err := sender.RequestTransfer(ctx, req)
		if err != nil || again.GetTransfer().GetId() != tf.GetId() {
			t.Fatalf("replay: %v, %s want %s", err, again.GetTransfer().GetId(), tf.GetId())
		}
		if !proto.Equal(tf.GetOutside(), lanzhou) || tf.GetToOrganisationId() != "" || tf.GetToDistrictId() != "" {
			t.Errorf("destination: %v, to %q", tf.GetOutside(), tf.GetToOrganisationId())
		}
	})
	today := dayOf(time.Now())
	t.Run("no receipt before the letter is released", func(t *testing.T) {
		_, err := sender.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: tf.GetId(), ReceiptNumber: "HZ-1", ReceiptDate: today})
		if reasonOf(err) != "TRANSFER_STATE" {
			t.Errorf("receipt of a requested transfer: %v", err)
		}
	})
	c, err := sender.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Reason: "signed on paper"})
	if err != nil {
		t.Fatal(err)
	}
	rel, err := sender.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId(), Etag: c.GetTransfer().GetEtag()})
	if err != nil {
		t.Fatal(err)
	}
	tf = rel.GetTransfer()
	t.Run("the letter is valid the sending district's outside days", func(t *testing.T) {
		released := tf.GetSteps()[len(tf.GetSteps())-1].GetTime().AsTime()
		if got, want := tf.GetLetterDeadline().AsTime(), released.AddDate(0, 0, 20); !got.Equal(want) {
			t.Errorf("deadline %v, want %v (20 outside days, not 5 inside)", got, want)
		}
	})
	t.Run("nobody receives it", func(t *testing.T) {
		if _, err := h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId()}); reasonOf(err) != "OUT_OF_CITY" {
			t.Errorf("receive by the city: %v", err)
		}
		if _, err := sender.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId()}); reasonOf(err) != "OUT_OF_CITY" {
			t.Errorf("receive by the sending district: %v", err)
		}
		// Another district is no side of it: not found, as for any transfer.
		for name, call := range map[string]func() error{
			"receive": func() error {
				_, err := other.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId()})
				return err
			},
			"receipt": func() error {
				_, err := other.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: tf.GetId(), ReceiptNumber: "HZ-1", ReceiptDate: today})
				return err
			},
			"get": func() error { _, err := other.GetTransfer(ctx, &pb.GetTransferRequest{Id: tf.GetId()}); return err },
		} {
			if err := call(); refusalOf(err).Code != codes.NotFound {
				t.Errorf("%s by another district: %v", name, err)
			}
		}
	})
	t.Run("the receipt is dated between the release and today", func(t *testing.T) {
		for name, c := range map[string]string{
			"in the future":      dayOf(time.Now().AddDate(0, 0, 2)),
			"before the release": dayOf(time.Now().AddDate(0, 0, -2)),
			"not a date":         "2024-13-40",
			"without a date":     "",
		} {
			_, err := sender.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: tf.GetId(), ReceiptNumber: "HZ-1", ReceiptDate: c})
			if got := refusalOf(err); got.Code != codes.InvalidArgument || !equal(got.Fields, []string{"receipt_date"}) {
				t.Errorf("%s: %+v", name, got)
			}
		}
		_, err := sender.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: tf.GetId(), ReceiptDate: today})
		if got := refusalOf(err); got.Code != codes.InvalidArgument || !equal(got.Fields, []string{"receipt_number"}) {
			t.Errorf("without a number: %+v", got)
		}
		_, err = sender.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: tf.GetId(), ReceiptNumber: "HZ-1",
			ReceiptDate: today, Etag: c.GetTransfer().GetEtag()})
		if reasonOf(err) != "ETAG_MISMATCH" {
			t.Errorf("stale etag: %v", err)
		}
	})

	receipt := &pb.RecordTransferReceiptRequest{Id: tf.GetId(), ReceiptNumber: "HZ-2024-0815", ReceiptDate: today, Etag: tf.GetEtag()}
	done, err := sender.RecordTransferReceipt(ctx, receipt)
	if err != nil {
		t.Fatalf("receipt: %v", err)
	}
	got := done.GetTransfer()
	t.Run("the receipt completes the transfer", func(t *testing.T) {
		last := got.GetSteps()[len(got.GetSteps())-1]
		if got.GetState() != pb.TransferState_TRANSFER_STATE_COMPLETED || got.GetReceiptNumber() != "HZ-2024-0815" ||
			got.GetReceiptDate() != today || last.GetAction() != pb.TransferAction_TRANSFER_ACTION_RECEIVED ||
			last.GetActorSubject() != "district_admin-1" || !strings.Contains(last.GetReason(), "HZ-2024-0815") {
			t.Errorf("completed transfer: %v", got)
		}
	})
	t.Run("the same receipt again is a retry; another is refused", func(t *testing.T) {
		again, err := sender.RecordTransferReceipt(ctx, receipt)
		if err != nil || again.GetTransfer().GetEtag() != got.GetEtag() {
			t.Errorf("retry: %v, etag %s want %s", err, again.GetTransfer().GetEtag(), got.GetEtag())
		}
		_, err = sender.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: tf.GetId(), ReceiptNumber: "HZ-other", ReceiptDate: today})
		if reasonOf(err) != "TRANSFER_STATE" {
			t.Errorf("a second receipt: %v", err)
		}
		if n := h.count(t, `SELECT count(*) FROM transfer_steps WHERE transfer_id = $1 AND action = 'RECEIVED'`, tf.GetId()); n != 1 {
			t.Errorf("%d receipt steps", n)
		}
	})
	t.Run("the member is kept, readable and marked as left", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM members WHERE id = $1 AND left_at IS NOT NULL`, m.GetId()); n != 1 {
			t.Fatalf("member row: %d", n)
		}
		resp, err := pb.NewMemberServiceClient(h.as(districtAdmin)).GetMember(ctx, &pb.GetMemberRequest{Id: m.GetId()})
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		g := resp.GetMember()
		if g.GetLeftTime() == nil || g.GetLeftKind() != pb.LeavingKind_LEAVING_KIND_TRANSFERRED_OUT || g.GetLeftDate() != today ||
			!strings.Contains(g.GetLeftReason(), lanzhou.GetOrganisation()) || g.GetOrganisationId() != tr.branch.GetId() {
			t.Errorf("left member: %v", g)
		}
		if _, err := h.members.UpdateMember(ctx, &pb.UpdateMemberRequest{Member: &pb.Member{Id: m.GetId(), Phone: "1"},
			UpdateMask: mask("phone")}); reasonOf(err) != "MEMBER_LEFT" {
			t.Errorf("update of a member who left: %v", err)
		}
		if _, err := h.transfers.RequestTransfer(ctx, &pb.RequestTransferRequest{Transfer: &pb.Transfer{MemberId: m.GetId(),
			ToOrganisationId: tr.community.GetId()}}); reasonOf(err) != "MEMBER_LEFT" {
			t.Errorf("transfer of a member who left: %v", err)
		}
	})
	t.Run("absent from lists, counts and compositions", func(t *testing.T) {
		h.assertAbsent(t, tr, m.GetId())
	})
	t.Run("the events say so, with the count", func(t *testing.T) {
		tail := h.streamTail(t, "gongjian.member.v1.member_left", 4)
		if !equal(subjectsOf(tail), []string{"gongjian.member.v1.transfer_received", "gongjian.member.v1.transfer_completed",
			"gongjian.member.v1.member_left", "gongjian.member.v1.organisation_member_count_changed"}) {
			t.Errorf("last events %v", subjectsOf(tail))
		}
		var left pb.MemberLeft
		var count pb.OrganisationMemberCountChanged
		if err := proto.Unmarshal(tail[2].Data, &left); err != nil {
			t.Fatal(err)
		}
		if err := proto.Unmarshal(tail[3].Data, &count); err != nil {
			t.Fatal(err)
		}
		if left.GetKind() != pb.LeavingKind_LEAVING_KIND_TRANSFERRED_OUT || left.GetTransferId() != tf.GetId() ||
			left.GetDate() != today || left.GetMember().GetNationalId() != "" || left.GetMember().GetLeftTime() == nil {
			t.Errorf("MemberLeft: %v", &left)
		}
		if count.GetOrganisationId() != tr.branch.GetId() || count.GetMemberCount() != 0 {
			t.Errorf("count %v, want the branch's 0", &count)
		}
	})
	t.Run("one audit record of the member's leaving", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'write' AND subject_type = 'member' AND subject_id = $1
			AND method LIKE '%RecordTransferReceipt' AND after->>'leftKind' = 'LEAVING_KIND_TRANSFERRED_OUT'`, m.GetId()); n != 1 {
			t.Errorf("%d audit records", n)
		}
	})
	t.Run("a transfer inside the city takes no receipt", func(t *testing.T) {
		in := h.released(t, tr.branch.GetId(), tr.community.GetId())
		_, err := h.transfers.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: in.GetId(), ReceiptNumber: "HZ-3", ReceiptDate: today})
		if reasonOf(err) != "OUTSIDE_ONLY" {
			t.Errorf("receipt of an in-city transfer: %v", err)
		}
	})
}

// assertAbsent checks that a member who left is in no list, count or
// composition of their organisation, and is listed with include_left.
func (h *harness) assertAbsent(t *testing.T, tr *tree, id string) {
	t.Helper()
	ctx := callContext(t)
	list, err := h.members.ListMembers(ctx, &pb.ListMembersRequest{AncestorId: tr.city.GetId(), PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list.GetMembers() {
		if m.GetId() == id {
			t.Errorf("listed after leaving")
		}
	}
	all, err := h.members.ListMembers(ctx, &pb.ListMembersRequest{AncestorId: tr.city.GetId(), PageSize: 500, IncludeLeft: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range all.GetMembers() {
		found = found || (m.GetId() == id && m.GetLeftTime() != nil)
	}
	if !found || len(all.GetMembers()) != len(list.GetMembers())+h.count(t, `SELECT count(*) FROM members WHERE left_at IS NOT NULL`) {
		t.Errorf("include_left: found %v, %d listed against %d live", found, len(all.GetMembers()), len(list.GetMembers()))
	}
	n, err := h.members.CountMembers(ctx, &pb.CountMembersRequest{AncestorId: tr.city.GetId()})
	if err != nil || n.GetCount() != int64(len(list.GetMembers())) {
		t.Errorf("count %d (%v), want the %d listed", n.GetCount(), err, len(list.GetMembers()))
	}
	comp, err := h.categories.GetComposition(ctx, &pb.GetCompositionRequest{OrganisationId: tr.city.GetId(), Subtree: true})
	if err != nil {
		t.Fatal(err)
	}
	total := comp.GetUnclassified()
	for _, c := range comp.GetCounts() {
		total += c.GetCount()
	}
	if total != int64(len(list.GetMembers())) || comp.GetTotal() != total {
		t.Errorf("composition counts %d (total %d), want %d", total, comp.GetTotal(), len(list.GetMembers()))
	}
	names, err := h.transfers.ListNameOnlyMembers(ctx, &pb.ListNameOnlyMembersRequest{OrganisationId: tr.city.GetId(),
		IncludeUnknownResidence: true, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names.GetMembers() {
		if n.GetMember().GetId() == id {
			t.Errorf("name-only after leaving")
		}
	}
	pocket, err := h.transfers.ListPocketMembers(ctx, &pb.ListPocketMembersRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pocket.GetTransfers() {
		if p.GetMemberId() == id {
			t.Errorf("pocket member after leaving")
		}
	}
}

// TestOutOfCityLetterExpires: the sweeper marks an outside letter past its
// outside-days deadline as for any letter (a pocket member); a receipt
// dated after the deadline is refused, one dated in time (returned by post
// later) completes the transfer and takes the member off the pocket list.
func TestOutOfCityLetterExpires(t *testing.T) {
	t.Parallel()
	h := newTimedHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	released := dayOf(h.clock.Now())
	m, tf := h.releasedOutside(t, tr.branch.GetId())
	if got, want := tf.GetLetterDeadline().AsTime(), tf.GetSteps()[2].GetTime().AsTime().AddDate(0, 0, 30); !got.Equal(want) {
		t.Fatalf("deadline %v, want 30 days (the default outside days)", got)
	}
	h.clock.add(29 * 24 * time.Hour)
	h.sweep(t)
	if h.get(t, tf.GetId()).GetExpireTime() != nil {
		t.Fatalf("expired inside its 30 days")
	}
	h.clock.add(2 * 24 * time.Hour)
	h.sweep(t)
	pocket, err := h.transfers.ListPocketMembers(ctx, &pb.ListPocketMembersRequest{OrganisationId: tr.branch.GetId()})
	if err != nil || len(pocket.GetTransfers()) != 1 || pocket.GetTransfers()[0].GetId() != tf.GetId() {
		t.Fatalf("pocket members: %v, %v", pocket.GetTransfers(), err)
	}
	h.transferEventsOf(t, "TransferExpired", 1)
	late := dayOf(h.clock.Now())
	if _, err := h.transfers.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: tf.GetId(), ReceiptNumber: "R-1",
		ReceiptDate: late}); reasonOf(err) != "LETTER_EXPIRED" {
		t.Errorf("a receipt dated after the deadline: %v", err)
	}
	if _, err := h.transfers.RecordTransferReceipt(ctx, &pb.RecordTransferReceiptRequest{Id: tf.GetId(), ReceiptNumber: "R-1",
		ReceiptDate: released}); err != nil {
		t.Fatalf("a receipt dated in time: %v", err)
	}
	pocket, err = h.transfers.ListPocketMembers(ctx, &pb.ListPocketMembersRequest{OrganisationId: tr.branch.GetId()})
	if err != nil || len(pocket.GetTransfers()) != 0 {
		t.Errorf("pocket members after the receipt: %v, %v", pocket.GetTransfers(), err)
	}
	if h.memberRow(t, m.GetId()) == "" || h.count(t, `SELECT count(*) FROM members WHERE id = $1 AND left_kind = 'TRANSFERRED_OUT' AND left_date = $2`,
		m.GetId(), released) != 1 {
		t.Errorf("the member did not leave on the receipt's date")
	}
}
