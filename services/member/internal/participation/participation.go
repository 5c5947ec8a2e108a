// Package participation keeps each member's part in organisation life
// (组织生活), built from the organisation service's activities — present, or
// absent with the reason given — and computes lost contact (失联, DOMAIN §5)
// from the facts: no organisation life attended and no dues paid for the
// district's windows, and no contact logged while mobile. A flag is set
// once, with an event, and cleared by the next attendance, payment or
// contact, with an event; it feeds the 自行脱党 review of the end of a
// membership and never ends one by itself.
package participation

import (
	"context"
	"time"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/services/member/internal/member"
)

// Activity is an activity of organisation life as the organisation
// service announced it, with the members it named.
type Activity struct {
	ID             string
	OrganisationID string
	Kind           string
	Date           time.Time
	Topic          string
	Recorded       time.Time
	AttendeeIDs    []string
	Absentees      []Absence
}

// Absence is a member named absent, with the reason as given (empty when
// none was: never invented).
type Absence struct {
	MemberID   string
	ReasonKind string
	Reason     string
}

// Entry is one activity a member was named at.
type Entry struct {
	MemberID       string
	ActivityID     string
	OrganisationID string
	Kind           string
	Date           time.Time
	Topic          string
	Attended       bool
	ReasonKind     string
	Reason         string
	Recorded       time.Time
}

// What cleared a lost-contact flag.
const (
	ByAttendance = "attendance"
	ByPayment    = "payment"
	ByContact    = "contact"
)

// LostContact is a lost-contact flag of a member, with the days of the
// last facts as they stood when it was set (zero: never).
type LostContact struct {
	ID             string
	MemberID       string
	Name           string
	OrganisationID string
	Flagged        time.Time
	LastAttendance time.Time
	LastPayment    time.Time
	LastContact    time.Time
	Cleared        time.Time
	ClearedBy      string
}

// Flagged is published when a member is flagged lost contact.
type Flagged struct{ Flag *LostContact }

// Cleared is published when a flagged member attends, pays or is heard from.
type Cleared struct{ Flag *LostContact }

func (e Flagged) AggregateID() string { return e.Flag.OrganisationID }
func (e Cleared) AggregateID() string { return e.Flag.OrganisationID }

// Tx is what participation and lost contact need inside a transaction.
type Tx interface {
	member.Tx
	// InsertParticipation keeps the entries of members known here not kept
	// yet, and notes since when their organisations record life by member;
	// it returns the members newly recorded present and absent.
	InsertParticipation(ctx context.Context, entries []Entry) (present, absent []string, err error)
	// ClearLostContact clears the open flags of members, by what, at at,
	// and returns the flags it cleared.
	ClearLostContact(ctx context.Context, memberIDs []string, by string, at time.Time) ([]*LostContact, error)
	// FlagLostContact flags, in one statement, every live member of
	// memberIDs (all when nil) the rule finds lost contact on the day today
	// (in the city's time zone) and who has no open flag, at at, and
	// returns the new flags. A sweep of all returns none when another
	// transaction is sweeping or the day was swept (ok false).
	FlagLostContact(ctx context.Context, today, at time.Time, zone string, memberIDs []string) (flags []*LostContact, ok bool, err error)
}

// Store is what participation needs of the store.
type Store interface {
	InTx(ctx context.Context, fn func(Tx) error) error
	// ListParticipation pages through a member's entries, newest first.
	ListParticipation(ctx context.Context, memberID string, p member.Page) ([]*Entry, string, error)
	// ListLostContact pages through the open flags of the members of a
	// subtree, in tree order.
	ListLostContact(ctx context.Context, rootID string, p member.Page) ([]*LostContact, string, error)
}

// Service is participation and lost contact.
type Service struct {
	store   Store
	members *member.Service
	clock   member.Clock
}

// NewService returns a Service over store.
func NewService(store Store, members *member.Service) *Service {
	return &Service{store: store, members: members, clock: members.Clock()}
}

// Recorder is the actor of what the consumer of activities writes.
const Recorder = "organisation-life"

// RecordActivity keeps the part of each member an activity named: present,
// or absent with the reason given. A member unknown here is passed over
// (the organisation service checked the ids against its view of this
// service's members); an activity delivered again adds nothing. A member
// recorded present who was flagged lost contact is flagged no longer; one
// recorded absent is judged at once by the lost-contact rule (the daily
// sweep judges everyone else).
func (s *Service) RecordActivity(ctx context.Context, a Activity) error {
	entries := entriesOf(a)
	if len(entries) == 0 {
		return nil
	}
	return s.store.InTx(ctx, func(tx Tx) error {
		present, absent, err := tx.InsertParticipation(ctx, entries)
		if err != nil {
			return err
		}
		if len(present) > 0 {
			if err := s.clear(ctx, tx, present, ByAttendance); err != nil {
				return err
			}
		}
		if len(absent) == 0 {
			return nil
		}
		return s.flag(ctx, tx, s.clock.Now(), absent)
	})
}

// flag flags the members of ids (all when nil) the rule finds lost contact
// now, with their events.
func (s *Service) flag(ctx context.Context, tx Tx, now time.Time, ids []string) error {
	flags, _, err := tx.FlagLostContact(ctx, s.clock.Day(now), now, s.clock.Zone(), ids)
	if err != nil {
		return err
	}
	for _, f := range flags {
		if err := tx.Emit(ctx, Flagged{Flag: f}, f.Flagged); err != nil {
			return err
		}
	}
	return nil
}

func entriesOf(a Activity) []Entry {
	var out []Entry
	seen := map[string]bool{}
	add := func(e Entry) {
		if e.MemberID == "" || seen[e.MemberID] {
			return
		}
		seen[e.MemberID] = true
		e.ActivityID, e.OrganisationID, e.Kind, e.Date, e.Topic, e.Recorded = a.ID, a.OrganisationID, a.Kind, a.Date, a.Topic, a.Recorded
		out = append(out, e)
	}
	for _, id := range a.AttendeeIDs {
		add(Entry{MemberID: id, Attended: true})
	}
	for _, ab := range a.Absentees {
		add(Entry{MemberID: ab.MemberID, ReasonKind: ab.ReasonKind, Reason: ab.Reason})
	}
	return out
}

// ContactRegained clears the flags of members heard from by what (a
// contact logged, a payment), in the transaction of that fact: the seam
// through which the mobile contact log and dues payments clear a flag.
func ContactRegained(ctx context.Context, tx Tx, clock member.Clock, memberIDs []string, by string) error {
	flags, err := tx.ClearLostContact(ctx, memberIDs, by, clock.Now())
	if err != nil {
		return err
	}
	for _, f := range flags {
		if err := tx.Emit(ctx, Cleared{Flag: f}, f.Cleared); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) clear(ctx context.Context, tx Tx, memberIDs []string, by string) error {
	return ContactRegained(ctx, tx, s.clock, memberIDs, by)
}

// Sweep flags the members who lost contact as of now, each once, on the
// first sweep of each day: one set-based statement under a
// transaction-scoped advisory lock (a replica that finds it taken, or the
// day swept, sweeps nothing), and a unique open flag per member, so any
// number of replicas may sweep at once.
func (s *Service) Sweep(ctx context.Context, now time.Time) error {
	ctx = actor.AsSystem(ctx, "lost-contact-sweeper") // no caller asked for what it finds
	return s.store.InTx(ctx, func(tx Tx) error { return s.flag(ctx, tx, now, nil) })
}

// List pages through a member's participation, newest first, and says
// where the member's relationship sits.
func (s *Service) List(ctx context.Context, memberID string, p member.Page) ([]*Entry, string, string, error) {
	m, err := s.members.Get(ctx, memberID)
	if err != nil {
		return nil, "", "", err
	}
	list, next, err := s.store.ListParticipation(ctx, memberID, p.Bounded())
	return list, next, m.OrganisationID, err
}

// ListLostContact pages through the members of a subtree flagged lost
// contact.
func (s *Service) ListLostContact(ctx context.Context, rootID string, p member.Page) ([]*LostContact, string, error) {
	return s.store.ListLostContact(ctx, rootID, p.Bounded())
}
