package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/pgdb"
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/pbconv"
	"gongjian.dev/services/supervision/internal/rectify"
	"gongjian.dev/services/supervision/internal/rules"
)

// Rectify is the store of the rectify domain: the same Store, seen through
// rectify's interfaces.
type Rectify struct{ *Store }

// InTx implements rectify.Store.
func (s Rectify) InTx(ctx context.Context, fn func(rectify.Tx) error) error {
	return s.ownTx(ctx, func(t *TxStore) error { return fn(t) })
}

const itemColumns = `id::text, organisation_id::text, coalesce(district_id::text, ''), source, coalesce(finding_id::text, ''),
	rule_code, coalesce(inspection_finding_id::text, ''), title, required_evidence, deadline, state, needs_remedy,
	remedied_at, escalated_at, version, created_at, updated_at`

func scanItem(row pgx.Row) (*rectify.Item, error) {
	var (
		i                   rectify.Item
		source, state       string
		remedied, escalated *time.Time
	)
	err := row.Scan(&i.ID, &i.OrganisationID, &i.DistrictID, &source, &i.FindingID, &i.RuleCode, &i.InspectionFindingID,
		&i.Title, &i.RequiredEvidence, &i.Deadline, &state, &i.NeedsRemedy, &remedied, &escalated, &i.Version, &i.Created, &i.Updated)
	if pgdb.IsNoRows(err) {
		return nil, rectify.ErrNotFound
	}
	i.Source, i.State = rectify.Source(source), rectify.State(state)
	if remedied != nil {
		i.Remedied = *remedied
	}
	if escalated != nil {
		i.Escalated = *escalated
	}
	return &i, err
}

// Item implements rectify.Store.
func (s Rectify) Item(ctx context.Context, id string) (*rectify.Item, error) {
	if !validUUID(id) {
		return nil, rectify.ErrNotFound
	}
	return scanItem(s.pool.QueryRow(ctx, `SELECT `+itemColumns+` FROM items WHERE id = $1`, id))
}

// subtreeOf is the condition that col lies in the subtree of an
// organisation (?).
func subtreeOf(col string) string {
	return col + ` IN (SELECT o.id FROM orgs o, orgs r WHERE r.id = ? AND o.path >= r.path AND o.path < r.path || '~')`
}

// coveredBy is the condition that col lies in the cover of a group the
// inspector (?) belongs to.
func coveredBy(col string) string {
	return col + ` IN (SELECT o.id FROM inspection_groups g, unnest(g.organisation_ids) c(id), orgs r, orgs o
		WHERE ? = ANY (g.inspectors) AND r.id = c.id AND o.path >= r.path AND o.path < r.path || '~')`
}

// Items implements rectify.Store.
func (s Rectify) Items(ctx context.Context, q rectify.ItemQuery) ([]*rectify.Item, error) {
	var w pgdb.Where
	if q.OrganisationID != "" {
		w.Add(`organisation_id = ?`, q.OrganisationID)
	}
	for _, root := range []string{q.AncestorID, q.ScopeRoot} {
		if root != "" {
			w.Add(subtreeOf("organisation_id"), root)
		}
	}
	if q.Inspector != "" {
		w.Add(coveredBy("organisation_id"), q.Inspector)
	}
	if q.State != "" {
		w.Add(`state = ?`, string(q.State))
	}
	if q.RuleCode != "" {
		w.Add(`rule_code = ?`, q.RuleCode)
	}
	if !q.OverdueOn.IsZero() {
		w.Add(`state <> 'CLOSED' AND deadline < ?`, q.OverdueOn)
	}
	if !q.After.Created.IsZero() {
		w.Add(`(created_at, id) < (?, ?)`, q.After.Created, q.After.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+itemColumns+` FROM items WHERE `+w.SQL()+
		` ORDER BY created_at DESC, id DESC LIMIT `+w.Arg(q.Limit), w.Args()...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*rectify.Item, error) { return scanItem(r) })
}

// Steps implements rectify.Store.
func (s Rectify) Steps(ctx context.Context, itemID string) ([]*rectify.Step, error) {
	rows, err := s.pool.Query(ctx, `SELECT item_id::text, seq, kind, actor, actor_role, note, evidence, at
		FROM item_steps WHERE item_id = $1 ORDER BY seq`, itemID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*rectify.Step, error) {
		var (
			st   rectify.Step
			kind string
			ev   []byte
		)
		if err := r.Scan(&st.ItemID, &st.Seq, &kind, &st.Actor, &st.ActorRole, &st.Note, &ev, &st.At); err != nil {
			return nil, err
		}
		st.Kind = rectify.StepKind(kind)
		if len(ev) > 0 {
			if err := json.Unmarshal(ev, &st.Evidence); err != nil {
				return nil, err
			}
		}
		return &st, nil
	})
}

// Covers implements rectify.Store and rules.Store.
func (s *Store) Covers(ctx context.Context, inspector, orgID string) (bool, error) {
	if !validUUID(orgID) {
		return false, nil
	}
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM inspection_groups g, unnest(g.organisation_ids) c(id), orgs r, orgs o
		WHERE $1 = ANY (g.inspectors) AND r.id = c.id AND o.id = $2 AND o.path >= r.path AND o.path < r.path || '~')`,
		inspector, orgID).Scan(&ok)
	return ok, err
}

// Overdue implements rectify.Store.
func (s Rectify) Overdue(ctx context.Context, today time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id::text FROM items
		WHERE state <> 'CLOSED' AND escalated_at IS NULL AND deadline < $1 ORDER BY deadline LIMIT $2`, today, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// LockItem implements rectify.Tx.
func (t *TxStore) LockItem(ctx context.Context, id string) (*rectify.Item, error) {
	if !validUUID(id) {
		return nil, rectify.ErrNotFound
	}
	return scanItem(t.tx.QueryRow(ctx, `SELECT `+itemColumns+` FROM items WHERE id = $1 FOR UPDATE`, id))
}

// InsertItem implements rectify.Tx.
func (t *TxStore) InsertItem(ctx context.Context, i *rectify.Item, st *rectify.Step) error {
	w := &writes{}
	if err := t.insertItem(ctx, i, w, st); err != nil {
		return err
	}
	return t.flush(ctx, w)
}

func (t *TxStore) insertItem(ctx context.Context, i *rectify.Item, w *writes, st ...*rectify.Step) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO items (id, organisation_id, district_id, source, finding_id, rule_code,
			inspection_finding_id, title, required_evidence, deadline, state, needs_remedy, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		i.ID, i.OrganisationID, nullable(i.DistrictID), string(i.Source), nullable(i.FindingID), i.RuleCode,
		nullable(i.InspectionFindingID), i.Title, i.RequiredEvidence, i.Deadline, string(i.State), i.NeedsRemedy,
		i.Version, i.Created, i.Updated)
	if err != nil {
		return err
	}
	step := &rectify.Step{Kind: rectify.Opened, Note: i.Title, At: i.Created}
	if len(st) > 0 {
		step = st[0]
	}
	return t.appendStep(ctx, i, step, w)
}

// SaveItem implements rectify.Tx.
func (t *TxStore) SaveItem(ctx context.Context, i *rectify.Item, st *rectify.Step) error {
	_, err := t.tx.Exec(ctx, `UPDATE items SET state = $2, deadline = $3, remedied_at = $4, escalated_at = $5,
		version = $6, updated_at = $7 WHERE id = $1`,
		i.ID, string(i.State), i.Deadline, nullTime(i.Remedied), nullTime(i.Escalated), i.Version, i.Updated)
	if err != nil {
		return err
	}
	w := &writes{}
	if err := t.appendStep(ctx, i, st, w); err != nil {
		return err
	}
	return t.flush(ctx, w)
}

// appendStep appends st to the item's history, with its event and audit
// record.
func (t *TxStore) appendStep(ctx context.Context, i *rectify.Item, st *rectify.Step, w *writes) error {
	st.ItemID = i.ID
	st.Actor, st.ActorRole = actorOf(ctx)
	var ev any
	if len(st.Evidence) > 0 {
		ev = st.Evidence
	}
	evJSON, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	err = t.tx.QueryRow(ctx, `INSERT INTO item_steps (item_id, seq, kind, actor, actor_role, note, evidence, at)
		SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5, $6::jsonb, $7 FROM item_steps WHERE item_id = $1
		RETURNING seq`, i.ID, string(st.Kind), st.Actor, st.ActorRole, st.Note, string(evJSON), st.At).Scan(&st.Seq)
	if err != nil {
		return err
	}
	today := time.Date(st.At.Year(), st.At.Month(), st.At.Day(), 0, 0, 0, 0, time.UTC)
	m := pbconv.Item(i, today)
	w.event(ItemSubject(st.Kind), i.ID, &pb.RectificationItemChanged{OccurTime: timestamppb.New(st.At), Item: m, Step: pbconv.Step(st)})
	w.audit(auditItem, i.ID, i.OrganisationID, nil, m)
	return nil
}

// ItemsToRemedy implements rectify.Tx.
func (t *TxStore) ItemsToRemedy(ctx context.Context, orgIDs []string, at time.Time) ([]*rectify.Item, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+itemColumns+` FROM items
		WHERE organisation_id = ANY($1::uuid[]) AND needs_remedy AND remedied_at IS NULL AND state <> 'CLOSED'
		AND created_at <= $2 ORDER BY id FOR UPDATE`, orgIDs, at)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*rectify.Item, error) { return scanItem(r) })
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// insertItems inserts new items with their first step (opened), their
// events and audit records: one statement for the items and one for the
// steps, however many (a sweep's).
func (t *TxStore) insertItems(ctx context.Context, items []*rectify.Item, w *writes) error {
	if len(items) == 0 {
		return nil
	}
	n := len(items)
	ids, orgs, districts, findings, codes, titles, evidence, states := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	deadlines, created := make([]time.Time, n), make([]time.Time, n)
	remedy := make([]bool, n)
	for k, i := range items {
		ids[k], orgs[k], districts[k], findings[k], codes[k] = i.ID, i.OrganisationID, i.DistrictID, i.FindingID, i.RuleCode
		titles[k], evidence[k], states[k], deadlines[k], created[k], remedy[k] = i.Title, i.RequiredEvidence, string(i.State),
			i.Deadline, i.Created, i.NeedsRemedy
	}
	actor, role := actorOf(ctx)
	_, err := t.tx.Exec(ctx, `INSERT INTO items (id, organisation_id, district_id, source, finding_id, rule_code, title,
			required_evidence, deadline, state, needs_remedy, version, created_at, updated_at)
		SELECT id::uuid, o::uuid, NULLIF(d, '')::uuid, 'RULE', NULLIF(f, '')::uuid, code, title, ev, dl, st, nr, 1, c, c
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::date[],
			$9::text[], $10::bool[], $11::timestamptz[]) AS x(id, o, d, f, code, title, ev, dl, st, nr, c);
		`, ids, orgs, districts, findings, codes, titles, evidence, deadlines, states, remedy, created)
	if err != nil {
		return err
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO item_steps (item_id, seq, kind, actor, actor_role, note, evidence, at)
		SELECT id::uuid, 1, $2, $3, $4, note, 'null'::jsonb, at FROM unnest($1::text[], $5::text[], $6::timestamptz[]) AS x(id, note, at)`,
		ids, string(rectify.Opened), actor, role, titles, created); err != nil {
		return err
	}
	for _, i := range items {
		st := &rectify.Step{ItemID: i.ID, Seq: 1, Kind: rectify.Opened, Actor: actor, ActorRole: role, Note: i.Title, At: i.Created}
		today := time.Date(st.At.Year(), st.At.Month(), st.At.Day(), 0, 0, 0, 0, time.UTC)
		m := pbconv.Item(i, today)
		w.event(ItemSubject(st.Kind), i.ID, &pb.RectificationItemChanged{OccurTime: timestamppb.New(st.At), Item: m, Step: pbconv.Step(st)})
		w.audit(auditItem, i.ID, i.OrganisationID, nil, m)
	}
	return nil
}

// FindingOrganisation implements rectify.Store.
func (s Rectify) FindingOrganisation(ctx context.Context, findingID string) (string, error) {
	f, err := s.Finding(ctx, findingID)
	if errors.Is(err, rules.ErrFindingNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return f.OrganisationID, nil
}
