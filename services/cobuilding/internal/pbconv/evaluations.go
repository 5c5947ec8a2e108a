package pbconv

import (
	"strings"

	pb "gongjian.dev/proto/gen/go/gongjian/cobuilding/v1"
	"gongjian.dev/services/cobuilding/internal/evaluations"
)

// Evaluation is the API's evaluation.
func Evaluation(e *evaluations.Evaluation) *pb.Evaluation {
	return &pb.Evaluation{Id: e.ID, Year: int32(e.Year), Direction: EvaluationDirection(e.Direction),
		CommunityId: e.CommunityID, UnitId: e.UnitID, Grade: EvaluationGrade(e.Grade), Comment: e.Comment,
		DistrictId: e.DistrictID, EvaluatedBy: e.By, Version: e.Version, CreateTime: ts(e.Created), UpdateTime: ts(e.Updated)}
}

// EvaluationOf is the domain's evaluation of an API one.
func EvaluationOf(e *pb.Evaluation) *evaluations.Evaluation {
	return &evaluations.Evaluation{Year: int(e.GetYear()), Direction: EvaluationDirectionOf(e.GetDirection()),
		CommunityID: e.GetCommunityId(), UnitID: e.GetUnitId(), Grade: EvaluationGradeOf(e.GetGrade()), Comment: e.GetComment()}
}

// EvaluationDirection is the API's direction.
func EvaluationDirection(d evaluations.Direction) pb.EvaluationDirection {
	return pb.EvaluationDirection(pb.EvaluationDirection_value["EVALUATION_DIRECTION_"+string(d)])
}

// EvaluationDirectionOf is the domain's direction ("" for none).
func EvaluationDirectionOf(d pb.EvaluationDirection) evaluations.Direction {
	if d == pb.EvaluationDirection_EVALUATION_DIRECTION_UNSPECIFIED {
		return ""
	}
	return evaluations.Direction(strings.TrimPrefix(d.String(), "EVALUATION_DIRECTION_"))
}

// EvaluationGrade is the API's grade.
func EvaluationGrade(g evaluations.Grade) pb.EvaluationGrade {
	return pb.EvaluationGrade(pb.EvaluationGrade_value["EVALUATION_GRADE_"+string(g)])
}

// EvaluationGradeOf is the domain's grade ("" for none).
func EvaluationGradeOf(g pb.EvaluationGrade) evaluations.Grade {
	if g == pb.EvaluationGrade_EVALUATION_GRADE_UNSPECIFIED {
		return ""
	}
	return evaluations.Grade(strings.TrimPrefix(g.String(), "EVALUATION_GRADE_"))
}
