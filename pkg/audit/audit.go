// Package audit keeps a service's audit trail: who changed or read which
// subject, when, through which gRPC method, within which trace and request.
//
// A service applies Migrations next to its own, calls Write in the
// transaction of every change, so that the record and the change commit or
// roll back together, calls WriteReads when it hands out personal data, and
// registers NewService so that auditors can search the trail. The table is
// append-only in the database itself; see Migrations.
//
// The actor is the auth.Principal of the call. Work that no caller asked
// for (a scheduled job, an event consumer) is marked with AsSystem; a record
// with neither is refused, so that no change goes unattributed.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/errs"
)

// Action is what an audited call did to its subject.
type Action string

// The actions, as stored in audit_log.action.
const (
	// ActionWrite is a change: a creation, an update or an ending.
	ActionWrite Action = "write"
	// ActionRead is a read of personal data.
	ActionRead Action = "read"
)

// SystemJobRole is the actor_role of records written by work marked with
// AsSystem.
const SystemJobRole = "system-job"

// requestIDKey is the incoming gRPC metadata that carries the caller's
// request id.
const requestIDKey = "x-request-id"

// maxRequestID bounds what a caller's header can put into the log.
const maxRequestID = 128

var (
	// ErrNoPrincipal is returned when a record's context has neither an
	// authenticated principal nor an AsSystem mark: a change nobody can
	// be held to account for is a bug, not a record to write.
	ErrNoPrincipal = errs.New(errs.Internal, "audit: no principal in context")
	// ErrInvalidEntry is returned for an entry that cannot be recorded.
	ErrInvalidEntry = errs.New(errs.Internal, "audit: invalid entry")
)

// Entry is one thing to record. The actor, method, trace and request come
// from the context.
type Entry struct {
	// Action is ActionWrite or ActionRead; Write takes "" as ActionWrite.
	Action Action
	// SubjectType is the kind of thing acted on, e.g. "organisation".
	SubjectType string
	// SubjectID identifies the thing acted on.
	SubjectID string
	// OrganisationID is the organisation the subject belongs to, if any, so
	// that auditors can list everything done within one organisation.
	OrganisationID string
	// Before and After are the subject before and after a change, recorded
	// as JSON: a proto.Message with protojson, anything else with
	// encoding/json. nil, or a value that encodes as JSON null, is recorded
	// as SQL NULL: no Before for a creation, no After for an ending.
	Before, After any
}

// Executor runs a statement: a pgx.Tx, a *pgxpool.Pool or a *pgx.Conn.
type Executor interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

type requestIDCtxKey struct{}

// AsSystem marks ctx as the context of a background job called name, as
// actor.AsSystem does (domain packages call that one directly).
func AsSystem(ctx context.Context, name string) context.Context { return actor.AsSystem(ctx, name) }

// WithRequestID returns ctx carrying a request id for the records written
// under it, for work that is not a gRPC call (a job, an event consumer
// passing on the id of the request that caused the event). The x-request-id
// of an incoming gRPC call takes precedence.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDCtxKey{}, id)
}

// Write records e in tx, the transaction that makes the change e describes,
// so that the record exists if and only if the change commits. It takes the
// actor from the principal in ctx, or from AsSystem, and returns
// ErrNoPrincipal when there is neither.
func Write(ctx context.Context, tx pgx.Tx, e Entry) error {
	if e.Action == "" {
		e.Action = ActionWrite
	}
	r, err := newRecord(ctx, e)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO audit_log
		(actor_subject, actor_role, actor_name, method, action, subject_type, subject_id,
		 organisation_id, before, after, trace_id, request_id)
		VALUES ($1, $2, NULLIF($3, ''), NULLIF($4, ''), $5, $6, $7,
		        NULLIF($8, ''), $9::jsonb, $10::jsonb, NULLIF($11, ''), NULLIF($12, ''))`,
		r.actorSubject, r.actorRole, r.actorName, r.method, string(r.action), r.subjectType, r.subjectID,
		r.organisationID, r.before, r.after, r.traceID, r.requestID)
	if err != nil {
		return fmt.Errorf("audit: writing record: %w", err)
	}
	return nil
}

// WriteMany records the writes of entries in one statement, as Write does
// each: for commands that change many subjects at once (an import of a
// roster), where a statement per record would cost more than the change.
func WriteMany(ctx context.Context, tx pgx.Tx, entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	cols := make([][]string, 10)
	var before, after [][]byte
	for _, e := range entries {
		if e.Action == "" {
			e.Action = ActionWrite
		}
		r, err := newRecord(ctx, e)
		if err != nil {
			return err
		}
		for i, v := range []string{r.actorSubject, r.actorRole, r.actorName, r.method, string(r.action), r.subjectType,
			r.subjectID, r.organisationID, r.traceID, r.requestID} {
			cols[i] = append(cols[i], v)
		}
		before, after = append(before, r.before), append(after, r.after)
	}
	_, err := tx.Exec(ctx, `INSERT INTO audit_log
		(actor_subject, actor_role, actor_name, method, action, subject_type, subject_id,
		 organisation_id, trace_id, request_id, before, after)
		SELECT a, b, NULLIF(c, ''), NULLIF(d, ''), e, f, g, NULLIF(h, ''), NULLIF(i, ''), NULLIF(j, ''),
		       convert_from(k, 'UTF8')::jsonb, convert_from(l, 'UTF8')::jsonb
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
		            $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bytea[]) AS r(a, b, c, d, e, f, g, h, i, j, k, l)`,
		cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], cols[9], before, after)
	if err != nil {
		return fmt.Errorf("audit: writing %d records: %w", len(entries), err)
	}
	return nil
}

// WriteSelected records a write of each row that query returns, as Write
// records one, in one INSERT … SELECT that never brings the rows into Go:
// for changes made set-based (a bulk import registering a batch of
// members). query selects, in order, the subject id (text), its
// organisation id (text, "" for none) and the state after (jsonb); its
// parameters are args. It returns the number of records written.
func WriteSelected(ctx context.Context, tx pgx.Tx, subjectType, query string, args ...any) (int64, error) {
	r, err := newRecord(ctx, Entry{Action: ActionWrite, SubjectType: subjectType, SubjectID: "-"})
	if err != nil {
		return 0, err
	}
	n := len(args)
	sql := fmt.Sprintf(`INSERT INTO audit_log
		(actor_subject, actor_role, actor_name, method, action, subject_type, subject_id,
		 organisation_id, before, after, trace_id, request_id)
		SELECT $%d, $%d, NULLIF($%d, ''), NULLIF($%d, ''), 'write', $%d, q.subject_id,
		       NULLIF(q.organisation_id, ''), NULL, q.after, NULLIF($%d, ''), NULLIF($%d, '')
		FROM (%s) AS q(subject_id, organisation_id, after)`, n+1, n+2, n+3, n+4, n+5, n+6, n+7, query)
	args = append(args, r.actorSubject, r.actorRole, r.actorName, r.method, subjectType, r.traceID, r.requestID)
	tag, err := tx.Exec(ctx, sql, args...)
	if err != nil {
		return 0, fmt.Errorf("audit: writing the records of %s: %w", subjectType, err)
	}
	return tag.RowsAffected(), nil
}

// WriteReads records that the caller read the subjects of entries, in one
// statement. Their Action must be "" or ActionRead, and Before and After
// must be nil: the audit log says who saw what, it does not keep a second
// copy of the personal data seen.
//
// db is the transaction of the read, the pool, or a ReadLog over the pool
// (which groups the records of concurrent reads into one commit). Call it
// before the data leaves the service, and fail the read if it fails: a
// read that could not be recorded must not happen.
func WriteReads(ctx context.Context, db Executor, entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	cols := make([][]string, 10)
	for _, e := range entries {
		if (e.Action != "" && e.Action != ActionRead) || e.Before != nil || e.After != nil {
			return errs.Detail(ErrInvalidEntry, "a read of %s %q has no action but read and no before or after", e.SubjectType, e.SubjectID)
		}
		e.Action = ActionRead
		r, err := newRecord(ctx, e)
		if err != nil {
			return err
		}
		for i, v := range []string{r.actorSubject, r.actorRole, r.actorName, r.method, r.subjectType,
			r.subjectID, r.organisationID, r.traceID, r.requestID, string(r.action)} {
			cols[i] = append(cols[i], v)
		}
	}
	if l, ok := db.(*ReadLog); ok {
		return l.write(ctx, cols)
	}
	return insertReads(ctx, db, cols)
}

// insertReads writes read records, given by column, in one statement.
func insertReads(ctx context.Context, db Executor, cols [][]string) error {
	_, err := db.Exec(ctx, `INSERT INTO audit_log
		(actor_subject, actor_role, actor_name, method, subject_type, subject_id,
		 organisation_id, trace_id, request_id, action)
		SELECT a, b, NULLIF(c, ''), NULLIF(d, ''), e, f, NULLIF(g, ''), NULLIF(h, ''), NULLIF(i, ''), j
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
		            $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS r(a, b, c, d, e, f, g, h, i, j)`,
		cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], cols[7], cols[8], cols[9])
	if err != nil {
		return fmt.Errorf("audit: writing %d read records: %w", len(cols[0]), err)
	}
	return nil
}

// record is one row of audit_log as Write inserts it; "" stands for NULL.
type record struct {
	actorSubject, actorRole, actorName string
	method                             string
	action                             Action
	subjectType, subjectID             string
	organisationID                     string
	before, after                      []byte // nil for NULL
	traceID, requestID                 string
}

func newRecord(ctx context.Context, e Entry) (record, error) {
	if e.Action != ActionWrite && e.Action != ActionRead {
		return record{}, errs.Detail(ErrInvalidEntry, "unknown action %q", e.Action)
	}
	if e.SubjectType == "" || e.SubjectID == "" {
		return record{}, errs.Detail(ErrInvalidEntry, "the subject type and id are required")
	}
	r := record{
		action:         e.Action,
		subjectType:    e.SubjectType,
		subjectID:      e.SubjectID,
		organisationID: e.OrganisationID,
		requestID:      requestID(ctx),
	}
	var err error
	if r.actorSubject, r.actorRole, r.actorName, err = actorOf(ctx); err != nil {
		return record{}, err
	}
	r.method, _ = grpc.Method(ctx)
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		r.traceID = sc.TraceID().String()
	}
	if r.before, err = marshal(e.Before); err != nil {
		return record{}, fmt.Errorf("audit: encoding before of %s %s: %w", e.SubjectType, e.SubjectID, err)
	}
	if r.after, err = marshal(e.After); err != nil {
		return record{}, fmt.Errorf("audit: encoding after of %s %s: %w", e.SubjectType, e.SubjectID, err)
	}
	return r, nil
}

// actor returns who is acting in ctx: the principal of the call or the
// background job.
func actorOf(ctx context.Context) (subject, role, name string, err error) {
	if p, ok := auth.FromContext(ctx); ok && p.Subject != "" {
		return p.Subject, string(p.Role), p.Name, nil
	}
	if job := actor.System(ctx); job != "" {
		return "system:" + job, SystemJobRole, job, nil
	}
	return "", "", "", ErrNoPrincipal
}

// requestID returns the caller's x-request-id, or the one WithRequestID put
// in ctx. The header is the caller's to choose, so it is clipped.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDCtxKey{}).(string)
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		if v := md.Get(requestIDKey); len(v) > 0 && v[0] != "" {
			id = v[0]
		}
	}
	if len(id) > maxRequestID {
		id = id[:maxRequestID]
	}
	// A rune cut in two, or a NUL, would make PostgreSQL refuse the record.
	return strings.ReplaceAll(strings.ToValidUTF8(id, ""), "\x00", "")
}

// marshal encodes v as JSON, or returns nil for SQL NULL.
func marshal(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	var b []byte
	var err error
	if m, ok := v.(proto.Message); ok {
		if !m.ProtoReflect().IsValid() { // a nil message
			return nil, nil
		}
		b, err = protojson.Marshal(m)
	} else {
		b, err = json.Marshal(v)
	}
	if err != nil || string(b) == "null" {
		return nil, err
	}
	return b, nil
}
