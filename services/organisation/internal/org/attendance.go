package org

import (
	"context"
	"fmt"
	"slices"

	"gongjian.dev/pkg/errs"
)

// AbsenceReason is the kind of reason an absentee gave; empty when none
// was given.
type AbsenceReason string

// The kinds of reason an absentee may give.
const (
	ReasonIllness AbsenceReason = "ILLNESS"
	ReasonWork    AbsenceReason = "WORK"
	ReasonAway    AbsenceReason = "AWAY"
	ReasonFamily  AbsenceReason = "FAMILY"
	ReasonInfirm  AbsenceReason = "INFIRM"
	ReasonOther   AbsenceReason = "OTHER"
)

// ErrMemberNotYetKnown answers an attendee or absentee id the view of the
// member service's members does not hold: a member registered a moment ago
// is known once the member service's event arrives, so the caller retries.
var ErrMemberNotYetKnown = errs.WithReason(errs.FailedPrecondition, "MEMBER_NOT_YET_KNOWN",
	"a member id is not known here (yet): a member registered a moment ago is known within seconds; retry")

// MemberPlace is what the view of the member service's events holds of a
// member: the organisation their relationship sits in, its ancestors, and
// the day they left (zero while a member).
type MemberPlace struct {
	MemberID       string
	OrganisationID string
	AncestorIDs    []string
	LeftOn         Date
}

// within reports whether the member's relationship sits in root or below it.
func (p MemberPlace) within(root string) bool {
	return p.OrganisationID == root || slices.Contains(p.AncestorIDs, root)
}

// validateAttendees checks what needs no database: no more ids present than
// attended, nobody both present and absent or absent twice, every absentee
// named or identified.
func validateAttendees(v *validation, a *Activity) {
	if int32(len(a.AttendeeIDs)) > a.Attended {
		v.Add("activity.attendee_member_ids", "%d members named present but only %d attended", len(a.AttendeeIDs), a.Attended)
	}
	present := make(map[string]bool, len(a.AttendeeIDs))
	for _, id := range a.AttendeeIDs {
		present[id] = true
	}
	absent := map[string]bool{}
	for i, ab := range a.Absentees {
		field := fmt.Sprintf("activity.absentees[%d]", i)
		switch {
		case ab.Name == "" && ab.MemberID == "":
			v.Add(field+".name", "an absentee is named or identified by member id")
		case ab.MemberID != "" && present[ab.MemberID]:
			v.Add(field+".member_id", "this member is also listed as present")
		case ab.MemberID != "" && absent[ab.MemberID]:
			v.Add(field+".member_id", "this member is listed absent twice")
		}
		absent[ab.MemberID] = ab.MemberID != ""
	}
}

// checkAttendance checks every member id of an activity against the view of
// the member service's events: each must be a member whose relationship
// sits in the organisation that held it or below (an activity of a
// community or general branch spans its branches; a party group, which
// holds no memberships, answers for its branch's members) and who had not
// left by the day of the activity. A foreign or departed member is invalid
// input; an id the view does not hold may be a member registered a moment
// ago, and is answered "not yet known, retry".
func checkAttendance(ctx context.Context, tx Tx, o *Organisation, a *Activity) error {
	fields := attendanceFields(a)
	if len(fields) == 0 {
		return nil
	}
	ids := make([]string, len(fields))
	for i, f := range fields {
		ids[i] = f.id
	}
	places, err := tx.MemberPlaces(ctx, ids)
	if err != nil {
		return err
	}
	root := o.ID
	if o.Kind == PartyGroup {
		root = o.ParentID
	}
	v := newValidation()
	var unknown []errs.Violation
	for _, f := range fields {
		p, ok := places[f.id]
		switch {
		case !ok:
			unknown = append(unknown, errs.Violation{Field: f.name, Description: "no member with this id is known here yet; retry in a moment"})
		case !p.LeftOn.IsZero() && !a.Date.Before(p.LeftOn):
			v.Add(f.name, "this member's membership ended on %s, before the activity", p.LeftOn)
		case !p.within(root):
			v.Add(f.name, "this member's relationship sits in another organisation, not in this %s or below it", kindWord(o.Kind))
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if len(unknown) > 0 {
		return errs.Fields(ErrMemberNotYetKnown, unknown...)
	}
	return nil
}

type attendanceField struct{ id, name string }

func attendanceFields(a *Activity) []attendanceField {
	var out []attendanceField
	for i, id := range a.AttendeeIDs {
		out = append(out, attendanceField{id, fmt.Sprintf("activity.attendee_member_ids[%d]", i)})
	}
	for i, ab := range a.Absentees {
		if ab.MemberID != "" {
			out = append(out, attendanceField{ab.MemberID, fmt.Sprintf("activity.absentees[%d].member_id", i)})
		}
	}
	return out
}
