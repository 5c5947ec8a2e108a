package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/roster"
)

// ImportReport is the API message of an import's report.
func ImportReport(r *roster.Report) *pb.ImportReport {
	out := &pb.ImportReport{Id: r.ID, DryRun: r.DryRun, Taken: int32(r.Taken), Refused: int32(r.Refused),
		AlreadyRegistered: int32(r.AlreadyRegistered), CreateTime: ts(r.Created), Rows: make([]*pb.ImportRow, len(r.Rows))}
	for i, row := range r.Rows {
		pr := &pb.ImportRow{Row: int32(row.Row), Outcome: pb.ImportOutcome(pb.ImportOutcome_value["IMPORT_OUTCOME_"+row.Outcome]),
			MemberId: row.MemberID, OrganisationId: row.OrganisationID}
		for _, p := range row.Problems {
			pr.Problems = append(pr.Problems, &pb.ImportProblem{Field: p.Field, Message: p.Message})
		}
		out.Rows[i] = pr
	}
	return out
}

// ImportFormat is the domain's format of an API format: "" to detect it.
func ImportFormat(f pb.ImportFormat) string { return Enum(f.String(), "IMPORT_FORMAT_") }
