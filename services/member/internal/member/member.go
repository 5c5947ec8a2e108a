// Package member is the kernel of the member service's domain (DOMAIN §2):
// the member record and its rules — what it must carry, the national ID
// number (GB 11643) and its agreement with the birth date, one live member
// per number city-wide and a dead holder's number never again, membership
// dates (joining from the 18th birthday, a year's probation) — with
// registration, update, lists, searches and counts; management categories,
// the scheme of each district and the rules that classify members, with
// hand overrides; and the end of a membership as a mark on the member,
// which is kept.
//
// It also holds what every sub-domain of the service builds on: the local
// view of an organisation (Org) and which organisations may hold a
// membership, the Actor of a command, Page, the Clock, the Event
// interface, the errors of a member, and the Store and Tx that the
// sub-domains' own interfaces embed. The sub-domains are packages of their
// own, each with its Service, Store and Tx — transfer, mobile, reporting,
// leaving and roster, assembled by package domain —; they use this
// package, and it uses none of them.
package member

import (
	"strconv"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// Member is one party member. NationalID is the plain number: it lives in
// memory only, encrypted by the store and masked by the transport.
type Member struct {
	ID               string
	Name             string
	Sex              string // "MALE", "FEMALE"
	BirthDate        time.Time
	NationalID       string
	Phone            string
	Education        string // "" when not recorded
	JoinDate         time.Time
	Status           string // "FULL", "PROBATIONARY"
	EmploymentStatus string // "" when not recorded
	Employer         string
	Residence        Residence
	OrganisationID   string
	DistrictID       string // derived from the organisation
	Path             string // the organisation's path, for subtree lists
	Skills           []string
	Hardship         bool
	StarRating       int32
	Created          time.Time
	Updated          time.Time
	Version          int64
	Category         Category
	// Mobile is true while a member has an open mobile record (流动党员).
	Mobile bool
	// Left is how the membership ended here; nil while the member is live.
	Left *Leaving
	// Arrival is the letter a member arriving from outside the city
	// brought; nil for the others.
	Arrival *Arrival
}

// Residence is where a member lives.
type Residence struct {
	CommunityID string `json:"community_id,omitempty"`
	GridID      string `json:"grid_id,omitempty"`
	Building    string `json:"building,omitempty"`
}

// The statuses and sexes.
const (
	StatusFull         = "FULL"
	StatusProbationary = "PROBATIONARY"
	SexMale            = "MALE"
	SexFemale          = "FEMALE"
)

// The party's rules of membership dates (the party constitution, DOMAIN
// §5): a person joins from their 18th birthday, and is a probationary
// member for a year before full membership.
const (
	JoiningAge       = 18
	ProbationaryTime = 1 // year
)

// Adulthood is the first day a person born on birth may join the party:
// their 18th birthday (1 March for someone born on 29 February, when the
// year has none).
func Adulthood(birth time.Time) time.Time { return birth.AddDate(JoiningAge, 0, 0) }

// FullFrom is the first day a member who joined on join may be a full
// member: the end of a year's probation.
func FullFrom(join time.Time) time.Time { return join.AddDate(ProbationaryTime, 0, 0) }

// Etag is the version as the API shows it.
func (m *Member) Etag() string { return strconv.FormatInt(m.Version, 10) }

// NewValidation collects the field violations of a command of any
// sub-domain, refused together as ErrInvalid.
func NewValidation() *errs.Validation { return errs.NewValidation(ErrInvalid) }

func fieldErr(sentinel *errs.Error, field, description string) error {
	return errs.Field(sentinel, field, description)
}

// Validate checks a whole member record as of today.
func (m *Member) Validate(today time.Time) error {
	v := NewValidation()
	m.NationalID = NormaliseNationalID(m.NationalID)
	if strings.TrimSpace(m.Name) == "" {
		v.Add("member.name", "name is required")
	}
	if m.Sex != SexMale && m.Sex != SexFemale {
		v.Add("member.sex", "sex is required")
	}
	switch {
	case m.BirthDate.IsZero():
		v.Add("member.birth_date", "birth date is required")
	case !m.BirthDate.Before(today):
		v.Add("member.birth_date", "birth date must be in the past")
	}
	if m.NationalID == "" {
		v.Add("member.national_id", "national ID number is required")
	} else {
		checkNationalID(v, m.NationalID, m.BirthDate)
	}
	switch {
	case m.JoinDate.IsZero():
		v.Add("member.join_date", "join date is required")
	case today.Before(m.JoinDate):
		v.Add("member.join_date", "join date cannot be in the future")
	case !m.BirthDate.IsZero() && m.JoinDate.Before(Adulthood(m.BirthDate)):
		v.Add("member.join_date", "a person joins the party from their 18th birthday, here %s",
			Adulthood(m.BirthDate).Format(time.DateOnly))
	}
	switch {
	case m.Status != StatusFull && m.Status != StatusProbationary:
		v.Add("member.status", "status is required: full or probationary")
	case m.Status == StatusFull && !m.JoinDate.IsZero() && today.Before(FullFrom(m.JoinDate)):
		v.Add("member.status", "a member is probationary for a year after joining: full membership from %s at the earliest",
			FullFrom(m.JoinDate).Format(time.DateOnly))
	}
	if m.StarRating < 0 || m.StarRating > 5 {
		v.Add("member.star_rating", "star rating is 0 to 5")
	}
	if m.Arrival != nil {
		m.Arrival.check(v, today)
	}
	return v.Err()
}

// ValidateNationalID checks a number on its own and against a birth date
// (zero to skip that), returning field violations.
func ValidateNationalID(id string, birth time.Time) error {
	v := NewValidation()
	checkNationalID(v, NormaliseNationalID(id), birth)
	return v.Err()
}

// Actor is who takes a step or gives a command. MemberID is set when the
// actor is a member acting for themselves: they may act on their own
// records only.
type Actor struct {
	Subject  string
	Role     string
	MemberID string
}
