package grpcapi

import (
	"context"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/pbconv"
	"gongjian.dev/services/cobuilding/internal/venues"
)

type venueAPI struct {
	pb.UnimplementedVenueServiceServer
	svc *venues.Service
}

func (a *venueAPI) CreateVenue(ctx context.Context, req *pb.CreateVenueRequest) (*pb.CreateVenueResponse, error) {
	in, err := pbconv.VenueOf(req.GetVenue())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Create(ctx, in, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateVenueResponse{Venue: pbconv.Venue(out)}, nil
}

func (a *venueAPI) GetVenue(ctx context.Context, req *pb.GetVenueRequest) (*pb.GetVenueResponse, error) {
	out, err := a.svc.Get(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetVenueResponse{Venue: pbconv.Venue(out)}, nil
}

func (a *venueAPI) ListVenues(ctx context.Context, req *pb.ListVenuesRequest) (*pb.ListVenuesResponse, error) {
	ancestor, own := listScope(ctx, req.GetAncestorId())
	unit, err := ownUnit(req.GetUnitId(), own)
	if err != nil {
		return nil, err
	}
	list, next, err := a.svc.List(ctx, venues.Filter{CommunityID: req.GetCommunityId(), UnitID: unit, AncestorID: ancestor,
		Kind: pbconv.VenueKindOf(req.GetKind()), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()})
	if err != nil {
		return nil, err
	}
	out := &pb.ListVenuesResponse{NextPageToken: next}
	for _, v := range list {
		out.Venues = append(out.Venues, pbconv.Venue(v))
	}
	return out, nil
}

func (a *venueAPI) UpdateVenue(ctx context.Context, req *pb.UpdateVenueRequest) (*pb.UpdateVenueResponse, error) {
	in, err := pbconv.VenueOf(req.GetVenue())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Update(ctx, req.GetVenue().GetId(), in, req.GetUpdateMask().GetPaths())
	if err != nil {
		return nil, err
	}
	return &pb.UpdateVenueResponse{Venue: pbconv.Venue(out)}, nil
}

type bookingAPI struct {
	pb.UnimplementedBookingServiceServer
	svc *venues.Service
}

func (a *bookingAPI) CreateBooking(ctx context.Context, req *pb.CreateBookingRequest) (*pb.CreateBookingResponse, error) {
	out, err := a.svc.Book(ctx, pbconv.BookingOf(req.GetBooking()), caller(ctx), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return &pb.CreateBookingResponse{Booking: pbconv.Booking(out)}, nil
}

func (a *bookingAPI) GetBooking(ctx context.Context, req *pb.GetBookingRequest) (*pb.GetBookingResponse, error) {
	out, err := a.svc.GetBooking(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	return &pb.GetBookingResponse{Booking: pbconv.Booking(out)}, nil
}

func (a *bookingAPI) ListBookings(ctx context.Context, req *pb.ListBookingsRequest) (*pb.ListBookingsResponse, error) {
	ancestor, own := listScope(ctx, req.GetAncestorId())
	unit, err := ownUnit(req.GetUnitId(), own)
	if err != nil {
		return nil, err
	}
	f := venues.BookingFilter{VenueID: req.GetVenueId(), CommunityID: req.GetCommunityId(), UnitID: unit, AncestorID: ancestor,
		IncludeCancelled: req.GetIncludeCancelled(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()}
	if req.GetFrom() != nil {
		f.From = req.GetFrom().AsTime()
	}
	list, next, err := a.svc.ListBookings(ctx, f)
	if err != nil {
		return nil, err
	}
	out := &pb.ListBookingsResponse{NextPageToken: next}
	for _, b := range list {
		out.Bookings = append(out.Bookings, pbconv.Booking(b))
	}
	return out, nil
}

func (a *bookingAPI) CancelBooking(ctx context.Context, req *pb.CancelBookingRequest) (*pb.CancelBookingResponse, error) {
	out, err := a.svc.Cancel(ctx, req.GetId(), req.GetReason())
	if err != nil {
		return nil, err
	}
	return &pb.CancelBookingResponse{Booking: pbconv.Booking(out)}, nil
}

type calendarAPI struct {
	pb.UnimplementedCalendarServiceServer
	svc *venues.Calendar
}

func (a *calendarAPI) ListCalendarDays(ctx context.Context, req *pb.ListCalendarDaysRequest) (*pb.ListCalendarDaysResponse, error) {
	days, err := a.svc.Days(ctx, int(req.GetYear()))
	if err != nil {
		return nil, err
	}
	out := &pb.ListCalendarDaysResponse{}
	for _, d := range days {
		out.CalendarDays = append(out.CalendarDays, pbconv.Day(d))
	}
	return out, nil
}

func (a *calendarAPI) SetCalendarDay(ctx context.Context, req *pb.SetCalendarDayRequest) (*pb.SetCalendarDayResponse, error) {
	d, err := pbconv.DayOf(req.GetCalendarDay())
	if err != nil {
		return nil, err
	}
	out, err := a.svc.Set(ctx, d)
	if err != nil {
		return nil, err
	}
	return &pb.SetCalendarDayResponse{CalendarDay: pbconv.Day(out)}, nil
}
