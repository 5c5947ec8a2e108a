package grpcapi_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

const cash = pb.DuesPaymentMethod_DUES_PAYMENT_METHOD_CASH

// ledgerFixture is a branch of five members and a second branch of the
// same community with one, on 15 June 2026.
type ledgerFixture struct {
	h                            *harness
	tr                           *tree
	clk                          *servicetest.Clock
	ledger                       pb.DuesLedgerServiceClient
	branch2                      string
	alice, bob, carol, dan, erin *pb.Member
	frank                        *pb.Member
}

func newLedgerFixture(t *testing.T) *ledgerFixture {
	t.Helper()
	clk := servicetest.NewClock(time.Date(2026, 6, 15, 2, 0, 0, 0, time.UTC))
	h := newHarness(t, servicetest.WithClock(clk.Now))
	tr := h.tree(t)
	b2 := h.created(t, org(tr.community, kindBranch, "Second Branch of Guangzhou Road Community"))
	h.waitView(t, b2.GetId())
	f := &ledgerFixture{h: h, tr: tr, clk: clk, ledger: pb.NewDuesLedgerServiceClient(h.as(cityAdmin)), branch2: b2.GetId()}
	withStatus := func(m *pb.Member, s pb.EmploymentStatus) *pb.Member { m.EmploymentStatus = s; return m }
	f.alice = h.register(t, withStatus(person(tr.branch.GetId(), "Alice"), employed))
	f.bob = h.register(t, person(tr.branch.GetId(), "Bob"))
	f.carol = h.register(t, withStatus(person(tr.branch.GetId(), "Carol"), pb.EmploymentStatus_EMPLOYMENT_STATUS_STUDENT))
	f.dan = h.register(t, withStatus(person(tr.branch.GetId(), "Dan"), employed))
	f.erin = h.register(t, withStatus(person(tr.branch.GetId(), "Erin"), employed))
	f.frank = h.register(t, person(f.branch2, "Frank"))
	for _, d := range []struct {
		m      *pb.Member
		income int64
		status pb.EmploymentStatus
	}{{f.alice, 400000, employed}, {f.dan, 1200000, employed}, {f.erin, 300000, employed}, {f.frank, 500000, retired}} {
		f.declare(t, d.m, d.income, d.status)
	}
	return f
}

func (f *ledgerFixture) declare(t *testing.T, m *pb.Member, income int64, status pb.EmploymentStatus) *pb.IncomeDeclaration {
	t.Helper()
	resp, err := f.ledger.DeclareIncome(callContext(t), &pb.DeclareIncomeRequest{MemberId: m.GetId(),
		Declaration: &pb.IncomeDeclaration{EffectiveMonth: "2026-01", MonthlyIncomeFen: income, EmploymentStatus: status}})
	if err != nil {
		t.Fatalf("declare %s: %v", m.GetName(), err)
	}
	return resp.GetDeclaration()
}

func (f *ledgerFixture) generate(t *testing.T, org, month string) *pb.GenerateDuesBillsResponse {
	t.Helper()
	resp, err := f.ledger.GenerateDuesBills(callContext(t), &pb.GenerateDuesBillsRequest{OrganisationId: org, Month: month})
	if err != nil {
		t.Fatalf("generate %s: %v", month, err)
	}
	return resp
}

// bills are a branch's bill lines of a month by member name.
func (f *ledgerFixture) bills(t *testing.T, org, month string) map[string]*pb.DuesBill {
	t.Helper()
	resp, err := f.ledger.ListDuesBills(callContext(t), &pb.ListDuesBillsRequest{OrganisationId: org, Month: month})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*pb.DuesBill{}
	for _, b := range resp.GetBills() {
		out[b.GetMemberName()] = b
	}
	return out
}

func (f *ledgerFixture) pay(t *testing.T, org, requestID, paidOn string, bills ...*pb.DuesBill) []*pb.DuesEntry {
	t.Helper()
	resp, err := f.ledger.RecordDuesPayment(callContext(t), f.payment(org, requestID, paidOn, bills...))
	if err != nil {
		t.Fatalf("pay: %v", err)
	}
	return resp.GetEntries()
}

func (f *ledgerFixture) payment(org, requestID, paidOn string, bills ...*pb.DuesBill) *pb.RecordDuesPaymentRequest {
	r := &pb.RecordDuesPaymentRequest{OrganisationId: org, Method: cash, PaidOn: paidOn, ReceiptNumber: "DF-" + requestID,
		RequestId: requestID}
	for _, b := range bills {
		r.BillIds = append(r.BillIds, b.GetId())
	}
	return r
}

// arrears are the months each member owes, and how much, by name.
func (f *ledgerFixture) arrears(t *testing.T, org string, subtree bool) map[string]string {
	t.Helper()
	resp, err := f.ledger.ListDuesArrears(callContext(t), &pb.ListDuesArrearsRequest{OrganisationId: org, Subtree: subtree})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, a := range resp.GetArrears() {
		key := a.GetMemberName()
		if _, dup := out[key]; dup {
			key += "@" + a.GetOrganisationId()[:4]
		}
		out[key] = strings.Join(a.GetMonths(), ",") + "=" + formatFen(a.GetOwedFen())
	}
	return out
}

func formatFen(n int64) string { return strconv.FormatInt(n, 10) }

// ledgerREST asks the REST gateway for path as the caller c, and answers
// the HTTP status.
func (h *harness) ledgerREST(t *testing.T, c devissuer.Claims, path string) int {
	t.Helper()
	base := accesstest.RESTServer(t, h.as(devissuer.Claims{}), pb.RegisterDuesLedgerServiceHandler)
	req, err := http.NewRequestWithContext(callContext(t), http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
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
	_ = resp.Body.Close()
	return resp.StatusCode
}

// TestDuesLedger walks a branch through half a year of dues: bills
// generated twice make nothing new, payments retried record nothing
// twice, refunds and corrections are new entries, arrears and statements
// add up, and a member who moves is billed by the new branch from the
// month after the one their letter says they paid up to.
func TestDuesLedger(t *testing.T) {
	t.Parallel()
	f := newLedgerFixture(t)
	h, tr, ctx := f.h, f.tr, callContext(t)
	branch := tr.branch.GetId()
	_, err := f.ledger.GrantDuesExemption(ctx, &pb.GrantDuesExemptionRequest{MemberId: f.dan.GetId(),
		Exemption: &pb.DuesExemption{FromMonth: "2026-03", ToMonth: "2026-04", Reason: "家庭重病", DecidedBy: "第一支部委员会 2026-02-20"}})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("generating a month twice makes nothing new", func(t *testing.T) {
		first := f.generate(t, branch, "2026-03")
		if first.GetGenerated() != 4 || first.GetTotalFen() != 4000+20+0+1500 || first.GetBatchId() == "" ||
			!slices.Equal(first.GetUndeclaredMemberIds(), []string{f.bob.GetId()}) {
			t.Errorf("first generation: %v", first)
		}
		again := f.generate(t, branch, "2026-03")
		if again.GetGenerated() != 0 || again.GetBatchId() != "" || again.GetTotalFen() != 0 {
			t.Errorf("second generation made %v", again)
		}
		if n := h.count(t, `SELECT count(*) FROM dues_bills WHERE organisation_id = $1`, branch); n != 4 {
			t.Errorf("%d bills, want 4", n)
		}
		got := f.bills(t, branch, "2026-03")
		if b := got["Alice"]; b.GetAmountFen() != 4000 || b.GetRateBasisPoints() != 100 || b.GetKind() != pb.DuesBandKind_DUES_BAND_KIND_IN_SERVICE {
			t.Errorf("Alice's bill %v, want 40 yuan at 1%%", b)
		}
		if b := got["Dan"]; !b.GetExempt() || b.GetAmountFen() != 0 || b.GetExemptionId() == "" {
			t.Errorf("Dan's exempt bill %v", b)
		}
		if b := got["Carol"]; b.GetAmountFen() != 20 || b.GetKind() != pb.DuesBandKind_DUES_BAND_KIND_FIXED {
			t.Errorf("Carol's fixed bill %v", b)
		}
		for _, m := range []string{"2026-01", "2026-02", "2026-04", "2026-05"} {
			f.generate(t, branch, m)
			f.generate(t, f.branch2, m)
		}
		f.generate(t, f.branch2, "2026-03")
		waitFor(t, "one dues_bills_generated per generation that made bills", func() bool {
			return len(h.reportingEvents(t, "gongjian.member.v1.dues_bills_generated", func() proto.Message { return &pb.DuesBillsGenerated{} })) == 10
		})
	})
	t.Run("a month that has not begun is refused naming month", func(t *testing.T) {
		_, err := f.ledger.GenerateDuesBills(ctx, &pb.GenerateDuesBillsRequest{OrganisationId: branch, Month: "2026-07"})
		if got := refusalOf(err); got.Code != codes.FailedPrecondition || !slices.Equal(got.Fields, []string{"month"}) {
			t.Errorf("%v %v (%v)", got.Code, got.Fields, err)
		}
	})

	var alicePaid []*pb.DuesEntry
	t.Run("a payment retried with its request id records nothing twice", func(t *testing.T) {
		jan, feb, mar := f.bills(t, branch, "2026-01")["Alice"], f.bills(t, branch, "2026-02")["Alice"], f.bills(t, branch, "2026-03")["Alice"]
		alicePaid = f.pay(t, branch, "pay-alice-1", "2026-06-10", jan, feb, mar)
		retry := f.pay(t, branch, "pay-alice-1", "2026-06-10", jan, feb, mar)
		if len(alicePaid) != 3 || alicePaid[0].GetAmountFen() != 4000 || alicePaid[0].GetReceiptNumber() != "DF-pay-alice-1" {
			t.Fatalf("entries %v", alicePaid)
		}
		if diff := cmp.Diff(alicePaid, retry, protocmp.Transform()); diff != "" {
			t.Errorf("the retry answered otherwise (-first +retry):\n%s", diff)
		}
		if n := h.count(t, `SELECT count(*) FROM dues_payments WHERE member_id = $1`, f.alice.GetId()); n != 3 {
			t.Errorf("%d entries, want 3", n)
		}
		erin := []*pb.DuesBill{}
		for _, m := range []string{"2026-01", "2026-02", "2026-03", "2026-04"} {
			erin = append(erin, f.bills(t, branch, m)["Erin"])
		}
		f.pay(t, branch, "pay-erin-1", "2026-06-12", erin...)
	})
	t.Run("a paid bill and another branch's bill are refused naming the bill, and nothing is written", func(t *testing.T) {
		jan := f.bills(t, branch, "2026-01")
		before := h.count(t, `SELECT count(*) FROM dues_payments`)
		_, err := f.ledger.RecordDuesPayment(ctx, f.payment(branch, "", "2026-06-10", jan["Carol"], jan["Alice"]))
		if got := refusalOf(err); got.Code != codes.FailedPrecondition || !slices.Equal(got.Fields, []string{"bill_ids[1]"}) || reasonOf(err) != "BILL_PAID" {
			t.Errorf("a paid bill: %v %v %s (%v)", got.Code, got.Fields, reasonOf(err), err)
		}
		frank := f.bills(t, f.branch2, "2026-01")["Frank"]
		_, err = f.ledger.RecordDuesPayment(ctx, f.payment(branch, "", "2026-06-10", frank))
		if got := refusalOf(err); got.Code != codes.FailedPrecondition || !slices.Equal(got.Fields, []string{"bill_ids[0]"}) || reasonOf(err) != "OTHER_BRANCH" {
			t.Errorf("another branch's bill: %v %v %s (%v)", got.Code, got.Fields, reasonOf(err), err)
		}
		_, err = f.ledger.RecordDuesPayment(ctx, f.payment(branch, "", "2026-06-16", jan["Carol"]))
		if got := refusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"paid_on"}) {
			t.Errorf("paid tomorrow: %v %v (%v)", got.Code, got.Fields, err)
		}
		if n := h.count(t, `SELECT count(*) FROM dues_payments`); n != before {
			t.Errorf("%d entries after refusals, want %d", n, before)
		}
	})
	t.Run("a refund is a new entry, the payment stays, and the bill owes again", func(t *testing.T) {
		mar := alicePaid[2]
		resp, err := f.ledger.RefundDuesPayment(ctx, &pb.RefundDuesPaymentRequest{OrganisationId: branch, PaymentId: mar.GetId(),
			Reason: "paid twice by mistake", RefundedOn: "2026-06-14", RequestId: "refund-1"})
		if err != nil {
			t.Fatal(err)
		}
		r := resp.GetRefund()
		if r.GetKind() != pb.DuesEntryKind_DUES_ENTRY_KIND_REFUND || r.GetAmountFen() != -4000 || r.GetReverses() != mar.GetId() || r.GetMethod() != cash {
			t.Errorf("refund %v", r)
		}
		if b := f.bills(t, branch, "2026-03")["Alice"]; b.GetPaidFen() != 0 || b.GetOwedFen() != 4000 {
			t.Errorf("March after the refund %v", b)
		}
		if n := h.count(t, `SELECT count(*) FROM dues_payments WHERE id = $1 AND amount_fen = 4000 AND kind = 'PAYMENT'`, mar.GetId()); n != 1 {
			t.Error("the refunded payment changed")
		}
		_, err = f.ledger.RefundDuesPayment(ctx, &pb.RefundDuesPaymentRequest{OrganisationId: branch, PaymentId: mar.GetId(), Reason: "again"})
		if got := refusalOf(err); got.Code != codes.FailedPrecondition || reasonOf(err) != "ALREADY_REVERSED" || !slices.Equal(got.Fields, []string{"payment_id"}) {
			t.Errorf("a second refund: %v %v (%v)", got.Code, got.Fields, err)
		}
		if _, err := h.pool.Exec(ctx, `UPDATE dues_payments SET amount_fen = 1 WHERE id = $1`, mar.GetId()); err == nil {
			t.Error("the database let a payment be edited")
		}
	})
	t.Run("a correction reverses the payment and records it as it was", func(t *testing.T) {
		resp, err := f.ledger.CorrectDuesPayment(ctx, &pb.CorrectDuesPaymentRequest{OrganisationId: branch, PaymentId: alicePaid[1].GetId(),
			Reason: "paid by bank transfer, not cash", Replacement: &pb.DuesPaymentCorrection{
				Method: pb.DuesPaymentMethod_DUES_PAYMENT_METHOD_BANK_TRANSFER, PaidOn: "2026-06-11", ReceiptNumber: "BT-88"}})
		if err != nil {
			t.Fatal(err)
		}
		if rev, rep := resp.GetReversal(), resp.GetReplacement(); rev.GetAmountFen() != -4000 || rev.GetKind() != pb.DuesEntryKind_DUES_ENTRY_KIND_CORRECTION ||
			rep.GetAmountFen() != 4000 || rep.GetMethod() != pb.DuesPaymentMethod_DUES_PAYMENT_METHOD_BANK_TRANSFER || rep.GetPaidOn() != "2026-06-11" {
			t.Errorf("correction %v", resp)
		}
		if b := f.bills(t, branch, "2026-02")["Alice"]; b.GetPaidFen() != 4000 {
			t.Errorf("February after the correction %v", b)
		}
	})

	t.Run("the letter says the dues are paid up to April, and the new branch bills from May", func(t *testing.T) {
		tf := h.requestTransfer(t, f.erin.GetId(), f.branch2)
		c, err := h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetId(), Etag: tf.GetEtag(), Reason: "signed on paper"})
		if err != nil {
			t.Fatal(err)
		}
		r, err := h.transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: tf.GetId(), Etag: c.GetTransfer().GetEtag()})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.GetTransfer(); got.GetDuesPaidUpTo() != "2026-04" || !strings.Contains(got.GetLetterText(), "党费已交到2026年4月") {
			t.Errorf("released: paid up to %q, letter %q", got.GetDuesPaidUpTo(), got.GetLetterText())
		}
		if _, err := h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: tf.GetId(), Etag: r.GetTransfer().GetEtag()}); err != nil {
			t.Fatal(err)
		}
		if got := f.generate(t, f.branch2, "2026-05"); got.GetGenerated() != 0 {
			t.Errorf("the new branch billed May, which the old one billed: %v", got)
		}
		// June, for the whole community in one generation.
		june, err := f.ledger.GenerateDuesBills(ctx, &pb.GenerateDuesBillsRequest{OrganisationId: tr.community.GetId(),
			Month: "2026-06", Subtree: true})
		if err != nil || june.GetGenerated() != 5 {
			t.Fatalf("the community's June: %v (%v), want Alice, Carol, Dan, Erin and Frank", june, err)
		}
		if billed := f.bills(t, branch, "2026-06"); billed["Erin"] != nil || billed["Alice"] == nil {
			t.Errorf("the old branch's June: %v", billed)
		}
		if b := f.bills(t, f.branch2, "2026-06")["Erin"]; b.GetAmountFen() != 1500 {
			t.Errorf("the new branch's June bill of Erin %v", b)
		}
		_, err = f.ledger.GenerateDuesBills(ctx, &pb.GenerateDuesBillsRequest{OrganisationId: tr.city.GetId(), Month: "2026-06", Subtree: true})
		if got := refusalOf(err); got.Code != codes.FailedPrecondition || reasonOf(err) != "NOT_IN_A_DISTRICT" {
			t.Errorf("the whole city at once: %v %v (%v)", got.Code, got.Fields, err)
		}
	})

	t.Run("arrears per branch and per subtree: who owes which months and how much", func(t *testing.T) {
		want := map[string]string{
			"Alice": "2026-03,2026-04,2026-05,2026-06=" + formatFen(16000),
			"Carol": "2026-01,2026-02,2026-03,2026-04,2026-05,2026-06=" + formatFen(120),
			"Dan":   "2026-01,2026-02,2026-05,2026-06=" + formatFen(96000),
			"Erin":  "2026-05=" + formatFen(1500),
		}
		if diff := cmp.Diff(want, f.arrears(t, branch, false)); diff != "" {
			t.Errorf("the branch's arrears (-want +got):\n%s", diff)
		}
		sub := f.arrears(t, tr.community.GetId(), true)
		if len(sub) != 6 || sub["Frank"] != "2026-01,2026-02,2026-03,2026-04,2026-05,2026-06="+formatFen(6*2500) {
			t.Errorf("the community's subtree: %v", sub)
		}
	})
	t.Run("a member's statement for the year adds up, and the member reads their own", func(t *testing.T) {
		st, err := f.ledger.GetMemberDues(ctx, &pb.GetMemberDuesRequest{MemberId: f.alice.GetId(), Year: 2026})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.GetBills()) != 6 || st.GetBilledFen() != 24000 || st.GetPaidFen() != 8000 || st.GetOwedFen() != 16000 ||
			st.GetPaidUpTo() != "2026-02" || st.GetLastPaidOn() != "2026-06-11" || len(st.GetEntries()) != 6 || len(st.GetDeclarations()) != 1 {
			t.Errorf("statement %v", st)
		}
		alice := devissuer.Claims{Role: auth.Member, MemberID: f.alice.GetId()}
		if got := h.ledgerREST(t, alice, "/v1/members/"+f.alice.GetId()+"/dues?year=2026"); got != http.StatusOK {
			t.Errorf("Alice reading her own dues over REST: %d", got)
		}
		if got := h.ledgerREST(t, alice, "/v1/members/"+f.dan.GetId()+"/dues"); got != http.StatusNotFound {
			t.Errorf("Alice reading Dan's dues: %d", got)
		}
		_, err = pb.NewDuesLedgerServiceClient(h.as(alice)).ListDuesArrears(ctx, &pb.ListDuesArrearsRequest{OrganisationId: branch})
		if refusalOf(err).Code != codes.PermissionDenied {
			t.Errorf("a member listing arrears: %v", err)
		}
		other := devissuer.Claims{Subject: "sec-2", Role: auth.CommunitySecretary, ScopeOrgID: tr.otherCommunity.GetId()}
		_, err = pb.NewDuesLedgerServiceClient(h.as(other)).ListDuesBills(ctx, &pb.ListDuesBillsRequest{OrganisationId: branch, Month: "2026-01"})
		if refusalOf(err).Code != codes.NotFound {
			t.Errorf("another community's secretary reading the ledger: %v", err)
		}
	})
	t.Run("bad declarations are refused naming the field", func(t *testing.T) {
		_, err := f.ledger.DeclareIncome(ctx, &pb.DeclareIncomeRequest{MemberId: f.bob.GetId(),
			Declaration: &pb.IncomeDeclaration{MonthlyIncomeFen: -1, EmploymentStatus: retired}})
		if got := refusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"declaration.monthly_income_fen"}) {
			t.Errorf("negative income: %v %v (%v)", got.Code, got.Fields, err)
		}
	})
	t.Run("one event and one audit record per payment, refund and correction", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'dues_receipt'`); n != 4 {
			t.Errorf("%d audit records of receipts, want 4", n)
		}
		for subject, want := range map[string]int{"dues_payment_recorded": 2, "dues_payment_refunded": 1, "dues_payment_corrected": 1} {
			waitFor(t, subject, func() bool {
				subjects, _ := h.streamed(t)
				n := 0
				for _, s := range subjects {
					if s == "gongjian.member.v1."+subject {
						n++
					}
				}
				return n == want
			})
		}
	})
}

// TestDuesGenerationsOfOneMonthBillEachMemberOnce: a branch's secretary
// and the community's generate the same months at the same moment; each
// member is billed once a month, whichever generation got there first,
// and the two generations' lines add up to the members billed. A
// declaration that takes effect later does not change the months before
// it, generated after it was made.
func TestDuesGenerationsOfOneMonthBillEachMemberOnce(t *testing.T) {
	t.Parallel()
	f := newLedgerFixture(t)
	h, tr := f.h, f.tr
	branch, community := tr.branch.GetId(), tr.community.GetId()
	months := []string{"2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"}
	// Alice earns more from May; January to April are billed after it.
	_, err := f.ledger.DeclareIncome(callContext(t), &pb.DeclareIncomeRequest{MemberId: f.alice.GetId(),
		Declaration: &pb.IncomeDeclaration{EffectiveMonth: "2026-05", MonthlyIncomeFen: 800000, EmploymentStatus: employed}})
	if err != nil {
		t.Fatal(err)
	}
	made := make(chan int32, 2*len(months))
	errs := make(chan error, 2*len(months))
	for _, m := range months {
		for _, req := range []*pb.GenerateDuesBillsRequest{{OrganisationId: branch, Month: m},
			{OrganisationId: community, Month: m, Subtree: true}} {
			go func() {
				resp, err := f.ledger.GenerateDuesBills(callContext(t), req)
				made <- resp.GetGenerated()
				errs <- err
			}()
		}
	}
	var total int32
	for range 2 * len(months) {
		total += <-made
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// Alice, Carol, Dan and Erin of the branch and Frank of the second
	// branch (Bob declared nothing), each month.
	if want := int32(5 * len(months)); total != want {
		t.Errorf("the generations made %d lines, want %d", total, want)
	}
	if n := h.count(t, `SELECT count(*) FROM (SELECT DISTINCT member_id, month FROM dues_bills) b`); n != int(total) {
		t.Errorf("%d members' months billed for %d lines: someone was billed twice", n, total)
	}
	for _, m := range months {
		want := int64(4000)
		if m >= "2026-05" {
			want = 12000 // 8,000 yuan at 1.5%
		}
		if b := f.bills(t, branch, m)["Alice"]; b.GetAmountFen() != want {
			t.Errorf("Alice's bill for %s is %d fen, want %d", m, b.GetAmountFen(), want)
		}
	}
}
