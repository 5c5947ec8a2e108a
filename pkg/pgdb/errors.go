package pgdb

import (
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes, from PostgreSQL's errcodes.txt.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeCheckViolation       = "23514"
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
