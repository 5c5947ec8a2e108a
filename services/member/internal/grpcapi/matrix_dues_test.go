package grpcapi_test

import (
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/auth"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
)

// signedIn are the people who may ask for a quote: every one signed in.
var signedIn = append(append([]auth.Role{}, memberReaders...), auth.UnitContact, auth.Member)

// anyoneOps read no one's record and no organisation's: every caller
// signed in with a role or scope for them may call them on any district.
var anyoneOps = map[string]bool{pb.DuesService_QuoteDues_FullMethodName: true}

// duesOps are the party dues RPCs of the access matrix. The update sets
// the defaults again, harmlessly.
var duesOps = []matrixOp{
	{pb.DuesService_QuoteDues_FullMethodName, signedIn, "member.read", true, func(s matrixSide) proto.Message {
		return &pb.QuoteDuesRequest{MonthlyIncomeFen: 400000, EmploymentStatus: pb.EmploymentStatus_EMPLOYMENT_STATUS_EMPLOYED,
			DistrictId: s.district}
	}},
	{pb.DuesService_GetDuesSettings_FullMethodName, memberReaders, "member.read", false, func(s matrixSide) proto.Message {
		return &pb.GetDuesSettingsRequest{DistrictId: s.district}
	}},
	{pb.DuesService_UpdateDuesSettings_FullMethodName, settingsSetters, "", false, func(s matrixSide) proto.Message {
		return &pb.UpdateDuesSettingsRequest{DistrictId: s.district, Settings: &pb.DuesSettings{
			InService: []*pb.DuesBand{{UpToFen: 300000, RateBasisPoints: 50}, {UpToFen: 500000, RateBasisPoints: 100},
				{UpToFen: 1000000, RateBasisPoints: 150}, {RateBasisPoints: 200}},
			Retired:  []*pb.DuesBand{{UpToFen: 500000, RateBasisPoints: 50}, {RateBasisPoints: 100}},
			FixedFen: 20}}
	}},
}
