package rules

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/pkg/cityclock"
	"gongjian.dev/pkg/errs"
)

// Service is the rule engine.
type Service struct {
	store Store
	clock cityclock.Clock
	log   *slog.Logger
}

// NewService returns the engine over store; now and loc say what today is.
func NewService(store Store, now func() time.Time, loc *time.Location, log *slog.Logger) *Service {
	return &Service{store: store, clock: cityclock.New(now, loc), log: log}
}

func (s *Service) now() time.Time { return s.clock.Now() }

// Actor is who makes a change.
type Actor struct{ Subject string }

// CreateRule saves a new rule of the city, version 1.
func (s *Service) CreateRule(ctx context.Context, r *Rule, requestID string, a Actor) (*Rule, error) {
	if _, err := r.check(); err != nil {
		return nil, err
	}
	var out *Rule
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := "create_rule/" + requestID
		if id, seen, err := tx.RequestSeen(ctx, key); err != nil || seen {
			if err == nil {
				out, err = s.store.Rule(ctx, id, 0)
			}
			return err
		}
		nr := *r
		nr.ID, nr.Version, nr.Updated, nr.UpdatedBy, nr.DistrictID = NewID(), 1, s.now(), a.Subject, ""
		if err := tx.InsertRule(ctx, &nr); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, nr.ID); err != nil {
			return err
		}
		out = &nr
		return tx.Emit(ctx, RuleChanged{Rule: &nr})
	})
	return out, err
}

// settable are the fields UpdateRule may change.
var settable = map[string]func(dst, src *Rule){
	"name":         func(d, s *Rule) { d.Name = s.Name },
	"fact":         func(d, s *Rule) { d.Fact = s.Fact },
	"window":       func(d, s *Rule) { d.Window, d.WindowCount = s.Window, s.WindowCount },
	"condition":    func(d, s *Rule) { d.Condition = s.Condition },
	"params":       func(d, s *Rule) { d.Params = s.Params },
	"consequences": func(d, s *Rule) { d.Consequences = s.Consequences },
	"severity":     func(d, s *Rule) { d.Severity = s.Severity },
	"explanation":  func(d, s *Rule) { d.Explanation = s.Explanation },
	"enabled":      func(d, s *Rule) { d.Enabled = s.Enabled },
}

// merge applies the named fields of patch to r.
func merge(r, patch *Rule, fields []string) (*Rule, error) {
	if len(fields) == 0 {
		return nil, errs.Field(ErrInvalidRule, "update_mask", "name at least one field to change")
	}
	out := *r
	for _, f := range fields {
		set, ok := settable[f]
		if !ok {
			return nil, errs.Field(ErrInvalidRule, "update_mask", "cannot change "+f)
		}
		set(&out, patch)
	}
	return &out, nil
}

// UpdateRule saves the named fields of patch as the rule's next version.
func (s *Service) UpdateRule(ctx context.Context, patch *Rule, fields []string, version int32, a Actor) (*Rule, error) {
	var out *Rule
	err := s.store.InTx(ctx, func(tx Tx) error {
		cur, err := tx.LockRule(ctx, patch.ID)
		if err != nil {
			return err
		}
		if version != 0 && version != cur.Version {
			return ErrVersion
		}
		next, err := merge(cur, patch, fields)
		if err != nil {
			return err
		}
		if _, err := next.check(); err != nil {
			return err
		}
		next.Version, next.Updated, next.UpdatedBy = cur.Version+1, s.now(), a.Subject
		if err := tx.InsertRuleVersion(ctx, next); err != nil {
			return err
		}
		out = next
		return tx.Emit(ctx, RuleChanged{Rule: next})
	})
	return out, err
}

// Rule returns a rule at a version (0: the current one).
func (s *Service) Rule(ctx context.Context, id string, version int32) (*Rule, error) {
	return s.store.Rule(ctx, id, version)
}

// Versions lists every version of a rule, latest first.
func (s *Service) Versions(ctx context.Context, id string) ([]*Rule, error) {
	return s.store.RuleVersions(ctx, id)
}

// Rules lists the rules of the city; with a district, as they run there.
func (s *Service) Rules(ctx context.Context, districtID string) ([]*Rule, error) {
	rs, err := s.store.Rules(ctx)
	if err != nil || districtID == "" {
		return rs, err
	}
	for i, r := range rs {
		if rs[i], err = s.inDistrict(ctx, r, districtID); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// inDistrict is r with the district's override applied.
func (s *Service) inDistrict(ctx context.Context, r *Rule, districtID string) (*Rule, error) {
	os, err := s.store.Overrides(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	for _, o := range os {
		if o.DistrictID == districtID {
			return o.Apply(r), nil
		}
	}
	out := *r
	out.DistrictID = districtID
	return &out, nil
}

// Overrides lists the overrides of a rule, those of districts within root.
func (s *Service) Overrides(ctx context.Context, ruleID, root string) ([]*Override, error) {
	if _, err := s.store.Rule(ctx, ruleID, 0); err != nil {
		return nil, err
	}
	os, err := s.store.Overrides(ctx, ruleID)
	if err != nil || root == "" {
		return os, err
	}
	var out []*Override
	for _, o := range os {
		if ok, err := s.store.Within(ctx, o.DistrictID, root); err != nil {
			return nil, err
		} else if ok {
			out = append(out, o)
		}
	}
	return out, nil
}

// SetOverride sets a district's parameters of a rule, or switches it on or
// off there. Every parameter named must be one the rule has, and the
// condition must still evaluate with them.
func (s *Service) SetOverride(ctx context.Context, o *Override, a Actor) (*Override, error) {
	var out *Override
	err := s.store.InTx(ctx, func(tx Tx) error {
		r, err := tx.LockRule(ctx, o.RuleID)
		if err != nil {
			return err
		}
		if d, err := s.store.DistrictOf(ctx, o.DistrictID); err != nil || d != o.DistrictID {
			if err == nil {
				err = errs.Field(ErrNotDistrict, "district_id", "overrides are set per district")
			}
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(o.Params)) {
			if _, ok := r.Params[k]; !ok {
				return errs.Field(ErrInvalidRule, "params."+k, "the rule has no such parameter")
			}
		}
		applied := o.Apply(r)
		if _, err := applied.check(); err != nil {
			return err
		}
		cur, err := tx.CurrentOverride(ctx, o.RuleID, o.DistrictID)
		if err != nil {
			return err
		}
		no := *o
		no.Version, no.Updated, no.UpdatedBy = 1, s.now(), a.Subject
		if cur != nil {
			no.Version = cur.Version + 1
		}
		if err := tx.InsertOverride(ctx, &no); err != nil {
			return err
		}
		out = &no
		return tx.Emit(ctx, OverrideSet{Override: &no})
	})
	return out, err
}

// Findings lists findings.
func (s *Service) Findings(ctx context.Context, q FindingQuery) ([]*Finding, error) {
	return s.store.Findings(ctx, q)
}

// Finding returns one finding, if it lies within root or, for an
// inspector, in what their groups cover.
func (s *Service) Finding(ctx context.Context, id, root, inspector string) (*Finding, error) {
	f, err := s.store.Finding(ctx, id)
	if err != nil || (root == "" && inspector == "") {
		return f, err
	}
	ok, err := false, error(nil)
	if inspector != "" {
		ok, err = s.store.Covers(ctx, inspector, f.OrganisationID)
	} else {
		ok, err = s.store.Within(ctx, f.OrganisationID, root)
	}
	if err != nil || !ok {
		if err == nil {
			err = ErrFindingNotFound
		}
		return nil, err
	}
	return f, nil
}

// today is the city's date.
func (s *Service) today() time.Time { return s.clock.Today() }

// judged is a rule evaluated in one district on the facts as they stand:
// every subject the condition holds for.
type judged struct {
	rule  *Rule
	fact  Fact
	rows  []FactRow
	fired []FactRow
	// from is the day the rule's deadlines count from: the day a
	// quarter-end rule could first judge its quarter, else today.
	from time.Time
}

// judge evaluates r (as it runs in the districts named) on the facts of
// those districts, or of one subject. With newOnly, the subjects and
// periods r has found already are left out by the query.
func (s *Service) judge(ctx context.Context, facts FactReader, r *Rule, districtIDs []string, subjectID string, newOnly bool) (*judged, error) {
	fact, _ := FactNamed(r.Fact)
	cond, err := Compile(fact, r.Condition)
	if err != nil {
		return nil, fmt.Errorf("rule %s version %d: %w", r.Code, r.Version, err)
	}
	today := s.today()
	q := FactQuery{Fact: r.Fact, DistrictIDs: districtIDs, SubjectID: subjectID, Params: r.Params, Today: today,
		WindowCount: r.WindowCount, AtLeast: Bounds(fact, r)}
	if newOnly {
		q.NewFor = r.ID
	}
	from := today
	if r.Window == QuarterEnd {
		grace := intParam(r.Params, "grace_days")
		q.Quarter = JudgedQuarter(today, grace)
		from = JudgementDay(q.Quarter, grace)
	}
	rows, err := facts.FactRows(ctx, q)
	if err != nil {
		return nil, err
	}
	j := &judged{rule: r, fact: fact, rows: rows, from: from}
	for _, row := range rows {
		ok, err := cond.Eval(row.Vars, r.Params, r.WindowCount)
		if err != nil {
			// One subject's bad value must not stop the sweep of the others.
			s.log.WarnContext(ctx, "rule condition failed on a subject", "rule", r.Code, "subject", row.SubjectID, "error", err)
			continue
		}
		if ok {
			j.fired = append(j.fired, row)
		}
	}
	return j, nil
}

// findings are the findings j would make, before they are inserted.
func (s *Service) findings(j *judged) []*Finding {
	now := s.now()
	out := make([]*Finding, 0, len(j.fired))
	for _, row := range j.fired {
		out = append(out, &Finding{
			ID: NewID(), RuleID: j.rule.ID, RuleCode: j.rule.Code, RuleVersion: j.rule.Version,
			DistrictID: row.DistrictID, OrganisationID: row.OrganisationID, SubjectType: j.fact.Subject,
			SubjectID: row.SubjectID, Period: row.Period, Facts: row.Vars, Params: j.rule.Params,
			Severity: j.rule.Severity, Explanation: j.rule.Explanation, Created: now,
		})
	}
	return out
}

// followUp is what follows f under r, its deadlines counted from the day
// from. A quarter-end rule's count from the day its quarter could first be
// judged, not from the day a sweep happened to reach it: a sweep that runs
// late (a district switched on mid-quarter, an outage, a replica behind)
// gives no community more time than a punctual one, and every community of
// a district judged on one quarter has the same deadline.
func (s *Service) followUp(r *Rule, fact Fact, f *Finding, from time.Time) FollowUp {
	fu := FollowUp{Finding: f, Rule: r, QuarterMissed: fact.Name == FactQuarterlyActivity}
	today := from
	for _, c := range r.Consequences {
		switch c.Kind {
		case OpenItem:
			fu.Items = append(fu.Items, ItemOrder{OrganisationID: f.OrganisationID, Deadline: today.AddDate(0, 0, int(c.DeadlineDays)),
				RequiredEvidence: c.RequiredEvidence, NeedsRemedy: fact.Name == FactQuarterlyActivity})
		case ScheduleInterview:
			fu.Interviews = append(fu.Interviews, InterviewOrder{OrganisationID: f.OrganisationID, DueBy: today.AddDate(0, 0, int(c.DeadlineDays))})
		case WithdrawStar:
			stars, _ := f.Facts["stars"].(int64)
			fu.WithdrawStar = stars > 0
		case PublishCriticism:
			fu.Criticise = true
		case BarCommendation:
			fu.BarCommendation = true
		}
	}
	return fu
}

// record inserts the findings of j not made before and what follows them,
// in one transaction, and returns how many it made. lockKey, when set, is
// taken first; when another transaction holds it, record does nothing.
func (s *Service) record(ctx context.Context, tx Tx, j *judged) (int, error) {
	fs, err := tx.InsertFindings(ctx, s.findings(j))
	if err != nil || len(fs) == 0 {
		return 0, err
	}
	fus := make([]FollowUp, len(fs))
	for i, f := range fs {
		fus[i] = s.followUp(j.rule, j.fact, f, j.from)
	}
	return len(fs), tx.FollowUp(ctx, fus)
}

// Sweep evaluates every enabled rule over every district (or one) and
// returns how many findings it made. Each rule is read with one set-based
// query per fact over all the districts where it runs alike (the whole
// city unless districts override it), which leaves out in SQL what the
// rule has found already, in one transaction per rule. It is safe on many
// replicas at once: a rule another replica is sweeping is skipped, and a
// finding is made once whoever makes it.
func (s *Service) Sweep(ctx context.Context, districtID string) (int, error) {
	ctx = actor.AsSystem(ctx, "rule-sweeper")
	rs, err := s.store.Rules(ctx)
	if err != nil {
		return 0, err
	}
	ds, err := s.store.Districts(ctx)
	if err != nil {
		return 0, err
	}
	if districtID != "" {
		ds = slices.DeleteFunc(ds, func(d District) bool { return d.ID != districtID })
	}
	made := 0
	var errsAll []error
	for _, r := range rs {
		n, err := s.sweepRule(ctx, r, ds)
		made += n
		if err != nil {
			errsAll = append(errsAll, fmt.Errorf("rule %s: %w", r.Code, err))
		}
		if n >= refreshAfter {
			if err := s.store.RefreshFindingStats(ctx); err != nil {
				errsAll = append(errsAll, err)
			}
		}
	}
	return made, errors.Join(errsAll...)
}

// refreshAfter is how many findings one rule's sweep makes before the
// findings' statistics are refreshed: planned on a table that looks empty,
// the next rule's anti-join scans the findings once per row it reads.
const refreshAfter = 500

// alike is a rule as it runs in some districts: the same parameters and
// switched on.
type alike struct {
	rule      *Rule
	districts []string
}

// runsAlike groups the districts where city runs (switched on) by the
// parameters in force there: one group for the city unless districts
// override it.
func (s *Service) runsAlike(ctx context.Context, city *Rule, ds []District) ([]alike, error) {
	os, err := s.store.Overrides(ctx, city.ID)
	if err != nil {
		return nil, err
	}
	byDistrict := make(map[string]*Override, len(os))
	for _, o := range os {
		byDistrict[o.DistrictID] = o
	}
	var out []alike
	keys := map[string]int{}
	for _, d := range ds {
		r := city
		if o := byDistrict[d.ID]; o != nil {
			r = o.Apply(city)
		}
		if !r.Enabled {
			continue
		}
		key := string(jsonKey(r.Params))
		i, ok := keys[key]
		if !ok {
			i, keys[key] = len(out), len(out)
			out = append(out, alike{rule: r})
		}
		out[i].districts = append(out[i].districts, d.ID)
	}
	return out, nil
}

// sweepRule judges city in the districts ds, in one transaction.
func (s *Service) sweepRule(ctx context.Context, city *Rule, ds []District) (int, error) {
	groups, err := s.runsAlike(ctx, city, ds)
	if err != nil || len(groups) == 0 {
		return 0, err
	}
	made := 0
	err = s.store.InTx(ctx, func(tx Tx) error {
		made = 0
		if ok, err := tx.TryLock(ctx, "sweep/"+city.ID); err != nil || !ok {
			return err
		}
		if err := tx.ForSweep(ctx); err != nil {
			return err
		}
		for _, g := range groups {
			start := time.Now()
			j, err := s.judge(ctx, tx, g.rule, g.districts, "", true)
			if err != nil {
				return err
			}
			read := time.Since(start)
			n, err := s.record(ctx, tx, j)
			made += n
			if err != nil {
				return err
			}
			s.log.DebugContext(ctx, "rule swept", "rule", city.Code, "districts", len(g.districts), "rows", len(j.rows),
				"findings", n, "read", read, "written", time.Since(start)-read)
		}
		return nil
	})
	return made, err
}

// OnFact evaluates, within the transaction that recorded it, the enabled
// rules watching fact for one subject that has just arrived.
func (s *Service) OnFact(ctx context.Context, tx Tx, fact, subjectID, organisationID string) error {
	ctx = actor.AsSystem(ctx, "rule-events")
	districtID, err := s.store.DistrictOf(ctx, organisationID)
	if err != nil || districtID == "" {
		return err // an organisation the view does not hold yet: the sweep will judge it
	}
	rs, err := s.store.Rules(ctx)
	if err != nil {
		return err
	}
	for _, city := range rs {
		if city.Fact != fact {
			continue
		}
		r, err := s.inDistrict(ctx, city, districtID)
		if err != nil {
			return err
		}
		if !r.Enabled {
			continue
		}
		j, err := s.judge(ctx, tx, r, []string{districtID}, subjectID, true)
		if err != nil {
			return err
		}
		if _, err := s.record(ctx, tx, j); err != nil {
			return err
		}
	}
	return nil
}

// jsonKey is p encoded with its keys sorted: equal parameters, equal keys.
func jsonKey(p map[string]any) []byte {
	b, _ := json.Marshal(p)
	return b
}

func intParam(p map[string]any, name string) int {
	switch v := p[name].(type) {
	case float64:
		return int(v)
	case int64:
		return int(v)
	case int:
		return v
	}
	return 0
}
