package pgcluster

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestSweepTempDirsRemovesOnlyOrphans(t *testing.T) {
	t.Parallel()
	const deadPID = 1 << 30 // above any kernel's pid_max
	parent := t.TempDir()
	tests := []struct {
		name string
		dir  string
		kept bool
	}{
		{"a directory whose maker died", tempPrefix + strconv.Itoa(deadPID) + "-1", false},
		{"a directory whose maker lives", tempPrefix + strconv.Itoa(os.Getpid()) + "-2", true},
		{"a directory named otherwise", tempPrefix + "data", true},
		{"another program's directory", "other-" + strconv.Itoa(deadPID) + "-3", true},
	}
	for _, tt := range tests {
		if err := os.Mkdir(filepath.Join(parent, tt.dir), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sweepTempDirs(parent)
	for _, tt := range tests {
		_, err := os.Stat(filepath.Join(parent, tt.dir))
		if kept := err == nil; kept != tt.kept {
			t.Errorf("%s: kept = %v, want %v", tt.name, kept, tt.kept)
		}
	}
}

func TestMakeTempDirNamesItsMaker(t *testing.T) {
	t.Parallel()
	dir, err := makeTempDir(true)
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if pid, ok := makerPID(dir); !ok || pid != os.Getpid() {
		t.Errorf("makerPID(%s) = %d, %v; want %d, true", dir, pid, ok, os.Getpid())
	}
}
