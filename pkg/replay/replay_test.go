package replay

import (
	"context"
	"errors"
	"testing"
)

type requests map[string]string

func (r requests) RequestSeen(_ context.Context, key string) (string, bool, error) {
	id, ok := r[key]
	return id, ok && key != "", nil
}

func (r requests) RememberRequest(_ context.Context, key, id string) error {
	r[key] = id
	return nil
}

func TestARequestSeenLoadsWhatItMadeAndANewOneLoadsNothing(t *testing.T) {
	ctx := context.Background()
	r := requests{}
	loads := 0
	load := func(_ context.Context, id string) (string, error) { loads++; return "thing " + id, nil }
	key := Key("create_thing", "r1")
	var out string
	if seen, err := Seen(ctx, r, key, &out, load); seen || err != nil || out != "" || loads != 0 {
		t.Fatalf("a new request: seen %v, %q, %v, %d loads", seen, out, err, loads)
	}
	if err := r.RememberRequest(ctx, key, "7"); err != nil {
		t.Fatal(err)
	}
	if seen, err := Seen(ctx, r, key, &out, load); !seen || err != nil || out != "thing 7" {
		t.Fatalf("the request again: seen %v, %q, %v", seen, out, err)
	}
	if Key("create_thing", "") != "" || Key("claim_post/alice", "r1") != "claim_post/alice/r1" {
		t.Error("a key scopes an id to its command, and no id is no key")
	}
	boom := errors.New("boom")
	if seen, err := Seen(ctx, r, key, &out, func(context.Context, string) (string, error) { return "", boom }); !seen || !errors.Is(err, boom) {
		t.Errorf("a failed load: seen %v, %v", seen, err)
	}
}
