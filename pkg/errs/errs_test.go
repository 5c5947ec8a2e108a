package errs

import (
	"errors"
	"fmt"
	"testing"
)

var errMissing = New(NotFound, "thing not found")

func TestDerivedErrorsMatchTheirSentinel(t *testing.T) {
	t.Parallel()
	derived := []error{
		Field(errMissing, "thing.id", "no such id"),
		Detail(errMissing, "id %s", "x"),
		Detail(Field(errMissing, "a", "b"), "more"),
		fmt.Errorf("wrapped: %w", Field(errMissing, "a", "b")),
	}
	for i, err := range derived {
		if !errors.Is(err, errMissing) {
			t.Errorf("derived error %d (%v) does not match its sentinel", i, err)
		}
		if errors.Is(err, New(NotFound, "thing not found")) {
			t.Errorf("derived error %d matches a different sentinel with the same text", i)
		}
		if e, ok := As(err); !ok || e.Kind != NotFound {
			t.Errorf("derived error %d lost its kind: %v", i, e)
		}
	}
}

func TestValidationCollectsFieldsAndIsNilWhenEmpty(t *testing.T) {
	t.Parallel()
	v := NewValidation(New(InvalidArgument, "invalid"))
	if v.Err() != nil {
		t.Fatal("an empty validation is an error")
	}
	v.Add("a", "must be %d", 1)
	v.Add("b", "missing")
	e, _ := As(v.Err())
	if len(e.Violations) != 2 || e.Violations[0] != (Violation{"a", "must be 1"}) || e.Error() != "invalid; a: must be 1; b: missing" {
		t.Fatalf("got %#v (%q)", e.Violations, e.Error())
	}
}
