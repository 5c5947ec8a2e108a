package member

import (
	"strings"
	"testing"
	"time"
)

// The fuzz targets of the member domain's parsers: what a client or a
// roster file can put in front of them. `go test` runs their seeds (here
// and in testdata/fuzz) as regression tests; `go test -fuzz` explores.

// FuzzNationalID: any string, against any birth date, is judged without
// a panic, and a number judged valid is one: 18 characters, its check
// character right, its birth date real; masked, it keeps only the region
// and the last four.
func FuzzNationalID(f *testing.F) {
	for _, seed := range []string{id18("19800115", 1), "61010219800115001x", "", "6101021980011500", "61010219801315001X",
		"６１０１０２１９８００１１５００１Ｘ", " 610102198001150010 ", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"} {
		f.Add(seed, int64(0))
		f.Add(seed, time.Date(1980, 1, 15, 0, 0, 0, 0, time.UTC).Unix())
	}
	f.Fuzz(func(t *testing.T, id string, birthUnix int64) {
		var birth time.Time
		if birthUnix != 0 {
			birth = time.Unix(birthUnix, 0).UTC()
		}
		err := ValidateNationalID(id, birth)
		n := NormaliseNationalID(id)
		masked := MaskNationalID(n)
		if len(masked) != len(n) {
			t.Fatalf("MaskNationalID(%q) = %q: not as long", n, masked)
		}
		if err != nil {
			return
		}
		if len(n) != nationalIDLen || CheckCharacter(n[:17]) != n[17] {
			t.Fatalf("%q judged valid", id)
		}
		born, perr := time.Parse("20060102", n[6:14])
		if perr != nil || (!birth.IsZero() && !born.Equal(birth)) {
			t.Fatalf("%q judged valid with birth %s", id, birth)
		}
		if masked[:6] != n[:6] || masked[14:] != n[14:] || strings.Trim(masked[6:14], "*") != "" {
			t.Fatalf("MaskNationalID(%q) = %q", n, masked)
		}
	})
}

// FuzzCategoryRule: any rule is compiled or refused naming its field,
// never a panic; a compiled rule classifies members of any age and
// skills without a panic.
func FuzzCategoryRule(f *testing.F) {
	for _, p := range Presets {
		for _, c := range p.Categories {
			f.Add(c.Rule)
		}
	}
	for _, seed := range []string{`age >= 60`, `"调解" in skills && !mobile`, `employer.startsWith("金川")`,
		`skills.exists(s, s.size() > 2)`, `[1, 2, 3].all(x, x > 0)`, `1 / 0 == 1`, `age`, `(`, "\x00"} {
		f.Add(seed)
	}
	members := []*Member{
		{BirthDate: time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), EmploymentStatus: "RETIRED", Status: StatusFull},
		{BirthDate: time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), EmploymentStatus: "EMPLOYED", Employer: "金川集团",
			Skills: []string{"调解", "书法"}, Mobile: true, Hardship: true, Status: StatusProbationary},
	}
	today := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, rule string) {
		s := Scheme{Name: "fuzz", Categories: []SchemeCategory{{Code: "fuzzed", Name: "Fuzzed", Method: "m", Rule: rule}}}
		c, err := Compile(s, "scheme")
		if err != nil {
			if !strings.Contains(err.Error(), "scheme.categories[0].rule") {
				t.Fatalf("rule %q refused without naming it: %v", rule, err)
			}
			return
		}
		classifiers.Delete(schemeKey(s)) // the cache would otherwise hold every rule tried
		for _, m := range members {
			c.Classify(m, today)
		}
	})
}
