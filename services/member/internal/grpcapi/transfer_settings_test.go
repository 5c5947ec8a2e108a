package grpcapi_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/accesstest"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

func settings(inside, outside, months, review int32) *pb.TransferSettings {
	return &pb.TransferSettings{InsideDays: inside, OutsideDays: outside, MaxMonths: months, ReviewMonths: review}
}

func TestTransferSettingsRoundTrip(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	district := tr.district.GetId()
	get := func() *pb.TransferSettings {
		t.Helper()
		resp, err := h.transfers.GetTransferSettings(ctx, &pb.GetTransferSettingsRequest{DistrictId: district})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetSettings()
	}

	t.Run("a district that set none has the defaults, and says so", func(t *testing.T) {
		got := get()
		want := &pb.TransferSettings{DistrictId: district, InsideDays: 10, OutsideDays: 30, MaxMonths: 3, ReviewMonths: 6,
			Inherited: true, Etag: "0"}
		if !proto.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	var set *pb.TransferSettings
	t.Run("an update with the etag read sets them", func(t *testing.T) {
		resp, err := h.transfers.UpdateTransferSettings(ctx, &pb.UpdateTransferSettingsRequest{DistrictId: district,
			Settings: settings(15, 45, 2, 4), Etag: "0"})
		if err != nil {
			t.Fatal(err)
		}
		set = resp.GetSettings()
		if set.GetInherited() || set.GetEtag() != "1" || set.GetUpdateSubject() != cityAdmin.Subject || set.GetUpdateTime() == nil ||
			set.GetInsideDays() != 15 || set.GetOutsideDays() != 45 || set.GetMaxMonths() != 2 || set.GetReviewMonths() != 4 {
			t.Errorf("set %v", set)
		}
		if got := get(); !proto.Equal(got, set) {
			t.Errorf("read back %v, set %v", got, set)
		}
	})
	t.Run("a stale etag is refused and changes nothing", func(t *testing.T) {
		_, err := h.transfers.UpdateTransferSettings(ctx, &pb.UpdateTransferSettingsRequest{DistrictId: district,
			Settings: settings(11, 30, 3, 6), Etag: "0"})
		if refusalOf(err).Code != codes.FailedPrecondition || reasonOf(err) != "ETAG_MISMATCH" {
			t.Errorf("got %v (%v), want FailedPrecondition ETAG_MISMATCH", refusalOf(err).Code, err)
		}
		if got := get(); !proto.Equal(got, set) {
			t.Errorf("after a refusal %v, want %v", got, set)
		}
	})
	t.Run("refusals name the field", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			req  *pb.UpdateTransferSettingsRequest
			want refusal
		}{
			{"a cap over three months", &pb.UpdateTransferSettingsRequest{DistrictId: district, Settings: settings(10, 30, 4, 6)},
				refusal{codes.InvalidArgument, []string{"settings.max_months"}}},
			{"no days inside the city", &pb.UpdateTransferSettingsRequest{DistrictId: district, Settings: settings(0, 30, 3, 6)},
				refusal{codes.InvalidArgument, []string{"settings.inside_days"}}},
			{"more days outside than three months hold", &pb.UpdateTransferSettingsRequest{DistrictId: district, Settings: settings(10, 93, 3, 6)},
				refusal{codes.InvalidArgument, []string{"settings.outside_days"}}},
			{"no review period", &pb.UpdateTransferSettingsRequest{DistrictId: district, Settings: settings(10, 30, 3, 0)},
				refusal{codes.InvalidArgument, []string{"settings.review_months"}}},
			{"no settings", &pb.UpdateTransferSettingsRequest{DistrictId: district},
				refusal{codes.InvalidArgument, []string{"settings"}}},
			{"a community for a district", &pb.UpdateTransferSettingsRequest{DistrictId: tr.community.GetId(), Settings: settings(10, 30, 3, 6)},
				refusal{codes.FailedPrecondition, []string{"district_id"}}},
		} {
			_, err := h.transfers.UpdateTransferSettings(ctx, tt.req)
			if got := refusalOf(err); got.Code != tt.want.Code || !slices.Equal(got.Fields, tt.want.Fields) {
				t.Errorf("%s: got %v %v (%v), want %v %v", tt.name, got.Code, got.Fields, err, tt.want.Code, tt.want.Fields)
			}
		}
		if _, err := h.transfers.GetTransferSettings(ctx, &pb.GetTransferSettingsRequest{DistrictId: tr.branch.GetId()}); refusalOf(err).Code != codes.FailedPrecondition {
			t.Errorf("settings of a branch: %v", err)
		}
	})
	t.Run("an update without an etag sets them too", func(t *testing.T) {
		resp, err := h.transfers.UpdateTransferSettings(ctx, &pb.UpdateTransferSettingsRequest{DistrictId: district,
			Settings: settings(15, 45, 3, 4)})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetSettings().GetEtag() != "2" || resp.GetSettings().GetMaxMonths() != 3 {
			t.Errorf("got %v", resp.GetSettings())
		}
	})
	t.Run("each write has one audit record and one event with what changed", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE subject_type = 'transfer_settings' AND subject_id = $1`, district); n != 2 {
			t.Errorf("%d audit records, want 2", n)
		}
		var changed [][]string
		waitFor(t, "two TransferSettingsUpdated events", func() bool {
			changed = nil
			subjects, data := h.streamed(t)
			for i, s := range subjects {
				if s == "gongjian.member.v1.transfer_settings_updated" {
					var ev pb.TransferSettingsUpdated
					if err := proto.Unmarshal(data[i], &ev); err != nil {
						t.Fatal(err)
					}
					if ev.GetSettings().GetDistrictId() != district {
						t.Errorf("event of district %s", ev.GetSettings().GetDistrictId())
					}
					changed = append(changed, ev.GetChanged().GetPaths())
				}
			}
			return len(changed) >= 2
		})
		want := [][]string{{"inside_days", "outside_days", "max_months", "review_months"}, {"max_months"}}
		if len(changed) != 2 || !slices.Equal(changed[0], want[0]) || !slices.Equal(changed[1], want[1]) {
			t.Errorf("changed %v, want %v", changed, want)
		}
	})
}

// TestTransferSettingsGiveTheNextLetterItsDeadline: the next letter the
// district releases is valid for its days, cut by its cap; a letter
// released before keeps its deadline.
func TestTransferSettingsGiveTheNextLetterItsDeadline(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	before := h.released(t, tr.branch.GetId(), tr.community.GetId())
	release := func() *pb.Transfer {
		t.Helper()
		return h.released(t, tr.branch.GetId(), tr.otherCommunity.GetId())
	}
	released := func(tf *pb.Transfer) time.Time {
		steps := tf.GetSteps()
		return steps[len(steps)-1].GetTime().AsTime()
	}
	update := func(s *pb.TransferSettings) {
		t.Helper()
		if _, err := h.transfers.UpdateTransferSettings(ctx, &pb.UpdateTransferSettingsRequest{DistrictId: tr.district.GetId(),
			Settings: s}); err != nil {
			t.Fatal(err)
		}
	}

	update(settings(25, 30, 3, 6))
	tf := release()
	if d := tf.GetLetterDeadline().AsTime(); !d.Equal(released(tf).AddDate(0, 0, 25)) {
		t.Errorf("deadline %v, want 25 days after %v", d, released(tf))
	}
	update(settings(60, 30, 1, 6))
	tf = release()
	if d := tf.GetLetterDeadline().AsTime(); !d.Equal(released(tf).AddDate(0, 1, 0)) {
		t.Errorf("deadline %v, want a month after %v", d, released(tf))
	}
	got, err := h.transfers.GetTransfer(ctx, &pb.GetTransferRequest{Id: before.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if d := got.GetTransfer().GetLetterDeadline().AsTime(); !d.Equal(released(before).AddDate(0, 0, 10)) {
		t.Errorf("the letter released before has deadline %v, want the default 10 days after %v", d, released(before))
	}
}

func TestTransferSettingsAccess(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	district := tr.district.GetId()
	for _, tt := range []struct {
		name         string
		claims       devissuer.Claims
		read, update codes.Code
	}{
		{"the city administrator", devissuer.Claims{Role: auth.CityAdmin}, codes.OK, codes.OK},
		{"the district's administrator", devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: district}, codes.OK, codes.OK},
		{"another district's administrator", devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()},
			codes.NotFound, codes.NotFound},
		{"a secretary of a community of the district", devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.community.GetId()},
			codes.OK, codes.PermissionDenied},
		{"a secretary of a community of another district", devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.otherCommunity.GetId()},
			codes.NotFound, codes.PermissionDenied},
		{"an inspector", devissuer.Claims{Role: auth.Inspector}, codes.OK, codes.PermissionDenied},
		{"a system with member.write", devissuer.Claims{Role: auth.System, Scopes: []string{"member.write"}}, codes.OK, codes.PermissionDenied},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client := pb.NewTransferServiceClient(h.as(tt.claims))
			_, err := client.GetTransferSettings(callContext(t), &pb.GetTransferSettingsRequest{DistrictId: district})
			if got := refusalOf(err).Code; got != tt.read {
				t.Errorf("read: %v (%v), want %v", got, err, tt.read)
			}
			_, err = client.UpdateTransferSettings(callContext(t), &pb.UpdateTransferSettingsRequest{DistrictId: district,
				Settings: settings(12, 30, 3, 6)})
			if got := refusalOf(err).Code; got != tt.update {
				t.Errorf("update: %v (%v), want %v", got, err, tt.update)
			}
		})
	}
	t.Run("over REST", func(t *testing.T) {
		token, err := authtest.Issuer(t).Issue(devissuer.Claims{Subject: "district-admin", Role: auth.DistrictAdmin, ScopeOrgID: district})
		if err != nil {
			t.Fatal(err)
		}
		rest := accesstest.REST{Base: accesstest.RESTServer(t, h.as(devissuer.Claims{}), pb.RegisterTransferServiceHandler), Token: token}
		ctx := callContext(t)
		if got := rest.Call(ctx, pb.TransferService_UpdateTransferSettings_FullMethodName, &pb.UpdateTransferSettingsRequest{
			DistrictId: district, Settings: settings(21, 30, 3, 6)}); got != codes.OK {
			t.Errorf("PUT: %v", got)
		}
		if got := rest.Call(ctx, pb.TransferService_GetTransferSettings_FullMethodName,
			&pb.GetTransferSettingsRequest{DistrictId: district}); got != codes.OK {
			t.Errorf("GET: %v", got)
		}
		if n := h.count(t, `SELECT count(*) FROM transfer_settings WHERE district_id = $1 AND inside_days = 21`, district); n != 1 {
			t.Errorf("the PUT did not set the district's settings")
		}
	})
}
