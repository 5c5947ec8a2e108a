package audit

import (
	"encoding/json"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Befores keeps, within one transaction, what each subject looked like
// when the transaction first locked it, by a key the service chooses (its
// subject type and id): the Before of the records of the subject's changes
// in that transaction. Make one per transaction: Befores{}.
type Befores map[string]json.RawMessage

// Keep keeps state as the subject key was before the transaction, unless
// the transaction locked it already: the first lock is the state before.
func (b Befores) Keep(key string, state proto.Message) {
	if _, kept := b[key]; kept {
		return
	}
	if js, err := protojson.Marshal(state); err == nil {
		b[key] = js
	}
}

// Fill puts in e the state before of the subject key names, if one was
// kept ("" names none). With chain, e's After, a message, becomes the
// state before of the subject's next record in the transaction: a subject
// that changes several times in one (the steps of a transfer) shows each
// change on its own.
func (b Befores) Fill(e *Entry, key string, chain bool) {
	if key == "" {
		return
	}
	if before, ok := b[key]; ok {
		e.Before = before
	}
	if after, ok := e.After.(proto.Message); chain && ok {
		if js, err := protojson.Marshal(after); err == nil {
			b[key] = js
		}
	}
}
