package e2e

import (
	"fmt"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"

	cobuildingv1 "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
)

// TestCoBuildingReachesTheMemberServiceAndNATS runs the co-building
// service with the others as make run starts them: an in-service member
// registered with a community takes part in a joint activity recorded over
// REST, and their contact card in the member service counts it, in one
// trace across the gateway and both services; and a unit whose agreement
// began months ago without a report has each month it missed published on
// NATS exactly once, however often the sweeper runs — the service killed
// and restarted, which sweeps as it starts.
func TestCoBuildingReachesTheMemberServiceAndNATS(t *testing.T) {
	s := startSystem(t)
	city := s.create(t, "", `{"kind":"ORGANISATION_KIND_CITY","name":"同江市委"}`)
	district := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_DISTRICT","name":"同江县委","parentId":%q}`, city["id"]))
	street := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_STREET","name":"城关街道党工委","parentId":%q}`, district["id"]))
	community := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_COMMUNITY","communityForm":"COMMUNITY_FORM_GENERAL_BRANCH",
		"name":"新华社区党总支","parentId":%q,"foundingDate":"2020-01-01"}`, street["id"]))
	branch := s.create(t, "", fmt.Sprintf(`{"kind":"ORGANISATION_KIND_BRANCH","name":"同江海关机关党支部","parentId":%q,"foundingDate":"2020-01-01"}`, community["id"]))
	communityID, branchID := community["id"].(string), branch["id"].(string)

	// An in-service member, registered with the community eight months ago.
	var memberID string
	eventually(t, "the member service to know the branch", func() (bool, string) {
		code, out := s.rest(t, "POST", "/v1/members", "", fmt.Sprintf(`{"name":"王海","sex":"SEX_MALE","birthDate":"1980-01-15",
			"nationalId":%q,"joinDate":"2010-07-01","status":"MEMBER_STATUS_FULL","employmentStatus":"EMPLOYMENT_STATUS_EMPLOYED",
			"employer":"同江海关","organisationId":%q}`, e2eNationalID(), branchID))
		if code == http.StatusOK {
			memberID = out["member"].(map[string]any)["id"].(string)
		}
		return code == http.StatusOK, fmt.Sprint(code, out)
	})
	if code, out := s.rest(t, "POST", "/v1/communities/"+communityID+"/registrations", "", fmt.Sprintf(
		`{"memberId":%q,"kind":"REGISTRATION_KIND_RESIDENCE","reportDate":%q}`, memberID, time.Now().AddDate(0, -8, 0).Format(time.DateOnly))); code != http.StatusOK {
		t.Fatalf("register with the community: HTTP %d %v", code, out)
	}

	// The unit and its agreement with the community, begun four months ago.
	var unitID string
	eventually(t, "the co-building service to know the community", func() (bool, string) {
		code, out := s.rest(t, "POST", "/v1/resident-units", "", fmt.Sprintf(`{"residentUnit":{"name":"同江海关","type":"UNIT_TYPE_GOVERNMENT_OFFICE",
			"communityId":%q,"address":"同江市新华路8号","headCount":60,"partyMemberCount":18}}`, communityID))
		if code == http.StatusOK {
			unitID = out["residentUnit"].(map[string]any)["id"].(string)
		}
		return code == http.StatusOK, fmt.Sprint(code, out)
	})
	now := time.Now()
	start := time.Date(now.Year(), now.Month()-4, 1, 0, 0, 0, 0, time.UTC)
	if code, out := s.rest(t, "POST", "/v1/agreements", "", fmt.Sprintf(`{"agreement":{"communityId":%q,"unitId":%q,
		"startDate":%q,"endDate":%q,"signedDate":%q,"goals":[{"area":"AREA_COMMUNITY_SERVICE","text":"每季度一次义诊"}],
		"communityContact":{"name":"李书记","role":"社区党总支书记"},"unitContact":{"name":"王海","role":"联络员"}}}`,
		communityID, unitID, start.Format(time.DateOnly), start.AddDate(2, 0, -1).Format(time.DateOnly), start.Format(time.DateOnly))); code != http.StatusOK {
		t.Fatalf("sign the agreement: HTTP %d %v", code, out)
	}

	t.Run("a joint activity recorded over REST is counted on the member's card, in one trace", func(t *testing.T) {
		day := now.AddDate(0, 0, -1)
		// The co-building service learns the member's registration from
		// the member service's events: until then it refuses to name them.
		var (
			tp, trace string
			out       map[string]any
		)
		eventually(t, "the co-building service to know the member's registration", func() (bool, string) {
			tp, trace = newTraceparent(t)
			var code int
			code, out = s.rest(t, "POST", "/v1/joint-activities", tp, fmt.Sprintf(`{"jointActivity":{"title":"海关进社区义诊",
				"area":"AREA_COMMUNITY_SERVICE","date":%q,"communityIds":[%q],"unitIds":[%q],"attendance":60,"memberAttendance":1,
				"memberIds":[%q],"hours":2}}`, day.Format(time.DateOnly), communityID, unitID, memberID))
			return code == http.StatusOK, fmt.Sprint(code, out)
		})
		activityID := out["jointActivity"].(map[string]any)["id"].(string)
		eventually(t, "the activity on the member's card", func() (bool, string) {
			code, out := s.rest(t, "GET", fmt.Sprintf("/v1/members/%s/contact-card?year=%d", memberID, day.Year()), "", "")
			card, _ := out["card"].(map[string]any)
			entries, _ := card["entries"].([]any)
			totals, _ := card["totals"].(map[string]any)
			if code != http.StatusOK || len(entries) != 1 {
				return false, fmt.Sprint(code, out)
			}
			e := entries[0].(map[string]any)
			return e["sourceActivityId"] == activityID && e["kind"] == "CARD_ENTRY_KIND_ACTIVITY" && e["hours"] == 2.0 &&
				totals["activities"] == 1.0, fmt.Sprint(out)
		})
		wantOneTrace(t, s, trace, []spanWant{
			{"gateway", "POST /v1/joint-activities"},
			{"cobuilding", "gongjian.cobuilding.v1.JointActivityService/CreateJointActivity"},
			{"cobuilding", "publish gongjian.cobuilding.v1.joint_activity_recorded"},
			{"member", "process gongjian.cobuilding.v1.joint_activity_recorded"},
		})
	})

	t.Run("each month the unit missed is on NATS exactly once, however often the sweeper runs", func(t *testing.T) {
		// Killed, the service is restarted by the launcher and sweeps as it
		// starts; killed again, it sweeps again and finds nothing new.
		missed := map[string]int{}
		for round := range 2 {
			before := s.pid(t, "cobuilding")
			s.kill(t, "cobuilding", syscall.SIGKILL)
			eventually(t, "the co-building service restarted", func() (bool, string) {
				pid := s.pid(t, "cobuilding")
				code, out := s.rest(t, "GET", "/v1/unit-reports:missed?unitId="+unitID, "", "")
				return pid != 0 && pid != before && code == http.StatusOK, fmt.Sprint(pid, code, out)
			})
			var listed []any
			eventually(t, "the missed months listed and published", func() (bool, string) {
				_, out := s.rest(t, "GET", "/v1/unit-reports:missed?unitId="+unitID, "", "")
				listed, _ = out["missedReports"].([]any)
				missed = missedOnNATS(t, s, unitID)
				return len(listed) >= 3 && len(missed) == len(listed), fmt.Sprint(out, missed)
			})
			if round == 1 {
				time.Sleep(3 * time.Second) // what a second sweep might publish wrongly, published
				missed = missedOnNATS(t, s, unitID)
			}
			for _, m := range listed {
				month := m.(map[string]any)["month"].(string)
				if missed[month] != 1 {
					t.Errorf("round %d: month %s missed, on NATS %d times; want once", round, month, missed[month])
				}
			}
			if len(missed) != len(listed) {
				t.Errorf("round %d: months on NATS %v, listed %v", round, missed, listed)
			}
		}
		first := start.Format("2006-01")
		if missed[first] != 1 {
			t.Errorf("the agreement's first month %s: on NATS %d times, want once (%v)", first, missed[first], missed)
		}
	})
}

// missedOnNATS counts the UnitReportMissed events of a unit on the
// co-building stream, by month.
func missedOnNATS(t *testing.T, s *system, unitID string) map[string]int {
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
	out := map[string]int{}
	st, err := js.Stream(ctxFor(t), "COBUILDING")
	if err != nil {
		return out
	}
	info, err := st.Info(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctxFor(t), seq)
		if err != nil || m.Subject != "gongjian.cobuilding.v1.unit_report_missed" {
			continue
		}
		var ev cobuildingv1.UnitReportMissed
		if proto.Unmarshal(m.Data, &ev) == nil && ev.GetUnitId() == unitID {
			out[ev.GetMonth()]++
		}
	}
	return out
}
