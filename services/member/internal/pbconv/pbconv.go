// Package pbconv converts the member service's domain to its protobuf
// messages, for the API and for the events, and turns every domain event
// into its record (RecordOf): its message for the outbox and its audit
// record, built in one place. The national ID number leaves only through
// Member, masked unless the caller may see it, and never through an event
// or an audit record.
package pbconv

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/dues"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/transfer"
)

// IDView says how the national ID number is shown.
type IDView int

// The ways of showing the number.
const (
	IDOmitted IDView = iota // events and audit records
	IDMasked                // "610102********1234"
	IDPlain                 // callers with auth.PermUnmaskedID
)

// Member is the API message of m, with the number shown as view says.
func Member(m *member.Member, view IDView) *pb.Member {
	out := &pb.Member{
		Id: m.ID, Name: m.Name, Sex: pb.Sex(pb.Sex_value["SEX_"+m.Sex]), BirthDate: date(m.BirthDate),
		Phone: m.Phone, Education: pb.Education(pb.Education_value["EDUCATION_"+m.Education]),
		JoinDate: date(m.JoinDate), Status: pb.MemberStatus(pb.MemberStatus_value["MEMBER_STATUS_"+m.Status]),
		EmploymentStatus: pb.EmploymentStatus(pb.EmploymentStatus_value["EMPLOYMENT_STATUS_"+m.EmploymentStatus]),
		Employer:         m.Employer, OrganisationId: m.OrganisationID, DistrictId: m.DistrictID,
		Skills: m.Skills, Hardship: m.Hardship, StarRating: m.StarRating,
		CreateTime: ts(m.Created), UpdateTime: ts(m.Updated), Etag: m.Etag(),
		CategoryCode: m.Category.Code, CategoryName: m.Category.Name, CategoryOverridden: m.Category.Overridden,
	}
	if c := m.Category; c.Overridden {
		out.CategoryOverride = &pb.CategoryOverride{Reason: c.Reason, Subject: c.By, Time: ts(c.At)}
	}
	if r := m.Residence; r != (member.Residence{}) {
		out.Residence = &pb.Residence{CommunityId: r.CommunityID, GridId: r.GridID, Building: r.Building}
	}
	leaving(out, m)
	switch view {
	case IDMasked:
		out.NationalId = member.MaskNationalID(m.NationalID)
	case IDPlain:
		out.NationalId = m.NationalID
	}
	return out
}

// Enum returns the domain value of an API enum value: its name without
// prefix, "" for the zero value.
func Enum(name, prefix string) string {
	if v, ok := strings.CutPrefix(name, prefix); ok && v != "UNSPECIFIED" {
		return v
	}
	return ""
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Transfer is the API message of a transfer. It names the member by id
// only: no personal data travels with a transfer.
func Transfer(t *transfer.Transfer) *pb.Transfer {
	out := &pb.Transfer{
		Id: t.ID, MemberId: t.MemberID, FromOrganisationId: t.FromOrgID, ToOrganisationId: t.ToOrgID,
		FromDistrictId: t.FromDistrictID, ToDistrictId: t.ToDistrictID, Reason: t.Reason,
		State: TransferState(t.State), LetterNumber: t.LetterNumber, LetterDeadline: ts(t.LetterDeadline),
		CreateTime: ts(t.Created), UpdateTime: ts(t.Updated), Etag: t.Etag(),
		SuspendedFrom: TransferState(t.SuspendedFrom), ExpireTime: ts(t.Expired), FlagTime: ts(t.Flagged),
		ReviewOutcome: ReviewOutcome(t.ReviewOutcome), RecordTime: ts(t.Recorded),
		DuesPaidUpTo: dues.FormatMonth(t.DuesPaidUpTo), LetterText: letterText(t),
	}
	outside(out, t)
	for _, s := range t.Steps {
		out.Steps = append(out.Steps, &pb.TransferStep{State: TransferState(s.State), ActorSubject: s.ActorSubject,
			ActorRole: s.ActorRole, Reason: s.Reason, Time: ts(s.At), Action: TransferAction(s.Action),
			LetterNumber: s.LetterNumber, ReviewOutcome: ReviewOutcome(s.ReviewOutcome), RecordTime: ts(s.Recorded),
			OnBehalfOf: s.OnBehalfOf})
	}
	return out
}

// TransferState is the API value of a transfer state.
func TransferState(s string) pb.TransferState {
	return pb.TransferState(pb.TransferState_value["TRANSFER_STATE_"+s])
}

// Scheme is the API message of a management category scheme.
func Scheme(s *member.Scheme) *pb.Scheme {
	out := &pb.Scheme{Name: s.Name, Source: s.Source, UpdateTime: ts(s.Updated), UpdateSubject: s.UpdatedBy}
	for _, c := range s.Categories {
		out.Categories = append(out.Categories, &pb.Category{Code: c.Code, Name: c.Name, Method: c.Method, Rule: c.Rule})
	}
	return out
}

// SchemeFrom is the domain scheme of an API message.
func SchemeFrom(s *pb.Scheme) member.Scheme {
	out := member.Scheme{Name: s.GetName(), Source: s.GetSource()}
	for _, c := range s.GetCategories() {
		out.Categories = append(out.Categories, member.SchemeCategory{Code: c.GetCode(), Name: c.GetName(),
			Method: c.GetMethod(), Rule: c.GetRule()})
	}
	return out
}
