package demo_test

import (
	"testing"
	"time"

	"gongjian.dev/deploy/local/demo"
	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// TestDuesLoadOnceThroughTheAPI loads the city, its members and a year of
// Jinchang's party dues twice: the second load bills and pays nothing new,
// and the district's arrears, read back through the API, are the members
// the load left owing.
func TestDuesLoadOnceThroughTheAPI(t *testing.T) {
	ctx := t.Context()
	conn, members := startSystem(t)
	sum, err := demo.Load(ctx, conn, time.Now(), testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.LoadMembers(ctx, members, sum, testLogger(t)); err != nil {
		t.Fatal(err)
	}
	first, err := demo.LoadDues(ctx, members, sum, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dues: %s", first)
	if first.Declared < 1900 || first.Bills < 12*1900 || first.Payments == 0 || first.Arrears == 0 || first.LongArrears == 0 ||
		first.Arrears > first.Declared/5 {
		t.Errorf("the demo's dues are not what it promises: %+v", first)
	}
	again, err := demo.LoadDues(ctx, members, sum, testLogger(t))
	if err != nil {
		t.Fatalf("loading again: %v", err)
	}
	if again.Bills != 0 || again.Payments != 0 || again.Declared != first.Declared || again.Arrears != first.Arrears {
		t.Errorf("the second load found %+v, the first made %+v", again, first)
	}

	ledger := memberv1.NewDuesLedgerServiceClient(members)
	owing := 0
	req := &memberv1.ListDuesArrearsRequest{OrganisationId: sum.CityID, Subtree: true, PageSize: 500}
	for {
		resp, err := ledger.ListDuesArrears(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range resp.GetArrears() {
			if len(a.GetMonths()) == 0 || a.GetOwedFen() <= 0 {
				t.Errorf("arrears without a month owed: %v", a)
			}
			owing++
		}
		if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
			break
		}
	}
	if owing != first.Arrears {
		t.Errorf("the city's arrears list %d members, the load left %d owing", owing, first.Arrears)
	}
}
