// Package accesstest carries one RPC, given as its request message, to a
// service over gRPC or over REST through the generated gateway handlers
// (transcoding by the RPC's google.api.http rule), and answers the gRPC
// code either way. Services use it to run their access matrix — every RPC
// × every kind of caller × in and out of scope — over both transports with
// one table.
package accesstest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
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
)

// Transport calls an RPC, named by its full method name
// ("/gongjian.organisation.v1.OrganisationService/GetOrganisation").
type Transport interface {
	Call(ctx context.Context, fullMethod string, req proto.Message) codes.Code
}

// Method finds an RPC's descriptor by its full method name.
func Method(fullMethod string) (protoreflect.MethodDescriptor, error) {
	svc, name, ok := strings.Cut(strings.TrimPrefix(fullMethod, "/"), "/")
	if !ok {
		return nil, fmt.Errorf("accesstest: %q is not a full method name", fullMethod)
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return nil, err
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, fmt.Errorf("accesstest: %s is not a service", svc)
	}
	m := sd.Methods().ByName(protoreflect.Name(name))
	if m == nil {
		return nil, fmt.Errorf("accesstest: %s has no method %s", svc, name)
	}
	return m, nil
}

// GRPC calls over a connection (which carries the caller's token).
type GRPC struct{ Conn *grpc.ClientConn }

// Call implements Transport.
func (g GRPC) Call(ctx context.Context, fullMethod string, req proto.Message) codes.Code {
	m, err := Method(fullMethod)
	if err != nil {
		return codes.Unimplemented
	}
	return status.Code(g.Conn.Invoke(ctx, fullMethod, req, dynamicpb.NewMessage(m.Output())))
}

// RESTServer serves the generated REST handlers of the given services over
// a connection that carries no token of its own: the caller's token travels
// in the HTTP request, as through the real gateway.
func RESTServer(t testing.TB, conn *grpc.ClientConn, register ...func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error) string {
	t.Helper()
	// A path no route matches is 404 and a known path with another method
	// 405, as the gateway answers them (the runtime's default is 501).
	mux := runtime.NewServeMux(runtime.WithRoutingErrorHandler(
		func(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
			http.Error(w, http.StatusText(httpStatus), httpStatus)
		}))
	for _, r := range register {
		if err := r(context.Background(), mux, conn); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

// REST calls the REST server at Base with Token ("" for none).
type REST struct{ Base, Token string }

var pathParam = regexp.MustCompile(`\{([^}=]+)(=[^}]*)?\}`)

// Call implements Transport: the request goes where the RPC's HTTP rule
// maps it (path parameters, body, query), and the HTTP status comes back as
// the code it stands for; a server error is Internal (Unavailable,
// Unimplemented, DeadlineExceeded for 503, 501, 504), and any other refusal
// is a domain rule's, reported as FailedPrecondition.
func (r REST) Call(ctx context.Context, fullMethod string, req proto.Message) codes.Code {
	m, err := Method(fullMethod)
	if err != nil {
		return codes.Unimplemented
	}
	hreq, err := r.request(ctx, m, req)
	if err != nil {
		return codes.Internal
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return codes.Unavailable
	}
	_ = resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return codes.OK
	case http.StatusUnauthorized:
		return codes.Unauthenticated
	case http.StatusForbidden:
		return codes.PermissionDenied
	case http.StatusNotFound:
		return codes.NotFound
	case http.StatusNotImplemented:
		return codes.Unimplemented
	case http.StatusServiceUnavailable:
		return codes.Unavailable
	case http.StatusGatewayTimeout:
		return codes.DeadlineExceeded
	}
	if resp.StatusCode >= 500 {
		return codes.Internal
	}
	return codes.FailedPrecondition
}

func (r REST) request(ctx context.Context, m protoreflect.MethodDescriptor, req proto.Message) (*http.Request, error) {
	verb, tmpl, body, err := httpRule(m)
	if err != nil {
		return nil, err
	}
	msg := proto.Clone(req).ProtoReflect()
	var used []string
	path := pathParam.ReplaceAllStringFunc(tmpl, func(p string) string {
		field := pathParam.FindStringSubmatch(p)[1]
		used = append(used, field)
		return url.PathEscape(fieldValue(msg, field))
	})
	for _, f := range used {
		if !strings.Contains(f, ".") {
			msg.Clear(msg.Descriptor().Fields().ByName(protoreflect.Name(f)))
		}
	}
	var payload io.Reader
	switch body {
	case "":
		if q := query(msg); q != "" {
			path += "?" + q
		}
	case "*":
		b, err := protojson.Marshal(msg.Interface())
		if err != nil {
			return nil, err
		}
		payload = bytes.NewReader(b)
	default:
		sub := msg.Get(msg.Descriptor().Fields().ByName(protoreflect.Name(body))).Message().Interface()
		b, err := protojson.Marshal(sub)
		if err != nil {
			return nil, err
		}
		payload = bytes.NewReader(b)
	}
	hreq, err := http.NewRequestWithContext(ctx, verb, r.Base+path, payload)
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	if r.Token != "" {
		hreq.Header.Set("Authorization", "Bearer "+r.Token)
	}
	return hreq, nil
}

func httpRule(m protoreflect.MethodDescriptor) (verb, path, body string, err error) {
	rule, ok := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
	if !ok || rule == nil {
		return "", "", "", fmt.Errorf("accesstest: %s has no HTTP rule", m.FullName())
	}
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return http.MethodGet, p.Get, rule.GetBody(), nil
	case *annotations.HttpRule_Post:
		return http.MethodPost, p.Post, rule.GetBody(), nil
	case *annotations.HttpRule_Put:
		return http.MethodPut, p.Put, rule.GetBody(), nil
	case *annotations.HttpRule_Patch:
		return http.MethodPatch, p.Patch, rule.GetBody(), nil
	case *annotations.HttpRule_Delete:
		return http.MethodDelete, p.Delete, rule.GetBody(), nil
	}
	return "", "", "", fmt.Errorf("accesstest: %s has a custom HTTP rule", m.FullName())
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
		switch {
		case f.Kind() == protoreflect.MessageKind || f.IsList() || f.IsMap():
		case f.Kind() == protoreflect.EnumKind:
			if ev := f.Enum().Values().ByNumber(v.Enum()); ev != nil {
				q.Set(string(f.Name()), string(ev.Name()))
			} else {
				q.Set(string(f.Name()), strconv.Itoa(int(v.Enum())))
			}
		default:
			q.Set(string(f.Name()), v.String())
		}
		return true
	})
	return q.Encode()
}
