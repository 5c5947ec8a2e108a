package grpcapi_test

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"gongjian.dev/pkg/servicetest"
	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/wiring"
)

// benchClients × GOMAXPROCS clients call at once: 16 on two cores.
const benchClients = 8

// BenchmarkBookings books venues under contention: 16 clients on 4 venues,
// two clients racing for each one-hour slot of a venue, so that the
// database refuses every second booking as overlapping. It runs over real
// gRPC on loopback, on a durable PostgreSQL cluster, with tracing on, each
// call's token verified and its access checked, each booking with its
// event and audit record and the relay publishing; beside it, the ceilings
// of the same run.
func BenchmarkBookings(b *testing.B) {
	spec := wiring.Spec(&wiring.Config{SweepInterval: time.Hour})
	pool := servicetest.DurablePool(b, spec)
	h := newHarness(b, servicetest.WithPool(pool), servicetest.Loopback(), servicetest.WithLocation(city),
		servicetest.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	tr := h.tree(b)
	ctx := context.Background()
	api := h.venueAPI(cityAdmin)
	var venues [4]string
	units := [2]string{h.unit(b, tr.community.GetId(), "同江市税务局").GetId(), h.unit(b, tr.neighbour.GetId(), "同江市第一中学").GetId()}
	everyone := []pb.Admitted{pb.Admitted_ADMITTED_OWN_UNIT, pb.Admitted_ADMITTED_OTHER_UNITS, pb.Admitted_ADMITTED_COMMUNITIES,
		pb.Admitted_ADMITTED_RESIDENTS}
	for i := range venues {
		v := venueOf(units[i%2], "会议室")
		v.OpeningRule = &pb.OpeningRule{OfficeHours: everyone, AfterHours: everyone, RestDays: everyone}
		resp, err := api.venues.CreateVenue(ctx, &pb.CreateVenueRequest{Venue: v})
		if err != nil {
			b.Fatal(err)
		}
		venues[i] = resp.GetVenue().GetId()
	}

	servicetest.Ceilings(b, h.As(cityAdmin), pool, benchClients)
	first := time.Date(2026, 6, 18, 0, 0, 0, 0, city)
	var booked, taken atomic.Int64
	// race is how many clients ask for each slot of a venue in turn: 2, so
	// that the database refuses every second booking as overlapping; and 1,
	// the same work without a race, to tell what the race costs.
	for _, run := range []struct {
		name string
		race int64
		from time.Time
	}{{"book/16-clients-4-venues-2-per-slot", 2, first}, {"book/16-clients-4-venues-no-race", 1, first.AddDate(5, 0, 0)}} {
		var next [4]atomic.Int64
		b.Run(run.name, func(b *testing.B) {
			var ok, refused atomic.Int64
			b.SetParallelism(benchClients)
			b.RunParallel(func(p *testing.PB) {
				for p.Next() {
					v := rand.IntN(len(venues))
					start := run.from.Add(time.Duration(next[v].Add(1)/run.race) * time.Hour)
					const minute = "2006-01-02 15:04"
					bk := ownBookingOf(venues[v], units[v%2], slot{start.Format(minute), start.Add(time.Hour).Format(minute)})
					_, err := api.bookings.CreateBooking(ctx, &pb.CreateBookingRequest{Booking: bk})
					switch status(err) {
					case codes.OK:
						ok.Add(1)
					case codes.AlreadyExists:
						refused.Add(1)
					default:
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(ok.Load())/float64(ok.Load()+refused.Load()), "booked/op")
			booked.Add(ok.Load())
			taken.Add(refused.Load())
		})
	}
	if n := h.count(b, `SELECT count(*) FROM bookings b1 JOIN bookings b2 ON b1.venue_id = b2.venue_id AND b1.id < b2.id
		AND tstzrange(b1.start_time, b1.end_time) && tstzrange(b2.start_time, b2.end_time)`); n != 0 {
		b.Fatalf("%d overlapping pairs of bookings", n)
	}
	b.Logf("%d booked, %d refused as overlapping", booked.Load(), taken.Load())
}
