package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/propagation"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	supervisionv1 "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
)

// TestSupervisionFromAMissedQuarterToAWithdrawnStar runs, in one trace,
// what supervision does with the other services as make run starts them:
// a community that held no concentrated activity last quarter is found by
// the sweep → QuarterlyActivityMissed on NATS → a rectification item →
// the secretary records the activity in the organisation service and
// submits the evidence over REST → the inspector of a group covering the
// community closes it; and the six-months rule withdraws a member's star
// in the member service over gRPC, with the service's own token, the
// member's history saying why.
func TestSupervisionFromAMissedQuarterToAWithdrawnStar(t *testing.T) {
	s := startSystem(t)
	tp, trace := newTraceparent(t)
	city := s.create(t, "", `{"kind":"ORGANISATION_KIND_CITY","name":"同江市委"}`)
	district := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_DISTRICT","name":"同江区委","parentId":%q}`, city["id"]))
	street := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_STREET","name":"街道党工委","parentId":%q}`, district["id"]))
	community := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_COMMUNITY","communityForm":"COMMUNITY_FORM_GENERAL_BRANCH",
		"name":"向阳社区党总支","parentId":%q,"foundingDate":"2020-01-01"}`, street["id"]))
	branch := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","name":"向阳社区第一党支部","parentId":%q,"foundingDate":"2020-01-01"}`, community["id"]))
	districtID, communityID, branchID := district["id"].(string), community["id"].(string), branch["id"].(string)
	admin := s.token(t, devissuer.Claims{Subject: "e2e-district-admin", Role: auth.DistrictAdmin, ScopeOrgID: districtID})
	secretary := s.token(t, devissuer.Claims{Subject: "e2e-secretary", Role: auth.CommunitySecretary, ScopeOrgID: communityID})
	inspector := s.token(t, devissuer.Claims{Subject: "e2e-inspector", Role: auth.Inspector})

	// The rules as the district runs them: no grace period, so that the
	// last quarter is judged whatever today is; the six-months rule on.
	rules := map[string]string{}
	_, out := s.rest(t, "GET", "/v1/rules", "", "")
	for _, r := range out["rules"].([]any) {
		r := r.(map[string]any)
		rules[r["code"].(string)] = r["id"].(string)
	}
	eventually(t, "the supervision service to know the district", func() (bool, string) {
		code, out := s.restAs(t, admin, "PUT", "/v1/rules/"+rules["quarterly_activity_missed"]+"/overrides/"+districtID, "", `{"params":{"grace_days":0}}`)
		return code == http.StatusOK, fmt.Sprint(code, out)
	})
	if code, out := s.restAs(t, admin, "PUT", "/v1/rules/"+rules["in_service_absent_six_months"]+"/overrides/"+districtID, "",
		`{"state":"OVERRIDE_STATE_ON"}`); code != http.StatusOK {
		t.Fatalf("switch the six-months rule on: HTTP %d %v", code, out)
	}

	// A five-star in-service member who registered with the community
	// eight months ago and joined no joint activity since.
	// The member service learns the branch from the organisation
	// service's events: until then the branch is not found.
	var memberID string
	eventually(t, "the member service to know the branch", func() (bool, string) {
		code, out := s.restAs(t, admin, "POST", "/v1/members", "", fmt.Sprintf(`{"name":"李强","sex":"SEX_MALE","birthDate":"1980-01-15",
			"nationalId":%q,"joinDate":"2010-07-01","status":"MEMBER_STATUS_FULL","employmentStatus":"EMPLOYMENT_STATUS_EMPLOYED",
			"employer":"同江海关","organisationId":%q}`, e2eNationalID(), branchID))
		if code == http.StatusOK {
			memberID = out["member"].(map[string]any)["id"].(string)
		}
		return code == http.StatusOK, fmt.Sprint(code, out)
	})
	year := time.Now().Year()
	if code, out := s.restAs(t, admin, "POST", "/v1/members/"+memberID+"/star-ratings", "",
		fmt.Sprintf(`{"year":%d,"stars":5,"reason":"年度评定"}`, year)); code != http.StatusOK {
		t.Fatalf("rate the member: HTTP %d %v", code, out)
	}
	if code, out := s.restAs(t, admin, "POST", "/v1/communities/"+communityID+"/registrations", "", fmt.Sprintf(
		`{"memberId":%q,"kind":"REGISTRATION_KIND_RESIDENCE","reportDate":%q}`, memberID, time.Now().AddDate(0, -8, 0).Format(time.DateOnly))); code != http.StatusOK {
		t.Fatalf("register with the community: HTTP %d %v", code, out)
	}

	// The district's sweep, in the test's trace.
	var found float64
	eventually(t, "the sweep to find the missed quarter and the absent member", func() (bool, string) {
		code, out := s.restAs(t, admin, "POST", "/v1/rules:sweep", tp, `{}`)
		if n, ok := out["newFindings"].(float64); code == http.StatusOK && ok {
			found += n
		}
		return found >= 2, fmt.Sprint(code, out, found)
	})

	// QuarterlyActivityMissed on NATS, in the trace.
	missed := waitForMissed(t, s, communityID)
	if !strings.Contains(missed.traceparent, trace) {
		t.Errorf("QuarterlyActivityMissed carries traceparent %q, not of the trace %s", missed.traceparent, trace)
	}

	// The item, answered by the secretary over REST.
	code, out := s.restAs(t, secretary, "GET", "/v1/rectification-items?organisationId="+communityID, tp, "")
	items, _ := out["items"].([]any)
	if code != http.StatusOK || len(items) != 1 {
		t.Fatalf("the secretary's items: HTTP %d %v", code, out)
	}
	item := items[0].(map[string]any)
	itemID := item["id"].(string)
	if item["findingId"] != missed.event.GetFindingId() || item["state"] != "ITEM_STATE_OPEN" {
		t.Fatalf("the item: %v", item)
	}
	code, out = s.restAs(t, secretary, "POST", "/v1/organisations/"+communityID+"/activities", tp, fmt.Sprintf(
		`{"kind":"ACTIVITY_KIND_CONCENTRATED_ACTIVITY","date":%q,"topic":"补开季度集中活动","expected":30,"attended":28}`, time.Now().Format(time.DateOnly)))
	if code != http.StatusOK {
		t.Fatalf("record the activity: HTTP %d %v", code, out)
	}
	activityID := out["activity"].(map[string]any)["id"].(string)
	if code, out := s.restAs(t, secretary, "POST", "/v1/rectification-items/"+itemID+":submit", tp, fmt.Sprintf(
		`{"evidence":[{"description":"补开集中活动的记录和照片","activityId":%q}],"note":"已补开"}`, activityID)); code != http.StatusOK {
		t.Fatalf("submit the evidence: HTTP %d %v", code, out)
	}

	// The district's round: one group, its inspector, the community.
	code, out = s.restAs(t, admin, "POST", "/v1/inspection-rounds", "", fmt.Sprintf(
		`{"districtId":%q,"year":%d,"quarter":1,"name":"季度巡回督查","checklist":[{"code":"life","text":"组织生活"}]}`, districtID, year))
	if code != http.StatusOK {
		t.Fatalf("start the round: HTTP %d %v", code, out)
	}
	roundID := out["round"].(map[string]any)["id"].(string)
	if code, out := s.restAs(t, admin, "POST", "/v1/inspection-rounds/"+roundID+"/groups", "", fmt.Sprintf(
		`{"name":"第一巡回督查组","inspectors":["e2e-inspector"],"organisationIds":[%q]}`, communityID)); code != http.StatusOK {
		t.Fatalf("the group: HTTP %d %v", code, out)
	}
	eventually(t, "the inspector to close the item once the activity is known", func() (bool, string) {
		code, out := s.restAs(t, inspector, "POST", "/v1/rectification-items/"+itemID+":accept", tp, `{"note":"现场核实"}`)
		return code == http.StatusOK && out["item"].(map[string]any)["state"] == "ITEM_STATE_CLOSED", fmt.Sprint(code, out)
	})

	// The star, withdrawn in the member service by the supervision
	// service's own call, the history saying why.
	eventually(t, "the star withdrawn", func() (bool, string) {
		code, out := s.restAs(t, admin, "GET", "/v1/members/"+memberID+"/star-ratings", "", "")
		ratings, _ := out["ratings"].([]any)
		if code != http.StatusOK || len(ratings) < 2 {
			s.restAs(t, admin, "POST", "/v1/rules:sweep", tp, `{}`) // a pass makes the pending calls
			return false, fmt.Sprint(code, out)
		}
		latest := ratings[0].(map[string]any)
		return latest["ratedBy"] == "service:supervision" && strings.Contains(latest["reason"].(string), "in_service_absent_six_months") &&
			(out["currentStars"] == nil || out["currentStars"] == 0.0), fmt.Sprint(out)
	})

	// One trace across the gateway, the supervision, organisation and
	// member services.
	wantOneTrace(t, s, trace, []spanWant{
		{"gateway", "POST /v1/rules:sweep"},
		{"supervision", "gongjian.supervision.v1.RuleService/RunSweep"},
		{"supervision", "publish gongjian.supervision.v1.quarterly_activity_missed"},
		{"organisation", "gongjian.organisation.v1.OrganisationService/RecordActivity"},
		{"supervision", "process gongjian.organisation.v1.activity_recorded"},
		{"supervision", "gongjian.supervision.v1.RectificationService/AcceptItem"},
		{"member", "gongjian.member.v1.AppraisalService/SetStarRating"},
	})
}

// missedEvent is a QuarterlyActivityMissed read from NATS.
type missedEvent struct {
	event       *supervisionv1.QuarterlyActivityMissed
	traceparent string
}

// waitForMissed reads the SUPERVISION stream until the community's
// QuarterlyActivityMissed is there.
func waitForMissed(t *testing.T, s *system, communityID string) missedEvent {
	t.Helper()
	nc, err := nats.Connect(s.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var found missedEvent
	eventually(t, "QuarterlyActivityMissed on NATS", func() (bool, string) {
		st, err := js.Stream(ctxFor(t), "SUPERVISION")
		if err != nil {
			return false, err.Error()
		}
		info, err := st.Info(ctxFor(t))
		if err != nil {
			return false, err.Error()
		}
		for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
			m, err := st.GetMsg(ctxFor(t), seq)
			if err != nil || m.Subject != "gongjian.supervision.v1.quarterly_activity_missed" {
				continue
			}
			var ev supervisionv1.QuarterlyActivityMissed
			if proto.Unmarshal(m.Data, &ev) == nil && ev.GetOrganisationId() == communityID {
				found = missedEvent{event: &ev, traceparent: propagation.HeaderCarrier(m.Header).Get("traceparent")}
				return true, ""
			}
		}
		return false, fmt.Sprintf("%d messages", info.State.Msgs)
	})
	return found
}

// eventually retries cond for up to 60 s, then fails saying what it saw.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last saw %s", what, seen)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
