package wiring_test

import (
	"testing"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/orgview"
	"gongjian.dev/pkg/pgtest"
	"gongjian.dev/pkg/servicetest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/cobuilding/internal/wiring"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var orgStream = events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}

// TestTheServiceKeepsItsViewOfTheTree: the service starts from its Spec
// with its stream, and its consumer puts an organisation the organisation
// service announced into the local view.
func TestTheServiceKeepsItsViewOfTheTree(t *testing.T) {
	t.Parallel()
	h := servicetest.Start(t, wiring.Spec(&wiring.Config{}), servicetest.WithStreams(orgStream))
	if info, err := h.Stream.Info(servicetest.Ctx(t)); err != nil || info.Config.Name != "COBUILDING" {
		t.Fatalf("stream %v, %v", info, err)
	}
	city := &orgv1.Organisation{Id: uuid.NewString(), Kind: orgv1.OrganisationKind_ORGANISATION_KIND_CITY, Name: "Tongjiang",
		State: orgv1.OrganisationState_ORGANISATION_STATE_ACTIVE}
	id := uuid.NewString()
	data, err := proto.Marshal(&orgv1.OrganisationCreated{EventId: id, OccurTime: timestamppb.Now(), Organisation: city})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.JS.Publish(servicetest.Ctx(t), orgview.SubjectCreated, data); err != nil {
		t.Fatal(err)
	}
	servicetest.WaitFor(t, "the organisation in the view", func() bool {
		ok, err := h.Service.Store.Within(servicetest.Ctx(t), city.GetId(), city.GetId())
		return err == nil && ok
	})
}
