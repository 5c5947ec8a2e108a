package pbconv

import (
	"strings"

	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/assess"
)

// TaskList is the message of a task list.
func TaskList(l *assess.TaskList) *pb.TaskList {
	out := &pb.TaskList{Id: l.ID, OrganisationId: l.OrganisationID, DistrictId: l.DistrictID, Period: l.Period,
		Department: l.Department, Title: l.Title, Graded: l.Graded, CreatedBy: l.CreatedBy, CreateTime: ts(l.Created)}
	for _, t := range l.Tasks {
		out.Tasks = append(out.Tasks, &pb.Task{Code: t.Code, Kind: pb.TaskKind(pb.TaskKind_value["TASK_KIND_"+string(t.Kind)]),
			Title: t.Title, Weight: t.Weight, Deadline: date(t.Deadline),
			Scoring: pb.ScoringMethod(pb.ScoringMethod_value["SCORING_METHOD_"+string(t.Scoring)]),
			Score:   t.Score, Reviewed: t.Reviewed})
	}
	return out
}

// TaskListOf is the domain's task list of a message.
func TaskListOf(m *pb.TaskList) *assess.TaskList {
	l := &assess.TaskList{OrganisationID: m.GetOrganisationId(), Period: m.GetPeriod(), Department: m.GetDepartment(), Title: m.GetTitle()}
	for _, t := range m.GetTasks() {
		l.Tasks = append(l.Tasks, assess.Task{Code: t.GetCode(), Kind: assess.TaskKind(enumName(t.GetKind().String(), "TASK_KIND_")),
			Title: t.GetTitle(), Weight: t.GetWeight(), Deadline: Date(t.GetDeadline()),
			Scoring: assess.Scoring(enumName(t.GetScoring().String(), "SCORING_METHOD_"))})
	}
	return l
}

// enumName is an enum value's name without its prefix ("" for the zero value).
func enumName(name, prefix string) string {
	if strings.HasSuffix(name, "_UNSPECIFIED") {
		return ""
	}
	return strings.TrimPrefix(name, prefix)
}

// TaskEvidence is the message of a piece of task evidence.
func TaskEvidence(e *assess.Evidence) *pb.TaskEvidence {
	return &pb.TaskEvidence{Id: e.ID, TaskListId: e.TaskListID, TaskCode: e.TaskCode, Description: e.Description,
		Reference: e.Reference, SubmittedBy: e.SubmittedBy, SubmitTime: ts(e.Submitted),
		State: pb.EvidenceState(pb.EvidenceState_value["EVIDENCE_STATE_"+string(e.State)]),
		Score: e.Score, Note: e.Note, ReviewedBy: e.ReviewedBy, ReviewTime: ts(e.Reviewed)}
}

// DailyEntry is the message of a daily entry.
func DailyEntry(d *assess.DailyEntry) *pb.DailyEntry {
	return &pb.DailyEntry{Id: d.ID, OrganisationId: d.OrganisationID, Day: date(d.Day), Points: d.Points, Note: d.Note,
		RecordedBy: d.RecordedBy, CreateTime: ts(d.Created)}
}

// DailyEntryOf is the domain's daily entry of a message.
func DailyEntryOf(m *pb.DailyEntry) *assess.DailyEntry {
	return &assess.DailyEntry{OrganisationID: m.GetOrganisationId(), Day: Date(m.GetDay()), Points: m.GetPoints(), Note: m.GetNote()}
}

// AssessmentSettings is the message of a district's settings.
func AssessmentSettings(s *assess.Settings) *pb.AssessmentSettings {
	out := &pb.AssessmentSettings{DistrictId: s.DistrictID, DailySharePercent: s.DailyShare, Version: s.Version,
		UpdatedBy: s.UpdatedBy, UpdateTime: ts(s.Updated)}
	for _, b := range s.Bands {
		out.Bands = append(out.Bands, &pb.GradeBand{Name: b.Name, MinScore: b.MinScore})
	}
	return out
}

// AssessmentSettingsOf is the domain's settings of a message.
func AssessmentSettingsOf(m *pb.AssessmentSettings) *assess.Settings {
	s := &assess.Settings{DistrictID: m.GetDistrictId(), DailyShare: m.GetDailySharePercent(), Version: m.GetVersion()}
	for _, b := range m.GetBands() {
		s.Bands = append(s.Bands, assess.Band{Name: b.GetName(), MinScore: b.GetMinScore()})
	}
	return s
}

// AssessmentResult is the message of a result.
func AssessmentResult(r *assess.Result) *pb.AssessmentResult {
	return &pb.AssessmentResult{OrganisationId: r.OrganisationID, Name: r.Name, Kind: r.Kind, ParentId: r.ParentID,
		DistrictId: r.DistrictID, Period: r.Period, TaskListId: r.TaskListID, TaskScore: r.TaskScore, DailyScore: r.DailyScore,
		Score: r.Score, Grade: r.Grade, Rank: r.Rank, Peers: r.Peers, BottomTwo: r.BottomTwo, BottomTwoCount: r.BottomTwoCount,
		GradeTime: ts(r.Graded), Version: r.Correction.Version, CorrectionReason: r.Correction.Reason,
		CorrectedBy: r.Correction.By, CorrectTime: ts(r.Correction.Corrected)}
}

// Commendation is the message of a commendation.
func Commendation(c *assess.Commendation) *pb.Commendation {
	return &pb.Commendation{Id: c.ID, Kind: pb.CommendationKind(pb.CommendationKind_value["COMMENDATION_KIND_"+string(c.Kind)]),
		OrganisationId: c.OrganisationID, MemberId: c.MemberID, PersonName: c.PersonName, Year: c.Year, Reason: c.Reason,
		Period: c.Period, Grade: c.Grade, Rank: c.Rank,
		State:      pb.CommendationState(pb.CommendationState_value["COMMENDATION_STATE_"+string(c.State)]),
		DistrictId: c.DistrictID, ProposedBy: c.ProposedBy, DecidedBy: c.DecidedBy, DecisionNote: c.DecisionNote,
		PublicationTitle: c.PublicationTitle, Version: c.Version, CreateTime: ts(c.Created), UpdateTime: ts(c.Updated)}
}

// CommendationOf is the domain's proposal of a message.
func CommendationOf(m *pb.Commendation) *assess.Commendation {
	return &assess.Commendation{Kind: assess.CommendationKind(enumName(m.GetKind().String(), "COMMENDATION_KIND_")),
		OrganisationID: m.GetOrganisationId(), MemberID: m.GetMemberId(), PersonName: m.GetPersonName(), Year: m.GetYear(),
		Reason: m.GetReason()}
}
