package pgcluster

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// debianBinGlob is where Debian and Ubuntu install one directory of server
// binaries per major version.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// FindBinDir returns the directory holding the PostgreSQL server binaries
// (initdb and postgres). It looks, in order, at the directory of initdb on
// PATH (symbolic links resolved), at `pg_config --bindir`, and at the highest
// version under /usr/lib/postgresql/*/bin.
func FindBinDir() (string, error) {
	if dir, ok := binDirFromPath(); ok {
		return dir, nil
	}
	if dir, ok := binDirFromPgConfig(); ok {
		return dir, nil
	}
	if dir, ok := highestBinDir(debianBinGlob); ok {
		return dir, nil
	}
	return "", errors.New("pgcluster: no PostgreSQL server binaries: initdb is not on PATH, " +
		"pg_config does not name a directory with initdb, and " + debianBinGlob + " has none")
}

func binDirFromPath() (string, bool) {
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", false
	}
	if resolved, err := filepath.EvalSymlinks(p); err == nil {
		p = resolved
	}
	dir := filepath.Dir(p)
	return dir, hasServerBinaries(dir)
}

func binDirFromPgConfig() (string, bool) {
	out, err := exec.Command("pg_config", "--bindir").Output()
	if err != nil {
		return "", false
	}
	dir := strings.TrimSpace(string(out))
	return dir, hasServerBinaries(dir)
}

// highestBinDir picks, among the directories matching pattern that hold the
// server binaries, the one whose parent names the highest version.
func highestBinDir(pattern string) (string, bool) {
	matches, _ := filepath.Glob(pattern)
	best, bestVersion := "", []int(nil)
	for _, dir := range matches {
		v, ok := parseVersion(filepath.Base(filepath.Dir(dir)))
		if !ok || !hasServerBinaries(dir) {
			continue
		}
		if best == "" || versionLess(bestVersion, v) {
			best, bestVersion = dir, v
		}
	}
	return best, best != ""
}

// parseVersion reads "15" or "9.6" as its numeric parts.
func parseVersion(s string) ([]int, bool) {
	var v []int
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}

func versionLess(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.IsDir() || info.Mode().Perm()&0o111 == 0 {
			return false
		}
	}
	return true
}
