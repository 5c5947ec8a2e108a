package assess

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// TaskKind says whether an entry is a task (任务清单) or a standing
// responsibility (责任清单).
type TaskKind string

// The kinds of entries.
const (
	KindTask           TaskKind = "TASK"
	KindResponsibility TaskKind = "RESPONSIBILITY"
)

// Scoring is how a task is scored.
type Scoring string

// The scoring methods.
const (
	// Graded: the assessor scores from 0 to the weight.
	Graded Scoring = "GRADED"
	// DoneOrNot: the weight or nothing.
	DoneOrNot Scoring = "DONE_OR_NOT"
)

// Task is one entry of a list and its score so far.
type Task struct {
	Code     string    `json:"code"`
	Kind     TaskKind  `json:"kind"`
	Title    string    `json:"title"`
	Weight   int32     `json:"weight"`
	Deadline time.Time `json:"deadline,omitzero"`
	Scoring  Scoring   `json:"scoring"`
	Score    float64   `json:"score"`
	Reviewed bool      `json:"reviewed"`
}

// TaskList is the tasks and responsibilities of one organisation for one
// period; their weights sum to 100.
type TaskList struct {
	ID, OrganisationID, DistrictID string
	Period                         string
	Department, Title              string
	Tasks                          []Task
	Graded                         bool
	CreatedBy                      string
	Created                        time.Time
}

// Task is the list's task of a code.
func (l *TaskList) Task(code string) (*Task, bool) {
	i := slices.IndexFunc(l.Tasks, func(t Task) bool { return t.Code == code })
	if i < 0 {
		return nil, false
	}
	return &l.Tasks[i], true
}

// Score is the sum of the tasks' scores.
func (l *TaskList) Score() float64 {
	var sum float64
	for _, t := range l.Tasks {
		sum += t.Score
	}
	return sum
}

// EvidenceState is where a piece of evidence stands.
type EvidenceState string

// The states of evidence.
const (
	Submitted EvidenceState = "SUBMITTED"
	Reviewed  EvidenceState = "REVIEWED"
)

// Evidence is the owner's evidence for one task and the assessor's review.
type Evidence struct {
	ID, TaskListID, TaskCode string
	Description, Reference   string
	SubmittedBy              string
	Submitted                time.Time
	State                    EvidenceState
	Score                    float64
	Note, ReviewedBy         string
	Reviewed                 time.Time
}

// DailyEntry is one daily observation (日常纪实).
type DailyEntry struct {
	ID, OrganisationID, DistrictID string
	Day                            time.Time
	Points                         float64
	Note, RecordedBy               string
	Created                        time.Time
}

// ListQuery lists task lists.
type ListQuery struct {
	OrganisationID, AncestorID, Period string
	// ScopeRoot restricts the list to a subtree ("" for the city).
	ScopeRoot string
	// Inspector restricts the list to what the inspector's groups cover.
	Inspector string
	After     Key
	Limit     int
}

// Key is where a page of a list newest first ends.
type Key struct {
	Created time.Time `json:"t"`
	ID      string    `json:"i"`
}

// checkList validates a new list against its period, naming the fields.
func checkList(l *TaskList) (Period, error) {
	v := errs.NewValidation(ErrInvalid)
	p, err := ParsePeriod(l.Period)
	if err != nil {
		v.Add("task_list.period", "%s", err.Error())
	}
	if strings.TrimSpace(l.Title) == "" {
		v.Add("task_list.title", "a list needs a title")
	}
	if len(l.Tasks) == 0 {
		v.Add("task_list.tasks", "a list needs at least one task")
	}
	seen := map[string]bool{}
	var sum int32
	for i, t := range l.Tasks {
		f := fmt.Sprintf("task_list.tasks[%d].", i)
		if t.Code == "" || seen[t.Code] {
			v.Add(f+"code", "each task needs a code of its own in the list")
		}
		seen[t.Code] = true
		if strings.TrimSpace(t.Title) == "" {
			v.Add(f+"title", "say what is to be done")
		}
		if t.Weight <= 0 {
			v.Add(f+"weight", "a task weighs at least 1 point")
		}
		if t.Kind != KindTask && t.Kind != KindResponsibility {
			v.Add(f+"kind", "TASK or RESPONSIBILITY")
		}
		if t.Scoring != Graded && t.Scoring != DoneOrNot {
			v.Add(f+"scoring", "GRADED or DONE_OR_NOT")
		}
		if err == nil && !t.Deadline.IsZero() && !p.Contains(t.Deadline) {
			v.Add(f+"deadline", "within the period %s (%s to %s)", p, p.First().Format(time.DateOnly), p.Last().Format(time.DateOnly))
		}
		sum += t.Weight
	}
	if len(l.Tasks) > 0 && sum != 100 {
		v.Add("task_list.tasks", "the weights sum to %d, not 100", sum)
	}
	return p, v.Err()
}

// CreateTaskList sets an organisation's list for a period that is not
// graded yet.
func (s *Service) CreateTaskList(ctx context.Context, l *TaskList, requestID string, a Actor) (*TaskList, error) {
	if l.OrganisationID == "" {
		return nil, errs.Field(ErrInvalid, "task_list.organisation_id", "name the organisation assessed")
	}
	o, err := s.org(ctx, a, l.OrganisationID, "task_list.organisation_id")
	if err != nil {
		return nil, err
	}
	if err := fromAbove(a, o.ID); err != nil {
		return nil, err
	}
	if _, err := checkList(l); err != nil {
		return nil, err
	}
	var out *TaskList
	err = s.store.InTx(ctx, func(tx Tx) error {
		key := "create_task_list/" + requestID
		if id, seen, err := tx.RequestSeen(ctx, key); err != nil || seen {
			if err == nil {
				out, err = s.store.TaskList(ctx, id)
			}
			return err
		}
		if graded, err := tx.PeriodGraded(ctx, o.Unit(), l.Period); err != nil || graded {
			if err == nil {
				err = errs.Field(ErrGraded, "task_list.period", l.Period+" is graded")
			}
			return err
		}
		n := *l
		n.ID, n.DistrictID, n.Graded, n.CreatedBy, n.Created = newID(), o.DistrictID, false, a.Subject, s.now()
		n.Tasks = slices.Clone(l.Tasks)
		for i := range n.Tasks {
			n.Tasks[i].Score, n.Tasks[i].Reviewed = 0, false
		}
		if err := tx.InsertTaskList(ctx, &n); err != nil {
			return err
		}
		out = &n
		return tx.RememberRequest(ctx, key, n.ID)
	})
	return out, err
}

// TaskList returns a list the actor reaches.
func (s *Service) TaskList(ctx context.Context, id string, a Actor) (*TaskList, error) {
	l, err := s.store.TaskList(ctx, id)
	if err != nil {
		return nil, err
	}
	return l, s.reach(ctx, a, l.OrganisationID)
}

// TaskLists lists the lists within the actor's reach.
func (s *Service) TaskLists(ctx context.Context, q ListQuery, a Actor) ([]*TaskList, error) {
	for _, id := range []string{q.OrganisationID, q.AncestorID} {
		if id != "" {
			if err := s.reach(ctx, a, id); err != nil {
				return nil, err
			}
		}
	}
	q.ScopeRoot = a.ScopeRoot
	if a.Inspector {
		q.Inspector = a.Subject
	}
	return s.store.TaskLists(ctx, q)
}

// SubmitEvidence is the owner's evidence for a task of their list.
func (s *Service) SubmitEvidence(ctx context.Context, e *Evidence, a Actor) (*Evidence, error) {
	l, err := s.TaskList(ctx, e.TaskListID, a)
	if err != nil {
		return nil, err
	}
	v := errs.NewValidation(ErrInvalid)
	if _, ok := l.Task(e.TaskCode); !ok {
		v.Add("task_code", "the list %s has no task %q: evidence answers a task of the organisation's own list", l.ID, e.TaskCode)
	}
	if strings.TrimSpace(e.Description) == "" {
		v.Add("description", "say what was done")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Evidence
	err = s.store.InTx(ctx, func(tx Tx) error {
		cur, err := tx.LockTaskList(ctx, l.ID)
		if err != nil {
			return err
		}
		if cur.Graded {
			return ErrGraded
		}
		n := *e
		n.ID, n.SubmittedBy, n.Submitted, n.State = newID(), a.Subject, s.now(), Submitted
		out = &n
		return tx.InsertEvidence(ctx, cur, &n)
	})
	return out, err
}

// Review scores one piece of evidence, which sets its task's score.
func (s *Service) Review(ctx context.Context, id string, score float64, note string, a Actor) (*Evidence, error) {
	e, err := s.store.Evidence(ctx, id)
	if err != nil {
		return nil, err
	}
	l, err := s.TaskList(ctx, e.TaskListID, a)
	if err != nil {
		return nil, err
	}
	if err := fromAbove(a, l.OrganisationID); err != nil {
		return nil, err
	}
	var out *Evidence
	err = s.store.InTx(ctx, func(tx Tx) error {
		l, err := tx.LockTaskList(ctx, e.TaskListID)
		if err != nil {
			return err
		}
		cur, err := tx.LockEvidence(ctx, id)
		if err != nil {
			return err
		}
		if l.Graded {
			return ErrGraded
		}
		if cur.State != Submitted {
			return errs.Detail(ErrState, "the evidence was reviewed already")
		}
		t, _ := l.Task(cur.TaskCode)
		v := errs.NewValidation(ErrInvalid)
		switch {
		case score < 0 || score > float64(t.Weight):
			v.Add("score", "from 0 to the task's weight, %d", t.Weight)
		case t.Scoring == DoneOrNot && score != 0 && score != float64(t.Weight):
			v.Add("score", "the task is scored done or not: 0 or %d", t.Weight)
		}
		if strings.TrimSpace(note) == "" {
			v.Add("note", "say why the score")
		}
		if err := v.Err(); err != nil {
			return err
		}
		cur.State, cur.Score, cur.Note, cur.ReviewedBy, cur.Reviewed = Reviewed, score, note, a.Subject, s.now()
		t.Score, t.Reviewed = score, true
		out = cur
		return tx.SaveReview(ctx, l, cur)
	})
	return out, err
}

// EvidenceOf lists the evidence of a list the actor reaches.
func (s *Service) EvidenceOf(ctx context.Context, listID string, a Actor) ([]*Evidence, error) {
	if _, err := s.TaskList(ctx, listID, a); err != nil {
		return nil, err
	}
	return s.store.EvidenceOf(ctx, listID)
}

// RecordDaily records a daily observation of an organisation.
func (s *Service) RecordDaily(ctx context.Context, d *DailyEntry, requestID string, a Actor) (*DailyEntry, error) {
	if d.OrganisationID == "" {
		return nil, errs.Field(ErrInvalid, "entry.organisation_id", "name the organisation observed")
	}
	o, err := s.org(ctx, a, d.OrganisationID, "entry.organisation_id")
	if err != nil {
		return nil, err
	}
	if err := fromAbove(a, o.ID); err != nil {
		return nil, err
	}
	v := errs.NewValidation(ErrInvalid)
	if d.Day.IsZero() || d.Day.After(s.today()) {
		v.Add("entry.day", "the day observed, not after today")
	}
	if d.Points == 0 {
		v.Add("entry.points", "points added or taken, not 0")
	}
	if strings.TrimSpace(d.Note) == "" {
		v.Add("entry.note", "say what was seen")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *DailyEntry
	err = s.store.InTx(ctx, func(tx Tx) error {
		key := "daily_entry/" + requestID
		if id, seen, err := tx.RequestSeen(ctx, key); err != nil || seen {
			if err == nil {
				out, err = s.store.DailyEntry(ctx, id)
			}
			return err
		}
		for _, p := range []Period{PeriodOf(d.Day), {Year: d.Day.Year()}} {
			if graded, err := tx.PeriodGraded(ctx, o.Unit(), p.String()); err != nil || graded {
				if err == nil {
					err = errs.Field(ErrGraded, "entry.day", p.String()+" is graded")
				}
				return err
			}
		}
		n := *d
		n.ID, n.DistrictID, n.RecordedBy, n.Created = newID(), o.DistrictID, a.Subject, s.now()
		out = &n
		if err := tx.InsertDailyEntry(ctx, &n); err != nil {
			return err
		}
		return tx.RememberRequest(ctx, key, n.ID)
	})
	return out, err
}

// DailyEntries lists an organisation's entries of a period.
func (s *Service) DailyEntries(ctx context.Context, orgID, period string, a Actor) ([]*DailyEntry, error) {
	if err := s.reach(ctx, a, orgID); err != nil {
		return nil, err
	}
	p, err := ParsePeriod(period)
	if err != nil {
		return nil, errs.Field(ErrInvalid, "period", err.Error())
	}
	return s.store.DailyEntries(ctx, []string{orgID}, p.First(), p.Last())
}
