// Package pbconv converts the supervision domain to its protobuf messages
// and back, for the API and the events.
package pbconv

import (
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/rectify"
	"gongjian.dev/services/supervision/internal/rules"
)

// Fact is the message of a fact of the catalogue.
func Fact(f rules.Fact) *pb.Fact {
	out := &pb.Fact{Name: f.Name, Description: f.Description, Subject: f.Subject}
	for _, w := range f.Windows {
		out.Windows = append(out.Windows, Window(w))
	}
	for _, v := range f.Vars {
		out.Variables = append(out.Variables, &pb.FactVariable{Name: v.Name, Type: string(v.Type), Description: v.Doc})
	}
	return out
}

// Window is the message of a window.
func Window(w rules.Window) pb.WindowKind {
	return pb.WindowKind(pb.WindowKind_value["WINDOW_KIND_"+string(w)])
}

// WindowOf is the domain's window of a message's.
func WindowOf(k pb.WindowKind) rules.Window {
	if k == pb.WindowKind_WINDOW_KIND_UNSPECIFIED {
		return ""
	}
	return rules.Window(strings.TrimPrefix(k.String(), "WINDOW_KIND_"))
}

// Rule is the message of a rule.
func Rule(r *rules.Rule) *pb.Rule {
	out := &pb.Rule{
		Id: r.ID, Code: r.Code, Version: r.Version, Name: r.Name, Fact: r.Fact,
		Window:    &pb.Window{Kind: Window(r.Window), Count: r.WindowCount},
		Condition: r.Condition, Params: Struct(r.Params), Explanation: r.Explanation, Enabled: r.Enabled,
		Severity:   pb.Severity(pb.Severity_value["SEVERITY_"+string(r.Severity)]),
		UpdateTime: ts(r.Updated), UpdatedBy: r.UpdatedBy, DistrictId: r.DistrictID,
	}
	for _, c := range r.Consequences {
		out.Consequences = append(out.Consequences, &pb.Consequence{
			Kind:         pb.ConsequenceKind(pb.ConsequenceKind_value["CONSEQUENCE_KIND_"+string(c.Kind)]),
			DeadlineDays: c.DeadlineDays, RequiredEvidence: c.RequiredEvidence,
		})
	}
	return out
}

// RuleOf is the domain's rule of a message.
func RuleOf(m *pb.Rule) *rules.Rule {
	r := &rules.Rule{
		ID: m.GetId(), Code: m.GetCode(), Name: m.GetName(), Fact: m.GetFact(),
		Window: WindowOf(m.GetWindow().GetKind()), WindowCount: m.GetWindow().GetCount(),
		Condition: m.GetCondition(), Params: m.GetParams().AsMap(), Explanation: m.GetExplanation(), Enabled: m.GetEnabled(),
		Severity: rules.Severity(strings.TrimPrefix(m.GetSeverity().String(), "SEVERITY_")),
	}
	if m.GetSeverity() == pb.Severity_SEVERITY_UNSPECIFIED {
		r.Severity = ""
	}
	for _, c := range m.GetConsequences() {
		r.Consequences = append(r.Consequences, rules.Consequence{
			Kind:         rules.ConsequenceKind(strings.TrimPrefix(c.GetKind().String(), "CONSEQUENCE_KIND_")),
			DeadlineDays: c.GetDeadlineDays(), RequiredEvidence: c.GetRequiredEvidence(),
		})
	}
	return r
}

// Override is the message of a district's override.
func Override(o *rules.Override) *pb.RuleOverride {
	out := &pb.RuleOverride{RuleId: o.RuleID, DistrictId: o.DistrictID, Params: Struct(o.Params), Version: o.Version,
		UpdateTime: ts(o.Updated), UpdatedBy: o.UpdatedBy}
	if o.Enabled != nil {
		out.State = pb.OverrideState_OVERRIDE_STATE_OFF
		if *o.Enabled {
			out.State = pb.OverrideState_OVERRIDE_STATE_ON
		}
	}
	return out
}

// Finding is the message of a finding.
func Finding(f *rules.Finding) *pb.Finding {
	return &pb.Finding{
		Id: f.ID, RuleId: f.RuleID, RuleCode: f.RuleCode, RuleVersion: f.RuleVersion, DistrictId: f.DistrictID,
		OrganisationId: f.OrganisationID, SubjectType: f.SubjectType, SubjectId: f.SubjectID, Period: f.Period,
		Facts: Struct(f.Facts), Params: Struct(f.Params), Explanation: f.Explanation, CreateTime: ts(f.Created),
		Severity: pb.Severity(pb.Severity_value["SEVERITY_"+string(f.Severity)]),
	}
}

// Item is the message of a rectification item as it stands on today.
func Item(i *rectify.Item, today time.Time) *pb.RectificationItem {
	return &pb.RectificationItem{
		Id: i.ID, OrganisationId: i.OrganisationID, DistrictId: i.DistrictID,
		Source:    pb.ItemSource(pb.ItemSource_value["ITEM_SOURCE_"+string(i.Source)]),
		FindingId: i.FindingID, RuleCode: i.RuleCode, InspectionFindingId: i.InspectionFindingID, Title: i.Title,
		RequiredEvidence: i.RequiredEvidence, Deadline: i.Deadline.Format(time.DateOnly),
		State:       pb.ItemState(pb.ItemState_value["ITEM_STATE_"+string(i.State)]),
		NeedsRemedy: i.NeedsRemedy, RemedyTime: ts(i.Remedied), Overdue: i.Overdue(today), EscalateTime: ts(i.Escalated),
		Version: i.Version, CreateTime: ts(i.Created), UpdateTime: ts(i.Updated),
	}
}

// Step is the message of a step of an item.
func Step(s *rectify.Step) *pb.ItemStep {
	out := &pb.ItemStep{ItemId: s.ItemID, Seq: s.Seq, Kind: pb.StepKind(pb.StepKind_value["STEP_KIND_"+string(s.Kind)]),
		Actor: s.Actor, ActorRole: s.ActorRole, Note: s.Note, CreateTime: ts(s.At)}
	for _, e := range s.Evidence {
		out.Evidence = append(out.Evidence, &pb.Evidence{Description: e.Description, Reference: e.Reference, ActivityId: e.ActivityID})
	}
	return out
}

// EvidenceOf is the domain's evidence of messages.
func EvidenceOf(ms []*pb.Evidence) []rectify.Evidence {
	out := make([]rectify.Evidence, 0, len(ms))
	for _, m := range ms {
		out = append(out, rectify.Evidence{Description: m.GetDescription(), Reference: m.GetReference(), ActivityID: m.GetActivityId()})
	}
	return out
}

// Struct is a map as a protobuf Struct (nil for an empty map). Values a
// Struct cannot hold are left out.
func Struct(m map[string]any) *structpb.Struct {
	if len(m) == 0 {
		return nil
	}
	clean := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case int64:
			clean[k] = float64(x)
		case int32:
			clean[k] = float64(x)
		case int:
			clean[k] = float64(x)
		case []string:
			l := make([]any, len(x))
			for i, s := range x {
				l[i] = s
			}
			clean[k] = l
		default:
			clean[k] = v
		}
	}
	s, err := structpb.NewStruct(clean)
	if err != nil {
		return nil
	}
	return s
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}
