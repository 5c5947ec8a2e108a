package audit_test

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/pgdb"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

// t0 is the time of the first seeded record.
var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// seeded is one record put straight into audit_log, with a chosen time.
type seeded struct {
	id                                int64
	at                                time.Time
	actor, action, subjectType, subID string
	org                               string // "" for NULL
}

// seedCount records: two at each instant, so that ties on the time are
// broken by the id, inserted in an order unrelated to their time, so that
// the ids do not follow the times.
const seedCount = 24

func seed(t *testing.T, pool *pgxpool.Pool) []seeded {
	t.Helper()
	var out []seeded
	for n := range seedCount {
		i := (n * 7) % seedCount // 7 is prime to 24: every i once, shuffled
		s := seeded{
			at:          t0.Add(time.Duration(i/2) * time.Minute),
			actor:       []string{"u-1", "u-2", "u-3"}[i%3],
			action:      []string{"write", "write", "write", "read"}[i%4],
			subjectType: "member",
			subID:       []string{"m-1", "m-2", "m-3", "m-4"}[i%4],
			org:         []string{"o-1", "o-2"}[i%2],
		}
		if i%6 == 0 {
			s.subjectType, s.subID = "organisation", "o-1"
		}
		if i%5 == 0 {
			s.org = ""
		}
		err := pool.QueryRow(callContext(t), `INSERT INTO audit_log (at, actor_subject, actor_role, action, subject_type, subject_id, organisation_id)
			VALUES ($1, $2, 'district_admin', $3, $4, $5, NULLIF($6, '')) RETURNING id`,
			s.at, s.actor, s.action, s.subjectType, s.subID, s.org).Scan(&s.id)
		if err != nil {
			t.Fatalf("seed: %v", err)
		}
		out = append(out, s)
	}
	return out
}

// newestFirst returns the ids of the records that keep, in listing order.
func newestFirst(records []seeded, keep func(seeded) bool) []int64 {
	var kept []seeded
	for _, r := range records {
		if keep(r) {
			kept = append(kept, r)
		}
	}
	slices.SortFunc(kept, func(a, b seeded) int {
		return cmp.Or(b.at.Compare(a.at), cmp.Compare(b.id, a.id))
	})
	var ids []int64
	for _, r := range kept {
		ids = append(ids, r.id)
	}
	return ids
}

// listAll follows the pages of req to the end and returns the ids in the
// order listed and how many pages it took.
func listAll(t *testing.T, client auditv1.AuditServiceClient, req *auditv1.ListAuditRecordsRequest) (ids []int64, pages int) {
	t.Helper()
	limit := int(req.GetPageSize())
	if limit == 0 {
		limit = 50
	}
	for {
		resp, err := client.ListAuditRecords(callContext(t), req)
		if err != nil {
			t.Fatalf("ListAuditRecords page %d: %v", pages+1, err)
		}
		pages++
		if n := len(resp.GetAuditRecords()); n > limit {
			t.Fatalf("page %d has %d records, more than %d", pages, n, limit)
		}
		for _, r := range resp.GetAuditRecords() {
			ids = append(ids, r.GetId())
		}
		if resp.GetNextPageToken() == "" {
			return ids, pages
		}
		if pages > seedCount+2 {
			t.Fatalf("still paging after %d pages", pages)
		}
		req.PageToken = resp.GetNextPageToken()
	}
}

func TestListFiltersNewestFirst(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	records := seed(t, pool)
	client := serveAudit(t, pool)
	at := func(minutes int) *timestamppb.Timestamp {
		return timestamppb.New(t0.Add(time.Duration(minutes) * time.Minute))
	}
	tests := []struct {
		name string
		req  *auditv1.ListAuditRecordsRequest
		keep func(seeded) bool
	}{
		{"with no filter, everything", &auditv1.ListAuditRecordsRequest{},
			func(seeded) bool { return true }},
		{"by subject", &auditv1.ListAuditRecordsRequest{SubjectId: "m-2"},
			func(s seeded) bool { return s.subID == "m-2" }},
		{"by subject type", &auditv1.ListAuditRecordsRequest{SubjectType: "organisation"},
			func(s seeded) bool { return s.subjectType == "organisation" }},
		{"by actor", &auditv1.ListAuditRecordsRequest{ActorSubject: "u-2"},
			func(s seeded) bool { return s.actor == "u-2" }},
		{"by organisation", &auditv1.ListAuditRecordsRequest{OrganisationId: "o-1"},
			func(s seeded) bool { return s.org == "o-1" }},
		{"reads only", &auditv1.ListAuditRecordsRequest{Action: auditv1.AuditAction_AUDIT_ACTION_READ},
			func(s seeded) bool { return s.action == "read" }},
		{"writes only", &auditv1.ListAuditRecordsRequest{Action: auditv1.AuditAction_AUDIT_ACTION_WRITE},
			func(s seeded) bool { return s.action == "write" }},
		{"from a time on, that time included", &auditv1.ListAuditRecordsRequest{FromTime: at(9)},
			func(s seeded) bool { return !s.at.Before(t0.Add(9 * time.Minute)) }},
		{"until a time, that time excluded", &auditv1.ListAuditRecordsRequest{ToTime: at(2)},
			func(s seeded) bool { return s.at.Before(t0.Add(2 * time.Minute)) }},
		{"within a window", &auditv1.ListAuditRecordsRequest{FromTime: at(3), ToTime: at(7)},
			func(s seeded) bool {
				return !s.at.Before(t0.Add(3*time.Minute)) && s.at.Before(t0.Add(7*time.Minute))
			}},
		{"by actor, organisation and window at once",
			&auditv1.ListAuditRecordsRequest{ActorSubject: "u-1", OrganisationId: "o-2", FromTime: at(1), ToTime: at(11)},
			func(s seeded) bool {
				return s.actor == "u-1" && s.org == "o-2" && !s.at.Before(t0.Add(time.Minute)) && s.at.Before(t0.Add(11*time.Minute))
			}},
		{"nothing when nothing matches", &auditv1.ListAuditRecordsRequest{SubjectId: "m-404"},
			func(seeded) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.req.Service = "organisation"
			want := newestFirst(records, tt.keep)
			if len(want) == 0 && tt.req.GetSubjectId() != "m-404" {
				t.Fatal("the seed has no record for this filter; the case tests nothing")
			}
			got, pages := listAll(t, client, tt.req)
			if diff := gocmp.Diff(want, got); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if pages != 1 {
				t.Errorf("%d pages for at most %d records at the default page size, want 1", pages, seedCount)
			}
		})
	}
}

func TestListPagesWithoutDuplicatesOrGaps(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	records := seed(t, pool)
	client := serveAudit(t, pool)
	all := newestFirst(records, func(seeded) bool { return true })
	fromO1 := newestFirst(records, func(s seeded) bool { return s.org == "o-1" })
	tests := []struct {
		name      string
		req       *auditv1.ListAuditRecordsRequest
		want      []int64
		wantPages int
	}{
		{"one record a page", &auditv1.ListAuditRecordsRequest{PageSize: 1}, all, seedCount},
		{"pages that split records of the same instant", &auditv1.ListAuditRecordsRequest{PageSize: 5}, all, 5},
		{"pages of an odd size", &auditv1.ListAuditRecordsRequest{PageSize: 7}, all, 4},
		{"a page exactly as large as the log", &auditv1.ListAuditRecordsRequest{PageSize: seedCount}, all, 1},
		{"a page larger than the log", &auditv1.ListAuditRecordsRequest{PageSize: seedCount + 1}, all, 1},
		{"the default page size", &auditv1.ListAuditRecordsRequest{}, all, 1},
		{"pages of a filtered listing", &auditv1.ListAuditRecordsRequest{OrganisationId: "o-1", PageSize: 2}, fromO1, (len(fromO1) + 1) / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.req.Service = "organisation"
			got, pages := listAll(t, client, tt.req)
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ids over all pages (-want +got):\n%s", diff)
			}
			if pages != tt.wantPages {
				t.Errorf("%d pages, want %d", pages, tt.wantPages)
			}
		})
	}
}

func TestListPagingIsNotShiftedByNewRecords(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	records := seed(t, pool)
	client := serveAudit(t, pool)
	want := newestFirst(records, func(seeded) bool { return true })

	first, err := client.ListAuditRecords(callContext(t), &auditv1.ListAuditRecordsRequest{Service: "organisation", PageSize: 10})
	if err != nil {
		t.Fatalf("first page: %v", err)
	}
	ctx := auth.WithPrincipal(callContext(t), secretary)
	if err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return audit.Write(ctx, tx, member) }); err != nil {
		t.Fatalf("Write: %v", err)
	}
	rest, _ := listAll(t, client, &auditv1.ListAuditRecordsRequest{Service: "organisation", PageSize: 10, PageToken: first.GetNextPageToken()})
	var got []int64
	for _, r := range first.GetAuditRecords() {
		got = append(got, r.GetId())
	}
	if diff := gocmp.Diff(want, append(got, rest...)); diff != "" {
		t.Errorf("ids over all pages (-want +got):\n%s", diff)
	}
}

func TestListRefusesInvalidRequests(t *testing.T) {
	t.Parallel()
	client := serveAudit(t, newPool(t))
	token := func(b ...byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	valid := func(r *auditv1.ListAuditRecordsRequest) *auditv1.ListAuditRecordsRequest {
		r.Service = "organisation"
		return r
	}
	tests := []struct {
		name      string
		req       *auditv1.ListAuditRecordsRequest
		wantField string
	}{
		{"a page token that is not base64", valid(&auditv1.ListAuditRecordsRequest{PageToken: "not a token!"}), "page_token"},
		{"a page token of the wrong length", valid(&auditv1.ListAuditRecordsRequest{PageToken: token(1, 2, 3)}), "page_token"},
		{"a page token of an unknown version", valid(&auditv1.ListAuditRecordsRequest{PageToken: token(make([]byte, 17)...)}), "page_token"},
		{"a page token with no record id", valid(&auditv1.ListAuditRecordsRequest{PageToken: token(append([]byte{1}, make([]byte, 16)...)...)}), "page_token"},
		{"a page size above 500", valid(&auditv1.ListAuditRecordsRequest{PageSize: 501}), "page_size"},
		{"a negative page size", valid(&auditv1.ListAuditRecordsRequest{PageSize: -1}), "page_size"},
		{"an unknown action", valid(&auditv1.ListAuditRecordsRequest{Action: 9}), "action"},
		{"a window that ends before it starts", valid(&auditv1.ListAuditRecordsRequest{
			FromTime: timestamppb.New(t0), ToTime: timestamppb.New(t0.Add(-time.Second))}), "request"},
		{"a window that ends when it starts", valid(&auditv1.ListAuditRecordsRequest{
			FromTime: timestamppb.New(t0), ToTime: timestamppb.New(t0)}), "request"},
		{"no service", &auditv1.ListAuditRecordsRequest{}, "service"},
		{"a service name that is not lower-case letters", &auditv1.ListAuditRecordsRequest{Service: "Organisation"}, "service"},
		{"a service name that is a path", &auditv1.ListAuditRecordsRequest{Service: "organisation/../member"}, "service"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := client.ListAuditRecords(callContext(t), tt.req)
			st := status.Convert(err)
			if st.Code() != codes.InvalidArgument {
				t.Fatalf("ListAuditRecords: %v, want InvalidArgument", err)
			}
			var fields []string
			for _, d := range st.Details() {
				if br, ok := d.(*errdetails.BadRequest); ok {
					for _, v := range br.GetFieldViolations() {
						fields = append(fields, v.GetField())
					}
				}
			}
			if !slices.Contains(fields, tt.wantField) {
				t.Errorf("violations name %q, want %q", fields, tt.wantField)
			}
		})
	}
}

// thing stands for a subject a service records.
type thing struct {
	Name    string   `json:"name"`
	Members int      `json:"members"`
	Tags    []string `json:"tags,omitempty"`
}

func TestBeforeAndAfterComeBackAsRecorded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		before, after         any
		wantBefore, wantAfter string // JSON; "" for unset
	}{
		{name: "a creation has only an after", after: thing{Name: "Branch 3", Members: 12},
			wantAfter: `{"name": "Branch 3", "members": 12}`},
		{name: "an update has both", before: thing{Name: "Branch 3", Members: 12}, after: thing{Name: "Branch 3", Members: 13, Tags: []string{"grid"}},
			wantBefore: `{"name": "Branch 3", "members": 12}`, wantAfter: `{"name": "Branch 3", "members": 13, "tags": ["grid"]}`},
		{name: "an ending has only a before", before: map[string]any{"state": "active", "nested": map[string]any{"ok": true, "none": nil}},
			wantBefore: `{"state": "active", "nested": {"ok": true, "none": null}}`},
		{name: "a proto message is recorded as protojson", after: &auditv1.AuditRecord{SubjectId: "m-1", Action: auditv1.AuditAction_AUDIT_ACTION_WRITE},
			wantAfter: `{"subjectId": "m-1", "action": "AUDIT_ACTION_WRITE"}`},
		{name: "a value need not be an object", before: durationpb.New(90 * time.Second), after: []int{1, 2},
			wantBefore: `"90s"`, wantAfter: `[1, 2]`},
		{name: "a nil pointer is no value", before: (*thing)(nil), after: (*auditv1.AuditRecord)(nil)},
		{name: "text that is not ASCII survives", after: map[string]string{"name": "三会一课 \u2028 \"quoted\""},
			wantAfter: `{"name": "三会一课 \u2028 \"quoted\""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := newPool(t)
			ctx := auth.WithPrincipal(callContext(t), secretary)
			e := audit.Entry{SubjectType: "organisation", SubjectID: "o-1", Before: tt.before, After: tt.after}
			if err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return audit.Write(ctx, tx, e) }); err != nil {
				t.Fatalf("Write: %v", err)
			}
			resp, err := serveAudit(t, pool).ListAuditRecords(callContext(t), &auditv1.ListAuditRecordsRequest{Service: "organisation", SubjectId: "o-1"})
			if err != nil {
				t.Fatalf("ListAuditRecords: %v", err)
			}
			if n := len(resp.GetAuditRecords()); n != 1 {
				t.Fatalf("%d records, want 1", n)
			}
			r := resp.GetAuditRecords()[0]
			if diff := gocmp.Diff(jsonValue(t, tt.wantBefore), r.GetBefore(), protocmp.Transform()); diff != "" {
				t.Errorf("before (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(jsonValue(t, tt.wantAfter), r.GetAfter(), protocmp.Transform()); diff != "" {
				t.Errorf("after (-want +got):\n%s", diff)
			}
		})
	}
}

func jsonValue(t *testing.T, s string) *structpb.Value {
	t.Helper()
	if s == "" {
		return nil
	}
	v := &structpb.Value{}
	if err := protojson.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("bad want %s: %v", s, err)
	}
	return v
}

func TestListReturnsEveryColumn(t *testing.T) {
	t.Parallel()
	pool := newPool(t)
	client := serveAudit(t, pool)
	var (
		err    error
		before = time.Now()
	)
	callProbe(t, secretary, metadata.Pairs("x-request-id", "req-5"), func(ctx context.Context) error {
		ctx = traced(ctx)
		err = pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return audit.Write(ctx, tx, member) })
		return err
	})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	resp, err := client.ListAuditRecords(callContext(t), &auditv1.ListAuditRecordsRequest{Service: "organisation"})
	if err != nil || len(resp.GetAuditRecords()) != 1 {
		t.Fatalf("ListAuditRecords: %v, %d records, want 1", err, len(resp.GetAuditRecords()))
	}
	got := resp.GetAuditRecords()[0]
	if at := got.GetRecordTime().AsTime(); at.Before(before.Add(-time.Minute)) || at.After(time.Now().Add(time.Minute)) {
		t.Errorf("record_time %v, want about %v", at, before)
	}
	want := &auditv1.AuditRecord{
		Id: got.GetId(), RecordTime: got.GetRecordTime(),
		ActorSubject: "u-secretary", ActorRole: "community_secretary", ActorName: "Li Wei",
		Method: probeMethod, Action: auditv1.AuditAction_AUDIT_ACTION_WRITE,
		SubjectType: "member", SubjectId: "m-1", OrganisationId: "o-7",
		Before: jsonValue(t, `{"phone": "old"}`), After: jsonValue(t, `{"phone": "new"}`),
		TraceId: traceID.String(), RequestId: "req-5",
	}
	if diff := gocmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("record (-want +got):\n%s", diff)
	}
}
