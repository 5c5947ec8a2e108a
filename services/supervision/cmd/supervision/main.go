// Command supervision serves the supervision service (督查考核): rules over
// the facts the other services report, their findings, inspection rounds,
// rectification items and interviews, over gRPC, with its events on
// JetStream and its own projections of the other services' events.
//
//	supervision           serve (and migrate first when MIGRATE=true)
//	supervision migrate   apply the database migrations and exit (the Kubernetes Job)
//
// What is the service's own is listed in internal/wiring; everything every
// service shares is pkg/service.
package main

import (
	_ "time/tzdata" // the city's zone without relying on the image's zoneinfo

	"gongjian.dev/pkg/service"
	"gongjian.dev/services/supervision/internal/wiring"
)

func main() { service.Main(wiring.Spec(new(wiring.Config))) }
