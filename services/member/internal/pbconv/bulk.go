package pbconv

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/transfer"
)

// TransferAction is the API value of a step's action.
func TransferAction(a string) pb.TransferAction {
	return pb.TransferAction(pb.TransferAction_value["TRANSFER_ACTION_"+a])
}

// ReviewOutcome is the API value of a review outcome.
func ReviewOutcome(o string) pb.TransferReviewOutcome {
	return pb.TransferReviewOutcome(pb.TransferReviewOutcome_value["TRANSFER_REVIEW_OUTCOME_"+o])
}

// transferEvent is the event of the step a transfer just took: its last.
func transferEvent(t *transfer.Transfer, id string, at time.Time) (string, proto.Message, error) {
	msg, occur := Transfer(t), ts(at)
	action := t.State
	if len(t.Steps) > 0 {
		action = t.Steps[len(t.Steps)-1].Action
	}
	switch action {
	case transfer.ActionRequested:
		return SubjectTransferRequested, &pb.TransferRequested{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionConfirmed:
		return SubjectTransferConfirmed, &pb.TransferConfirmed{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionReleased:
		return SubjectTransferReleased, &pb.TransferReleased{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionReceived:
		return SubjectTransferReceived, &pb.TransferReceived{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionRejected:
		return SubjectTransferRejected, &pb.TransferRejected{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionWithdrawn:
		return SubjectTransferWithdrawn, &pb.TransferWithdrawn{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionSuspended:
		return SubjectTransferSuspended, &pb.TransferSuspended{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionResumed:
		return SubjectTransferResumed, &pb.TransferResumed{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionExpired:
		return SubjectTransferExpired, &pb.TransferExpired{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionFlagged:
		return SubjectTransferFlaggedForReview, &pb.TransferFlaggedForReview{EventId: id, OccurTime: occur, Transfer: msg}, nil
	case transfer.ActionReviewed:
		return SubjectTransferReviewRecorded, &pb.TransferReviewRecorded{EventId: id, OccurTime: occur, Transfer: msg}, nil
	}
	return "", nil, fmt.Errorf("pbconv: no event for a transfer step %s", action)
}

// BulkJob is the API message of a bulk transfer job.
func BulkJob(j *transfer.BulkJob) *pb.BulkTransferJob {
	return &pb.BulkTransferJob{Id: j.ID, OrganisationId: j.OrganisationID, Subtree: j.Subtree, ToOrganisationId: j.ToOrgID,
		Reason: j.Reason, Total: int32(j.Total), Done: int32(j.Done), CreateSubject: j.CreatedBy,
		CreateTime: ts(j.Created), FinishTime: ts(j.Finished)}
}

// BulkOutcome is the API message of the outcome of a member of a job.
func BulkOutcome(o transfer.BulkOutcome) *pb.BulkTransferOutcome {
	out := &pb.BulkTransferOutcome{MemberId: o.MemberID, TransferId: o.TransferID, State: TransferState(o.State),
		ToOrganisationId: o.ToOrgID, Reason: o.Reason, Detail: o.Detail, Time: ts(o.At)}
	switch o.Result {
	case transfer.BulkTransferred:
		out.Result = pb.BulkTransferResult_BULK_TRANSFER_RESULT_TRANSFERRED
	case transfer.BulkSkipped:
		out.Result = pb.BulkTransferResult_BULK_TRANSFER_RESULT_SKIPPED
	}
	return out
}
