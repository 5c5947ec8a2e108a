package accesstest

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

// TestVariantsMakeEveryFieldHostile: each field, nested ones and those of
// a list's first element included, is given its hostile values one at a
// time, the rest of the request left as it was, and the request itself
// never touched.
func TestVariantsMakeEveryFieldHostile(t *testing.T) {
	req := &auditv1.ListAuditRecordsResponse{AuditRecords: []*auditv1.AuditRecord{{Id: 7, SubjectId: "s1"}}, NextPageToken: "n"}
	good := proto.Clone(req)
	vs := Variants(req, 3, 100, rand.New(rand.NewPCG(1, 1)))
	if !proto.Equal(req, good) {
		t.Fatalf("the request was changed: %v", req)
	}
	fields := map[string]int{}
	for _, v := range vs {
		field, _, _ := strings.Cut(v.Name, " = ")
		fields[field]++
		r := v.Req.(*auditv1.ListAuditRecordsResponse)
		switch {
		case field == "next_page_token":
			if len(r.GetAuditRecords()) != 1 || r.GetAuditRecords()[0].GetId() != 7 {
				t.Errorf("%s changed the records too: %v", v.Name, r)
			}
		case strings.HasPrefix(field, "audit_records[0]."):
			if r.GetNextPageToken() != "n" {
				t.Errorf("%s changed the page token too", v.Name)
			}
		}
	}
	for _, want := range []string{"audit_records", "next_page_token", "audit_records[0].id", "audit_records[0].subject_id", "audit_records[0].record_time"} {
		if fields[want] == 0 {
			t.Errorf("no variant of %s among %v", want, fields)
		}
	}
	if n := fields["next_page_token"]; n != len(hostileStrings) {
		t.Errorf("next_page_token got %d values, want all %d", n, len(hostileStrings))
	}
	names := make([]string, len(vs))
	for i, v := range vs {
		names[i] = v.Name
	}
	again := Variants(req, 3, 100, rand.New(rand.NewPCG(1, 1)))
	if len(again) != len(vs) || !slices.EqualFunc(again, vs, func(a, b Variant) bool { return a.Name == b.Name && proto.Equal(a.Req, b.Req) }) {
		t.Error("the same seed drew other variants")
	}
}
