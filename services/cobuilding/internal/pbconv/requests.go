package pbconv

import (
	"strings"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/requests"
)

// ServiceRequest is the API's request, its personal data as r holds it
// (masked or not).
func ServiceRequest(r *requests.Request) *pb.ServiceRequest {
	out := &pb.ServiceRequest{Id: r.ID, CommunityId: r.CommunityID, DistrictId: r.DistrictID,
		Kind:    pb.ServiceRequestKind(pb.ServiceRequestKind_value["SERVICE_REQUEST_KIND_"+string(r.Kind)]),
		Channel: pb.ServiceRequestChannel(pb.ServiceRequestChannel_value["SERVICE_REQUEST_CHANNEL_"+string(r.Channel)]),
		Title:   r.Title, Content: r.Content, ResidentName: r.Resident.Name, ResidentPhone: r.Resident.Phone,
		Address: r.Resident.Address, PersonalDataMasked: r.Masked, State: ServiceRequestState(r.State),
		Handler: Handler(r.Handler), ReceiveTime: ts(r.Received), ResponseDueTime: ts(r.ResponseDue),
		AcceptTime: ts(r.Accepted), ProgressDueTime: ts(r.ProgressDue), Answer: r.Answer, Resolved: r.Resolved,
		AnswerTime:    ts(r.Answered),
		Satisfaction:  pb.Satisfaction(pb.Satisfaction_value["SATISFACTION_"+string(r.Satisfaction)]),
		RatingComment: r.RatingComment, RateTime: ts(r.Rated), CloseTime: ts(r.Closed),
		ResponseOverdue: !r.ResponseWarned.IsZero(), ProgressOverdue: !r.ProgressWarned.IsZero(),
		ReceivedBy: r.ReceivedBy, Version: r.Version, UpdateTime: ts(r.Updated)}
	for _, p := range r.Progress {
		out.Progress = append(out.Progress, &pb.ServiceRequestProgress{Note: p.Note, By: p.By, Time: ts(p.At)})
	}
	return out
}

// ServiceRequestOf is the domain's request of an API one.
func ServiceRequestOf(r *pb.ServiceRequest) *requests.Request {
	return &requests.Request{CommunityID: r.GetCommunityId(), Kind: requests.Kind(trimEnum(r.GetKind().String(), "SERVICE_REQUEST_KIND_")),
		Channel: requests.Channel(trimEnum(r.GetChannel().String(), "SERVICE_REQUEST_CHANNEL_")),
		Title:   r.GetTitle(), Content: r.GetContent(),
		Resident: requests.Resident{Name: r.GetResidentName(), Phone: r.GetResidentPhone(), Address: r.GetAddress()}}
}

// trimEnum is an API enum's name without its prefix, "" for UNSPECIFIED.
func trimEnum(name, prefix string) string {
	v := strings.TrimPrefix(name, prefix)
	if v == "UNSPECIFIED" {
		return ""
	}
	return v
}

// ServiceRequestState is the API's state.
func ServiceRequestState(s requests.State) pb.ServiceRequestState {
	return pb.ServiceRequestState(pb.ServiceRequestState_value["SERVICE_REQUEST_STATE_"+string(s)])
}

// ServiceRequestStateOf is the domain's state ("" for none).
func ServiceRequestStateOf(s pb.ServiceRequestState) requests.State {
	return requests.State(trimEnum(s.String(), "SERVICE_REQUEST_STATE_"))
}

// ServiceRequestKindOf is the domain's kind ("" for none).
func ServiceRequestKindOf(k pb.ServiceRequestKind) requests.Kind {
	return requests.Kind(trimEnum(k.String(), "SERVICE_REQUEST_KIND_"))
}

// SatisfactionOf is the domain's rating ("" for none).
func SatisfactionOf(s pb.Satisfaction) requests.Satisfaction {
	return requests.Satisfaction(trimEnum(s.String(), "SATISFACTION_"))
}

// Handler is the API's handler; nil for none.
func Handler(h *requests.Handler) *pb.Handler {
	if h == nil {
		return nil
	}
	return &pb.Handler{Kind: pb.HandlerKind(pb.HandlerKind_value["HANDLER_KIND_"+string(h.Kind)]), Id: h.ID, Name: h.Name}
}

// HandlerOf is the domain's handler.
func HandlerOf(h *pb.Handler) requests.Handler {
	return requests.Handler{Kind: requests.HandlerKind(trimEnum(h.GetKind().String(), "HANDLER_KIND_")), ID: h.GetId(), Name: h.GetName()}
}

// ServiceRequestRates is the API's rates of a community or a total.
func ServiceRequestRates(r requests.Rates) *pb.ServiceRequestRates {
	return &pb.ServiceRequestRates{CommunityId: r.CommunityID, CommunityName: r.CommunityName, Received: int32(r.Received),
		Responded: int32(r.Responded), Answered: int32(r.Answered), OnTime: int32(r.OnTime), Resolved: int32(r.Resolved),
		Rated: int32(r.Rated), Satisfied: int32(r.Satisfied), ResponseRate: r.ResponseRate(), OnTimeRate: r.OnTimeRate(),
		ResolutionRate: r.ResolutionRate(), SatisfactionRate: r.SatisfactionRate()}
}

// ServiceRequestSettings is the API's settings.
func ServiceRequestSettings(s requests.Settings) *pb.ServiceRequestSettings {
	return &pb.ServiceRequestSettings{DistrictId: s.DistrictID, ResponseHours: int32(s.ResponseHours),
		ProgressDays: int32(s.ProgressDays), Inherited: s.Inherited}
}

// ServiceRequestSettingsOf is the domain's settings of a district.
func ServiceRequestSettingsOf(districtID string, s *pb.ServiceRequestSettings) requests.Settings {
	return requests.Settings{DistrictID: districtID, ResponseHours: int(s.GetResponseHours()), ProgressDays: int(s.GetProgressDays())}
}
