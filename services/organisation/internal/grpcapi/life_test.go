package grpcapi_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

func (h *harness) record(t *testing.T, orgID string, a *pb.Activity) *pb.Activity {
	t.Helper()
	resp, err := h.org.RecordActivity(callContext(t), &pb.RecordActivityRequest{OrganisationId: orgID, Activity: a})
	if err != nil {
		t.Fatalf("record %s on %s: %v", a.GetKind(), a.GetDate(), err)
	}
	return resp.GetActivity()
}

func meeting(kind pb.ActivityKind, date, topic string) *pb.Activity {
	return &pb.Activity{Kind: kind, Date: date, Topic: topic, Expected: 20, Attended: 18}
}

const (
	membersMeeting = pb.ActivityKind_ACTIVITY_KIND_MEMBERS_MEETING
	lecture        = pb.ActivityKind_ACTIVITY_KIND_PARTY_LECTURE
	committee      = pb.ActivityKind_ACTIVITY_KIND_COMMITTEE_MEETING
	partyDay       = pb.ActivityKind_ACTIVITY_KIND_THEMED_PARTY_DAY
	concentrated   = pb.ActivityKind_ACTIVITY_KIND_CONCENTRATED_ACTIVITY
)

func TestListActivitiesNewestFirst(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	b := tr.branch.GetId()
	a1 := h.record(t, b, meeting(membersMeeting, "2025-01-10", "Annual work plan"))
	a2 := h.record(t, b, meeting(lecture, "2025-02-14", "Lecture on the Party Constitution"))
	a3 := h.record(t, b, meeting(membersMeeting, "2025-03-20", "Admission of a probationary member"))
	a4 := h.record(t, b, meeting(committee, "2025-03-20", "Preparing the democratic appraisal"))
	a5 := h.record(t, b, meeting(partyDay, "2025-04-05", "Tomb-sweeping day at the martyrs' cemetery"))
	a6 := h.record(t, b, meeting(membersMeeting, "2025-05-30", "Half-year review"))
	h.record(t, tr.community.GetId(), meeting(membersMeeting, "2025-05-30", "A meeting of another organisation"))
	id := func(as ...*pb.Activity) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.GetId())
		}
		return out
	}

	tests := []struct {
		name string
		req  *pb.ListActivitiesRequest
		want []string
	}{
		{"every activity", &pb.ListActivitiesRequest{}, id(a6, a5, a4, a3, a2, a1)},
		{"members' meetings", &pb.ListActivitiesRequest{Kind: membersMeeting}, id(a6, a3, a1)},
		{"from February to March", &pb.ListActivitiesRequest{FromDate: "2025-02-01", ToDate: "2025-03-31"}, id(a4, a3, a2)},
		{"from a day on, that day included", &pb.ListActivitiesRequest{FromDate: "2025-03-20"}, id(a6, a5, a4, a3)},
		{"until a day, that day included", &pb.ListActivitiesRequest{ToDate: "2025-02-14"}, id(a2, a1)},
		{"members' meetings from March", &pb.ListActivitiesRequest{Kind: membersMeeting, FromDate: "2025-03-01"}, id(a6, a3)},
		{"a kind never held", &pb.ListActivitiesRequest{Kind: concentrated}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.req.OrganisationId = b
			resp, err := h.org.ListActivities(callContext(t), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range resp.GetActivities() {
				got = append(got, a.GetId())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("activities (-want +got):\n%s", diff)
			}
			if tok := resp.GetNextPageToken(); tok != "" {
				t.Errorf("next_page_token %q on the only page", tok)
			}
		})
	}

	t.Run("pages of two", func(t *testing.T) {
		t.Parallel()
		var (
			pages [][]string
			token string
		)
		for range 5 {
			resp, err := h.org.ListActivities(callContext(t), &pb.ListActivitiesRequest{OrganisationId: b, PageSize: 2, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			var page []string
			for _, a := range resp.GetActivities() {
				page = append(page, a.GetId())
			}
			pages = append(pages, page)
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		want := [][]string{id(a6, a5), id(a4, a3), id(a2, a1)}
		if diff := cmp.Diff(want, pages); diff != "" {
			t.Errorf("pages (-want +got):\n%s", diff)
		}
	})
}

func TestRecordActivityKeepsWhatWasSaid(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	in := &pb.Activity{
		Kind: membersMeeting, Date: "2025-06-28", Topic: "Democratic appraisal of members", Expected: 12, Attended: 9,
		Absentees: []*pb.Absentee{
			{Name: "Li Hua", Reason: "sick leave"},
			{Name: "Zhao Lei"},
			{Name: "Sun Mei", Reason: "  working on a site in Lanzhou  "},
		},
		Note: "Two members asked to be appraised in writing.",
	}
	got := h.record(t, tr.branch.GetId(), in)
	want := cloneActivity(in)
	want.OrganisationId = tr.branch.GetId()
	ignore := protocmp.IgnoreFields(&pb.Activity{}, "id", "record_time")
	if diff := cmp.Diff(want, got, protocmp.Transform(), ignore); diff != "" {
		t.Errorf("recorded activity (-want +got):\n%s", diff)
	}
	resp, err := h.org.ListActivities(callContext(t), &pb.ListActivitiesRequest{OrganisationId: tr.branch.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*pb.Activity{got}, resp.GetActivities(), protocmp.Transform()); diff != "" {
		t.Errorf("activity read back (-want +got):\n%s", diff)
	}
}

func TestRecordActivityWithRequestIDIsIdempotent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	// The same request id was used for a creation: ids are scoped per command.
	if _, err := h.org.CreateOrganisation(callContext(t), &pb.CreateOrganisationRequest{
		Organisation: child(tr.community, kindBranch, "Second Branch"), RequestId: "retry-7"}); err != nil {
		t.Fatal(err)
	}
	record := func() *pb.Activity {
		t.Helper()
		resp, err := h.org.RecordActivity(callContext(t), &pb.RecordActivityRequest{
			OrganisationId: tr.branch.GetId(), Activity: meeting(lecture, "2025-07-01", "Lecture on the founding of the Party"), RequestId: "retry-7"})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetActivity()
	}
	first, retried := record(), record()
	if diff := cmp.Diff(first, retried, protocmp.Transform()); diff != "" {
		t.Errorf("retried record (-first +retry):\n%s", diff)
	}
	if n := h.count(t, "activities"); n != 1 {
		t.Errorf("%d activities stored, want 1", n)
	}
}

func TestRecordActivityRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	gone := h.create(t, child(tr.community, kindBranch, "Dissolved Branch"))
	if _, err := h.org.DissolveOrganisation(callContext(t), &pb.DissolveOrganisationRequest{Id: gone.GetId(), Reason: "merged"}); err != nil {
		t.Fatal(err)
	}
	future := time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)
	with := func(change func(*pb.Activity)) *pb.Activity {
		a := meeting(membersMeeting, "2025-03-01", "Spring members' meeting")
		change(a)
		return a
	}
	tests := []struct {
		name  string
		orgID string
		in    *pb.Activity
		want  refusal
	}{
		{"more attended than were expected", tr.branch.GetId(), with(func(a *pb.Activity) { a.Expected, a.Attended = 10, 11 }),
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.attended"}}},
		{"more absentees named than were absent", tr.branch.GetId(), with(func(a *pb.Activity) {
			a.Expected, a.Attended = 10, 9
			a.Absentees = []*pb.Absentee{{Name: "Li Hua"}, {Name: "Zhao Lei"}}
		}), refusal{Code: codes.InvalidArgument, Fields: []string{"activity.absentees"}}},
		{"a day still to come", tr.branch.GetId(), with(func(a *pb.Activity) { a.Date = future }),
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.date"}}},
		{"a day that does not exist", tr.branch.GetId(), with(func(a *pb.Activity) { a.Date = "2025-02-29" }),
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.date"}}},
		{"no topic", tr.branch.GetId(), with(func(a *pb.Activity) { a.Topic = "" }),
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.topic"}}},
		{"no kind", tr.branch.GetId(), with(func(a *pb.Activity) { a.Kind = 0 }),
			refusal{Code: codes.InvalidArgument, Fields: []string{"activity.kind"}}},
		{"a dissolved organisation", gone.GetId(), with(func(*pb.Activity) {}),
			refusal{Code: codes.FailedPrecondition}},
		{"an organisation that does not exist", "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c", with(func(*pb.Activity) {}),
			refusal{Code: codes.NotFound}},
	}
	t.Run("refusals", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				_, err := h.org.RecordActivity(callContext(t), &pb.RecordActivityRequest{OrganisationId: tt.orgID, Activity: tt.in})
				if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
					t.Errorf("RecordActivity (-want +got):\n%s", diff)
				}
			})
		}
	})
	if n := h.count(t, "activities"); n != 0 {
		t.Errorf("%d activities stored after refusals, want 0", n)
	}

	lists := []struct {
		name string
		req  *pb.ListActivitiesRequest
		want refusal
	}{
		{"a range that ends before it starts", &pb.ListActivitiesRequest{FromDate: "2025-04-01", ToDate: "2025-03-01"},
			refusal{Code: codes.InvalidArgument, Fields: []string{"to_date"}}},
		{"a first day that does not exist", &pb.ListActivitiesRequest{FromDate: "2025-02-30"},
			refusal{Code: codes.InvalidArgument, Fields: []string{"from_date"}}},
		{"a page token the service never issued", &pb.ListActivitiesRequest{PageToken: "MjAyNS0wMy0wMQ"},
			refusal{Code: codes.InvalidArgument, Fields: []string{"page_token"}}},
	}
	for _, tt := range lists {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.req.OrganisationId = tr.branch.GetId()
			_, err := h.org.ListActivities(callContext(t), tt.req)
			if diff := cmp.Diff(tt.want, refusalOf(err)); diff != "" {
				t.Errorf("ListActivities (-want +got):\n%s", diff)
			}
		})
	}
}

func cloneActivity(a *pb.Activity) *pb.Activity { return proto.Clone(a).(*pb.Activity) }
