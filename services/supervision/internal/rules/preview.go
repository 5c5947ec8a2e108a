package rules

import (
	"context"
)

// DistrictPreview is what a rule would find in one district.
type DistrictPreview struct {
	District     District
	Enabled      bool
	Matching     int
	AlreadyFound int
	New          int
	ItemsToOpen  int
}

// Preview is what a rule would find on the facts as they stand.
type Preview struct {
	Districts []DistrictPreview
	New       int
	Samples   []*Finding
}

// PreviewRule evaluates a rule on the facts as they stand and says what it
// would find in each district within root (or in one), without writing
// anything. draft is a new rule (no ID), a saved rule changed (ID and
// fields), or nil to preview the saved rule ruleID as it is.
func (s *Service) PreviewRule(ctx context.Context, draft *Rule, ruleID, districtID, root string, samples int) (*Preview, error) {
	r := draft
	if r == nil {
		saved, err := s.store.Rule(ctx, ruleID, 0)
		if err != nil {
			return nil, err
		}
		r = saved
	} else {
		if r.Code == "" {
			r.Code = "preview"
		}
		if _, err := r.check(); err != nil {
			return nil, err
		}
	}
	ds, err := s.store.Districts(ctx)
	if err != nil {
		return nil, err
	}
	out := &Preview{}
	for _, d := range ds {
		if districtID != "" && d.ID != districtID {
			continue
		}
		if root != "" {
			if ok, err := s.store.Within(ctx, d.ID, root); err != nil {
				return nil, err
			} else if !ok {
				continue
			}
		}
		dp, fs, err := s.previewDistrict(ctx, r, d)
		if err != nil {
			return nil, err
		}
		out.Districts = append(out.Districts, dp)
		out.New += dp.New
		for _, f := range fs {
			if len(out.Samples) < samples {
				f.ID = ""
				out.Samples = append(out.Samples, f)
			}
		}
	}
	return out, nil
}

func (s *Service) previewDistrict(ctx context.Context, city *Rule, d District) (DistrictPreview, []*Finding, error) {
	// A preview shows what the rule would do once switched on: only a
	// district that switched it off for itself stays off.
	on := *city
	on.Enabled = true
	r := &on
	if city.ID != "" {
		var err error
		if r, err = s.inDistrict(ctx, &on, d.ID); err != nil {
			return DistrictPreview{}, nil, err
		}
	}
	dp := DistrictPreview{District: d, Enabled: r.Enabled}
	j, err := s.judge(ctx, s.store, r, []string{d.ID}, "", false)
	if err != nil {
		return dp, nil, err
	}
	dp.Matching = len(j.fired)
	keys := make([]SubjectPeriod, len(j.fired))
	for i, row := range j.fired {
		keys[i] = SubjectPeriod{row.SubjectID, row.Period}
	}
	found := map[SubjectPeriod]bool{}
	if r.ID != "" && len(keys) > 0 {
		if found, err = s.store.Found(ctx, r.ID, keys); err != nil {
			return dp, nil, err
		}
	}
	var fresh []FactRow
	for _, row := range j.fired {
		if found[SubjectPeriod{row.SubjectID, row.Period}] {
			dp.AlreadyFound++
			continue
		}
		fresh = append(fresh, row)
	}
	if !r.Enabled {
		return dp, nil, nil // switched off there: it would make nothing
	}
	dp.New = len(fresh)
	for _, c := range r.Consequences {
		if c.Kind == OpenItem {
			dp.ItemsToOpen += len(fresh)
		}
	}
	j.fired = fresh
	return dp, s.findings(j), nil
}
