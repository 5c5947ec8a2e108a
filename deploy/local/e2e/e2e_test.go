package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/otlptest"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func newTraceparent(t *testing.T) (string, string) {
	t.Helper()
	tid, sid := make([]byte, 16), make([]byte, 8)
	_, _ = rand.Read(tid)
	_, _ = rand.Read(sid)
	trace := hex.EncodeToString(tid)
	return fmt.Sprintf("00-%s-%s-01", trace, hex.EncodeToString(sid)), trace
}

func TestTheSystemAsMakeRunStartsIt(t *testing.T) {
	s := startSystem(t)
	_, setupTrace := newTraceparent(t)
	tp, _ := newTraceparent(t)
	_ = setupTrace

	city := s.create(t, tp, `{"kind":"ORGANISATION_KIND_CITY","name":"示范市委"}`)
	district := s.create(t, tp, fmt.Sprintf(`{"kind":"ORGANISATION_KIND_DISTRICT","name":"金川区委","parentId":%q}`, city["id"]))
	streetA := s.create(t, tp, fmt.Sprintf(`{"kind":"ORGANISATION_KIND_STREET","name":"新华路街道党工委","parentId":%q}`, district["id"]))
	streetB := s.create(t, tp, fmt.Sprintf(`{"kind":"ORGANISATION_KIND_STREET","name":"滨河路街道党工委","parentId":%q}`, district["id"]))
	community := s.create(t, tp, fmt.Sprintf(`{"kind":"ORGANISATION_KIND_COMMUNITY","communityForm":"COMMUNITY_FORM_GENERAL_BRANCH","name":"金山社区党总支","parentId":%q}`, streetA["id"]))
	branch := s.create(t, tp, fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","name":"金山社区第一党支部","parentId":%q}`, community["id"]))
	partyGroup := s.create(t, tp, fmt.Sprintf(`{"kind":"ORGANISATION_KIND_PARTY_GROUP","name":"第一党小组","parentId":%q}`, branch["id"]))

	moveTP, moveTrace := newTraceparent(t)
	code, moved := s.rest(t, "POST", fmt.Sprintf("/v1/organisations/%s:move", community["id"]), moveTP,
		fmt.Sprintf(`{"newParentId":%q}`, streetB["id"]))
	if code != http.StatusOK {
		t.Fatalf("move: HTTP %d %v", code, moved)
	}

	conn, err := grpc.NewClient(s.grpc, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.BearerToken(s.admin, false)))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := pb.NewOrganisationServiceClient(conn)

	t.Run("organisations created and moved over REST are read back over gRPC", func(t *testing.T) {
		resp, err := client.GetOrganisation(ctxFor(t), &pb.GetOrganisationRequest{Id: branch["id"].(string)})
		if err != nil {
			t.Fatal(err)
		}
		got := resp.GetOrganisation()
		want := []string{city["id"].(string), district["id"].(string), streetB["id"].(string), community["id"].(string)}
		if !slices.Equal(got.GetAncestorIds(), want) || got.GetDistrictId() != district["id"] {
			t.Fatalf("branch ancestors %v district %s; want %v %s", got.GetAncestorIds(), got.GetDistrictId(), want, district["id"])
		}
		list, err := client.ListOrganisations(ctxFor(t), &pb.ListOrganisationsRequest{AncestorId: streetB["id"].(string)})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range list.GetOrganisations() {
			names = append(names, o.GetName())
		}
		if !slices.Equal(names, []string{"金山社区党总支", "金山社区第一党支部", "第一党小组"}) {
			t.Fatalf("subtree of the new street: %v", names)
		}
	})

	t.Run("events reach NATS in order with the trace id of the request", func(t *testing.T) {
		nc, err := nats.Connect(s.natsURL)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx := ctxFor(t)
		cons, err := js.OrderedConsumer(ctx, "ORGANISATION", jetstream.OrderedConsumerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		var subjects []string
		var moveHeader string
		for len(subjects) < 8 {
			msg, err := cons.Next(jetstream.FetchMaxWait(30 * time.Second))
			if err != nil {
				t.Fatalf("after %v: %v", subjects, err)
			}
			subjects = append(subjects, strings.TrimPrefix(msg.Subject(), "gongjian.organisation.v1."))
			if strings.HasSuffix(msg.Subject(), "organisation_moved") {
				var ev pb.OrganisationMoved
				if err := proto.Unmarshal(msg.Data(), &ev); err != nil {
					t.Fatal(err)
				}
				if ev.GetOrganisation().GetParentId() != streetB["id"] || ev.GetOldParentId() != streetA["id"] || ev.GetSubtreeSize() != 2 {
					t.Fatalf("moved event %v", &ev)
				}
				if msg.Headers().Get(jetstream.MsgIDHeader) != ev.GetEventId() {
					t.Fatalf("Nats-Msg-Id %q, event id %q", msg.Headers().Get(jetstream.MsgIDHeader), ev.GetEventId())
				}
				carrier := propagation.HeaderCarrier(msg.Headers())
				moveHeader = carrier.Get("traceparent")
			}
		}
		want := []string{"organisation_created", "organisation_created", "organisation_created", "organisation_created",
			"organisation_created", "organisation_created", "organisation_created", "organisation_moved"}
		if !slices.Equal(subjects, want) {
			t.Fatalf("subjects %v, want %v", subjects, want)
		}
		if !strings.Contains(moveHeader, moveTrace) {
			t.Fatalf("the moved event's traceparent %q is not in the request's trace %s", moveHeader, moveTrace)
		}
	})

	t.Run("one trace covers gateway, service, SQL, publish and consume", func(t *testing.T) {
		consume(t, s)
		spans, ok := s.collector.WaitFor(60*time.Second, func(all []otlptest.Span) bool {
			return hasSpan(all, moveTrace, "e2e-consumer", "process gongjian.organisation.v1.organisation_moved")
		})
		trace := s.collector.Trace(moveTrace)
		if !ok {
			t.Fatalf("no consume span in the trace; %d spans in all, the trace has:\n%s", len(spans), describe(trace))
		}
		for _, want := range []struct{ service, name string }{
			{"gateway", "POST /v1/organisations/{id}:move"},
			{"organisation", "gongjian.organisation.v1.OrganisationService/MoveOrganisation"},
			{"organisation", "publish gongjian.organisation.v1.organisation_moved"},
			{"e2e-consumer", "process gongjian.organisation.v1.organisation_moved"},
		} {
			if !hasSpan(trace, moveTrace, want.service, want.name) {
				t.Errorf("trace %s has no span %q of %s; it has:\n%s", moveTrace, want.name, want.service, describe(trace))
			}
		}
		sql := 0
		for _, sp := range trace {
			if sp.Service == "organisation" && slices.Contains([]string{"SELECT", "INSERT", "UPDATE", "COMMIT"}, sp.Name) {
				sql++
			}
		}
		if sql == 0 {
			t.Errorf("no SQL span in the trace:\n%s", describe(trace))
		}
		assertConnected(t, trace)
	})

	t.Run("bad input gets a 4xx naming the problem and writes nothing", func(t *testing.T) {
		before := countOrganisations(t, s)
		for _, c := range []struct {
			name, method, path, body string
			code                     int
			mention                  string
		}{
			{"malformed JSON", "POST", "/v1/organisations", `{"kind":`, 400, ""},
			{"missing name", "POST", "/v1/organisations", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","parentId":%q}`, community["id"]), 400, "name"},
			{"unknown kind", "POST", "/v1/organisations", `{"kind":"ORGANISATION_KIND_PALACE","name":"x"}`, 400, ""},
			{"a branch under a party group", "POST", "/v1/organisations", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","name":"x","parentId":%q}`, partyGroup["id"]), 400, "parent_id"},
			{"an unknown parent", "POST", "/v1/organisations", `{"kind":"ORGANISATION_KIND_BRANCH","name":"x","parentId":"0190a3f0-0000-7000-8000-000000000000"}`, 400, "parent_id"},
			{"a cycle when moving", "POST", fmt.Sprintf("/v1/organisations/%s:move", community["id"]), fmt.Sprintf(`{"newParentId":%q}`, branch["id"]), 400, "new_parent_id"},
			{"an unknown id", "GET", "/v1/organisations/0190a3f0-0000-7000-8000-000000000000", "", 404, ""},
			{"an id that is not an id", "GET", "/v1/organisations/nope", "", 400, "id"},
			{"an oversized page", "GET", "/v1/organisations?kind=ORGANISATION_KIND_BRANCH&pageSize=100000", "", 400, "page_size"},
			{"dissolving with children", "POST", fmt.Sprintf("/v1/organisations/%s:dissolve", community["id"]), `{"reason":"merged"}`, 409, ""},
		} {
			code, body := s.rest(t, c.method, c.path, "", c.body)
			if code != c.code {
				t.Errorf("%s: HTTP %d %v, want %d", c.name, code, body, c.code)
				continue
			}
			if !strings.Contains(fmt.Sprint(body), c.mention) {
				t.Errorf("%s: the answer %v does not name %q", c.name, body, c.mention)
			}
		}
		if after := countOrganisations(t, s); after != before {
			t.Fatalf("refused requests changed the organisations: %d → %d", before, after)
		}
		_, err := client.CreateOrganisation(ctxFor(t), &pb.CreateOrganisationRequest{Organisation: &pb.Organisation{Kind: pb.OrganisationKind_ORGANISATION_KIND_BRANCH, ParentId: community["id"].(string)}})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "organisation.name") {
			t.Fatalf("gRPC create without a name: %v", err)
		}
	})

	t.Run("over REST, who may do what, where", func(t *testing.T) {
		districtAdmin := s.token(t, devissuer.Claims{Subject: "da", Role: auth.DistrictAdmin, ScopeOrgID: district["id"].(string)})
		otherDistrict := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_DISTRICT","name":"永昌县委","parentId":%q}`, city["id"]))
		gridLeader := s.token(t, devissuer.Claims{Subject: "gl", Role: auth.GridLeader, ScopeOrgID: community["id"].(string)})
		expired := s.token(t, devissuer.Claims{Subject: "old", Role: auth.CityAdmin, TTL: -time.Hour})
		for _, c := range []struct {
			name, token, method, path, body string
			code                            int
		}{
			{"no token", "", "GET", "/v1/organisations/" + branch["id"].(string), "", 401},
			{"an expired token", expired, "GET", "/v1/organisations/" + branch["id"].(string), "", 401},
			{"a forged token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImNpdHlfYWRtaW4ifQ.", "GET", "/v1/organisations/" + branch["id"].(string), "", 401},
			{"a district administrator in their district", districtAdmin, "GET", "/v1/organisations/" + branch["id"].(string), "", 200},
			{"a district administrator in another district", districtAdmin, "GET", "/v1/organisations/" + otherDistrict["id"].(string), "", 404},
			{"a district administrator creating in their district", districtAdmin, "POST", "/v1/organisations",
				fmt.Sprintf(`{"kind":"ORGANISATION_KIND_PARTY_GROUP","name":"第二党小组","parentId":%q}`, branch["id"]), 200},
			{"a district administrator creating in another district", districtAdmin, "POST", "/v1/organisations",
				fmt.Sprintf(`{"kind":"ORGANISATION_KIND_STREET","name":"x","parentId":%q}`, otherDistrict["id"]), 404},
			{"a grid leader creating an organisation", gridLeader, "POST", "/v1/organisations",
				fmt.Sprintf(`{"kind":"ORGANISATION_KIND_PARTY_GROUP","name":"x","parentId":%q}`, branch["id"]), 403},
			{"a grid leader recording organisation life", gridLeader, "POST", fmt.Sprintf("/v1/organisations/%s/activities", branch["id"]),
				`{"kind":"ACTIVITY_KIND_THEMED_PARTY_DAY","date":"2026-01-05","topic":"主题党日","expected":10,"attended":9}`, 200},
		} {
			if code, body := s.restAs(t, c.token, c.method, c.path, "", c.body); code != c.code {
				t.Errorf("%s: HTTP %d %v, want %d", c.name, code, body, c.code)
			}
		}
	})

	t.Run("grpcurl lists the services by reflection and calls them", func(t *testing.T) {
		services := lines(s.grpcurl(t, s.grpc, "list"))
		for _, want := range []string{"gongjian.organisation.v1.OrganisationService", "gongjian.organisation.v1.ComplianceService",
			"gongjian.organisation.v1.DemonstrationService", "grpc.health.v1.Health"} {
			if !slices.Contains(services, want) {
				t.Errorf("grpcurl list: %v lacks %s", services, want)
			}
		}
		out := s.grpcurl(t, "-d", `{"kind":"ORGANISATION_KIND_CITY"}`, s.grpc, "gongjian.organisation.v1.OrganisationService/ListOrganisations")
		if !strings.Contains(out, "示范市委") {
			t.Fatalf("grpcurl ListOrganisations: %s", out)
		}
	})
}

// consume runs an idempotent consumer of the organisation events in this
// process, exporting its spans to the collector as service e2e-consumer.
func consume(t *testing.T, s *system) {
	t.Helper()
	ctx := ctxFor(t)
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(s.collector.Endpoint()+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("e2e-consumer"))))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	if err := pgdb.Migrate(ctx, s.pgURL, "e2e_consumer", outbox.Migrations); err != nil {
		t.Fatal(err)
	}
	pool, err := pgdb.Open(ctx, s.pgURL, "e2e_consumer")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	nc, err := nats.Connect(s.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	sub, err := events.Consume(ctx, js, pool, events.ConsumerSpec{Stream: "ORGANISATION", Durable: "e2e"},
		func(context.Context, pgx.Tx, jetstream.Msg) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Stop)
}

func hasSpan(spans []otlptest.Span, trace, service, name string) bool {
	for _, s := range spans {
		if s.TraceID == trace && s.Service == service && s.Name == name {
			return true
		}
	}
	return false
}

// assertConnected checks that every span of the trace but the client's
// root hangs from another span of the trace: one tree, no orphans.
func assertConnected(t *testing.T, trace []otlptest.Span) {
	t.Helper()
	ids := map[string]bool{}
	for _, s := range trace {
		ids[s.SpanID] = true
	}
	roots := map[string]bool{}
	for _, s := range trace {
		if !ids[s.ParentID] {
			roots[s.ParentID] = true
		}
	}
	if len(roots) != 1 {
		t.Errorf("the trace has %d roots %v, want one (the client's span):\n%s", len(roots), roots, describe(trace))
	}
}

func describe(spans []otlptest.Span) string {
	var b strings.Builder
	for _, s := range spans {
		fmt.Fprintf(&b, "  %s: %s (%s ← %s)\n", s.Service, s.Name, s.SpanID, s.ParentID)
	}
	return b.String()
}

func countOrganisations(t *testing.T, s *system) int {
	t.Helper()
	conn, err := pgx.Connect(ctxFor(t), s.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctxFor(t), `SELECT count(*) FROM organisation.organisations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
