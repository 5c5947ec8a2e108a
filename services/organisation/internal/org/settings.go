package org

import (
	"context"
	"time"

	"gongjian.dev/pkg/errs"
)

// Settings are a district's compliance limits. Cities run these programmes
// differently, so where the documents disagree or set a figure, the figure
// is a setting with the document's value as default (DOMAIN, preamble).
type Settings struct {
	DistrictID                   string    `json:"-"`
	GeneralBranchMemberThreshold int32     `json:"general_branch_member_threshold"`
	LeadershipMinSize            int32     `json:"leadership_min_size"`
	LeadershipMaxSize            int32     `json:"leadership_max_size"`
	MaxAgeMale                   int32     `json:"max_age_male"`
	MaxAgeFemale                 int32     `json:"max_age_female"`
	MinEducation                 int       `json:"min_education"`
	RequireCollegeCadre          bool      `json:"require_college_cadre"`
	RequireSecretaryDirector     bool      `json:"require_secretary_director"`
	MinPremisesAreaM2            float64   `json:"min_premises_area_m2"`
	RequiredEquipment            []string  `json:"required_equipment"`
	QuarterlyActivityRequired    bool      `json:"quarterly_activity_required"`
	Updated                      time.Time `json:"-"`
}

// DefaultSettings are the values of the source documents: more than 50
// members → general branch (000); a team of 3–5, men ≤ 55, women ≤ 50,
// high school or more with some college, secretary also director (001);
// premises ≥ 200 m² with phone, TV, computer, DVD player, desks and file
// cabinets (001); a concentrated activity every quarter (002).
func DefaultSettings(districtID string) *Settings {
	return &Settings{
		DistrictID:                   districtID,
		GeneralBranchMemberThreshold: 50,
		LeadershipMinSize:            3,
		LeadershipMaxSize:            5,
		MaxAgeMale:                   55,
		MaxAgeFemale:                 50,
		MinEducation:                 EducationHigh,
		RequireCollegeCadre:          true,
		RequireSecretaryDirector:     true,
		MinPremisesAreaM2:            200,
		RequiredEquipment:            []string{"phone", "tv", "computer", "dvd_player", "desks", "file_cabinets"},
		QuarterlyActivityRequired:    true,
	}
}

var settable = map[string]func(dst, src *Settings){
	"general_branch_member_threshold": func(d, s *Settings) { d.GeneralBranchMemberThreshold = s.GeneralBranchMemberThreshold },
	"leadership_min_size":             func(d, s *Settings) { d.LeadershipMinSize = s.LeadershipMinSize },
	"leadership_max_size":             func(d, s *Settings) { d.LeadershipMaxSize = s.LeadershipMaxSize },
	"max_age_male":                    func(d, s *Settings) { d.MaxAgeMale = s.MaxAgeMale },
	"max_age_female":                  func(d, s *Settings) { d.MaxAgeFemale = s.MaxAgeFemale },
	"min_education":                   func(d, s *Settings) { d.MinEducation = s.MinEducation },
	"require_college_cadre":           func(d, s *Settings) { d.RequireCollegeCadre = s.RequireCollegeCadre },
	"require_secretary_director":      func(d, s *Settings) { d.RequireSecretaryDirector = s.RequireSecretaryDirector },
	"min_premises_area_m2":            func(d, s *Settings) { d.MinPremisesAreaM2 = s.MinPremisesAreaM2 },
	"required_equipment":              func(d, s *Settings) { d.RequiredEquipment = s.RequiredEquipment },
	"quarterly_activity_required":     func(d, s *Settings) { d.QuarterlyActivityRequired = s.QuarterlyActivityRequired },
}

// validate checks a district's settings after an update was merged in, so
// that an update may send only the settings it changes.
func (st *Settings) validate() error {
	v := errs.NewValidation(ErrInvalidSettings)
	between := func(field string, x, lo, hi int32) {
		if x < lo || x > hi {
			v.Add("settings."+field, "must be between %d and %d, got %d", lo, hi, x)
		}
	}
	between("general_branch_member_threshold", st.GeneralBranchMemberThreshold, 1, 100000)
	between("leadership_min_size", st.LeadershipMinSize, 1, 30)
	between("leadership_max_size", st.LeadershipMaxSize, 1, 30)
	between("max_age_male", st.MaxAgeMale, 18, 100)
	between("max_age_female", st.MaxAgeFemale, 18, 100)
	between("min_education", int32(st.MinEducation), EducationPrimary, EducationPostgraduate)
	if st.LeadershipMinSize > st.LeadershipMaxSize {
		v.Add("settings.leadership_min_size", "the minimum team size %d is above the maximum %d", st.LeadershipMinSize, st.LeadershipMaxSize)
	}
	return v.Err()
}

// GetSettings returns the settings in force in a district.
func (s *Service) GetSettings(ctx context.Context, districtID string) (*Settings, error) {
	d, err := s.store.Get(ctx, districtID)
	if err != nil {
		return nil, err
	}
	if d.Kind != District {
		return nil, errs.Field(ErrNotDistrict, "district_id", "settings are kept per district; this is a "+kindWord(d.Kind))
	}
	return s.store.Settings(ctx, districtID)
}

// UpdateSettings changes the named settings of a district. The district
// row is locked first, so two concurrent changes of different settings both land.
func (s *Service) UpdateSettings(ctx context.Context, patch *Settings, fields []string) (*Settings, error) {
	if len(fields) == 0 {
		return nil, errs.Field(ErrInvalidSettings, "update_mask", "name at least one setting to change")
	}
	for _, f := range fields {
		if _, ok := settable[f]; !ok {
			return nil, errs.Field(ErrInvalidSettings, "update_mask", "unknown setting "+f)
		}
	}
	var out *Settings
	err := s.store.InTx(ctx, func(tx Tx) error {
		d, err := tx.Lock(ctx, patch.DistrictID)
		if err != nil {
			return err
		}
		if d.Kind != District {
			return errs.Field(ErrNotDistrict, "settings.district_id", "settings are kept per district; this is a "+kindWord(d.Kind))
		}
		cur, err := tx.Settings(ctx, d.ID)
		if err != nil {
			return err
		}
		for _, f := range fields {
			settable[f](cur, patch)
		}
		if err := cur.validate(); err != nil {
			return err
		}
		cur.Updated = s.now()
		if err := tx.SaveSettings(ctx, cur); err != nil {
			return err
		}
		out = cur
		return tx.Emit(ctx, SettingsUpdated{Settings: cur, Changed: fields}, cur.Updated)
	})
	return out, err
}
