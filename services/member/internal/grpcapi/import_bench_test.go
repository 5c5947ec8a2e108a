package grpcapi_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"

	"gongjian.dev/pkg/orgview"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
)

// importRows is the size of the roster the benchmark imports.
const importRows = 5000

// BenchmarkImport imports rosters of 5,000 new members, as CSV and as a
// workbook, into one branch, over gRPC with the token checked, every row
// registered with its event and audit record and the relay publishing;
// rows/s is the figure. Beside it, in the same run: the same roster as a
// dry run (reading and checking only), and CreateMember one member at a
// time, which an import replaces.
//
//	go test -run '^$' -bench BenchmarkImport -benchtime=3x ./internal/grpcapi/
func BenchmarkImport(b *testing.B) {
	env := newImportBench(b)
	next := 0
	roster := func() []rosterRow {
		rows := make([]rosterRow, importRows)
		for i := range rows {
			rows[i] = benchRow(next)
			next++
		}
		return rows
	}
	run := func(b *testing.B, encode func(testing.TB, []rosterRow) []byte, dryRun bool) {
		var took time.Duration
		for b.Loop() {
			b.StopTimer()
			content := encode(b, roster())
			b.StartTimer()
			start := time.Now()
			resp, err := env.members.ImportMembers(context.Background(), &pb.ImportMembersRequest{Content: content,
				OrganisationId: env.branch, DryRun: dryRun})
			took += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if got := resp.GetReport().GetTaken(); got != importRows {
				b.Fatalf("%d rows taken of %d: %v", got, importRows, resp.GetReport().GetRows()[0])
			}
		}
		b.ReportMetric(float64(importRows*b.N)/took.Seconds(), "rows/s")
	}
	b.Run("CSV", func(b *testing.B) { run(b, rosterCSV, false) })
	b.Run("XLSX", func(b *testing.B) { run(b, rosterXLSX, false) })
	b.Run("CSV dry run", func(b *testing.B) { run(b, rosterCSV, true) })
	b.Run("CreateMember one by one", func(b *testing.B) {
		start := time.Now()
		n := 0
		for b.Loop() {
			r := benchRow(next)
			next++
			n++
			_, err := env.members.CreateMember(context.Background(), &pb.CreateMemberRequest{Member: &pb.Member{
				Name: r.name, Sex: pb.Sex_SEX_FEMALE, BirthDate: r.birth.Format(time.DateOnly), NationalId: r.id,
				JoinDate: "2005-07-01", Status: pb.MemberStatus_MEMBER_STATUS_FULL,
				EmploymentStatus: pb.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED, OrganisationId: env.branch}})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "rows/s")
	})
}

type rosterRow struct {
	name, id string
	birth    time.Time
}

// benchRow is the k-th member of the benchmark: a birth date of its own
// in a cycle of 20,000 days, and a sequence number for each cycle.
func benchRow(k int) rosterRow {
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, k%20000)
	first := fmt.Sprintf("610102%s%03d", birth.Format("20060102"), k/20000%1000)
	return rosterRow{name: fmt.Sprintf("党员%05d", k), id: first + string(member.CheckCharacter(first)), birth: birth}
}

var benchHeader = []string{"姓名", "性别", "出生日期", "身份证号", "联系电话", "学历", "入党日期", "党员类别", "就业状态", "工作单位", "居住地址", "技能特长", "困难党员"}

func (r rosterRow) cells() []string {
	return []string{r.name, "女", r.birth.Format(time.DateOnly), r.id, "13800000000", "大专", "2005-07-01", "正式", "退休",
		"市供电公司", "金川区广州路3号楼2单元", "调解、书法", "否"}
}

func rosterCSV(_ testing.TB, rows []rosterRow) []byte {
	var b strings.Builder
	b.WriteString(strings.Join(benchHeader, ",") + "\n")
	for _, r := range rows {
		b.WriteString(strings.Join(r.cells(), ",") + "\n")
	}
	return []byte(b.String())
}

func rosterXLSX(t testing.TB, rows []rosterRow) []byte {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	row := func(i int, cells []string) {
		vals := make([]any, len(cells))
		for j, c := range cells {
			vals[j] = c
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", i), vals); err != nil {
			t.Fatal(err)
		}
	}
	row(1, benchHeader)
	for i, r := range rows {
		row(i+2, r.cells())
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type importBench struct {
	members pb.MemberServiceClient
	branch  string
}

// newImportBench starts the service as main does, on a durable database,
// with a branch to import into in the local view.
func newImportBench(b *testing.B) *importBench {
	b.Helper()
	ctx := context.Background()
	h := benchHarness(b)
	pool := h.Pool

	ids := []string{member.NewID(), member.NewID(), member.NewID(), member.NewID(), member.NewID()}
	kinds := []string{"CITY", "DISTRICT", "STREET", "COMMUNITY", "BRANCH"}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for i, id := range ids {
			if err := orgview.Apply(ctx, tx, orgview.Record{ID: id, Kind: kinds[i], State: member.OrgActive,
				Name: kinds[i], DistrictID: ids[1], AncestorIDs: ids[:i]}, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}

	conn := h.As(cityAdmin)
	return &importBench{members: pb.NewMemberServiceClient(conn), branch: ids[4]}
}
