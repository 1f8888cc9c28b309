package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// serverUser is the system user the server programs run as when the
	// tests run as root, and the database superuser of every cluster.
	serverUser = "postgres"

	// startAttemptsMax bounds the retries when another process takes the
	// free port between our choosing it and the server binding it.
	startAttemptsMax = 5
	// serverWaitMaxSeconds is pg_ctl's -t for start and stop.
	serverWaitMaxSeconds = 60
	// commandWaitMax bounds each initdb and pg_ctl run.
	commandWaitMax = 2 * serverWaitMaxSeconds * time.Second
	// readyWaitMax bounds the wait for the first successful SELECT 1.
	readyWaitMax = 30 * time.Second
	// watchdogWaitMax bounds the watchdog's wait for the server to exit
	// before it removes the cluster's directory anyway.
	watchdogWaitMax = serverWaitMaxSeconds * time.Second
	// socketPathLengthMax is the room in sockaddr_un.sun_path (108 bytes
	// on Linux, less the terminating NUL).
	socketPathLengthMax = 107
	// logTailLinesMax is how much of the server log goes into an error.
	logTailLinesMax = 30

	// shmDir is where clusters go when it is a tmpfs with at least
	// shmFreeBytesMin free: a fresh cluster takes about 40 MB, and the
	// server keeps its dynamic shared memory there too.
	shmDir          = "/dev/shm"
	shmFreeBytesMin = 1 << 30
	// tmpfsMagic is TMPFS_MAGIC from linux/magic.h.
	tmpfsMagic = 0x01021994
)

// cluster is one running throwaway PostgreSQL cluster.
type cluster struct {
	url string

	bin  binaries
	cred *syscall.Credential // nil: the server runs as ourselves
	// baseDir holds dataDir and logFile and is removed by stop.
	baseDir string
	dataDir string
	logFile string

	// watchdog stops the server and removes baseDir when watchdogPipe,
	// whose write end only we hold, reads end of file: that is, when this
	// process dies without calling stop.
	watchdog     *exec.Cmd
	watchdogPipe *os.File

	stopOnce sync.Once
	stopErr  error
}

// serverCredential returns who the server programs run as: nil (ourselves)
// unless we are root, which initdb and postgres refuse to be; then the
// postgres system user.
var serverCredential = sync.OnceValues(func() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return nil, fmt.Errorf("running as root, and initdb and postgres refuse to: "+
			"need a %q system user to run them as (Debian's postgresql package creates it; "+
			"or useradd --system %s): %w", serverUser, serverUser, err)
	}
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: uid %q: %w", serverUser, u.Uid, err)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("user %s: gid %q: %w", serverUser, u.Gid, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("user %s has uid 0; initdb and postgres refuse to run as root", serverUser)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
})

// foundBinaries caches findBinaries: the answer does not change while the
// test binary runs, and probing costs a few process starts.
var foundBinaries = sync.OnceValues(func() (binaries, error) {
	cred, err := serverCredential()
	if err != nil {
		return binaries{}, err
	}
	return findBinaries(cred)
})

// startCluster makes and starts a new cluster and checks that it answers
// SELECT 1. The error wraps errNoBinaries when there is nothing to start.
func startCluster() (*cluster, error) {
	bin, err := foundBinaries()
	if err != nil {
		return nil, err
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: bin, cred: cred}
	if err := c.start(); err != nil {
		if stopErr := c.stop(); stopErr != nil {
			err = errors.Join(err, stopErr)
		}
		return nil, fmt.Errorf("pgtest: starting PostgreSQL %s from %s: %w", bin.version, bin.dir, err)
	}
	return c, nil
}

func (c *cluster) start() error {
	root, err := tempRoot(c.cred)
	if err != nil {
		return err
	}
	c.baseDir, err = os.MkdirTemp(root, "icomp-pgtest-")
	if err != nil {
		return err
	}
	if c.cred != nil {
		if err := os.Chown(c.baseDir, int(c.cred.Uid), int(c.cred.Gid)); err != nil {
			return err
		}
	}
	c.dataDir = filepath.Join(c.baseDir, "data")
	c.logFile = filepath.Join(c.baseDir, "postgres.log")
	if err := c.startWatchdog(); err != nil {
		return fmt.Errorf("starting the watchdog: %w", err)
	}

	// --no-locale and TZ=UTC (serverEnv): sorting and time zones do not
	// depend on the machine.
	if _, err := c.run(c.bin.initdb, "-D", c.dataDir, "-A", "trust", "-U", serverUser,
		"-E", "UTF8", "--no-locale", "--no-sync"); err != nil {
		return err
	}

	var port int
	for attempt := 1; ; attempt++ {
		port, err = freePort()
		if err != nil {
			return err
		}
		logStart := fileSize(c.logFile)
		err = c.pgCtlStart(port)
		if err == nil {
			break
		}
		if attempt == startAttemptsMax || !portTaken(c.logFile, logStart) {
			return err
		}
	}

	c.url = fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", serverUser, port)
	return waitReady(c.url)
}

// pgCtlStart starts the server on port and waits until it accepts
// connections. Durability is off: a crash loses the cluster, which we
// throw away anyway.
func (c *cluster) pgCtlStart(port int) error {
	opts := strings.Join([]string{
		"-h 127.0.0.1",
		"-p " + strconv.Itoa(port),
		"-k " + shellQuote(c.dataDir),
		"-F",
		"-c fsync=off",
		"-c synchronous_commit=off",
		"-c full_page_writes=off",
		"-c max_connections=200",
	}, " ")
	_, err := c.run(c.bin.pgCtl, "-w", "-t", strconv.Itoa(serverWaitMaxSeconds),
		"-D", c.dataDir, "-l", c.logFile, "-o", opts, "start")
	if err != nil {
		return fmt.Errorf("%w\n%s", err, logTail(c.logFile))
	}
	return nil
}

// stop stops the server at once (no checkpoint: the data is thrown away),
// removes the cluster's directory and ends the watchdog. It may be called
// more than once and on a cluster that did not finish starting.
func (c *cluster) stop() error {
	c.stopOnce.Do(func() {
		var err error
		// The server removes postmaster.pid when it exits, so this also
		// finds a server that pg_ctl start gave up waiting for.
		if c.dataDir != "" && fileExists(filepath.Join(c.dataDir, "postmaster.pid")) {
			_, err = c.run(c.bin.pgCtl, "-D", c.dataDir, "-m", "immediate", "-w",
				"-t", strconv.Itoa(serverWaitMaxSeconds), "stop")
		}
		if err != nil {
			c.stopErr = fmt.Errorf("pgtest: stopping the cluster in %s: %w\n%s", c.baseDir, err, logTail(c.logFile))
			// Wake the watchdog: it tries again, then removes the directory.
			if c.watchdog != nil {
				_ = c.watchdogPipe.Close()
				go func() { _ = c.watchdog.Wait() }() // only reaps it
			}
			return
		}
		if c.baseDir != "" {
			if err := os.RemoveAll(c.baseDir); err != nil {
				c.stopErr = fmt.Errorf("pgtest: removing %s: %w", c.baseDir, err)
			}
		}
		if c.watchdog != nil {
			_ = c.watchdog.Process.Kill() // before closing the pipe, which would wake it
			_ = c.watchdog.Wait()         // it was killed: the error says so
			_ = c.watchdogPipe.Close()
		}
	})
	return c.stopErr
}

// startWatchdog starts a shell that blocks reading a pipe whose write end
// only this process holds. If this process dies without stop (a -timeout
// panic, Ctrl-C, SIGKILL), the kernel closes the pipe and the shell stops
// the server and removes the directory; pg_ctl puts the server in a
// session of its own, so nothing else would.
//
// The shell runs as ourselves, not as the server's user: as root it can
// signal the server and also remove the directory from a parent that the
// server's user may not write to. It does what "pg_ctl -m immediate stop"
// does: SIGQUIT to the postmaster, then wait for it to remove
// postmaster.pid (at most watchdogWaitMax).
func (c *cluster) startWatchdog() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	const script = `read -r _ || :
pidfile="$1/postmaster.pid"
if pid=$(head -n 1 "$pidfile" 2>/dev/null) && [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null; then
	n=0
	while [ -e "$pidfile" ] && kill -0 "$pid" 2>/dev/null && [ "$n" -lt "$3" ]; do
		sleep 0.1
		n=$((n + 1))
	done
fi
rm -rf "$2"`
	waitTenths := strconv.Itoa(int(watchdogWaitMax / (100 * time.Millisecond)))
	cmd := exec.Command("/bin/sh", "-c", script, "pgtest-watchdog", c.dataDir, c.baseDir, waitTenths)
	cmd.Stdin = r
	cmd.Dir = "/"
	// Own process group: Ctrl-C in the terminal must not kill the
	// watchdog along with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return err
	}
	c.watchdog, c.watchdogPipe = cmd, w
	return nil
}

// run runs a server program as c.cred in c.baseDir and returns its output.
func (c *cluster) run(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), commandWaitMax)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = serverEnv()
	// The server's user may not be able to enter our working directory.
	cmd.Dir = c.baseDir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s %s: %w\n%s", filepath.Base(prog), strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// tempRoot returns the directory to make the cluster's directory in.
//
// Unless TMPDIR says where, that is /dev/shm if it is a tmpfs with room:
// on disk, even with fsync off, initdb takes about three times as long and
// CREATE DATABASE ten times (1.7 s and 300 ms against 0.6 s and 30 ms,
// measured on a CI-like VM). Docker's default /dev/shm (64 MB) is too
// small, and then os.TempDir is used. /tmp is the last resort, when the
// server's user cannot reach the others or the socket path would be too
// long there.
func tempRoot(cred *syscall.Credential) (string, error) {
	var roots []string
	if os.Getenv("TMPDIR") == "" && roomyTmpfs(shmDir) {
		roots = append(roots, shmDir)
	}
	roots = append(roots, os.TempDir(), "/tmp")

	// icomp-pgtest-NNNNNNNNNN/data/.s.PGSQL.NNNNN
	const suffixLength = len("/icomp-pgtest-0123456789/data/.s.PGSQL.65535")
	var tried []string
	for _, root := range roots {
		if len(root)+suffixLength > socketPathLengthMax {
			tried = append(tried, root+": socket path too long")
			continue
		}
		if err := reachable(root, cred); err != nil {
			tried = append(tried, err.Error())
			continue
		}
		return root, nil
	}
	return "", fmt.Errorf("no temporary directory for the cluster: %s", strings.Join(tried, "; "))
}

// roomyTmpfs reports whether dir is a tmpfs with at least
// shmFreeBytesMin free.
func roomyTmpfs(dir string) bool {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		return false
	}
	return fs.Type == tmpfsMagic && fs.Bavail*uint64(fs.Bsize) >= shmFreeBytesMin
}

// reachable checks that the server's user can enter dir and every
// directory above it. Without cred the server runs as ourselves, and we
// only check that dir exists.
func reachable(dir string, cred *syscall.Credential) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if cred == nil {
		_, err := os.Stat(dir)
		return err
	}
	for d := dir; ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no owner information", d)
		}
		mode := info.Mode().Perm()
		canEnter := mode&0o001 != 0 ||
			(st.Uid == cred.Uid && mode&0o100 != 0) ||
			(st.Gid == cred.Gid && mode&0o010 != 0)
		if !canEnter {
			return fmt.Errorf("%s: user %s cannot enter it (mode %v)", d, serverUser, mode)
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// freePort asks the kernel for a free TCP port on 127.0.0.1. Another
// process may take it before the server binds it; the caller retries.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	return port, nil
}

// portTaken reports whether the server log, from offset on, says that the
// port was in use.
func portTaken(logFile string, offset int64) bool {
	data, err := os.ReadFile(logFile)
	if err != nil || offset > int64(len(data)) {
		return false
	}
	return bytes.Contains(data[offset:], []byte("Address already in use"))
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// logTail returns the last lines of the server log, for error messages.
func logTail(logFile string) string {
	data, err := os.ReadFile(logFile)
	if err != nil {
		return fmt.Sprintf("(no server log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > logTailLinesMax {
		lines = lines[len(lines)-logTailLinesMax:]
	}
	return "server log " + logFile + ":\n" + strings.Join(lines, "\n")
}

// waitReady connects to url and runs SELECT 1, retrying until it works or
// readyWaitMax has passed. pg_ctl -w has already waited for the server;
// this checks that it is the server we think, reachable over TCP.
func waitReady(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), readyWaitMax)
	defer cancel()
	for {
		err := selectOne(ctx, url)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("server not ready at %s: %w", url, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func selectOne(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil {
		return err
	}
	if one != 1 {
		return fmt.Errorf("SELECT 1 returned %d", one)
	}
	return nil
}

// shellQuote quotes s for the shell that pg_ctl runs the server with.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
