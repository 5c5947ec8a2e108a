package grpcserver

import (
	"context"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"gongjian.dev/pkg/textcheck"
	"gongjian.dev/pkg/textcheck/fields"
)

// textUnary refuses a request with a string field that is not clean text
// (package textcheck), before anything reads it: a NUL would reach
// PostgreSQL, which refuses it with an error the client would see as a
// 500, and ESC or BEL would be stored in a name. Every service gets it from
// New, whatever its messages.
func textUnary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if err := checkText(req); err != nil {
			return nil, err
		}
		return h(ctx, req)
	}
}

// textStream checks every message a client streams.
func textStream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		return h(srv, &textStreamChecker{ServerStream: ss})
	}
}

type textStreamChecker struct{ grpc.ServerStream }

func (s *textStreamChecker) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return checkText(m)
}

// checkText answers InvalidArgument with one BadRequest field violation per
// string field that is not clean text.
func checkText(req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	switch tookUndecodable(m) {
	case brokenUTF8:
		return undecodableErr("a text field is not valid UTF-8", textcheck.ReasonInvalidUTF8)
	case malformedWire:
		return undecodableErr("the bytes are not a well-formed "+string(m.ProtoReflect().Descriptor().FullName()), ReasonMalformedMessage)
	}
	vs := fields.Message(m.ProtoReflect())
	if len(vs) == 0 {
		return nil
	}
	br := &errdetails.BadRequest{}
	for _, v := range vs {
		br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
			Field: v.Field, Description: v.Description, Reason: v.Reason,
		})
	}
	st, _ := status.New(codes.InvalidArgument, "invalid request: "+vs[0].Field+": "+vs[0].Description).WithDetails(br)
	return st.Err()
}

// ReasonMalformedMessage is the field violation's reason when a request's
// bytes are not a protobuf message of the method's request type.
const ReasonMalformedMessage = "MALFORMED_MESSAGE"

// undecodableErr is the InvalidArgument of a request that could not be
// decoded: the whole request is the field at fault.
func undecodableErr(description, reason string) error {
	br := &errdetails.BadRequest{FieldViolations: []*errdetails.BadRequest_FieldViolation{{
		Field: "request", Description: description, Reason: reason,
	}}}
	st, _ := status.New(codes.InvalidArgument, "invalid request: "+description).WithDetails(br)
	return st.Err()
}
