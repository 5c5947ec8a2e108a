package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/metadata"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/pgdb"
)

var (
	secretary = &auth.Principal{Subject: "u-secretary", Name: "Li Wei", Role: auth.CommunitySecretary, ScopeOrgID: "o-7"}
	traceID   = mustTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
)

func mustTraceID(h string) trace.TraceID {
	id, err := trace.TraceIDFromHex(h)
	if err != nil {
		panic(err)
	}
	return id
}

// traced returns ctx inside a span of trace traceID, as the OpenTelemetry
// stats handler leaves a call's context.
func traced(ctx context.Context) context.Context {
	return trace.ContextWithSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled,
	}))
}

var member = audit.Entry{SubjectType: "member", SubjectID: "m-1", OrganisationID: "o-7",
	Before: map[string]string{"phone": "old"}, After: map[string]string{"phone": "new"}}

func TestWriteRecordsWhoDidWhatThroughWhichCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// viaGRPC runs the write in the handler of a real gRPC call made
		// by principal with outgoing metadata md; otherwise it runs on a
		// bare context, as a job does.
		viaGRPC   bool
		principal *auth.Principal
		md        metadata.MD
		decorate  func(context.Context) context.Context
		entry     audit.Entry
		want      []stored
		wantErr   error
	}{
		{
			name:    "a caller's change records the caller, the method, the trace and the request id",
			viaGRPC: true, principal: secretary, md: metadata.Pairs("x-request-id", "req-1"), decorate: traced,
			entry: member,
			want: []stored{{ActorSubject: "u-secretary", ActorRole: "community_secretary", ActorName: "Li Wei",
				Method: probeMethod, Action: "write", SubjectType: "member", SubjectID: "m-1", OrganisationID: "o-7",
				Before: `{"phone": "old"}`, After: `{"phone": "new"}`, TraceID: traceID.String(), RequestID: "req-1"}},
		},
		{
			name:    "the call's x-request-id wins over one set in the context",
			viaGRPC: true, principal: secretary, md: metadata.Pairs("x-request-id", "from-header"),
			decorate: func(ctx context.Context) context.Context { return audit.WithRequestID(ctx, "from-context") },
			entry:    audit.Entry{SubjectType: "member", SubjectID: "m-1"},
			want: []stored{{ActorSubject: "u-secretary", ActorRole: "community_secretary", ActorName: "Li Wei",
				Method: probeMethod, Action: "write", SubjectType: "member", SubjectID: "m-1", RequestID: "from-header"}},
		},
		{
			name:    "a call without request id or trace records neither",
			viaGRPC: true, principal: secretary,
			entry: audit.Entry{Action: audit.ActionRead, SubjectType: "member", SubjectID: "m-1"},
			want: []stored{{ActorSubject: "u-secretary", ActorRole: "community_secretary", ActorName: "Li Wei",
				Method: probeMethod, Action: "read", SubjectType: "member", SubjectID: "m-1"}},
		},
		{
			name:    "work done for a caller stays the caller's even when marked as a job",
			viaGRPC: true, principal: secretary,
			decorate: func(ctx context.Context) context.Context { return audit.AsSystem(ctx, "sweep") },
			entry:    audit.Entry{SubjectType: "member", SubjectID: "m-1"},
			want: []stored{{ActorSubject: "u-secretary", ActorRole: "community_secretary", ActorName: "Li Wei",
				Method: probeMethod, Action: "write", SubjectType: "member", SubjectID: "m-1"}},
		},
		{
			name:    "a call without a principal is refused and records nothing",
			viaGRPC: true, md: metadata.Pairs("x-request-id", "req-2"),
			entry: member, wantErr: audit.ErrNoPrincipal,
		},
		{
			name: "a job is recorded under its name, with no method",
			decorate: func(ctx context.Context) context.Context {
				return traced(audit.WithRequestID(audit.AsSystem(ctx, "nightly-compliance"), "job-7"))
			},
			entry: audit.Entry{SubjectType: "organisation", SubjectID: "o-7", OrganisationID: "o-7", After: []string{"flagged"}},
			want: []stored{{ActorSubject: "system:nightly-compliance", ActorRole: audit.SystemJobRole, ActorName: "nightly-compliance",
				Action: "write", SubjectType: "organisation", SubjectID: "o-7", OrganisationID: "o-7",
				After: `["flagged"]`, TraceID: traceID.String(), RequestID: "job-7"}},
		},
		{
			name: "a long request id is clipped",
			decorate: func(ctx context.Context) context.Context {
				return audit.WithRequestID(audit.AsSystem(ctx, "import"), strings.Repeat("r", 300))
			},
			entry: audit.Entry{SubjectType: "member", SubjectID: "m-1"},
			want: []stored{{ActorSubject: "system:import", ActorRole: audit.SystemJobRole, ActorName: "import",
				Action: "write", SubjectType: "member", SubjectID: "m-1", RequestID: strings.Repeat("r", 128)}},
		},
		{
			name:     "a job without a name is refused",
			decorate: func(ctx context.Context) context.Context { return audit.AsSystem(ctx, "") },
			entry:    member, wantErr: audit.ErrNoPrincipal,
		},
		{
			name:     "a context with nothing in it is refused",
			decorate: func(ctx context.Context) context.Context { return ctx },
			entry:    member, wantErr: audit.ErrNoPrincipal,
		},
		{
			name:     "an entry without a subject is refused",
			decorate: func(ctx context.Context) context.Context { return audit.AsSystem(ctx, "import") },
			entry:    audit.Entry{SubjectType: "member"}, wantErr: audit.ErrInvalidEntry,
		},
		{
			name:     "an unknown action is refused",
			decorate: func(ctx context.Context) context.Context { return audit.AsSystem(ctx, "import") },
			entry:    audit.Entry{Action: "delete", SubjectType: "member", SubjectID: "m-1"}, wantErr: audit.ErrInvalidEntry,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := newPool(t)
			write := func(ctx context.Context) error {
				if tt.decorate != nil {
					ctx = tt.decorate(ctx)
				}
				return pgdb.InTx(ctx, pool, func(tx pgx.Tx) error { return audit.Write(ctx, tx, tt.entry) })
			}
			var err error
			if tt.viaGRPC {
				callProbe(t, tt.principal, tt.md, func(ctx context.Context) error { err = write(ctx); return err })
			} else {
				err = write(callContext(t))
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Write: error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, readAll(t, pool)); diff != "" {
				t.Errorf("audit_log (-want +got):\n%s", diff)
			}
		})
	}
}

var errRollback = errors.New("the change failed")

func TestARecordCommitsAndRollsBackWithItsTransaction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		write   func(ctx context.Context, tx pgx.Tx) error
		outcome error // what the rest of the transaction returns
		want    int
	}{
		{"a committed change leaves its record", writeOne, nil, 1},
		{"a rolled-back change leaves none", writeOne, errRollback, 0},
		{"committed reads leave their records", readThree, nil, 3},
		{"rolled-back reads leave none", readThree, errRollback, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := newPool(t)
			ctx := auth.WithPrincipal(callContext(t), secretary)
			err := pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
				if err := tt.write(ctx, tx); err != nil {
					return err
				}
				return tt.outcome
			})
			if !errors.Is(err, tt.outcome) {
				t.Fatalf("transaction: %v, want %v", err, tt.outcome)
			}
			if got := len(readAll(t, pool)); got != tt.want {
				t.Errorf("%d records, want %d", got, tt.want)
			}
		})
	}
}

func writeOne(ctx context.Context, tx pgx.Tx) error { return audit.Write(ctx, tx, member) }

func readThree(ctx context.Context, tx pgx.Tx) error {
	return audit.WriteReads(ctx, tx,
		audit.Entry{SubjectType: "member", SubjectID: "m-1"},
		audit.Entry{SubjectType: "member", SubjectID: "m-2"},
		audit.Entry{SubjectType: "member", SubjectID: "m-3"})
}

func TestWriteReadsRecordsEachReadInOneStatement(t *testing.T) {
	t.Parallel()
	read := func(id, org string) stored {
		return stored{ActorSubject: "u-secretary", ActorRole: "community_secretary", ActorName: "Li Wei",
			Method: probeMethod, Action: "read", SubjectType: "member", SubjectID: id, OrganisationID: org,
			TraceID: traceID.String(), RequestID: "req-9"}
	}
	tests := []struct {
		name    string
		entries []audit.Entry
		want    []stored
		wantErr error
	}{
		{
			name: "each subject read is one record, with the call's actor, method, trace and request",
			entries: []audit.Entry{
				{SubjectType: "member", SubjectID: "m-1", OrganisationID: "o-7"},
				{Action: audit.ActionRead, SubjectType: "member", SubjectID: "m-2"},
				{SubjectType: "member", SubjectID: "m-3", OrganisationID: "o-8"},
			},
			want: []stored{read("m-1", "o-7"), read("m-2", ""), read("m-3", "o-8")},
		},
		{name: "no entries write nothing"},
		{
			name: "a read with a before or after is refused whole",
			entries: []audit.Entry{
				{SubjectType: "member", SubjectID: "m-1"},
				{SubjectType: "member", SubjectID: "m-2", After: map[string]string{"id_number": "110101…"}},
			},
			wantErr: audit.ErrInvalidEntry,
		},
		{
			name:    "a write passed as a read is refused",
			entries: []audit.Entry{{Action: audit.ActionWrite, SubjectType: "member", SubjectID: "m-1"}},
			wantErr: audit.ErrInvalidEntry,
		},
		{
			name:    "a read without a subject is refused",
			entries: []audit.Entry{{SubjectType: "member"}},
			wantErr: audit.ErrInvalidEntry,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pool := newPool(t)
			var err error
			callProbe(t, secretary, metadata.Pairs("x-request-id", "req-9"), func(ctx context.Context) error {
				err = audit.WriteReads(traced(ctx), pool, tt.entries...)
				return err
			})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("WriteReads: error %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, readAll(t, pool)); diff != "" {
				t.Errorf("audit_log (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWriteManyRecordsWhatWriteRecordsEachTime: the records of one
// statement are those of a Write per entry, NULLs and JSON included, and an
// invalid entry refuses the whole statement.
func TestWriteManyRecordsWhatWriteRecordsEachTime(t *testing.T) {
	t.Parallel()
	entries := []audit.Entry{
		member,
		{SubjectType: "member", SubjectID: "m-2", After: map[string]any{"name": "王芳", "skills": []string{"调解"}}},
		{SubjectType: "member", SubjectID: "m-3", OrganisationID: "o-8"},
		{Action: audit.ActionRead, SubjectType: "member", SubjectID: "m-4"},
	}
	write := func(t *testing.T, one bool) []stored {
		pool := newPool(t)
		callProbe(t, secretary, metadata.Pairs("x-request-id", "req-5"), func(ctx context.Context) error {
			return pgdb.InTx(traced(ctx), pool, func(tx pgx.Tx) error {
				if !one {
					return audit.WriteMany(traced(ctx), tx, entries...)
				}
				for _, e := range entries {
					if err := audit.Write(traced(ctx), tx, e); err != nil {
						return err
					}
				}
				return nil
			})
		})
		return readAll(t, pool)
	}
	each, many := write(t, true), write(t, false)
	if len(many) != len(entries) {
		t.Fatalf("%d records, want %d", len(many), len(entries))
	}
	if diff := cmp.Diff(each, many); diff != "" {
		t.Errorf("WriteMany differs from Write (-each +many):\n%s", diff)
	}

	t.Run("an invalid entry refuses them all", func(t *testing.T) {
		pool := newPool(t)
		var err error
		callProbe(t, secretary, nil, func(ctx context.Context) error {
			err = pgdb.InTx(ctx, pool, func(tx pgx.Tx) error {
				return audit.WriteMany(ctx, tx, member, audit.Entry{SubjectType: "member"})
			})
			return nil
		})
		if !errors.Is(err, audit.ErrInvalidEntry) {
			t.Fatalf("WriteMany: %v, want ErrInvalidEntry", err)
		}
		if got := readAll(t, pool); len(got) != 0 {
			t.Errorf("records written: %v", got)
		}
	})
}
