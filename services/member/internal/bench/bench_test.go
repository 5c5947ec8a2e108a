package bench_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/auth/authtest"
	"gongjian.dev/pkg/auth/devissuer"
	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/bench"
	"gongjian.dev/services/member/internal/idcrypt"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/wiring"
)

// The city of the benchmarks: 16 districts of 10 streets of 25
// communities, each community with 5 branches; 1,000,000 members spread
// over the branches (50 a branch, 250 a community, 62,500 a district).
// BENCH_MEMBERS changes the number of members.
var shape = struct{ districts, streetsPer, communitiesPer, branchesPer int }{16, 10, 25, 5}

type city struct {
	id          string
	districts   []string
	communities []string
	branches    []string
	// branchDistrict is each branch's district.
	branchDistrict map[string]string
	members        []string
}

// concurrency × GOMAXPROCS clients call at once: 16 on two cores.
const concurrency = 8

type env struct {
	conn   *grpc.ClientConn
	pool   *pgxpool.Pool
	city   *city
	issuer *devissuer.Issuer
	// next hands out members not yet transferred, one per flow.
	next atomic.Int64
}

func setup(b *testing.B) *env {
	b.Helper()
	cfg := &wiring.Config{IDKeys: "v1:" + idcrypt.NewKey(), IDHashKey: idcrypt.NewKey(), SweepInterval: time.Hour}
	spec := wiring.Spec(cfg)
	pool := servicetest.DurablePool(b, spec)
	ids, err := idcrypt.New(cfg.IDKeys, cfg.IDHashKey)
	if err != nil {
		b.Fatal(err)
	}
	n := 1_000_000
	if v := os.Getenv("BENCH_MEMBERS"); v != "" {
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	c := seed(b, pool, ids, n)
	// The service as main runs it, over loopback; each call carries its
	// own token (see as).
	h := servicetest.Start(b, spec, servicetest.WithPool(pool), servicetest.Loopback(),
		servicetest.WithStreams(events.StreamSpec{Name: "ORGANISATION", Subjects: []string{"gongjian.organisation.v1.>"}}),
		servicetest.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	return &env{conn: h.As(devissuer.Claims{}), pool: pool, city: c, issuer: authtest.Issuer(b)}
}

// as returns call options carrying a token for claims.
func (e *env) as(b *testing.B, c devissuer.Claims) grpc.CallOption {
	if c.Subject == "" {
		c.Subject = "bench-" + string(c.Role)
	}
	token, err := e.issuer.Issue(c)
	if err != nil {
		b.Fatal(err)
	}
	return grpc.PerRPCCredentials(auth.BearerToken(token, false))
}

func uuid() string { return member.NewID() }

// seed writes the local organisation view and n members with COPY, as a
// migration from an older system would: sealed, hashed, valid ID numbers.
func seed(b *testing.B, pool *pgxpool.Pool, ids *idcrypt.Sealer, n int) *city {
	b.Helper()
	ctx := context.Background()
	start := time.Now()
	now := time.Now().UTC()
	c := &city{id: uuid(), branchDistrict: map[string]string{}}
	var orgs [][]any
	add := func(id, kind, district, path string) {
		var d any
		if district != "" {
			d = district
		}
		orgs = append(orgs, []any{id, kind, "ACTIVE", kind + " " + id[len(id)-6:], d, path, now})
	}
	cityPath := "/" + c.id + "/"
	add(c.id, "CITY", "", cityPath)
	paths := map[string]string{}
	for range shape.districts {
		d := uuid()
		dp := cityPath + d + "/"
		add(d, "DISTRICT", d, dp)
		c.districts = append(c.districts, d)
		for range shape.streetsPer {
			s := uuid()
			sp := dp + s + "/"
			add(s, "STREET", d, sp)
			for range shape.communitiesPer {
				cm := uuid()
				cp := sp + cm + "/"
				add(cm, "COMMUNITY", d, cp)
				c.communities = append(c.communities, cm)
				for range shape.branchesPer {
					br := uuid()
					add(br, "BRANCH", d, cp+br+"/")
					c.branches = append(c.branches, br)
					c.branchDistrict[br] = d
					paths[br] = cp + br + "/"
				}
			}
		}
	}
	if _, err := pool.CopyFrom(ctx, pgx.Identifier{"orgs"}, []string{"id", "kind", "state", "name", "district_id", "path", "updated_at"},
		pgx.CopyFromRows(orgs)); err != nil {
		b.Fatal(err)
	}
	branches := make([]bench.Branch, len(c.branches))
	for i, br := range c.branches {
		branches[i] = bench.Branch{ID: br, District: c.branchDistrict[br], Path: paths[br]}
	}
	members, err := bench.SeedMembers(ctx, pool, ids, "members", branches, n)
	if err != nil {
		b.Fatal(err)
	}
	c.members = members
	r := rand.New(rand.NewPCG(1, 2))
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	r.Shuffle(len(c.members), func(i, j int) { c.members[i], c.members[j] = c.members[j], c.members[i] })
	b.Logf("seeded %d organisations and %d members in %v", len(orgs), n, time.Since(start).Round(time.Second))
	return c
}

func pick(ids []string) string { return ids[rand.IntN(len(ids))] }

func BenchmarkMembers(b *testing.B) {
	e := setup(b)
	ctx := context.Background()
	admin := e.as(b, devissuer.Claims{Role: auth.CityAdmin})
	members := pb.NewMemberServiceClient(e.conn)
	transfers := pb.NewTransferServiceClient(e.conn)
	categories := pb.NewCategoryServiceClient(e.conn)

	servicetest.Ceilings(b, e.conn, e.pool, concurrency)

	// A complete transfer: the sending district requests it, the member
	// confirms with their own token, the sender releases the letter and the
	// receiving district receives it, four calls, each its own transaction
	// with its events and audit record. One in three crosses districts.
	transfer := func(name string) {
		b.Run(name, func(b *testing.B) { e.transfers(b, transfers) })
	}
	// With and without the counters rolled up per ancestor, for their
	// cost, twice in turn: the machine's load drifts.
	for range 2 {
		transfer("transfer/complete-three-party-flow")
		e.withoutRollup(b, func() { transfer("transfer/complete-three-party-flow-without-rolled-up-counters") })
	}

	list := func(name string, req func() *pb.ListMembersRequest, want int) {
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(concurrency)
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					resp, err := members.ListMembers(ctx, req(), admin)
					if err != nil {
						b.Fatal(err)
					}
					if len(resp.GetMembers()) < want {
						b.Fatalf("%d members, want %d", len(resp.GetMembers()), want)
					}
				}
			})
		})
	}
	list("list/first-page-of-a-district-subtree", func() *pb.ListMembersRequest {
		return &pb.ListMembersRequest{AncestorId: pick(e.city.districts)}
	}, 50)
	perCommunity := min(50, len(e.city.members)/len(e.city.communities))
	list("list/first-page-of-a-community-subtree", func() *pb.ListMembersRequest {
		return &pb.ListMembersRequest{AncestorId: pick(e.city.communities)}
	}, perCommunity)
	list("list/page-of-500-of-a-district-subtree", func() *pb.ListMembersRequest {
		return &pb.ListMembersRequest{AncestorId: pick(e.city.districts), PageSize: 500}
	}, 500)
	list("list/first-page-of-the-city", func() *pb.ListMembersRequest {
		return &pb.ListMembersRequest{AncestorId: e.city.id}
	}, 50)

	count := func(name string, org func() string) {
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(concurrency)
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					if _, err := categories.GetComposition(ctx, &pb.GetCompositionRequest{OrganisationId: org(), Subtree: true}, admin); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
	countMembers := func(name string, req func() *pb.CountMembersRequest) {
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(concurrency)
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					if _, err := members.CountMembers(ctx, req(), admin); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
	countMembers("count/members-of-a-community-subtree", func() *pb.CountMembersRequest {
		return &pb.CountMembersRequest{AncestorId: pick(e.city.communities)}
	})
	countMembers("count/members-of-a-district-subtree", func() *pb.CountMembersRequest {
		return &pb.CountMembersRequest{AncestorId: pick(e.city.districts)}
	})
	countMembers("count/retired-members-of-a-district-subtree", func() *pb.CountMembersRequest {
		return &pb.CountMembersRequest{AncestorId: pick(e.city.districts), EmploymentStatus: pb.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED}
	})
	countMembers("count/members-of-the-city", func() *pb.CountMembersRequest {
		return &pb.CountMembersRequest{AncestorId: e.city.id}
	})
	// The composition chart's age bands: whole months of birth from the
	// counters, the months a band cuts counted live; and the same band
	// counted member by member (asking for no hardship as well makes the
	// service count the members).
	band := func(org string, live bool) *pb.CountMembersRequest {
		r := &pb.CountMembersRequest{AncestorId: org, MinAge: proto.Int32(60), MaxAge: proto.Int32(79)}
		if live {
			r.Hardship = proto.Bool(false)
		}
		return r
	}
	countMembers("count/aged-60-79-of-a-district-subtree", func() *pb.CountMembersRequest { return band(pick(e.city.districts), false) })
	countMembers("count/aged-60-79-of-the-city", func() *pb.CountMembersRequest { return band(e.city.id, false) })
	countMembers("count/aged-60-79-of-a-district-subtree-counted-member-by-member", func() *pb.CountMembersRequest {
		return band(pick(e.city.districts), true)
	})
	countMembers("count/aged-60-79-of-the-city-counted-member-by-member", func() *pb.CountMembersRequest { return band(e.city.id, true) })
	list("list/district-subtree-filtered-by-name-and-age", func() *pb.ListMembersRequest {
		return &pb.ListMembersRequest{AncestorId: pick(e.city.districts), Name: fmt.Sprintf("%02d", rand.IntN(100)), MinAge: proto.Int32(60), MaxAge: proto.Int32(80)}
	}, 1)

	// A roster of 5,000 rows imported into a branch, every row registered
	// as CreateMember does (checked, classified, event, audit record) in one
	// transaction, against the million members' unique index.
	imported := 0
	importRoster := func(name string) {
		b.Run(name, func(b *testing.B) {
			var took time.Duration
			for b.Loop() {
				b.StopTimer()
				content := roster(imported, 5000)
				imported += 5000
				b.StartTimer()
				start := time.Now()
				resp, err := members.ImportMembers(ctx, &pb.ImportMembersRequest{Content: content, OrganisationId: pick(e.city.branches)}, admin)
				took += time.Since(start)
				if err != nil {
					b.Fatal(err)
				}
				if resp.GetReport().GetTaken() != 5000 {
					b.Fatalf("%d rows taken", resp.GetReport().GetTaken())
				}
			}
			b.ReportMetric(float64(5000*b.N)/took.Seconds(), "rows/s")
		})
	}
	for range 2 {
		importRoster("import/csv-roster-of-5000-rows")
		e.withoutRollup(b, func() { importRoster("import/csv-roster-of-5000-rows-without-rolled-up-counters") })
	}

	count("count/composition-of-a-community-subtree", func() string { return pick(e.city.communities) })
	count("count/composition-of-a-district-subtree", func() string { return pick(e.city.districts) })
	count("count/composition-of-the-city", func() string { return e.city.id })

	// What counts and compositions read before the counters were rolled up
	// per ancestor: the organisations' counters summed over the subtree's
	// path range (migration 012), side by side.
	summed := func(name, sql string, org func() string) {
		b.Run(name, func(b *testing.B) {
			b.SetParallelism(concurrency)
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					rows, err := e.pool.Query(ctx, sql, org())
					if err != nil {
						b.Fatal(err)
					}
					rows.Close()
					if rows.Err() != nil {
						b.Fatal(rows.Err())
					}
				}
			})
		})
	}
	const subtree = `path >= (SELECT path FROM orgs WHERE id = $1) AND path < (SELECT path || '~' FROM orgs WHERE id = $1)`
	const countSQL = `SELECT coalesce(sum(n), 0)::bigint FROM member_counts WHERE ` + subtree
	const compositionSQL = `SELECT category_code, min(category_name), sum(n)::bigint FROM member_counts WHERE ` + subtree +
		` GROUP BY category_code ORDER BY category_code`
	summed("count/members-of-a-district-summed-over-its-organisations-sql", countSQL, func() string { return pick(e.city.districts) })
	summed("count/members-of-the-city-summed-over-its-organisations-sql", countSQL, func() string { return e.city.id })
	summed("count/composition-of-the-city-summed-over-its-organisations-sql", compositionSQL, func() string { return e.city.id })
	summed("count/members-of-the-city-rolled-up-sql", `SELECT coalesce(sum(n), 0)::bigint FROM
		(SELECT n FROM member_rollup WHERE ancestor_id = $1 UNION ALL SELECT n FROM member_rollup_deltas WHERE ancestor_id = $1) AS r`,
		func() string { return e.city.id })
}

// withoutRollup runs fn with the triggers that keep the counters rolled up
// per ancestor switched off, then rebuilds the rolled-up counters from the
// organisations' counters: what writes cost without them.
func (e *env) withoutRollup(b *testing.B, fn func()) {
	ctx := context.Background()
	if _, err := e.pool.Exec(ctx, `ALTER TABLE member_counts DISABLE TRIGGER member_rollup_insert,
		DISABLE TRIGGER member_rollup_update, DISABLE TRIGGER member_rollup_delete;
		ALTER TABLE members DISABLE TRIGGER member_age_rollup_insert,
		DISABLE TRIGGER member_age_rollup_update, DISABLE TRIGGER member_age_rollup_delete`); err != nil {
		b.Fatal(err)
	}
	fn()
	if _, err := e.pool.Exec(ctx, `ALTER TABLE member_counts ENABLE TRIGGER member_rollup_insert,
		ENABLE TRIGGER member_rollup_update, ENABLE TRIGGER member_rollup_delete;
		ALTER TABLE members ENABLE TRIGGER member_age_rollup_insert,
		ENABLE TRIGGER member_age_rollup_update, ENABLE TRIGGER member_age_rollup_delete`); err != nil {
		b.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `BEGIN;
		LOCK members IN SHARE MODE;
		LOCK member_counts IN SHARE MODE;
		TRUNCATE member_rollup, member_rollup_deltas, member_age_rollup, member_age_rollup_deltas;
		INSERT INTO member_rollup (ancestor_id, category_code, category_name, employment_status, status, n)
		SELECT a.id, c.category_code, c.category_name, c.employment_status, c.status, sum(c.n)
		  FROM member_counts c, member_rollup_ancestors(c.path) AS a (id)
		 GROUP BY 1, 2, 3, 4, 5 HAVING sum(c.n) <> 0;
		INSERT INTO member_age_rollup (ancestor_id, birth_month, n)
		SELECT a.id, c.birth_month, sum(c.n)
		  FROM (SELECT path, date_trunc('month', birth_date)::date AS birth_month, count(*) AS n
		          FROM members WHERE left_at IS NULL GROUP BY 1, 2) AS c,
		       member_rollup_ancestors(c.path) AS a (id)
		 GROUP BY 1, 2;
		COMMIT`); err != nil {
		b.Fatal(err)
	}
}

// roster is a CSV roster of n members numbered from k, registered in
// another region than the seeded members.
func roster(k, n int) []byte {
	var sb strings.Builder
	sb.WriteString("姓名,性别,出生日期,身份证号,联系电话,学历,入党日期,党员类别,就业状态,工作单位,居住地址,技能特长,困难党员\n")
	base := time.Date(1945, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := k; i < k+n; i++ {
		birth := base.AddDate(0, 0, i%20000)
		first := fmt.Sprintf("620302%s%03d", birth.Format("20060102"), i/20000%1000)
		fmt.Fprintf(&sb, "导入党员%06d,女,%s,%s,13800000000,大专,2005-07-01,正式,退休,市供电公司,广州路3号楼,调解,否\n",
			i, birth.Format(time.DateOnly), first+string(member.CheckCharacter(first)))
	}
	return []byte(sb.String())
}

// branchOf reads where a member's relationship sits now.
func (e *env) branchOf(b *testing.B, id string) string {
	var org string
	if err := e.pool.QueryRow(context.Background(), `SELECT organisation_id FROM members WHERE id = $1`, id).Scan(&org); err != nil {
		b.Fatal(err)
	}
	return org
}

// transfers runs complete transfers (see BenchmarkMembers), 16 at a time.
func (e *env) transfers(b *testing.B, transfers pb.TransferServiceClient) {
	ctx := context.Background()
	b.SetParallelism(concurrency)
	b.RunParallel(func(p *testing.PB) {
		for p.Next() {
			i := int(e.next.Add(1)) - 1
			if i >= len(e.city.members) {
				b.Fatal("out of members to transfer")
			}
			m := e.city.members[i]
			from := e.branchOf(b, m)
			to := pick(e.city.branches)
			for to == from {
				to = pick(e.city.branches)
			}
			sender := e.as(b, devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: e.city.branchDistrict[from]})
			receiver := e.as(b, devissuer.Claims{Role: auth.DistrictAdmin, ScopeOrgID: e.city.branchDistrict[to]})
			self := e.as(b, devissuer.Claims{Role: auth.Member, MemberID: m, Subject: "m-" + m})
			req, err := transfers.RequestTransfer(ctx, &pb.RequestTransferRequest{Transfer: &pb.Transfer{MemberId: m,
				ToOrganisationId: to, Reason: "moved house"}, RequestId: "bench-" + m}, sender)
			if err != nil {
				b.Fatal(err)
			}
			id := req.GetTransfer().GetId()
			conf, err := transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: id, Etag: req.GetTransfer().GetEtag()}, self)
			if err != nil {
				b.Fatal(err)
			}
			rel, err := transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: id, Etag: conf.GetTransfer().GetEtag()}, sender)
			if err != nil {
				b.Fatal(err)
			}
			done, err := transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: id, Etag: rel.GetTransfer().GetEtag()}, receiver)
			if err != nil {
				b.Fatal(err)
			}
			if done.GetTransfer().GetState() != pb.TransferState_TRANSFER_STATE_COMPLETED {
				b.Fatalf("transfer ended %v", done.GetTransfer().GetState())
			}
		}
	})
}
