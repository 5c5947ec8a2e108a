package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// attendanceBranches is how many of Jinchang's branches record their
// themed party days by member; lostPerBranch how many members of each
// never came in the year (lost contact by the rule, since the demo has no
// dues paid).
const (
	attendanceBranches = 6
	lostPerBranch      = 2
	attendanceSeed     = 13
)

// AttendanceSummary says what LoadAttendance made.
type AttendanceSummary struct {
	Branches, Activities, Present, Absent, NeverCame int
}

// String describes the attendance in one line.
func (s AttendanceSummary) String() string {
	return fmt.Sprintf("%d branches record their themed party days by member: %d activities, %d present and %d absent named, "+
		"%d members who never came (lost contact by the rule)", s.Branches, s.Activities, s.Present, s.Absent, s.NeverCame)
}

// reasonKinds are the kinds of the reasons the demo's absentees give, by
// the reason's text (absenceReasons); an empty reason is none given.
var reasonKinds = map[string]orgv1.AbsenceReason{
	"外出务工": orgv1.AbsenceReason_ABSENCE_REASON_AWAY, "生病住院": orgv1.AbsenceReason_ABSENCE_REASON_ILLNESS,
	"单位值班": orgv1.AbsenceReason_ABSENCE_REASON_WORK, "在外地照顾子女": orgv1.AbsenceReason_ABSENCE_REASON_FAMILY,
	"出差": orgv1.AbsenceReason_ABSENCE_REASON_WORK,
}

// LoadAttendance has the first of Jinchang's branches record a themed party
// day every month of the past year with who came and who did not (with the
// reason they gave, or none), through the organisation service's API, after
// LoadMembers: the member service builds each member's participation from
// the events, and the members who never came are flagged lost contact.
// Every activity carries a request id derived from the plan, so a second
// load records nothing.
func LoadAttendance(ctx context.Context, orgs, members grpc.ClientConnInterface, sum Summary, log *slog.Logger) (AttendanceSummary, error) {
	if sum.plan == nil {
		return AttendanceSummary{}, errors.New("demo: attendance: the city was not loaded")
	}
	start := time.Now()
	var branches []*node
	for _, d := range sum.plan.city.children {
		if d.key != "jc" {
			continue
		}
		d.walk(func(n *node) {
			if n.org.GetKind() == orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH && len(branches) < attendanceBranches {
				branches = append(branches, n)
			}
		})
	}
	l := &attendanceLoader{orgs: orgv1.NewOrganisationServiceClient(orgs), members: memberv1.NewMemberServiceClient(members),
		ledger: memberv1.NewDuesLedgerServiceClient(members),
		r:      rand.New(rand.NewPCG(memberSeed, attendanceSeed)), today: sum.plan.today}
	var out AttendanceSummary
	for _, b := range branches {
		if err := l.branch(ctx, b, &out); err != nil {
			return AttendanceSummary{}, fmt.Errorf("demo: attendance of %s: %w", b.org.GetName(), err)
		}
	}
	log.Info("loaded attendance by member", "took", time.Since(start).Round(time.Millisecond).String())
	return out, nil
}

type attendanceLoader struct {
	orgs    orgv1.OrganisationServiceClient
	members memberv1.MemberServiceClient
	ledger  memberv1.DuesLedgerServiceClient
	r       *rand.Rand
	today   time.Time
}

// branch records the branch's year: each month a themed party day where
// most members come, a few are away with their reason, and a few who paid
// no dues either (neverComing) never come, giving no reason.
func (l *attendanceLoader) branch(ctx context.Context, b *node, out *AttendanceSummary) error {
	resp, err := l.members.ListMembers(ctx, &memberv1.ListMembersRequest{OrganisationId: b.id, PageSize: 500})
	if err != nil {
		return err
	}
	var ids []string
	for _, m := range resp.GetMembers() {
		ids = append(ids, m.GetId())
	}
	slices.Sort(ids)
	if len(ids) <= lostPerBranch {
		return nil
	}
	never, err := l.neverComing(ctx, b, ids)
	if err != nil {
		return err
	}
	out.Branches++
	out.NeverCame += len(never)
	var regular []string
	for _, id := range ids {
		if !slices.Contains(never, id) {
			regular = append(regular, id)
		}
	}
	first := time.Date(l.today.Year(), l.today.Month(), 1, 0, 0, 0, 0, time.UTC)
	for i := 12; i >= 1; i-- {
		day := first.AddDate(0, -i, 14)
		a := &orgv1.Activity{Kind: orgv1.ActivityKind_ACTIVITY_KIND_THEMED_PARTY_DAY, Date: day.Format(dateLayout),
			Topic: themedDayTopics[int(day.Month())-1], Expected: int32(len(ids))}
		for _, id := range regular {
			if l.r.IntN(8) == 0 {
				reason := absenceReasons[l.r.IntN(len(absenceReasons))]
				a.Absentees = append(a.Absentees, &orgv1.Absentee{MemberId: id, Reason: reason, ReasonKind: reasonKinds[reason]})
				continue
			}
			a.AttendeeMemberIds = append(a.AttendeeMemberIds, id)
		}
		for _, id := range never {
			a.Absentees = append(a.Absentees, &orgv1.Absentee{MemberId: id})
		}
		a.Attended = int32(len(a.AttendeeMemberIds))
		err := untilKnown(ctx, time.Now().Add(time.Minute), func() error {
			_, err := l.orgs.RecordActivity(ctx, &orgv1.RecordActivityRequest{OrganisationId: b.id, Activity: a,
				RequestId: requestID(fmt.Sprintf("%s/attendance%d", b.key, i))})
			// The organisation service's view of members follows the member
			// stream: just after the demo's transfers it may still hold a
			// member who moved into this branch at their old one. The
			// member service listed them here, so that is the view
			// catching up: wait for it as for a member not yet known.
			if status.Code(err) == codes.InvalidArgument && strings.Contains(err.Error(), "sits in another organisation") {
				return status.Error(codes.FailedPrecondition, err.Error())
			}
			return err
		})
		if err != nil {
			return err
		}
		out.Activities++
		out.Present += len(a.AttendeeMemberIds)
		out.Absent += len(a.Absentees)
	}
	return nil
}

// neverComing are the members of a branch who never come: with the dues
// loaded, those who have paid nothing for more than half a year (so that
// both halves of the rule hold), at most lostPerBranch of them; without
// dues, the last lostPerBranch in id order.
func (l *attendanceLoader) neverComing(ctx context.Context, b *node, ids []string) ([]string, error) {
	resp, err := l.ledger.ListDuesArrears(ctx, &memberv1.ListDuesArrearsRequest{OrganisationId: b.id, PageSize: 500})
	if err != nil {
		return nil, err
	}
	if len(resp.GetArrears()) == 0 {
		return ids[len(ids)-lostPerBranch:], nil
	}
	var out []string
	for _, a := range resp.GetArrears() {
		if len(a.GetMonths()) >= 7 && len(out) < lostPerBranch && slices.Contains(ids, a.GetMemberId()) {
			out = append(out, a.GetMemberId())
		}
	}
	return out, nil
}
