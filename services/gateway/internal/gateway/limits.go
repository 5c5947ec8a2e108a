package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync/atomic"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// maxBody bounds the JSON body of every route but the roster upload. The
// largest real bodies (a bulk transfer's list of 5,000 members, a scheme
// of categories with their rules) are a few hundred KiB; the services take
// 4 MiB messages.
const maxBody = 4 << 20

// request is what the gateway learns about one API request on its way
// through: whether its body went over the limit, and whether a backend
// was called (if not, an error is the gateway's own reading of the
// request, whose messages come from parsers and are rewritten).
type request struct {
	limit         int64
	tooLarge      atomic.Bool
	backendCalled atomic.Bool
}

type requestKey struct{}

func requestOf(ctx context.Context) *request {
	r, _ := ctx.Value(requestKey{}).(*request)
	return r
}

// guardBody runs on every matched API route before its handler: a body
// in a content type the route does not read is refused (415), one larger
// than the route takes is refused (413) before the backend sees it, and
// the request's state is put in its context for the error handler.
func guardBody(log *slog.Logger) runtime.Middleware {
	return func(next runtime.HandlerFunc) runtime.HandlerFunc {
		return guarded(log, next)
	}
}

func guarded(log *slog.Logger, next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, params map[string]string) {
		limit := int64(maxBody)
		if r.URL.Path == importRoute {
			limit = maxUpload
		}
		if isBulkUpload(r) {
			limit = maxBulkUpload
		}
		st := &request{limit: limit}
		r = r.WithContext(context.WithValue(r.Context(), requestKey{}, st))
		if hasBody(r) {
			if msg, ok := acceptedType(r); !ok {
				writeError(r.Context(), log, w, newJSONMarshaler(), http.StatusUnsupportedMediaType,
					status.New(codes.InvalidArgument, msg))
				return
			}
			if r.ContentLength > limit {
				writeError(r.Context(), log, w, newJSONMarshaler(), http.StatusRequestEntityTooLarge,
					status.New(codes.ResourceExhausted, tooLargeMessage(limit)))
				return
			}
			r.Body = &limitedBody{ReadCloser: r.Body, left: limit, req: st}
		}
		next(w, r, params)
	}
}

// hasBody reports whether the request carries a body (a chunked one has
// no length yet).
func hasBody(r *http.Request) bool {
	return r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0
}

// acceptedType checks the body's content type: JSON everywhere (or no
// type at all, as simple clients send), multipart/form-data on the roster
// upload. Anything else, text/plain or a form of curl's default
// application/x-www-form-urlencoded, would otherwise be read as JSON.
func acceptedType(r *http.Request) (string, bool) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return "", true
	}
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case err == nil && mt == "application/json":
		return "", true
	case err == nil && mt == "multipart/form-data" && r.URL.Path == importRoute:
		return "", true
	case r.URL.Path == importRoute:
		return "the request body must be application/json or multipart/form-data", false
	case isBulkUpload(r) && bulkUploadType(ct):
		return "", true
	case isBulkUpload(r):
		return "the request body must be the file: text/csv or application/octet-stream", false
	}
	return "the request body must be application/json", false
}

func tooLargeMessage(limit int64) string {
	return fmt.Sprintf("the request body is larger than %d MiB", limit>>20)
}

// errBodyTooLarge ends the reading of a body past its limit.
var errBodyTooLarge = errors.New("request body too large")

// limitedBody reads at most left bytes and marks the request when the
// body goes on: the parsers turn errBodyTooLarge into messages of their
// own, so the error handler relies on the mark, not on the error.
type limitedBody struct {
	io.ReadCloser
	left int64
	req  *request
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte tells a body of exactly the limit from a longer one.
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			b.req.tooLarge.Store(true)
			return 0, errBodyTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}

// markCalledUnary and markCalledStream record that the request reached a
// backend.
func markCalledUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if r := requestOf(ctx); r != nil {
		r.backendCalled.Store(true)
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

func markCalledStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if r := requestOf(ctx); r != nil {
		r.backendCalled.Store(true)
	}
	return streamer(ctx, desc, cc, method, opts...)
}
