package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/transfer"
)

// LeavingKind is the API value of a kind of ending.
func LeavingKind(s string) pb.LeavingKind {
	return pb.LeavingKind(pb.LeavingKind_value["LEAVING_KIND_"+s])
}

// leaving adds the end of a membership and the arrival to a member's
// message.
func leaving(out *pb.Member, m *member.Member) {
	if l := m.Left; l != nil {
		out.LeftTime, out.LeftKind, out.LeftDate, out.LeftReason = ts(l.At), LeavingKind(l.Kind), date(l.Date), l.Reason
	}
	if a := m.Arrival; a != nil {
		out.Arrival = &pb.Arrival{OriginOrganisation: a.OriginOrganisation, LetterNumber: a.LetterNumber,
			LetterDate: date(a.LetterDate)}
	}
}

// outside adds the destination and the receipt of a transfer out of the
// city to its message.
func outside(out *pb.Transfer, t *transfer.Transfer) {
	if d := t.Outside; d != nil {
		out.Outside = &pb.OutsideDestination{Organisation: d.Organisation, Place: d.Place}
	}
	if r := t.Receipt; r != nil {
		out.ReceiptNumber, out.ReceiptDate = r.Number, date(r.Date)
	}
}

// OutsideFrom is the domain value of an outside destination; nil for none.
func OutsideFrom(d *pb.OutsideDestination) *transfer.OutsideDestination {
	if d == nil {
		return nil
	}
	return &transfer.OutsideDestination{Organisation: d.GetOrganisation(), Place: d.GetPlace()}
}
