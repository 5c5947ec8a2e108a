package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/roster"
)

// ImportReport is the API message of an import's report.
func ImportReport(r *roster.Report) *pb.ImportReport {
	out := &pb.ImportReport{Id: r.ID, DryRun: r.DryRun, Taken: int32(r.Taken), Refused: int32(r.Refused),
		AlreadyRegistered: int32(r.AlreadyRegistered), CreateTime: ts(r.Created), Rows: make([]*pb.ImportRow, len(r.Rows))}
	out.Rows = ImportRows(r.Rows)
	return out
}

// ImportFormat is the domain's format of an API format: "" to detect it.
func ImportFormat(f pb.ImportFormat) string { return Enum(f.String(), "IMPORT_FORMAT_") }

// ImportJob is the API message of a bulk import job.
func ImportJob(j *roster.Job) *pb.ImportJob {
	return &pb.ImportJob{Id: j.ID, OrganisationId: j.OrganisationID,
		State:        pb.ImportJobState(pb.ImportJobState_value["IMPORT_JOB_STATE_"+j.State]),
		ResumeOffset: j.ReceivedBytes, RowsReceived: j.RowsReceived, RowsChecked: j.RowsChecked,
		RowsRegistered: j.RowsRegistered, RowsAlreadyRegistered: j.RowsAlready, RowsRefused: j.RowsRefused,
		Error: j.Error, CreateTime: ts(j.Created), UpdateTime: ts(j.Updated)}
}

// ImportRows are the API messages of rows of a report.
func ImportRows(rows []roster.Row) []*pb.ImportRow {
	out := make([]*pb.ImportRow, len(rows))
	for i, row := range rows {
		pr := &pb.ImportRow{Row: int32(row.Row), Outcome: pb.ImportOutcome(pb.ImportOutcome_value["IMPORT_OUTCOME_"+row.Outcome]),
			MemberId: row.MemberID, OrganisationId: row.OrganisationID}
		for _, p := range row.Problems {
			pr.Problems = append(pr.Problems, &pb.ImportProblem{Field: p.Field, Message: p.Message})
		}
		out[i] = pr
	}
	return out
}
