package roster

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

// Request is a roster file to register (DOMAIN §2: communities keep
// their members in spreadsheets; the city imports thousands at a time).
type Request struct {
	Content []byte
	Format  string // FormatDetect, FormatCSV or FormatXLSX
	// OrganisationID is where the members join unless a row names another.
	OrganisationID string
	// WithinID is the caller's scope: a row naming an organisation outside
	// it is refused as if the organisation did not exist.
	WithinID  string
	DryRun    bool
	RequestID string
	Actor     member.Actor
}

// The outcomes of a row.
const (
	OutcomeTaken             = "TAKEN"
	OutcomeRefused           = "REFUSED"
	OutcomeAlreadyRegistered = "ALREADY_REGISTERED"
)

// Report is what an import did with each row. It names rows,
// members, organisations and problems, never an ID number or a name, so
// it can be kept and shown again.
type Report struct {
	ID                string    `json:"id"`
	DryRun            bool      `json:"dry_run"`
	Taken             int       `json:"taken"`
	Refused           int       `json:"refused"`
	AlreadyRegistered int       `json:"already_registered"`
	Rows              []Row     `json:"rows"`
	Created           time.Time `json:"created"`
}

// Row is the outcome of one row, numbered as in the file.
type Row struct {
	Row            int       `json:"row"`
	Outcome        string    `json:"outcome"`
	MemberID       string    `json:"member_id,omitempty"`
	OrganisationID string    `json:"organisation_id,omitempty"`
	Problems       []Problem `json:"problems,omitempty"`
	// Seq is a bulk import's own number of the row, which pages its report.
	Seq int64 `json:"-"`
}

// importRow is a row being imported: the member it reads as and what is
// wrong with it so far.
type importRow struct {
	n        int
	m        *member.Member
	problems rowProblems
}

// Import registers the members of a roster. Every row is read and checked
// first; then, in one transaction, the rows that are fine are registered
// as Create registers one member (classified, published, audited, with
// the count of each organisation published once), and the others are
// refused with every problem they have. The number's uniqueness is the
// database's to keep: a number another call registers while the import
// runs makes its row refused, never a second live member. A request id
// seen before returns the report of the first import.
func (s *Service) Import(ctx context.Context, req Request) (*Report, error) {
	today := s.clock.Today()
	rows, err := readRows(req, today)
	if err != nil {
		return nil, err
	}
	var report *Report
	err = s.store.InTx(ctx, func(tx Tx) error {
		key := replay.Key("import_members", req.RequestID)
		if req.DryRun {
			key = ""
		}
		if seen, err := replay.Seen(ctx, tx, key, &report, tx.ImportReport); err != nil || seen {
			return err
		}
		imp := &importRun{svc: s, tx: tx, req: req, rows: cloneRows(rows), now: s.clock.Now()}
		if err := imp.run(ctx); err != nil {
			return err
		}
		report = imp.report()
		if req.DryRun {
			return nil
		}
		report.ID = member.NewID()
		if err := tx.SaveImport(ctx, report, req.Actor.Subject); err != nil {
			return err
		}
		return tx.RememberRequest(ctx, key, report.ID)
	})
	return report, err
}

// readRows reads and checks every row of a roster, on its own and against
// the other rows: a number on two rows is refused on both, since which
// one is right cannot be told.
func readRows(req Request, today time.Time) ([]*importRow, error) {
	t, err := readTable(req.Content, req.Format)
	if err != nil {
		return nil, err
	}
	l, err := layoutOf(t.header)
	if err != nil {
		return nil, err
	}
	missing := l.missing()
	r := rowReader{layout: l, serials: t.serialDates, defaultOrg: req.OrganisationID}
	rows := make([]*importRow, len(t.rows))
	byID := map[string][]int{}
	for i, tr := range t.rows {
		m, problems := r.member(tr.cells, today)
		rows[i] = &importRow{n: tr.n, m: m, problems: append(slices.Clone(rowProblems(missing)), problems...)}
		if member.ValidateNationalID(m.NationalID, time.Time{}) == nil {
			byID[m.NationalID] = append(byID[m.NationalID], i)
		}
	}
	for _, same := range byID {
		if len(same) < 2 {
			continue
		}
		for _, i := range same {
			var others []string
			for _, j := range same {
				if j != i {
					others = append(others, strconv.Itoa(rows[j].n))
				}
			}
			rows[i].problems.add("national_id", "the same ID number is on row %s of the file", strings.Join(others, ", "))
		}
	}
	return rows, nil
}

// cloneRows copies the rows for one attempt of the transaction, which may
// run again after a deadlock.
func cloneRows(rows []*importRow) []*importRow {
	out := make([]*importRow, len(rows))
	for i, r := range rows {
		m := *r.m
		out[i] = &importRow{n: r.n, m: &m, problems: slices.Clone(r.problems)}
	}
	return out
}

// importRun is one attempt at an import, inside its transaction.
type importRun struct {
	svc  *Service
	tx   Tx
	req  Request
	rows []*importRow
	now  time.Time
	// outcome of the rows that are not refused, by index.
	already map[int]string // member id
	taken   map[int]bool
}

func (r *importRun) run(ctx context.Context) error {
	r.already, r.taken = map[int]string{}, map[int]bool{}
	orgs, err := r.checkOrgs(ctx)
	if err != nil {
		return err
	}
	if err := r.checkHolders(ctx, r.numbered()); err != nil {
		return err
	}
	var news []*member.Member
	byMember := map[string]int{}
	classifiers := map[string]*member.Classifier{}
	for _, i := range r.fine() {
		m, o := r.rows[i].m, orgs[r.rows[i].m.OrganisationID]
		m.ID, m.Version, m.Created, m.Updated = member.NewID(), 1, r.now, r.now
		m.DistrictID, m.Path, m.Category = o.DistrictID, o.Path, member.Category{}
		c, ok := classifiers[m.DistrictID]
		if !ok {
			if c, err = member.ClassifierFor(ctx, r.tx, m.DistrictID); err != nil {
				return err
			}
			classifiers[m.DistrictID] = c
		}
		cat, _ := c.Classify(m, r.svc.clock.Today())
		m.Category = member.Category{Code: cat.Code, Name: cat.Name}
		news = append(news, m)
		byMember[m.ID] = i
	}
	if r.req.DryRun {
		for _, i := range byMember {
			r.taken[i] = true
		}
		return nil
	}
	return r.write(ctx, news, byMember)
}

// write registers the members, publishes them and the counts.
func (r *importRun) write(ctx context.Context, news []*member.Member, byMember map[string]int) error {
	written, err := r.tx.InsertMembers(ctx, news)
	if err != nil {
		return err
	}
	var registered, lost []*member.Member
	for _, m := range news {
		if written[m.ID] {
			registered = append(registered, m)
			r.taken[byMember[m.ID]] = true
		} else {
			lost = append(lost, m)
		}
	}
	if len(lost) > 0 {
		var idx []int
		for _, m := range lost {
			idx = append(idx, byMember[m.ID])
		}
		if err := r.checkHolders(ctx, idx); err != nil {
			return err
		}
		for _, i := range idx {
			if _, ok := r.already[i]; !ok && len(r.rows[i].problems) == 0 {
				r.rows[i].problems.add("national_id", "the number was registered by another call during the import")
			}
		}
	}
	if err := r.tx.EmitRegistered(ctx, registered, r.now); err != nil {
		return err
	}
	var counted []string
	for _, m := range registered {
		if !slices.Contains(counted, m.OrganisationID) {
			counted = append(counted, m.OrganisationID)
		}
	}
	slices.Sort(counted)
	for _, id := range counted {
		if err := r.svc.members.Recount(ctx, r.tx, id, r.now); err != nil {
			return err
		}
	}
	return nil
}

// numbered are the indexes of the rows with a number that could be read.
func (r *importRun) numbered() []int {
	var out []int
	for i, row := range r.rows {
		if row.m.NationalID != "" && !row.hasProblem("national_id") {
			out = append(out, i)
		}
	}
	return out
}

// fine are the indexes of the rows without problems and not registered.
func (r *importRun) fine() []int {
	var out []int
	for i, row := range r.rows {
		if _, done := r.already[i]; !done && len(row.problems) == 0 {
			out = append(out, i)
		}
	}
	return out
}

// checkOrgs finds (and, unless a dry run, locks, so that the counts are
// exact) the organisations the rows join, refusing the rows whose
// organisation is missing, outside the caller's scope, or unable to hold
// memberships.
func (r *importRun) checkOrgs(ctx context.Context) (map[string]*member.Org, error) {
	var ids []string
	for _, row := range r.rows {
		if id := row.m.OrganisationID; id != "" && !slices.Contains(ids, id) && !row.hasProblem("organisation_id") {
			ids = append(ids, id)
		}
	}
	orgs, err := r.tx.Orgs(ctx, ids, !r.req.DryRun)
	if err != nil {
		return nil, err
	}
	var root *member.Org
	if r.req.WithinID != "" {
		// A scope the view does not know holds nothing.
		if root, err = r.tx.Org(ctx, r.req.WithinID); errors.Is(err, member.ErrOrgNotFound) {
			root, err = &member.Org{Path: "\x00"}, nil
		}
		if err != nil {
			return nil, err
		}
	}
	for _, row := range r.rows {
		if row.hasProblem("organisation_id") {
			continue
		}
		o, ok := orgs[row.m.OrganisationID]
		if !ok || (root != nil && !strings.HasPrefix(o.Path, root.Path)) {
			row.problems.add("organisation_id", "no organisation has this id")
			continue
		}
		if err := member.CheckHolds(o, "organisation_id"); err != nil {
			row.problems.add("organisation_id", "%s", violationOf(err))
		}
	}
	return orgs, nil
}

// checkHolders looks up who holds the numbers of rows idx: a live member
// of the organisation a row joins makes it registered already (a problem
// only when the row has others: then the roster and the register
// disagree); one elsewhere refuses it, naming the district, as Create
// does.
func (r *importRun) checkHolders(ctx context.Context, idx []int) error {
	if len(idx) == 0 {
		return nil
	}
	numbers := make([]string, len(idx))
	for k, i := range idx {
		numbers[k] = r.rows[i].m.NationalID
	}
	holders, err := r.tx.LiveHolders(ctx, numbers)
	if err != nil {
		return err
	}
	former, err := r.tx.FormerlyHeld(ctx, numbers)
	if err != nil {
		return err
	}
	districts := map[string]string{}
	for _, i := range idx {
		row := r.rows[i]
		h, ok := holders[row.m.NationalID]
		switch {
		case !ok && former[row.m.NationalID]:
			// A number whose holder died, or left the party (a readmission
			// joins after the leaving), as CreateMember checks it.
			if err := r.svc.members.CheckFormerHolders(ctx, r.tx, row.m); err != nil {
				e, isDomain := errs.As(err)
				if !isDomain || len(e.Violations) == 0 {
					return err
				}
				row.problems.add(strings.TrimPrefix(e.Violations[0].Field, "member."), "%s", e.Violations[0].Description)
			}
		case !ok:
		case h.OrganisationID == row.m.OrganisationID && len(row.problems) == 0:
			r.already[i] = h.MemberID
		case h.OrganisationID == row.m.OrganisationID:
			row.problems.add("national_id", "already registered in this organisation")
		default:
			where, ok := districts[h.DistrictID]
			if !ok {
				where = "another district"
				if d, err := r.tx.Org(ctx, h.DistrictID); err == nil && d.Name != "" {
					where = d.Name
				}
				districts[h.DistrictID] = where
			}
			row.problems.add("national_id", "already registered in %s", where)
		}
	}
	return nil
}

func (row *importRow) hasProblem(field string) bool {
	return slices.ContainsFunc(row.problems, func(p Problem) bool { return p.Field == field })
}

// violationOf is the description of an error's first field violation.
func violationOf(err error) string {
	if e, ok := errs.As(err); ok && len(e.Violations) > 0 {
		return e.Violations[0].Description
	}
	return err.Error()
}

// report is what the run did with each row.
func (r *importRun) report() *Report {
	rep := &Report{DryRun: r.req.DryRun, Created: r.now, Rows: make([]Row, len(r.rows))}
	for i, row := range r.rows {
		out := Row{Row: row.n, OrganisationID: row.m.OrganisationID}
		switch id, already := r.already[i]; {
		case already:
			out.Outcome, out.MemberID = OutcomeAlreadyRegistered, id
			rep.AlreadyRegistered++
		case r.taken[i]:
			out.Outcome = OutcomeTaken
			if !r.req.DryRun {
				out.MemberID = row.m.ID
			}
			rep.Taken++
		default:
			out.Outcome, out.Problems = OutcomeRefused, row.problems
			rep.Refused++
			if len(out.Problems) == 0 { // cannot happen: a row is refused for a reason
				out.Problems = []Problem{{Field: "row", Message: fmt.Sprintf("row %d was not registered", row.n)}}
			}
		}
		rep.Rows[i] = out
	}
	return rep
}
