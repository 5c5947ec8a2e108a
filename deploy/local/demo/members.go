package demo

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// The member roll of Jinchang (004): 36 communities, 1,952 members: 927
// retired, 128 laid-off, 170 mobile, 214 in-service, and 173 whose labour
// contracts ended, unplaced veterans and jobless graduates; the other 340
// are residents of no particular standing. Each community gets the members
// the organisation plan gives it. Every other district gets otherMembers of
// mixed standing.
const otherMembers = 20

// The groups of the roll.
type group int

const (
	retired group = iota
	laidOff
	mobile
	inService
	others
	residents
)

var jinchangRoll = [...]int{retired: 927, laidOff: 128, mobile: 170, inService: 214, others: 173, residents: 340}

// regionCodes are the six-digit places of registration of each district's
// residents, after the places the districts are shaped like.
var regionCodes = map[string]string{"jc": "620302", "tj": "230881", "sq": "610922", "fx": "610322"}

// memberSeed fixes the members' random source: the roll is the same on
// every day, so that a load resumed on another day finds what it made.
const memberSeed = 2004_07_28

// memberDef is one member to create.
type memberDef struct {
	key       string
	district  string // the district's plan key
	group     group
	member    *memberv1.Member
	org       *node // the organisation holding the membership
	community *node
}

// transferDef is one transfer to make, taken as far as final; or, with
// earlier, one begun on paper before the system, recorded in the state
// final.
type transferDef struct {
	key     string
	member  *memberDef
	to      *node
	reason  string
	final   memberv1.TransferState
	earlier *earlier
	// outside is the destination of a transfer out of the city, in place
	// of to; completed, it is completed by the receipt slip numbered
	// receipt, which ends the membership here.
	outside *memberv1.OutsideDestination
	receipt string
}

// earlier are the days of the steps a transfer begun on paper took before
// the city used the system (the zero time for a step not taken), and the
// paper letter's number.
type earlier struct {
	requested, confirmed, released time.Time
	letter                         string
}

// memberPlan is the demo's members and transfers.
type memberPlan struct {
	members   []*memberDef
	transfers []*transferDef
	// rosters are the members the districts other than Jinchang send as
	// files, one an organisation, imported as an office would send them.
	rosters []*unitRoster
}

// unitRoster is the members of one organisation sent as a roster.
type unitRoster struct {
	district string
	unit     *node
	members  []*memberv1.Member
}

// MemberSummary says what LoadMembers made or found.
type MemberSummary struct {
	// Members counts the members by district code.
	Members map[string]int
	// Transfers counts the transfers by their state.
	Transfers map[memberv1.TransferState]int
	// Earlier counts those of them begun on paper before the system and
	// recorded with their original dates.
	Earlier int
	// Outside counts those of them out of the city; Left the members whose
	// membership ended here, transferred out by a receipt (kept, no longer
	// counted).
	Outside, Left int
}

// String describes the members in one line.
func (s MemberSummary) String() string {
	total := 0
	var parts []string
	for _, d := range slices.Sorted(maps.Keys(s.Members)) {
		total += s.Members[d]
		parts = append(parts, fmt.Sprintf("%s %d", d, s.Members[d]))
	}
	var ts []string
	for _, st := range slices.Sorted(maps.Keys(s.Transfers)) {
		ts = append(ts, fmt.Sprintf("%d %s", s.Transfers[st],
			strings.ToLower(strings.TrimPrefix(st.String(), "TRANSFER_STATE_"))))
	}
	return fmt.Sprintf("%d members (%s; %d left the city), transfers: %s (%d begun on paper before the system, %d out of the city)",
		total, strings.Join(parts, ", "), s.Left, strings.Join(ts, ", "), s.Earlier, s.Outside)
}

// scaled divides total among the weights in proportion, by largest
// remainder, the parts summing to total exactly.
func scaled(weights []int, total int) []int {
	sum := 0
	for _, w := range weights {
		sum += w
	}
	parts := make([]int, len(weights))
	rems := make([]int, len(weights))
	given := 0
	for i, w := range weights {
		parts[i] = w * total / sum
		rems[i] = w * total % sum
		given += parts[i]
	}
	order := make([]int, len(weights))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return rems[b] - rems[a] })
	for i := 0; given < total; i++ {
		parts[order[i%len(order)]]++
		given++
	}
	return parts
}

// holder is a community with the organisations in it that hold memberships.
type holder struct {
	community *node
	orgs      []*node
	weight    int
}

// holders are the communities of a district with the organisations that
// hold their members (their branches, or the community itself when it has
// none), weighted by their member counts.
func holders(district *node) []holder {
	var hs []holder
	district.walk(func(n *node) {
		if n.org.GetKind() != orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY {
			return
		}
		h := holder{community: n, weight: int(max(n.members, 1))}
		n.walk(func(c *node) {
			if c.org.GetKind() == orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH {
				h.orgs = append(h.orgs, c)
			}
		})
		// A community without branches holds its members itself.
		if len(h.orgs) == 0 {
			h.orgs = []*node{n}
		}
		hs = append(hs, h)
	})
	return hs
}

// newMemberPlan draws the members of the plan's districts and the transfers
// between them.
func newMemberPlan(p *plan) *memberPlan {
	r := rand.New(rand.NewPCG(memberSeed, 1))
	mp := &memberPlan{}
	ids := map[string]bool{}
	byDistrict := map[string][]*memberDef{}
	for _, d := range p.city.children {
		hs := holders(d)
		if len(hs) == 0 {
			continue
		}
		var groups []group
		if d.key == "jc" {
			for g, n := range jinchangRoll {
				for range n {
					groups = append(groups, group(g))
				}
			}
		} else {
			for range otherMembers {
				groups = append(groups, group(r.IntN(len(jinchangRoll))))
			}
		}
		weights := make([]int, len(hs))
		for i, h := range hs {
			weights[i] = h.weight
		}
		var slots []int // community index of each member, in order
		for i, n := range scaled(weights, len(groups)) {
			for range n {
				slots = append(slots, i)
			}
		}
		r.Shuffle(len(groups), func(i, j int) { groups[i], groups[j] = groups[j], groups[i] })
		for i, g := range groups {
			h := hs[slots[i]]
			m := &memberDef{
				key: fmt.Sprintf("m/%s/%03d", d.key, i+1), district: d.key, group: g,
				org: h.orgs[r.IntN(len(h.orgs))], community: h.community,
			}
			m.member = drawMember(r, p.today, regionCodes[d.key], g, d.key != "jc", ids)
			mp.members = append(mp.members, m)
			byDistrict[d.key] = append(byDistrict[d.key], m)
		}
	}
	mp.transfers = drawTransfers(p, byDistrict)
	drawn := map[*node]int64{}
	for _, m := range mp.members {
		drawn[m.community]++
	}
	mp.rosters = drawRosters(p, ids, drawn)
	return mp
}

// drawRosters draws the members every district but Jinchang sends as
// rosters (with a generator of their own, so that the other members stay
// as they were drawn before rosters existed): each community's residents,
// as many as the plan gives it beyond those drawn one by one (drawn), into
// the organisation that holds them, and
// each resident unit's in-service members into the unit's organisation
// (Tongjiang's are document 002's 2,174). Jinchang's members are document
// 004's 1,952 exactly, drawn one by one above.
func drawRosters(p *plan, ids map[string]bool, drawn map[*node]int64) []*unitRoster {
	r := rand.New(rand.NewPCG(memberSeed, 2))
	var out []*unitRoster
	for _, d := range p.city.children {
		if d.key == "jc" {
			continue
		}
		for _, h := range holders(d) {
			if n := h.community.members - drawn[h.community]; n > 0 {
				out = append(out, roster(r, p, ids, d.key, h.orgs[0], n, residents))
			}
		}
		d.walk(func(n *node) {
			if n.org.GetKind() == orgv1.OrganisationKind_ORGANISATION_KIND_RESIDENT_UNIT && n.members > 0 {
				u := roster(r, p, ids, d.key, n, n.members, inService)
				for _, m := range u.members {
					m.Employer = shortName(n)
				}
				out = append(out, u)
			}
		})
	}
	return out
}

// roster draws n members of group g into the organisation of org.
func roster(r *rand.Rand, p *plan, ids map[string]bool, district string, org *node, n int64, g group) *unitRoster {
	u := &unitRoster{district: district, unit: org}
	for range n {
		u.members = append(u.members, drawMember(r, p.today, regionCodes[district], g, true, ids))
	}
	return u
}

// rosterHeader is the header of a unit's roster, as rosters have it.
var rosterHeader = []string{"姓名", "性别", "出生日期", "身份证号", "联系电话", "入党日期", "党员类别", "就业状态", "工作单位"}

// employment is how a roster writes an employment status.
var employment = map[memberv1.EmploymentStatus]string{
	memberv1.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED: "在职", memberv1.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED: "退休",
	memberv1.EmploymentStatus_EMPLOYMENT_STATUS_STUDENT: "学生", memberv1.EmploymentStatus_EMPLOYMENT_STATUS_SELF_EMPLOYED: "个体",
	memberv1.EmploymentStatus_EMPLOYMENT_STATUS_OTHER: "其他", memberv1.EmploymentStatus_EMPLOYMENT_STATUS_UNEMPLOYED: "失业",
	memberv1.EmploymentStatus_EMPLOYMENT_STATUS_LAID_OFF: "下岗",
}

// csv is the roster as an office would export it from Excel.
func (u *unitRoster) csv() []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(rosterHeader)
	for _, m := range u.members {
		sex := "男"
		if m.GetSex() == memberv1.Sex_SEX_FEMALE {
			sex = "女"
		}
		_ = w.Write([]string{m.GetName(), sex, m.GetBirthDate(), m.GetNationalId(), m.GetPhone(), m.GetJoinDate(), "正式",
			employment[m.GetEmploymentStatus()], m.GetEmployer()})
	}
	w.Flush()
	return b.Bytes()
}

// drawTransfers picks members to move: two moves completed across
// districts, one requested and waiting, and one whose letter was released
// but never received; and two transfers begun on paper before the city
// used the system, recorded with their original days: a letter released
// 45 days ago across districts and never received (a pocket member once
// the sweeper passes) and a request open for seven months inside a
// district (flagged for review); and two transfers out of the city, one
// completed by the receipt slip the receiving organisation returned (the
// member's relationship here ends) and one released and not yet received.
// All are residents of no particular standing, and the paper and outside
// ones live outside Jinchang, so that Jinchang's roll keeps the
// document's figures.
func drawTransfers(p *plan, byDistrict map[string][]*memberDef) []*transferDef {
	target := func(district string, i int) *node {
		for _, d := range p.city.children {
			if d.key == district {
				hs := holders(d)
				if len(hs) == 0 {
					return nil
				}
				return hs[i%len(hs)].orgs[0]
			}
		}
		return nil
	}
	// pick takes the i-th resident of no particular standing, so that
	// Jinchang's roll keeps the document's figures through the moves.
	pick := func(district string, i int) *memberDef {
		var ms []*memberDef
		for _, m := range byDistrict[district] {
			if m.group == residents {
				ms = append(ms, m)
			}
		}
		if len(ms) == 0 {
			ms = byDistrict[district]
		}
		if len(ms) == 0 {
			return nil
		}
		return ms[i%len(ms)]
	}
	defs := []struct {
		from      string
		i         int
		to        string
		j         int
		reason    string
		state     memberv1.TransferState
		transferN int
		earlier   *earlier
	}{
		{"jc", 7, "tj", 1, "随子女迁居同江县", memberv1.TransferState_TRANSFER_STATE_COMPLETED, 1, nil},
		{"tj", 3, "jc", 2, "工作调动至金昌区", memberv1.TransferState_TRANSFER_STATE_COMPLETED, 2, nil},
		{"sq", 5, "fx", 0, "外出务工，转入居住地党组织", memberv1.TransferState_TRANSFER_STATE_REQUESTED, 3, nil},
		{"fx", 2, "jc", 4, "迁居金昌区，组织关系转出", memberv1.TransferState_TRANSFER_STATE_RELEASED, 4, nil},
		{"tj", 0, "fx", 1, "赴凤翔县务工，介绍信开出后未报到", memberv1.TransferState_TRANSFER_STATE_RELEASED, 5,
			&earlier{requested: p.today.AddDate(0, 0, -52), confirmed: p.today.AddDate(0, 0, -50),
				released: p.today.AddDate(0, 0, -45), letter: "同组转字第0517号"}},
		{"sq", 4, "sq", 1, "迁居县内西坝社区，申请已递交", memberv1.TransferState_TRANSFER_STATE_REQUESTED, 6,
			&earlier{requested: p.today.AddDate(0, -7, 0)}},
	}
	var ts []*transferDef
	for _, d := range defs {
		m, to := pick(d.from, d.i), target(d.to, d.j)
		if m == nil || to == nil {
			continue
		}
		ts = append(ts, &transferDef{key: fmt.Sprintf("t/%d", d.transferN), member: m, to: to, reason: d.reason, final: d.state,
			earlier: d.earlier})
	}
	outside := []struct {
		from    string
		i       int
		dest    *memberv1.OutsideDestination
		reason  string
		state   memberv1.TransferState
		receipt string
	}{
		{"fx", 9, &memberv1.OutsideDestination{Organisation: "中共西安市雁塔区电子城街道某社区委员会", Place: "陕西省西安市雁塔区"},
			"随子女定居西安，组织关系转出省外", memberv1.TransferState_TRANSFER_STATE_COMPLETED, "雁组回字第0312号"},
		{"sq", 11, &memberv1.OutsideDestination{Organisation: "中共兰州市城关区某社区委员会", Place: "甘肃省兰州市城关区"},
			"赴兰州工作，组织关系转出市外", memberv1.TransferState_TRANSFER_STATE_RELEASED, ""},
	}
	for n, d := range outside {
		if m := pick(d.from, d.i); m != nil {
			ts = append(ts, &transferDef{key: fmt.Sprintf("t/out/%d", n+1), member: m, reason: d.reason, final: d.state,
				outside: d.dest, receipt: d.receipt})
		}
	}
	return ts
}

// The birth years of each group: the retired are past retirement, the
// laid-off lost their jobs in the restructuring of the state enterprises,
// the in-service are of working age.
var birthYears = [...][2]int{
	retired:   {1940, 1962},
	laidOff:   {1960, 1978},
	mobile:    {1968, 2000},
	inService: {1966, 2000},
	others:    {1955, 1996},
	residents: {1950, 1998},
}

var mobileEmployers = []string{"深圳某电子厂", "兰州新区建筑工地", "乌鲁木齐物流公司", "西安软件园", "天津港务公司"}

var employers = []string{"金川集团公司", "市第一人民医院", "区教育局", "市供电公司", "区人民法院", "市自来水公司", "金昌职业学院", "区财政局"}

func drawMember(r *rand.Rand, today time.Time, region string, g group, mixed bool, ids map[string]bool) *memberv1.Member {
	sex := memberv1.Sex_SEX_MALE
	if r.IntN(5) < 2 {
		sex = memberv1.Sex_SEX_FEMALE
	}
	names := &people{r: r, today: today}
	osex := orgv1.Sex_SEX_MALE
	if sex == memberv1.Sex_SEX_FEMALE {
		osex = orgv1.Sex_SEX_FEMALE
	}
	years := birthYears[g]
	birth := time.Date(between(r, years[0], years[1]), time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
	join := birth.AddDate(between(r, 18, 40), 0, r.IntN(365))
	if latest := today.AddDate(-1, 0, 0); join.After(latest) {
		join = latest
	}
	m := &memberv1.Member{
		Name:       names.name(osex),
		Sex:        sex,
		BirthDate:  birth.Format(dateLayout),
		NationalId: nationalID(r, region, birth, sex, ids),
		Phone:      names.phone(),
		JoinDate:   join.Format(dateLayout),
		Status:     memberv1.MemberStatus_MEMBER_STATUS_FULL,
		Education:  memberv1.Education(between(r, 2, 5)),
	}
	switch g {
	case retired:
		m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED
		m.Education = memberv1.Education(between(r, 1, 4))
	case laidOff:
		m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_LAID_OFF
		if r.IntN(4) == 0 {
			m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_UNEMPLOYED
		}
		m.Hardship = r.IntN(3) == 0
	case mobile:
		// Gone to work elsewhere: their outflow is registered with the
		// mobile members, which makes them assisted (协管).
		m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED
		m.Employer = mobileEmployers[r.IntN(len(mobileEmployers))]
	case inService:
		m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED
		m.Employer = employers[r.IntN(len(employers))]
	case others:
		// Labour contract ended, unplaced veterans, jobless graduates:
		// taken over by the community (接管), like the laid-off.
		switch r.IntN(3) {
		case 0:
			m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_UNEMPLOYED
		case 1:
			m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_OTHER
			m.Skills = []string{"退役军人"}
		default:
			m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_STUDENT
		}
	case residents:
		m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_OTHER
		if r.IntN(2) == 0 {
			m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_SELF_EMPLOYED
		}
		if mixed && birth.Year() >= 1990 && r.IntN(3) == 0 {
			m.EmploymentStatus = memberv1.EmploymentStatus_EMPLOYMENT_STATUS_STUDENT
		}
	}
	return m
}

// nationalID makes a valid number unique among ids: the region, the birth
// date, a sequence (odd for men) and the GB 11643 check character.
func nationalID(r *rand.Rand, region string, birth time.Time, sex memberv1.Sex, ids map[string]bool) string {
	for {
		seq := r.IntN(500) * 2
		if sex == memberv1.Sex_SEX_MALE {
			seq++
		}
		first17 := fmt.Sprintf("%s%s%03d", region, birth.Format("20060102"), seq)
		id := first17 + string(checkCharacter(first17))
		if !ids[id] {
			ids[id] = true
			return id
		}
	}
}

var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idChecks  = "10X98765432"
)

func checkCharacter(first17 string) byte {
	sum := 0
	for i := range 17 {
		sum += int(first17[i]-'0') * idWeights[i]
	}
	return idChecks[sum%11]
}

// LoadMembers registers the demo's members in the communities of the city
// Load made (sum is what it returned), through the member service's API,
// and moves a few of them between districts. A second load creates nothing
// twice: members and transfers carry request ids, and a transfer is only
// taken the steps it has not taken yet.
func LoadMembers(ctx context.Context, conn grpc.ClientConnInterface, sum Summary, log *slog.Logger) (MemberSummary, error) {
	if sum.plan == nil {
		return MemberSummary{}, errors.New("demo: members: the city was not loaded")
	}
	mp := newMemberPlan(sum.plan)
	ml := &memberLoader{
		members:   memberv1.NewMemberServiceClient(conn),
		transfers: memberv1.NewTransferServiceClient(conn),
		// The member service learns of organisations from the organisation
		// service's events: those just made may take a moment to arrive.
		patience: time.Now().Add(time.Minute),
	}
	start := time.Now()
	out := MemberSummary{Members: map[string]int{}, Transfers: map[memberv1.TransferState]int{}}
	codes := map[string]string{}
	for _, d := range sum.plan.city.children {
		codes[d.key] = d.org.GetCode()
	}
	// The first member alone, so the wait for the organisations is paid once.
	if len(mp.members) > 0 {
		if err := ml.create(ctx, mp.members[0]); err != nil {
			return MemberSummary{}, fmt.Errorf("demo: members: %w", err)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, m := range mp.members[min(1, len(mp.members)):] {
		g.Go(func() error { return ml.create(gctx, m) })
	}
	if err := g.Wait(); err != nil {
		return MemberSummary{}, fmt.Errorf("demo: members: %w", err)
	}
	for _, m := range mp.members {
		out.Members[codes[m.district]]++
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, u := range mp.rosters {
		g.Go(func() error { return ml.importRoster(gctx, u) })
	}
	if err := g.Wait(); err != nil {
		return MemberSummary{}, fmt.Errorf("demo: unit rosters: %w", err)
	}
	for _, u := range mp.rosters {
		out.Members[codes[u.district]] += len(u.members)
	}
	log.Info("loaded members", "took", time.Since(start).Round(time.Millisecond).String())
	start = time.Now()
	for _, t := range mp.transfers {
		st, err := ml.transfer(ctx, t)
		if err != nil {
			return MemberSummary{}, fmt.Errorf("demo: transfer of %s: %w", t.member.member.GetName(), err)
		}
		out.Transfers[st]++
		if t.earlier != nil {
			out.Earlier++
		}
		if t.outside != nil {
			out.Outside++
			if st == memberv1.TransferState_TRANSFER_STATE_COMPLETED {
				out.Left++
			}
		}
	}
	log.Info("loaded transfers", "took", time.Since(start).Round(time.Millisecond).String())
	return out, nil
}

type memberLoader struct {
	members   memberv1.MemberServiceClient
	transfers memberv1.TransferServiceClient
	patience  time.Time
}

// retry calls f until it succeeds, fails for good, or the member service
// still does not know an organisation when patience runs out.
func (l *memberLoader) retry(ctx context.Context, f func() error) error {
	return untilKnown(ctx, l.patience, f)
}

// untilKnown calls f until it succeeds, fails for good, or the service it
// calls still does not know an organisation just made (services learn them
// from the organisation service's events) when patience runs out.
func untilKnown(ctx context.Context, patience time.Time, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		switch status.Code(err) {
		case codes.FailedPrecondition, codes.NotFound, codes.PermissionDenied, codes.Unavailable:
		default:
			return err
		}
		if time.Now().After(patience) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// importRoster imports a unit's roster into its organisation; a second
// load finds every row already registered there and changes nothing.
func (l *memberLoader) importRoster(ctx context.Context, u *unitRoster) error {
	return l.retry(ctx, func() error {
		resp, err := l.members.ImportMembers(ctx, &memberv1.ImportMembersRequest{OrganisationId: u.unit.id,
			Content: u.csv(), Format: memberv1.ImportFormat_IMPORT_FORMAT_CSV, RequestId: requestID(u.unit.key + "/roster")})
		if err != nil {
			return err
		}
		if r := resp.GetReport(); r.GetRefused() > 0 {
			return fmt.Errorf("roster of %s: %d rows refused", u.unit.org.GetName(), r.GetRefused())
		}
		return nil
	})
}

func (l *memberLoader) create(ctx context.Context, m *memberDef) error {
	pb := m.member
	pb.OrganisationId = m.org.id
	pb.Residence = &memberv1.Residence{CommunityId: m.community.id}
	return l.retry(ctx, func() error {
		resp, err := l.members.CreateMember(ctx, &memberv1.CreateMemberRequest{Member: pb, RequestId: requestID(m.key)})
		if err != nil {
			return fmt.Errorf("creating %s: %w", pb.GetName(), err)
		}
		pb.Id = resp.GetMember().GetId()
		return nil
	})
}

// transfer opens the transfer (or finds the one opened before) and takes
// the steps towards its final state it has not taken yet; one begun on
// paper is recorded instead.
func (l *memberLoader) transfer(ctx context.Context, t *transferDef) (memberv1.TransferState, error) {
	if t.earlier != nil {
		return l.record(ctx, t)
	}
	var tr *memberv1.Transfer
	err := l.retry(ctx, func() error {
		req := &memberv1.Transfer{MemberId: t.member.member.GetId(), Reason: t.reason, Outside: t.outside}
		if t.to != nil {
			req.ToOrganisationId = t.to.id
		}
		resp, err := l.transfers.RequestTransfer(ctx, &memberv1.RequestTransferRequest{Transfer: req, RequestId: requestID(t.key)})
		tr = resp.GetTransfer()
		return err
	})
	if err != nil {
		return 0, err
	}
	if got, err := l.transfers.GetTransfer(ctx, &memberv1.GetTransferRequest{Id: tr.GetId()}); err == nil {
		tr = got.GetTransfer()
	}
	for tr.GetState() < t.final {
		var err error
		switch tr.GetState() {
		case memberv1.TransferState_TRANSFER_STATE_REQUESTED:
			var resp *memberv1.ConfirmTransferResponse
			resp, err = l.transfers.ConfirmTransfer(ctx, &memberv1.ConfirmTransferRequest{Id: tr.GetId(), Reason: "经审核同意转出", Etag: tr.GetEtag()})
			tr = resp.GetTransfer()
		case memberv1.TransferState_TRANSFER_STATE_CONFIRMED:
			var resp *memberv1.ReleaseTransferResponse
			resp, err = l.transfers.ReleaseTransfer(ctx, &memberv1.ReleaseTransferRequest{Id: tr.GetId(), Reason: "开具组织关系介绍信", Etag: tr.GetEtag()})
			tr = resp.GetTransfer()
		case memberv1.TransferState_TRANSFER_STATE_RELEASED:
			if t.outside != nil { // nobody here receives it: the sending side records the receipt slip
				var resp *memberv1.RecordTransferReceiptResponse
				resp, err = l.transfers.RecordTransferReceipt(ctx, &memberv1.RecordTransferReceiptRequest{Id: tr.GetId(),
					ReceiptNumber: t.receipt, ReceiptDate: releaseDay(tr),
					Reason: "接收地党组织回执已寄回", Etag: tr.GetEtag()})
				tr = resp.GetTransfer()
				break
			}
			var resp *memberv1.ReceiveTransferResponse
			resp, err = l.transfers.ReceiveTransfer(ctx, &memberv1.ReceiveTransferRequest{Id: tr.GetId(), Reason: "介绍信已收到，接收组织关系", Etag: tr.GetEtag()})
			tr = resp.GetTransfer()
		default:
			return tr.GetState(), nil // rejected or withdrawn by hand: left as it is
		}
		if err != nil {
			return 0, err
		}
	}
	return tr.GetState(), nil
}

// chinaTime is the city's time zone, the member service's default
// (Asia/Shanghai: UTC+8 all year).
var chinaTime = time.FixedZone("CST", 8*60*60)

// releaseDay is the day in the city the transfer's letter was released:
// the receipt slip is dated the day the receiving side took the member,
// which the demo makes that day.
func releaseDay(tr *memberv1.Transfer) string {
	var at time.Time
	for _, st := range tr.GetSteps() {
		if st.GetAction() == memberv1.TransferAction_TRANSFER_ACTION_RELEASED {
			at = st.GetTime().AsTime()
		}
	}
	return at.In(chinaTime).Format(dateLayout)
}

// record records a transfer begun on paper before the system with its
// original days (or finds the one recorded before, by its request id).
func (l *memberLoader) record(ctx context.Context, t *transferDef) (memberv1.TransferState, error) {
	day := func(d time.Time) string {
		if d.IsZero() {
			return ""
		}
		return d.Format(dateLayout)
	}
	e := t.earlier
	var tr *memberv1.Transfer
	err := l.retry(ctx, func() error {
		resp, err := l.transfers.RecordEarlierTransfer(ctx, &memberv1.RecordEarlierTransferRequest{
			MemberId: t.member.member.GetId(), ToOrganisationId: t.to.id, Reason: t.reason,
			RequestedDate: day(e.requested), ConfirmedDate: day(e.confirmed), ReleasedDate: day(e.released),
			LetterNumber: e.letter, RequestId: requestID(t.key),
		})
		tr = resp.GetTransfer()
		return err
	})
	return tr.GetState(), err
}
