package demo_test

import (
	"testing"
	"time"

	"gongjian.dev/deploy/local/demo"
	supv1 "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestAssessmentLoadsOnceThroughTheAPI loads Tongjiang's quarter of
// assessment and the year's commendations twice, and reads back what the
// supervision service holds: every community's list graded and ranked,
// and 11 organisations and 17 people commended and published (002); the
// second load having made nothing.
func TestAssessmentLoadsOnceThroughTheAPI(t *testing.T) {
	ctx := t.Context()
	conns := startServices(t, 4)
	orgs, members, sup := conns[0], conns[1], conns[3]
	sum, err := demo.Load(ctx, orgs, time.Now(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadMembers(ctx, members, sum, testLogger(t)); err != nil {
		t.Fatal(err)
	}
	first, err := demo.LoadAssessment(ctx, sup, members, sum, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("assessment loaded: %s", first)
	again, err := demo.LoadAssessment(ctx, sup, members, sum, testLogger(t))
	if err != nil {
		t.Fatalf("loading again: %v", err)
	}
	if again != first {
		t.Errorf("the second load found %+v, the first made %+v", again, first)
	}
	if first.Lists == 0 || first.Graded != first.Lists || first.Top < 11 || first.Organisations != 11 || first.People != 17 {
		t.Errorf("loaded %+v; want every list graded, 11 organisations and 17 people published", first)
	}
	cs, err := supv1.NewCommendationServiceClient(sup).ListCommendations(ctx, &supv1.ListCommendationsRequest{AncestorId: sum.CityID,
		State: supv1.CommendationState_COMMENDATION_STATE_PUBLISHED, PageSize: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs.GetCommendations() {
		if c.GetPublicationTitle() == "" || c.GetDecidedBy() == "" {
			t.Errorf("commendation %s published without its title or decision: %+v", c.GetId(), c)
		}
	}
	if len(cs.GetCommendations()) != 28 {
		t.Errorf("%d commendations published, want 28", len(cs.GetCommendations()))
	}
}
