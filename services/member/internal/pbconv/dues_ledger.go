package pbconv

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/dues"
	"gongjian.dev/services/member/internal/transfer"
)

// IncomeDeclaration is the API message of a declaration.
func IncomeDeclaration(d *dues.Declaration) *pb.IncomeDeclaration {
	return &pb.IncomeDeclaration{Id: d.ID, MemberId: d.MemberID, OrganisationId: d.OrganisationID,
		EffectiveMonth: dues.FormatMonth(d.EffectiveMonth), MonthlyIncomeFen: d.MonthlyIncomeFen,
		EmploymentStatus:       pb.EmploymentStatus(pb.EmploymentStatus_value["EMPLOYMENT_STATUS_"+d.EmploymentStatus]),
		MinimumLivingAllowance: d.MinimumLivingAllowance, Note: d.Note, DeclareSubject: d.DeclaredBy,
		DeclareTime: ts(d.Declared)}
}

// DuesExemption is the API message of an exemption.
func DuesExemption(e *dues.Exemption) *pb.DuesExemption {
	return &pb.DuesExemption{Id: e.ID, MemberId: e.MemberID, OrganisationId: e.OrganisationID,
		FromMonth: dues.FormatMonth(e.From), ToMonth: dues.FormatMonth(e.To), Reason: e.Reason, DecidedBy: e.DecidedBy,
		RecordSubject: e.RecordedBy, RecordTime: ts(e.Recorded)}
}

// DuesBill is the API message of a bill line.
func DuesBill(b *dues.Bill) *pb.DuesBill {
	out := &pb.DuesBill{Id: b.ID, MemberId: b.MemberID, MemberName: b.MemberName, OrganisationId: b.OrganisationID,
		Month: dues.FormatMonth(b.Month), AmountFen: b.AmountFen, PaidFen: b.PaidFen, OwedFen: b.Owed(),
		Exempt: b.Kind == dues.KindExempt, RateBasisPoints: b.RateBP, MonthlyIncomeFen: b.IncomeFen,
		DeclarationId: b.DeclarationID, ExemptionId: b.ExemptionID,
		SettingsEtag: strconv.FormatInt(b.SettingsVersion, 10), BatchId: b.BatchID, CreateTime: ts(b.Created)}
	if b.Kind != dues.KindExempt {
		out.Kind = pb.DuesBandKind(pb.DuesBandKind_value["DUES_BAND_KIND_"+b.Kind])
	}
	return out
}

// DuesEntry is the API message of an entry against a bill.
func DuesEntry(e *dues.Entry) *pb.DuesEntry {
	if e == nil {
		return nil
	}
	return &pb.DuesEntry{Id: e.ID, ReceiptId: e.ReceiptID, BillId: e.BillID, MemberId: e.MemberID,
		OrganisationId: e.OrganisationID, Month: dues.FormatMonth(e.Month),
		Kind:      pb.DuesEntryKind(pb.DuesEntryKind_value["DUES_ENTRY_KIND_"+e.Kind]),
		Method:    DuesMethod(e.Method),
		AmountFen: e.AmountFen, PaidOn: date(e.PaidOn), ReceiptNumber: e.ReceiptNumber, Reverses: e.Reverses,
		Reason: e.Reason, RecordSubject: e.RecordedBy, RecordTime: ts(e.Recorded)}
}

// DuesEntries are the API messages of entries.
func DuesEntries(es []dues.Entry) []*pb.DuesEntry {
	out := make([]*pb.DuesEntry, len(es))
	for i := range es {
		out[i] = DuesEntry(&es[i])
	}
	return out
}

// DuesMethod is the API value of a payment method.
func DuesMethod(m string) pb.DuesPaymentMethod {
	return pb.DuesPaymentMethod(pb.DuesPaymentMethod_value["DUES_PAYMENT_METHOD_"+m])
}

// DuesMethodFrom is the domain value of a payment method, "" when unspecified.
func DuesMethodFrom(m pb.DuesPaymentMethod) string {
	if m == pb.DuesPaymentMethod_DUES_PAYMENT_METHOD_UNSPECIFIED {
		return ""
	}
	return Enum(m.String(), "DUES_PAYMENT_METHOD_")
}

// DuesArrears is the API message of a member's arrears.
func DuesArrears(a *dues.Arrears) *pb.DuesArrears {
	out := &pb.DuesArrears{MemberId: a.MemberID, MemberName: a.MemberName, OrganisationId: a.OrganisationID, OwedFen: a.OwedFen}
	for _, m := range a.Months {
		out.Months = append(out.Months, dues.FormatMonth(m))
	}
	return out
}

// MemberDues is the API answer of a member's statement.
func MemberDues(s *dues.Statement) *pb.GetMemberDuesResponse {
	out := &pb.GetMemberDuesResponse{MemberId: s.Member.ID, Year: int32(s.Year), Entries: DuesEntries(s.Entries),
		BilledFen: s.BilledFen, PaidFen: s.PaidFen, OwedFen: s.OwedFen, PaidUpTo: dues.FormatMonth(s.PaidUpTo),
		LastPaidOn: date(s.LastPaidOn)}
	for i := range s.Bills {
		out.Bills = append(out.Bills, DuesBill(&s.Bills[i]))
	}
	for i := range s.Declarations {
		out.Declarations = append(out.Declarations, IncomeDeclaration(&s.Declarations[i]))
	}
	for i := range s.Exemptions {
		out.Exemptions = append(out.Exemptions, DuesExemption(&s.Exemptions[i]))
	}
	return out
}

// batchGenerated is the message of a generation.
func batchGenerated(b *dues.Batch) *pb.DuesBillsGenerated {
	return &pb.DuesBillsGenerated{BatchId: b.ID, OrganisationId: b.OrganisationID, DistrictId: b.DistrictID,
		Month: dues.FormatMonth(b.Month), Generated: int32(len(b.Bills)), TotalFen: b.TotalFen,
		SettingsEtag: strconv.FormatInt(b.SettingsVersion, 10)}
}

// chinaZone is the zone of the dates a letter shows: China has one, and no
// daylight saving.
var chinaZone = time.FixedZone("CST", 8*3600)

// letterText is the wording of a released letter of introduction
// (党员组织关系介绍信), with the month the dues are paid up to.
func letterText(t *transfer.Transfer) string {
	if t.LetterNumber == "" {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "中国共产党党员组织关系介绍信（第%s号）：兹介绍党员（党员ID %s）的党员组织关系由本组织（%s）转往", t.LetterNumber, t.MemberID, t.FromOrgID)
	if t.Outside != nil {
		fmt.Fprintf(&b, "%s%s", t.Outside.Place, t.Outside.Organisation)
	} else {
		fmt.Fprintf(&b, "组织%s", t.ToOrgID)
	}
	b.WriteString("。")
	if t.DuesPaidUpTo.IsZero() {
		b.WriteString("该党员尚无党费记录。")
	} else {
		fmt.Fprintf(&b, "党费已交到%d年%d月。", t.DuesPaidUpTo.Year(), int(t.DuesPaidUpTo.Month()))
	}
	if !t.LetterDeadline.IsZero() {
		d := t.LetterDeadline.In(chinaZone)
		fmt.Fprintf(&b, "有效期至%d年%d月%d日。", d.Year(), int(d.Month()), d.Day())
	}
	return b.String()
}
