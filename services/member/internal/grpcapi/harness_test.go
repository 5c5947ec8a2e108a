package grpcapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/grpcserver"
	"gongjian.dev/pkg/logtest"
	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgtest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/grpcapi"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/orgview"
	"gongjian.dev/services/member/internal/store"
)

// Generous bounds for things that normally take milliseconds.
const (
	eventually = 20 * time.Second
	tick       = 5 * time.Millisecond
	callLimit  = 20 * time.Second
)

// The streams: the member service's own, and the organisation service's,
// on which the tests publish as that service would.
var (
	memberStream = events.StreamSpec{Name: "MEMBER", Subjects: []string{"gongjian.member.v1.>"}}
	orgStream    = events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// harness is the member service as its main wires it: its own database, a
// NATS server with both streams, the outbox relay, the consumer of the
// organisation events, and the gRPC server with its interceptors, reached
// over an in-memory connection by a real client.
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
}

type harnessOptions struct{ logs *logtest.Buffer }

// withLogs sends the service's log lines to logs, as JSON.
func withLogs(logs *logtest.Buffer) func(*harnessOptions) {
	return func(o *harnessOptions) { o.logs = logs }
}

func newHarness(t *testing.T, opts ...func(*harnessOptions)) *harness {
	t.Helper()
	var o harnessOptions
	for _, opt := range opts {
		opt(&o)
	}
	log := logtest.New(t)
	if o.logs != nil {
		log = slog.New(slog.NewJSONHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	pool := pgtest.Pool(t, store.Schema, store.AllMigrations...)
	js, st := startNATS(t)
	runRelay(t, pool, js, log)
	view := orgview.Consumer
	view.Logger = log
	sub, err := events.Consume(callContext(t), js, pool, view, orgview.Apply(log))
	if err != nil {
		t.Fatalf("consume organisation events: %v", err)
	}
	t.Cleanup(sub.Stop)
	db := store.New(pool, testSealer(t))
	svc := member.NewService(db, nil, nil)
	as := serveFor(t, log, svc, db)
	return &harness{as: as, members: pb.NewMemberServiceClient(as(cityAdmin)), transfers: pb.NewTransferServiceClient(as(cityAdmin)),
		categories: pb.NewCategoryServiceClient(as(cityAdmin)), pool: pool, js: js, stream: st}
}

func testSealer(t *testing.T) *idcrypt.Sealer {
	t.Helper()
	s, err := idcrypt.New("v1:"+idcrypt.NewKey(), idcrypt.NewKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startNATS(t *testing.T) (jetstream.JetStream, jetstream.Stream) {
	t.Helper()
	srv, err := natsembed.Start(natsembed.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatalf("start NATS: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.URL(), nats.ReconnectBufSize(-1))
	if err != nil {
		t.Fatalf("connect to NATS: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("JetStream: %v", err)
	}
	ctx := callContext(t)
	for _, spec := range []events.StreamSpec{memberStream, orgStream} {
		if err := events.EnsureStream(ctx, js, spec); err != nil {
			t.Fatal(err)
		}
	}
	st, err := js.Stream(ctx, memberStream.Name)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	return js, st
}

func runRelay(t *testing.T, pool *pgxpool.Pool, js jetstream.JetStream, log *slog.Logger) {
	t.Helper()
	relay := outbox.NewRelay(pool, js, outbox.RelayOptions{Logger: log, LockKey: 0x6d656d6f7574})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- relay.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay: %v", err)
		}
	})
}

// cityAdmin is the caller of the tests that are not about access.
var cityAdmin = devissuer.Claims{Subject: "city-admin", Name: "City Admin", Role: auth.CityAdmin}

// serveFor runs the gRPC server as main wires it and returns a function
// that connects as the caller a token describes.
func serveFor(t *testing.T, log *slog.Logger, svc *member.Service, st *store.Store) func(devissuer.Claims) *grpc.ClientConn {
	t.Helper()
	verifier := authtest.Verifier(t)
	policy := grpcapi.Policy(st)
	srv, err := grpcserver.New(log, grpcserver.Options{
		AuthUnary: []grpc.UnaryServerInterceptor{auth.UnaryInterceptor(verifier, auth.OpenMethods),
			grpcapi.UnaryInterceptor(policy, st, auth.OpenMethods)},
		AuthStream: []grpc.StreamServerInterceptor{auth.StreamInterceptor(verifier, auth.OpenMethods),
			authz.StreamInterceptor(policy, st, auth.OpenMethods)},
		ServerOptions: []grpc.ServerOption{grpc.MaxRecvMsgSize(grpcapi.MaxMessage)},
	})
	if err != nil {
		t.Fatalf("grpc server: %v", err)
	}
	grpcapi.Register(srv, svc, st)
	if missing := authz.Uncovered(srv.GetServiceInfo(), policy, auth.OpenMethods); len(missing) > 0 {
		t.Fatalf("RPCs without an access rule: %v", missing)
	}
	lis := bufconn.Listen(1 << 20)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, lis, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("grpc server: %v", err)
		}
	})
	return func(c devissuer.Claims) *grpc.ClientConn {
		t.Helper()
		opts := []grpc.DialOption{
			grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
			grpc.WithTransportCredentials(insecure.NewCredentials()),
		}
		if c.Role != "" {
			if c.Subject == "" {
				c.Subject = string(c.Role) + "-1"
			}
			token, err := authtest.Issuer(t).Issue(c)
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			opts = append(opts, grpc.WithPerRPCCredentials(auth.BearerToken(token, false)))
		}
		conn, err := grpc.NewClient("passthrough:///member", opts...)
		if err != nil {
			t.Fatalf("grpc client: %v", err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
}

func callContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), callLimit)
	t.Cleanup(cancel)
	return ctx
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(eventually)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(tick)
	}
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
		OrganisationId: orgID, Skills: []string{"mediation"}, StarRating: 4,
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
	st := status.Convert(err)
	r := refusal{Code: st.Code()}
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				r.Fields = append(r.Fields, v.GetField())
			}
		}
	}
	slices.Sort(r.Fields)
	return r
}

// memberEvents returns the payloads of the member stream, decoded by subject.
func (h *harness) memberEvents(t *testing.T) []proto.Message {
	t.Helper()
	ctx := callContext(t)
	info, err := h.stream.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var out []proto.Message
	for s := info.State.FirstSeq; info.State.Msgs > 0 && s <= info.State.LastSeq; s++ {
		m, err := h.stream.GetMsg(ctx, s)
		if err != nil {
			t.Fatalf("message %d: %v", s, err)
		}
		var p proto.Message
		switch m.Subject {
		case "gongjian.member.v1.member_registered":
			p = &pb.MemberRegistered{}
		case "gongjian.member.v1.member_updated":
			p = &pb.MemberUpdated{}
		case "gongjian.member.v1.member_left":
			p = &pb.MemberLeft{}
		case "gongjian.member.v1.organisation_member_count_changed":
			p = &pb.OrganisationMemberCountChanged{}
		case "gongjian.member.v1.member_category_changed":
			p = &pb.MemberCategoryChanged{}
		case "gongjian.member.v1.transfer_requested":
			p = &pb.TransferRequested{}
		case "gongjian.member.v1.transfer_confirmed":
			p = &pb.TransferConfirmed{}
		case "gongjian.member.v1.transfer_released":
			p = &pb.TransferReleased{}
		case "gongjian.member.v1.transfer_received":
			p = &pb.TransferReceived{}
		case "gongjian.member.v1.transfer_rejected":
			p = &pb.TransferRejected{}
		case "gongjian.member.v1.transfer_withdrawn":
			p = &pb.TransferWithdrawn{}
		case "gongjian.member.v1.transfer_completed", "gongjian.member.v1.transfer_suspended",
			"gongjian.member.v1.transfer_resumed", "gongjian.member.v1.transfer_expired",
			"gongjian.member.v1.transfer_flagged_for_review", "gongjian.member.v1.transfer_review_recorded":
			p = transferRuleEvent(m.Subject)
		default:
			t.Fatalf("message on unexpected subject %s", m.Subject)
		}
		if err := proto.Unmarshal(m.Data, p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
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
