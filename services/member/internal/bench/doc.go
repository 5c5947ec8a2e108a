// Package bench measures the member service at the size of a city: a
// million members on a durable PostgreSQL, served over loopback gRPC with
// tokens verified and access checked on every call, the outbox relayed to
// NATS. It holds benchmarks only:
//
//	go test -run '^$' -bench . -benchtime 2000x ./internal/bench/
package bench
