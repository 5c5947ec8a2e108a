package pbconv

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/transfer"
)

// The subjects of a transfer recorded after it began on paper, and of a
// change of a district's transfer settings.
const (
	SubjectTransferRecorded        = "gongjian.member.v1.transfer_recorded"
	SubjectTransferSettingsUpdated = "gongjian.member.v1.transfer_settings_updated"
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

func transferRecordEvent(e member.Event, id string, at time.Time) (string, proto.Message, error) {
	switch e := e.(type) {
	case transfer.Recorded:
		return SubjectTransferRecorded, &pb.TransferRecorded{EventId: id, OccurTime: ts(at), Transfer: Transfer(e.Transfer)}, nil
	case transfer.SettingsUpdated:
		return SubjectTransferSettingsUpdated, &pb.TransferSettingsUpdated{EventId: id, OccurTime: ts(at),
			Settings: TransferSettings(e.After), Changed: &fieldmaskpb.FieldMask{Paths: e.Changed}}, nil
	}
	return "", nil, fmt.Errorf("pbconv: no message for %T", e)
}
