package audit

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/errs"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
)

// Page sizes of ListAuditRecords.
const (
	defaultPageSize = 50
	maxPageSize     = 500
)

var (
	// ErrInvalidPageToken is returned for a page token this service did not issue.
	ErrInvalidPageToken = errs.New(errs.InvalidArgument, "invalid page token")
	// ErrInvalidTime is returned for a time filter outside the range of a timestamp.
	ErrInvalidTime = errs.New(errs.InvalidArgument, "invalid time")
)

type service struct {
	auditv1.UnimplementedAuditServiceServer
	pool *pgxpool.Pool
}

// NewService returns the AuditService of the service whose schema pool is
// confined to. It answers with its own trail whatever the request's service
// field says: routing on that field is the gateway's job.
//
// It checks no permission itself: the trail names who did what to whose
// personal data, so the service's authorisation must admit only auditors to
// auditv1.AuditService_ListAuditRecords_FullMethodName.
func NewService(pool *pgxpool.Pool) auditv1.AuditServiceServer {
	return &service{pool: pool}
}

// ListAuditRecords implements auditv1.AuditServiceServer: newest first,
// keyset on (at, id), never OFFSET, so that a page costs the same however
// deep it is.
func (s *service) ListAuditRecords(ctx context.Context, req *auditv1.ListAuditRecordsRequest) (*auditv1.ListAuditRecordsResponse, error) {
	size := int(req.GetPageSize())
	if size <= 0 {
		size = defaultPageSize
	}
	size = min(size, maxPageSize)
	q, err := listQuery(req, size)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, q.sql, q.args...)
	if err != nil {
		return nil, fmt.Errorf("audit: listing records: %w", err)
	}
	records, err := pgx.CollectRows(rows, scanRecord)
	if err != nil {
		return nil, fmt.Errorf("audit: listing records: %w", err)
	}
	resp := &auditv1.ListAuditRecordsResponse{AuditRecords: records}
	if len(records) > size {
		resp.AuditRecords = records[:size]
		last := records[size-1]
		resp.NextPageToken = encodeToken(pageKey{at: last.GetRecordTime().AsTime(), id: last.GetId()})
	}
	return resp, nil
}

// query is a statement and its arguments, built filter by filter.
type query struct {
	where []string
	args  []any
	sql   string
}

// add appends a condition whose %d verbs are the placeholders of v.
func (q *query) add(cond string, v ...any) {
	idx := make([]any, len(v))
	for i, x := range v {
		q.args = append(q.args, x)
		idx[i] = len(q.args)
	}
	q.where = append(q.where, fmt.Sprintf(cond, idx...))
}

const recordColumns = `id, at, actor_subject, actor_role, coalesce(actor_name, ''), coalesce(method, ''),
	action, subject_type, subject_id, coalesce(organisation_id, ''), before, after,
	coalesce(trace_id, ''), coalesce(request_id, '')`

func listQuery(req *auditv1.ListAuditRecordsRequest, size int) (*query, error) {
	q := &query{where: []string{"true"}}
	for _, f := range []struct{ column, value string }{
		{"subject_id", req.GetSubjectId()},
		{"subject_type", req.GetSubjectType()},
		{"actor_subject", req.GetActorSubject()},
		{"organisation_id", req.GetOrganisationId()},
	} {
		if f.value != "" {
			q.add(f.column+" = $%d", f.value)
		}
	}
	switch req.GetAction() {
	case auditv1.AuditAction_AUDIT_ACTION_WRITE:
		q.add("action = $%d", string(ActionWrite))
	case auditv1.AuditAction_AUDIT_ACTION_READ:
		q.add("action = $%d", string(ActionRead))
	}
	if err := addTime(q, "at >= $%d", "from_time", req.GetFromTime()); err != nil {
		return nil, err
	}
	if err := addTime(q, "at < $%d", "to_time", req.GetToTime()); err != nil {
		return nil, err
	}
	if token := req.GetPageToken(); token != "" {
		key, err := decodeToken(token)
		if err != nil {
			return nil, err
		}
		q.add("(at, id) < ($%d, $%d)", key.at, key.id)
	}
	q.sql = `SELECT ` + recordColumns + ` FROM audit_log WHERE ` + strings.Join(q.where, " AND ") +
		fmt.Sprintf(` ORDER BY at DESC, id DESC LIMIT %d`, size+1)
	return q, nil
}

func addTime(q *query, cond, field string, ts *timestamppb.Timestamp) error {
	if ts == nil {
		return nil
	}
	if err := ts.CheckValid(); err != nil {
		return errs.Field(ErrInvalidTime, field, "not a valid timestamp")
	}
	q.add(cond, ts.AsTime())
	return nil
}

func scanRecord(row pgx.CollectableRow) (*auditv1.AuditRecord, error) {
	var (
		r             auditv1.AuditRecord
		at            time.Time
		action        string
		before, after []byte
	)
	err := row.Scan(&r.Id, &at, &r.ActorSubject, &r.ActorRole, &r.ActorName, &r.Method,
		&action, &r.SubjectType, &r.SubjectId, &r.OrganisationId, &before, &after,
		&r.TraceId, &r.RequestId)
	if err != nil {
		return nil, err
	}
	r.RecordTime = timestamppb.New(at)
	r.Action = actionToProto(Action(action))
	if r.Before, err = jsonValue(before); err != nil {
		return nil, err
	}
	if r.After, err = jsonValue(after); err != nil {
		return nil, err
	}
	return &r, nil
}

func actionToProto(a Action) auditv1.AuditAction {
	switch a {
	case ActionWrite:
		return auditv1.AuditAction_AUDIT_ACTION_WRITE
	case ActionRead:
		return auditv1.AuditAction_AUDIT_ACTION_READ
	}
	return auditv1.AuditAction_AUDIT_ACTION_UNSPECIFIED
}

// jsonValue turns a jsonb column into a Value, or nil for NULL.
func jsonValue(b []byte) (*structpb.Value, error) {
	if b == nil {
		return nil, nil
	}
	v := &structpb.Value{}
	if err := protojson.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("audit: decoding recorded JSON: %w", err)
	}
	return v, nil
}

// pageKey is the position after the last record of a page.
type pageKey struct {
	at time.Time
	id int64
}

// tokenVersion leads every token, so that the format can change without
// misreading the tokens of the old one.
const tokenVersion = 1

// Page tokens are opaque to clients: a version byte, the time of the last
// record in microseconds (PostgreSQL's precision) and its id, base64url.
func encodeToken(k pageKey) string {
	b := make([]byte, 0, 17)
	b = append(b, tokenVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(k.at.UnixMicro()))
	b = binary.BigEndian.AppendUint64(b, uint64(k.id))
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(token string) (pageKey, error) {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 17 || b[0] != tokenVersion {
		return pageKey{}, errs.Field(ErrInvalidPageToken, "page_token", "not a token this service issued")
	}
	k := pageKey{
		at: time.UnixMicro(int64(binary.BigEndian.Uint64(b[1:9]))),
		id: int64(binary.BigEndian.Uint64(b[9:])),
	}
	if k.id <= 0 {
		return pageKey{}, errs.Field(ErrInvalidPageToken, "page_token", "not a token this service issued")
	}
	return k, nil
}
