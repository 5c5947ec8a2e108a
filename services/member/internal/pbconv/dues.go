package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/dues"
)

// DuesSettings is the API message of a district's dues bands.
func DuesSettings(s dues.Settings) *pb.DuesSettings {
	return &pb.DuesSettings{DistrictId: s.DistrictID, InService: duesBands(s.InService), Retired: duesBands(s.Retired),
		FixedFen: s.FixedFen, Inherited: s.Inherited, Etag: s.Etag(), UpdateTime: ts(s.Updated), UpdateSubject: s.UpdatedBy,
		LostContactAttendanceMonths: s.LostContactAttendanceMonths, LostContactDuesMonths: s.LostContactDuesMonths}
}

// DuesSettingsFrom is the domain value of the settings an API message sets.
func DuesSettingsFrom(districtID string, s *pb.DuesSettings) dues.Settings {
	return dues.Settings{DistrictID: districtID, InService: duesBandsFrom(s.GetInService()),
		Retired: duesBandsFrom(s.GetRetired()), FixedFen: s.GetFixedFen(),
		LostContactAttendanceMonths: s.GetLostContactAttendanceMonths(), LostContactDuesMonths: s.GetLostContactDuesMonths()}
}

// DuesQuote is the API answer of a quote by settings s.
func DuesQuote(q dues.Quote, s dues.Settings) *pb.QuoteDuesResponse {
	out := &pb.QuoteDuesResponse{MonthlyDuesFen: q.MonthlyDuesFen, SettingsEtag: s.Etag(),
		Kind: pb.DuesBandKind(pb.DuesBandKind_value["DUES_BAND_KIND_"+q.Kind])}
	if q.Kind != dues.KindFixed {
		out.Band, out.BandIndex = duesBand(q.Band), int32(q.Index)
	}
	return out
}

func duesBand(b dues.Band) *pb.DuesBand {
	return &pb.DuesBand{UpToFen: b.UpToFen, RateBasisPoints: b.RateBP}
}

func duesBands(bs []dues.Band) []*pb.DuesBand {
	out := make([]*pb.DuesBand, len(bs))
	for i, b := range bs {
		out[i] = duesBand(b)
	}
	return out
}

func duesBandsFrom(bs []*pb.DuesBand) []dues.Band {
	out := make([]dues.Band, len(bs))
	for i, b := range bs {
		out[i] = dues.Band{UpToFen: b.GetUpToFen(), RateBP: b.GetRateBasisPoints()}
	}
	return out
}
