package reporting

import (
	"context"
	"time"

	"gongjian.dev/services/member/internal/member"
)

// JointActivity is a joint activity of communities and resident units as
// the co-building service recorded it: what took place, and the in-service
// members who took part, by their ids in this service. Counted on their
// contact cards, it makes the cards say what happened rather than what was
// typed in.
type JointActivity struct {
	ID    string
	Title string
	Date  time.Time
	Hours float64
	// CommunityIDs are the organising communities.
	CommunityIDs []string
	MemberIDs    []string
}

// Attendance is what became of one member an activity named: counted on
// their card (EntryID), or skipped with the reason. It is recorded once per
// activity and member, so an activity delivered again adds nothing.
type Attendance struct {
	ActivityID, MemberID string
	EntryID              string
	Skipped              string
	Recorded             time.Time
}

// The reasons an attendance is skipped rather than counted.
const (
	// SkipUnknownMember: no member of this service has the id.
	SkipUnknownMember = "MEMBER_NOT_FOUND"
	// SkipMemberLeft: the member's membership has ended.
	SkipMemberLeft = "MEMBER_LEFT"
	// SkipNotRegistered: the member was registered with no community on
	// the day of the activity: not an in-service member reporting then.
	SkipNotRegistered = "NOT_REGISTERED"
)

// Attendee is what the store knows of a member an activity named, on the
// day of the activity: whether the member exists and has left, and the
// registration the activity counts under, if any.
type Attendee struct {
	MemberID     string
	Found, Left  bool
	Registration *Registration
}

// ActivityRecorder is the system actor that counts joint activities.
const ActivityRecorder = "cobuilding-activities"

// CountJointActivity counts an activity on the card of each member it
// names who has not been counted for it yet: an activity entry dated the
// day of the activity, under the member's registration that covered that
// day — with an organising community when there is one, else the
// residence one — naming the activity as its source. A member unknown
// here, one who left, or one registered with no community that day is
// recorded as skipped, with the reason; nothing is refused, so an event
// carrying such a member is never delivered again for it. It runs in the
// transaction the store gives (the consumer's, which also marks the event
// applied) and returns what it recorded.
func (s *Service) CountJointActivity(ctx context.Context, a JointActivity) ([]Attendance, error) {
	var out []Attendance
	err := s.store.InTx(ctx, func(tx Tx) error {
		ids, err := tx.UncountedAttendees(ctx, a.ID, dedupe(a.MemberIDs))
		if err != nil || len(ids) == 0 {
			return err
		}
		attendees, err := tx.AttendeesOn(ctx, ids, a.Date, a.CommunityIDs)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		var entries []*CardEntry
		for _, at := range attendees {
			rec := Attendance{ActivityID: a.ID, MemberID: at.MemberID, Recorded: now}
			switch {
			case !at.Found:
				rec.Skipped = SkipUnknownMember
			case at.Left:
				rec.Skipped = SkipMemberLeft
			case at.Registration == nil:
				rec.Skipped = SkipNotRegistered
			default:
				e := &CardEntry{ID: member.NewID(), MemberID: at.MemberID, CommunityID: at.Registration.CommunityID,
					RegistrationID: at.Registration.ID, Kind: EntryActivity, Date: a.Date, Title: a.Title, Hours: a.Hours,
					SourceActivityID: a.ID, RecordedBy: ActivityRecorder, Created: now}
				entries = append(entries, e)
				rec.EntryID = e.ID
			}
			out = append(out, rec)
		}
		if err := tx.InsertActivityEntries(ctx, entries, out); err != nil {
			return err
		}
		for _, e := range entries {
			if err := tx.Emit(ctx, CardEntryAdded{Entry: e}, now); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// Attendances lists what became of the members an activity named, in the
// order of their ids.
func (s *Service) Attendances(ctx context.Context, activityID string) ([]Attendance, error) {
	return s.store.Attendances(ctx, activityID)
}

// dedupe returns ids without repeats and empties, in their first order.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
