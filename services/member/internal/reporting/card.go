package reporting

import (
	"context"
	"errors"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// CardEntry is one line of a member's contact card (社区联系卡): a contact
// with the community or an activity taken part in, as the community that
// recorded it says. Entries are appended, never changed.
type CardEntry struct {
	ID             string
	MemberID       string
	CommunityID    string
	RegistrationID string
	Kind           string
	Date           time.Time
	Title          string
	Hours          float64
	PostID         string
	// SourceActivityID is the co-building service's joint activity the
	// entry was counted from; "" for an entry the community recorded.
	SourceActivityID string
	RecordedBy       string
	Created          time.Time
}

// The kinds of card entry.
const (
	EntryContact  = "CONTACT"
	EntryActivity = "ACTIVITY"
)

// Settings are a district's minimums for in-service members
// (DOMAIN §5): contacts with the community a quarter, activities a year.
type Settings struct {
	DistrictID            string
	MinContactsPerQuarter int32
	MinActivitiesPerYear  int32
	// Inherited: the district set none and these are the defaults.
	Inherited bool
}

// DefaultSettings apply to a district that has set none: twice a
// quarter and four activities a year.
var DefaultSettings = Settings{MinContactsPerQuarter: 2, MinActivitiesPerYear: 4, Inherited: true}

// CardTotals are what a period of a card adds up to.
type CardTotals struct {
	Contacts   int32
	Activities int32
	Hours      float64
}

func (t *CardTotals) add(e CardEntry) {
	switch e.Kind {
	case EntryContact:
		t.Contacts++
	case EntryActivity:
		t.Activities++
	}
	t.Hours += e.Hours
}

// CardQuarter is one quarter of a card, and whether it has the minimum of
// contacts; Closed says the quarter is over, so the verdict is final.
type CardQuarter struct {
	Quarter       int32
	Totals        CardTotals
	MeetsContacts bool
	Closed        bool
}

// ContactCard is a member's card for a year: the entries of every
// community they registered with, the quarters and the year against the
// settings of the district of the member's organisation, the posts they
// hold now and the communities' ratings of the year.
type ContactCard struct {
	MemberID        string
	OrganisationID  string // where the member's relationship sits
	Year            int32
	Entries         []CardEntry
	Quarters        [4]CardQuarter
	Totals          CardTotals
	MeetsActivities bool
	Settings        Settings
	Claims          []*Claim
	Ratings         []*CommunityRating
}

// QuartersMeetingContacts counts the quarters with the minimum of contacts.
func (c *ContactCard) QuartersMeetingContacts() int32 {
	var n int32
	for _, q := range c.Quarters {
		if q.MeetsContacts {
			n++
		}
	}
	return n
}

// tally adds up entries of one year against settings as of today.
func tally(memberID string, year int32, entries []CardEntry, settings Settings, today time.Time) ContactCard {
	c := ContactCard{MemberID: memberID, Year: year, Entries: entries, Settings: settings}
	for i := range c.Quarters {
		c.Quarters[i].Quarter = int32(i + 1)
		end := time.Date(int(year), time.Month(3*i+4), 1, 0, 0, 0, 0, time.UTC)
		c.Quarters[i].Closed = !today.Before(end)
	}
	for _, e := range entries {
		if int32(e.Date.Year()) != year {
			continue
		}
		c.Quarters[(e.Date.Month()-1)/3].Totals.add(e)
		c.Totals.add(e)
	}
	for i := range c.Quarters {
		c.Quarters[i].MeetsContacts = c.Quarters[i].Totals.Contacts >= settings.MinContactsPerQuarter
	}
	c.MeetsActivities = c.Totals.Activities >= settings.MinActivitiesPerYear
	return c
}

// CardRequest is what appends an entry to a card.
type CardRequest struct {
	CommunityID, MemberID, RequestID string
	Entry                            CardEntry
}

// AddCardEntry appends a contact or an activity to a member's card, on a
// day the member was registered with the community. Only the community
// records entries: the card is its ledger of the member, which goes back
// to the employer. A request id seen before returns the entry it made.
func (s *Service) AddCardEntry(ctx context.Context, r CardRequest, a member.Actor) (*CardEntry, error) {
	e := r.Entry
	v := member.NewValidation()
	if e.Kind != EntryContact && e.Kind != EntryActivity {
		v.Add("entry.kind", "kind is required: contact or activity")
	}
	switch {
	case e.Date.IsZero():
		v.Add("entry.date", "date is required")
	case e.Date.After(s.clock.Today()):
		v.Add("entry.date", "the date cannot be in the future")
	}
	if strings.TrimSpace(e.Title) == "" {
		v.Add("entry.title", "title is required")
	}
	if e.Hours < 0 || e.Hours > 24 {
		v.Add("entry.hours", "hours are 0 to 24")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *CardEntry
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("add_card_entry", r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.GetCardEntry); err != nil || seen {
			return err
		}
		m, err := s.lockSelf(ctx, tx, r.MemberID, a)
		if err != nil {
			return err
		}
		c, err := s.community(ctx, tx, r.CommunityID)
		if err != nil {
			return err
		}
		reg, found, err := tx.RegistrationOn(ctx, m.ID, c.ID, e.Date, false)
		if err != nil {
			return err
		}
		if !found {
			return errs.Field(ErrNotRegistered, "entry.date", "the member was not registered with this community on "+e.Date.Format(time.DateOnly))
		}
		if e.PostID != "" {
			p, err := tx.LockPost(ctx, e.PostID)
			if err == nil && p.CommunityID != c.ID {
				err = ErrPostNotFound
			}
			if errors.Is(err, ErrPostNotFound) {
				return errs.Field(member.ErrInvalid, "entry.post_id", "not a post of this community")
			}
			if err != nil {
				return err
			}
		}
		e.ID, e.MemberID, e.CommunityID, e.RegistrationID = member.NewID(), m.ID, c.ID, reg.ID
		e.RecordedBy, e.Created = a.Subject, s.clock.Now()
		if err := tx.InsertCardEntry(ctx, &e); err != nil {
			return err
		}
		if err := tx.Emit(ctx, CardEntryAdded{Entry: &e}, e.Created); err != nil {
			return err
		}
		out = &e
		return tx.RememberRequest(ctx, key, e.ID)
	})
	return out, err
}

// ContactCard returns a member's card for a year (this year when 0).
func (s *Service) ContactCard(ctx context.Context, memberID string, year int32) (*ContactCard, error) {
	today := s.clock.Today()
	if year == 0 {
		year = int32(s.clock.Year(s.clock.Now()))
	}
	m, err := s.store.Get(ctx, memberID)
	if err != nil {
		return nil, err
	}
	d, err := s.store.CardOf(ctx, m.ID, m.DistrictID, year)
	if err != nil {
		return nil, err
	}
	c := tally(m.ID, year, d.Entries, d.Settings, today)
	c.Claims, c.Ratings, c.OrganisationID = d.Claims, d.Ratings, m.OrganisationID
	return &c, nil
}

// CardData is what a card is made of, read together.
type CardData struct {
	Entries  []CardEntry
	Settings Settings
	Claims   []*Claim
	Ratings  []*CommunityRating
}

// SettingsOf returns a district's minimums, or the defaults.
func (s *Service) SettingsOf(ctx context.Context, districtID string) (Settings, error) {
	var out Settings
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := member.District(ctx, tx, districtID); err != nil {
			return err
		}
		var err error
		out, err = tx.ReportingSettings(ctx, districtID)
		return err
	})
	return out, err
}

// SetSettings sets a district's minimums.
func (s *Service) SetSettings(ctx context.Context, rs Settings, a member.Actor) (Settings, error) {
	v := member.NewValidation()
	if rs.MinContactsPerQuarter < 0 || rs.MinContactsPerQuarter > 100 {
		v.Add("settings.min_contacts_per_quarter", "0 to 100")
	}
	if rs.MinActivitiesPerYear < 0 || rs.MinActivitiesPerYear > 365 {
		v.Add("settings.min_activities_per_year", "0 to 365")
	}
	if err := v.Err(); err != nil {
		return Settings{}, err
	}
	rs.Inherited = false
	err := s.store.InTx(ctx, func(tx Tx) error {
		if _, err := member.District(ctx, tx, rs.DistrictID); err != nil {
			return err
		}
		before, err := tx.ReportingSettings(ctx, rs.DistrictID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		if err := tx.SaveReportingSettings(ctx, rs, a.Subject, now); err != nil {
			return err
		}
		return tx.Emit(ctx, SettingsSet{Before: before, After: rs}, now)
	})
	return rs, err
}
