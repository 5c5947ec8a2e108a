package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/pbconv"
	"gongjian.dev/services/supervision/internal/rules"
)

// RuleAPI implements pb.RuleServiceServer.
type RuleAPI struct {
	pb.UnimplementedRuleServiceServer
}

// ListFacts implements pb.RuleServiceServer.
func (a *RuleAPI) ListFacts(context.Context, *pb.ListFactsRequest) (*pb.ListFactsResponse, error) {
	out := &pb.ListFactsResponse{}
	for _, f := range rules.Facts {
		out.Facts = append(out.Facts, pbconv.Fact(f))
	}
	return out, nil
}
