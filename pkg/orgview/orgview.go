// Package orgview keeps a service's local view of the organisation tree
// from the organisation service's events — the table orgs in the service's
// own schema — so that the service scopes calls by subtree and places its
// records in the tree without calling that service, and keeps working
// while it is down. Each event is applied in the consumer's transaction,
// hence once; an older event delivered late never undoes a newer one.
package orgview

import (
	"context"
	"embed"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"gongjian.dev/pkg/events"
	"gongjian.dev/pkg/pgdb"
	orgv1 "gongjian.dev/proto/gen/go/gongjian/organisation/v1"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations creates the orgs table in the service's schema.
var Migrations = pgdb.Embedded("orgview", migrationFiles, "migrations")

// The subjects of the organisation service the view follows.
const (
	SubjectCreated   = "gongjian.organisation.v1.organisation_created"
	SubjectUpdated   = "gongjian.organisation.v1.organisation_updated"
	SubjectMoved     = "gongjian.organisation.v1.organisation_moved"
	SubjectDissolved = "gongjian.organisation.v1.organisation_dissolved"
)

// Consumer is the durable consumer that keeps a service's view; durable
// names it (e.g. "member-orgs").
func Consumer(durable string) events.ConsumerSpec {
	return events.ConsumerSpec{Stream: "ORGANISATION", Durable: durable,
		FilterSubjects: []string{SubjectCreated, SubjectUpdated, SubjectMoved, SubjectDissolved}}
}

// Record is an organisation as an event of the organisation service
// describes it.
type Record struct {
	ID, ParentID, Kind, State, Name, DistrictID string
	AncestorIDs                                 []string
}

// RecordOf is the view's record of an organisation message.
func RecordOf(o *orgv1.Organisation) Record {
	return Record{
		ID: o.GetId(), ParentID: o.GetParentId(), Name: o.GetName(), DistrictID: o.GetDistrictId(),
		Kind:        strings.TrimPrefix(o.GetKind().String(), "ORGANISATION_KIND_"),
		State:       strings.TrimPrefix(o.GetState().String(), "ORGANISATION_STATE_"),
		AncestorIDs: o.GetAncestorIds(),
	}
}

// Path is the organisation's path in the organisation service's format.
func (o Record) Path() string {
	return "/" + strings.Join(append(append([]string(nil), o.AncestorIDs...), o.ID), "/") + "/"
}

// District is the district the organisation belongs to; a district belongs
// to itself.
func (o Record) District() string {
	if o.Kind == "DISTRICT" {
		return o.ID
	}
	return o.DistrictID
}

// Moved is called in the consumer's transaction after a subtree moved, with
// its new path range, so that a service re-paths its own rows that sit in
// it (the member service's members). Nil when a service keeps no paths.
type Moved func(ctx context.Context, tx pgx.Tx, newPath string) error

// Handler returns the handler of Consumer.
func Handler(log *slog.Logger, moved Moved) events.Handler {
	return func(ctx context.Context, tx pgx.Tx, msg jetstream.Msg) error {
		var ev interface {
			proto.Message
			GetOrganisation() *orgv1.Organisation
			GetOccurTime() *timestamppb.Timestamp
		}
		switch msg.Subject() {
		case SubjectCreated:
			ev = &orgv1.OrganisationCreated{}
		case SubjectUpdated:
			ev = &orgv1.OrganisationUpdated{}
		case SubjectMoved:
			ev = &orgv1.OrganisationMoved{}
		case SubjectDissolved:
			ev = &orgv1.OrganisationDissolved{}
		default:
			return nil
		}
		if err := proto.Unmarshal(msg.Data(), ev); err != nil || ev.GetOrganisation().GetId() == "" {
			// Redelivering it cannot make it right.
			log.ErrorContext(ctx, "organisation event cannot be applied; skipped", "subject", msg.Subject(), "error", err)
			return nil
		}
		// Every event carries the organisation as it stood, its ancestors
		// included, so any of them may (re)place it: an update applied
		// before an earlier move delivered late carries the move.
		return ApplyMove(ctx, tx, RecordOf(ev.GetOrganisation()), ev.GetOccurTime().AsTime(), moved)
	}
}

// Apply records an organisation as an event described it, within tx, as
// ApplyMove does, for a service that keeps no paths of its own.
func Apply(ctx context.Context, tx pgx.Tx, o Record, at time.Time) error {
	return ApplyMove(ctx, tx, o, at, nil)
}

// ApplyMove records o as an event at at described it, within tx, unless
// the view holds newer: its kind, state and name when the view's are older
// than at; its place in the tree when the view's place is older than at
// (placed_at, apart from the other fields, so that a later update applied
// first does not make an earlier move look stale). Its path is its parent's
// in the view when the view holds the parent — the event's ancestors are
// those of its time, and a move of an ancestor the view applied since has
// re-pathed the parent — else the event's. A new place takes the subtree
// along, then moved re-paths the service's own rows in it.
func ApplyMove(ctx context.Context, tx pgx.Tx, o Record, at time.Time, moved Moved) error {
	newPath, district := o.Path(), o.District()
	if o.ParentID != "" {
		var parentPath, parentKind, parentDistrict string
		err := tx.QueryRow(ctx, `SELECT path, kind, coalesce(district_id::text, '') FROM orgs WHERE id = $1`, o.ParentID).
			Scan(&parentPath, &parentKind, &parentDistrict)
		switch {
		case err == nil:
			newPath = parentPath + o.ID + "/"
			switch {
			case o.Kind == "DISTRICT":
				district = o.ID
			case parentKind == "DISTRICT":
				district = o.ParentID
			default:
				district = parentDistrict
			}
		case !pgdb.IsNoRows(err):
			return err
		}
	}
	var (
		oldPath         string
		updated, placed time.Time
	)
	err := tx.QueryRow(ctx, `SELECT path, updated_at, placed_at FROM orgs WHERE id = $1 FOR UPDATE`, o.ID).Scan(&oldPath, &updated, &placed)
	if pgdb.IsNoRows(err) {
		_, err = tx.Exec(ctx, `INSERT INTO orgs (id, kind, state, name, district_id, path, updated_at, placed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`, o.ID, o.Kind, o.State, o.Name, nullable(district), newPath, at)
		return err
	}
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	replace := !placed.After(at) && newPath != oldPath
	if replace {
		b.Queue(`UPDATE orgs SET path = $3 || substr(path, length($1) + 1),
				district_id = CASE WHEN kind = 'DISTRICT' THEN id ELSE $4::uuid END
			WHERE path >= $1 AND path < $2`, oldPath, oldPath+"~", newPath, nullable(district))
	}
	if !placed.After(at) {
		b.Queue(`UPDATE orgs SET placed_at = $2 WHERE id = $1`, o.ID, at)
	}
	if !updated.After(at) {
		b.Queue(`UPDATE orgs SET kind = $2, state = $3, name = $4, updated_at = $5 WHERE id = $1`, o.ID, o.Kind, o.State, o.Name, at)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	if !replace || moved == nil {
		return nil
	}
	return moved(ctx, tx, newPath)
}

// Tree answers questions of the view (authz.Tree among them).
type Tree struct{ Pool *pgxpool.Pool }

// Within answers whether orgID lies in the subtree of rootID (rootID
// itself included); an organisation the view does not hold lies nowhere.
func (t Tree) Within(ctx context.Context, orgID, rootID string) (bool, error) {
	if uuid.Validate(orgID) != nil || uuid.Validate(rootID) != nil {
		return false, nil
	}
	var ok bool
	err := t.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM orgs o, orgs r
		WHERE o.id = $1 AND r.id = $2 AND o.path >= r.path AND o.path < r.path || '~')`, orgID, rootID).Scan(&ok)
	return ok, err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
