package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// The gateway reads a request with parsers (encoding/json, protojson,
// strconv, the multipart reader) whose messages speak of their own
// internals: "proto: (line 1:93): invalid value for int32 field pageSize",
// "strconv.ParseInt: parsing "x": invalid syntax". A client gets a plain
// sentence instead, naming the field or parameter where it can.

var (
	protoPositioned = regexp.MustCompile(`proto:[\s\x{a0}]*(syntax error )?\(line (\d+):(\d+)\):[\s\x{a0}]*(.*)$`)
	invalidValue    = regexp.MustCompile(`^invalid value for (\w+) (?:field (\w+)|key): `)
	unknownField    = regexp.MustCompile(`^unknown field ("[^"]{0,100}")`)
	duplicateField  = regexp.MustCompile(`^duplicate (?:field|map key) ("[^"]{0,100}")`)
	typeMismatch    = regexp.MustCompile(`^type mismatch, parameter: ([\w.]+), error: (.*)$`)
	parsingField    = regexp.MustCompile(`^parsing (?:field|list|map key|map value) "([\w.]+)": (.*)$`)
	missingParam    = regexp.MustCompile(`^missing parameter ([\w.]+)$`)
	// internals are the marks of a parser's message that no rule above
	// rewrote: such a message is replaced whole.
	internals = []string{"proto:", "strconv.", "json:", "grpc:", "multipart:", "invalid character", "runtime", "reflect", "%!"}
)

// plainJSONError turns an error of decoding a JSON body into one whose
// message is a plain sentence. io.EOF (no body) passes unchanged.
func plainJSONError(err error) error {
	var syntax *json.SyntaxError
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return err
	case errors.Is(err, errBodyTooLarge), errors.Is(err, errTrailingData):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("the request body is not valid JSON: it ends too early")
	case errors.As(err, &syntax):
		return fmt.Errorf("the request body is not valid JSON (at byte %d)", syntax.Offset)
	}
	msg := err.Error()
	g := protoPositioned.FindStringSubmatch(msg)
	if g == nil {
		return errors.New("the request body does not fit the request")
	}
	at := fmt.Sprintf(" (line %s, column %s)", g[2], g[3])
	detail := g[4]
	switch {
	case g[1] != "" || strings.HasPrefix(detail, "unexpected token"):
		return errors.New("the request body is not valid JSON" + at)
	case strings.Contains(detail, "invalid UTF-8"):
		return errors.New("the request body is not valid UTF-8 text" + at)
	case strings.Contains(detail, "google.protobuf.Timestamp"):
		return errors.New(`a time is written as "2026-01-15T08:00:00Z"` + at)
	case strings.Contains(detail, "google.protobuf.Duration"):
		return errors.New(`a duration is written as "90s"` + at)
	case strings.Contains(detail, "google.protobuf.FieldMask"):
		return errors.New("the field mask names a field the request does not have" + at)
	}
	if m := invalidValue.FindStringSubmatch(detail); m != nil {
		if m[2] == "" {
			return fmt.Errorf("a map key: expected %s%s", expectation(m[1]), at)
		}
		return fmt.Errorf("field %s: expected %s%s", m[2], expectation(m[1]), at)
	}
	if m := unknownField.FindStringSubmatch(detail); m != nil {
		return fmt.Errorf("the request has no field %s%s", m[1], at)
	}
	if m := duplicateField.FindStringSubmatch(detail); m != nil {
		return fmt.Errorf("field %s is given twice%s", m[1], at)
	}
	return errors.New("the request body does not fit the request" + at)
}

// expectation is what a JSON value of a protobuf kind looks like.
func expectation(kind string) string {
	switch kind {
	case "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64":
		return "a whole number"
	case "float", "double":
		return "a number"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "bytes":
		return "base64 text"
	case "enum":
		return "one of the values the API lists"
	}
	return "an object"
}

// plainRequestMessage rewrites the message of an error the gateway raised
// while reading a request (path, query, body) into a plain sentence.
func plainRequestMessage(msg string) string {
	if m := typeMismatch.FindStringSubmatch(msg); m != nil {
		return "parameter " + m[1] + ": " + valueProblem(m[2])
	}
	if m := parsingField.FindStringSubmatch(msg); m != nil {
		return "parameter " + m[1] + ": " + valueProblem(m[2])
	}
	if m := missingParam.FindStringSubmatch(msg); m != nil {
		return "parameter " + m[1] + " is missing"
	}
	if strings.HasPrefix(msg, "invalid path: ") {
		return "the query names a parameter the request does not have"
	}
	if protoPositioned.MatchString(msg) {
		return plainJSONError(errors.New(msg)).Error()
	}
	for _, mark := range internals {
		if strings.Contains(msg, mark) {
			return "the request cannot be read"
		}
	}
	return msg
}

// valueProblem says what is wrong with one parameter's value.
func valueProblem(inner string) string {
	switch {
	case strings.Contains(inner, "ParseBool"):
		return "expected true or false"
	case strings.Contains(inner, "out of range"):
		return "the number is out of range"
	case strings.Contains(inner, "strconv."):
		return "expected a number"
	case strings.Contains(inner, "Timestamp"), strings.Contains(inner, "parsing time"):
		return `expected a time such as "2026-01-15T08:00:00Z"`
	case strings.HasSuffix(inner, "is not a valid value"):
		return "not one of the values the API lists"
	}
	return "not a valid value"
}
