package pgcluster

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestVersionLess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"9.6", "10", true},
		{"10", "9.6", false},
		{"15", "16", true},
		{"15", "15", false},
		{"15", "15.1", true},
		{"13.2", "13.10", true},
	}
	for _, tt := range tests {
		t.Run(tt.a+" before "+tt.b, func(t *testing.T) {
			t.Parallel()
			a, okA := parseVersion(tt.a)
			b, okB := parseVersion(tt.b)
			if !okA || !okB {
				t.Fatalf("parseVersion(%q), parseVersion(%q) failed", tt.a, tt.b)
			}
			if got := versionLess(a, b); got != tt.want {
				t.Errorf("versionLess(%v, %v) = %v, want %v", a, b, got, tt.want)
			}
		})
	}
}

func TestParseVersionRejectsNonVersions(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "main", "15beta", "15.", "-1"} {
		if v, ok := parseVersion(s); ok {
			t.Errorf("parseVersion(%q) = %v, want failure", s, v)
		}
	}
}

func TestHighestBinDirPicksTheHighestCompleteVersion(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fakeServer(t, filepath.Join(root, "9.6", "bin"), "initdb", "postgres")
	fakeServer(t, filepath.Join(root, "13", "bin"), "initdb", "postgres")
	fakeServer(t, filepath.Join(root, "17", "bin"), "initdb") // client-only: no server
	fakeServer(t, filepath.Join(root, "notes", "bin"), "initdb", "postgres")

	got, ok := highestBinDir(filepath.Join(root, "*", "bin"))
	if want := filepath.Join(root, "13", "bin"); !ok || got != want {
		t.Errorf("highestBinDir = %q, %v; want %q, true", got, ok, want)
	}
	if got, ok := highestBinDir(filepath.Join(root, "none", "*", "bin")); ok {
		t.Errorf("highestBinDir on an empty pattern = %q, want nothing", got)
	}
}

func fakeServer(t *testing.T, dir string, names ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFindBinDirFindsTheServer(t *testing.T) {
	t.Parallel()
	dir, err := FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	if !hasServerBinaries(dir) {
		t.Errorf("FindBinDir = %q, which lacks initdb or postgres", dir)
	}
}

func TestSocketDirFallsBackToNoSocketForLongPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, dir, want string
	}{
		{"a short path keeps the socket", "/tmp/pgcluster-1", "/tmp/pgcluster-1"},
		{"a path too long for sun_path drops it", "/" + strings.Repeat("d", 100), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := socketDir(tt.dir, 54321); got != tt.want {
				t.Errorf("socketDir(%q) = %q, want %q", tt.dir, got, tt.want)
			}
		})
	}
}

func TestReadPostmaster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, content string
		want          postmaster
		wantErr       bool
	}{
		{"a postmaster.pid", "4242\n/var/lib/pg\n1700000000\n5432\n/var/lib/pg\n127.0.0.1\n  5432001    32768\nready   \n", postmaster{pid: 4242, port: 5432}, false},
		{"a pid without newline", "17", postmaster{pid: 17}, false},
		{"garbage", "not a pid\n", postmaster{}, true},
		{"an empty file", "", postmaster{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, pidFileName), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readPostmaster(dir)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("readPostmaster = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

type fakeInfo struct {
	perm     fs.FileMode
	uid, gid uint32
}

func (f fakeInfo) Name() string       { return "d" }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return fs.ModeDir | f.perm }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return true }
func (f fakeInfo) Sys() any           { return &syscall.Stat_t{Uid: f.uid, Gid: f.gid} }

func TestCanSearch(t *testing.T) {
	t.Parallel()
	pg := &account{name: "postgres", uid: 101, gid: 104}
	tests := []struct {
		name string
		info fakeInfo
		want bool
	}{
		{"root's private home", fakeInfo{0o700, 0, 0}, false},
		{"a world-searchable directory", fakeInfo{0o755, 0, 0}, true},
		{"owned by postgres", fakeInfo{0o700, 101, 0}, true},
		{"owned by postgres without x", fakeInfo{0o600, 101, 0}, false},
		{"group postgres may search", fakeInfo{0o710, 0, 104}, true},
		{"group postgres may not search", fakeInfo{0o701, 0, 104}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := canSearch(tt.info, pg); got != tt.want {
				t.Errorf("canSearch(%v uid %d gid %d) = %v, want %v", tt.info.perm, tt.info.uid, tt.info.gid, got, tt.want)
			}
		})
	}
}
