// Package pbconv converts the supervision domain to its protobuf messages,
// for the API and the events.
package pbconv

import (
	pb "gongjian.dev/proto/gen/go/gongjian/supervision/v1"
	"gongjian.dev/services/supervision/internal/rules"
)

// Fact is the message of a fact of the catalogue.
func Fact(f rules.Fact) *pb.Fact {
	out := &pb.Fact{Name: f.Name, Description: f.Description, Subject: f.Subject}
	for _, w := range f.Windows {
		out.Windows = append(out.Windows, Window(w))
	}
	for _, v := range f.Vars {
		out.Variables = append(out.Variables, &pb.FactVariable{Name: v.Name, Type: string(v.Type), Description: v.Doc})
	}
	return out
}

// Window is the message of a window.
func Window(w rules.Window) pb.WindowKind {
	return pb.WindowKind(pb.WindowKind_value["WINDOW_KIND_"+string(w)])
}
