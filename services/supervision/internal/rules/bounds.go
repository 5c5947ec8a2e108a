package rules

import (
	"regexp"
	"strconv"
	"strings"
)

// boundTerm is a conjunct of the usual shape "<var> >= <window | params.p | n>".
var boundTerm = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\s*>=\s*(window|params\.([a-z_][a-z0-9_]*)|[0-9]+)$`)

// Bounds are the lower bounds of integer variables the condition of r
// holds only above, read from the conjuncts of the usual shape
// ("months_absent >= window"), so that a sweep's query can leave out in
// SQL the rows the condition would refuse. A condition of another shape
// (an "||", parentheses, a ternary) gives none: every row is read and the
// condition alone decides. The condition still judges every row read, so
// a bound only ever narrows what is read, never what is found.
func Bounds(f Fact, r *Rule) map[string]int64 {
	c := r.Condition
	if strings.ContainsAny(c, "()?|!") {
		return nil
	}
	ints := map[string]bool{}
	for _, v := range f.Vars {
		ints[v.Name] = v.Type == Int
	}
	out := map[string]int64{}
	for _, term := range strings.Split(c, "&&") {
		m := boundTerm.FindStringSubmatch(strings.TrimSpace(term))
		if m == nil || !ints[m[1]] {
			continue
		}
		n, ok := int64(0), true
		switch {
		case m[2] == "window":
			n = int64(r.WindowCount)
		case m[3] != "":
			n, ok = int64(intParam(r.Params, m[3])), hasNumber(r.Params, m[3])
		default:
			v, err := strconv.ParseInt(m[2], 10, 64)
			n, ok = v, err == nil
		}
		if ok && n > out[m[1]] {
			out[m[1]] = n
		}
	}
	return out
}

func hasNumber(p map[string]any, name string) bool {
	switch p[name].(type) {
	case float64, int64, int:
		return true
	}
	return false
}
