package gateway

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"

	memberv1 "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// chunkTaker is a member backend that keeps the chunks of the uploads it
// gets.
type chunkTaker struct {
	memberv1.UnimplementedMemberImportServiceServer
	mu     sync.Mutex
	chunks []*memberv1.UploadImportChunksRequest
	bytes  bytes.Buffer
}

func (s *chunkTaker) UploadImportChunks(stream memberv1.MemberImportService_UploadImportChunksServer) error {
	var last *memberv1.UploadImportChunksRequest
	for {
		c, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.chunks = append(s.chunks, &memberv1.UploadImportChunksRequest{JobId: c.GetJobId(), Offset: c.GetOffset(), Last: c.GetLast()})
		s.bytes.Write(c.GetData())
		s.mu.Unlock()
		last = c
	}
	return stream.SendAndClose(&memberv1.UploadImportChunksResponse{Job: &memberv1.ImportJob{Id: last.GetJobId(),
		ResumeOffset: last.GetOffset() + int64(len(last.GetData()))}})
}

// TestABulkRosterIsStreamedInChunks: the body of
// POST /v1/member-import-jobs/{id}:upload, larger than any other request
// takes, goes to the service in chunks of 1 MiB at their offsets from the
// query's, the last one marked; a body of another type is refused.
func TestABulkRosterIsStreamedInChunks(t *testing.T) {
	t.Parallel()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	taker := &chunkTaker{}
	srv := grpc.NewServer()
	memberv1.RegisterMemberImportServiceServer(srv, taker)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	h, closeBackends, err := New(t.Context(), []Backend{{Name: "member", Addr: lis.Addr().String(),
		Register: []RegisterFunc{memberv1.RegisterMemberImportServiceHandler, RegisterMemberImportChunkUpload}}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(h)
	t.Cleanup(func() { gw.Close(); _ = closeBackends() })

	body := strings.Repeat("王建国,男,1960-03-01\n", (5<<20)/26) // over 5 MiB, more than maxBody
	const job = "0193f0c4-7e4a-7c3e-9b1a-2f6d8e0a1b2c"
	resp := call(t, gw, http.MethodPost, "/v1/member-import-jobs/"+job+":upload?offset=100", body, http.Header{"Content-Type": {"text/csv"}})
	if resp.status != http.StatusOK {
		t.Fatalf("upload: %d %s", resp.status, resp.body)
	}
	if !bytes.Equal(taker.bytes.Bytes(), []byte(body)) {
		t.Errorf("the service got %d bytes of %d", taker.bytes.Len(), len(body))
	}
	if n := len(taker.chunks); n != len(body)/bulkChunk+1 {
		t.Errorf("%d chunks", n)
	}
	for i, c := range taker.chunks {
		if c.GetOffset() != 100+int64(i*bulkChunk) || c.GetJobId() != job || c.GetLast() != (i == len(taker.chunks)-1) {
			t.Errorf("chunk %d: %v", i, c)
		}
	}
	if !strings.Contains(string(resp.body), `"resumeOffset":"`) {
		t.Errorf("answer %s", resp.body)
	}
	refused := call(t, gw, http.MethodPost, "/v1/member-import-jobs/"+job+":upload", "a,b", http.Header{"Content-Type": {"image/png"}})
	if refused.status != http.StatusUnsupportedMediaType {
		t.Errorf("a picture: %d %s", refused.status, refused.body)
	}
}
