package grpcapi_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/requestid"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/roster"
)

const rosterHeader = "姓名,性别,出生日期,身份证号,联系电话,学历,入党日期,党员类别,就业状态,工作单位,居住地址,技能特长,困难党员,组织ID\n"

// rosterLine is one CSV line of a member born on birth (YYYYMMDD) with
// this number.
func rosterLine(name, birth, id, org string) string {
	b, _ := time.Parse("20060102", birth)
	return fmt.Sprintf("%s,女,%s,%s,13800000000,大专,2005-07-01,正式,退休,,3号楼2单元,调解、书法,否,%s\n",
		name, b.Format(time.DateOnly), id, org)
}

// badCheck is a number whose check character is wrong.
func badCheck(id string) string {
	last := byte('0')
	if id[17] == '0' {
		last = '1'
	}
	return id[:17] + string(last)
}

// reportRow is a row of a report without the generated member ids.
type reportRow struct {
	Row      int32
	Outcome  pb.ImportOutcome
	Org      string
	Problems []string // "field: message"
}

func rowsOf(r *pb.ImportReport) []reportRow {
	var out []reportRow
	for _, row := range r.GetRows() {
		rr := reportRow{Row: row.GetRow(), Outcome: row.GetOutcome(), Org: row.GetOrganisationId()}
		for _, p := range row.GetProblems() {
			rr.Problems = append(rr.Problems, p.GetField()+": "+p.GetMessage())
		}
		out = append(out, rr)
	}
	return out
}

const (
	taken   = pb.ImportOutcome_IMPORT_OUTCOME_TAKEN
	refused = pb.ImportOutcome_IMPORT_OUTCOME_REFUSED
	already = pb.ImportOutcome_IMPORT_OUTCOME_ALREADY_REGISTERED
)

// TestImportARoster: the rows that are fine are registered as
// CreateMember registers, each with its audit record; every other row is
// refused with each of its problems; the counts of each organisation are
// published once; a retry returns the same report and imports nothing.
func TestImportARoster(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
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
	csv := rosterHeader +
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
		strings.Replace(rosterLine("两个错", "19800115", elsewhereTooID, ""), "13800000000", "没有电话", 1) // 16
	secretary := pb.NewMemberServiceClient(h.as(devissuer.Claims{Role: auth.CommunitySecretary, ScopeOrgID: community}))
	req := &pb.ImportMembersRequest{Content: []byte(csv), OrganisationId: branch, RequestId: "roster-2026-01"}
	resp, err := secretary.ImportMembers(callContext(t), req)
	if err != nil {
		t.Fatal(err)
	}
	report := resp.GetReport()
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
	if diff := cmp.Diff(want, rowsOf(report)); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if report.GetTaken() != 3 || report.GetRefused() != 10 || report.GetAlreadyRegistered() != 1 || report.GetId() == "" {
		t.Errorf("totals: %d taken, %d refused, %d already, id %q", report.GetTaken(), report.GetRefused(),
			report.GetAlreadyRegistered(), report.GetId())
	}
	if got := report.GetRows()[6].GetMemberId(); got != here.GetId() {
		t.Errorf("the row already registered names member %s, want %s", got, here.GetId())
	}

	t.Run("taken rows are registered members", func(t *testing.T) {
		var ids []string
		for i, want := range map[int]struct{ name, org, category string }{
			0: {"王建国", branch, "joint"}, 9: {"社区的", community, "joint"}, 12: {"张秀英", branch, "joint"}} {
			id := report.GetRows()[i].GetMemberId()
			ids = append(ids, id)
			m, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: id})
			if err != nil {
				t.Fatalf("row %d: %v", report.GetRows()[i].GetRow(), err)
			}
			if m.GetMember().GetName() != want.name || m.GetMember().GetOrganisationId() != want.org ||
				m.GetMember().GetCategoryCode() != want.category || m.GetMember().GetResidence().GetBuilding() != "3号楼2单元" ||
				!cmp.Equal(m.GetMember().GetSkills(), []string{"调解", "书法"}) {
				t.Errorf("row %d registered as %v", report.GetRows()[i].GetRow(), m.GetMember())
			}
		}
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE action = 'write' AND subject_type = 'member'
			AND method = $1 AND subject_id = ANY($2) AND after IS NOT NULL`, pb.MemberService_ImportMembers_FullMethodName, ids); n != 3 {
			t.Errorf("%d audit records of the taken rows, want 3", n)
		}
		if n := h.count(t, `SELECT count(*) FROM audit_log WHERE method = $1 AND action = 'write'`,
			pb.MemberService_ImportMembers_FullMethodName); n != 3 {
			t.Errorf("%d audit records of the import, want one per taken row", n)
		}
	})
	t.Run("refused rows are absent", func(t *testing.T) {
		if n := h.count(t, `SELECT count(*) FROM members WHERE name = ANY($1)`, []string{"错号码", "错生日", "重复一", "重复二",
			"别区的", "已登记", "党小组", "无组织", "乱填的", "别区组织", "两个错"}); n != 0 {
			t.Errorf("%d refused rows were registered", n)
		}
		if n := h.count(t, `SELECT count(*) FROM members`); n != 6 {
			t.Errorf("%d members, want the 3 registered before and 3 imported", n)
		}
	})
	t.Run("each organisation's count is published once", func(t *testing.T) {
		waitFor(t, "the import's events", func() bool { return len(h.memberEvents(t)) == 6+3+2 })
		want := map[string][]int64{branch: {1, 3}, community: {1}, tr.otherCommunity.GetId(): {1, 2}}
		if diff := cmp.Diff(want, counts(h.memberEvents(t))); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}
		for _, e := range h.memberEvents(t) {
			if r, ok := e.(*pb.MemberRegistered); ok && r.GetMember().GetNationalId() != "" {
				t.Errorf("an event carries the ID number: %v", r)
			}
		}
	})
	t.Run("a retry returns the same report and imports nothing", func(t *testing.T) {
		again, err := secretary.ImportMembers(callContext(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(report, again.GetReport(), protocmp.Transform()); diff != "" {
			t.Errorf("replayed report (-first +replay):\n%s", diff)
		}
		if n := h.count(t, `SELECT count(*) FROM members`); n != 6 {
			t.Errorf("%d members after the retry", n)
		}
		waitFor(t, "the outbox relayed", func() bool { return h.count(t, `SELECT count(*) FROM outbox`) == 0 })
		if n := len(h.memberEvents(t)); n != 11 {
			t.Errorf("%d events after the retry, want 11", n)
		}
	})
	t.Run("the report never carries a number", func(t *testing.T) {
		b, _ := proto.Marshal(report)
		for _, id := range []string{hereID, elsewhereID, elsewhereTooID, twice} {
			if bytes.Contains(b, []byte(id[6:14])) {
				t.Errorf("the report repeats a number")
			}
		}
	})
}

// TestImportAWorkbook: an .xlsx roster with dates kept as Excel dates is
// read from its first sheet, its format detected.
func TestImportAWorkbook(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	f := excelize.NewFile()
	header := []any{"姓名", "性别", "出生日期", "身份证号", "联系电话", "学历", "入党日期", "党员类别", "就业状态", "工作单位", "技能特长", "困难党员"}
	rows := [][]any{
		header,
		{"刘志强", "男", time.Date(1972, 4, 18, 0, 0, 0, 0, time.UTC), nationalID("610102", "19720418"), "13900000000", "本科",
			time.Date(1998, 7, 1, 0, 0, 0, 0, time.UTC), "正式", "在职", "市供电公司", "电工", "否"},
		{"陈静", "女", time.Date(1985, 9, 9, 0, 0, 0, 0, time.UTC), nationalID("610102", "19850910"), "", "",
			"2010-07-01", "预备", "", "", "", ""},
		{"杨勇", "男", "1990-02-03", nationalID("610102", "19900203"), "", "研究生", "2015/6/30", "预备党员", "个体", "", "", "是"},
	}
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	style, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.SetColStyle("Sheet1", "C", style); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	resp, err := h.members.ImportMembers(callContext(t), &pb.ImportMembersRequest{Content: buf.Bytes(), OrganisationId: tr.branch.GetId()})
	if err != nil {
		t.Fatal(err)
	}
	want := []reportRow{
		{2, taken, tr.branch.GetId(), nil},
		{3, refused, tr.branch.GetId(), []string{"birth_date: the birth date does not agree with the national ID number"}},
		{4, taken, tr.branch.GetId(), nil},
	}
	if diff := cmp.Diff(want, rowsOf(resp.GetReport())); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	m, err := h.members.GetMember(callContext(t), &pb.GetMemberRequest{Id: resp.GetReport().GetRows()[0].GetMemberId()})
	if err != nil {
		t.Fatal(err)
	}
	got := m.GetMember()
	if got.GetBirthDate() != "1972-04-18" || got.GetJoinDate() != "1998-07-01" || got.GetEducation() != pb.Education_EDUCATION_BACHELOR ||
		got.GetEmployer() != "市供电公司" || got.GetCategoryCode() != "dual" {
		t.Errorf("the workbook's first member registered as %v", got)
	}
	if n := h.count(t, `SELECT count(*) FROM member_imports`); n != 1 {
		t.Errorf("%d reports kept, want 1", n)
	}
}

// TestADryRunWritesNothing: a dry run reports what an import would do,
// and registers, publishes, audits and remembers nothing.
func TestADryRunWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	csv := rosterHeader + rosterLine("王建国", "19600301", nationalID("610102", "19600301"), "") +
		rosterLine("错号码", "19600301", badCheck(nationalID("610102", "19600301")), "")
	req := &pb.ImportMembersRequest{Content: []byte(csv), OrganisationId: tr.branch.GetId(), DryRun: true, RequestId: "dry-1"}
	for range 2 {
		resp, err := h.members.ImportMembers(callContext(t), req)
		if err != nil {
			t.Fatal(err)
		}
		want := []reportRow{{2, taken, tr.branch.GetId(), nil},
			{3, refused, tr.branch.GetId(), []string{"national_id: the check character does not match: the number is mistyped"}}}
		if diff := cmp.Diff(want, rowsOf(resp.GetReport())); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
		if r := resp.GetReport(); !r.GetDryRun() || r.GetId() != "" || r.GetRows()[0].GetMemberId() != "" {
			t.Errorf("a dry run's report: %v", r)
		}
	}
	if n := h.count(t, `SELECT (SELECT count(*) FROM members) + (SELECT count(*) FROM audit_log WHERE action = 'write')
		+ (SELECT count(*) FROM outbox) + (SELECT count(*) FROM member_imports) + (SELECT count(*) FROM requests)`); n != 0 {
		t.Errorf("a dry run wrote %d rows", n)
	}
	if n := len(h.memberEvents(t)); n != 0 {
		t.Errorf("a dry run published %d events", n)
	}
}

// TestAnImportLosesANumberRegisteredMeanwhile: a CreateMember that
// registers a number while an import is writing it wins; the import
// reports that row refused, naming the district, registers the others,
// and leaves nothing of the lost row behind.
func TestAnImportLosesANumberRegisteredMeanwhile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	ctx := callContext(t)
	contested := person(tr.otherCommunity.GetId(), "Registered Meanwhile")

	// Hold the creation between its insert and its commit: it waits on a
	// request id this transaction has taken and not committed.
	hold, err := h.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = hold.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := hold.Exec(ctx, `INSERT INTO requests (request_id, resource_id) VALUES ($1, $2)`,
		requestid.For(cityAdmin.Subject, "create_member/meanwhile"), "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"); err != nil {
		t.Fatal(err)
	}
	created := make(chan error, 1)
	go func() {
		_, err := h.members.CreateMember(ctx, &pb.CreateMemberRequest{Member: contested, RequestId: "meanwhile"})
		created <- err
	}()
	h.waitWaiting(t, 1)

	csv := rosterHeader + rosterLine("先导入", "19600301", nationalID("610102", "19600301"), "") +
		rosterLine("同号码", "19800115", contested.GetNationalId(), "") +
		rosterLine("后导入", "19600302", nationalID("610102", "19600302"), "")
	imported := make(chan *pb.ImportMembersResponse, 1)
	importErr := make(chan error, 1)
	go func() {
		resp, err := h.members.ImportMembers(ctx, &pb.ImportMembersRequest{Content: []byte(csv), OrganisationId: tr.branch.GetId()})
		imported <- resp
		importErr <- err
	}()
	h.waitWaiting(t, 2) // the import's insert waits on the creation's row
	if err := hold.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-created; err != nil {
		t.Fatalf("the creation: %v", err)
	}
	resp := <-imported
	if err := <-importErr; err != nil {
		t.Fatalf("the import: %v", err)
	}
	want := []reportRow{
		{2, taken, tr.branch.GetId(), nil},
		{3, refused, tr.branch.GetId(), []string{"national_id: already registered in Yongchang County Committee"}},
		{4, taken, tr.branch.GetId(), nil},
	}
	if diff := cmp.Diff(want, rowsOf(resp.GetReport())); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if n := h.count(t, `SELECT count(*) FROM members WHERE organisation_id = $1`, tr.branch.GetId()); n != 2 {
		t.Errorf("%d members in the branch, want the 2 taken", n)
	}
	if n := h.count(t, `SELECT count(*) FROM members WHERE name = '同号码'`); n != 0 {
		t.Errorf("the lost row was registered")
	}
	if n := h.count(t, `SELECT count(*) FROM audit_log WHERE method = $1`, pb.MemberService_ImportMembers_FullMethodName); n != 2 {
		t.Errorf("%d audit records of the import, want 2", n)
	}
	waitFor(t, "every event", func() bool { return len(h.memberEvents(t)) == 2+2+1 })
	want2 := map[string][]int64{tr.branch.GetId(): {2}, tr.otherCommunity.GetId(): {1}}
	if diff := cmp.Diff(want2, counts(h.memberEvents(t))); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
}

// waitWaiting waits until n statements of the test's database wait on a lock.
func (h *harness) waitWaiting(t *testing.T, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d statements waiting on a lock", n), func() bool {
		var waiting int
		err := h.pool.QueryRow(callContext(t), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting)
		return err == nil && waiting >= n
	})
}

// TestImportRefusals: a file that is no roster, or one too large, is
// refused whole on content; rows without a required column are refused
// each; an organisation outside the caller's scope is not found.
func TestImportRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	t.Run("too many rows", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("姓名,性别\n")
		for range 20_001 {
			b.WriteString("x,男\n")
		}
		_, err := h.members.ImportMembers(callContext(t), &pb.ImportMembersRequest{Content: []byte(b.String()), OrganisationId: tr.branch.GetId()})
		if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"content"}}, refusalOf(err)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("too large", func(t *testing.T) {
		_, err := h.members.ImportMembers(callContext(t), &pb.ImportMembersRequest{Content: bytes.Repeat([]byte("x"), roster.MaxImportBytes+1),
			OrganisationId: tr.branch.GetId()})
		if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"content"}}, refusalOf(err)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a file of several megabytes reaches the service", func(t *testing.T) {
		// Larger than gRPC's default 4 MiB, within the service's 10 MiB: it
		// is read and refused for what it holds, not for its size.
		_, err := h.members.ImportMembers(callContext(t), &pb.ImportMembersRequest{Content: bytes.Repeat([]byte("x"), 6<<20),
			OrganisationId: tr.branch.GetId()})
		if diff := cmp.Diff(refusal{codes.InvalidArgument, []string{"content"}}, refusalOf(err)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a missing required column", func(t *testing.T) {
		csv := "name,sex,birth_date,national_id,status\n王建国,男,1960-03-01," + nationalID("610102", "19600301") + ",正式\n"
		resp, err := h.members.ImportMembers(callContext(t), &pb.ImportMembersRequest{Content: []byte(csv), OrganisationId: tr.branch.GetId()})
		if err != nil {
			t.Fatal(err)
		}
		want := []reportRow{{2, refused, tr.branch.GetId(), []string{"join_date: the file has no 入党日期 (join_date) column"}}}
		if diff := cmp.Diff(want, rowsOf(resp.GetReport())); diff != "" {
			t.Errorf("report (-want +got):\n%s", diff)
		}
	})
	t.Run("a default organisation outside the caller's scope", func(t *testing.T) {
		c := pb.NewMemberServiceClient(h.as(devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: tr.otherDistrict.GetId()}))
		_, err := c.ImportMembers(callContext(t), &pb.ImportMembersRequest{Content: []byte(rosterHeader), OrganisationId: tr.branch.GetId()})
		if got := refusalOf(err).Code; got != codes.NotFound {
			t.Errorf("%v, want NotFound", err)
		}
	})
	if n := h.count(t, `SELECT count(*) FROM members`); n != 0 {
		t.Errorf("refused imports registered %d members", n)
	}
}
