package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/services/cobuilding/internal/agreements"
	"gongjian.dev/services/cobuilding/internal/balancing"
	"gongjian.dev/services/cobuilding/internal/cobuild"
)

// BalancingStore implements balancing.Store.
type BalancingStore struct{ *Store }

// Balancing is the store of balancing proposals.
func (s *Store) Balancing() BalancingStore { return BalancingStore{s} }

type balancingTx struct{ *txStore }

// InTx implements balancing.Store.
func (s BalancingStore) InTx(ctx context.Context, fn func(balancing.Tx) error) error {
	return s.inTx(ctx, func(t *txStore) error { return fn(balancingTx{t}) })
}

// parentOf is the organisation above the one at path ('/<id>/…/<id>/').
func parentOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[len(parts)-2]
}

// Balance implements balancing.Store: fewest live agreements first.
func (s BalancingStore) Balance(ctx context.Context, org cobuild.Place) ([]balancing.CommunityBalance, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.id::text, c.name, c.path,
			(SELECT count(*) FROM resident_units u WHERE u.community_id = c.id)::int,
			(SELECT count(*) FROM agreements a WHERE a.community_id = c.id AND a.state = 'LIVE')::int AS live
		FROM orgs r JOIN orgs c ON c.path >= r.path AND c.path < r.path || '~'
		WHERE r.id = $1 AND c.kind = 'COMMUNITY' AND c.state = 'ACTIVE'
		ORDER BY live, c.name, c.id`, org.ID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (balancing.CommunityBalance, error) {
		var (
			b    balancing.CommunityBalance
			path string
		)
		err := r.Scan(&b.CommunityID, &b.Name, &path, &b.Units, &b.LiveAgreements)
		b.StreetID = parentOf(path)
		return b, err
	})
}

// Unassigned implements balancing.Store: oldest first.
func (s BalancingStore) Unassigned(ctx context.Context, org cobuild.Place) ([]balancing.Unassigned, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id::text, u.name, u.community_id::text, c.path, u.contacts
		FROM orgs r JOIN orgs c ON c.path >= r.path AND c.path < r.path || '~' AND c.kind = 'COMMUNITY'
		JOIN resident_units u ON u.community_id = c.id
		WHERE r.id = $1 AND NOT EXISTS (SELECT 1 FROM agreements a WHERE a.unit_id = u.id AND a.state = 'LIVE')
		ORDER BY u.created_at, u.id`, org.ID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (balancing.Unassigned, error) {
		var (
			u              balancing.Unassigned
			path           string
			contactsColumn []byte
		)
		if err := r.Scan(&u.UnitID, &u.Name, &u.CommunityID, &path, &contactsColumn); err != nil {
			return u, err
		}
		u.StreetID = parentOf(path)
		var err error
		u.Contact, err = firstContact(contactsColumn)
		return u, err
	})
}

func firstContact(column []byte) (*cobuild.Contact, error) {
	var cs []cobuild.Contact
	if err := json.Unmarshal(column, &cs); err != nil || len(cs) == 0 {
		return nil, err
	}
	return &cs[0], nil
}

const proposalColumns = `id::text, organisation_id::text, coalesce(district_id::text, ''), state, items, proposed_by,
	accepted_by, created_at, accepted_at`

func scanProposal(row pgx.Row) (*balancing.Proposal, error) {
	var (
		p        balancing.Proposal
		items    []byte
		accepted *time.Time
	)
	if err := row.Scan(&p.ID, &p.OrganisationID, &p.DistrictID, &p.State, &items, &p.ProposedBy, &p.AcceptedBy, &p.Created,
		&accepted); err != nil {
		return nil, err
	}
	p.Created, p.AcceptedAt = p.Created.UTC(), dateOrZero(accepted)
	return &p, json.Unmarshal(items, &p.Items)
}

func getProposal(ctx context.Context, q querier, id string, lock bool) (*balancing.Proposal, error) {
	return rowByID(ctx, q, proposalColumns, "balancing_proposals", id, lock, scanProposal, balancing.ErrNotFound)
}

// Get implements balancing.Store.
func (s BalancingStore) Get(ctx context.Context, id string) (*balancing.Proposal, error) {
	return getProposal(ctx, s.pool, id, false)
}

// Lock implements balancing.Tx.
func (t balancingTx) Lock(ctx context.Context, id string) (*balancing.Proposal, error) {
	return getProposal(ctx, t.tx, id, true)
}

// Insert implements balancing.Tx.
func (t balancingTx) Insert(ctx context.Context, p *balancing.Proposal) error {
	items, err := itemsJSON(p)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO balancing_proposals (id, organisation_id, district_id, state, items, proposed_by,
		created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.OrganisationID, nullable(p.DistrictID), string(p.State), items, p.ProposedBy, p.Created)
	return err
}

// Save implements balancing.Tx.
func (t balancingTx) Save(ctx context.Context, p *balancing.Proposal) error {
	items, err := itemsJSON(p)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `UPDATE balancing_proposals SET state = $2, items = $3, accepted_by = $4, accepted_at = $5
		WHERE id = $1`, p.ID, string(p.State), items, p.AcceptedBy, nullableTime(p.AcceptedAt))
	return err
}

func itemsJSON(p *balancing.Proposal) ([]byte, error) {
	if p.Items == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(p.Items)
}

// UnitForAgreement implements balancing.Tx.
func (t balancingTx) UnitForAgreement(ctx context.Context, unitID string) (*cobuild.Contact, bool, error) {
	var (
		contacts []byte
		live     bool
	)
	// The unit's row first, then whether it has a live agreement, in a
	// statement of its own: a statement that waited for the lock still
	// reads with the snapshot it started with, so the check in the same
	// statement would miss the agreement of the proposal accepted while it
	// waited.
	err := t.tx.QueryRow(ctx, `SELECT contacts FROM resident_units WHERE id = $1 FOR UPDATE`, unitID).Scan(&contacts)
	if err != nil {
		return nil, false, err
	}
	err = t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM agreements WHERE unit_id = $1 AND state = 'LIVE')`, unitID).Scan(&live)
	if err != nil {
		return nil, false, err
	}
	c, err := firstContact(contacts)
	return c, live, err
}

// InsertAgreement implements balancing.Tx: the agreements' own insert.
func (t balancingTx) InsertAgreement(ctx context.Context, a *agreements.Agreement, by string) error {
	return agreementTx{t.txStore}.Insert(ctx, a, by)
}

// ProposalArea is the street or district a proposal balances.
func (s *Store) ProposalArea(ctx context.Context, id string) (org string, err error) {
	err = s.lookup(ctx, id, `SELECT organisation_id::text FROM balancing_proposals WHERE id = $1`, &org)
	return org, err
}
