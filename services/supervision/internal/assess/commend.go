package assess

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
)

// CommendationKind says who is commended.
type CommendationKind string

// The kinds of commendation.
const (
	OfOrganisation CommendationKind = "ORGANISATION"
	OfIndividual   CommendationKind = "INDIVIDUAL"
)

// CommendationState is where a commendation stands.
type CommendationState string

// The states of a commendation.
const (
	Proposed  CommendationState = "PROPOSED"
	Approved  CommendationState = "APPROVED"
	Rejected  CommendationState = "REJECTED"
	Published CommendationState = "PUBLISHED"
)

// Commendation is an organisation (先进党组织) or a person (先进个人)
// proposed for commendation, and what became of it.
type Commendation struct {
	ID               string
	Kind             CommendationKind
	OrganisationID   string
	MemberID         string
	PersonName       string
	Year             int32
	Reason           string
	Period, Grade    string
	Rank             int32
	State            CommendationState
	DistrictID       string
	ProposedBy       string
	DecidedBy        string
	DecisionNote     string
	PublicationTitle string
	Version          int32
	Created, Updated time.Time
}

// CommendationQuery lists commendations.
type CommendationQuery struct {
	AncestorID, ScopeRoot, Inspector string
	Year                             int32
	State                            CommendationState
	After                            Key
	Limit                            int
}

// Propose proposes an organisation graded in its district's top band in
// the year (its best result of the year: the year's own, else its
// quarters'), and not barred by a rule's finding; or a person of an
// organisation the proposer reaches.
func (s *Service) Propose(ctx context.Context, c *Commendation, requestID string, a Actor) (*Commendation, error) {
	if c.OrganisationID == "" {
		return nil, errs.Field(ErrInvalid, "commendation.organisation_id", "name the organisation commended, or the person's")
	}
	o, err := s.org(ctx, a, c.OrganisationID, "commendation.organisation_id")
	if err != nil {
		return nil, err
	}
	v := errs.NewValidation(ErrInvalid)
	if c.Year < 2000 || int(c.Year) > s.today().Year() {
		v.Add("commendation.year", "a year up to this one")
	}
	if strings.TrimSpace(c.Reason) == "" {
		v.Add("commendation.reason", "say what the commendation is for")
	}
	switch c.Kind {
	case OfOrganisation:
		if c.MemberID != "" || c.PersonName != "" {
			v.Add("commendation.member_id", "an organisation's commendation names no person")
		}
	case OfIndividual:
		if c.MemberID == "" {
			v.Add("commendation.member_id", "the member commended")
		}
		if strings.TrimSpace(c.PersonName) == "" {
			v.Add("commendation.person_name", "the name of the person commended")
		}
	default:
		v.Add("commendation.kind", "ORGANISATION or INDIVIDUAL")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if c.Kind == OfIndividual {
		if err := s.memberOf(ctx, c.MemberID, o.ID); err != nil {
			return nil, err
		}
	}
	n := *c
	if c.Kind == OfOrganisation {
		if err := s.fromRankings(ctx, &n, o); err != nil {
			return nil, err
		}
	}
	var out *Commendation
	err = s.store.InTx(ctx, func(tx Tx) error {
		key := "propose_commendation/" + requestID
		if id, seen, err := tx.RequestSeen(ctx, key); err != nil || seen {
			if err == nil {
				out, err = s.store.Commendation(ctx, id)
			}
			return err
		}
		now := s.now()
		n.ID, n.DistrictID, n.State, n.ProposedBy, n.Version, n.Created, n.Updated = newID(), o.DistrictID, Proposed, a.Subject, 1, now, now
		if err := tx.InsertCommendation(ctx, &n); err != nil {
			return err
		}
		out = &n
		return tx.RememberRequest(ctx, key, n.ID)
	})
	return out, err
}

// memberOf refuses a person who is not a member of the organisation (or
// of its subtree): the commendation is of that organisation's member, and
// one person is commended once a year, so a member of another organisation
// named here would both reach out of the proposer's scope and bar that
// organisation's own proposal.
func (s *Service) memberOf(ctx context.Context, memberID, orgID string) error {
	at, err := s.store.MemberOrganisation(ctx, memberID)
	if err != nil {
		return err
	}
	if at == "" {
		// Not (or not yet) announced by the member service.
		return errs.Field(ErrNotFound, "commendation.member_id", "no member known to the service has this id")
	}
	in := at == orgID
	if !in {
		if in, err = s.store.Within(ctx, at, orgID); err != nil {
			return err
		}
	}
	if !in {
		return errs.Field(ErrInvalid, "commendation.member_id", "no member of this organisation has this id")
	}
	return nil
}

// fromRankings fills in the result an organisation is proposed from, or
// refuses it.
func (s *Service) fromRankings(ctx context.Context, c *Commendation, o *Org) error {
	finding, err := s.store.Barred(ctx, o.ID, c.Year)
	if err != nil {
		return err
	}
	if finding != "" {
		return errs.Fields(ErrBarred, errs.Violation{Field: "commendation.organisation_id",
			Description: "barred from commendation in " + strconv.Itoa(int(c.Year)) + " by the finding " + finding})
	}
	rs, err := s.store.Results(ctx, ResultQuery{OrganisationID: o.ID})
	if err != nil {
		return err
	}
	year := strconv.Itoa(int(c.Year))
	rs = slices.DeleteFunc(rs, func(r *Result) bool { return !strings.HasPrefix(r.Period, year) })
	slices.SortStableFunc(rs, func(a, b *Result) int {
		if (len(a.Period) == 4) != (len(b.Period) == 4) { // the year's own result first
			if len(a.Period) == 4 {
				return -1
			}
			return 1
		}
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return 0
	})
	st, err := s.Settings(ctx, o.Unit())
	if err != nil {
		return err
	}
	if len(rs) == 0 || rs[0].Grade != st.Top() {
		got := "not graded in " + year
		if len(rs) > 0 {
			got = "graded " + rs[0].Grade + " in " + rs[0].Period
		}
		return errs.Fields(ErrNotRanked, errs.Violation{Field: "commendation.organisation_id",
			Description: got + ": an organisation is proposed from its results, graded " + st.Top()})
	}
	c.Period, c.Grade, c.Rank = rs[0].Period, rs[0].Grade, rs[0].Rank
	return nil
}

// Commendations lists commendations within the actor's reach.
func (s *Service) Commendations(ctx context.Context, q CommendationQuery, a Actor) ([]*Commendation, error) {
	if q.AncestorID != "" {
		if err := s.reach(ctx, a, q.AncestorID); err != nil {
			return nil, err
		}
	}
	q.ScopeRoot = a.ScopeRoot
	if a.Inspector {
		q.Inspector = a.Subject
	}
	return s.store.Commendations(ctx, q)
}

// Decide approves or rejects a proposal; a rejection needs its reason.
func (s *Service) Decide(ctx context.Context, id string, approve bool, note string, version int32, a Actor) (*Commendation, error) {
	c, err := s.store.Commendation(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.reach(ctx, a, c.OrganisationID); err != nil {
		return nil, err
	}
	if !approve && strings.TrimSpace(note) == "" {
		return nil, errs.Field(ErrInvalid, "note", "say why the proposal is rejected")
	}
	var out *Commendation
	err = s.store.InTx(ctx, func(tx Tx) error {
		cur, err := tx.LockCommendation(ctx, id)
		if err != nil {
			return err
		}
		if version != 0 && version != cur.Version {
			return ErrVersion
		}
		if cur.State != Proposed {
			return errs.Detail(ErrState, "the proposal was decided already")
		}
		cur.State, cur.DecidedBy, cur.DecisionNote, cur.Updated = Rejected, a.Subject, note, s.now()
		change := "rejected"
		if approve {
			cur.State, change = Approved, "approved"
		}
		cur.Version++
		out = cur
		return tx.SaveCommendations(ctx, change, cur)
	})
	return out, err
}

// Publish publishes every approved commendation of a year within a
// subtree (the city's when root is empty) under one title.
func (s *Service) Publish(ctx context.Context, root string, year int32, title string, a Actor) ([]*Commendation, error) {
	if root != "" {
		if err := s.reach(ctx, a, root); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(title) == "" {
		return nil, errs.Field(ErrInvalid, "title", "the title the commendations are published under")
	}
	var out []*Commendation
	err := s.store.InTx(ctx, func(tx Tx) error {
		cs, err := tx.LockApproved(ctx, root, year)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return errs.Field(ErrNotPublished, "year", "no approved commendation of "+strconv.Itoa(int(year))+" to publish")
		}
		now := s.now()
		for _, c := range cs {
			c.State, c.PublicationTitle, c.Updated = Published, title, now
			c.Version++
		}
		out = cs
		return tx.SaveCommendations(ctx, "published", cs...)
	})
	return out, err
}
