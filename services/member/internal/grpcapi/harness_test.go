package grpcapi_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/domain"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/store"
	"gongjian.dev/services/member/internal/wiring"
)

// Generous bounds for things that normally take milliseconds.
const (
	eventually = servicetest.Eventually
	callLimit  = servicetest.CallLimit
)

// The streams: the member service's own, and the organisation service's,
// on which the tests publish as that service would.
var (
	memberStream = wiring.Stream
	orgStream    = events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// harness is the member service as it runs in production (servicetest.Start
// with the service's own Spec): its own database, a NATS server with both
// streams, the outbox relay, the consumer of the organisation events, and
// the gRPC server with its interceptors, reached over an in-memory
// connection by a real client.
type harness struct {
	as      func(devissuer.Claims) *grpc.ClientConn
	members pb.MemberServiceClient
	// transfers is the transfer service as a city administrator.
	transfers pb.TransferServiceClient
	// categories is the category service as a city administrator.
	categories pb.CategoryServiceClient
	pool       *pgxpool.Pool
	js         jetstream.JetStream
	stream     jetstream.Stream
	// svc and st are the service's domain and store, for what a test does
	// beside the API (a sweep, a second replica).
	svc *domain.Services
	st  *store.Store
}

// withLogs sends the service's log lines to logs, as JSON.
var withLogs = servicetest.WithLogs

// newHarness starts the service for one test, with the options of
// servicetest (a clock, a time zone, logs).
func newHarness(t *testing.T, opts ...servicetest.Option) *harness {
	t.Helper()
	s := servicetest.Start(t, wiring.Spec(testConfig()), append([]servicetest.Option{servicetest.WithStreams(orgStream)}, opts...)...)
	return &harness{as: s.As, members: pb.NewMemberServiceClient(s.As(cityAdmin)), transfers: pb.NewTransferServiceClient(s.As(cityAdmin)),
		categories: pb.NewCategoryServiceClient(s.As(cityAdmin)), pool: s.Pool, js: s.JS, stream: s.Stream,
		svc: s.Service.Domain, st: s.Service.Store}
}

// testConfig is the service's configuration with keys of the test's own.
func testConfig() *wiring.Config {
	return &wiring.Config{IDKeys: "v1:" + idcrypt.NewKey(), IDHashKey: idcrypt.NewKey(), SweepInterval: time.Minute}
}

// benchHarness is the service over loopback on a durable database of its
// own, its logs dropped, for benchmarks.
func benchHarness(b *testing.B) *servicetest.Harness[*wiring.Built] {
	b.Helper()
	spec := wiring.Spec(testConfig())
	return servicetest.Start(b, spec, servicetest.WithPool(servicetest.DurablePool(b, spec)), servicetest.WithStreams(orgStream),
		servicetest.Loopback(), servicetest.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
}

// cityAdmin is the caller of the tests that are not about access.
var cityAdmin = servicetest.CityAdmin

func callContext(t *testing.T) context.Context { return servicetest.Ctx(t) }

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	servicetest.WaitFor(t, what, cond)
}

// The organisation service, as far as the member service sees it: the
// tests publish its events.

// org is an organisation as the organisation service would describe it.
func org(parent *orgv1.Organisation, kind orgv1.OrganisationKind, name string) *orgv1.Organisation {
	o := &orgv1.Organisation{Id: member.NewID(), Kind: kind, Name: name, State: orgv1.OrganisationState_ORGANISATION_STATE_ACTIVE}
	if parent != nil {
		place(o, parent)
	}
	return o
}

// place puts o under parent, deriving its ancestors and district.
func place(o, parent *orgv1.Organisation) {
	o.ParentId = parent.GetId()
	o.AncestorIds = append(slices.Clone(parent.GetAncestorIds()), parent.GetId())
	o.DistrictId = parent.GetDistrictId()
	if parent.GetKind() == kindDistrict {
		o.DistrictId = parent.GetId()
	}
}

const (
	kindCity       = orgv1.OrganisationKind_ORGANISATION_KIND_CITY
	kindDistrict   = orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT
	kindStreet     = orgv1.OrganisationKind_ORGANISATION_KIND_STREET
	kindCommunity  = orgv1.OrganisationKind_ORGANISATION_KIND_COMMUNITY
	kindBranch     = orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH
	kindPartyGroup = orgv1.OrganisationKind_ORGANISATION_KIND_PARTY_GROUP
)

// publish publishes an organisation event as the organisation service's
// outbox relay would: its event id as Nats-Msg-Id.
func (h *harness) publish(t *testing.T, subject string, ev proto.Message, id string) {
	t.Helper()
	data, err := proto.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.js.Publish(callContext(t), subject, data, jetstream.WithMsgID(id)); err != nil {
		t.Fatalf("publish %s: %v", subject, err)
	}
}

func (h *harness) created(t *testing.T, o *orgv1.Organisation) *orgv1.Organisation {
	t.Helper()
	id := member.NewID()
	h.publish(t, orgview.SubjectCreated, &orgv1.OrganisationCreated{EventId: id, OccurTime: timestamppb.Now(), Organisation: o}, id)
	return o
}

// waitView waits until the local view holds every organisation in ids.
func (h *harness) waitView(t *testing.T, ids ...string) {
	t.Helper()
	waitFor(t, "the organisation view", func() bool {
		var n int
		_ = h.pool.QueryRow(callContext(t), `SELECT count(*) FROM orgs WHERE id = ANY($1::uuid[])`, ids).Scan(&n)
		return n == len(ids)
	})
}

// tree is a city with two districts, each with a street and a community
// with a branch, and a party group under the first branch.
type tree struct {
	city, district, street, community, branch, group *orgv1.Organisation
	otherDistrict, otherStreet, otherCommunity       *orgv1.Organisation
}

func (h *harness) tree(t *testing.T) *tree {
	t.Helper()
	var tr tree
	tr.city = h.created(t, org(nil, kindCity, "Jinchang Municipal Party Committee"))
	tr.district = h.created(t, org(tr.city, kindDistrict, "Jinchuan District Committee"))
	tr.street = h.created(t, org(tr.district, kindStreet, "Binhe Road Street Working Committee"))
	tr.community = h.created(t, org(tr.street, kindCommunity, "Guangzhou Road Community Party Committee"))
	tr.branch = h.created(t, org(tr.community, kindBranch, "First Branch of Guangzhou Road Community"))
	tr.group = h.created(t, org(tr.branch, kindPartyGroup, "Building 3 Party Group"))
	tr.otherDistrict = h.created(t, org(tr.city, kindDistrict, "Yongchang County Committee"))
	tr.otherStreet = h.created(t, org(tr.otherDistrict, kindStreet, "Chengguan Town Committee"))
	tr.otherCommunity = h.created(t, org(tr.otherStreet, kindCommunity, "Beihai Community Party Committee"))
	h.waitView(t, tr.city.GetId(), tr.district.GetId(), tr.street.GetId(), tr.community.GetId(), tr.branch.GetId(),
		tr.group.GetId(), tr.otherDistrict.GetId(), tr.otherStreet.GetId(), tr.otherCommunity.GetId())
	return &tr
}

// National ID numbers: the tests make valid ones by computing the check
// character, each with its own sequence number.
var (
	seqMu sync.Mutex
	seq   = 100
)

func nationalID(region, birth string) string {
	seqMu.Lock()
	seq++
	s := seq
	seqMu.Unlock()
	first := fmt.Sprintf("%s%s%03d", region, birth, s%1000)
	return first + string(member.CheckCharacter(first))
}

// person is a member to register in orgID, born 1980-01-15.
func person(orgID, name string) *pb.Member {
	return &pb.Member{
		Name: name, Sex: pb.Sex_SEX_FEMALE, BirthDate: "1980-01-15", NationalId: nationalID("610102", "19800115"),
		Phone: "13800000000", Education: pb.Education_EDUCATION_COLLEGE, JoinDate: "2005-07-01",
		Status: pb.MemberStatus_MEMBER_STATUS_FULL, EmploymentStatus: pb.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED,
		OrganisationId: orgID, Skills: []string{"mediation"},
	}
}

func (h *harness) register(t *testing.T, m *pb.Member) *pb.Member {
	t.Helper()
	resp, err := h.members.CreateMember(callContext(t), &pb.CreateMemberRequest{Member: m})
	if err != nil {
		t.Fatalf("register %s: %v", m.GetName(), err)
	}
	return resp.GetMember()
}

func (h *harness) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := h.pool.QueryRow(callContext(t), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// refusal is what a client learns from a refused call.
type refusal struct {
	Code   codes.Code
	Fields []string
}

func refusalOf(err error) refusal {
	r := servicetest.RefusalOf(err)
	return refusal{Code: r.Code, Fields: r.Fields}
}

// memberEvents returns the payloads of the member stream, decoded.
func (h *harness) memberEvents(t *testing.T) []proto.Message {
	t.Helper()
	var out []proto.Message
	for _, e := range servicetest.Events(t, h.stream) {
		out = append(out, e.Payload)
	}
	return out
}

// counts are the member counts the stream reported, per organisation, in order.
func counts(evs []proto.Message) map[string][]int64 {
	out := map[string][]int64{}
	for _, e := range evs {
		if c, ok := e.(*pb.OrganisationMemberCountChanged); ok {
			out[c.GetOrganisationId()] = append(out[c.GetOrganisationId()], c.GetMemberCount())
		}
	}
	return out
}

func cloneOrg(o *orgv1.Organisation) *orgv1.Organisation { return proto.Clone(o).(*orgv1.Organisation) }
