package pbconv

import (
	"time"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/participation"
)

// Participation is the API message of a member's part in an activity.
func Participation(e *participation.Entry) *pb.Participation {
	return &pb.Participation{ActivityId: e.ActivityID, OrganisationId: e.OrganisationID, Kind: e.Kind,
		Date: e.Date.Format(time.DateOnly), Topic: e.Topic, Attended: e.Attended,
		AbsenceReasonKind: e.ReasonKind, AbsenceReason: e.Reason, RecordTime: ts(e.Recorded)}
}

// LostContact is the API message of a lost-contact flag.
func LostContact(l *participation.LostContact) *pb.LostContactMember {
	return &pb.LostContactMember{MemberId: l.MemberID, Name: l.Name, OrganisationId: l.OrganisationID,
		FlagTime: ts(l.Flagged), LastAttendanceDate: date(l.LastAttendance), LastPaymentDate: date(l.LastPayment),
		LastContactDate: date(l.LastContact)}
}
