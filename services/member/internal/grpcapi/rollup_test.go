package grpcapi_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/orgview"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
	"gongjian.dev/services/member/internal/member"
)

// TestRolledUpCountsAreExactAfterARandomMixOfWrites: four clients at once
// register members, transfer them inside and across districts, change
// their employment (and so their category), end memberships and import
// rosters, while a community moves to the other district and a new scheme
// reclassifies a district; afterwards the counters rolled up to every
// organisation (and to everything) equal the live members of its subtree
// counted one by one, per category, employment and status, and per month
// of birth — before the fold has moved the deltas and after — and so do
// the API's counts, compositions and counts by age band of every
// organisation.
func TestRolledUpCountsAreExactAfterARandomMixOfWrites(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	tr := h.tree(t)
	second := h.created(t, org(tr.community, kindBranch, "Second Branch of Guangzhou Road Community"))
	beihai := h.created(t, org(tr.otherCommunity, kindBranch, "First Branch of Beihai Community"))
	h.waitView(t, second.GetId(), beihai.GetId())
	holders := []string{tr.branch.GetId(), second.GetId(), tr.community.GetId(), tr.otherCommunity.GetId(), beihai.GetId()}

	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mix := writes{h: h, t: t, r: rand.New(rand.NewPCG(seed, uint64(w))), holders: holders}
			for range 30 {
				if err := mix.step(callContext(t)); err != nil {
					t.Errorf("client %d: %v", w, err)
					return
				}
			}
		}()
	}

	// Meanwhile the community (with both its branches) moves to the other
	// district, and the other district takes a scheme of its own.
	time.Sleep(300 * time.Millisecond)
	moved := cloneOrg(tr.community)
	place(moved, tr.otherStreet)
	id := member.NewID()
	h.publish(t, orgview.SubjectMoved, &orgv1.OrganisationMoved{EventId: id, OccurTime: timestamppb.Now(), Organisation: moved,
		OldParentId: tr.street.GetId(), OldDistrictId: tr.district.GetId(), SubtreeSize: 3}, id)
	if _, err := h.categories.SetScheme(callContext(t), &pb.SetSchemeRequest{DistrictId: tr.otherDistrict.GetId(), Scheme: shiquanScheme()}); err != nil {
		t.Error(err)
	}
	wg.Wait()
	waitFor(t, "the community to move", func() bool {
		return h.count(t, `SELECT count(*) FROM orgs WHERE id = $1 AND district_id = $2`, tr.community.GetId(), tr.otherDistrict.GetId()) == 1
	})
	if t.Failed() {
		return
	}

	h.checkRollup(t, "after the writes")
	if _, err := h.st.FoldCounters(callContext(t)); err != nil {
		t.Fatal(err)
	}
	if n := h.count(t, `SELECT count(*) FROM member_rollup_deltas`); n != 0 {
		t.Fatalf("%d deltas left after a fold", n)
	}
	h.checkRollup(t, "after the fold")
	if n := h.count(t, `SELECT count(*) FROM members WHERE hardship`); n != 0 {
		t.Errorf("%d members in hardship: the counts by age compared proved nothing", n)
	}
	if n := h.count(t, `SELECT count(*) FROM members WHERE left_at IS NULL AND path >= (SELECT path FROM orgs WHERE id = $1)
		AND path < (SELECT path || '~' FROM orgs WHERE id = $1)`, tr.otherDistrict.GetId()); n == 0 {
		t.Error("the mix left the other district empty: the check proved little")
	}
}

// checkRollup compares the rolled-up counters of every organisation with
// its live members counted by path range, and the API's counts of every
// organisation with the same count.
func (h *harness) checkRollup(t *testing.T, when string) {
	t.Helper()
	const live = `(SELECT o.id, m.category_code, m.category_name, m.employment_status, m.status, count(*)::bigint AS n
		  FROM orgs o JOIN members m ON m.path >= o.path AND m.path < o.path || '~' AND m.left_at IS NULL GROUP BY 1, 2, 3, 4, 5
		UNION ALL
		SELECT '00000000-0000-0000-0000-000000000000', category_code, category_name, employment_status, status, count(*)
		  FROM members WHERE left_at IS NULL GROUP BY 2, 3, 4, 5)`
	const rolled = `SELECT ancestor_id, category_code, category_name, employment_status, status, sum(n)::bigint
		  FROM (SELECT * FROM member_rollup UNION ALL SELECT * FROM member_rollup_deltas) AS r
		 GROUP BY 1, 2, 3, 4, 5 HAVING sum(n) <> 0`
	if n := h.count(t, `SELECT count(*) FROM ((`+live+` EXCEPT `+rolled+`) UNION ALL (`+rolled+` EXCEPT `+live+`)) AS d`); n != 0 {
		// Show the counters that differ (each side's value).
		if rows, err := h.pool.Query(callContext(t), `(`+live+` EXCEPT `+rolled+`) UNION ALL (`+rolled+` EXCEPT `+live+`)`); err == nil {
			for rows.Next() {
				v, _ := rows.Values()
				t.Log(v...)
			}
			rows.Close()
		}
		t.Fatalf("%s: %d rolled-up counters differ from the members", when, n)
	}
	const liveAges = `(SELECT o.id, date_trunc('month', m.birth_date)::date, count(*)::bigint
		  FROM orgs o JOIN members m ON m.path >= o.path AND m.path < o.path || '~' AND m.left_at IS NULL GROUP BY 1, 2
		UNION ALL
		SELECT '00000000-0000-0000-0000-000000000000', date_trunc('month', birth_date)::date, count(*)
		  FROM members WHERE left_at IS NULL GROUP BY 2)`
	const rolledAges = `(SELECT ancestor_id, birth_month, sum(n)::bigint
		  FROM (SELECT * FROM member_age_rollup UNION ALL SELECT * FROM member_age_rollup_deltas) AS r
		 GROUP BY 1, 2 HAVING sum(n) <> 0)`
	if n := h.count(t, `SELECT count(*) FROM ((`+liveAges+` EXCEPT `+rolledAges+`) UNION ALL (`+rolledAges+` EXCEPT `+liveAges+`)) AS d`); n != 0 {
		t.Fatalf("%s: %d counters by month of birth differ from the members", when, n)
	}
	rows, err := h.pool.Query(callContext(t), `SELECT o.id::text, count(m.id) FROM orgs o
		LEFT JOIN members m ON m.path >= o.path AND m.path < o.path || '~' AND m.left_at IS NULL GROUP BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for rows.Next() {
		var id string
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		want[id] = n
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	for id, n := range want {
		got, err := h.members.CountMembers(callContext(t), &pb.CountMembersRequest{AncestorId: id})
		if err != nil || got.GetCount() != n {
			t.Fatalf("%s: CountMembers of %s: %v %v, want %d", when, id, got, err, n)
		}
		comp, err := h.categories.GetComposition(callContext(t), &pb.GetCompositionRequest{OrganisationId: id, Subtree: true})
		if err != nil || comp.GetTotal() != n {
			t.Fatalf("%s: composition of %s: %v %v, want a total of %d", when, id, comp, err, n)
		}
		// An age band from the counters by month of birth, against the
		// same band counted member by member (asking for no hardship too,
		// which nobody here has, makes the service count the members).
		for _, band := range [][2]*int32{{nil, proto.Int32(45)}, {proto.Int32(46), proto.Int32(65)}, {proto.Int32(66), nil},
			{proto.Int32(50), proto.Int32(50)}} {
			req := &pb.CountMembersRequest{AncestorId: id, MinAge: band[0], MaxAge: band[1]}
			got, err := h.members.CountMembers(callContext(t), req)
			if err != nil {
				t.Fatal(err)
			}
			req.Hardship = proto.Bool(false)
			live, err := h.members.CountMembers(callContext(t), req)
			if err != nil || got.GetCount() != live.GetCount() {
				t.Fatalf("%s: members of %s aged %d–%d: %d, counted one by one %v (%v)", when, id, req.GetMinAge(), req.GetMaxAge(), got.GetCount(), live, err)
			}
		}
	}
	all, err := h.members.CountMembers(callContext(t), &pb.CountMembersRequest{})
	if n := h.count(t, `SELECT count(*) FROM members WHERE left_at IS NULL`); err != nil || int(all.GetCount()) != n {
		t.Fatalf("%s: CountMembers of everything: %v %v, want %d", when, all, err, n)
	}
}

// writes is one client's random mix of the writes that change counters,
// each on members of its own so that the clients never refuse each other.
type writes struct {
	h       *harness
	t       *testing.T
	r       *rand.Rand
	holders []string
	mine    []*pb.Member
}

var employments = []pb.EmploymentStatus{pb.EmploymentStatus_EMPLOYMENT_STATUS_RETIRED, pb.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED,
	pb.EmploymentStatus_EMPLOYMENT_STATUS_LAID_OFF, pb.EmploymentStatus_EMPLOYMENT_STATUS_UNEMPLOYED}

func (w *writes) step(ctx context.Context) error {
	k := w.r.IntN(100)
	if len(w.mine) < 3 {
		k = 0
	}
	switch {
	case k < 30:
		return w.register(ctx)
	case k < 50:
		return w.transfer(ctx)
	case k < 70:
		return w.employ(ctx)
	case k < 80:
		return w.end(ctx)
	default:
		return w.importRoster(ctx)
	}
}

func (w *writes) holder() string { return w.holders[w.r.IntN(len(w.holders))] }

// take removes one of the client's members and returns it.
func (w *writes) take() *pb.Member {
	i := w.r.IntN(len(w.mine))
	m := w.mine[i]
	w.mine = append(w.mine[:i], w.mine[i+1:]...)
	return m
}

func (w *writes) register(ctx context.Context) error {
	m := person(w.holder(), "Random Member")
	m.EmploymentStatus = employments[w.r.IntN(len(employments))]
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, w.r.IntN(46*365))
	m.BirthDate, m.NationalId = birth.Format(time.DateOnly), nationalID("610102", birth.Format("20060102"))
	resp, err := w.h.members.CreateMember(ctx, &pb.CreateMemberRequest{Member: m})
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	w.mine = append(w.mine, resp.GetMember())
	return nil
}

func (w *writes) transfer(ctx context.Context) error {
	m := w.take()
	cur, err := w.h.members.GetMember(ctx, &pb.GetMemberRequest{Id: m.GetId()})
	if err != nil {
		return fmt.Errorf("read before the transfer: %w", err)
	}
	to := w.holder()
	for to == cur.GetMember().GetOrganisationId() {
		to = w.holder()
	}
	tf, err := w.h.transfers.RequestTransfer(ctx, &pb.RequestTransferRequest{Transfer: &pb.Transfer{MemberId: m.GetId(), ToOrganisationId: to, Reason: "moved house"}})
	if err != nil {
		return fmt.Errorf("request transfer: %w", err)
	}
	c, err := w.h.transfers.ConfirmTransfer(ctx, &pb.ConfirmTransferRequest{Id: tf.GetTransfer().GetId(), Etag: tf.GetTransfer().GetEtag(), Reason: "signed on paper"})
	if err != nil {
		return fmt.Errorf("confirm: %w", err)
	}
	rel, err := w.h.transfers.ReleaseTransfer(ctx, &pb.ReleaseTransferRequest{Id: c.GetTransfer().GetId(), Etag: c.GetTransfer().GetEtag()})
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	if _, err := w.h.transfers.ReceiveTransfer(ctx, &pb.ReceiveTransferRequest{Id: rel.GetTransfer().GetId(), Etag: rel.GetTransfer().GetEtag()}); err != nil {
		return fmt.Errorf("receive: %w", err)
	}
	w.mine = append(w.mine, m)
	return nil
}

func (w *writes) employ(ctx context.Context) error {
	m := w.mine[w.r.IntN(len(w.mine))]
	_, err := w.h.members.UpdateMember(ctx, &pb.UpdateMemberRequest{
		Member:     &pb.Member{Id: m.GetId(), EmploymentStatus: employments[w.r.IntN(len(employments))], Employer: "市供电公司"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"employment_status", "employer"}}})
	if err != nil {
		return fmt.Errorf("update employment: %w", err)
	}
	return nil
}

func (w *writes) end(ctx context.Context) error {
	m := w.take()
	kind := []pb.LeavingKind{pb.LeavingKind_LEAVING_KIND_DIED, pb.LeavingKind_LEAVING_KIND_WITHDREW}[w.r.IntN(2)]
	if _, err := w.h.members.EndMembership(ctx, &pb.EndMembershipRequest{Id: m.GetId(), Kind: kind, Date: "2024-01-01", Reason: "病故"}); err != nil {
		return fmt.Errorf("end membership: %w", err)
	}
	return nil
}

func (w *writes) importRoster(ctx context.Context) error {
	roster := "姓名,性别,出生日期,身份证号,入党日期,党员类别,就业状态\n" +
		"王建国,男,1960-03-01," + nationalID("610102", "19600301") + ",1985-07-01,正式,退休\n" +
		"赵敏,女,1990-05-02," + nationalID("610102", "19900502") + ",2015-07-01,正式,在职\n" +
		"孙丽,女,1975-09-09," + nationalID("610102", "19750909") + ",2000-07-01,正式,失业\n"
	resp, err := w.h.members.ImportMembers(ctx, &pb.ImportMembersRequest{Content: []byte(roster), OrganisationId: w.holder()})
	if err != nil || resp.GetReport().GetTaken() != 3 {
		return fmt.Errorf("import: %v %w", resp, err)
	}
	return nil
}
