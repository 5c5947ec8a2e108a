package grpcapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// restAnswer is what a REST client learns from a refusal: the HTTP status
// and the fields named by the error's BadRequest.
type restAnswer struct {
	Status int
	Fields []string
}

// rest sends one request to the generated REST handlers in front of the
// service, as the caller the claims describe.
func (h *harness) rest(t *testing.T, c devissuer.Claims, method, path string, body proto.Message) restAnswer {
	t.Helper()
	base := accesstest.RESTServer(t, h.as(devissuer.Claims{}), pb.RegisterMemberServiceHandler, pb.RegisterTransferServiceHandler)
	var payload io.Reader
	if body != nil {
		b, err := protojson.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		payload = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(callContext(t), method, base+path, payload)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Subject == "" {
		c.Subject = string(c.Role) + "-1"
	}
	token, err := authtest.Issuer(t).Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Details []struct {
			FieldViolations []struct {
				Field string `json:"field"`
			} `json:"fieldViolations"`
		} `json:"details"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	a := restAnswer{Status: resp.StatusCode}
	for _, d := range out.Details {
		for _, v := range d.FieldViolations {
			a.Fields = append(a.Fields, v.Field)
		}
	}
	slices.Sort(a.Fields)
	return a
}

// TestControlCharactersInTextAreRefusedNamingTheField: a NUL (which
// PostgreSQL refuses, once a 500), ESC or BEL in a member's name or
// employer or a transfer's reason is refused over gRPC and REST alike,
// naming the field, and nothing is stored.
func TestControlCharactersInTextAreRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	m := h.register(t, person(tr.branch.GetId(), "Zhou Min"))
	for name, bad := range map[string]string{"NUL": "\x00", "ESC": "\x1b[31m", "BEL": "\a"} {
		t.Run(name, func(t *testing.T) {
			withName := person(tr.branch.GetId(), "Zhou"+bad+"Min")
			withEmployer := person(tr.branch.GetId(), "Qian Li")
			withEmployer.Employer = "Jinchuan Group" + bad
			reason := &pb.Transfer{MemberId: m.GetId(), ToOrganisationId: tr.otherCommunity.GetId(), Reason: "moved" + bad}
			for _, tt := range []struct {
				what, field, path string
				grpc              func() error
				body              proto.Message
			}{
				{"a member's name", "member.name", "/v1/members", func() error {
					_, err := h.members.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: withName})
					return err
				}, withName},
				{"an employer", "member.employer", "/v1/members", func() error {
					_, err := h.members.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: withEmployer})
					return err
				}, withEmployer},
				{"a transfer's reason", "transfer.reason", "/v1/transfers", func() error {
					_, err := h.transfers.RequestTransfer(callContext(t), &pb.RequestTransferRequest{Transfer: reason})
					return err
				}, reason},
			} {
				if got := refusalOf(tt.grpc()); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{tt.field}) {
					t.Errorf("%s over gRPC: %v, want InvalidArgument naming %s", tt.what, got, tt.field)
				}
				if got := h.rest(t, cityAdmin, http.MethodPost, tt.path, tt.body); got.Status != http.StatusBadRequest ||
					!slices.Equal(got.Fields, []string{tt.field}) {
					t.Errorf("%s over REST: %v, want 400 naming %s", tt.what, got, tt.field)
				}
			}
		})
	}
	if n := h.count(t, `SELECT count(*) FROM members`); n != 1 {
		t.Errorf("%d members stored, want only the clean one", n)
	}
	if n := h.count(t, `SELECT count(*) FROM transfers`); n != 0 {
		t.Errorf("%d transfers stored, want none", n)
	}
}

// TestARosterCellWithControlCharactersRefusesItsRow: a roster travels as
// bytes, which the server's text check leaves alone; its cells get the
// same rule, row by row.
func TestARosterCellWithControlCharactersRefusesItsRow(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	csv := rosterHeader +
		rosterLine("王建国", "19600301", nationalID("610102", "19600301"), "") +
		strings.Replace(rosterLine("李\x00娜", "19600302", nationalID("610102", "19600302"), ""), "3号楼", "3号楼\x1b", 1)
	resp, err := h.members.ImportMembers(callContext(t), &pb.ImportMembersRequest{Content: []byte(csv), OrganisationId: tr.branch.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	rows := resp.GetReport().GetRows()
	if len(rows) != 2 || rows[0].GetOutcome() != taken || rows[1].GetOutcome() != refused {
		t.Fatalf("rows %v, want the first taken and the second refused", rows)
	}
	var fields []string
	for _, p := range rows[1].GetProblems() {
		fields = append(fields, p.GetField())
	}
	if !slices.Equal(fields, []string{"name", "residence"}) {
		t.Errorf("problems of the refused row name %v, want name and residence", fields)
	}
}

// TestMembershipDatesFollowTheConstitution: a person joins from their
// 18th birthday, and is probationary for a year before full membership;
// over gRPC and REST, on registration, update and in a roster.
func TestMembershipDatesFollowTheConstitution(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	today := time.Now().In(cityZone)
	atFive := person(tr.branch.GetId(), "Joined At Five")
	atFive.JoinDate = "1985-01-15" // born 1980-01-15
	dayBefore := person(tr.branch.GetId(), "Joined The Day Before")
	dayBefore.JoinDate = "1998-01-14"
	fullTooSoon := person(tr.branch.GetId(), "Full Too Soon")
	fullTooSoon.JoinDate = today.AddDate(0, -3, 0).Format(time.DateOnly)
	for _, tt := range []struct {
		name  string
		m     *pb.Member
		field string
	}{
		{"joining at five is refused", atFive, "member.join_date"},
		{"joining the day before the 18th birthday is refused", dayBefore, "member.join_date"},
		{"a full member three months after joining is refused", fullTooSoon, "member.status"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.members.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: tt.m})
			if got := refusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{tt.field}) {
				t.Errorf("over gRPC: %v, want InvalidArgument naming %s", got, tt.field)
			}
			if got := h.rest(t, cityAdmin, http.MethodPost, "/v1/members", tt.m); got.Status != http.StatusBadRequest ||
				!slices.Equal(got.Fields, []string{tt.field}) {
				t.Errorf("over REST: %v, want 400 naming %s", got, tt.field)
			}
		})
	}
	t.Run("joining on the 18th birthday, probationary three months on, is taken", func(t *testing.T) {
		on := person(tr.branch.GetId(), "Joined On The Day")
		on.JoinDate = "1998-01-15"
		h.register(t, on)
		probationary := person(tr.branch.GetId(), "Probationary")
		probationary.JoinDate, probationary.Status = fullTooSoon.GetJoinDate(), pb.MemberStatus_MEMBER_STATUS_PROBATIONARY
		got := h.register(t, probationary)
		got.Status = pb.MemberStatus_MEMBER_STATUS_FULL
		_, err := h.members.UpdateMember(callContext(t), &pb.UpdateMemberRequest{Member: got,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}}})
		if r := refusalOf(err); r.Code != codes.InvalidArgument || !slices.Equal(r.Fields, []string{"member.status"}) {
			t.Errorf("made full three months after joining: %v, want InvalidArgument naming member.status", r)
		}
	})
	t.Run("a roster row joining at five is refused naming the join date", func(t *testing.T) {
		csv := rosterHeader + strings.Replace(rosterLine("五岁入党", "20000301", nationalID("610102", "20000301"), ""),
			"2005-07-01", "2005-03-01", 1)
		resp, err := h.members.ImportMembers(callContext(t), &pb.ImportMembersRequest{Content: []byte(csv), OrganisationId: tr.branch.GetId(), DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		rows := resp.GetReport().GetRows()
		if len(rows) != 1 || rows[0].GetOutcome() != refused || len(rows[0].GetProblems()) != 1 ||
			rows[0].GetProblems()[0].GetField() != "join_date" {
			t.Errorf("rows %v, want one refused naming join_date", rows)
		}
	})
}

// TestAConfirmationForTheMemberIsRecordedOnTheirBehalf: the member's
// confirmation given by the sending side (the member signed on paper)
// needs a reason and is recorded as taken on the member's behalf, with
// who and why, in the transfer's steps and in its audit record; the
// member confirming their own needs no reason.
func TestAConfirmationForTheMemberIsRecordedOnTheirBehalf(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	admin := devissuer.Claims{Subject: "district-admin-7", Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}
	sender := pb.NewTransferServiceClient(h.as(admin))
	m := h.register(t, person(tr.branch.GetId(), "Signed On Paper"))
	tf := h.requestTransfer(t, m.GetId(), tr.otherCommunity.GetId())

	_, err := sender.ConfirmTransfer(callContext(t), &pb.ConfirmTransferRequest{Id: tf.GetId()})
	if got := refusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"reason"}) {
		t.Errorf("over gRPC without a reason: %v, want InvalidArgument naming reason", got)
	}
	if got := h.rest(t, admin, http.MethodPost, "/v1/transfers/"+tf.GetId()+":confirm", &pb.ConfirmTransferRequest{}); got.Status != http.StatusBadRequest ||
		!slices.Equal(got.Fields, []string{"reason"}) {
		t.Errorf("over REST without a reason: %v, want 400 naming reason", got)
	}
	resp, err := sender.ConfirmTransfer(callContext(t), &pb.ConfirmTransferRequest{Id: tf.GetId(), Reason: "signed on paper"})
	if err != nil {
		t.Fatal(err)
	}
	steps := resp.GetTransfer().GetSteps()
	last := steps[len(steps)-1]
	if last.GetAction() != pb.TransferAction_TRANSFER_ACTION_CONFIRMED || last.GetOnBehalfOf() != m.GetId() ||
		last.GetActorSubject() != "district-admin-7" || last.GetActorRole() != string(auth.DistrictAdmin) || last.GetReason() != "signed on paper" {
		t.Errorf("confirmation step %v, want on behalf of %s by district-admin-7 because signed on paper", last, m.GetId())
	}
	read, err := h.transfers.GetTransfer(callContext(t), &pb.GetTransferRequest{Id: tf.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if got := read.GetTransfer().GetSteps(); len(got) != 2 || got[0].GetOnBehalfOf() != "" || got[1].GetOnBehalfOf() != m.GetId() {
		t.Errorf("steps read back %v, want the request as the sender's own and the confirmation on the member's behalf", got)
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_id = $1 AND method LIKE '%/ConfirmTransfer'
		AND actor_subject = 'district-admin-7' AND after->'steps'->1->>'onBehalfOf' = $2
		AND after->'steps'->1->>'reason' = 'signed on paper'`, tf.GetId(), m.GetId()); n != 1 {
		t.Errorf("%d audit records of the confirmation on the member's behalf, want 1", n)
	}

	t.Run("the member confirming their own needs no reason and is not on anyone's behalf", func(t *testing.T) {
		own := h.register(t, person(tr.branch.GetId(), "Confirms Own"))
		otf := h.requestTransfer(t, own.GetId(), tr.otherCommunity.GetId())
		self := pb.NewTransferServiceClient(h.as(devissuer.Claims{Subject: "own-1", Role: auth.Member, MemberID: own.GetId()}))
		resp, err := self.ConfirmTransfer(callContext(t), &pb.ConfirmTransferRequest{Id: otf.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		steps := resp.GetTransfer().GetSteps()
		if last := steps[len(steps)-1]; last.GetOnBehalfOf() != "" || last.GetActorSubject() != "own-1" {
			t.Errorf("own confirmation %v, want taken by own-1 for themselves", last)
		}
	})
}

// TestATransferRequestWithoutAMemberNamesTheField: an empty request
// (REST: an empty body) names the missing member, for a scoped caller as
// for the city; it once answered 404 "member not found".
func TestATransferRequestWithoutAMemberNamesTheField(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	admin := devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.district.GetId()}
	scoped := pb.NewTransferServiceClient(h.as(admin))
	_, err := scoped.RequestTransfer(callContext(t), &pb.RequestTransferRequest{Transfer: &pb.Transfer{}})
	if got := refusalOf(err); got.Code != codes.InvalidArgument || !slices.Contains(got.Fields, "transfer.member_id") {
		t.Errorf("over gRPC: %v, want InvalidArgument naming transfer.member_id", got)
	}
	if got := h.rest(t, admin, http.MethodPost, "/v1/transfers", nil); got.Status != http.StatusBadRequest ||
		!slices.Contains(got.Fields, "transfer.member_id") {
		t.Errorf("over REST with an empty body: %v, want 400 naming transfer.member_id", got)
	}
}
