package console

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// dropped are the keys a terminal line does without: the console stamps its
// own time and prefixes the service's name.
var dropped = map[string]bool{"time": true, "service": true}

// Humanize rewrites a JSON log record as "LEVEL message key=value …", keeping
// the order of the keys. Anything that is not a JSON object comes back as it
// was.
func Humanize(line string) string {
	if !strings.HasPrefix(line, "{") {
		return line
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return line
	}
	var level, msg string
	var rest []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return line
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return line
		}
		switch {
		case key == "level":
			level = text(raw)
		case key == "msg":
			msg = text(raw)
		case !dropped[key]:
			rest = append(rest, key+"="+value(raw))
		}
	}
	return strings.TrimSpace(strings.Join(append([]string{padLevel(level), msg}, rest...), " "))
}

// text is a JSON string's content, or any other JSON value as written.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

// value writes a string bare, or quoted when it has spaces or quotes in it,
// and any other JSON value as it is.
func value(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return string(raw)
	}
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		return strconv.Quote(s)
	}
	return s
}

func padLevel(level string) string {
	if level == "" {
		return ""
	}
	return fmt.Sprintf("%-5s", level)
}
