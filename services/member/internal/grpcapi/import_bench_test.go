package grpcapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/xuri/excelize/v2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/authz"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/grpcserver"
	"gongjian.dev/pkg/natsembed"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgtest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/grpcapi"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/store"
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

// newImportBench wires the service as main does (the test harness is for
// tests only), with a branch to import into in the local view.
func newImportBench(b *testing.B) *importBench {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pool := pgtest.Pool(b, store.Schema, store.AllMigrations...)
	ns, err := natsembed.Start(natsembed.Options{StoreDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.URL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	if err := events.EnsureStream(ctx, js, memberStream); err != nil {
		b.Fatal(err)
	}
	relayCtx, stopRelay := context.WithCancel(ctx)
	relayDone := make(chan struct{})
	go func() {
		defer close(relayDone)
		_ = outbox.NewRelay(pool, js, outbox.RelayOptions{Logger: log, LockKey: 0x6d656d6f7574}).Run(relayCtx)
	}()
	b.Cleanup(func() { stopRelay(); <-relayDone })

	ids := []string{member.NewID(), member.NewID(), member.NewID(), member.NewID(), member.NewID()}
	kinds := []string{"CITY", "DISTRICT", "STREET", "COMMUNITY", "BRANCH"}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for i, id := range ids {
			if err := store.ApplyOrg(ctx, tx, store.OrgRecord{ID: id, Kind: kinds[i], State: member.OrgActive,
				Name: kinds[i], DistrictID: ids[1], AncestorIDs: ids[:i]}, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}

	sealer, err := idcrypt.New("v1:"+idcrypt.NewKey(), idcrypt.NewKey())
	if err != nil {
		b.Fatal(err)
	}
	st := store.New(pool, sealer)
	verifier := authtest.Verifier(b)
	policy := grpcapi.Policy(st)
	srv, err := grpcserver.New(log, grpcserver.Options{
		AuthUnary: []grpc.UnaryServerInterceptor{auth.UnaryInterceptor(verifier, auth.OpenMethods),
			grpcapi.UnaryInterceptor(policy, st, auth.OpenMethods)},
		AuthStream: []grpc.StreamServerInterceptor{auth.StreamInterceptor(verifier, auth.OpenMethods),
			authz.StreamInterceptor(policy, st, auth.OpenMethods)},
	})
	if err != nil {
		b.Fatal(err)
	}
	grpcapi.Register(srv, member.NewService(st, nil, nil), st)
	lis := bufconn.Listen(1 << 20)
	srvCtx, stop := context.WithCancel(ctx)
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.Serve(srvCtx, lis, 5*time.Second) }()
	b.Cleanup(func() { stop(); <-served })
	conn, err := grpc.NewClient("passthrough:///member",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.BearerToken(authtest.Token(b, cityAdmin), false)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	return &importBench{members: pb.NewMemberServiceClient(conn), branch: ids[4]}
}
