package grpcapi_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/servicetest"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/wiring"
)

// benchStreet is a district with one street of n communities, known to
// the service.
func benchStreet(b *testing.B, h *servicetest.Harness[*wiring.Built], n int) (district, street *orgv1.Organisation, comms []*orgv1.Organisation) {
	b.Helper()
	ctx := servicetest.Ctx(b)
	publish := func(parent *orgv1.Organisation, kind orgv1.OrganisationKind, name string) *orgv1.Organisation {
		o := &orgv1.Organisation{Id: uuid.NewString(), Kind: kind, Name: name, State: orgv1.OrganisationState_ORGANISATION_STATE_ACTIVE,
			FoundingDate: "2000-01-01", CreateTime: timestamppb.New(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))}
		o.UpdateTime = o.CreateTime
		if parent != nil {
			o.ParentId, o.AncestorIds, o.DistrictId = parent.GetId(), append(append([]string{}, parent.GetAncestorIds()...), parent.GetId()), parent.GetDistrictId()
			if parent.GetKind() == kindDistrict {
				o.DistrictId = parent.GetId()
			}
		}
		id := uuid.NewString()
		data, _ := proto.Marshal(&orgv1.OrganisationCreated{EventId: id, OccurTime: o.CreateTime, Organisation: o})
		if _, err := h.JS.Publish(ctx, "gongjian.organisation.v1.organisation_created", data, jetstream.WithMsgID(id)); err != nil {
			b.Fatal(err)
		}
		return o
	}
	city := publish(nil, kindCity, "City")
	district = publish(city, kindDistrict, "District")
	street = publish(district, kindStreet, "Street")
	for i := range n {
		comms = append(comms, publish(street, kindCommunity, fmt.Sprintf("Community %04d", i)))
	}
	servicetest.WaitFor(b, "the communities in the view", func() bool {
		var got int
		_ = h.Pool.QueryRow(ctx, `SELECT count(*) FROM orgs WHERE kind = 'COMMUNITY'`).Scan(&got)
		return got == n
	})
	return district, street, comms
}

// BenchmarkGradePeriod grades a street of 300 communities for one quarter:
// scores, grades, ranks, 300 results with their events and audit records,
// and the shipped rules judging them in the same transaction (every
// community scores below 60 here, so each gets a finding, an interview and
// an item). The lists are set outside the timer.
func BenchmarkGradePeriod(b *testing.B) {
	const n = 300
	clk := servicetest.NewClock(time.Date(2099, 1, 10, 9, 0, 0, 0, time.UTC))
	h := servicetest.Start(b, wiring.Spec(&wiring.Config{}), servicetest.WithStreams(orgStream, memberStream), servicetest.WithClock(clk.Now))
	district, street, comms := benchStreet(b, h, n)
	admin := pb.NewAssessmentServiceClient(h.As(districtAdmin(district)))
	for i := range b.N {
		b.StopTimer()
		period := fmt.Sprintf("%d-Q%d", 2001+i/4, 1+i%4)
		for _, o := range comms {
			if _, err := admin.CreateTaskList(servicetest.Ctx(b), &pb.CreateTaskListRequest{TaskList: twoTasks(o, period)}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		rs, err := admin.GradePeriod(servicetest.Ctx(b), &pb.GradePeriodRequest{DistrictId: district.GetId(), Period: period})
		if err != nil || len(rs.GetResults()) != n {
			b.Fatalf("%d results, %v", len(rs.GetResults()), err)
		}
	}
	b.StopTimer()
	dash := pb.NewDashboardServiceClient(h.As(districtAdmin(district)))
	start := time.Now()
	d, err := dash.GetDashboard(servicetest.Ctx(b), &pb.GetDashboardRequest{OrganisationId: street.GetId()})
	if err != nil || len(d.GetRankings()) != n {
		b.Fatalf("the dashboard's rankings: %d, %v", len(d.GetRankings()), err)
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "dashboard-ms")
}
