package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// debianBinGlob is where Debian's postgresql-NN packages put the server
// programs; they are not on PATH there.
const debianBinGlob = "/usr/lib/postgresql/*/bin"

// versionCheckWaitMax bounds each "--version" run while probing a directory.
const versionCheckWaitMax = 10 * time.Second

// errNoBinaries is returned by findBinaries when no usable directory was
// found; tests skip on it unless ICOMP_REQUIRE_POSTGRES is set.
var errNoBinaries = errors.New("PostgreSQL binaries (initdb, pg_ctl) not found; " +
	"install Debian's postgresql package or set " + EnvBinDir +
	" to the directory holding initdb, pg_ctl and postgres")

// binaries are the server programs of one PostgreSQL installation, all
// from one directory so that their versions match.
type binaries struct {
	dir      string
	initdb   string
	pgCtl    string
	postgres string
	// version is what the programs print for --version, e.g. "15.18".
	version string
}

// findBinaries returns the first directory holding working initdb, pg_ctl
// and postgres programs of the same version. A program works if it runs,
// as cred (nil: as ourselves), and prints its PostgreSQL version.
//
// If EnvBinDir is set, only that directory is tried, and a failure there is
// not errNoBinaries: the user asked for it.
func findBinaries(cred *syscall.Credential) (binaries, error) {
	if dir := os.Getenv(EnvBinDir); dir != "" {
		bin, err := probeDir(dir, cred)
		if err != nil {
			return binaries{}, fmt.Errorf("%s=%s: %w", EnvBinDir, dir, err)
		}
		return bin, nil
	}
	dirs := candidateDirs()
	var problems []string
	for _, dir := range dirs {
		bin, err := probeDir(dir, cred)
		if err == nil {
			return bin, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			problems = append(problems, err.Error())
		}
	}
	detail := "looked on PATH and in " + debianBinGlob
	if len(problems) > 0 {
		detail += "; unusable: " + strings.Join(problems, "; ")
	}
	return binaries{}, fmt.Errorf("%w (%s)", errNoBinaries, detail)
}

// candidateDirs lists the absolute PATH entries, then the Debian
// directories, highest major version first, each once.
func candidateDirs() []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(dir string) {
		if dir == "" || !filepath.IsAbs(dir) || seen[dir] {
			return
		}
		seen[dir] = true
		dirs = append(dirs, dir)
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		add(filepath.Clean(dir))
	}
	debian, _ := filepath.Glob(debianBinGlob) // the pattern is valid
	sort.SliceStable(debian, func(i, j int) bool {
		return versionLess(filepath.Base(filepath.Dir(debian[j])), filepath.Base(filepath.Dir(debian[i])))
	})
	for _, dir := range debian {
		add(dir)
	}
	return dirs
}

// versionLess orders "9.6" < "10" < "15" < "16": dotted numbers compared
// field by field, anything not a number before any number.
func versionLess(a, b string) bool {
	af, bf := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(af) && i < len(bf); i++ {
		an, aErr := strconv.Atoi(af[i])
		bn, bErr := strconv.Atoi(bf[i])
		switch {
		case aErr != nil && bErr != nil:
			if af[i] != bf[i] {
				return af[i] < bf[i]
			}
		case aErr != nil:
			return true
		case bErr != nil:
			return false
		case an != bn:
			return an < bn
		}
	}
	return len(af) < len(bf)
}

// probeDir checks that dir holds initdb, pg_ctl and postgres, that each
// runs as cred and that they report the same version. The error wraps
// os.ErrNotExist when initdb is simply not there.
func probeDir(dir string, cred *syscall.Credential) (binaries, error) {
	bin := binaries{
		dir:      dir,
		initdb:   filepath.Join(dir, "initdb"),
		pgCtl:    filepath.Join(dir, "pg_ctl"),
		postgres: filepath.Join(dir, "postgres"),
	}
	if _, err := os.Stat(bin.initdb); err != nil {
		return binaries{}, err
	}
	for _, prog := range []string{bin.pgCtl, bin.postgres} {
		if _, err := os.Stat(prog); err != nil {
			return binaries{}, fmt.Errorf("%s has initdb but no %s", dir, filepath.Base(prog))
		}
	}
	for _, prog := range []string{bin.initdb, bin.pgCtl, bin.postgres} {
		version, err := programVersion(prog, cred)
		if err != nil {
			return binaries{}, err
		}
		if bin.version == "" {
			bin.version = version
		} else if version != bin.version {
			return binaries{}, fmt.Errorf("%s is version %s but %s is %s", prog, version, bin.initdb, bin.version)
		}
	}
	return bin, nil
}

// programVersion runs "prog --version" and returns the version from its
// answer, e.g. "15.18" from "initdb (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)".
func programVersion(prog string, cred *syscall.Credential) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), versionCheckWaitMax)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, "--version")
	cmd.Env = serverEnv()
	cmd.Dir = "/"
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %v: %s", prog, err, bytes.TrimSpace(out))
	}
	prefix := filepath.Base(prog) + " (PostgreSQL) "
	line := string(bytes.TrimSpace(out))
	if !strings.HasPrefix(line, prefix) {
		return "", fmt.Errorf("%s --version: unexpected answer %q", prog, line)
	}
	version, _, _ := strings.Cut(strings.TrimPrefix(line, prefix), " ")
	return version, nil
}

// serverEnv is our environment without the PG* variables (PGDATA, PGPORT,
// PGOPTIONS, ...) that would change what the server programs do, and with
// TZ=UTC so that the cluster's time zone does not depend on the machine.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") || strings.HasPrefix(kv, "TZ=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "TZ=UTC")
}
