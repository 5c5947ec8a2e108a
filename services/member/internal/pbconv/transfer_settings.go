package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/transfer"
)

// TransferSettings is the API message of a district's transfer settings.
func TransferSettings(s transfer.Settings) *pb.TransferSettings {
	return &pb.TransferSettings{DistrictId: s.DistrictID, InsideDays: int32(s.InsideDays), OutsideDays: int32(s.OutsideDays),
		MaxMonths: int32(s.MaxMonths), ReviewMonths: int32(s.ReviewMonths), Inherited: s.Inherited, Etag: s.Etag(),
		UpdateTime: ts(s.Updated), UpdateSubject: s.UpdatedBy}
}

// TransferSettingsFrom is the domain value of the settings an API message
// sets.
func TransferSettingsFrom(districtID string, s *pb.TransferSettings) transfer.Settings {
	return transfer.Settings{DistrictID: districtID, InsideDays: int(s.GetInsideDays()), OutsideDays: int(s.GetOutsideDays()),
		MaxMonths: int(s.GetMaxMonths()), ReviewMonths: int(s.GetReviewMonths())}
}
