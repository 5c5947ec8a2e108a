package org

import "gongjian.dev/pkg/errs"

type validation = errs.Validation

func newValidation() *validation { return errs.NewValidation(ErrInvalid) }
