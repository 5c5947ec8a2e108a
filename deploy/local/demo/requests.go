package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"

	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
)

// Tongjiang's residents' requests of the convenience service (便民服务):
// about 460 across its nine communities, unevenly, of every kind and
// through every channel, in every state a request passes — received and
// waiting, assigned, accepted (some with progress), answered, rated,
// closed — the micro-wishes and claim-and-handle requests claimed by a
// party member, a volunteer team or a unit, the others dispatched to the
// community or a unit. The service stamps a request received when it is
// recorded and each step when it is taken, so they all fall in this
// month, within their time limits: the API gives no earlier time, and the
// limits are passed only as hours go by after the load.
const (
	coRequests       = 460
	coRequestsStream = coSeedStream + 2
)

var (
	coRequestKinds = []cobuildingv1.ServiceRequestKind{
		cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY, cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_CLAIM_AND_HANDLE,
		cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_HANDLE_ON_BEHALF, cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_HOME_VISIT,
		cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_MICRO_WISH,
	}
	coRequestChannels = []cobuildingv1.ServiceRequestChannel{
		cobuildingv1.ServiceRequestChannel_SERVICE_REQUEST_CHANNEL_COUNTER, cobuildingv1.ServiceRequestChannel_SERVICE_REQUEST_CHANNEL_PHONE,
		cobuildingv1.ServiceRequestChannel_SERVICE_REQUEST_CHANNEL_WECHAT, cobuildingv1.ServiceRequestChannel_SERVICE_REQUEST_CHANNEL_GRID_WORKER,
	}
	coRequestTitles = map[cobuildingv1.ServiceRequestKind][]string{
		cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_ENQUIRY:          {"咨询医保报销流程", "咨询老年证办理", "咨询低保申请条件", "咨询居住证办理"},
		cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_CLAIM_AND_HANDLE: {"楼道灯损坏请求维修", "单元门禁失灵", "小区健身器材松动", "楼下垃圾堆放需清理"},
		cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_HANDLE_ON_BEHALF: {"代办高龄津贴申领", "代办残疾人证年审", "代缴取暖费", "代办养老资格认证"},
		cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_HOME_VISIT:       {"独居老人上门理发", "行动不便老人上门测血压", "上门更换水龙头", "上门清理下水道"},
		cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_MICRO_WISH:       {"想要一套小学课外读物", "想要一副老花镜", "想要一个助行器", "想学用智能手机挂号"},
	}
)

// RequestsSummary says what the residents' requests of the load are,
// read back from the service.
type RequestsSummary struct {
	// Requests were recorded; the others count them by state.
	Requests, Received, Assigned, Accepted, Answered, Rated, Closed int
	// Claimed by a member, a team or a unit.
	Claimed int
	// Month is this month, in which the requests count; the rates are
	// Tongjiang's total in it, Communities how many communities have
	// requests.
	Month                                                  string
	Communities                                            int
	ResponseRate, OnTimeRate, ResolutionRate, Satisfaction float64
}

// String describes the requests in one line.
func (s RequestsSummary) String() string {
	return fmt.Sprintf("%d residents' requests in %d communities in %s (%d received, %d assigned, %d accepted, %d answered, %d rated, %d closed; "+
		"%d claimed), response %.0f%%, on time %.0f%%, resolved %.0f%%, satisfied %.0f%%",
		s.Requests, s.Communities, s.Month, s.Received, s.Assigned, s.Accepted, s.Answered, s.Rated, s.Closed, s.Claimed,
		100*s.ResponseRate, 100*s.OnTimeRate, 100*s.ResolutionRate, 100*s.Satisfaction)
}

// coRequest is a request of the plan and how far it goes.
type coRequest struct {
	key       string
	community *node
	kind      cobuildingv1.ServiceRequestKind
	channel   cobuildingv1.ServiceRequestChannel
	title     string
	resident  string
	phone     string
	target    cobuildingv1.ServiceRequestState
	progress  bool
	resolved  bool
	rating    cobuildingv1.Satisfaction
	// claimBy is who claims a claimable request: 0 a member, 1 a team,
	// 2 a unit; a request dispatched goes to the community (0) or a unit.
	claimBy int
}

// drawRequests draws the requests: the communities weighted one to five,
// the states in the shares a month of a hotline shows.
func (cp *coPlan) drawRequests(r *rand.Rand, p *people) []*coRequest {
	pick := weighted(r, len(cp.communities), 5)
	var out []*coRequest
	for i := range coRequests {
		c := cp.communities[pick()]
		kind := coRequestKinds[i%len(coRequestKinds)]
		titles := coRequestTitles[kind]
		q := &coRequest{key: fmt.Sprintf("cob/request%d", i+1), community: c, kind: kind,
			channel: coRequestChannels[r.IntN(len(coRequestChannels))], title: titles[r.IntN(len(titles))],
			resident: p.anyone(), phone: p.phone(), progress: r.IntN(2) == 0, resolved: r.IntN(10) < 9, claimBy: r.IntN(3)}
		switch n := r.IntN(100); {
		case n < 8:
			q.target = cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_RECEIVED
		case n < 15:
			q.target = cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ASSIGNED
		case n < 27:
			q.target = cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ACCEPTED
		case n < 40:
			q.target = cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ANSWERED
		case n < 72:
			q.target = cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_RATED
		default:
			q.target = cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_CLOSED
		}
		if q.claimable() && q.target == cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ASSIGNED {
			q.target = cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ACCEPTED // claimed: assigned and accepted at once
		}
		switch n := r.IntN(100); {
		case n < 82:
			q.rating = cobuildingv1.Satisfaction_SATISFACTION_SATISFIED
		case n < 94:
			q.rating = cobuildingv1.Satisfaction_SATISFACTION_BASICALLY_SATISFIED
		default:
			q.rating = cobuildingv1.Satisfaction_SATISFACTION_DISSATISFIED
		}
		if !q.resolved && r.IntN(2) == 0 {
			q.rating = cobuildingv1.Satisfaction_SATISFACTION_DISSATISFIED
		}
		out = append(out, q)
	}
	return out
}

func (q *coRequest) claimable() bool {
	return q.kind == cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_MICRO_WISH ||
		q.kind == cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_CLAIM_AND_HANDLE
}

// requestLoader loads the requests after the units, their members and
// the volunteer teams.
type requestLoader struct {
	requests cobuildingv1.ServiceRequestServiceClient
	teams    map[*node][]*cobuildingv1.VolunteerTeam
	plan     *coPlan
}

// loadRequests records the requests and takes each as far as the plan
// says, skipping the steps an earlier load took; the figures are read
// back from the service.
func (l *coLoader) loadRequests(ctx context.Context, conn grpc.ClientConnInterface, out *CoBuildingSummary) error {
	r := rand.New(rand.NewPCG(memberSeed, coRequestsStream))
	plan := l.plan.drawRequests(r, &people{r: r, today: l.plan.yesterday})
	s := &requestLoader{requests: cobuildingv1.NewServiceRequestServiceClient(conn), teams: map[*node][]*cobuildingv1.VolunteerTeam{}, plan: l.plan}
	teams := cobuildingv1.NewVolunteerTeamServiceClient(conn)
	for _, c := range l.plan.communities {
		resp, err := teams.ListVolunteerTeams(ctx, &cobuildingv1.ListVolunteerTeamsRequest{CommunityId: c.id, PageSize: 100})
		if err != nil {
			return fmt.Errorf("volunteer teams of %s: %w", c.org.GetName(), err)
		}
		s.teams[c] = resp.GetVolunteerTeams()
	}
	if err := each(ctx, plan, s.load); err != nil {
		return err
	}
	return s.readBack(ctx, out)
}

// handler is who handles q: for a claimable request a member of a unit of
// its community, one of its community's teams or a unit; for the others
// the community or a unit.
func (s *requestLoader) handler(q *coRequest, n int) *cobuildingv1.Handler {
	units := s.plan.unitsOf(q.community)
	var unit *coUnit
	if len(units) > 0 {
		unit = units[n%len(units)]
	}
	switch {
	case !q.claimable() && (q.claimBy == 0 || unit == nil):
		return &cobuildingv1.Handler{Kind: cobuildingv1.HandlerKind_HANDLER_KIND_ORGANISATION, Id: q.community.id, Name: q.community.org.GetName()}
	case q.claimable() && q.claimBy == 0 && unit != nil && len(unit.inService) > 0:
		return &cobuildingv1.Handler{Kind: cobuildingv1.HandlerKind_HANDLER_KIND_MEMBER, Id: unit.inService[n%len(unit.inService)], Name: unit.name + "在职党员"}
	case q.claimable() && q.claimBy != 2 && len(s.teams[q.community]) > 0:
		t := s.teams[q.community][n%len(s.teams[q.community])]
		return &cobuildingv1.Handler{Kind: cobuildingv1.HandlerKind_HANDLER_KIND_VOLUNTEER_TEAM, Id: t.GetId(), Name: t.GetName()}
	case unit != nil:
		return &cobuildingv1.Handler{Kind: cobuildingv1.HandlerKind_HANDLER_KIND_UNIT, Id: unit.id, Name: unit.name}
	}
	return &cobuildingv1.Handler{Kind: cobuildingv1.HandlerKind_HANDLER_KIND_ORGANISATION, Id: q.community.id, Name: q.community.org.GetName()}
}

// load records q and takes it from the state it is in to its target.
func (s *requestLoader) load(ctx context.Context, q *coRequest) error {
	resp, err := s.requests.CreateServiceRequest(ctx, &cobuildingv1.CreateServiceRequestRequest{RequestId: requestID(q.key),
		ServiceRequest: &cobuildingv1.ServiceRequest{CommunityId: q.community.id, Kind: q.kind, Channel: q.channel, Title: q.title,
			Content: "居民反映：" + q.title + "，请社区协调解决。", ResidentName: q.resident, ResidentPhone: q.phone,
			Address: shortName(q.community) + "辖区居民楼"}})
	if err != nil {
		return fmt.Errorf("request %s: %w", q.key, err)
	}
	sr := resp.GetServiceRequest()
	id, n := sr.GetId(), len(q.key)+int(q.channel)
	for sr.GetState() < q.target { // the states are numbered in the order a request passes them
		var next interface {
			GetServiceRequest() *cobuildingv1.ServiceRequest
		}
		switch sr.GetState() {
		case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_RECEIVED:
			if q.claimable() {
				next, err = s.requests.ClaimServiceRequest(ctx, &cobuildingv1.ClaimServiceRequestRequest{Id: id, Handler: s.handler(q, n)})
			} else {
				next, err = s.requests.AssignServiceRequest(ctx, &cobuildingv1.AssignServiceRequestRequest{Id: id, Handler: s.handler(q, n)})
			}
		case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ASSIGNED:
			next, err = s.requests.AcceptServiceRequest(ctx, &cobuildingv1.AcceptServiceRequestRequest{Id: id})
		case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ACCEPTED:
			if q.progress && len(sr.GetProgress()) == 0 {
				next, err = s.requests.RecordServiceRequestProgress(ctx, &cobuildingv1.RecordServiceRequestProgressRequest{Id: id,
					Note: "已联系居民，约定时间上门核实情况"})
				break
			}
			answer := "已办结：" + q.title
			if !q.resolved {
				answer = "已向居民说明情况，该事项需上级部门统筹解决，已转报"
			}
			next, err = s.requests.AnswerServiceRequest(ctx, &cobuildingv1.AnswerServiceRequestRequest{Id: id, Answer: answer, Resolved: q.resolved})
		case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ANSWERED:
			if q.target == cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_CLOSED && q.rating == cobuildingv1.Satisfaction_SATISFACTION_BASICALLY_SATISFIED {
				// closed without a rating: the resident gave none
				next, err = s.requests.CloseServiceRequest(ctx, &cobuildingv1.CloseServiceRequestRequest{Id: id})
				break
			}
			next, err = s.requests.RateServiceRequest(ctx, &cobuildingv1.RateServiceRequestRequest{Id: id, Satisfaction: q.rating,
				Comment: map[bool]string{true: "办得及时，谢谢社区", false: "问题还没有解决"}[q.rating != cobuildingv1.Satisfaction_SATISFACTION_DISSATISFIED]})
		case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_RATED:
			next, err = s.requests.CloseServiceRequest(ctx, &cobuildingv1.CloseServiceRequestRequest{Id: id})
		default:
			return fmt.Errorf("request %s: in state %s, want %s", q.key, sr.GetState(), q.target)
		}
		if err != nil {
			return fmt.Errorf("request %s from %s: %w", q.key, sr.GetState(), err)
		}
		sr = next.GetServiceRequest()
	}
	if q.target == cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ACCEPTED && q.progress && len(sr.GetProgress()) == 0 {
		if _, err := s.requests.RecordServiceRequestProgress(ctx, &cobuildingv1.RecordServiceRequestProgressRequest{Id: id,
			Note: "已联系居民，约定时间上门核实情况"}); err != nil {
			return fmt.Errorf("request %s progress: %w", q.key, err)
		}
	}
	return nil
}

// readBack counts Tongjiang's requests by state and reads its rates of
// this month.
func (s *requestLoader) readBack(ctx context.Context, out *CoBuildingSummary) error {
	sum := &out.Requests
	for token := ""; ; {
		resp, err := s.requests.ListServiceRequests(ctx, &cobuildingv1.ListServiceRequestsRequest{AncestorId: s.plan.district.id, PageSize: 500, PageToken: token})
		if err != nil {
			return err
		}
		for _, q := range resp.GetServiceRequests() {
			sum.Requests++
			switch q.GetState() {
			case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_RECEIVED:
				sum.Received++
			case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ASSIGNED:
				sum.Assigned++
			case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ACCEPTED:
				sum.Accepted++
			case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_ANSWERED:
				sum.Answered++
			case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_RATED:
				sum.Rated++
			case cobuildingv1.ServiceRequestState_SERVICE_REQUEST_STATE_CLOSED:
				sum.Closed++
			}
			if k := q.GetHandler().GetKind(); k == cobuildingv1.HandlerKind_HANDLER_KIND_MEMBER || k == cobuildingv1.HandlerKind_HANDLER_KIND_VOLUNTEER_TEAM ||
				(k == cobuildingv1.HandlerKind_HANDLER_KIND_UNIT && (q.GetKind() == cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_MICRO_WISH ||
					q.GetKind() == cobuildingv1.ServiceRequestKind_SERVICE_REQUEST_KIND_CLAIM_AND_HANDLE)) {
				sum.Claimed++
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	loc, err := time.LoadLocation(cityZone)
	if err != nil {
		return err
	}
	rates, err := s.requests.GetServiceRequestRates(ctx, &cobuildingv1.GetServiceRequestRatesRequest{OrganisationId: s.plan.district.id,
		Month: time.Now().In(loc).Format("2006-01")})
	if err != nil {
		return fmt.Errorf("rates: %w", err)
	}
	t := rates.GetTotal()
	sum.Month, sum.Communities = rates.GetMonth(), len(rates.GetCommunities())
	sum.ResponseRate, sum.OnTimeRate, sum.ResolutionRate, sum.Satisfaction = t.GetResponseRate(), t.GetOnTimeRate(), t.GetResolutionRate(), t.GetSatisfactionRate()
	return nil
}
