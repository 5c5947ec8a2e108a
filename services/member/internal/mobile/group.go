package mobile

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// Group is members of one home organisation who left together for
// one destination and are managed together there (集出集管, 004): their
// outflows are registered as one, the whole group is granted a temporary
// relationship with one host branch, and news is sent to all of them.
type Group struct {
	ID               string
	Name             string
	HomeOrgID        string
	Place            string
	DestinationOrgID string
	LeaderID         string
	HostOrgID        string
	RecordIDs        []string
	Created          time.Time
	Updated          time.Time
	Version          int64
}

// Etag is the version as the API shows it.
func (g *Group) Etag() string { return strconv.FormatInt(g.Version, 10) }

// Sides are the organisations of this city the group touches, home first.
func (g *Group) Sides() []string {
	var out []string
	for _, id := range []string{g.HomeOrgID, g.DestinationOrgID, g.HostOrgID} {
		if id != "" && !containsString(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// GroupRequest registers the outflow of a group.
type GroupRequest struct {
	Name, HomeOrgID, Place, DestinationOrgID, LeaderID, Reason, RequestID string
	MemberIDs                                                             []string
	Since                                                                 time.Time
}

// RegisterGroupOutflow registers a group and one outflow record for each
// of its members, in one transaction: each member becomes mobile. Every
// member's relationship must sit in the home organisation's subtree.
func (s *Service) RegisterGroupOutflow(ctx context.Context, r GroupRequest, a member.Actor) (*Group, []*Record, error) {
	v := member.NewValidation()
	if strings.TrimSpace(r.Name) == "" {
		v.Add("group.name", "a group needs a name")
	}
	if r.HomeOrgID == "" {
		v.Add("group.home_organisation_id", "home_organisation_id is required")
	}
	if strings.TrimSpace(r.Place) == "" {
		v.Add("group.place", "where the group went is required")
	}
	if len(r.MemberIDs) < 2 {
		v.Add("member_ids", "a group has at least two members")
	}
	if !slices.Contains(r.MemberIDs, r.LeaderID) {
		v.Add("group.leader_member_id", "the leader is one of the group's members")
	}
	checkSince(v, "since", r.Since, s.clock.Today())
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var (
		out  *Group
		recs []*Record
	)
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("register_group_outflow", r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.LockMobileGroup); err != nil || seen {
			if err == nil {
				recs, err = tx.LockGroupRecords(ctx, out.ID)
			}
			return err
		}
		home, err := existingOrg(ctx, tx, r.HomeOrgID, "group.home_organisation_id")
		if err != nil {
			return err
		}
		if r.DestinationOrgID != "" {
			if _, err := existingOrg(ctx, tx, r.DestinationOrgID, "group.destination_organisation_id"); err != nil {
				return err
			}
		}
		members, err := s.lockGroupMembers(ctx, tx, home, r.MemberIDs)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		g := &Group{ID: member.NewID(), Name: strings.TrimSpace(r.Name), HomeOrgID: home.ID, Place: strings.TrimSpace(r.Place),
			DestinationOrgID: r.DestinationOrgID, LeaderID: r.LeaderID, Created: now, Updated: now, Version: 1}
		if err := tx.InsertMobileGroup(ctx, g); err != nil {
			return err
		}
		if err := tx.Emit(ctx, GroupRegistered{Group: g}, now); err != nil {
			return err
		}
		for _, m := range members {
			rec := &Record{Direction: Outflow, MemberID: m.ID, HomeOrgID: m.OrganisationID,
				DistrictID: m.DistrictID, Place: g.Place, DestinationOrgID: g.DestinationOrgID, Since: r.Since,
				Reason: r.Reason, ContactPhone: m.Phone, GroupID: g.ID}
			if err := s.insertMobile(ctx, tx, rec, m, a); err != nil {
				return err
			}
			recs = append(recs, rec)
			g.RecordIDs = append(g.RecordIDs, rec.ID)
		}
		out = g
		return tx.RememberRequest(ctx, key, g.ID)
	})
	return out, recs, err
}

// lockGroupMembers locks the members of a new group in id order, so that
// two registrations sharing members cannot deadlock, and returns them in
// the order given.
func (s *Service) lockGroupMembers(ctx context.Context, tx Tx, home *member.Org, ids []string) ([]*member.Member, error) {
	index := map[string]int{}
	for i, id := range ids {
		index[id] = i
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	out := make([]*member.Member, len(ids))
	for _, id := range sorted {
		field := fmt.Sprintf("member_ids[%d]", index[id])
		m, err := s.lockMobileMember(ctx, tx, id, field)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(m.Path, home.Path) {
			return nil, errs.Field(member.ErrInvalid, field, "the member's relationship sits outside the group's home organisation")
		}
		out[index[id]] = m
	}
	return out, nil
}

// lockGroup locks a group and its records.
func (s *Service) lockGroup(ctx context.Context, tx Tx, id string) (*Group, []*Record, error) {
	g, err := tx.LockMobileGroup(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	recs, err := tx.LockGroupRecords(ctx, id)
	return g, recs, err
}

// GrantGroupTemporary gives every record of a group still waiting for one
// a temporary relationship with one host organisation, each with its own
// certificate: all of them or, if any is not yet due, none.
func (s *Service) GrantGroupTemporary(ctx context.Context, id, hostOrgID, etag string, a member.Actor) (*Group, []*Record, error) {
	var (
		out     *Group
		granted []*Record
	)
	err := s.store.InTx(ctx, func(tx Tx) error {
		g, recs, err := s.lockGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		if etag != "" && etag != g.Etag() {
			return ErrGroupEtag
		}
		host, err := grantHost(ctx, tx, hostOrgID, "host_organisation_id")
		if err != nil {
			return err
		}
		var waiting []*Record
		latest := time.Time{}
		for _, r := range recs {
			if r.State == Away {
				waiting = append(waiting, r)
				if r.TemporaryFrom.After(latest) {
					latest = r.TemporaryFrom
				}
			}
		}
		if len(waiting) == 0 {
			return errs.Detail(ErrMobileState, "no member of the group is waiting for a temporary relationship")
		}
		if s.clock.Today().Before(latest) {
			return errs.Detail(ErrMobileTooEarly, "the whole group can be granted a temporary relationship from %s",
				latest.Format(time.DateOnly))
		}
		for _, r := range waiting {
			if err := s.grant(ctx, tx, r, host, a); err != nil {
				return err
			}
		}
		g.HostOrgID = host.ID
		g.Version++
		g.Updated = s.clock.Now()
		if err := tx.SaveMobileGroup(ctx, g); err != nil {
			return err
		}
		if err := tx.Emit(ctx, GroupGranted{Group: g}, g.Updated); err != nil {
			return err
		}
		out, granted = g, waiting
		return nil
	})
	return out, granted, err
}

// GroupNewsRequest sends news or policy to a whole group.
type GroupNewsRequest struct {
	GroupID, Channel, Summary, RequestID string
	At                                   time.Time
	Actor                                member.Actor
}

// LogGroupNews logs news sent to a group once on the record of each member
// still away.
func (s *Service) LogGroupNews(ctx context.Context, r GroupNewsRequest) ([]*ContactEntry, error) {
	v := member.NewValidation()
	checkContact(v, ContactNews, r.Channel, r.Summary)
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out []*ContactEntry
	err := s.store.InTx(ctx, func(tx Tx) error {
		_, recs, err := s.lockGroup(ctx, tx, r.GroupID)
		if err != nil {
			return err
		}
		key := replay.Key("log_group_news/"+r.Actor.Subject, r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.ContactsOfBatch); err != nil || seen {
			return err
		}
		batch := member.NewID()
		c := ContactRequest{Direction: ContactNews, Channel: r.Channel, Summary: r.Summary, At: r.At, Actor: r.Actor}
		for _, rec := range recs {
			if !rec.Open() {
				continue
			}
			e, err := s.contact(ctx, tx, rec, c, batch)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		if len(out) == 0 {
			return errs.Detail(ErrMobileState, "no member of the group is still away")
		}
		return tx.RememberRequest(ctx, key, batch)
	})
	return out, err
}

// GetMobileGroup returns a group with its records.
func (s *Service) GetMobileGroup(ctx context.Context, id string) (*Group, []*Record, error) {
	g, recs, err := s.store.GetMobileGroup(ctx, id)
	if errors.Is(err, ErrMobileNotFound) {
		err = ErrGroupNotFound
	}
	return g, recs, err
}
