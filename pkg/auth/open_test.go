package auth_test

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	reflectionalphapb "google.golang.org/grpc/reflection/grpc_reflection_v1alpha"

	"gongjian.dev/pkg/auth"
)

func TestHealthAndReflectionStayOpen(t *testing.T) {
	t.Parallel()
	_, v := newIssuerAndVerifier(t)
	tests := []struct {
		name string
		call func(ctx context.Context, conn *grpc.ClientConn) error
	}{
		{name: "health check", call: func(ctx context.Context, conn *grpc.ClientConn) error {
			resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if err == nil && resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health status %v, want SERVING", resp.GetStatus())
			}
			return err
		}},
		{name: "reflection v1", call: func(ctx context.Context, conn *grpc.ClientConn) error {
			stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
			if err != nil {
				return err
			}
			if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
				return err
			}
			resp, err := stream.Recv()
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(resp.GetListServicesResponse().GetService(), func(s *reflectionpb.ServiceResponse) bool {
				return s.GetName() == "grpc.testing.TestService"
			}) {
				t.Errorf("reflection lists %v, without the test service", resp.GetListServicesResponse().GetService())
			}
			return nil
		}},
		{name: "reflection v1alpha", call: func(ctx context.Context, conn *grpc.ClientConn) error {
			stream, err := reflectionalphapb.NewServerReflectionClient(conn).ServerReflectionInfo(ctx)
			if err != nil {
				return err
			}
			if err := stream.Send(&reflectionalphapb.ServerReflectionRequest{MessageRequest: &reflectionalphapb.ServerReflectionRequest_ListServices{}}); err != nil {
				return err
			}
			resp, err := stream.Recv()
			if err == nil && len(resp.GetListServicesResponse().GetService()) == 0 {
				t.Error("reflection v1alpha lists no service")
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" answers without a token", func(t *testing.T) {
			t.Parallel()
			addr, _ := startAuthServer(t, v)
			if err := tt.call(t.Context(), dial(t, addr)); err != nil {
				t.Fatalf("call without a token: %v", err)
			}
		})
	}
}

func TestOpenMethods(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method string
		open   bool
	}{
		{healthpb.Health_Check_FullMethodName, true},
		{healthpb.Health_Watch_FullMethodName, true},
		{reflectionpb.ServerReflection_ServerReflectionInfo_FullMethodName, true},
		{reflectionalphapb.ServerReflection_ServerReflectionInfo_FullMethodName, true},
		{testpb.TestService_UnaryCall_FullMethodName, false},
		{"/grpc.health.v1.HealthAdmin/SetServing", false},
		{"/grpc.health.v1.Health", false},
		{"grpc.health.v1.Health/Check", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			if got := auth.OpenMethods(tt.method); got != tt.open {
				t.Fatalf("OpenMethods(%q) = %v, want %v", tt.method, got, tt.open)
			}
		})
	}
}
