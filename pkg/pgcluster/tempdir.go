package pgcluster

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

const (
	// memoryDir is a RAM-backed file system on Linux. A throw-away cluster
	// there initialises twice as fast and copies databases several times
	// faster than on disk.
	memoryDir = "/dev/shm"
	// memoryNeeded is the room below which memoryDir is passed over, as it
	// is in containers that give it only tens of megabytes.
	memoryNeeded = 1 << 30
	// tempPrefix starts the name of every temporary data directory, which
	// goes on with the pid of the process that made it.
	tempPrefix = "pgcluster-"
)

// makeTempDir makes a temporary directory, in memory for a cluster that
// need not survive a crash when there is room, else in the usual place. It
// first removes those left behind by processes that died without Stop.
func makeTempDir(durable bool) (string, error) {
	pattern := tempPrefix + strconv.Itoa(os.Getpid()) + "-"
	var st syscall.Statfs_t
	if !durable && syscall.Statfs(memoryDir, &st) == nil && st.Bavail*uint64(st.Bsize) >= memoryNeeded {
		sweepTempDirs(memoryDir)
		if dir, err := os.MkdirTemp(memoryDir, pattern); err == nil {
			return dir, nil
		}
	}
	sweepTempDirs(os.TempDir())
	return os.MkdirTemp("", pattern)
}

// sweepTempDirs removes the temporary data directories in parent whose
// maker is gone. Their servers are gone too: they die with their parent.
func sweepTempDirs(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, tempPrefix+"*-*"))
	for _, dir := range dirs {
		if pid, ok := makerPID(dir); ok && !alive(pid) && !serverRunsIn(dir) {
			os.RemoveAll(dir)
		}
	}
}

// makerPID reads the pid from a name made by makeTempDir.
func makerPID(dir string) (int, bool) {
	rest := strings.TrimPrefix(filepath.Base(dir), tempPrefix)
	field, _, found := strings.Cut(rest, "-")
	pid, err := strconv.Atoi(field)
	return pid, found && err == nil && pid > 0
}

func serverRunsIn(dir string) bool {
	_, ok := runningOn(dir)
	return ok
}
