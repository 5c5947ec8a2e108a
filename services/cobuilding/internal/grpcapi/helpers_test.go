package grpcapi_test

import (
	"context"
	"slices"
)

type contextT = context.Context

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
