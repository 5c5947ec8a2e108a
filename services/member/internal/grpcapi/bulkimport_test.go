package grpcapi_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// sendChunks sends data[from:to] to a job in chunks of size bytes, the
// last one marked when last is set, and returns the stream's answer.
func sendChunks(ctx context.Context, c pb.MemberImportServiceClient, jobID string, data []byte, from, to, size int, last bool) (*pb.ImportJob, error) {
	stream, err := c.UploadImportChunks(ctx)
	if err != nil {
		return nil, err
	}
	for off := from; off < to; off += size {
		end := min(off+size, to)
		if err := stream.Send(&pb.UploadImportChunksRequest{JobId: jobID, Offset: int64(off), Data: data[off:end],
			Last: last && end == to}); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
	}
	resp, err := stream.CloseAndRecv()
	return resp.GetJob(), err
}

// bulkReport reads every row of a job's report, pages of size rows.
func bulkReport(t *testing.T, c pb.MemberImportServiceClient, jobID string, size int32, refusedOnly bool) []*pb.ImportRow {
	t.Helper()
	var out []*pb.ImportRow
	token := ""
	for {
		resp, err := c.ListImportJobRows(callContext(t), &pb.ListImportJobRowsRequest{JobId: jobID, PageSize: size,
			PageToken: token, RefusedOnly: refusedOnly})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp.GetRows()...)
		if token = resp.GetNextPageToken(); token == "" {
			return out
		}
	}
}

// TestBulkImportRegistersEachOrganisationsArrivalsTogether: a roster that
// deals its rows out to two organisations in turn is registered by
// organisation, so that with registration batches of six rows each
// organisation's six arrivals are one MembersImported and one count,
// not one of each in every batch; the report keeps the file's order.
func TestBulkImportRegistersEachOrganisationsArrivalsTogether(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.svc.Bulk.BatchRows, h.svc.Bulk.RegisterRows = 4, 6
	tr := h.tree(t)
	branch, community := tr.branch.GetId(), tr.community.GetId()
	var b strings.Builder
	b.WriteString(rosterHeader)
	for i := range 12 {
		org := branch
		if i%2 == 1 {
			org = community
		}
		birth := fmt.Sprintf("196%d0%d0%d", i/6, 1+i%6, 1+i%9)
		b.WriteString(rosterLine(fmt.Sprintf("成员%02d", i), birth, nationalID("610102", birth), org))
	}
	csv := []byte(b.String())
	admin := pb.NewMemberImportServiceClient(h.as(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: community}))
	created, err := admin.CreateImportJob(callContext(t), &pb.CreateImportJobRequest{OrganisationId: branch})
	if err != nil {
		t.Fatal(err)
	}
	jobID := created.GetJob().GetId()
	done, err := sendChunks(callContext(t), admin, jobID, csv, 0, len(csv), 64, true)
	if err != nil {
		t.Fatal(err)
	}
	if done.GetState() != pb.ImportJobState_IMPORT_JOB_STATE_DONE || done.GetRowsRegistered() != 12 {
		t.Fatalf("job when done: %v", done)
	}
	rows := bulkReport(t, admin, jobID, 5, false)
	for i, r := range rows {
		want := branch
		if i%2 == 1 {
			want = community
		}
		if r.GetRow() != int32(i+2) || r.GetOrganisationId() != want || r.GetOutcome() != taken {
			t.Errorf("report row %d: %v", i, r)
		}
	}
	var events map[string][]int
	waitFor(t, "the import's events", func() bool {
		events = map[string][]int{}
		n := 0
		for _, e := range h.memberEvents(t) {
			if ev, ok := e.(*pb.MembersImported); ok {
				events[ev.GetOrganisationId()] = append(events[ev.GetOrganisationId()], len(ev.GetMembers()))
				n += len(ev.GetMembers())
			}
		}
		return n == 12
	})
	if !cmp.Equal(events, map[string][]int{branch: {6}, community: {6}}) {
		t.Errorf("arrivals published per organisation %v, want one event of 6 each", events)
	}
	if cs := counts(h.memberEvents(t)); !cmp.Equal(cs, map[string][]int64{branch: {6}, community: {6}}) {
		t.Errorf("counts published %v, want one of 6 each", cs)
	}
}

// TestBulkImportReportsAsImportDoes: the roster of TestImportARoster,
// uploaded in small chunks over a stream that breaks and is resumed, a
// chunk sent twice, staged and registered in batches of a few rows,
// gives the report ImportMembers gives, row by row; the members are
// registered with their audit records, one MembersImported per
// organisation and batch, and each organisation's count.
func TestBulkImportReportsAsImportDoes(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.svc.Bulk.BatchRows, h.svc.Bulk.RegisterRows = 4, 5
	tr := h.tree(t)
	elsewhere := person(tr.otherCommunity.GetId(), "Held Elsewhere")
	elsewhereID := elsewhere.GetNationalId()
	h.register(t, elsewhere)
	elsewhereToo := person(tr.otherCommunity.GetId(), "Held Elsewhere Too")
	elsewhereTooID := elsewhereToo.GetNationalId()
	h.register(t, elsewhereToo)
	here := person(tr.branch.GetId(), "Registered Here")
	hereID := here.GetNationalId()
	here = h.register(t, here)
	waitFor(t, "the first registrations' events", func() bool { return len(h.memberEvents(t)) == 6 })

	twice := nationalID("610102", "19700101")
	branch, community := tr.branch.GetId(), tr.community.GetId()
	csv := []byte(rosterHeader +
		rosterLine("王建国", "19600301", nationalID("610102", "19600301"), "") + // 2: taken
		rosterLine("错号码", "19600301", badCheck(nationalID("610102", "19600301")), "") + // 3
		rosterLine("错生日", "19600302", nationalID("610102", "19600301"), "") + // 4
		rosterLine("重复一", "19700101", twice, "") + // 5
		rosterLine("重复二", "19700101", twice, "") + // 6
		rosterLine("别区的", "19800115", elsewhereID, "") + // 7
		rosterLine("已登记", "19800115", hereID, "") + // 8
		rosterLine("党小组", "19650505", nationalID("610102", "19650505"), tr.group.GetId()) + // 9
		rosterLine("无组织", "19650506", nationalID("610102", "19650506"), "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c") + // 10
		rosterLine("社区的", "19650507", nationalID("610102", "19650507"), community) + // 11
		"乱填的,不知,1960-13-01,,,,2005-07-01,党员,,,,,也许,\n" + // 12
		"\n" + // 13: blank, skipped
		rosterLine("别区组织", "19650508", nationalID("610102", "19650508"), tr.otherCommunity.GetId()) + // 14
		rosterLine("张秀英", "19550708", nationalID("610102", "19550708"), "") + // 15: taken
		strings.Replace(rosterLine("两个错", "19800115", elsewhereTooID, ""), "13800000000", "没有电话", 1)) // 16
	secretary := pb.NewMemberImportServiceClient(h.as(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: community}))
	created, err := secretary.CreateImportJob(callContext(t), &pb.CreateImportJobRequest{OrganisationId: branch, RequestId: "city-roster-1"})
	if err != nil {
		t.Fatal(err)
	}
	jobID := created.GetJob().GetId()

	// The first stream sends two thirds of the file and breaks.
	ctx, cancel := context.WithCancel(callContext(t))
	stream, err := secretary.UploadImportChunks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cut := len(csv) * 2 / 3
	for off := 0; off < cut; off += 50 {
		if err := stream.Send(&pb.UploadImportChunksRequest{JobId: jobID, Offset: int64(off), Data: csv[off:min(off+50, cut)]}); err != nil {
			t.Fatal(err)
		}
	}
	var job *pb.ImportJob
	waitFor(t, "the rows sent staged", func() bool {
		resp, err := secretary.GetImportJob(callContext(t), &pb.GetImportJobRequest{Id: jobID})
		job = resp.GetJob()
		return err == nil && job.GetRowsReceived() >= 8
	})
	cancel()
	// Every complete row sent is kept, the partial one is not.
	complete := int64(strings.Count(string(csv[:cut]), "\n") - 1 - strings.Count(string(csv[:cut]), "\n\n"))
	waitFor(t, "the broken stream's rows staged", func() bool {
		resp, err := secretary.GetImportJob(callContext(t), &pb.GetImportJobRequest{Id: jobID})
		job = resp.GetJob()
		return err == nil && job.GetRowsReceived() == complete
	})
	resume := int(job.GetResumeOffset())
	if resume == 0 || resume > cut || job.GetState() != pb.ImportJobState_IMPORT_JOB_STATE_RECEIVING {
		t.Fatalf("after the break: %v", job)
	}

	t.Run("a chunk past what was received is refused naming the offset", func(t *testing.T) {
		_, err := sendChunks(callContext(t), secretary, jobID, csv, resume+10, resume+20, 10, false)
		if r := refusalOf(err); r.Code != codes.FailedPrecondition || !cmp.Equal(r.Fields, []string{"offset"}) {
			t.Errorf("refusal %v (%v)", r, err)
		}
	})

	// The client resumes a little before the offset (a chunk it had sent
	// again), then sends the rest.
	done, err := sendChunks(callContext(t), secretary, jobID, csv, max(resume-30, 0), len(csv), 40, true)
	if err != nil {
		t.Fatal(err)
	}
	if done.GetState() != pb.ImportJobState_IMPORT_JOB_STATE_DONE || done.GetRowsReceived() != 14 ||
		done.GetRowsRegistered() != 3 || done.GetRowsRefused() != 10 || done.GetRowsAlreadyRegistered() != 1 ||
		done.GetRowsChecked() != 14 || done.GetResumeOffset() != int64(len(csv)) {
		t.Errorf("job when done: %v", done)
	}

	want := []reportRow{
		{2, taken, branch, nil},
		{3, refused, branch, []string{"national_id: the check character does not match: the number is mistyped"}},
		{4, refused, branch, []string{"birth_date: the birth date does not agree with the national ID number"}},
		{5, refused, branch, []string{"national_id: the same ID number is on row 6 of the file"}},
		{6, refused, branch, []string{"national_id: the same ID number is on row 5 of the file"}},
		{7, refused, branch, []string{"national_id: already registered in Yongchang County Committee"}},
		{8, already, branch, nil},
		{9, refused, tr.group.GetId(), []string{"organisation_id: a party group cannot hold memberships; use its branch"}},
		{10, refused, "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c", []string{"organisation_id: no organisation has this id"}},
		{11, taken, community, nil},
		{12, refused, branch, []string{
			"sex: not one of 女, 男",
			"birth_date: not a date: write it as 1980-01-15",
			"status: not one of 正式, 正式党员, 预备, 预备党员",
			"hardship: write 是 or 否",
			"national_id: national ID number is required",
		}},
		{14, refused, tr.otherCommunity.GetId(), []string{"organisation_id: no organisation has this id"}},
		{15, taken, branch, nil},
		{16, refused, branch, []string{"phone: a phone number has digits, spaces, +, ( ) and - only",
			"national_id: already registered in Yongchang County Committee"}},
	}
	rows := bulkReport(t, secretary, jobID, 3, false)
	if diff := cmp.Diff(want, rowsOf(&pb.ImportReport{Rows: rows})); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if got := rows[6].GetMemberId(); got != here.GetId() {
		t.Errorf("the row already registered names member %s, want %s", got, here.GetId())
	}
	if refusedRows := bulkReport(t, secretary, jobID, 4, true); len(refusedRows) != 10 {
		t.Errorf("%d refused rows listed, want 10", len(refusedRows))
	}

	t.Run("taken rows are registered members with their audit records", func(t *testing.T) {
		var ids []string
		for _, i := range []int{0, 9, 12} {
			id := rows[i].GetMemberId()
			ids = append(ids, id)
			m, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: id})
			if err != nil {
				t.Fatalf("row %d: %v", rows[i].GetRow(), err)
			}
			if m.GetMember().GetCategoryCode() != "joint" || m.GetMember().GetResidence().GetBuilding() != "3号楼2单元" ||
				!cmp.Equal(m.GetMember().GetSkills(), []string{"调解", "书法"}) || m.GetMember().GetNationalId() == "" {
				t.Errorf("row %d registered as %v", rows[i].GetRow(), m.GetMember())
			}
		}
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'write' AND subject_type = 'member'
			AND method = $1 AND subject_id = ANY($2) AND after->>'name' <> '' AND after->>'categoryCode' = 'joint'
			AND actor_role = 'community_secretary'`, pb.MemberImportService_UploadImportChunks_FullMethodName, ids); n != 3 {
			t.Errorf("%d audit records of the taken rows, want 3", n)
		}
		if n := h.count(t, `SELECT count(*) FROM members`); n != 6 {
			t.Errorf("%d members, want the 3 registered before and 3 imported", n)
		}
	})
	t.Run("arrivals and counts are published", func(t *testing.T) {
		var imported map[string][]string
		waitFor(t, "the import's events", func() bool {
			imported = map[string][]string{}
			for _, e := range h.memberEvents(t) {
				if ev, ok := e.(*pb.MembersImported); ok {
					for _, m := range ev.GetMembers() {
						imported[ev.GetOrganisationId()] = append(imported[ev.GetOrganisationId()], m.GetId())
					}
				}
			}
			return len(imported[branch]) == 2 && len(imported[community]) == 1
		})
		last := map[string]int64{}
		for org, cs := range counts(h.memberEvents(t)) {
			last[org] = cs[len(cs)-1]
		}
		if last[branch] != 3 || last[community] != 1 {
			t.Errorf("last counts published %v", last)
		}
		for _, e := range h.memberEvents(t) {
			if ev, ok := e.(*pb.MembersImported); ok {
				for _, m := range ev.GetMembers() {
					if m.GetNationalId() != "" || m.GetName() != "" {
						t.Errorf("an event carries personal data: %v", ev)
					}
				}
			}
		}
	})
	t.Run("counts read from counters agree with the members", func(t *testing.T) {
		for _, org := range []string{branch, community} {
			resp, err := h.members.CountMembers(callContext(t), &pb.CountMembersRequest{OrganisationId: org})
			if err != nil {
				t.Fatal(err)
			}
			if live := h.count(t, `SELECT count(*) FROM members WHERE organisation_id = $1 AND left_at IS NULL`, org); int(resp.GetCount()) != live {
				t.Errorf("organisation %s: counted %d, %d live", org, resp.GetCount(), live)
			}
		}
	})
	t.Run("a retried creation returns the job, and a resent file changes nothing", func(t *testing.T) {
		again, err := secretary.CreateImportJob(callContext(t), &pb.CreateImportJobRequest{OrganisationId: branch, RequestId: "city-roster-1"})
		if err != nil || again.GetJob().GetId() != jobID {
			t.Fatalf("%v, %v", again, err)
		}
		job, err := sendChunks(callContext(t), secretary, jobID, csv, 0, len(csv), 100, true)
		if err != nil || !proto.Equal(job, done) && job.GetRowsRegistered() != 3 {
			t.Errorf("%v, %v", job, err)
		}
		if n := h.count(t, `SELECT count(*) FROM members`); n != 6 {
			t.Errorf("%d members after the file was sent again", n)
		}
	})
	t.Run("outside the caller's scope the job does not exist", func(t *testing.T) {
		other := pb.NewMemberImportServiceClient(h.as(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: tr.otherCommunity.GetId()}))
		_, err := other.GetImportJob(callContext(t), &pb.GetImportJobRequest{Id: jobID})
		if r := refusalOf(err); r.Code != codes.NotFound {
			t.Errorf("GetImportJob: %v", err)
		}
		_, err = sendChunks(callContext(t), other, jobID, csv, 0, 10, 10, false)
		if r := refusalOf(err); r.Code != codes.NotFound {
			t.Errorf("UploadImportChunks: %v", err)
		}
		_, err = other.CreateImportJob(callContext(t), &pb.CreateImportJobRequest{OrganisationId: branch})
		if r := refusalOf(err); r.Code != codes.NotFound {
			t.Errorf("CreateImportJob: %v", err)
		}
	})
}
