package pgdb

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes, from PostgreSQL's errcodes.txt.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeCheckViolation       = "23514"
	codeExclusionViolation   = "23P01"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// IsUniqueViolation reports whether err (or an error it wraps) is a unique
// violation of constraint, or of any constraint when constraint is "".
func IsUniqueViolation(err error, constraint string) bool {
	return isViolation(err, codeUniqueViolation, constraint)
}

// IsForeignKeyViolation reports whether err (or an error it wraps) is a
// foreign key violation of constraint, or of any constraint when constraint
// is "".
func IsForeignKeyViolation(err error, constraint string) bool {
	return isViolation(err, codeForeignKeyViolation, constraint)
}

// IsCheckViolation reports whether err (or an error it wraps) is a check
// constraint violation of constraint, or of any constraint when constraint
// is "".
func IsCheckViolation(err error, constraint string) bool {
	return isViolation(err, codeCheckViolation, constraint)
}

// IsExclusionViolation reports whether err (or an error it wraps) is a
// violation of the exclusion constraint constraint (two rows whose values
// the constraint's operators say conflict, such as overlapping spans of
// time), or of any when constraint is "".
func IsExclusionViolation(err error, constraint string) bool {
	return isViolation(err, codeExclusionViolation, constraint)
}

// ConstraintName returns the name of the constraint err violated, or "" when
// err is not a constraint violation.
func ConstraintName(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.ConstraintName
	}
	return ""
}

// IsNoRows reports whether err (or an error it wraps) says a query that
// must return a row returned none.
func IsNoRows(err error) bool {
	return errors.Is(err, pgx.ErrNoRows)
}

func isViolation(err error, code, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code &&
		(constraint == "" || pgErr.ConstraintName == constraint)
}

// IsUnavailable reports whether err says the database could not be reached
// or went away — it is down, restarting, refusing connections or cut the
// connection — rather than that a statement failed. Callers answer such an
// error as an outage (Unavailable, HTTP 503) and try again later; it is
// never the client's fault nor a bug.
func IsUnavailable(err error) bool {
	// A deadline or a cancellation is the caller's (context's errors look
	// like network timeouts, so they are told apart first).
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-57P03: the server is
		// shutting down, crashed or is starting; 53300: too many
		// connections.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" ||
			pgErr.Code == "57P03" || pgErr.Code == "53300"
	}
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	// A connection the pool handed out after the server went away.
	return strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "closed pool")
}
