package grpcapi_test

import (
	"context"
	"errors"
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

	"gongjian.dev/pkg/audit"
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
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/organisation/internal/grpcapi"
	"gongjian.dev/services/organisation/internal/org"
	"gongjian.dev/services/organisation/internal/store"
)

// Generous bounds for things that normally take milliseconds.
const (
	eventually = 20 * time.Second
	tick       = 5 * time.Millisecond
	callLimit  = 20 * time.Second
)

// stream is the stream the service publishes on, as the service declares it.
var stream = events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}

func TestMain(m *testing.M) { pgtest.Main(m) }

// harness is the organisation service as it runs in production, wired the
// way its main wires it: its own database, a NATS server with the stream,
// the outbox relay, and the gRPC server with its interceptors, reached over
// an in-memory connection by a real client.
//
// Each test gets its own NATS server rather than sharing one per package: an
// embedded server starts in milliseconds, its store lives in the test's
// temporary directory and is shut down with the test, and every event in
// the stream is then one the test caused.
type harness struct {
	// as connects as the caller a token describes.
	as            func(devissuer.Claims) *grpc.ClientConn
	org           pb.OrganisationServiceClient
	demonstration pb.DemonstrationServiceClient
	compliance    pb.ComplianceServiceClient
	pool          *pgxpool.Pool
	stream        jetstream.Stream
}

type harnessOptions struct {
	clock func() time.Time
	logs  *logtest.Buffer
}

// withLogs sends the service's log lines to logs, as JSON.
func withLogs(logs *logtest.Buffer) func(*harnessOptions) {
	return func(o *harnessOptions) { o.logs = logs }
}

// newHarness starts the service for one test; everything stops when the test ends.
func newHarness(t *testing.T, opts ...func(*harnessOptions)) *harness {
	t.Helper()
	var o harnessOptions
	for _, opt := range opts {
		opt(&o)
	}
	log := testLogger(t)
	if o.logs != nil {
		log = slog.New(slog.NewJSONHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	pool := pgtest.Pool(t, store.Schema, store.AllMigrations...)
	js, st := startNATS(t)
	runRelay(t, pool, js, log)
	db := store.New(pool)
	as := serveFor(t, log, grpcapi.New(org.NewService(db, o.clock, nil), pool), db)
	conn := as(cityAdmin)
	return &harness{
		as:            as,
		org:           pb.NewOrganisationServiceClient(conn),
		demonstration: pb.NewDemonstrationServiceClient(conn),
		compliance:    pb.NewComplianceServiceClient(conn),
		pool:          pool,
		stream:        st,
	}
}

// withClock makes the service read the time from now.
func withClock(now func() time.Time) func(*harnessOptions) {
	return func(o *harnessOptions) { o.clock = now }
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
	if err := events.EnsureStream(ctx, js, stream); err != nil {
		t.Fatal(err)
	}
	st, err := js.Stream(ctx, stream.Name)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	return js, st
}

// runRelay publishes the outbox of pool until the test ends.
func runRelay(t *testing.T, pool *pgxpool.Pool, js jetstream.JetStream, log *slog.Logger) {
	t.Helper()
	relay := outbox.NewRelay(pool, js, outbox.RelayOptions{Logger: log, LockKey: 0x6f72676f7574})
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

// serve runs the gRPC server over an in-memory listener and returns a
// client connection to it.
func serve(t *testing.T, log *slog.Logger, api *grpcapi.API, st *store.Store) *grpc.ClientConn {
	t.Helper()
	return serveFor(t, log, api, st)(cityAdmin)
}

// cityAdmin is the caller of the tests that are not about access: the city
// organisation department, which may do everything everywhere.
var cityAdmin = devissuer.Claims{Subject: "city-admin", Name: "City Admin", Role: auth.CityAdmin}

// serveFor runs the gRPC server as the service's main wires it, with
// authentication and authorisation in front, over an in-memory listener,
// and returns a function that connects as the caller a token describes.
func serveFor(t *testing.T, log *slog.Logger, api *grpcapi.API, st *store.Store) func(devissuer.Claims) *grpc.ClientConn {
	t.Helper()
	verifier := authtest.Verifier(t)
	policy := grpcapi.Policy(st)
	srv, err := grpcserver.New(log, grpcserver.Options{
		AuthUnary: []grpc.UnaryServerInterceptor{auth.UnaryInterceptor(verifier, auth.OpenMethods),
			authz.UnaryInterceptor(policy, st, auth.OpenMethods)},
	})
	if err != nil {
		t.Fatalf("grpc server: %v", err)
	}
	pb.RegisterOrganisationServiceServer(srv, api)
	pb.RegisterDemonstrationServiceServer(srv, api)
	pb.RegisterComplianceServiceServer(srv, api)
	auditv1.RegisterAuditServiceServer(srv, audit.NewService(st.Pool()))
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
			token, err := authtest.Issuer(t).Issue(c)
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			opts = append(opts, grpc.WithPerRPCCredentials(auth.BearerToken(token, false)))
		}
		conn, err := grpc.NewClient("passthrough:///organisation", opts...)
		if err != nil {
			t.Fatalf("grpc client: %v", err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		return conn
	}
}

// callContext bounds one step of a test.
func callContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), callLimit)
	t.Cleanup(cancel)
	return ctx
}

// create creates an organisation and fails the test if it is refused.
func (h *harness) create(t *testing.T, o *pb.Organisation) *pb.Organisation {
	t.Helper()
	resp, err := h.org.CreateOrganisation(callContext(t), &pb.CreateOrganisationRequest{Organisation: o})
	if err != nil {
		t.Fatalf("create %s %q: %v", o.GetKind(), o.GetName(), err)
	}
	return resp.GetOrganisation()
}

func (h *harness) get(t *testing.T, id string) *pb.Organisation {
	t.Helper()
	resp, err := h.org.GetOrganisation(callContext(t), &pb.GetOrganisationRequest{Id: id})
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	return resp.GetOrganisation()
}

func (h *harness) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := h.pool.QueryRow(callContext(t), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func (h *harness) recordMembers(t *testing.T, id string, n int64) {
	t.Helper()
	_, err := h.compliance.RecordMemberCount(callContext(t), &pb.RecordMemberCountRequest{OrganisationId: id, MemberCount: n})
	if err != nil {
		t.Fatalf("record %d members in %s: %v", n, id, err)
	}
}

// Constructors of the organisations the tests build, named as in the
// documents' cities.

func city(name string) *pb.Organisation {
	return &pb.Organisation{Kind: pb.OrganisationKind_ORGANISATION_KIND_CITY, Name: name}
}

func child(parent *pb.Organisation, kind pb.OrganisationKind, name string) *pb.Organisation {
	return &pb.Organisation{ParentId: parent.GetId(), Kind: kind, Name: name}
}

func community(parent *pb.Organisation, name string, form pb.CommunityForm) *pb.Organisation {
	o := child(parent, pb.OrganisationKind_ORGANISATION_KIND_COMMUNITY, name)
	o.CommunityForm = form
	return o
}

const (
	kindDistrict   = pb.OrganisationKind_ORGANISATION_KIND_DISTRICT
	kindStreet     = pb.OrganisationKind_ORGANISATION_KIND_STREET
	kindBranch     = pb.OrganisationKind_ORGANISATION_KIND_BRANCH
	kindPartyGroup = pb.OrganisationKind_ORGANISATION_KIND_PARTY_GROUP
	kindGrid       = pb.OrganisationKind_ORGANISATION_KIND_GRID
)

// tree is a city with two districts, a street in each and a community with
// a branch in the first.
type tree struct {
	city, district, street, community, branch *pb.Organisation
	otherDistrict, otherStreet                *pb.Organisation
}

func (h *harness) tree(t *testing.T) *tree {
	t.Helper()
	var tr tree
	tr.city = h.create(t, city("Jinchang Municipal Party Committee"))
	tr.district = h.create(t, child(tr.city, kindDistrict, "Jinchuan District Committee"))
	tr.street = h.create(t, child(tr.district, kindStreet, "Binhe Road Street Working Committee"))
	tr.community = h.create(t, community(tr.street, "Guangzhou Road Community Party Committee", pb.CommunityForm_COMMUNITY_FORM_COMMITTEE))
	tr.branch = h.create(t, child(tr.community, kindBranch, "First Branch of Guangzhou Road Community"))
	tr.otherDistrict = h.create(t, child(tr.city, kindDistrict, "Yongchang County Committee"))
	tr.otherStreet = h.create(t, child(tr.otherDistrict, kindStreet, "Chengguan Town Committee"))
	return &tr
}

// refusal is what a client learns from a refused call: the code, the fields
// named in BadRequest and the machine-readable reason of ErrorInfo.
type refusal struct {
	Code   codes.Code
	Fields []string
	Reason string
}

func refusalOf(err error) refusal {
	st := status.Convert(err)
	r := refusal{Code: st.Code()}
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				r.Fields = append(r.Fields, v.GetField())
			}
		case *errdetails.ErrorInfo:
			r.Reason = d.GetReason()
		}
	}
	slices.Sort(r.Fields)
	return r
}

// event is one message of the stream, decoded by its subject.
type event struct {
	Subject   string
	MsgID     string
	EventType string
	Payload   proto.Message
}

var payloads = map[string]func() proto.Message{
	"gongjian.organisation.v1.organisation_created":       func() proto.Message { return &pb.OrganisationCreated{} },
	"gongjian.organisation.v1.organisation_updated":       func() proto.Message { return &pb.OrganisationUpdated{} },
	"gongjian.organisation.v1.organisation_moved":         func() proto.Message { return &pb.OrganisationMoved{} },
	"gongjian.organisation.v1.organisation_dissolved":     func() proto.Message { return &pb.OrganisationDissolved{} },
	"gongjian.organisation.v1.activity_recorded":          func() proto.Message { return &pb.ActivityRecorded{} },
	"gongjian.organisation.v1.coverage_point_changed":     func() proto.Message { return &pb.CoveragePointChanged{} },
	"gongjian.organisation.v1.demonstration_site_changed": func() proto.Message { return &pb.DemonstrationSiteChanged{} },
	"gongjian.organisation.v1.liaison_changed":            func() proto.Message { return &pb.LiaisonChanged{} },
	"gongjian.organisation.v1.district_settings_updated":  func() proto.Message { return &pb.DistrictSettingsUpdated{} },
	"gongjian.organisation.v1.member_count_recorded":      func() proto.Message { return &pb.MemberCountRecorded{} },
}

// events returns every message of the test's stream, in stream order.
func (h *harness) events(ctx context.Context, t *testing.T) []event {
	t.Helper()
	info, err := h.stream.Info(ctx)
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	var out []event
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := h.stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		newPayload, ok := payloads[m.Subject]
		if !ok {
			t.Fatalf("message %d on unexpected subject %s", seq, m.Subject)
		}
		p := newPayload()
		if err := proto.Unmarshal(m.Data, p); err != nil {
			t.Fatalf("message %d on %s: %v", seq, m.Subject, err)
		}
		out = append(out, event{Subject: m.Subject, MsgID: m.Header.Get(jetstream.MsgIDHeader),
			EventType: m.Header.Get(outbox.EventTypeHeader), Payload: p})
	}
	return out
}

// eventsUntil waits until the stream's events satisfy done, and returns them.
func (h *harness) eventsUntil(t *testing.T, what string, done func([]event) bool) []event {
	t.Helper()
	ctx := callContext(t)
	deadline := time.Now().Add(eventually)
	for {
		evs := h.events(ctx, t)
		if done(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; the stream holds %d events", what, len(evs))
		}
		time.Sleep(tick)
	}
}

// subjectOrganisation is the organisation an event is about: the community
// of a coverage point, site or liaison, the district of its settings.
func subjectOrganisation(e event) string {
	switch p := e.Payload.(type) {
	case *pb.OrganisationCreated:
		return p.GetOrganisation().GetId()
	case *pb.OrganisationUpdated:
		return p.GetOrganisation().GetId()
	case *pb.OrganisationMoved:
		return p.GetOrganisation().GetId()
	case *pb.OrganisationDissolved:
		return p.GetOrganisation().GetId()
	case *pb.ActivityRecorded:
		return p.GetActivity().GetOrganisationId()
	case *pb.CoveragePointChanged:
		return p.GetCoveragePoint().GetCommunityId()
	case *pb.DemonstrationSiteChanged:
		return p.GetSite().GetCommunityId()
	case *pb.LiaisonChanged:
		return p.GetLiaison().GetCommunityId()
	case *pb.DistrictSettingsUpdated:
		return p.GetSettings().GetDistrictId()
	case *pb.MemberCountRecorded:
		return p.GetOrganisationId()
	}
	return ""
}

// eventID is the event_id field of an event's payload.
func eventID(e event) string {
	type withID interface{ GetEventId() string }
	if p, ok := e.Payload.(withID); ok {
		return p.GetEventId()
	}
	return ""
}

// clock is a settable clock for tests that need the service to live on
// given days; each reading moves it on by a millisecond, so that two
// changes never share an instant.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.t) {
		panic(errors.New("clock set backwards"))
	}
	c.t = t
}

func testLogger(t *testing.T) *slog.Logger { return logtest.New(t) }

func cloneOrg(o *pb.Organisation) *pb.Organisation { return proto.Clone(o).(*pb.Organisation) }
