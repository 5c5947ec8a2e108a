package pgcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// account is the OS user the server runs as when the caller is root, because
// initdb and postgres refuse to run as root.
type account struct {
	name     string
	uid, gid uint32
}

// serverAccount returns nil when the caller is not root: the server then runs
// as the caller.
func serverAccount() (*account, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: running as root needs an OS user named postgres to run the server: %w", err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: uid of user postgres: %w", err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: gid of user postgres: %w", err)
	}
	return &account{name: u.Username, uid: uint32(uid), gid: uint32(gid)}, nil
}

// sysProcAttr runs a child in its own process group (so a terminal's Ctrl-C
// reaches the parent only, which then stops the server cleanly), as acct.
func (acct *account) sysProcAttr() *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Setpgid: true}
	if acct != nil {
		attr.Credential = &syscall.Credential{Uid: acct.uid, Gid: acct.gid}
	}
	return attr
}

// prepareDir makes dir (a new temporary directory when dir is empty) with the
// mode PostgreSQL demands, owned by acct, and checks that acct can reach it.
func prepareDir(dir string, durable bool, acct *account) (path string, temporary bool, err error) {
	if dir == "" {
		if dir, err = makeTempDir(durable); err != nil {
			return "", false, fmt.Errorf("pgcluster: %w", err)
		}
		temporary = true
	}
	if path, err = filepath.Abs(dir); err == nil {
		err = makeOwnedDir(path, acct)
	}
	if err != nil && temporary {
		os.RemoveAll(dir)
	}
	return path, temporary, err
}

func makeOwnedDir(dir string, acct *account) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if acct == nil {
		return nil
	}
	if err := chownTree(dir, acct); err != nil {
		return fmt.Errorf("pgcluster: giving %s to user %s: %w", dir, acct.name, err)
	}
	return checkReachable(filepath.Dir(dir), acct)
}

func chownTree(dir string, acct *account) error {
	return filepath.WalkDir(dir, func(path string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(acct.uid), int(acct.gid))
	})
}

// checkReachable fails when acct cannot search every directory from dir up
// to the root: initdb would otherwise fail with a far less helpful message.
func checkReachable(dir string, acct *account) error {
	for {
		info, err := os.Stat(dir)
		if err != nil {
			return fmt.Errorf("pgcluster: %w", err)
		}
		if !canSearch(info, acct) {
			return fmt.Errorf("pgcluster: user %s cannot enter %s (mode %v): put the data directory elsewhere or allow o+x",
				acct.name, dir, info.Mode().Perm())
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}

func canSearch(info fs.FileInfo, acct *account) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return true
	}
	perm := info.Mode().Perm()
	switch {
	case st.Uid == acct.uid:
		return perm&0o100 != 0
	case st.Gid == acct.gid:
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// initdbLocales are tried in order: C.UTF-8 classifies non-ASCII letters
// properly, but not every C library ships it.
var initdbLocales = [][]string{{"--locale=C.UTF-8"}, {"--no-locale"}}

// initIfEmpty creates a cluster in dir unless one is there already.
func initIfEmpty(ctx context.Context, bin, dir string, acct *account, opts Options) error {
	if _, err := os.Stat(filepath.Join(dir, "PG_VERSION")); err == nil {
		return nil
	}
	opts.Logf("pgcluster: initialising a new cluster in %s", dir)
	var errs []error
	for _, locale := range initdbLocales {
		err := runInitdb(ctx, bin, dir, acct, locale, opts.Durable)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func runInitdb(ctx context.Context, bin, dir string, acct *account, locale []string, durable bool) error {
	args := append([]string{"-D", dir, "-A", "trust", "-U", "postgres", "-E", "UTF8"}, locale...)
	if !durable {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
	cmd.Dir = dir
	cmd.Env = serverEnv()
	cmd.SysProcAttr = acct.sysProcAttr()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pgcluster: initdb %s: %w\n%s", strings.Join(locale, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// serverEnv is the caller's environment without PG* variables, which are
// meant for clients and could otherwise redirect the server's tools.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}
