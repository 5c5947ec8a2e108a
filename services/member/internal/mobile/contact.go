package mobile

import (
	"context"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// ContactRequest logs one contact on a record.
type ContactRequest struct {
	RecordID, Direction, Channel, Summary, RequestID string
	At                                               time.Time
	Actor                                            member.Actor
}

// checkContact checks a contact's fields that need no record.
func checkContact(v *errs.Validation, direction, channel, summary string) {
	if direction != ContactReport && direction != ContactNews {
		v.Add("contact.direction", "say whether the member reported or the organisation sent news")
	}
	if !contactChannels[channel] {
		v.Add("contact.channel", "the channel is required")
	}
	if strings.TrimSpace(summary) == "" {
		v.Add("contact.summary", "a summary is required")
	}
}

// LogContact appends one contact to a record's two-way contact log. A
// report of the member starts the contact interval again. A member logs
// their own reports only.
func (s *Service) LogContact(ctx context.Context, r ContactRequest) (*ContactEntry, *Record, error) {
	v := member.NewValidation()
	checkContact(v, r.Direction, r.Channel, r.Summary)
	if err := v.Err(); err != nil {
		return nil, nil, err
	}
	var (
		entry *ContactEntry
		out   *Record
	)
	err := s.store.InTx(ctx, func(tx Tx) error {
		rec, err := tx.LockMobile(ctx, r.RecordID)
		if err != nil {
			return err
		}
		if r.Actor.MemberID != "" && r.Actor.MemberID != rec.MemberID {
			return ErrMobileNotFound
		}
		key := replay.Key("log_contact/"+r.Actor.Subject, r.RequestID)
		var logged []*ContactEntry
		if seen, err := replay.Seen(ctx, tx, key, &logged, tx.ContactsOfBatch); err != nil || seen {
			if len(logged) > 0 {
				entry, out = logged[0], rec
			}
			return err
		}
		if r.Actor.MemberID != "" && r.Direction != ContactReport {
			return ErrMemberReporting
		}
		e, err := s.contact(ctx, tx, rec, r, "")
		if err != nil {
			return err
		}
		entry, out = e, rec
		return tx.RememberRequest(ctx, key, e.BatchID)
	})
	return entry, out, err
}

// contact logs one entry on a locked, open record; batch is the id the
// entries of one call share ("" for a new one).
func (s *Service) contact(ctx context.Context, tx Tx, rec *Record, r ContactRequest, batch string) (*ContactEntry, error) {
	if !rec.Open() {
		return nil, errs.Detail(ErrMobileState, "the record has ended")
	}
	now := s.clock.Now()
	at := r.At
	if at.IsZero() {
		at = now
	}
	switch {
	case at.After(now):
		return nil, errs.Field(member.ErrInvalid, "contact.contact_time", "a contact cannot be in the future")
	case at.Before(rec.Since):
		return nil, errs.Field(member.ErrInvalid, "contact.contact_time", "a contact cannot be before the mobility began")
	}
	e := &ContactEntry{ID: member.NewID(), RecordID: rec.ID, Direction: r.Direction, Channel: r.Channel,
		Summary: strings.TrimSpace(r.Summary), At: at, ActorSubject: r.Actor.Subject, ActorRole: r.Actor.Role,
		Logged: now, GroupID: rec.GroupID, BatchID: batch}
	if e.BatchID == "" {
		e.BatchID = e.ID
	}
	if err := tx.InsertContact(ctx, e); err != nil {
		return nil, err
	}
	if r.Direction == ContactReport && at.After(rec.LastReport) {
		rec.LastReport = at
		rec.resetContact(at)
		if err := s.saveMobile(ctx, tx, rec, nil); err != nil {
			return nil, err
		}
	}
	if r.Direction == ContactReport && rec.MemberID != "" && s.heardFrom != nil {
		if err := s.heardFrom(ctx, tx, rec.MemberID); err != nil {
			return nil, err
		}
	}
	return e, tx.Emit(ctx, ContactLogged{Record: rec, Entry: e}, now)
}

// ListContacts pages through a record's contact log.
func (s *Service) ListContacts(ctx context.Context, recordID string, p member.Page) ([]*ContactEntry, string, error) {
	return s.store.ListContacts(ctx, recordID, p.Bounded())
}
