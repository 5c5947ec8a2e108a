package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// importer is a member backend that keeps the import requests it gets.
type importer struct {
	memberv1.UnimplementedMemberServiceServer
	mu  sync.Mutex
	got []*memberv1.ImportMembersRequest
}

func (s *importer) ImportMembers(ctx context.Context, req *memberv1.ImportMembersRequest) (*memberv1.ImportMembersResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, proto.Clone(req).(*memberv1.ImportMembersRequest))
	return &memberv1.ImportMembersResponse{Report: &memberv1.ImportReport{Id: "import-1", Taken: 1}}, nil
}

func startImportGateway(t *testing.T) (*httptest.Server, *importer) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	imp := &importer{}
	srv := grpc.NewServer()
	memberv1.RegisterMemberServiceServer(srv, imp)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	h, closeBackends, err := New(t.Context(), []Backend{{Name: "member", Addr: lis.Addr().String(),
		Register: []RegisterFunc{memberv1.RegisterMemberServiceHandler, RegisterMemberImportUpload}}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	t.Cleanup(func() { gw.Close(); _ = closeBackends() })
	return gw, imp
}

// TestARosterIsUploadedAsAForm: POST /v1/members:import takes a
// multipart upload, its file and fields becoming the request, and still
// takes the JSON body the API describes.
func TestARosterIsUploadedAsAForm(t *testing.T) {
	t.Parallel()
	gw, imp := startImportGateway(t)
	roster := []byte("姓名,性别\n王建国,男\n")

	var body bytes.Buffer
	form := multipart.NewWriter(&body)
	part, err := form.CreateFormFile("file", "金川区花名册.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = part.Write(roster)
	for k, v := range map[string]string{"organisationId": "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c", "dryRun": "true", "requestId": "r-1"} {
		_ = form.WriteField(k, v)
	}
	_ = form.Close()
	upload := call(t, gw, http.MethodPost, "/v1/members:import", body.String(), http.Header{"Content-Type": {form.FormDataContentType()}})
	if upload.status != http.StatusOK {
		t.Fatalf("upload: %d %s", upload.status, upload.body)
	}
	if diff := jsonDiff(t, `{"report": {"id": "import-1", "taken": 1}}`, upload.body); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}

	asJSON := call(t, gw, http.MethodPost, "/v1/members:import",
		`{"content": "`+base64.StdEncoding.EncodeToString(roster)+`", "format": "IMPORT_FORMAT_CSV"}`, nil)
	if asJSON.status != http.StatusOK {
		t.Fatalf("JSON: %d %s", asJSON.status, asJSON.body)
	}

	noFile := call(t, gw, http.MethodPost, "/v1/members:import", "--x--\r\n",
		http.Header{"Content-Type": {"multipart/form-data; boundary=x"}})
	if noFile.status != http.StatusBadRequest {
		t.Errorf("a form without the file: %d %s", noFile.status, noFile.body)
	}

	want := []*memberv1.ImportMembersRequest{
		{Content: roster, Format: memberv1.ImportFormat_IMPORT_FORMAT_XLSX, OrganisationId: "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c",
			DryRun: true, RequestId: "r-1"},
		{Content: roster, Format: memberv1.ImportFormat_IMPORT_FORMAT_CSV},
	}
	imp.mu.Lock()
	defer imp.mu.Unlock()
	if diff := cmp.Diff(want, imp.got, protocmp.Transform()); diff != "" {
		t.Errorf("requests the backend got (-want +got):\n%s", diff)
	}
}
