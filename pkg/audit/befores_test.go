package audit_test

import (
	"encoding/json"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	"gongjian.dev/pkg/audit"
)

func TestBeforesKeepTheFirstLockAndChainWhatChangesTwice(t *testing.T) {
	b := audit.Befores{}
	b.Keep("thing/1", structpb.NewStringValue("as locked"))
	b.Keep("thing/1", structpb.NewStringValue("locked again"))
	first := audit.Entry{After: structpb.NewStringValue("changed once")}
	b.Fill(&first, "thing/1", true)
	second := audit.Entry{After: structpb.NewStringValue("changed twice")}
	b.Fill(&second, "thing/1", true)
	unchained := audit.Entry{After: structpb.NewStringValue("other")}
	b.Fill(&unchained, "thing/1", false)
	none := audit.Entry{}
	b.Fill(&none, "", true)
	b.Fill(&none, "thing/2", false)
	for want, got := range map[string]any{"as locked": first.Before, "changed once": second.Before, "changed twice": unchained.Before} {
		var text string
		if js, ok := got.(json.RawMessage); !ok || json.Unmarshal(js, &text) != nil || text != want {
			t.Errorf("before: %s, want %q", got, want)
		}
	}
	if none.Before != nil {
		t.Errorf("a subject never kept has a before: %s", none.Before)
	}
}
