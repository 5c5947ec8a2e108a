package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// The demo's party dues (党费): every member of Jinchang declares a monthly
// income as of the first month of the past year; every organisation of
// Jinchang that holds memberships bills its members each month of the past
// year, this month included, by the district's bands; most members pay
// each quarter, some stopped paying a few months ago (arrears), and one in
// twenty has paid nothing for more than half a year (those the lost-contact
// rule looks at). Three members in hardship are exempted.
const (
	duesMonths = 12
	// duesExempted are the members in hardship whose dues are waived.
	duesExempted = 3
)

// DuesSummary says what LoadDues made or found.
type DuesSummary struct {
	Declared, Exempted, Bills, Payments int
	// Arrears counts the members who owe at least a month; LongArrears
	// those who paid nothing for more than six months.
	Arrears, LongArrears int
}

// String describes the dues in one line.
func (s DuesSummary) String() string {
	return fmt.Sprintf("%d income declarations, %d hardship exemptions, %d bill lines over %d months, %d payments, "+
		"%d members in arrears (%d paying nothing for more than six months)",
		s.Declared, s.Exempted, s.Bills, duesMonths, s.Payments, s.Arrears, s.LongArrears)
}

// payer is how a member of the demo pays: everything, nothing since
// stoppedAgo months before this one.
type payer struct {
	id         string
	stoppedAgo int // 0: pays every month
}

type duesLoader struct {
	members memberv1.MemberServiceClient
	ledger  memberv1.DuesLedgerServiceClient
	today   time.Time
	first   time.Time // the first month billed
}

// LoadDues declares Jinchang's members' incomes, bills its branches for
// the past year and records their payments through the member service's
// API, after LoadMembers. Every creating call carries a request id derived
// from the plan and generation is idempotent, so a second load adds
// nothing, but a new month's bills.
func LoadDues(ctx context.Context, conn grpc.ClientConnInterface, sum Summary, log *slog.Logger) (DuesSummary, error) {
	if sum.plan == nil {
		return DuesSummary{}, errors.New("demo: dues: the city was not loaded")
	}
	start := time.Now()
	today := sum.plan.today
	thisMonth := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	l := &duesLoader{members: memberv1.NewMemberServiceClient(conn), ledger: memberv1.NewDuesLedgerServiceClient(conn),
		today: today, first: thisMonth.AddDate(0, 1-duesMonths, 0)}
	var defs []*memberDef
	for _, m := range newMemberPlan(sum.plan).members {
		if m.district == "jc" {
			defs = append(defs, m)
		}
	}
	var out DuesSummary
	payers, err := l.declare(ctx, defs, &out)
	if err != nil {
		return out, fmt.Errorf("demo: dues: %w", err)
	}
	var holders []string
	for _, d := range sum.plan.city.children {
		if d.key == "jc" {
			d.walk(func(n *node) {
				if holdsMembers[n.org.GetKind().String()] && n.id != "" {
					holders = append(holders, n.id)
				}
			})
		}
	}
	if err := l.bill(ctx, holders, &out); err != nil {
		return out, fmt.Errorf("demo: dues: %w", err)
	}
	if err := l.pay(ctx, holders, payers, &out); err != nil {
		return out, fmt.Errorf("demo: dues: %w", err)
	}
	log.Info("loaded party dues", "took", time.Since(start).Round(time.Millisecond).String())
	return out, nil
}

// holdsMembers are the kinds of organisation a membership may sit in.
var holdsMembers = map[string]bool{
	"ORGANISATION_KIND_COMMUNITY": true, "ORGANISATION_KIND_GENERAL_BRANCH": true, "ORGANISATION_KIND_BRANCH": true,
	"ORGANISATION_KIND_BUILDING_BRANCH": true, "ORGANISATION_KIND_TEMPORARY_BRANCH": true,
	"ORGANISATION_KIND_RESIDENT_UNIT": true,
}

// draw is a number from 0 to n-1 that a key always draws.
func draw(key string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// income is the declaration of a member of the demo: an income that fits
// their employment, in fen, and the status the bands know it by.
func income(m *memberDef) (int64, memberv1.EmploymentStatus) {
	status := m.member.GetEmploymentStatus()
	switch status {
	case memberv1.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED:
		return int64(2000+draw(m.key+"/income", 50)*100) * 100, status // 2,000–6,900 yuan of pension
	case memberv1.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED, memberv1.EmploymentStatus_EMPLOYMENT_STATUS_SELF_EMPLOYED:
		return int64(2500+draw(m.key+"/income", 100)*100) * 100, status // 2,500–12,400 yuan
	case memberv1.EmploymentStatus_EMPLOYMENT_STATUS_LAID_OFF, memberv1.EmploymentStatus_EMPLOYMENT_STATUS_UNEMPLOYED,
		memberv1.EmploymentStatus_EMPLOYMENT_STATUS_STUDENT:
		return 0, status
	}
	// Residents with other work declare it as self-employment.
	return int64(1800+draw(m.key+"/income", 40)*100) * 100, memberv1.EmploymentStatus_EMPLOYMENT_STATUS_SELF_EMPLOYED
}

// declare finds each member's id (the request id of its creation returns
// the member made first), declares their income and exempts the first in
// hardship; it answers how each pays.
func (l *duesLoader) declare(ctx context.Context, defs []*memberDef, out *DuesSummary) ([]payer, error) {
	payers := make([]payer, len(defs))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for i, m := range defs {
		g.Go(func() error {
			pb := m.member
			pb.OrganisationId = m.org.id
			resp, err := l.members.CreateMember(gctx, &memberv1.CreateMemberRequest{Member: pb, RequestId: requestID(m.key)})
			if err != nil {
				return fmt.Errorf("finding %s: %w", m.key, err)
			}
			id := resp.GetMember().GetId()
			if resp.GetMember().GetLeftKind() != memberv1.LeavingKind_LEAVING_KIND_UNSPECIFIED {
				return nil // left the party: no more dues
			}
			fen, status := income(m)
			if _, err := l.ledger.DeclareIncome(gctx, &memberv1.DeclareIncomeRequest{MemberId: id, RequestId: requestID("dues/" + m.key),
				Declaration: &memberv1.IncomeDeclaration{EffectiveMonth: l.first.Format("2006-01"), MonthlyIncomeFen: fen,
					EmploymentStatus: status, Note: "年度收入申报"}}); err != nil {
				return fmt.Errorf("declaring %s: %w", m.key, err)
			}
			p := payer{id: id}
			switch d := draw(m.key+"/pays", 20); {
			case d == 0:
				p.stoppedAgo = 7 + draw(m.key+"/since", 4) // nothing for 7 to 10 months
			case d <= 2:
				p.stoppedAgo = 1 + draw(m.key+"/since", 3) // the last one to three months owed
			}
			payers[i] = p
			mu.Lock()
			defer mu.Unlock()
			out.Declared++
			if pb.GetHardship() && out.Exempted < duesExempted {
				out.Exempted++
				_, err := l.ledger.GrantDuesExemption(gctx, &memberv1.GrantDuesExemptionRequest{MemberId: id,
					RequestId: requestID("dues-exempt/" + m.key), Exemption: &memberv1.DuesExemption{
						FromMonth: l.first.Format("2006-01"), Reason: "家庭生活困难，享受最低生活保障",
						DecidedBy: "党支部委员会会议", ToMonth: l.first.AddDate(0, duesMonths-1, 0).Format("2006-01")}})
				if err != nil {
					return fmt.Errorf("exempting %s: %w", m.key, err)
				}
			}
			return nil
		})
	}
	return payers, g.Wait()
}

// months are the months billed, oldest first.
func (l *duesLoader) months() []time.Time {
	out := make([]time.Time, duesMonths)
	for i := range out {
		out[i] = l.first.AddDate(0, i, 0)
	}
	return out
}

// bill generates every holder's bills of every month, oldest month first,
// so that a member who moved is billed by the branch their letter names.
func (l *duesLoader) bill(ctx context.Context, holders []string, out *DuesSummary) error {
	for _, m := range l.months() {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(parallel)
		var mu sync.Mutex
		for _, org := range holders {
			g.Go(func() error {
				resp, err := l.ledger.GenerateDuesBills(gctx, &memberv1.GenerateDuesBillsRequest{OrganisationId: org,
					Month: m.Format("2006-01")})
				if err != nil {
					return fmt.Errorf("billing %s for %s: %w", org, m.Format("2006-01"), err)
				}
				mu.Lock()
				out.Bills += int(resp.GetGenerated())
				mu.Unlock()
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
	}
	return nil
}

// pay reads each holder's ledger of every month and pays, for each member
// who pays, the bills they owe a quarter at a time, on the 10th of the
// month after the quarter (today, for a quarter not over).
func (l *duesLoader) pay(ctx context.Context, holders []string, payers []payer, out *DuesSummary) error {
	how := map[string]payer{}
	for _, p := range payers {
		if p.id != "" {
			how[p.id] = p
		}
	}
	type owed struct{ org, member string }
	bills := map[owed][]*memberv1.DuesBill{}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for _, org := range holders {
		for _, m := range l.months() {
			g.Go(func() error {
				token := ""
				for {
					resp, err := l.ledger.ListDuesBills(gctx, &memberv1.ListDuesBillsRequest{OrganisationId: org,
						Month: m.Format("2006-01"), PageSize: 500, PageToken: token})
					if err != nil {
						return err
					}
					mu.Lock()
					for _, b := range resp.GetBills() {
						k := owed{org, b.GetMemberId()}
						bills[k] = append(bills[k], b)
					}
					mu.Unlock()
					if token = resp.GetNextPageToken(); token == "" {
						return nil
					}
				}
			})
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	thisMonth := l.first.AddDate(0, duesMonths-1, 0)
	arrears := map[string]int{}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for k, list := range bills {
		sort.Slice(list, func(i, j int) bool { return list[i].GetMonth() < list[j].GetMonth() })
		p := how[k.member]
		quarters := map[string][]string{}
		for _, b := range list {
			month, _ := time.Parse("2006-01", b.GetMonth())
			if p.stoppedAgo > 0 && !month.Before(thisMonth.AddDate(0, -p.stoppedAgo+1, 0)) {
				if b.GetOwedFen() > 0 {
					arrears[k.member] = max(arrears[k.member], p.stoppedAgo)
				}
				continue
			}
			if b.GetOwedFen() <= 0 {
				continue
			}
			q := fmt.Sprintf("%d-Q%d", month.Year(), (int(month.Month())+2)/3)
			quarters[q] = append(quarters[q], b.GetId())
		}
		for q, ids := range quarters {
			g.Go(func() error {
				year, quarter := 0, 0
				_, _ = fmt.Sscanf(q, "%d-Q%d", &year, &quarter)
				on := time.Date(year, time.Month(quarter*3+1), 10, 0, 0, 0, 0, time.UTC)
				if on.After(l.today) {
					on = l.today
				}
				_, err := l.ledger.RecordDuesPayment(gctx, &memberv1.RecordDuesPaymentRequest{OrganisationId: k.org, BillIds: ids,
					Method: memberv1.DuesPaymentMethod_DUES_PAYMENT_METHOD_CASH, PaidOn: on.Format(dateLayout),
					ReceiptNumber: fmt.Sprintf("DF-%s-%04d", q, draw(k.member+q, 10000)),
					RequestId:     requestID("dues-pay/" + strings.Join(ids, ","))})
				if err != nil {
					return fmt.Errorf("paying %s of %s: %w", q, k.member, err)
				}
				mu.Lock()
				out.Payments++
				mu.Unlock()
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return err
	}
	for _, ago := range arrears {
		out.Arrears++
		if ago > 6 {
			out.LongArrears++
		}
	}
	return nil
}
