package assess

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// Band is a grade (档次) and the least score it takes.
type Band struct {
	Name     string  `json:"name"`
	MinScore float64 `json:"min_score"`
}

// Settings are a district's settings of assessment: its grade bands, best
// first, and the share of the daily records in the score.
type Settings struct {
	DistrictID string
	Bands      []Band
	DailyShare int32
	Version    int32
	UpdatedBy  string
	Updated    time.Time
}

// DefaultSettings are a district's until it sets its own: 优秀 ≥ 90, 良好
// ≥ 80, 合格 ≥ 60, 不合格 below; the daily records count for 30%.
func DefaultSettings(districtID string) *Settings {
	return &Settings{DistrictID: districtID, DailyShare: 30,
		Bands: []Band{{"优秀", 90}, {"良好", 80}, {"合格", 60}, {"不合格", 0}}}
}

// Grade is the band a score falls in.
func (st *Settings) Grade(score float64) string {
	for _, b := range st.Bands {
		if score >= b.MinScore {
			return b.Name
		}
	}
	return st.Bands[len(st.Bands)-1].Name
}

// Top is the best grade.
func (st *Settings) Top() string { return st.Bands[0].Name }

func (st *Settings) check() error {
	v := errs.NewValidation(ErrInvalid)
	if len(st.Bands) == 0 {
		v.Add("settings.bands", "at least one grade")
	}
	seen := map[string]bool{}
	for i, b := range st.Bands {
		f := fmt.Sprintf("settings.bands[%d]", i)
		if strings.TrimSpace(b.Name) == "" || seen[b.Name] {
			v.Add(f+".name", "each grade needs a name of its own")
		}
		seen[b.Name] = true
		if i > 0 && b.MinScore >= st.Bands[i-1].MinScore {
			v.Add(f+".min_score", "below the grade before it (%g): bands go from the best down", st.Bands[i-1].MinScore)
		}
		if i == len(st.Bands)-1 && b.MinScore != 0 {
			v.Add(f+".min_score", "the last grade starts at 0, so that every score has a grade")
		}
	}
	if st.DailyShare < 0 || st.DailyShare > 100 {
		v.Add("settings.daily_share_percent", "from 0 to 100")
	}
	return v.Err()
}

// Settings returns a grading unit's settings — a district's, or the
// city's for the districts' own lists — the defaults until it sets its own.
func (s *Service) Settings(ctx context.Context, districtID string) (*Settings, error) {
	st, err := s.store.Settings(ctx, districtID)
	if err != nil || st != nil {
		return st, err
	}
	if err := s.unit(ctx, districtID, "district_id"); err != nil {
		return nil, err
	}
	return DefaultSettings(districtID), nil
}

// unit checks that id is a grading unit: a district, or the city.
func (s *Service) unit(ctx context.Context, id, field string) error {
	o, err := s.store.Org(ctx, id)
	if err != nil {
		return err
	}
	if o == nil || (o.Kind != "DISTRICT" && o.Kind != "CITY") {
		return errs.Field(ErrNotDistrict, field, "settings and grading are a district's, or the city's for the districts themselves")
	}
	return nil
}

// SetSettings sets a district's settings; version, when not 0, must be the
// one read.
func (s *Service) SetSettings(ctx context.Context, st *Settings, a Actor) (*Settings, error) {
	if err := s.unit(ctx, st.DistrictID, "settings.district_id"); err != nil {
		return nil, err
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	var out *Settings
	err := s.store.InTx(ctx, func(tx Tx) error {
		cur, err := tx.LockSettings(ctx, st.DistrictID)
		if err != nil {
			return err
		}
		version := int32(0)
		if cur != nil {
			version = cur.Version
		}
		if st.Version != 0 && st.Version != version {
			return ErrVersion
		}
		n := *st
		n.Version, n.UpdatedBy, n.Updated = version+1, a.Subject, s.now()
		out = &n
		return tx.SaveSettings(ctx, &n)
	})
	return out, err
}
