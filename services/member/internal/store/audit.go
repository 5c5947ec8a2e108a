package store

import (
	"google.golang.org/protobuf/encoding/protojson"

	"gongjian.dev/services/member/internal/member"
	"gongjian.dev/services/member/internal/pbconv"
)

// remember keeps what a member looked like when this transaction locked it,
// as the API shows it without the national ID number.
func (t *txStore) remember(m *member.Member) {
	if _, ok := t.before[m.ID]; ok {
		return // the first lock in the transaction is the state before it
	}
	if b, err := protojson.Marshal(pbconv.Member(m, pbconv.IDOmitted)); err == nil {
		t.before[m.ID] = b
	}
}
