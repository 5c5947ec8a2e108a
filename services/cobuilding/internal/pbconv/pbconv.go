// Package pbconv converts the co-building domain to and from its protobuf
// messages, for the API and for the events.
package pbconv

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// ts is t as a timestamp; nil for the zero time.
func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Area is the API's area of a domain one.
func Area(a cobuild.Area) pb.Area { return pb.Area(pb.Area_value["AREA_"+string(a)]) }

// AreaOf is the domain's area of an API one ("" for none).
func AreaOf(a pb.Area) cobuild.Area {
	if a == pb.Area_AREA_UNSPECIFIED {
		return ""
	}
	return cobuild.Area(strings.TrimPrefix(a.String(), "AREA_"))
}

// Contact is the API's contact.
func Contact(c cobuild.Contact) *pb.Contact {
	return &pb.Contact{Name: c.Name, Role: c.Role, Phone: c.Phone}
}

// ContactOf is the domain's contact.
func ContactOf(c *pb.Contact) cobuild.Contact {
	return cobuild.Contact{Name: c.GetName(), Role: c.GetRole(), Phone: c.GetPhone()}
}

// Contacts converts a list of contacts.
func Contacts(cs []cobuild.Contact) []*pb.Contact {
	out := make([]*pb.Contact, 0, len(cs))
	for _, c := range cs {
		out = append(out, Contact(c))
	}
	return out
}

// ContactsOf converts a list of API contacts.
func ContactsOf(cs []*pb.Contact) []cobuild.Contact {
	out := make([]cobuild.Contact, 0, len(cs))
	for _, c := range cs {
		out = append(out, ContactOf(c))
	}
	return out
}

// DateOf reads an optional day of the API, naming field when it is not
// one; "" is the zero time.
func DateOf(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return cobuild.ParseDate(field, s)
}

// Settings is the API's settings.
func Settings(s cobuild.Settings) *pb.CoBuildingSettings {
	return &pb.CoBuildingSettings{DistrictId: s.DistrictID, ReportDueDay: int32(s.ReportDueDay),
		CommunityMeetingMonths: int32(s.CommunityMeetingMonths), CountyMeetingMonths: int32(s.CountyMeetingMonths),
		Inherited: s.Inherited}
}

// SettingsOf is the domain's settings of a district.
func SettingsOf(districtID string, s *pb.CoBuildingSettings) cobuild.Settings {
	return cobuild.Settings{DistrictID: districtID, ReportDueDay: int(s.GetReportDueDay()),
		CommunityMeetingMonths: int(s.GetCommunityMeetingMonths()), CountyMeetingMonths: int(s.GetCountyMeetingMonths())}
}
