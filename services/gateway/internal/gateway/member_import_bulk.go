package gateway

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// bulkUploadRoute is the REST route of MemberImportService.UploadImportChunks.
const bulkUploadRoute = "/v1/member-import-jobs/{id}:upload"

// bulkUploadPath matches the paths of bulkUploadRoute.
var bulkUploadPath = regexp.MustCompile(`^/v1/member-import-jobs/[^/]+:upload$`)

// maxBulkUpload bounds the file of one bulk import: a city's 1.5 million
// members are about 300 MiB of CSV.
const maxBulkUpload = 4 << 30

// bulkChunk is the size of the chunks a streamed body is sent in.
const bulkChunk = 1 << 20

// RegisterMemberImportChunkUpload serves POST
// /v1/member-import-jobs/{id}:upload: the body is the roster's bytes (CSV,
// any length), from the byte offset the query's offset gives (0 when
// absent), streamed to the member service in chunks of 1 MiB as it
// arrives, never held whole. The body ends the file unless the query says
// last=false. The answer is the job (resume_offset says where to go on
// after a broken upload).
func RegisterMemberImportChunkUpload(_ context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	client := memberv1.NewMemberImportServiceClient(conn)
	return mux.HandlePath(http.MethodPost, bulkUploadRoute, func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		_, outbound := runtime.MarshalerForRequest(mux, r)
		ctx, err := runtime.AnnotateContext(r.Context(), mux, r, memberv1.MemberImportService_UploadImportChunks_FullMethodName,
			runtime.WithHTTPPathPattern(bulkUploadRoute))
		if err != nil {
			runtime.HTTPError(r.Context(), mux, outbound, w, r, err)
			return
		}
		var md runtime.ServerMetadata
		resp, err := uploadChunks(ctx, client, r, params["id"], &md)
		ctx = runtime.NewServerMetadataContext(ctx, md)
		if err != nil {
			runtime.HTTPError(ctx, mux, outbound, w, r, err)
			return
		}
		runtime.ForwardResponseMessage(ctx, mux, outbound, w, r, resp, mux.GetForwardResponseOptions()...)
	})
}

// uploadChunks streams the request's body to the job.
func uploadChunks(ctx context.Context, client memberv1.MemberImportServiceClient, r *http.Request, jobID string,
	md *runtime.ServerMetadata) (*memberv1.UploadImportChunksResponse, error) {
	offset, last, err := uploadQuery(r)
	if err != nil {
		return nil, err
	}
	stream, err := client.UploadImportChunks(ctx, grpc.Header(&md.HeaderMD), grpc.Trailer(&md.TrailerMD))
	if err != nil {
		return nil, err
	}
	buf := make([]byte, bulkChunk)
	for {
		n, readErr := io.ReadFull(r.Body, buf)
		end := errors.Is(readErr, io.EOF) || errors.Is(readErr, io.ErrUnexpectedEOF)
		if readErr != nil && !end {
			_ = stream.CloseSend()
			return nil, uploadErr(readErr)
		}
		if n > 0 || end {
			err := stream.Send(&memberv1.UploadImportChunksRequest{JobId: jobID, Offset: offset, Data: buf[:n], Last: end && last})
			if errors.Is(err, io.EOF) {
				break // the service answered early: its answer says why
			}
			if err != nil {
				return nil, err
			}
			offset += int64(n)
		}
		if end {
			break
		}
	}
	return stream.CloseAndRecv()
}

// uploadQuery reads the offset and last of the query.
func uploadQuery(r *http.Request) (int64, bool, error) {
	q := r.URL.Query()
	var offset int64
	if v := q.Get("offset"); v != "" {
		o, err := strconv.ParseInt(v, 10, 64)
		if err != nil || o < 0 {
			return 0, false, status.Error(codes.InvalidArgument, "offset is a number of bytes, 0 or more")
		}
		offset = o
	}
	last := true
	if v := q.Get("last"); v != "" {
		l, err := strconv.ParseBool(v)
		if err != nil {
			return 0, false, status.Error(codes.InvalidArgument, "last is true or false")
		}
		last = l
	}
	return offset, last, nil
}

// isBulkUpload says whether a request is a bulk import's upload, whose
// body is a file of any type up to maxBulkUpload.
func isBulkUpload(r *http.Request) bool { return bulkUploadPath.MatchString(r.URL.Path) }

// bulkUploadType accepts the types a CSV file travels as.
func bulkUploadType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "text/csv" || mt == "application/octet-stream" || mt == "text/plain")
}
