// Command cobuilding serves the co-building service (共驻共建): resident
// units, their agreements with communities, monthly reports, joint
// meetings and their issue ledgers, and joint activities, over gRPC, with
// its events on JetStream and its own view of the organisation tree, kept
// from the organisation service's events.
//
//	cobuilding           serve (and migrate first when MIGRATE=true)
//	cobuilding migrate   apply the database migrations and exit (the Kubernetes Job)
//
// What is the service's own is listed in internal/wiring; everything every
// service shares is pkg/service.
package main

import (
	_ "time/tzdata" // the city's zone without relying on the image's zoneinfo

	"gongjian.dev/pkg/service"
	"gongjian.dev/services/cobuilding/internal/wiring"
)

func main() { service.Main(wiring.Spec(new(wiring.Config))) }
