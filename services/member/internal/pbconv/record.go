package pbconv

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/audit"
	"gongjian.dev/pkg/outbox"
	pb "gongjian.dev/proto/gen/go/gongjian/member/v1"
	"gongjian.dev/services/member/internal/dues"
	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/mobile"
	"gongjian.dev/services/member/internal/participation"
	"gongjian.dev/services/member/internal/reporting"
	"gongjian.dev/services/member/internal/transfer"
)

// The subjects of the member service's events.
const (
	SubjectRegistered   = "gongjian.member.v1.member_registered"
	SubjectUpdated      = "gongjian.member.v1.member_updated"
	SubjectCountChanged = "gongjian.member.v1.organisation_member_count_changed"
	// SubjectCategoryChanged is the subject of a change of management category.
	SubjectCategoryChanged = "gongjian.member.v1.member_category_changed"
	SubjectMemberLeft      = "gongjian.member.v1.member_left"
	// SubjectMembersImported is the subject of a bulk import's arrivals in
	// one organisation.
	SubjectMembersImported = "gongjian.member.v1.members_imported"

	// The subjects of the steps of a transfer: gongjian.member.v1.transfer_<step>.
	SubjectTransferRequested        = "gongjian.member.v1.transfer_requested"
	SubjectTransferConfirmed        = "gongjian.member.v1.transfer_confirmed"
	SubjectTransferReleased         = "gongjian.member.v1.transfer_released"
	SubjectTransferReceived         = "gongjian.member.v1.transfer_received"
	SubjectTransferRejected         = "gongjian.member.v1.transfer_rejected"
	SubjectTransferWithdrawn        = "gongjian.member.v1.transfer_withdrawn"
	SubjectTransferSuspended        = "gongjian.member.v1.transfer_suspended"
	SubjectTransferResumed          = "gongjian.member.v1.transfer_resumed"
	SubjectTransferExpired          = "gongjian.member.v1.transfer_expired"
	SubjectTransferFlaggedForReview = "gongjian.member.v1.transfer_flagged_for_review"
	SubjectTransferReviewRecorded   = "gongjian.member.v1.transfer_review_recorded"
	// The completion that follows a receipt, a transfer recorded after it
	// began on paper, and a change of a district's transfer settings.
	SubjectTransferCompleted       = "gongjian.member.v1.transfer_completed"
	SubjectTransferRecorded        = "gongjian.member.v1.transfer_recorded"
	SubjectTransferSettingsUpdated = "gongjian.member.v1.transfer_settings_updated"
	// SubjectDuesSettingsUpdated is the subject of a change of a district's dues bands.
	SubjectDuesSettingsUpdated = "gongjian.member.v1.dues_settings_updated"
	// The subjects of the dues ledger.
	SubjectDuesIncomeDeclared   = "gongjian.member.v1.dues_income_declared"
	SubjectDuesExemptionGranted = "gongjian.member.v1.dues_exemption_granted"
	SubjectDuesBillsGenerated   = "gongjian.member.v1.dues_bills_generated"
	SubjectDuesPaymentRecorded  = "gongjian.member.v1.dues_payment_recorded"
	SubjectDuesPaymentRefunded  = "gongjian.member.v1.dues_payment_refunded"
	SubjectDuesPaymentCorrected = "gongjian.member.v1.dues_payment_corrected"

	SubjectMobileOutflowRegistered = "gongjian.member.v1.mobile_outflow_registered"
	SubjectMobileInflowRegistered  = "gongjian.member.v1.mobile_inflow_registered"
	SubjectMobileGranted           = "gongjian.member.v1.mobile_temporary_relationship_granted"
	SubjectMobileContactLogged     = "gongjian.member.v1.mobile_contact_logged"
	SubjectMobileContactOverdue    = "gongjian.member.v1.mobile_contact_overdue"
	SubjectMobilityEnded           = "gongjian.member.v1.mobility_ended"

	SubjectInServiceRegistered        = "gongjian.member.v1.in_service_registered"
	SubjectInServiceRegistrationEnded = "gongjian.member.v1.in_service_registration_ended"
	SubjectServicePostClaimed         = "gongjian.member.v1.service_post_claimed"
	SubjectServicePostReleased        = "gongjian.member.v1.service_post_released"
	SubjectInServiceFeedbackSent      = "gongjian.member.v1.in_service_feedback_sent"
	SubjectStarRatingSet              = "gongjian.member.v1.star_rating_set"
	SubjectAppraisalRecorded          = "gongjian.member.v1.appraisal_recorded"

	SubjectMemberLostContact     = "gongjian.member.v1.member_lost_contact"
	SubjectMemberContactRegained = "gongjian.member.v1.member_contact_regained"
)

// The subject types of the member service's audit records.
const (
	subjectMember           = "member"
	subjectScheme           = "category_scheme"
	subjectTransfer         = "transfer"
	subjectTransferSettings = "transfer_settings"
	subjectDuesSettings     = "dues_settings"
	subjectDuesDeclaration  = "dues_declaration"
	subjectDuesExemption    = "dues_exemption"
	subjectDuesBatch        = "dues_bill_batch"
	subjectDuesReceipt      = "dues_receipt"
	subjectTransferJob      = "transfer_job"
	subjectMobile           = "mobile_record"
	subjectMobileGroup      = "mobile_group"
	subjectRegistration     = "registration"
	subjectPost             = "service_post"
	subjectClaim            = "post_claim"
	subjectCardEntry        = "card_entry"
	subjectRating           = "community_rating"
	subjectSettings         = "reporting_settings"
	subjectAppraisal        = "appraisal"
	subjectStarRating       = "star_rating"
	subjectLostContact      = "lost_contact"
)

// Record is what a domain event leaves in the transaction of its change:
// its message for the outbox, and its audit record.
type Record struct {
	// Outbox is the event to publish; its Subject is "" for a change that
	// is recorded, not published.
	Outbox outbox.Event
	// Audit is the audit record of the change; nil when another event of
	// the transaction records it (a count follows from the change that was
	// recorded; a completion from the receipt).
	Audit *audit.Entry
	// Snapshot is the key (see Snapshot) of the subject as the transaction
	// first locked it, which the store puts in Audit.Before; "" when the
	// record says what was before itself, or nothing was.
	Snapshot string
	// Chain says that Audit.After is the subject as the next record of the
	// transaction finds it: the steps of one transfer follow each other.
	Chain bool
}

// RecordOf turns a domain event into its record: the one place where the
// member service's events become messages and audit records, stamped with
// the event's id and the time the domain's clock gave it. No message and
// no record carries the national ID number.
func RecordOf(e member.Event, id string, at time.Time) (Record, error) {
	var (
		r       Record
		subject string
		msg     proto.Message
		occur   = ts(at)
	)
	// audited sets the audit record of a subject of type kind in an
	// organisation, whose state before is its snapshot when it has one.
	audited := func(kind, subjectID, orgID string, after any, snapshot bool) {
		r.Audit = &audit.Entry{SubjectType: kind, SubjectID: subjectID, OrganisationID: orgID, After: after}
		if snapshot {
			r.Snapshot = snapshotKey(kind, subjectID)
		}
	}
	ofMember := func(m *member.Member) { audited(subjectMember, m.ID, m.OrganisationID, Member(m, IDOmitted), true) }
	ofTransfer := func(t *transfer.Transfer) {
		audited(subjectTransfer, t.ID, t.FromOrgID, Transfer(t), true)
		r.Chain = true
	}
	ofMobile := func(rec *mobile.Record) {
		audited(subjectMobile, rec.ID, rec.OwnerOrgID(), MobileRecord(rec, time.Time{}, true), true)
	}
	switch e := e.(type) {
	case member.Registered:
		subject, msg = SubjectRegistered, &pb.MemberRegistered{EventId: id, OccurTime: occur, Member: Member(e.Member, IDOmitted)}
		ofMember(e.Member)
	case member.Updated:
		subject, msg = SubjectUpdated, &pb.MemberUpdated{EventId: id, OccurTime: occur, Member: Member(e.Member, IDOmitted),
			Changed: &fieldmaskpb.FieldMask{Paths: e.Changed}}
		ofMember(e.Member)
	case member.MemberLeft:
		subject, msg = SubjectMemberLeft, memberLeft(e, id, at)
		ofMember(e.Member)
	case member.CategoryChanged:
		c := e.Change
		subject, msg = SubjectCategoryChanged, &pb.MemberCategoryChanged{EventId: id, OccurTime: occur, MemberId: c.MemberID,
			OrganisationId: c.OrganisationID, OldCategoryCode: c.Old.Code, NewCategoryCode: c.New.Code, Overridden: c.New.Overridden}
		if e.Member != nil {
			ofMember(e.Member)
			break
		}
		// A reclassification: the category is all that changed.
		audited(subjectMember, c.MemberID, c.OrganisationID, categoryRecord(c.New), false)
		r.Audit.Before = categoryRecord(c.Old)
	case member.Imported:
		// Each member's audit record is written by the import itself.
		subject, msg = SubjectMembersImported, membersImported(e, id, occur)
	case member.CountChanged:
		subject, msg = SubjectCountChanged, &pb.OrganisationMemberCountChanged{EventId: id, OccurTime: occur,
			OrganisationId: e.OrganisationID, MemberCount: e.Count}
	case member.SchemeSet:
		audited(subjectScheme, e.Scope, "", e.After, false)
		r.Audit.Before = e.Before
		if e.Scope != member.DefaultScheme {
			r.Audit.OrganisationID = e.Scope
		}

	case transfer.Changed:
		var err error
		if subject, msg, err = transferEvent(e.Transfer, id, at); err != nil {
			return r, err
		}
		ofTransfer(e.Transfer)
	case transfer.Recorded:
		subject, msg = SubjectTransferRecorded, &pb.TransferRecorded{EventId: id, OccurTime: occur, Transfer: Transfer(e.Transfer)}
		ofTransfer(e.Transfer)
	case transfer.Completion:
		subject, msg = SubjectTransferCompleted, &pb.TransferCompleted{EventId: id, OccurTime: occur, Transfer: Transfer(e.Transfer)}
	case transfer.SettingsUpdated:
		subject, msg = SubjectTransferSettingsUpdated, &pb.TransferSettingsUpdated{EventId: id, OccurTime: occur,
			Settings: TransferSettings(e.After), Changed: &fieldmaskpb.FieldMask{Paths: e.Changed}}
		audited(subjectTransferSettings, e.After.DistrictID, e.After.DistrictID, TransferSettings(e.After), false)
		r.Audit.Before = TransferSettings(e.Before)
	case dues.SettingsUpdated:
		subject, msg = SubjectDuesSettingsUpdated, &pb.DuesSettingsUpdated{EventId: id, OccurTime: occur,
			Settings: DuesSettings(e.After)}
		audited(subjectDuesSettings, e.After.DistrictID, e.After.DistrictID, DuesSettings(e.After), false)
		r.Audit.Before = DuesSettings(e.Before)
	case dues.IncomeDeclared:
		d := IncomeDeclaration(e.Declaration)
		subject, msg = SubjectDuesIncomeDeclared, &pb.DuesIncomeDeclared{EventId: id, OccurTime: occur, Declaration: d}
		audited(subjectDuesDeclaration, e.Declaration.ID, e.Declaration.OrganisationID, d, false)
	case dues.ExemptionGranted:
		x := DuesExemption(e.Exemption)
		subject, msg = SubjectDuesExemptionGranted, &pb.DuesExemptionGranted{EventId: id, OccurTime: occur, Exemption: x}
		audited(subjectDuesExemption, e.Exemption.ID, e.Exemption.OrganisationID, x, false)
	case dues.BillsGenerated:
		g := batchGenerated(e.Batch)
		audited(subjectDuesBatch, e.Batch.ID, e.Batch.OrganisationID, proto.Clone(g), false)
		g.EventId, g.OccurTime = id, occur
		subject, msg = SubjectDuesBillsGenerated, g
	case dues.PaymentRecorded:
		entries := DuesEntries(e.Entries)
		subject, msg = SubjectDuesPaymentRecorded, &pb.DuesPaymentRecorded{EventId: id, OccurTime: occur, Entries: entries}
		audited(subjectDuesReceipt, e.Entries[0].ReceiptID, e.Entries[0].OrganisationID,
			&pb.RecordDuesPaymentResponse{Entries: entries}, false)
	case dues.PaymentRefunded:
		subject, msg = SubjectDuesPaymentRefunded, &pb.DuesPaymentRefunded{EventId: id, OccurTime: occur,
			Refund: DuesEntry(&e.Refund), Payment: DuesEntry(&e.Of)}
		audited(subjectDuesReceipt, e.Refund.ReceiptID, e.Refund.OrganisationID,
			&pb.RefundDuesPaymentResponse{Refund: DuesEntry(&e.Refund)}, false)
	case dues.PaymentCorrected:
		subject, msg = SubjectDuesPaymentCorrected, &pb.DuesPaymentCorrected{EventId: id, OccurTime: occur,
			Reversal: DuesEntry(&e.Reversal), Payment: DuesEntry(&e.Of), Replacement: DuesEntry(e.Replacement)}
		audited(subjectDuesReceipt, e.Reversal.ReceiptID, e.Reversal.OrganisationID,
			&pb.CorrectDuesPaymentResponse{Reversal: DuesEntry(&e.Reversal), Replacement: DuesEntry(e.Replacement)}, false)
	case transfer.JobStarted:
		j := e.Job
		audited(subjectTransferJob, j.ID, j.OrganisationID, map[string]any{"organisation_id": j.OrganisationID,
			"subtree": j.Subtree, "to_organisation_id": j.ToOrgID, "reason": j.Reason, "total": j.Total}, false)
	case transfer.MemberSkipped:
		o := e.Outcome
		audited(subjectTransferJob, o.JobID, e.Job.OrganisationID, map[string]any{"member_id": o.MemberID,
			"result": o.Result, "reason": o.Reason, "detail": o.Detail}, false)

	case participation.Flagged:
		f := LostContact(e.Flag)
		subject, msg = SubjectMemberLostContact, &pb.MemberLostContact{EventId: id, OccurTime: occur, Member: f}
		audited(subjectLostContact, e.Flag.MemberID, e.Flag.OrganisationID, f, false)
	case participation.Cleared:
		subject, msg = SubjectMemberContactRegained, &pb.MemberContactRegained{EventId: id, OccurTime: occur,
			MemberId: e.Flag.MemberID, OrganisationId: e.Flag.OrganisationID, By: e.Flag.ClearedBy, FlagTime: ts(e.Flag.Flagged)}
		audited(subjectLostContact, e.Flag.MemberID, e.Flag.OrganisationID, msg, false)

	case mobile.Registered:
		rec := MobileRecord(e.Record, time.Time{}, false)
		subject, msg = SubjectMobileOutflowRegistered, &pb.MobileOutflowRegistered{EventId: id, OccurTime: occur, Record: rec}
		if e.Record.Direction == mobile.Inflow {
			subject, msg = SubjectMobileInflowRegistered, &pb.MobileInflowRegistered{EventId: id, OccurTime: occur, Record: rec}
		}
		ofMobile(e.Record)
	case mobile.Granted:
		subject, msg = SubjectMobileGranted, &pb.MobileTemporaryRelationshipGranted{EventId: id, OccurTime: occur,
			Record: MobileRecord(e.Record, time.Time{}, false), CertificateNumber: e.Record.Temporary.CertificateNumber}
		ofMobile(e.Record)
	case mobile.ContactLogged:
		subject, msg = SubjectMobileContactLogged, &pb.MobileContactLogged{EventId: id, OccurTime: occur,
			Contact: ContactEntry(e.Entry, false), MemberId: e.Record.MemberID}
		audited(subjectMobile, e.Record.ID, e.Record.OwnerOrgID(), ContactEntry(e.Entry, true), false)
	case mobile.ContactOverdue:
		rec := e.Record
		host := rec.Temporary.OrgID
		if host == "" {
			host = rec.HostOrgID
		}
		subject, msg = SubjectMobileContactOverdue, &pb.MobileContactOverdue{EventId: id, OccurTime: occur, RecordId: rec.ID,
			MemberId: rec.MemberID, HomeOrganisationId: rec.HomeOrgID, HostOrganisationId: host, Period: int32(e.Period),
			DueTime: ts(e.Due), LastReportTime: ts(rec.LastReport)}
		audited(subjectMobile, rec.ID, rec.OwnerOrgID(), map[string]any{"overdue_period": e.Period,
			"due_time": e.Due.Format(time.RFC3339), "next_overdue_time": rec.NextOverdue.Format(time.RFC3339)}, true)
	case mobile.MobilityEnded:
		if e.Record.State != mobile.Ended {
			return r, fmt.Errorf("pbconv: a mobility ended in state %s", e.Record.State)
		}
		subject, msg = SubjectMobilityEnded, &pb.MobilityEnded{EventId: id, OccurTime: occur,
			Record: MobileRecord(e.Record, time.Time{}, false), Outcome: MobilityOutcome(e.Record.Ending.Outcome),
			TransferRequested: e.Record.TransferRequested()}
		ofMobile(e.Record)
	case mobile.GroupRegistered:
		audited(subjectMobileGroup, e.Group.ID, e.Group.HomeOrgID, MobileGroup(e.Group), false)
	case mobile.GroupGranted:
		audited(subjectMobileGroup, e.Group.ID, e.Group.HomeOrgID, MobileGroup(e.Group), true)

	case reporting.CommunityRegistered:
		reg := e.Registration
		subject, msg = SubjectInServiceRegistered, &pb.InServiceRegistered{EventId: id, OccurTime: occur, Registration: Registration(reg)}
		audited(subjectRegistration, reg.ID, reg.CommunityID, Registration(reg), false)
	case reporting.RegistrationEnded:
		reg := e.Registration
		subject, msg = SubjectInServiceRegistrationEnded, &pb.InServiceRegistrationEnded{EventId: id, OccurTime: occur,
			Registration: Registration(reg)}
		before := Registration(reg)
		before.EndDate, before.EndReason, before.UpdateTime = "", "", nil
		audited(subjectRegistration, reg.ID, reg.CommunityID, Registration(reg), false)
		r.Audit.Before = before
	case reporting.PostCreated:
		audited(subjectPost, e.Post.ID, e.Post.CommunityID, Post(e.Post), false)
	case reporting.PostClaimed:
		subject, msg = SubjectServicePostClaimed, &pb.ServicePostClaimed{EventId: id, OccurTime: occur, Claim: Claim(e.Claim)}
		audited(subjectClaim, e.Claim.ID, e.Claim.CommunityID, Claim(e.Claim), false)
	case reporting.PostReleased:
		subject, msg = SubjectServicePostReleased, &pb.ServicePostReleased{EventId: id, OccurTime: occur, Claim: Claim(e.Claim)}
		before := Claim(e.Claim)
		before.ReleaseTime = nil
		audited(subjectClaim, e.Claim.ID, e.Claim.CommunityID, Claim(e.Claim), false)
		r.Audit.Before = before
	case reporting.CardEntryAdded:
		audited(subjectCardEntry, e.Entry.ID, e.Entry.CommunityID, CardEntry(e.Entry), false)
	case reporting.SettingsSet:
		audited(subjectSettings, e.After.DistrictID, e.After.DistrictID, ReportingSettings(e.After), false)
		r.Audit.Before = ReportingSettings(e.Before)
	case reporting.FeedbackSent:
		subject, msg = SubjectInServiceFeedbackSent, &pb.InServiceFeedbackSent{EventId: id, OccurTime: occur,
			OrganisationId: e.Rating.OrganisationID, Rating: Rating(e.Rating), Totals: CardTotals(e.Card.Totals),
			QuartersMeetingContacts: e.Card.QuartersMeetingContacts(), MeetsActivities: e.Card.MeetsActivities,
			Settings: ReportingSettings(e.Card.Settings)}
		audited(subjectRating, e.Rating.ID, e.Rating.CommunityID, Rating(e.Rating), false)
	case reporting.StarRatingSet:
		set := &pb.StarRatingSet{EventId: id, OccurTime: occur, Rating: StarRating(e.Rating), CurrentStars: e.Current}
		subject, msg = SubjectStarRatingSet, set
		audited(subjectStarRating, e.Rating.ID, e.Rating.OrganisationID,
			&pb.StarRatingSet{Rating: StarRating(e.Rating), CurrentStars: e.Current}, false)
	case reporting.StarsChanged:
		// The StarRatingSet of its transaction records the change.
		subject, msg = SubjectUpdated, &pb.MemberUpdated{EventId: id, OccurTime: occur, Member: Member(e.Member, IDOmitted),
			Changed: &fieldmaskpb.FieldMask{Paths: []string{"star_rating"}}}
	case reporting.AppraisalRecorded:
		subject, msg = SubjectAppraisalRecorded, &pb.AppraisalRecorded{EventId: id, OccurTime: occur, Appraisal: Appraisal(e.Appraisal)}
		audited(subjectAppraisal, e.Appraisal.ID, e.Appraisal.OrganisationID, Appraisal(e.Appraisal), false)

	default:
		return r, fmt.Errorf("pbconv: no record of %T", e)
	}
	if subject != "" {
		r.Outbox = outbox.Event{ID: id, Subject: subject, AggregateID: e.AggregateID(), Message: msg}
	}
	return r, nil
}

// Snapshot is the key and the state of a subject as its audit records
// show it, kept by the store when a transaction first locks the subject:
// the Before of the records of its changes. ok is false for a subject
// that has none.
func Snapshot(subject any) (key string, state proto.Message, ok bool) {
	switch s := subject.(type) {
	case *member.Member:
		return snapshotKey(subjectMember, s.ID), Member(s, IDOmitted), true
	case *transfer.Transfer:
		return snapshotKey(subjectTransfer, s.ID), Transfer(s), true
	case *mobile.Record:
		return snapshotKey(subjectMobile, s.ID), MobileRecord(s, time.Time{}, true), true
	case *mobile.Group:
		return snapshotKey(subjectMobileGroup, s.ID), MobileGroup(s), true
	}
	return "", nil, false
}

func snapshotKey(kind, id string) string { return kind + "/" + id }

// categoryRecord is a category as an audit record shows it.
func categoryRecord(c member.Category) map[string]any {
	return map[string]any{"category_code": c.Code, "category_name": c.Name, "category_overridden": c.Overridden}
}

// memberLeft is the message of MemberLeft.
func memberLeft(e member.MemberLeft, id string, at time.Time) *pb.MemberLeft {
	out := &pb.MemberLeft{EventId: id, OccurTime: ts(at), Member: Member(e.Member, IDOmitted), TransferId: e.TransferID}
	if l := e.Member.Left; l != nil {
		out.Kind, out.Date = LeavingKind(l.Kind), date(l.Date)
	}
	return out
}

func membersImported(e member.Imported, id string, occur *timestamppb.Timestamp) *pb.MembersImported {
	out := &pb.MembersImported{EventId: id, OccurTime: occur, JobId: e.JobID, OrganisationId: e.OrganisationID,
		DistrictId: e.DistrictID, Members: make([]*pb.Member, len(e.Members))}
	for i, m := range e.Members {
		out.Members[i] = &pb.Member{Id: m.ID, OrganisationId: e.OrganisationID, DistrictId: e.DistrictID,
			Status: pb.MemberStatus(pb.MemberStatus_value["MEMBER_STATUS_"+m.Status]), CategoryCode: m.CategoryCode}
	}
	return out
}
