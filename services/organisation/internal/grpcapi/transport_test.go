package grpcapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/dynamicpb"

	"gongjian.dev/pkg/auth/devissuer"
	auditv1 "gongjian.dev/proto/gen/go/gongjian/audit/v1"
	pb "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

// A transport carries one operation of the access matrix to the service:
// gRPC as other government systems call it, or REST through the generated
// gateway handlers as browsers do. Both answer a gRPC code.
type transport interface {
	call(ctx context.Context, rpc string, req proto.Message) codes.Code
}

// services maps the short service names of the matrix to their full names.
var services = map[string]string{
	"OrganisationService":  pb.OrganisationService_ServiceDesc.ServiceName,
	"DemonstrationService": pb.DemonstrationService_ServiceDesc.ServiceName,
	"ComplianceService":    pb.ComplianceService_ServiceDesc.ServiceName,
	"AuditService":         auditv1.AuditService_ServiceDesc.ServiceName,
}

func method(rpc string) protoreflect.MethodDescriptor {
	svc, name, _ := strings.Cut(rpc, "/")
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(services[svc]))
	if err != nil {
		panic(fmt.Sprintf("no service %s: %v", rpc, err))
	}
	return d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(name))
}

// grpcTransport invokes the RPC by name on a connection carrying a token.
type grpcTransport struct{ conn *grpc.ClientConn }

func (g grpcTransport) call(ctx context.Context, rpc string, req proto.Message) codes.Code {
	m := method(rpc)
	out := dynamicpb.NewMessage(m.Output())
	return status.Code(g.conn.Invoke(ctx, fmt.Sprintf("/%s/%s", m.Parent().FullName(), m.Name()), req, out))
}

// restTransport sends the request as the RPC's google.api.http rule maps
// it, with the token in the Authorization header.
type restTransport struct {
	base  string
	token string
}

// newREST serves the generated REST handlers of every service, dialling
// the gRPC server over a connection that carries no token of its own: the
// caller's token travels in the HTTP request, as through the real gateway.
func newREST(t *testing.T, conn *grpc.ClientConn) string {
	t.Helper()
	mux := runtime.NewServeMux()
	ctx := t.Context()
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		pb.RegisterOrganisationServiceHandler, pb.RegisterDemonstrationServiceHandler,
		pb.RegisterComplianceServiceHandler, auditv1.RegisterAuditServiceHandler,
	} {
		if err := register(ctx, mux, conn); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func restFor(t *testing.T, base string, c devissuer.Claims) restTransport {
	t.Helper()
	if c.Role == "" {
		return restTransport{base: base}
	}
	token, err := testIssuer(t).Issue(c)
	if err != nil {
		t.Fatal(err)
	}
	return restTransport{base: base, token: token}
}

var pathParam = regexp.MustCompile(`\{([^}=]+)(=[^}]*)?\}`)

func (r restTransport) call(ctx context.Context, rpc string, req proto.Message) codes.Code {
	verb, tmpl, body := httpRule(method(rpc))
	msg := proto.Clone(req)
	var used []string
	path := pathParam.ReplaceAllStringFunc(tmpl, func(p string) string {
		field := pathParam.FindStringSubmatch(p)[1]
		used = append(used, field)
		return url.PathEscape(fieldValue(msg.ProtoReflect(), field))
	})
	for _, f := range used {
		if !strings.Contains(f, ".") {
			msg.ProtoReflect().Clear(msg.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(f)))
		}
	}
	var payload io.Reader
	switch body {
	case "":
		if q := query(msg.ProtoReflect()); q != "" {
			path += "?" + q
		}
	case "*":
		b, _ := protojson.Marshal(msg)
		payload = bytes.NewReader(b)
	default:
		sub := msg.ProtoReflect().Get(msg.ProtoReflect().Descriptor().Fields().ByName(protoreflect.Name(body))).Message().Interface()
		b, _ := protojson.Marshal(sub)
		payload = bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, verb, r.base+path, payload)
	if err != nil {
		return codes.Internal
	}
	hreq.Header.Set("Content-Type", "application/json")
	if r.token != "" {
		hreq.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return codes.Unavailable
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return codes.OK
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	}
	return codes.FailedPrecondition // refused by a domain rule, not by access
}

func httpRule(m protoreflect.MethodDescriptor) (verb, path, body string) {
	rule := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return http.MethodGet, p.Get, rule.GetBody()
	case *annotations.HttpRule_Post:
		return http.MethodPost, p.Post, rule.GetBody()
	case *annotations.HttpRule_Put:
		return http.MethodPut, p.Put, rule.GetBody()
	case *annotations.HttpRule_Patch:
		return http.MethodPatch, p.Patch, rule.GetBody()
	case *annotations.HttpRule_Delete:
		return http.MethodDelete, p.Delete, rule.GetBody()
	}
	panic("no HTTP rule for " + string(m.FullName()))
}

// fieldValue reads a (dotted) field path of a message as text.
func fieldValue(m protoreflect.Message, path string) string {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		m = m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(p))).Message()
	}
	return m.Get(m.Descriptor().Fields().ByName(protoreflect.Name(parts[len(parts)-1]))).String()
}

// query encodes the set scalar fields of a message as query parameters.
func query(m protoreflect.Message) string {
	q := url.Values{}
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if f.Kind() == protoreflect.MessageKind || f.IsList() {
			return true
		}
		if f.Kind() == protoreflect.EnumKind {
			q.Set(string(f.Name()), string(f.Enum().Values().ByNumber(v.Enum()).Name()))
			return true
		}
		q.Set(string(f.Name()), v.String())
		return true
	})
	return q.Encode()
}
