package orgview_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/pgdb"
	"gongjian.dev/pkg/pgtest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestTheViewFollowsTheTreeAndIgnoresOlderEvents: a subtree moved takes its
// organisations along, the hook sees the new path, an older update
// delivered late changes nothing, and Within answers by the view.
func TestTheViewFollowsTheTreeAndIgnoresOlderEvents(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t, "viewtest", orgview.Migrations)
	tree := orgview.Tree{Pool: pool}
	id := func() string { return uuid.NewString() }
	city, d1, d2, street, branch := id(), id(), id(), id(), id()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	apply := func(r orgview.Record, at time.Time) {
		t.Helper()
		if err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return orgview.Apply(ctx, tx, r, at) }); err != nil {
			t.Fatal(err)
		}
	}
	apply(orgview.Record{ID: city, Kind: "CITY", State: "ACTIVE", Name: "city"}, t0)
	apply(orgview.Record{ID: d1, Kind: "DISTRICT", State: "ACTIVE", Name: "d1", AncestorIDs: []string{city}}, t0)
	apply(orgview.Record{ID: d2, Kind: "DISTRICT", State: "ACTIVE", Name: "d2", AncestorIDs: []string{city}}, t0)
	apply(orgview.Record{ID: street, Kind: "STREET", State: "ACTIVE", Name: "s", DistrictID: d1, AncestorIDs: []string{city, d1}}, t0)
	apply(orgview.Record{ID: branch, Kind: "BRANCH", State: "ACTIVE", Name: "b", DistrictID: d1, AncestorIDs: []string{city, d1, street}}, t0)

	var hooked string
	err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
		return orgview.ApplyMove(ctx, tx, orgview.Record{ID: street, Kind: "STREET", State: "ACTIVE", Name: "s",
			DistrictID: d2, AncestorIDs: []string{city, d2}}, t0.Add(time.Hour), func(_ context.Context, _ pgx.Tx, p string) error {
			hooked = p
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/" + city + "/" + d2 + "/" + street + "/"; hooked != want {
		t.Errorf("hook saw %q, want %q", hooked, want)
	}
	for _, c := range []struct {
		org, root string
		want      bool
	}{{branch, d2, true}, {branch, d1, false}, {street, street, true}, {branch, city, true}, {"not-an-id", city, false}} {
		if got, err := tree.Within(ctx, c.org, c.root); err != nil || got != c.want {
			t.Errorf("Within(%s, %s) = %v, %v; want %v", c.org, c.root, got, err, c.want)
		}
	}
	var district string
	if err := pool.QueryRow(ctx, `SELECT district_id::text FROM orgs WHERE id = $1`, branch).Scan(&district); err != nil || district != d2 {
		t.Errorf("the branch's district is %s (%v), want the new one", district, err)
	}
	apply(orgview.Record{ID: street, Kind: "STREET", State: "DISSOLVED", Name: "old", DistrictID: d1, AncestorIDs: []string{city, d1}}, t0.Add(time.Minute))
	var state string
	if err := pool.QueryRow(ctx, `SELECT state FROM orgs WHERE id = $1`, street).Scan(&state); err != nil || state != "ACTIVE" {
		t.Errorf("an older event changed the view: state %s (%v)", state, err)
	}
}

// msg is an organisation event as the consumer delivers it.
type msg struct {
	jetstream.Msg
	subject string
	data    []byte
}

func (m msg) Subject() string { return m.subject }
func (m msg) Data() []byte    { return m.data }

// TestEventsDeliveredOutOfOrderLeaveTheTreeAsItIs, through the handler: a
// street moved to another district and renamed after, the rename delivered
// first, stands in the new district with its branch (the rename carries
// the street's new ancestors), and the move delivered late changes
// nothing; a branch created under the street before the move, its creation
// delivered after the move, sits under the street where the street now is,
// not where the event's ancestors put it.
func TestEventsDeliveredOutOfOrderLeaveTheTreeAsItIs(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.Pool(t, "viewtest_order", orgview.Migrations)
	tree := orgview.Tree{Pool: pool}
	id := func() string { return uuid.NewString() }
	city, d1, d2, street, branch, late := id(), id(), id(), id(), id(), id()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var hooked []string
	handle := orgview.Handler(slog.New(slog.DiscardHandler), func(_ context.Context, _ pgx.Tx, p string) error {
		hooked = append(hooked, p)
		return nil
	})
	org := func(id, parent string, kind orgv1.OrganisationKind, name, district string, ancestors ...string) *orgv1.Organisation {
		return &orgv1.Organisation{Id: id, ParentId: parent, Kind: kind, State: orgv1.OrganisationState_ORGANISATION_STATE_ACTIVE,
			Name: name, DistrictId: district, AncestorIds: ancestors}
	}
	deliver := func(subject string, ev proto.Message) {
		t.Helper()
		data, err := proto.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return handle(ctx, tx, msg{subject: subject, data: data}) }); err != nil {
			t.Fatal(err)
		}
	}
	created := func(o *orgv1.Organisation, at time.Time) {
		t.Helper()
		deliver(orgview.SubjectCreated, &orgv1.OrganisationCreated{OccurTime: timestamppb.New(at), Organisation: o})
	}
	created(org(city, "", orgv1.OrganisationKind_ORGANISATION_KIND_CITY, "city", ""), t0)
	created(org(d1, city, orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT, "d1", d1, city), t0)
	created(org(d2, city, orgv1.OrganisationKind_ORGANISATION_KIND_DISTRICT, "d2", d2, city), t0)
	created(org(street, d1, orgv1.OrganisationKind_ORGANISATION_KIND_STREET, "s", d1, city, d1), t0)
	created(org(branch, street, orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH, "b", d1, city, d1, street), t0)

	// The rename, committed after the move, arrives first; the move late.
	deliver(orgview.SubjectUpdated, &orgv1.OrganisationUpdated{OccurTime: timestamppb.New(t0.Add(2 * time.Hour)),
		Organisation: org(street, d2, orgv1.OrganisationKind_ORGANISATION_KIND_STREET, "s, renamed", d2, city, d2)})
	deliver(orgview.SubjectMoved, &orgv1.OrganisationMoved{OccurTime: timestamppb.New(t0.Add(time.Hour)),
		Organisation: org(street, d2, orgv1.OrganisationKind_ORGANISATION_KIND_STREET, "s", d2, city, d2)})
	// The branch was created under the street before the move; its event
	// arrives last, naming the street's old district among its ancestors.
	created(org(late, street, orgv1.OrganisationKind_ORGANISATION_KIND_BRANCH, "late", d1, city, d1, street), t0.Add(time.Minute))

	want := "/" + city + "/" + d2 + "/" + street + "/"
	if len(hooked) != 1 || hooked[0] != want {
		t.Errorf("the hook saw %q, want once %q", hooked, want)
	}
	for _, c := range []struct {
		org, root string
		want      bool
	}{{street, d2, true}, {branch, d2, true}, {late, d2, true}, {street, d1, false}, {branch, d1, false}, {late, d1, false}} {
		if got, err := tree.Within(ctx, c.org, c.root); err != nil || got != c.want {
			t.Errorf("Within(%s, %s) = %v, %v; want %v", c.org, c.root, got, err, c.want)
		}
	}
	for _, o := range []string{street, branch, late} {
		var district, name string
		if err := pool.QueryRow(ctx, `SELECT district_id::text, name FROM orgs WHERE id = $1`, o).Scan(&district, &name); err != nil || district != d2 {
			t.Errorf("%s (%s) is in district %s (%v), want the new one", o, name, district, err)
		}
	}
	var name string
	if err := pool.QueryRow(ctx, `SELECT name FROM orgs WHERE id = $1`, street).Scan(&name); err != nil || name != "s, renamed" {
		t.Errorf("the street is named %q (%v): the late move undid the rename", name, err)
	}
}
