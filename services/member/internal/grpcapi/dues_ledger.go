package grpcapi

import (
	"context"
	"time"

	"gongjian.dev/pkg/audit"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/dues"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
)

// DuesLedgerAPI implements pb.DuesLedgerServiceServer.
type DuesLedgerAPI struct {
	pb.UnimplementedDuesLedgerServiceServer
	svc   *dues.Service
	reads audit.Executor
}

// NewDuesLedger returns the dues ledger API over svc; reads of members'
// dues are recorded through reads.
func NewDuesLedger(svc *dues.Service, reads audit.Executor) *DuesLedgerAPI {
	return &DuesLedgerAPI{svc: svc, reads: reads}
}

// month parses an optional YYYY-MM (the proto's pattern checked its form).
func month(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return dues.ParseMonth(field, s)
}

// DeclareIncome implements pb.DuesLedgerServiceServer. A member declares
// their own.
func (a *DuesLedgerAPI) DeclareIncome(ctx context.Context, req *pb.DeclareIncomeRequest) (*pb.DeclareIncomeResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	d := req.GetDeclaration()
	from, err := month("declaration.effective_month", d.GetEffectiveMonth())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Declare(ctx, dues.Declaration{MemberID: req.GetMemberId(), EffectiveMonth: from,
		Income: dues.Income{MonthlyIncomeFen: d.GetMonthlyIncomeFen(),
			EmploymentStatus:       pbconv.Enum(d.GetEmploymentStatus().String(), "EMPLOYMENT_STATUS_"),
			MinimumLivingAllowance: d.GetMinimumLivingAllowance()},
		Note: d.GetNote()}, req.GetRequestId(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.DeclareIncomeResponse{Declaration: pbconv.IncomeDeclaration(out)}, nil
}

// GrantDuesExemption implements pb.DuesLedgerServiceServer.
func (a *DuesLedgerAPI) GrantDuesExemption(ctx context.Context, req *pb.GrantDuesExemptionRequest) (*pb.GrantDuesExemptionResponse, error) {
	e := req.GetExemption()
	from, err := month("exemption.from_month", e.GetFromMonth())
	if err != nil {
		return nil, err
	}
	to, err := month("exemption.to_month", e.GetToMonth())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Exempt(ctx, dues.Exemption{MemberID: req.GetMemberId(), From: from, To: to, Reason: e.GetReason(),
		DecidedBy: e.GetDecidedBy()}, req.GetRequestId(), actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.GrantDuesExemptionResponse{Exemption: pbconv.DuesExemption(out)}, nil
}

// GenerateDuesBills implements pb.DuesLedgerServiceServer.
func (a *DuesLedgerAPI) GenerateDuesBills(ctx context.Context, req *pb.GenerateDuesBillsRequest) (*pb.GenerateDuesBillsResponse, error) {
	m, err := dues.ParseMonth("month", req.GetMonth())
	if err != nil {
		return nil, err
	}
	b, err := a.svc.Generate(ctx, req.GetOrganisationId(), m, actor(ctx))
	if err != nil {
		return nil, err
	}
	out := &pb.GenerateDuesBillsResponse{Generated: int32(len(b.Bills)), TotalFen: b.TotalFen,
		UndeclaredMemberIds: b.Undeclared, SettingsEtag: dues.Settings{Version: b.SettingsVersion}.Etag()}
	if len(b.Bills) > 0 {
		out.BatchId = b.ID
	}
	return out, nil
}

// ListDuesBills implements pb.DuesLedgerServiceServer.
func (a *DuesLedgerAPI) ListDuesBills(ctx context.Context, req *pb.ListDuesBillsRequest) (*pb.ListDuesBillsResponse, error) {
	m, err := dues.ParseMonth("month", req.GetMonth())
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.Bills(ctx, dues.BillFilter{OrganisationID: req.GetOrganisationId(), Month: m,
		Page: member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}})
	if err != nil {
		return nil, err
	}
	out := &pb.ListDuesBillsResponse{NextPageToken: next}
	read := map[string]string{}
	for i := range list {
		read[list[i].MemberID] = list[i].OrganisationID
		out.Bills = append(out.Bills, pbconv.DuesBill(&list[i]))
	}
	return out, recordReads(ctx, a.reads, "dues", read)
}

// RecordDuesPayment implements pb.DuesLedgerServiceServer.
func (a *DuesLedgerAPI) RecordDuesPayment(ctx context.Context, req *pb.RecordDuesPaymentRequest) (*pb.RecordDuesPaymentResponse, error) {
	on, err := day("paid_on", req.GetPaidOn())
	if err != nil {
		return nil, err
	}
	entries, err := a.svc.Pay(ctx, dues.PaymentRequest{OrganisationID: req.GetOrganisationId(), BillIDs: req.GetBillIds(),
		Method: pbconv.DuesMethodFrom(req.GetMethod()), PaidOn: on, ReceiptNumber: req.GetReceiptNumber(),
		RequestID: req.GetRequestId()}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RecordDuesPaymentResponse{Entries: pbconv.DuesEntries(entries)}, nil
}

// RefundDuesPayment implements pb.DuesLedgerServiceServer.
func (a *DuesLedgerAPI) RefundDuesPayment(ctx context.Context, req *pb.RefundDuesPaymentRequest) (*pb.RefundDuesPaymentResponse, error) {
	on, err := day("refunded_on", req.GetRefundedOn())
	if err != nil {
		return nil, err
	}
	e, _, err := a.svc.Refund(ctx, dues.ReversalRequest{OrganisationID: req.GetOrganisationId(), PaymentID: req.GetPaymentId(),
		Reason: req.GetReason(), Method: pbconv.DuesMethodFrom(req.GetMethod()), On: on,
		ReceiptNumber: req.GetReceiptNumber(), RequestID: req.GetRequestId()}, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.RefundDuesPaymentResponse{Refund: pbconv.DuesEntry(e)}, nil
}

// CorrectDuesPayment implements pb.DuesLedgerServiceServer.
func (a *DuesLedgerAPI) CorrectDuesPayment(ctx context.Context, req *pb.CorrectDuesPaymentRequest) (*pb.CorrectDuesPaymentResponse, error) {
	r := dues.ReversalRequest{OrganisationID: req.GetOrganisationId(), PaymentID: req.GetPaymentId(),
		Reason: req.GetReason(), RequestID: req.GetRequestId()}
	if rep := req.GetReplacement(); rep != nil {
		on, err := day("replacement.paid_on", rep.GetPaidOn())
		if err != nil {
			return nil, err
		}
		r.Replacement = &dues.PaymentRequest{Method: pbconv.DuesMethodFrom(rep.GetMethod()), PaidOn: on,
			ReceiptNumber: rep.GetReceiptNumber()}
	}
	rev, _, replacement, err := a.svc.Correct(ctx, r, actor(ctx))
	if err != nil {
		return nil, err
	}
	return &pb.CorrectDuesPaymentResponse{Reversal: pbconv.DuesEntry(rev), Replacement: pbconv.DuesEntry(replacement)}, nil
}

// ListDuesArrears implements pb.DuesLedgerServiceServer.
func (a *DuesLedgerAPI) ListDuesArrears(ctx context.Context, req *pb.ListDuesArrearsRequest) (*pb.ListDuesArrearsResponse, error) {
	list, next, err := a.svc.Arrears(ctx, dues.ArrearsFilter{OrganisationID: req.GetOrganisationId(), Subtree: req.GetSubtree(),
		Page: member.Page{Size: int(req.GetPageSize()), Token: req.GetPageToken()}})
	if err != nil {
		return nil, err
	}
	out := &pb.ListDuesArrearsResponse{NextPageToken: next}
	read := map[string]string{}
	for i := range list {
		read[list[i].MemberID] = list[i].OrganisationID
		out.Arrears = append(out.Arrears, pbconv.DuesArrears(&list[i]))
	}
	return out, recordReads(ctx, a.reads, "dues", read)
}

// GetMemberDues implements pb.DuesLedgerServiceServer. A member reads
// their own.
func (a *DuesLedgerAPI) GetMemberDues(ctx context.Context, req *pb.GetMemberDuesRequest) (*pb.GetMemberDuesResponse, error) {
	if err := selfOnly(ctx, req.GetMemberId()); err != nil {
		return nil, err
	}
	st, err := a.svc.StatementOf(ctx, req.GetMemberId(), int(req.GetYear()))
	if err != nil {
		return nil, err
	}
	if err := recordReads(ctx, a.reads, "dues", map[string]string{st.Member.ID: st.Member.OrganisationID}); err != nil {
		return nil, err
	}
	return pbconv.MemberDues(st), nil
}
