package dues

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/replay"
	"gongjian.dev/services/member/internal/member"
)

// thisMonth is the month the city is in now.
func (s *Service) thisMonth() time.Time { return Month(s.clock.Today()) }

// Declare records a member's declared monthly income and employment
// status, in force from its month (this month when zero) until a later
// declaration's. Earlier declarations stay as they were. A request id seen
// before returns the declaration it recorded.
func (s *Service) Declare(ctx context.Context, d Declaration, requestID string, a member.Actor) (*Declaration, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if d.EffectiveMonth.IsZero() {
		d.EffectiveMonth = s.thisMonth()
	}
	if d.EffectiveMonth.After(s.thisMonth().AddDate(0, 1, 0)) {
		return nil, errs.Field(ErrInvalid, "effective_month", "at most next month")
	}
	if len([]rune(d.Note)) > 500 {
		return nil, errs.Field(ErrInvalid, "note", "at most 500 characters")
	}
	var out *Declaration
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("declare_income", requestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.Declaration); err != nil || seen {
			return err
		}
		m, err := member.Live(tx.Lock(ctx, d.MemberID))
		if err != nil {
			return err
		}
		now := s.clock.Now()
		d.ID, d.OrganisationID, d.DeclaredBy, d.Declared = member.NewID(), m.OrganisationID, a.Subject, now
		if err := tx.InsertDeclaration(ctx, &d); err != nil {
			return err
		}
		out = &d
		if err := tx.RememberRequest(ctx, key, d.ID); err != nil {
			return err
		}
		return tx.Emit(ctx, IncomeDeclared{Declaration: out}, now)
	})
	return out, err
}

// check names the fields of a declaration the bands cannot take.
func (d *Declaration) check() error {
	v := errs.NewValidation(ErrInvalid)
	if d.MonthlyIncomeFen < 0 || d.MonthlyIncomeFen > maxIncomeFen {
		v.Add("declaration.monthly_income_fen", "%s", "0 to 1,000,000,000 fen (ten million yuan)")
	}
	if _, err := Defaults("").Compute(Income{EmploymentStatus: d.EmploymentStatus, MinimumLivingAllowance: d.MinimumLivingAllowance}); err != nil {
		v.Add("declaration.employment_status", "%s", "employed, self-employed, retired, laid off, unemployed or student: the bands need to know which")
	}
	return v.Err()
}

// Exempt records a hardship exemption of a member's dues for the months
// From to To (open when zero): who decided and why are required.
func (s *Service) Exempt(ctx context.Context, e Exemption, requestID string, a member.Actor) (*Exemption, error) {
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(e.Reason) == "" || len([]rune(e.Reason)) > 500 {
		v.Add("exemption.reason", "%s", "why the member is exempted, 1 to 500 characters")
	}
	if strings.TrimSpace(e.DecidedBy) == "" || len([]rune(e.DecidedBy)) > 200 {
		v.Add("exemption.decided_by", "%s", "who decided (the branch committee's meeting, a person), 1 to 200 characters")
	}
	if e.From.IsZero() {
		v.Add("exemption.from_month", "%s", "required")
	}
	if !e.To.IsZero() && e.To.Before(e.From) {
		v.Add("exemption.to_month", "%s", "not before from_month")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var out *Exemption
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("exempt_dues", requestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.Exemption); err != nil || seen {
			return err
		}
		m, err := member.Live(tx.Lock(ctx, e.MemberID))
		if err != nil {
			return err
		}
		now := s.clock.Now()
		e.ID, e.OrganisationID, e.RecordedBy, e.Recorded = member.NewID(), m.OrganisationID, a.Subject, now
		if err := tx.InsertExemption(ctx, &e); err != nil {
			return err
		}
		out = &e
		if err := tx.RememberRequest(ctx, key, e.ID); err != nil {
			return err
		}
		return tx.Emit(ctx, ExemptionGranted{Exemption: out}, now)
	})
	return out, err
}

// Generate bills a branch's members for a month that has begun, by its
// district's bands: one bill line per member the branch bills that month
// who has none yet, all written in one statement. With subtree, every
// organisation under orgID (inside one district) is billed in the same
// statement. Generating a month again makes nothing new; a member who
// declares later is billed by the next generation. One event (and audit
// record) per generation that made bills. Generations of one month
// follow one another (BillCandidates takes the month's lock); those of
// different months, of one organisation too, run side by side: the
// organisation is read, not locked.
func (s *Service) Generate(ctx context.Context, orgID string, subtree bool, month time.Time, a member.Actor) (*Batch, error) {
	if month.After(s.thisMonth()) {
		return nil, errs.Field(ErrMonthAhead, "month", "bills are generated for this month or an earlier one")
	}
	var out *Batch
	err := s.store.InTx(ctx, func(tx Tx) error {
		o, err := tx.Org(ctx, orgID)
		if errors.Is(err, member.ErrOrgNotFound) {
			return errs.Field(member.ErrOrgNotFound, "organisation_id", "no organisation has this id")
		}
		if err != nil {
			return err
		}
		switch {
		case subtree && o.DistrictID == "":
			return errs.Field(ErrOutsideDistrict, "organisation_id", "a subtree is billed inside one district, by its bands")
		case !subtree:
			if err := member.CheckHolds(o, "organisation_id"); err != nil {
				return err
			}
		}
		settings, err := tx.DuesSettings(ctx, o.DistrictID)
		if err != nil {
			return err
		}
		cands, err := tx.BillCandidates(ctx, o.ID, subtree, month, s.clock.Location())
		if err != nil {
			return err
		}
		now := s.clock.Now()
		out = &Batch{ID: member.NewID(), OrganisationID: o.ID, Subtree: subtree, DistrictID: o.DistrictID, Month: month,
			SettingsVersion: settings.Version, By: a.Subject, At: now, Bills: make([]Bill, 0, len(cands))}
		for _, c := range cands {
			b, ok := settings.BillLine(c)
			if !ok {
				out.Undeclared = append(out.Undeclared, c.MemberID)
				continue
			}
			// The store names each line when it writes its sheet.
			b.OrganisationID, b.Month, b.BatchID, b.Created = c.OrganisationID, month, out.ID, now
			out.Bills = append(out.Bills, b)
		}
		slices.Sort(out.Undeclared)
		if len(out.Bills) == 0 {
			return nil
		}
		if err := tx.InsertBills(ctx, out); err != nil {
			return err
		}
		for _, b := range out.Bills {
			out.TotalFen += b.AmountFen
		}
		return tx.Emit(ctx, BillsGenerated{Batch: out}, now)
	})
	return out, err
}

// PaymentRequest pays bills of one branch's members in full.
type PaymentRequest struct {
	OrganisationID string
	BillIDs        []string
	Method         string
	PaidOn         time.Time
	ReceiptNumber  string
	RequestID      string
}

// maxBillsPaid bounds the bills one payment pays: two years of one member,
// or a branch's month paid on behalf.
const maxBillsPaid = 200

func (r PaymentRequest) check(today time.Time) error {
	v := errs.NewValidation(ErrInvalid)
	if len(r.BillIDs) == 0 || len(r.BillIDs) > maxBillsPaid {
		v.Add("bill_ids", "1 to %d bills", maxBillsPaid)
	}
	for i, id := range r.BillIDs {
		if slices.Index(r.BillIDs, id) != i {
			v.Add("bill_ids["+strconv.Itoa(i)+"]", "%s", "named twice")
		}
	}
	checkMethod(v, "method", r.Method)
	checkDay(v, "paid_on", r.PaidOn, today)
	if strings.TrimSpace(r.ReceiptNumber) == "" || len(r.ReceiptNumber) > 64 {
		v.Add("receipt_number", "%s", "the receipt's number, 1 to 64 characters")
	}
	return v.Err()
}

func checkMethod(v interface {
	Add(field, format string, args ...any)
}, field, method string) {
	if method != Cash && method != BankTransfer && method != OnBehalf {
		v.Add(field, "%s", "cash, bank transfer or paid on behalf by the branch")
	}
}

func checkDay(v interface {
	Add(field, format string, args ...any)
}, field string, day, today time.Time) {
	switch {
	case day.IsZero():
		v.Add(field, "%s", "required")
	case day.After(today):
		v.Add(field, "%s", "not in the future")
	}
}

// Pay records the payment of bills of the branch's members, each paid in
// full, in one transaction with its event. A bill of another branch, or
// one already paid, is refused naming it, and nothing is written. A
// request id seen before returns the entries it recorded.
func (s *Service) Pay(ctx context.Context, r PaymentRequest, a member.Actor) ([]Entry, error) {
	if err := r.check(s.clock.Today()); err != nil {
		return nil, err
	}
	var out []Entry
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("pay_dues", r.RequestID)
		if seen, err := replay.Seen(ctx, tx, key, &out, tx.Receipt); err != nil || seen {
			return err
		}
		bills, err := tx.LockBills(ctx, r.BillIDs)
		if err != nil {
			return err
		}
		now, receipt := s.clock.Now(), member.NewID()
		for i, id := range r.BillIDs {
			field := "bill_ids[" + strconv.Itoa(i) + "]"
			b, ok := bills[id]
			switch {
			case !ok:
				return errs.Field(ErrBillNotFound, field, "no bill has this id")
			case b.OrganisationID != r.OrganisationID:
				return errs.Field(ErrOtherBranch, field, "the bill of another branch's member")
			case b.Owed() <= 0:
				return errs.Field(ErrBillPaid, field, "the bill owes nothing")
			}
			out = append(out, Entry{ID: member.NewID(), ReceiptID: receipt, BillID: b.ID, MemberID: b.MemberID,
				OrganisationID: b.OrganisationID, Month: b.Month, Kind: Payment, Method: r.Method, AmountFen: b.Owed(),
				PaidOn: r.PaidOn, ReceiptNumber: r.ReceiptNumber, RecordedBy: a.Subject, Recorded: now})
		}
		if err := tx.InsertEntries(ctx, out); err != nil {
			return err
		}
		if err := tx.RememberRequest(ctx, key, receipt); err != nil {
			return err
		}
		if s.paid != nil {
			ids := make([]string, len(out))
			for i, e := range out {
				ids[i] = e.MemberID
			}
			if err := s.paid(ctx, tx, ids); err != nil {
				return err
			}
		}
		return tx.Emit(ctx, PaymentRecorded{Entries: out}, now)
	})
	return out, err
}

// ReversalRequest refunds or corrects one payment entry of a branch.
type ReversalRequest struct {
	OrganisationID string
	PaymentID      string
	Reason         string
	// Method and On are how and when a refund was paid back (the
	// payment's method when empty; today when zero).
	Method        string
	On            time.Time
	ReceiptNumber string
	RequestID     string
	// Replacement is, for a correction, the payment as it should have been
	// recorded (its day, method and receipt number); nil when the payment
	// should not have been recorded at all.
	Replacement *PaymentRequest
}

// Refund pays back a payment: a new entry reversing it, with the reason.
func (s *Service) Refund(ctx context.Context, r ReversalRequest, a member.Actor) (*Entry, Entry, error) {
	out, of, _, err := s.reverse(ctx, r, Refund, a)
	return out, of, err
}

// Correct reverses a payment recorded wrongly and, when Replacement is
// given, records it again as it should have been, in one transaction.
func (s *Service) Correct(ctx context.Context, r ReversalRequest, a member.Actor) (*Entry, Entry, *Entry, error) {
	return s.reverse(ctx, r, Correction, a)
}

func (s *Service) reverse(ctx context.Context, r ReversalRequest, kind string, a member.Actor) (*Entry, Entry, *Entry, error) {
	today := s.clock.Today()
	v := errs.NewValidation(ErrInvalid)
	if strings.TrimSpace(r.Reason) == "" || len([]rune(r.Reason)) > 500 {
		v.Add("reason", "%s", "why, 1 to 500 characters")
	}
	if r.Method != "" {
		checkMethod(v, "method", r.Method)
	}
	if r.On.IsZero() {
		r.On = today
	}
	checkDay(v, "refunded_on", r.On, today)
	if rep := r.Replacement; rep != nil {
		checkMethod(v, "replacement.method", rep.Method)
		checkDay(v, "replacement.paid_on", rep.PaidOn, today)
		if strings.TrimSpace(rep.ReceiptNumber) == "" || len(rep.ReceiptNumber) > 64 {
			v.Add("replacement.receipt_number", "%s", "the receipt's number, 1 to 64 characters")
		}
	}
	if err := v.Err(); err != nil {
		return nil, Entry{}, nil, err
	}
	var (
		out, replacement *Entry
		of               Entry
	)
	err := s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("reverse_dues_"+kind, r.RequestID)
		var seen []Entry
		if ok, err := replay.Seen(ctx, tx, key, &seen, tx.Receipt); err != nil || ok {
			if ok && len(seen) > 0 {
				out = &seen[0]
				if len(seen) > 1 {
					replacement = &seen[1]
				}
				p, err := tx.LockEntry(ctx, out.Reverses)
				if err == nil {
					of = *p
				}
				return err
			}
			return err
		}
		p, err := tx.LockEntry(ctx, r.PaymentID)
		if err != nil {
			return errs.Field(ErrBillNotFound, "payment_id", "no payment has this id")
		}
		if p.OrganisationID != r.OrganisationID {
			return errs.Field(ErrOtherBranch, "payment_id", "the payment of another branch's member")
		}
		if p.Kind != Payment {
			return errs.Field(ErrReversed, "payment_id", "a refund or correction is not reversed; record a payment")
		}
		if done, err := tx.Reversed(ctx, p.ID); err != nil || done {
			if done {
				return errs.Field(ErrReversed, "payment_id", "already refunded or corrected")
			}
			return err
		}
		if _, err := tx.LockBills(ctx, []string{p.BillID}); err != nil {
			return err
		}
		of = *p
		now, receipt := s.clock.Now(), member.NewID()
		method := r.Method
		if method == "" {
			method = p.Method
		}
		rev := Entry{ID: member.NewID(), ReceiptID: receipt, BillID: p.BillID, MemberID: p.MemberID,
			OrganisationID: p.OrganisationID, Month: p.Month, Kind: kind, Method: method, AmountFen: -p.AmountFen,
			PaidOn: r.On, ReceiptNumber: r.ReceiptNumber, Reverses: p.ID, Reason: r.Reason, RecordedBy: a.Subject, Recorded: now}
		entries := []Entry{rev}
		if rep := r.Replacement; kind == Correction && rep != nil {
			entries = append(entries, Entry{ID: member.NewID(), ReceiptID: receipt, BillID: p.BillID, MemberID: p.MemberID,
				OrganisationID: p.OrganisationID, Month: p.Month, Kind: Payment, Method: rep.Method, AmountFen: p.AmountFen,
				PaidOn: rep.PaidOn, ReceiptNumber: rep.ReceiptNumber, Reason: r.Reason, RecordedBy: a.Subject, Recorded: now})
		}
		if err := tx.InsertEntries(ctx, entries); err != nil {
			return err
		}
		out = &entries[0]
		if len(entries) > 1 {
			replacement = &entries[1]
		}
		if err := tx.RememberRequest(ctx, key, receipt); err != nil {
			return err
		}
		if kind == Refund {
			return tx.Emit(ctx, PaymentRefunded{Refund: *out, Of: of}, now)
		}
		return tx.Emit(ctx, PaymentCorrected{Reversal: *out, Of: of, Replacement: replacement}, now)
	})
	return out, of, replacement, err
}

// Bills lists a branch's bill lines of a month: its monthly ledger.
func (s *Service) Bills(ctx context.Context, f BillFilter) ([]Bill, string, error) {
	f.Page = f.Page.Bounded()
	return s.store.ListBills(ctx, f)
}

// Arrears lists the members of a branch (or its subtree) who owe, with the
// months they owe and how much.
func (s *Service) Arrears(ctx context.Context, f ArrearsFilter) ([]Arrears, string, error) {
	f.Page = f.Page.Bounded()
	return s.store.ListArrears(ctx, f)
}

// StatementOf is a member's dues for a year (this year when 0).
func (s *Service) StatementOf(ctx context.Context, memberID string, year int) (*Statement, error) {
	if year == 0 {
		year = s.thisMonth().Year()
	}
	if year < 1900 || year > s.thisMonth().Year()+1 {
		return nil, errs.Field(ErrInvalid, "year", "a year up to next year")
	}
	m, err := s.store.Get(ctx, memberID)
	if err != nil {
		return nil, err
	}
	st := &Statement{Member: m, Year: year}
	if err := s.store.Statement(ctx, st); err != nil {
		return nil, err
	}
	for _, b := range st.Bills {
		st.BilledFen += b.AmountFen
		st.PaidFen += b.PaidFen
	}
	st.OwedFen = st.BilledFen - st.PaidFen
	return st, nil
}
