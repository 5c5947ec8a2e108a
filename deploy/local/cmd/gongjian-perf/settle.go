package main

import (
	"context"
	"fmt"
	"time"
)

// settleLimit bounds the wait for the system to digest a measurement.
const settleLimit = 2 * time.Minute

// settle waits until the system has digested what the measurement before
// made — every service's outbox relayed and every durable consumer of
// every stream caught up — so that each row measures its own operation
// and not the previous row's events still being published and projected.
// A backlog still there after settleLimit is logged and measured with.
func (s *system) settle(ctx context.Context) {
	start := time.Now()
	for {
		left, err := s.backlog(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err == nil && left == 0:
			if d := time.Since(start); d >= time.Second {
				s.logf("the system settled in %s", d.Round(100*time.Millisecond))
			}
			return
		case time.Since(start) > settleLimit:
			s.logf("after %s, %d events still to relay or consume (%v): measuring with them", settleLimit, left, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// backlog is the number of events in the services' outboxes and not yet
// acknowledged by the streams' durable consumers.
func (s *system) backlog(ctx context.Context) (int, error) {
	n := 0
	for schema := range s.conns { // each service's schema bears its name
		pool, err := s.pool(ctx, schema)
		if err != nil {
			return 0, err
		}
		var k int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&k); err != nil {
			return 0, fmt.Errorf("%s outbox: %w", schema, err)
		}
		n += k
	}
	streams := s.js.ListStreams(ctx)
	for info := range streams.Info() {
		stream, err := s.js.Stream(ctx, info.Config.Name)
		if err != nil {
			return 0, err
		}
		consumers := stream.ListConsumers(ctx)
		for c := range consumers.Info() {
			if c.Config.Durable != "" {
				n += int(c.NumPending) + c.NumAckPending
			}
		}
		if err := consumers.Err(); err != nil {
			return 0, err
		}
	}
	return n, streams.Err()
}
