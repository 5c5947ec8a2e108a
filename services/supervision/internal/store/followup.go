package store

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/outbox"
	"gongjian.dev/pkg/pgdb"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/pbconv"
	"gongjian.dev/services/supervision/internal/rectify"
	"gongjian.dev/services/supervision/internal/rules"
)

// The subjects of the service's events.
const (
	subjectPrefix           = "gongjian.supervision.v1."
	SubjectFindingMade      = subjectPrefix + "finding_made"
	SubjectQuarterlyMissed  = subjectPrefix + "quarterly_activity_missed"
	SubjectCriticism        = subjectPrefix + "criticism_published"
	SubjectRuleChanged      = subjectPrefix + "rule_changed"
	SubjectRuleOverrideSet  = subjectPrefix + "rule_override_set"
	subjectItemPrefix       = subjectPrefix + "rectification_item_"
	subjectInterviewPrefix  = subjectPrefix + "interview_"
	subjectInspectionPrefix = subjectPrefix + "inspection_"
	auditFinding            = "finding"
	auditRule               = "rule"
	auditOverride           = "rule_override"
	auditItem               = "rectification_item"
	auditInterview          = "interview"
	auditInspection         = "inspection"
	actionWithdrawStar      = "withdraw_star"
)

// ItemSubject is the subject of an item's step ("…rectification_item_opened").
func ItemSubject(k rectify.StepKind) string { return subjectItemPrefix + strings.ToLower(string(k)) }

// writes are the events and audit records of a transaction, sent together
// before it commits.
type writes struct {
	events  []outbox.Event
	entries []audit.Entry
}

func (w *writes) event(subject, aggregate string, m proto.Message) {
	w.events = append(w.events, outbox.Event{Subject: subject, AggregateID: aggregate, Message: m})
}

func (w *writes) audit(subjectType, id, org string, before, after any) {
	w.entries = append(w.entries, audit.Entry{SubjectType: subjectType, SubjectID: id, OrganisationID: org, Before: before, After: after})
}

// flush sends the events and the audit records in the transaction, in one
// round trip. A transaction of the store's own wakes the relay once it has
// committed (Store.ownTx); another's (an event consumer's, a job's) asks
// PostgreSQL to wake it at its commit.
func (t *TxStore) flush(ctx context.Context, w *writes) error {
	b := &pgx.Batch{}
	if len(w.events) > 0 {
		if err := outbox.QueueMany(ctx, b, w.events...); err != nil {
			return err
		}
		if t.own {
			t.wrote = true
		} else {
			outbox.QueueNotify(b)
		}
	}
	if err := audit.WriteMany(ctx, pgdb.Queued(t.tx, b), w.entries...); err != nil {
		return err
	}
	if b.Len() == 0 {
		return nil
	}
	return t.tx.SendBatch(ctx, b).Close()
}

// Emit implements rules.Tx: the rule engine's own changes.
func (t *TxStore) Emit(ctx context.Context, evs ...rules.Event) error {
	w := &writes{}
	now := timestamppb.Now()
	for _, e := range evs {
		switch e := e.(type) {
		case rules.RuleChanged:
			m := pbconv.Rule(e.Rule)
			w.event(SubjectRuleChanged, e.Rule.ID, &pb.RuleChanged{OccurTime: now, Rule: m})
			w.audit(auditRule, e.Rule.ID, "", nil, m)
		case rules.OverrideSet:
			m := pbconv.Override(e.Override)
			w.event(SubjectRuleOverrideSet, e.Override.RuleID, &pb.RuleOverrideSet{OccurTime: now, Override: m})
			w.audit(auditOverride, e.Override.RuleID+"/"+e.Override.DistrictID, e.Override.DistrictID, nil, m)
		}
	}
	return t.flush(ctx, w)
}

// InsertFindings implements rules.Tx with one statement: the findings
// already made (same rule, subject and period) are passed over by the
// unique key, whoever made them and however often.
func (t *TxStore) InsertFindings(ctx context.Context, fs []*rules.Finding) ([]*rules.Finding, error) {
	if len(fs) == 0 {
		return nil, nil
	}
	n := len(fs)
	ids, ruleIDs, codes, districts, orgs, types, subjects, periods, facts, params, severities, explanations :=
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions, created := make([]int32, n), make([]time.Time, n)
	byID := make(map[string]*rules.Finding, n)
	for i, f := range fs {
		ids[i], ruleIDs[i], codes[i], districts[i], orgs[i] = f.ID, f.RuleID, f.RuleCode, f.DistrictID, f.OrganisationID
		types[i], subjects[i], periods[i] = f.SubjectType, f.SubjectID, f.Period
		facts[i], params[i] = string(jsonOf(f.Facts)), string(jsonOf(f.Params))
		severities[i], explanations[i], versions[i], created[i] = string(f.Severity), f.Explanation, f.RuleVersion, f.Created
		byID[f.ID] = f
	}
	rows, err := t.tx.Query(ctx, `INSERT INTO findings (id, rule_id, rule_version, rule_code, district_id, organisation_id,
			subject_type, subject_id, period, facts, params, severity, explanation, created_at)
		SELECT id::uuid, rule_id::uuid, v, code, NULLIF(d, '')::uuid, NULLIF(o, '')::uuid, st, sid, p, f::jsonb, pr::jsonb, sev, ex, c
		FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
			$10::text[], $11::text[], $12::text[], $13::text[], $14::timestamptz[])
			AS x(id, rule_id, v, code, d, o, st, sid, p, f, pr, sev, ex, c)
		ON CONFLICT ON CONSTRAINT findings_once DO NOTHING
		RETURNING id::text`, ids, ruleIDs, versions, codes, districts, orgs, types, subjects, periods, facts, params,
		severities, explanations, created)
	if err != nil {
		return nil, err
	}
	made, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	out := make([]*rules.Finding, 0, len(made))
	for _, id := range made {
		out = append(out, byID[id])
	}
	return out, nil
}

// FollowUp implements rules.Tx: for each new finding, its event and audit
// record, and what its rule says follows — items, interviews, calls to
// make, a public criticism, QuarterlyActivityMissed — written a kind at a
// time, each in one statement, whatever the number of findings.
func (t *TxStore) FollowUp(ctx context.Context, fus []rules.FollowUp) error {
	w := &writes{}
	var (
		items      []*rectify.Item
		interviews []*rectify.Interview
		bars       followRows
		calls      followRows
	)
	by := actorSubject(ctx)
	for _, fu := range fus {
		f := fu.Finding
		m := pbconv.Finding(f)
		w.event(SubjectFindingMade, f.ID, &pb.FindingMade{OccurTime: timestamppb.New(f.Created), Finding: m})
		w.audit(auditFinding, f.ID, f.OrganisationID, nil, m)
		if fu.QuarterMissed {
			w.event(SubjectQuarterlyMissed, f.OrganisationID, &pb.QuarterlyActivityMissed{OccurTime: timestamppb.New(f.Created),
				OrganisationId: f.OrganisationID, DistrictId: f.DistrictID, Quarter: f.Period, FindingId: f.ID})
		}
		if fu.Criticise {
			w.event(SubjectCriticism, f.SubjectID, &pb.CriticismPublished{OccurTime: timestamppb.New(f.Created), Finding: m})
		}
		for _, o := range fu.Items {
			items = append(items, &rectify.Item{ID: rules.NewID(), OrganisationID: o.OrganisationID, DistrictID: f.DistrictID,
				Source: rectify.FromRule, FindingID: f.ID, RuleCode: f.RuleCode, Title: fu.Rule.Name, RequiredEvidence: o.RequiredEvidence,
				Deadline: o.Deadline, State: rectify.Open, NeedsRemedy: o.NeedsRemedy, Version: 1, Created: f.Created, Updated: f.Created})
		}
		for _, o := range fu.Interviews {
			interviews = append(interviews, &rectify.Interview{ID: rules.NewID(), OrganisationID: o.OrganisationID,
				DistrictID: f.DistrictID, FindingID: f.ID, Reason: fu.Rule.Name + ": " + fu.Rule.Explanation, DueBy: o.DueBy,
				State: rectify.Scheduled, CreatedBy: by, Created: f.Created, Updated: f.Created})
		}
		if fu.BarCommendation {
			bars.add(f, strconv.Itoa(periodYear(f)))
		}
		if fu.WithdrawStar {
			payload, _ := json.Marshal(WithdrawStar{MemberID: f.SubjectID, Year: int32(f.Created.Year()),
				Reason: starReason(fu.Rule, f)})
			calls.add(f, string(payload))
		}
	}
	if err := t.insertItems(ctx, items, w); err != nil {
		return err
	}
	if err := t.insertInterviews(ctx, interviews, w); err != nil {
		return err
	}
	if err := bars.exec(ctx, t.tx, `INSERT INTO commendation_bars (organisation_id, year, finding_id, created_at)
		SELECT o::uuid, v::int, f::uuid, c FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS x(f, o, v, c, id)
		ON CONFLICT DO NOTHING`); err != nil {
		return err
	}
	if err := calls.exec(ctx, t.tx, `INSERT INTO actions (id, finding_id, kind, payload, created_at, next_at)
		SELECT id::uuid, f::uuid, '`+actionWithdrawStar+`', v::jsonb, c, c
		FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[]) AS x(f, o, v, c, id)`); err != nil {
		return err
	}
	return t.flush(ctx, w)
}

// followRows are the rows one kind of follow-up writes, one per finding:
// the finding, its organisation, a value and when.
type followRows struct {
	findings, orgs, values []string
	at                     []time.Time
}

func (r *followRows) add(f *rules.Finding, value string) {
	r.findings, r.orgs, r.values, r.at = append(r.findings, f.ID), append(r.orgs, f.OrganisationID),
		append(r.values, value), append(r.at, f.Created)
}

// exec runs sql, an INSERT … SELECT from unnest($1 findings, $2
// organisations, $3 values, $4 times, $5 new ids), once for all the rows.
func (r *followRows) exec(ctx context.Context, tx pgx.Tx, sql string) error {
	if len(r.findings) == 0 {
		return nil
	}
	ids := make([]string, len(r.findings))
	for i := range ids {
		ids[i] = rules.NewID()
	}
	_, err := tx.Exec(ctx, sql, r.findings, r.orgs, r.values, r.at, ids)
	return err
}

// WithdrawStar is the call a finding asks the member service for.
type WithdrawStar struct {
	MemberID string `json:"member_id"`
	Year     int32  `json:"year"`
	Reason   string `json:"reason"`
}

// starReason is what the member's star history shows: the rule, its
// version, the period and the finding.
func starReason(r *rules.Rule, f *rules.Finding) string {
	s := "supervision rule " + r.Code + " v" + itoa(int(r.Version)) + " (" + r.Name + "), " + f.Period + ": " + r.Explanation +
		" [finding " + f.ID + "]"
	if len([]rune(s)) > 500 {
		s = string([]rune(s)[:500])
	}
	return s
}

// periodYear is the year of a finding's period ("2026-Q2"), else of its making.
func periodYear(f *rules.Finding) int {
	if y, err := strconv.Atoi(f.Period[:min(4, len(f.Period))]); err == nil {
		return y
	}
	return f.Created.Year()
}

func itoa(i int) string { return strconv.Itoa(i) }

// actorSubject is who acts in ctx, for the rows that name them.
func actorSubject(ctx context.Context) string {
	s, _ := actorOf(ctx)
	return s
}

// actorOf is who acts in ctx and in which role: the caller, or the job.
func actorOf(ctx context.Context) (subject, role string) {
	if p, ok := auth.FromContext(ctx); ok {
		return p.Subject, string(p.Role)
	}
	if job := actor.System(ctx); job != "" {
		return "system:" + job, "system"
	}
	return "system", "system"
}
