// Command member serves the member service: the party members of a city
// over gRPC, with its events on JetStream and its own view of the
// organisation tree, kept from the organisation service's events.
//
//	member             serve (and migrate first when MIGRATE=true)
//	member migrate     apply the database migrations and exit (the Kubernetes Job)
//	member reencrypt   seal every national ID number again under the first key of MEMBER_ID_KEYS
//
// What is the service's own is listed in internal/wiring; everything every
// service shares is pkg/service.
package main

import (
	_ "time/tzdata" // the city's zone without relying on the image's zoneinfo

	"gongjian.dev/pkg/service"
	"gongjian.dev/services/member/internal/wiring"
)

func main() { service.Main(wiring.Spec(new(wiring.Config))) }
