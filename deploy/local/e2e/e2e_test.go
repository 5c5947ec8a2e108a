package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"syscall"
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
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
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
		wants := []struct{ service, name string }{
			{"gateway", "POST /v1/organisations/{id}:move"},
			{"organisation", "gongjian.organisation.v1.OrganisationService/MoveOrganisation"},
			{"organisation", "publish gongjian.organisation.v1.organisation_moved"},
			{"e2e-consumer", "process gongjian.organisation.v1.organisation_moved"},
		}
		complete := func(all []otlptest.Span) bool {
			for _, w := range wants {
				if !hasSpan(all, moveTrace, w.service, w.name) {
					return false
				}
			}
			return sqlSpans(all, moveTrace) > 0 && len(rootsOf(all, moveTrace)) == 1
		}
		// Each process exports in its own batches: wait for all of them.
		all, ok := s.collector.WaitFor(60*time.Second, complete)
		trace := spansOf(all, moveTrace) // as complete saw it: a later export may add a child before its parent
		if !ok {
			for _, w := range wants {
				if !hasSpan(trace, moveTrace, w.service, w.name) {
					t.Errorf("trace %s has no span %q of %s", moveTrace, w.name, w.service)
				}
			}
			if sqlSpans(trace, moveTrace) == 0 {
				t.Errorf("trace %s has no SQL span", moveTrace)
			}
			t.Fatalf("the trace has:\n%s", describe(trace))
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

	t.Run("careless and hostile input is refused with the status it deserves", func(t *testing.T) {
		inputHygiene(t, s, branch["id"].(string))
	})

	t.Run("a member is transferred to another district by the three parties", func(t *testing.T) {
		transferAcrossDistricts(t, s, city["id"].(string), district["id"].(string), branch["id"].(string))
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

	// Last: it kills a service.
	t.Run("a killed service is restarted while the others keep serving", func(t *testing.T) {
		member, organisation := s.pid(t, "member"), s.pid(t, "organisation")
		if member == 0 || organisation == 0 {
			t.Fatalf("pid files: member %d, organisation %d", member, organisation)
		}
		if err := syscall.Kill(member, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if code, out := s.rest(t, "GET", "/v1/organisations?kind=ORGANISATION_KIND_CITY", "", ""); code != http.StatusOK {
			t.Errorf("organisations while the member service is down: HTTP %d %v", code, out)
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			restarted := s.pid(t, "member")
			code, _ := s.rest(t, "GET", "/v1/members:count", "", "")
			if restarted != 0 && restarted != member && code == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the member service is not back (pid %d, members:count HTTP %d)\n%s", restarted, code, tailLines(s.output.String(), 30))
			}
			time.Sleep(100 * time.Millisecond)
		}
		if got := s.pid(t, "organisation"); got != organisation {
			t.Errorf("organisation pid %d → %d: the member service's death disturbed it", organisation, got)
		}
		if out := s.output.String(); !strings.Contains(out, "member exited on its own (signal: killed)") || !strings.Contains(out, "restart 1 in 1s") {
			t.Errorf("the launcher did not log the death and the restart:\n%s", tailLines(out, 30))
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			t.Fatalf("the launcher exited: %v", err)
		default:
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

// sqlSpans counts the organisation service's SQL spans in a trace.
func sqlSpans(spans []otlptest.Span, trace string) int {
	return sqlSpansOf(spans, trace, "organisation")
}

// sqlSpansOf counts one service's SQL spans in a trace.
func sqlSpansOf(spans []otlptest.Span, trace, service string) int {
	n := 0
	for _, sp := range spans {
		if sp.TraceID == trace && sp.Service == service && slices.Contains([]string{"SELECT", "INSERT", "UPDATE", "COMMIT"}, sp.Name) {
			n++
		}
	}
	return n
}

// spanWant is a span a trace must have: its service and name.
type spanWant struct{ service, name string }

// wantOneTrace waits until the trace has every span of wants and one root
// (the client's), and fails naming what is missing, or a second root.
func wantOneTrace(t *testing.T, s *system, trace string, wants []spanWant) {
	t.Helper()
	complete := func(all []otlptest.Span) bool {
		for _, w := range wants {
			if !hasSpan(all, trace, w.service, w.name) {
				return false
			}
		}
		return len(rootsOf(all, trace)) == 1
	}
	all, ok := s.collector.WaitFor(60*time.Second, complete)
	assertConnected(t, spansOf(all, trace))
	if !ok {
		spans := spansOf(all, trace)
		for _, w := range wants {
			if !hasSpan(spans, trace, w.service, w.name) {
				t.Errorf("trace %s has no span %q of %s", trace, w.name, w.service)
			}
		}
		t.Fatalf("the trace has:\n%s", describe(spans))
	}
}

func hasSpan(spans []otlptest.Span, trace, service, name string) bool {
	for _, s := range spans {
		if s.TraceID == trace && s.Service == service && s.Name == name {
			return true
		}
	}
	return false
}

// rootsOf are the parents that the spans of a trace ("" for spans already
// cut to one) hang from but that are not in it. Each process exports its
// spans in batches, a parent after its children: a trace is complete once
// the client's span is its only root.
func rootsOf(spans []otlptest.Span, trace string) map[string]bool {
	ids := map[string]bool{}
	for _, s := range spans {
		if trace == "" || s.TraceID == trace {
			ids[s.SpanID] = true
		}
	}
	roots := map[string]bool{}
	for _, s := range spans {
		if (trace == "" || s.TraceID == trace) && !ids[s.ParentID] {
			roots[s.ParentID] = true
		}
	}
	return roots
}

// spansOf are the spans of one trace.
func spansOf(spans []otlptest.Span, trace string) []otlptest.Span {
	var out []otlptest.Span
	for _, s := range spans {
		if s.TraceID == trace {
			out = append(out, s)
		}
	}
	return out
}

// assertConnected checks that every span of the trace but the client's
// root hangs from another span of the trace: one tree, no orphans.
func assertConnected(t *testing.T, trace []otlptest.Span) {
	t.Helper()
	if roots := rootsOf(trace, ""); len(roots) != 1 {
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

// transferAcrossDistricts registers a member over REST in a branch of one
// district and transfers them to a branch of another: the sending district
// administrator requests and releases, the member confirms, the receiving
// district administrator receives, each with their own token. The
// organisation service's member counts of both branches follow, and the
// transfer's steps are on the MEMBER stream.
func transferAcrossDistricts(t *testing.T, s *system, cityID, districtID, branchID string) {
	otherDistrict := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_DISTRICT","name":"永昌县委","parentId":%q}`, cityID))
	otherStreet := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_STREET","name":"城关镇党委","parentId":%q}`, otherDistrict["id"]))
	otherCommunity := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_COMMUNITY","communityForm":"COMMUNITY_FORM_GENERAL_BRANCH","name":"北海社区党总支","parentId":%q}`, otherStreet["id"]))
	target := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","name":"北海社区第一党支部","parentId":%q}`, otherCommunity["id"]))
	targetID := target["id"].(string)
	sender := s.token(t, devissuer.Claims{Subject: "da-jinchuan", Role: auth.DistrictAdmin, ScopeOrgID: districtID})
	receiver := s.token(t, devissuer.Claims{Subject: "da-yongchang", Role: auth.DistrictAdmin, ScopeOrgID: otherDistrict["id"].(string)})

	// The member service learns of the new organisations from their events.
	var m map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, out := s.restAs(t, sender, "POST", "/v1/members", "", fmt.Sprintf(`{"name":"王芳","sex":"SEX_FEMALE",
			"birthDate":"1980-01-15","nationalId":%q,"joinDate":"2005-07-01","status":"MEMBER_STATUS_FULL","organisationId":%q}`,
			e2eNationalID(), branchID))
		if code == http.StatusOK {
			m = out["member"].(map[string]any)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("register the member: HTTP %d %v", code, out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	memberID := m["id"].(string)
	self := s.token(t, devissuer.Claims{Subject: "wang-fang", Role: auth.Member, MemberID: memberID})
	ctx := ctxFor(t)
	// step takes one step of the transfer over REST as one of the parties.
	step := func(token, verb, id, etag, traceparent string) (int, map[string]any) {
		return s.restAs(t, token, "POST", "/v1/transfers/"+id+":"+verb, traceparent, fmt.Sprintf(`{"etag":%q}`, etag))
	}
	transferOf := func(what string, code int, out map[string]any) map[string]any {
		t.Helper()
		tf, ok := out["transfer"].(map[string]any)
		if code != http.StatusOK || !ok {
			t.Fatalf("%s: HTTP %d %v", what, code, out)
		}
		return tf
	}
	var tf map[string]any
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		code, out := s.restAs(t, sender, "POST", "/v1/transfers", "",
			fmt.Sprintf(`{"memberId":%q,"toOrganisationId":%q,"reason":"迁居永昌"}`, memberID, targetID))
		if code == http.StatusOK {
			tf = transferOf("request", code, out)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("request the transfer: HTTP %d %v", code, out)
		}
	}
	id := tf["id"].(string)
	// Each party takes only its own step: the others are answered as if
	// the transfer did not exist, or refused for their role.
	if code, out := step(receiver, "confirm", id, tf["etag"].(string), ""); code != http.StatusNotFound {
		t.Errorf("the receiving side confirms for the member: HTTP %d %v", code, out)
	}
	code, out := step(self, "confirm", id, tf["etag"].(string), "")
	conf := transferOf("the member confirms", code, out)
	if code, out := step(receiver, "release", id, conf["etag"].(string), ""); code != http.StatusNotFound {
		t.Errorf("the receiving side releases: HTTP %d %v", code, out)
	}
	if code, out := step(self, "release", id, conf["etag"].(string), ""); code != http.StatusForbidden {
		t.Errorf("the member releases their own letter: HTTP %d %v", code, out)
	}
	code, out = step(sender, "release", id, conf["etag"].(string), "")
	rel := transferOf("the sender releases", code, out)
	if code, out := step(sender, "receive", id, rel["etag"].(string), ""); code != http.StatusNotFound {
		t.Errorf("the sending side receives: HTTP %d %v", code, out)
	}
	if code, out := step(sender, "confirm", id, rel["etag"].(string), ""); code != http.StatusConflict && code != http.StatusBadRequest {
		t.Errorf("a stale step replayed: HTTP %d %v", code, out)
	}
	receiveParent, receiveTrace := newTraceparent(t)
	code, out = step(receiver, "receive", id, rel["etag"].(string), receiveParent)
	done := transferOf("the receiver receives", code, out)
	if done["state"] != "TRANSFER_STATE_COMPLETED" {
		t.Fatalf("transfer: %v", done)
	}
	if code, out := s.restAs(t, receiver, "GET", "/v1/members/"+memberID, "", ""); code != http.StatusOK ||
		out["member"].(map[string]any)["organisationId"] != targetID {
		t.Errorf("the member after the receipt: HTTP %d %v", code, out)
	}

	countOf := func(id string) string {
		_, out := s.rest(t, "GET", "/v1/organisations/"+id, "", "")
		o, _ := out["organisation"].(map[string]any)
		c, _ := o["memberCount"].(string) // int64 is a JSON string
		return c
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		from, to := countOf(branchID), countOf(targetID)
		if (from == "" || from == "0") && to == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("member counts: sending %q, receiving %q", from, to)
		}
	}

	nc, err := nats.Connect(s.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, "MEMBER")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, step := range []string{"requested", "confirmed", "released", "received"} {
		want["gongjian.member.v1.transfer_"+step] = false
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		info, err := stream.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
			msg, err := stream.GetMsg(ctx, seq)
			if err != nil {
				continue
			}
			if _, ok := want[msg.Subject]; !ok {
				continue
			}
			var ev memberv1.TransferReceived // every transfer event has the transfer as field 3
			if err := proto.Unmarshal(msg.Data, &ev); err == nil && ev.GetTransfer().GetId() == id {
				want[msg.Subject] = true
			}
		}
		all := true
		for _, seen := range want {
			all = all && seen
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transfer events on the MEMBER stream: %v", want)
		}
	}

	// The receipt is one trace across both services: the gateway, the
	// member service's call, its SQL and its publishing of the new counts,
	// and the organisation service consuming them.
	wants := []struct{ service, name string }{
		{"gateway", "POST /v1/transfers/{id}:receive"},
		{"member", "gongjian.member.v1.TransferService/ReceiveTransfer"},
		{"member", "publish gongjian.member.v1.organisation_member_count_changed"},
		{"organisation", "process gongjian.member.v1.organisation_member_count_changed"},
	}
	complete := func(all []otlptest.Span) bool {
		for _, w := range wants {
			if !hasSpan(all, receiveTrace, w.service, w.name) {
				return false
			}
		}
		return sqlSpansOf(all, receiveTrace, "member") > 0 && sqlSpansOf(all, receiveTrace, "organisation") > 0 &&
			len(rootsOf(all, receiveTrace)) == 1
	}
	all, ok := s.collector.WaitFor(60*time.Second, complete)
	trace := spansOf(all, receiveTrace) // as complete saw it
	if !ok {
		for _, w := range wants {
			if !hasSpan(trace, receiveTrace, w.service, w.name) {
				t.Errorf("trace %s has no span %q of %s", receiveTrace, w.name, w.service)
			}
		}
		t.Fatalf("the trace has:\n%s", describe(trace))
	}
	assertConnected(t, trace)
}

// e2eNationalID is a valid national ID number born 1980-01-15.
func e2eNationalID() string {
	first := "61010219800115" + fmt.Sprintf("%03d", time.Now().UnixNano()%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range first {
		sum += int(c-'0') * weights[i]
	}
	return first + string("10X98765432"[sum%11])
}
