package grpcapi_test

import (
	"time"

	"google.golang.org/protobuf/proto"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
)

// duesLedgerOps are the RPCs of the dues ledger. The writes an allowed
// caller makes are harmless (a declaration, an exemption, the month's
// bills) or refused by the domain after the access check (a payment dated
// tomorrow, a refund and a correction without a reason), so the fixture
// keeps no payment.
var duesLedgerOps = []matrixOp{
	{pb.DuesLedgerService_DeclareIncome_FullMethodName, memberWriters, "member.write", true, func(s matrixSide) proto.Message {
		return &pb.DeclareIncomeRequest{MemberId: s.member.GetId(), Declaration: &pb.IncomeDeclaration{MonthlyIncomeFen: 400000,
			EmploymentStatus: pb.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED}}
	}},
	{pb.DuesLedgerService_GrantDuesExemption_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.GrantDuesExemptionRequest{MemberId: s.member.GetId(), Exemption: &pb.DuesExemption{FromMonth: "2020-01",
			ToMonth: "2020-02", Reason: "hardship", DecidedBy: "branch committee"}}
	}},
	{pb.DuesLedgerService_GenerateDuesBills_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.GenerateDuesBillsRequest{OrganisationId: s.branch, Month: time.Now().Format("2006-01")}
	}},
	{pb.DuesLedgerService_ListDuesBills_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.ListDuesBillsRequest{OrganisationId: s.branch, Month: time.Now().Format("2006-01")}
	}},
	{pb.DuesLedgerService_RecordDuesPayment_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RecordDuesPaymentRequest{OrganisationId: s.branch, BillIds: []string{member.NewID()},
			Method: pb.DuesPaymentMethod_DUES_PAYMENT_METHOD_CASH, PaidOn: tomorrow(), ReceiptNumber: "R-1"}
	}},
	{pb.DuesLedgerService_RefundDuesPayment_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.RefundDuesPaymentRequest{OrganisationId: s.branch, PaymentId: member.NewID()}
	}},
	{pb.DuesLedgerService_CorrectDuesPayment_FullMethodName, memberWriters, "member.write", false, func(s matrixSide) proto.Message {
		return &pb.CorrectDuesPaymentRequest{OrganisationId: s.branch, PaymentId: member.NewID()}
	}},
	{pb.DuesLedgerService_ListDuesArrears_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.ListDuesArrearsRequest{OrganisationId: s.branch, Subtree: true}
	}},
	{pb.DuesLedgerService_GetMemberDues_FullMethodName, memberReaders, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.GetMemberDuesRequest{MemberId: s.member.GetId()}
	}},
}
