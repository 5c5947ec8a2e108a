// Package requestid makes creating calls safe to retry: a client's request
// id is remembered with the resource it created, in the same transaction,
// in the service's table
//
//	CREATE TABLE requests (request_id text PRIMARY KEY, resource_id uuid NOT NULL,
//	    created_at timestamptz NOT NULL DEFAULT now());
//
// which each service creates in its own schema. Callers scope ids by
// command ("create_member/<id>") so one id reused for two commands cannot
// return the wrong resource; the package scopes them by caller (For), so
// that one caller's id never returns another's resource past the access
// check, and two callers who chose the same id do not collide.
package requestid

import (
	"context"

	"github.com/jackc/pgx/v5"

	"gongjian.dev/pkg/actor"
	"gongjian.dev/pkg/auth"
	"gongjian.dev/pkg/errs"
	"gongjian.dev/pkg/pgdb"
)

// ErrInFlight is returned when another call with the same request id
// committed while this one ran: the client's retry finds its result.
var ErrInFlight = errs.New(errs.Aborted, "a call with this request id is being processed; retry it")

// Seen returns the resource a request id created before, if any. An empty
// id is never seen.
func Seen(ctx context.Context, tx pgx.Tx, requestID string) (string, bool, error) {
	if requestID == "" {
		return "", false, nil
	}
	var id string
	err := tx.QueryRow(ctx, `SELECT resource_id::text FROM requests WHERE request_id = $1`, key(ctx, requestID)).Scan(&id)
	if pgdb.IsNoRows(err) {
		return "", false, nil
	}
	return id, err == nil, err
}

// Remember records what a request id created. Two concurrent calls with
// one id: the second waits on the first's insert and, if it committed,
// fails with ErrInFlight.
func Remember(ctx context.Context, tx pgx.Tx, requestID, resourceID string) error {
	if requestID == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO requests (request_id, resource_id) VALUES ($1, $2)`, key(ctx, requestID), resourceID)
	if pgdb.IsUniqueViolation(err, "") {
		return ErrInFlight
	}
	return err
}

// For is the key a caller's request id is kept under: who called (the
// subject of the call's principal, or "system:<job>" for a background job,
// "" for neither), then the id.
func For(caller, requestID string) string { return caller + "|" + requestID }

func key(ctx context.Context, requestID string) string {
	caller := ""
	if p, ok := auth.FromContext(ctx); ok && p.Subject != "" {
		caller = p.Subject
	} else if job := actor.System(ctx); job != "" {
		caller = "system:" + job
	}
	return For(caller, requestID)
}
