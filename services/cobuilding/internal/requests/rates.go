package requests

import (
	"context"
	"errors"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/pkg/errs"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// Counts are what the hotlines' four rates are taken from, over the
// requests a community received in a month. They are kept on write: each
// change of a request adds the difference it makes (Request.Counts), in
// its transaction, so that the rates of a district read a row per
// community, not its requests.
type Counts struct {
	// Received in the month; Responded: accepted within the response
	// limit; Answered; OnTime: answered, accepted within the response
	// limit and with progress or the answer within the progress limit;
	// Resolved: answered as resolved; Rated; Satisfied: rated satisfied or
	// basically satisfied.
	Received, Responded, Answered, OnTime, Resolved, Rated, Satisfied int
}

func one(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Counts is what r adds to the counts of its community and month as it
// stands: every measure is a step a request takes once and never undoes.
func (r *Request) Counts() Counts {
	responded := !r.Accepted.IsZero() && !r.Accepted.After(r.ResponseDue)
	answered := !r.Answered.IsZero()
	firstSign := r.FirstProgress // the first progress, else the answer
	if firstSign.IsZero() {
		firstSign = r.Answered
	}
	return Counts{Received: 1, Responded: one(responded), Answered: one(answered),
		OnTime:   one(answered && responded && !firstSign.After(r.ProgressDue)),
		Resolved: one(answered && r.Resolved), Rated: one(r.Satisfaction != ""),
		Satisfied: one(r.Satisfaction == Satisfied || r.Satisfaction == BasicallySatisfied)}
}

// minus is c − o, measure by measure.
func (c Counts) minus(o Counts) Counts {
	return Counts{c.Received - o.Received, c.Responded - o.Responded, c.Answered - o.Answered, c.OnTime - o.OnTime,
		c.Resolved - o.Resolved, c.Rated - o.Rated, c.Satisfied - o.Satisfied}
}

// Rates are the counts of one community's requests of a month, from which
// the hotlines' four rates are taken.
type Rates struct {
	CommunityID, CommunityName string
	Counts
}

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

// ResponseRate is Responded / Received.
func (r Rates) ResponseRate() float64 { return ratio(r.Responded, r.Received) }

// OnTimeRate is OnTime / Answered.
func (r Rates) OnTimeRate() float64 { return ratio(r.OnTime, r.Answered) }

// ResolutionRate is Resolved / Answered.
func (r Rates) ResolutionRate() float64 { return ratio(r.Resolved, r.Answered) }

// SatisfactionRate is Satisfied / Rated.
func (r Rates) SatisfactionRate() float64 { return ratio(r.Satisfied, r.Rated) }

// add adds o's counts to r.
func (r *Counts) add(o Counts) {
	r.Received += o.Received
	r.Responded += o.Responded
	r.Answered += o.Answered
	r.OnTime += o.OnTime
	r.Resolved += o.Resolved
	r.Rated += o.Rated
	r.Satisfied += o.Satisfied
}

// Rates measures the requests received in month (in the city's calendar)
// by each community at or below the organisation orgID, and their total.
func (s *Service) Rates(ctx context.Context, orgID string, month cobuild.Month) (Rates, []Rates, error) {
	p, err := s.store.Place(ctx, orgID)
	if errors.Is(err, cobuild.ErrNoPlace) {
		return Rates{}, nil, errs.Field(cobuild.ErrNoPlace, "organisation_id", "no organisation has this id")
	}
	if err != nil {
		return Rates{}, nil, err
	}
	list, err := s.store.Rates(ctx, p, month)
	if err != nil {
		return Rates{}, nil, err
	}
	var total Rates
	for _, r := range list {
		total.add(r.Counts)
	}
	return total, list, nil
}

// Settings are a district's time limits.
type Settings struct {
	DistrictID string
	// ResponseHours is how long a request may wait to be accepted.
	ResponseHours int
	// ProgressDays is how long an accepted request may go without
	// progress or an answer.
	ProgressDays int
	// Inherited is true when the district set none.
	Inherited bool
}

// DefaultSettings are the hotlines' limits: a response within 24 hours,
// progress within 3 days.
var DefaultSettings = Settings{ResponseHours: 24, ProgressDays: 3, Inherited: true}

// SettingsUpdated is a district's limits changed.
type SettingsUpdated struct{ Settings Settings }

// EventName implements cobuild.Event.
func (SettingsUpdated) EventName() string { return "service_request_settings_updated" }

// GetSettings returns a district's limits, the defaults when it set none.
func (s *Service) GetSettings(ctx context.Context, districtID string) (Settings, error) {
	if _, err := cobuild.District(ctx, s.store, "district_id", districtID); err != nil {
		return Settings{}, err
	}
	return s.store.Settings(ctx, districtID)
}

// UpdateSettings sets a district's limits, for the requests received (and
// accepted) from then on.
func (s *Service) UpdateSettings(ctx context.Context, in Settings) (Settings, error) {
	v := errs.NewValidation(ErrInvalid)
	if in.ResponseHours < 1 || in.ResponseHours > 168 {
		v.Add("settings.response_hours", "1 to 168")
	}
	if in.ProgressDays < 1 || in.ProgressDays > 30 {
		v.Add("settings.progress_days", "1 to 30")
	}
	if err := v.Err(); err != nil {
		return Settings{}, err
	}
	if _, err := cobuild.District(ctx, s.store, "district_id", in.DistrictID); err != nil {
		return Settings{}, err
	}
	in.Inherited = false
	err := s.store.InTx(ctx, func(tx Tx) error {
		if err := tx.SaveSettings(ctx, in, s.clock.Now()); err != nil {
			return err
		}
		return tx.Emit(ctx, SettingsUpdated{Settings: in})
	})
	return in, err
}

// sweepBatch is how many requests one sweeping transaction takes.
const sweepBatch = 500

// SweepOverdue announces once each request found past its response limit
// (not accepted) or its progress limit (accepted, no progress and no
// answer), marking it in the transaction that writes the event, on rows
// locked with SKIP LOCKED: any number of replicas may sweep at once. It
// returns how many warnings it gave.
func (s *Service) SweepOverdue(ctx context.Context) (int, error) {
	ctx = actor.AsSystem(ctx, "service-request-sweeper")
	total := 0
	for _, warning := range []string{NoResponse, NoProgress} {
		for {
			var n int
			err := s.store.InTx(ctx, func(tx Tx) error {
				found, err := tx.MarkOverdue(ctx, warning, s.clock.Now(), sweepBatch)
				n = len(found)
				for _, r := range found {
					if err == nil {
						err = tx.Emit(ctx, Overdue{Request: r.WithMaskedResident(), Warning: warning})
					}
				}
				return err
			})
			total += n
			if err != nil {
				return total, err
			}
			if n < sweepBatch {
				break
			}
		}
	}
	return total, nil
}
