// Command organisation serves the organisation service: the party
// organisation tree of a city over gRPC, with its events on JetStream.
//
//	organisation           serve (and migrate first when MIGRATE=true)
//	organisation migrate   apply the database migrations and exit (the Kubernetes Job)
//
// What is the service's own is listed in internal/wiring; everything every
// service shares is pkg/service.
package main

import (
	_ "time/tzdata" // the city's zone without relying on the image's zoneinfo

	"gongjian.dev/pkg/service"
	"gongjian.dev/services/organisation/internal/wiring"
)

func main() { service.Main(wiring.Spec(new(wiring.Config))) }
