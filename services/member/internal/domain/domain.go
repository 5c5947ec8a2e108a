// Package domain assembles the member service's sub-domains over one store
// and one clock, each given the sub-domains it builds on (the kernel,
// member, under all of them), and sweeps what time alone changes. The
// wiring builds it once; the handlers call its services; a test builds a
// second one over the same database as a second replica would.
package domain

import (
	"context"
	"time"

	"gongjian.dev/services/member/internal/leaving"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/reporting"
)

// Store is the one store as each sub-domain sees it.
type Store interface {
	Members() member.Store
	Leaving() leaving.Store
	Reporting() reporting.Store
}

// Services are the sub-domains of the member service.
type Services struct {
	Members   *member.Service
	Leaving   *leaving.Service
	Reporting *reporting.Service
}

// New builds the sub-domains over st, on the clock now (time.Now when nil)
// in the city's time zone loc (UTC when nil).
func New(st Store, now func() time.Time, loc *time.Location) *Services {
	members := member.NewService(st.Members(), now, loc)
	clock := members.Clock()
	return &Services{
		Members:   members,
		Leaving:   leaving.NewService(st.Leaving(), members),
		Reporting: reporting.NewService(st.Reporting(), clock),
	}
}

// Sweep finds what time alone has changed and says so, each finding once
// (see member.Service.Sweep).
func (s *Services) Sweep(ctx context.Context) error { return s.Members.Sweep(ctx) }

// RunSweeper sweeps every interval until ctx ends; a failed sweep is
// reported through onError and tried again at the next tick.
func (s *Services) RunSweeper(ctx context.Context, interval time.Duration, onError func(error)) error {
	return s.Members.RunSweeper(ctx, interval, onError)
}
