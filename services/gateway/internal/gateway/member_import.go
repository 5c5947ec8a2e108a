package gateway

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// importRoute is the REST route of MemberService.ImportMembers.
const importRoute = "/v1/members:import"

// maxUpload bounds an uploaded roster with its form, or its JSON body with
// the file in base64 (a third larger), as guardBody applies it; the member
// service sets the limit of the file itself (10 MiB).
const maxUpload = 16 << 20

// RegisterMemberImportUpload lets a browser upload a roster to
// POST /v1/members:import as multipart/form-data, as well as the JSON body
// (content in base64) the generated handler takes: the part "file" is the
// roster, and the fields format (CSV, XLSX; else from the file's name),
// organisationId, dryRun and requestId (or their proto names) fill the
// rest of ImportMembersRequest. It replaces the generated handler of the
// route, so it is registered after RegisterMemberServiceHandler: of two
// handlers of one route, the runtime serves the later.
func RegisterMemberImportUpload(_ context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	client := memberv1.NewMemberServiceClient(conn)
	return mux.HandlePath(http.MethodPost, importRoute, func(w http.ResponseWriter, r *http.Request, _ map[string]string) {
		inbound, outbound := runtime.MarshalerForRequest(mux, r)
		ctx, err := runtime.AnnotateContext(r.Context(), mux, r, memberv1.MemberService_ImportMembers_FullMethodName,
			runtime.WithHTTPPathPattern(importRoute))
		if err != nil {
			runtime.HTTPError(r.Context(), mux, outbound, w, r, err)
			return
		}
		req, err := importRequest(r, inbound)
		if err != nil {
			runtime.HTTPError(ctx, mux, outbound, w, r, err)
			return
		}
		var md runtime.ServerMetadata
		resp, err := client.ImportMembers(ctx, req, grpc.Header(&md.HeaderMD), grpc.Trailer(&md.TrailerMD))
		ctx = runtime.NewServerMetadataContext(ctx, md)
		if err != nil {
			runtime.HTTPError(ctx, mux, outbound, w, r, err)
			return
		}
		runtime.ForwardResponseMessage(ctx, mux, outbound, w, r, resp, mux.GetForwardResponseOptions()...)
	})
}

// importRequest reads the request from a multipart form, or else from the
// body as the generated handler would.
func importRequest(r *http.Request, inbound runtime.Marshaler) (*memberv1.ImportMembersRequest, error) {
	req := &memberv1.ImportMembersRequest{}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
		if err := inbound.NewDecoder(r.Body).Decode(req); err != nil && !errors.Is(err, io.EOF) {
			return nil, status.Error(codes.InvalidArgument, err.Error()) // the decoder's messages are plain
		}
		return req, nil
	}
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		return nil, uploadErr(err)
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	file, header, err := r.FormFile("file")
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, `the form has no part "file" holding the roster`)
	}
	defer func() { _ = file.Close() }()
	if req.Content, err = io.ReadAll(file); err != nil {
		return nil, uploadErr(err)
	}
	field := func(names ...string) string {
		for _, n := range names {
			if v := r.FormValue(n); v != "" {
				return v
			}
		}
		return ""
	}
	req.OrganisationId = field("organisationId", "organisation_id")
	req.RequestId = field("requestId", "request_id")
	if v := field("dryRun", "dry_run"); v != "" {
		if req.DryRun, err = strconv.ParseBool(v); err != nil {
			return nil, status.Error(codes.InvalidArgument, "dryRun is true or false")
		}
	}
	format := strings.ToUpper(strings.TrimPrefix(strings.ToUpper(field("format")), "IMPORT_FORMAT_"))
	if format == "" {
		format = strings.ToUpper(strings.TrimPrefix(path.Ext(header.Filename), "."))
	}
	if v, ok := memberv1.ImportFormat_value["IMPORT_FORMAT_"+format]; ok {
		req.Format = memberv1.ImportFormat(v)
	} else if field("format") != "" {
		return nil, status.Error(codes.InvalidArgument, "format is CSV or XLSX")
	}
	return req, nil
}

// uploadErr is the client's error for a body that cannot be read. Its
// message is the gateway's own: the multipart reader's speaks of itself.
// A body over the limit is answered 413 by the error handler, which
// knows it from the request's state.
func uploadErr(err error) error {
	switch {
	case errors.Is(err, errBodyTooLarge):
		return status.Error(codes.ResourceExhausted, tooLargeMessage(maxUpload))
	case errors.Is(err, multipart.ErrMessageTooLarge):
		return status.Error(codes.ResourceExhausted, tooLargeMessage(maxUpload))
	}
	return status.Error(codes.InvalidArgument, "the upload is not a readable multipart/form-data form")
}
