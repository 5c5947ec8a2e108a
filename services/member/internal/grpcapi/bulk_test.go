package grpcapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/member"
)

// residentOf is a member of orgID who lives in community ("" for no
// residence recorded).
func residentOf(orgID, name, community string) *pb.Member {
	m := person(orgID, name)
	if community != "" {
		m.Residence = &pb.Residence{CommunityId: community, Building: "Building 7"}
	}
	return m
}

// factory is the party branch of an enterprise being restructured, beside
// the first community.
func (h *harness) factory(t *testing.T, tr *tree) *orgv1.Organisation {
	t.Helper()
	f := h.created(t, org(tr.street, kindBranch, "Party Branch of Factory No. 3"))
	h.waitView(t, f.GetId())
	return f
}

// outcomesByMember are the outcomes of a job's messages, by member, and
// fails on a member reported twice.
func outcomesByMember(t *testing.T, msgs []*pb.StartBulkTransferResponse) map[string]*pb.BulkTransferOutcome {
	t.Helper()
	out := map[string]*pb.BulkTransferOutcome{}
	for _, m := range msgs {
		if o := m.GetOutcome(); o != nil {
			if _, twice := out[o.GetMemberId()]; twice {
				t.Errorf("member %s reported twice", o.GetMemberId())
			}
			out[o.GetMemberId()] = o
		}
	}
	return out
}

// TestBulkTransferOutcomes: a district administrator transfers the members
// of a factory's branch at once, each to the community they live in or to
// the destination the request names; each member's outcome says what
// happened, the rules that keep a member out are reported with their
// reason, the letters are released for the receiving sides to receive as
// usual, and every step is kept and published.
func TestBulkTransferOutcomes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	f := h.factory(t, tr)
	home := h.register(t, residentOf(f.GetId(), "Lives in Guangzhou Road", tr.community.GetId()))
	far := h.register(t, residentOf(f.GetId(), "Lives in Beihai", tr.otherCommunity.GetId()))
	nowhere := h.register(t, residentOf(f.GetId(), "No residence", ""))
	busy := h.register(t, residentOf(f.GetId(), "Already moving", tr.community.GetId()))
	open := h.requestTransfer(t, busy.GetId(), tr.otherCommunity.GetId())
	toGroup := h.register(t, residentOf(f.GetId(), "Sent to a party group", tr.community.GetId()))
	toNothing := h.register(t, residentOf(f.GetId(), "Sent nowhere", tr.community.GetId()))
	toBranch := h.register(t, residentOf(f.GetId(), "Sent to the branch", tr.otherCommunity.GetId()))
	unknown := member.NewID()

	sender := devissuer.Claims{Subject: "da-a", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}
	client := pb.NewBulkTransferServiceClient(h.as(sender))
	msgs, err := runJob(ctx, client, &pb.StartBulkTransferRequest{RequestId: "factory-3", OrganisationId: f.GetId(),
		Reason:       "Factory No. 3 restructured; its members go to their communities",
		Destinations: map[string]string{toGroup.GetId(): tr.group.GetId(), toNothing.GetId(): unknown, toBranch.GetId(): tr.branch.GetId()},
	}, -1)
	if err != nil {
		t.Fatalf("job: %v", err)
	}
	if first := msgs[0]; first.GetOutcome() != nil || first.GetTotal() != 7 || first.GetDone() != 0 || first.GetJobId() == "" {
		t.Fatalf("first message %v", first)
	}
	for i, m := range msgs[1:] {
		if m.GetDone() != int32(i+1) || m.GetTotal() != 7 || m.GetReplayed() {
			t.Errorf("progress message %d: %v", i+1, m)
		}
	}
	got := outcomesByMember(t, msgs)
	type want struct {
		result pb.BulkTransferResult
		to     string
		reason string
	}
	transferred, skipped := pb.BulkTransferResult_BULK_TRANSFER_RESULT_TRANSFERRED, pb.BulkTransferResult_BULK_TRANSFER_RESULT_SKIPPED
	for id, w := range map[string]want{
		home.GetId():      {transferred, tr.community.GetId(), ""},
		far.GetId():       {transferred, tr.otherCommunity.GetId(), ""},
		toBranch.GetId():  {transferred, tr.branch.GetId(), ""},
		nowhere.GetId():   {skipped, "", "NO_RESIDENCE"},
		busy.GetId():      {skipped, tr.community.GetId(), "OPEN_TRANSFER"},
		toGroup.GetId():   {skipped, tr.group.GetId(), "DESTINATION_REFUSES"},
		toNothing.GetId(): {skipped, unknown, "DESTINATION_NOT_FOUND"},
	} {
		o := got[id]
		if o.GetResult() != w.result || o.GetToOrganisationId() != w.to || o.GetReason() != w.reason {
			t.Errorf("outcome of %s: %v, want %v", id, o, w)
		}
		if w.result == skipped && (o.GetDetail() == "" || o.GetTransferId() != "") {
			t.Errorf("a skip says why and opens nothing: %v", o)
		}
		if w.result != transferred {
			continue
		}
		tf, err := h.transfers.GetTransfer(ctx, &pb.GetTransferRequest{Id: o.GetTransferId()})
		if err != nil {
			t.Fatal(err)
		}
		x := tf.GetTransfer()
		if x.GetState() != pb.TransferState_TRANSFER_STATE_RELEASED || o.GetState() != x.GetState() || x.GetLetterNumber() == "" ||
			x.GetMemberId() != id || x.GetToOrganisationId() != w.to || x.GetFromOrganisationId() != f.GetId() {
			t.Errorf("transfer of %s: %v", id, x)
		}
		if a := actions(x); !equal(a, []string{"TRANSFER_ACTION_REQUESTED", "TRANSFER_ACTION_CONFIRMED", "TRANSFER_ACTION_RELEASED"}) {
			t.Errorf("steps of %s: %v", id, a)
		}
		for _, s := range x.GetSteps() {
			if s.GetActorSubject() != "da-a" || !strings.Contains(s.GetReason(), msgs[0].GetJobId()) && !strings.Contains(s.GetReason(), "Factory No. 3") {
				t.Errorf("step of %s: %v", id, s)
			}
		}
		if h.memberOrg(t, id) != f.GetId() {
			t.Errorf("member %s moved before a receipt", id)
		}
	}
	if h.count(t, `SELECT count(*) FROM transfers WHERE member_id = $1`, busy.GetId()) != 1 {
		t.Error("a member with an open transfer got a second one")
	}
	if d := got[busy.GetId()].GetDetail(); !strings.Contains(d, open.GetId()) {
		t.Errorf("the skip of a member with an open transfer does not name it: %q", d)
	}

	// The receiving side receives as usual.
	if _, err := h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: got[home.GetId()].GetTransferId()}); err != nil {
		t.Fatalf("receive a bulk-transferred member: %v", err)
	}
	if h.memberOrg(t, home.GetId()) != tr.community.GetId() {
		t.Error("the receipt did not move the member")
	}

	job, err := pb.NewBulkTransferServiceClient(h.as(sender)).GetBulkTransferJob(ctx, &pb.GetBulkTransferJobRequest{Id: msgs[0].GetJobId()})
	if err != nil {
		t.Fatal(err)
	}
	if j := job.GetJob(); j.GetDone() != 7 || j.GetTotal() != 7 || j.GetFinishTime() == nil || j.GetCreateSubject() != "da-a" || len(job.GetOutcomes()) != 7 {
		t.Errorf("job: %v", job)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'transfer_job' AND subject_id = $1`, msgs[0].GetJobId()); n != 1+4 {
		t.Errorf("%d audit records of the job, want its start and its four skips", n)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log a JOIN transfers t ON a.subject_id = t.id::text
		WHERE a.subject_type = 'transfer' AND t.from_organisation_id = $1`, f.GetId()); n != 3*3+1+1 {
		t.Errorf("%d audit records of the transfers, want three per transfer, the receipt and the open transfer's request", n)
	}
	released := h.transferEventsOf(t, "TransferReleased", 3)
	if len(released) != 3 {
		t.Errorf("released events %v", released)
	}

	// A list of members: one not of the factory and an unknown id are skipped.
	elsewhere := h.register(t, residentOf(tr.branch.GetId(), "Of the community", tr.community.GetId()))
	msgs, err = runJob(ctx, client, &pb.StartBulkTransferRequest{RequestId: "factory-3-list", OrganisationId: f.GetId(),
		MemberIds: []string{elsewhere.GetId(), unknown}, ToOrganisationId: tr.otherCommunity.GetId(), Reason: "listed"}, -1)
	if err != nil {
		t.Fatal(err)
	}
	for id, o := range outcomesByMember(t, msgs) {
		if o.GetReason() != "NOT_IN_ORGANISATION" {
			t.Errorf("listed member %s outside the organisation: %v", id, o)
		}
	}
	// Refusals of the request itself.
	for name, r := range map[string]*pb.StartBulkTransferRequest{
		"without a reason":                                  {RequestId: "x", OrganisationId: f.GetId()},
		"without a request id":                              {OrganisationId: f.GetId(), Reason: "r"},
		"a destination not in it":                           {RequestId: "y", OrganisationId: f.GetId(), Reason: "r", Destinations: map[string]string{elsewhere.GetId(): tr.community.GetId()}},
		"a request id used before for another organisation": {RequestId: "factory-3", OrganisationId: tr.branch.GetId(), Reason: "r"},
	} {
		if _, err := runJob(ctx, client, r, -1); status.Code(err) != codes.InvalidArgument && status.Code(err) != codes.AlreadyExists {
			t.Errorf("a job %s: %v", name, err)
		}
	}
}

// TestBulkTransferResumes: a job cut off mid-way (the client's context
// cancelled) continues when called again with its request id — or by
// another writer with its job id — first replaying the outcomes already
// reached, then the rest; every member ends with exactly one outcome and
// at most one transfer.
func TestBulkTransferResumes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	f := h.factory(t, tr)
	const n = 25
	for i := range n {
		h.register(t, residentOf(f.GetId(), "Worker "+string(rune('A'+i)), tr.community.GetId()))
	}
	client := pb.NewBulkTransferServiceClient(h.as(devissuer.Claims{Subject: "da-a", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}))
	req := &pb.StartBulkTransferRequest{RequestId: "restructuring-2024", OrganisationId: f.GetId(), Reason: "restructured"}
	ctx, cancel := context.WithCancel(callContext(t))
	first, err := runJob(ctx, client, req, 8)
	cancel()
	if err != nil || len(first) != 9 {
		t.Fatalf("first call: %d messages, %v", len(first), err)
	}
	jobID := first[0].GetJobId()

	second, err := runJob(callContext(t), client, req, -1)
	if err != nil {
		t.Fatalf("second call: %v", err)
	}
	head := second[0]
	if head.GetJobId() != jobID || head.GetTotal() != n || head.GetDone() < 8 || head.GetOutcome() != nil {
		t.Fatalf("the second call's first message %v", head)
	}
	replayed := second[1 : 1+head.GetDone()]
	for _, m := range replayed {
		if !m.GetReplayed() {
			t.Errorf("an outcome reached before is not marked replayed: %v", m)
		}
	}
	for i, m := range first[1:] { // what the first call saw is replayed as it was
		if r := replayed[i].GetOutcome(); r.GetMemberId() != m.GetOutcome().GetMemberId() || r.GetTransferId() != m.GetOutcome().GetTransferId() {
			t.Errorf("replayed %v, first saw %v", r, m.GetOutcome())
		}
	}
	all := outcomesByMember(t, second)
	if len(all) != n || second[len(second)-1].GetDone() != n {
		t.Fatalf("%d members with an outcome, last message %v", len(all), second[len(second)-1])
	}
	for id, o := range all {
		if o.GetResult() != pb.BulkTransferResult_BULK_TRANSFER_RESULT_TRANSFERRED {
			t.Errorf("member %s: %v", id, o)
		}
	}
	if got := h.count(t, `SELECT count(*) FROM transfers WHERE from_organisation_id = $1`, f.GetId()); got != n {
		t.Errorf("%d transfers for %d members", got, n)
	}
	if got := h.count(t, `SELECT count(*) FROM (SELECT member_id FROM transfers GROUP BY member_id HAVING count(*) > 1) d`); got != 0 {
		t.Errorf("%d members transferred twice", got)
	}

	// Called once more, by another writer, by its id: all replayed, nothing done.
	other := pb.NewBulkTransferServiceClient(h.as(cityAdmin))
	third, err := runJob(callContext(t), other, &pb.StartBulkTransferRequest{JobId: jobID}, -1)
	if err != nil || len(third) != n+1 || third[0].GetDone() != n {
		t.Fatalf("third call: %d messages, %v", len(third), err)
	}
	for _, m := range third[1:] {
		if !m.GetReplayed() {
			t.Errorf("a finished job did something: %v", m)
		}
	}
	if got := h.count(t, `SELECT count(*) FROM transfer_steps s JOIN transfers t ON t.id = s.transfer_id WHERE t.from_organisation_id = $1`,
		f.GetId()); got != 3*n {
		t.Errorf("%d steps for %d members, want three each", got, n)
	}
}

// TestBulkTransferOverREST: the gateway streams the job's messages as
// newline-delimited JSON to a POST.
func TestBulkTransferOverREST(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	f := h.factory(t, tr)
	for _, name := range []string{"Wu Lei", "Han Mei"} {
		h.register(t, residentOf(f.GetId(), name, tr.community.GetId()))
	}
	base := accesstest.RESTServer(t, h.as(devissuer.Claims{}), pb.RegisterBulkTransferServiceHandler)
	body := `{"requestId": "rest-1", "organisationId": "` + f.GetId() + `", "reason": "restructured"}`
	req, err := http.NewRequestWithContext(callContext(t), http.MethodPost, base+"/v1/transfer-jobs", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+authtest.Token(t, devissuer.Claims{Subject: "da-a", Role: auth.DistrictAdmin,
		ScopeOrgID: tr.district.GetId()}))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var msgs []*pb.StartBulkTransferResponse
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		var line struct {
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(lines.Bytes(), &line); err != nil || line.Error != nil {
			t.Fatalf("line %s: %v", lines.Text(), err)
		}
		m := &pb.StartBulkTransferResponse{}
		if err := protojson.Unmarshal(line.Result, m); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	if len(msgs) != 3 || msgs[2].GetDone() != 2 || msgs[2].GetTotal() != 2 ||
		!slices.ContainsFunc(msgs, func(m *pb.StartBulkTransferResponse) bool {
			return m.GetOutcome().GetResult() == pb.BulkTransferResult_BULK_TRANSFER_RESULT_TRANSFERRED
		}) {
		t.Errorf("messages over REST: %v", msgs)
	}
}
