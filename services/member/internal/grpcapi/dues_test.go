package grpcapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// duesREST asks the REST gateway in front of the service for path as a
// member, and answers the status and the decoded JSON body.
func duesREST(t *testing.T, h *harness, path string) (int, map[string]any) {
	t.Helper()
	base := accesstest.RESTServer(t, h.as(devissuer.Claims{}), pb.RegisterDuesServiceHandler)
	req, err := http.NewRequestWithContext(callContext(t), http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	token, err := authtest.Issuer(t).Issue(devissuer.Claims{Subject: "member-1", Role: auth.Member,
		MemberID: "0190a0b0-0000-7000-8000-0000000000aa"})
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s: %s", path, raw)
	}
	return resp.StatusCode, out
}

// TestDuesQuote quotes over gRPC and REST by the default bands, refuses
// a negative income naming its field, and follows a district's own bands
// once they are set: one audit record and one event per change.
func TestDuesQuote(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	district := tr.district.GetId()
	duesAs := func(c devissuer.Claims) pb.DuesServiceClient { return pb.NewDuesServiceClient(h.as(c)) }
	admin := duesAs(cityAdmin)
	member := duesAs(devissuer.Claims{Subject: "member-1", Role: auth.Member, MemberID: "0190a0b0-0000-7000-8000-0000000000aa"})
	employed := pb.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED

	t.Run("a member asks over gRPC: 4,000 yuan in service pay 40 yuan at 1%", func(t *testing.T) {
		q, err := member.QuoteDues(ctx, &pb.QuoteDuesRequest{MonthlyIncomeFen: 400000, EmploymentStatus: employed,
			DistrictId: district})
		if err != nil {
			t.Fatal(err)
		}
		want := &pb.QuoteDuesResponse{MonthlyDuesFen: 4000, Kind: pb.DuesBandKind_DUES_BAND_KIND_IN_SERVICE,
			Band: &pb.DuesBand{UpToFen: 500000, RateBasisPoints: 100}, BandIndex: 1, SettingsEtag: "0"}
		if !proto.Equal(q, want) {
			t.Errorf("got %v, want %v", q, want)
		}
	})
	t.Run("over REST, retired 5,000.01 yuan pay 50 yuan at 1%; a student the fixed 0.20", func(t *testing.T) {
		status, body := duesREST(t, h, "/v1/dues:quote?monthlyIncomeFen=500001&employmentStatus=EMPLOYMENT_STATUS_RETIRED&districtId="+district)
		if status != http.StatusOK || body["monthlyDuesFen"] != "5000" || body["kind"] != "DUES_BAND_KIND_RETIRED" {
			t.Errorf("%d %v", status, body)
		}
		status, body = duesREST(t, h, "/v1/dues:quote?monthlyIncomeFen=80000&employmentStatus=EMPLOYMENT_STATUS_STUDENT")
		if status != http.StatusOK || body["monthlyDuesFen"] != "20" || body["kind"] != "DUES_BAND_KIND_FIXED" || body["band"] != nil {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("a negative income is refused naming monthly_income_fen, over gRPC and REST", func(t *testing.T) {
		_, err := member.QuoteDues(ctx, &pb.QuoteDuesRequest{MonthlyIncomeFen: -1, EmploymentStatus: employed})
		if got := refusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"monthly_income_fen"}) {
			t.Errorf("got %v %v (%v)", got.Code, got.Fields, err)
		}
		status, body := duesREST(t, h, "/v1/dues:quote?monthlyIncomeFen=-1&employmentStatus=EMPLOYMENT_STATUS_EMPLOYED")
		if status != http.StatusBadRequest {
			t.Errorf("%d %v", status, body)
		}
		_, err = member.QuoteDues(ctx, &pb.QuoteDuesRequest{MonthlyIncomeFen: 1})
		if got := refusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"employment_status"}) {
			t.Errorf("no status: %v %v (%v)", got.Code, got.Fields, err)
		}
		_, err = member.QuoteDues(ctx, &pb.QuoteDuesRequest{MonthlyIncomeFen: 1, EmploymentStatus: employed, DistrictId: tr.community.GetId()})
		if got := refusalOf(err); got.Code != codes.FailedPrecondition || !slices.Equal(got.Fields, []string{"district_id"}) {
			t.Errorf("a community for a district: %v %v (%v)", got.Code, got.Fields, err)
		}
	})

	bands := &pb.DuesSettings{
		InService: []*pb.DuesBand{{UpToFen: 500000, RateBasisPoints: 50}, {RateBasisPoints: 100}},
		Retired:   []*pb.DuesBand{{RateBasisPoints: 50}},
		FixedFen:  50,
	}
	t.Run("a district's own bands change its quotes and no other district's", func(t *testing.T) {
		got, err := admin.GetDuesSettings(ctx, &pb.GetDuesSettingsRequest{DistrictId: district})
		if err != nil {
			t.Fatal(err)
		}
		if s := got.GetSettings(); !s.GetInherited() || s.GetEtag() != "0" || len(s.GetInService()) != 4 || s.GetFixedFen() != 20 {
			t.Errorf("defaults %v", s)
		}
		set, err := admin.UpdateDuesSettings(ctx, &pb.UpdateDuesSettingsRequest{DistrictId: district, Settings: bands, Etag: "0"})
		if err != nil {
			t.Fatal(err)
		}
		if s := set.GetSettings(); s.GetInherited() || s.GetEtag() != "1" || s.GetUpdateSubject() != cityAdmin.Subject {
			t.Errorf("set %v", s)
		}
		q, err := member.QuoteDues(ctx, &pb.QuoteDuesRequest{MonthlyIncomeFen: 400000, EmploymentStatus: employed, DistrictId: district})
		if err != nil {
			t.Fatal(err)
		}
		if q.GetMonthlyDuesFen() != 2000 || q.GetBandIndex() != 0 || q.GetSettingsEtag() != "1" {
			t.Errorf("after the change %v, want 2,000 fen by band 0 of version 1", q)
		}
		q, err = member.QuoteDues(ctx, &pb.QuoteDuesRequest{MonthlyIncomeFen: 400000, EmploymentStatus: employed,
			DistrictId: tr.otherDistrict.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		if q.GetMonthlyDuesFen() != 4000 {
			t.Errorf("another district %v, want the default 4,000 fen", q)
		}
		status, body := duesREST(t, h, "/v1/dues:quote?monthlyIncomeFen=0&employmentStatus=EMPLOYMENT_STATUS_UNEMPLOYED&districtId="+district)
		if status != http.StatusOK || body["monthlyDuesFen"] != "50" {
			t.Errorf("fixed amount over REST after the change: %d %v", status, body)
		}
	})
	t.Run("a stale etag and bad bands are refused, naming the field", func(t *testing.T) {
		_, err := admin.UpdateDuesSettings(ctx, &pb.UpdateDuesSettingsRequest{DistrictId: district, Settings: bands, Etag: "0"})
		if refusalOf(err).Code != codes.FailedPrecondition || reasonOf(err) != "ETAG_MISMATCH" {
			t.Errorf("stale etag: %v", err)
		}
		bad := proto.Clone(bands).(*pb.DuesSettings)
		bad.InService = []*pb.DuesBand{{UpToFen: 500000, RateBasisPoints: 50}, {UpToFen: 400000, RateBasisPoints: 100}, {RateBasisPoints: 200}}
		_, err = admin.UpdateDuesSettings(ctx, &pb.UpdateDuesSettingsRequest{DistrictId: district, Settings: bad})
		if got := refusalOf(err); got.Code != codes.InvalidArgument || !slices.Equal(got.Fields, []string{"settings.in_service[1].up_to_fen"}) {
			t.Errorf("descending bands: %v %v (%v)", got.Code, got.Fields, err)
		}
		_, err = duesAs(devissuer.Claims{Subject: "sec", Role: auth.CommunitySecretary, ScopeOrgID: tr.community.GetId()}).
			UpdateDuesSettings(ctx, &pb.UpdateDuesSettingsRequest{DistrictId: district, Settings: bands})
		if refusalOf(err).Code != codes.PermissionDenied {
			t.Errorf("a secretary set the bands: %v", err)
		}
	})
	t.Run("one audit record and one event for the one change", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'dues_settings' AND subject_id = $1`, district); n != 1 {
			t.Errorf("%d audit records, want 1", n)
		}
		waitFor(t, "a DuesSettingsUpdated event", func() bool {
			subjects, data := h.streamed(t)
			for i, s := range subjects {
				var ev pb.DuesSettingsUpdated
				if s == "gongjian.member.v1.dues_settings_updated" && proto.Unmarshal(data[i], &ev) == nil &&
					ev.GetSettings().GetDistrictId() == district && ev.GetSettings().GetFixedFen() == 50 {
					return true
				}
			}
			return false
		})
	})
}
