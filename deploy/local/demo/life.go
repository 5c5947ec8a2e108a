package demo

import (
	"time"

	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// communityLife is a year of a community's organisation life before today:
// a themed party day and a committee meeting every month (004), a members'
// meeting, a party lecture (三会一课) and the concentrated activity every
// quarter (002), the democratic appraisal of members and the organisation
// life meeting once. The current quarter's concentrated activity is held
// already, unless the quarter began today. missed leaves out the
// concentrated activity of the last completed quarter and of this one.
func (b *builder) communityLife(members, teamSize int, missed bool) []*orgv1.Activity {
	var life []*orgv1.Activity
	if current := b.lastQuarters(1)[0].AddDate(0, 3, 0); !missed && current.Before(b.today) {
		life = append(life, b.activity(orgv1.ActivityKind_ACTIVITY_KIND_CONCENTRATED_ACTIVITY,
			b.dayIn(current, b.today), "集中活动：在职党员进社区·为民服务集中日", members))
	}
	for _, month := range b.lastMonths(12) {
		life = append(life,
			b.activity(orgv1.ActivityKind_ACTIVITY_KIND_THEMED_PARTY_DAY, b.dayIn(month, month.AddDate(0, 1, -1)),
				themedDayTopics[int(month.Month())-1], members),
			b.activity(orgv1.ActivityKind_ACTIVITY_KIND_COMMITTEE_MEETING, b.dayIn(month, month.AddDate(0, 1, -1)),
				pick(b, committeeTopics), teamSize),
		)
	}
	for q, quarter := range b.lastQuarters(4) {
		end := quarter.AddDate(0, 3, -1)
		if !(missed && q == 0) {
			life = append(life, b.activity(orgv1.ActivityKind_ACTIVITY_KIND_CONCENTRATED_ACTIVITY,
				b.dayIn(quarter, end), concentratedTopics[q%len(concentratedTopics)], members))
		}
		life = append(life,
			b.activity(orgv1.ActivityKind_ACTIVITY_KIND_MEMBERS_MEETING, b.dayIn(quarter, end), pick(b, membersMeetingTopics), members),
			b.activity(orgv1.ActivityKind_ACTIVITY_KIND_PARTY_LECTURE, b.dayIn(quarter, end), pick(b, lectureTopics), members),
		)
	}
	return append(life,
		b.activity(orgv1.ActivityKind_ACTIVITY_KIND_DEMOCRATIC_APPRAISAL,
			b.dayIn(b.today.AddDate(0, -11, 0), b.today.AddDate(0, -9, 0)), "年度民主评议党员", members),
		b.activity(orgv1.ActivityKind_ACTIVITY_KIND_DEMOCRATIC_LIFE_MEETING,
			b.dayIn(b.today.AddDate(0, -4, 0), b.today.AddDate(0, -2, 0)), "年度组织生活会：对照检查、开展批评与自我批评", teamSize),
	)
}

// branchLife is a year of a branch's members' meetings, party lectures and
// democratic appraisal.
func (b *builder) branchLife(members int) []*orgv1.Activity {
	var life []*orgv1.Activity
	for _, quarter := range b.lastQuarters(4) {
		end := quarter.AddDate(0, 3, -1)
		life = append(life,
			b.activity(orgv1.ActivityKind_ACTIVITY_KIND_MEMBERS_MEETING, b.dayIn(quarter, end), pick(b, membersMeetingTopics), members),
			b.activity(orgv1.ActivityKind_ACTIVITY_KIND_PARTY_LECTURE, b.dayIn(quarter, end), pick(b, lectureTopics), members),
		)
	}
	return append(life, b.activity(orgv1.ActivityKind_ACTIVITY_KIND_DEMOCRATIC_APPRAISAL,
		b.dayIn(b.today.AddDate(0, -11, 0), b.today.AddDate(0, -9, 0)), "年度民主评议党员", members))
}

// partyGroupLife is a party-group meeting every quarter.
func (b *builder) partyGroupLife(members int) []*orgv1.Activity {
	var life []*orgv1.Activity
	for _, quarter := range b.lastQuarters(4) {
		life = append(life, b.activity(orgv1.ActivityKind_ACTIVITY_KIND_PARTY_GROUP_MEETING,
			b.dayIn(quarter, quarter.AddDate(0, 3, -1)), "党小组学习讨论", members))
	}
	return life
}

// mobileLife is the life of a temporary branch of mobile members: a themed
// party day and a members' meeting every quarter.
func (b *builder) mobileLife(members int) []*orgv1.Activity {
	var life []*orgv1.Activity
	for _, quarter := range b.lastQuarters(4) {
		end := quarter.AddDate(0, 3, -1)
		life = append(life,
			b.activity(orgv1.ActivityKind_ACTIVITY_KIND_THEMED_PARTY_DAY, b.dayIn(quarter, end), "流动党员主题党日：学习交流、亮身份", members),
			b.activity(orgv1.ActivityKind_ACTIVITY_KIND_MEMBERS_MEETING, b.dayIn(quarter, end), "通报流动党员双向联系情况", members),
		)
	}
	return life
}

// activity records one event with the expected members, most of them
// present; the absent give a reason, or none, as it happened.
func (b *builder) activity(kind orgv1.ActivityKind, day time.Time, topic string, expected int) *orgv1.Activity {
	absent := 0
	if expected > 2 {
		absent = b.r.IntN(expected/6 + 1)
	}
	a := &orgv1.Activity{
		Kind: kind, Date: day.Format(dateLayout), Topic: topic,
		Expected: int32(expected), Attended: int32(expected - absent),
	}
	for range absent {
		a.Absentees = append(a.Absentees, &orgv1.Absentee{
			Name: b.people.anyone(), Reason: absenceReasons[b.r.IntN(len(absenceReasons))],
		})
	}
	return a
}

// lastMonths returns the first days of the n whole months before today's,
// oldest first.
func (b *builder) lastMonths(n int) []time.Time {
	first := time.Date(b.today.Year(), b.today.Month(), 1, 0, 0, 0, 0, time.UTC)
	months := make([]time.Time, n)
	for i := range n {
		months[i] = first.AddDate(0, i-n, 0)
	}
	return months
}

// lastQuarters returns the first days of the n completed quarters before
// today's, the last completed one first.
func (b *builder) lastQuarters(n int) []time.Time {
	current := time.Date(b.today.Year(), (b.today.Month()-1)/3*3+1, 1, 0, 0, 0, 0, time.UTC)
	quarters := make([]time.Time, n)
	for i := range n {
		quarters[i] = current.AddDate(0, -3*(i+1), 0)
	}
	return quarters
}

// dayIn draws a day between from and to, both included, inside the year
// before today.
func (b *builder) dayIn(from, to time.Time) time.Time {
	if first := b.today.AddDate(-1, 0, 0); from.Before(first) {
		from = first
	}
	if last := b.today.AddDate(0, 0, -1); to.After(last) {
		to = last
	}
	days := int(to.Sub(from).Hours()/24) + 1
	if days < 1 {
		return from
	}
	return from.AddDate(0, 0, b.r.IntN(days))
}

func pick(b *builder, list []string) string {
	return list[b.r.IntN(len(list))]
}
