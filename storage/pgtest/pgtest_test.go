package pgtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	if err := conn.QueryRow(t.Context(), sql).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// TestStart starts a cluster of the test's own, checks what it is, and
// checks that it is gone, directory included, once the test is over.
func TestStart(t *testing.T) {
	t.Parallel()
	var url, dataDir string
	t.Run("running", func(t *testing.T) {
		url = Start(t)
		if !strings.HasPrefix(url, "postgres://postgres@127.0.0.1:") || !strings.HasSuffix(url, "/postgres?sslmode=disable") {
			t.Errorf("url = %q, want postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable", url)
		}
		conn := connect(t, url)
		if got := queryString(t, conn, "SELECT current_user"); got != "postgres" {
			t.Errorf("current_user = %q, want postgres", got)
		}
		if got := queryString(t, conn, "SELECT host(inet_server_addr())"); got != "127.0.0.1" {
			t.Errorf("server address = %q, want 127.0.0.1", got)
		}
		if got := queryString(t, conn, "SHOW server_encoding"); got != "UTF8" {
			t.Errorf("server_encoding = %q, want UTF8", got)
		}
		if got := queryString(t, conn, "SHOW fsync"); got != "off" {
			t.Errorf("fsync = %q, want off", got)
		}
		if got := queryString(t, conn, "SHOW TimeZone"); got != "UTC" {
			t.Errorf("TimeZone = %q, want UTC", got)
		}
		if got := queryString(t, conn, "SHOW max_connections"); got != "200" {
			t.Errorf("max_connections = %q, want 200", got)
		}
		dataDir = queryString(t, conn, "SHOW data_directory")

		// As root, the server must run as the postgres user.
		var pid int
		if err := conn.QueryRow(t.Context(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat("/proc/" + strconv.Itoa(pid))
		if err != nil {
			t.Skipf("no /proc to check the server's user: %v", err)
		}
		wantUID := uint32(os.Geteuid())
		if wantUID == 0 {
			u, err := user.Lookup(serverUser)
			if err != nil {
				t.Fatal(err)
			}
			uid, _ := strconv.ParseUint(u.Uid, 10, 32)
			wantUID = uint32(uid)
		}
		if got := info.Sys().(*syscall.Stat_t).Uid; got != wantUID {
			t.Errorf("backend runs as uid %d, want %d", got, wantUID)
		}
	})
	if url == "" {
		return // skipped or failed
	}

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, url); err == nil {
		conn.Close(ctx)
		t.Errorf("connected to %s after its test ended", url)
	}
	if _, err := os.Stat(filepath.Dir(dataDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cluster directory %s still there after its test ended (stat: %v)", filepath.Dir(dataDir), err)
	}
}

// TestNewDatabaseIsolation checks that two databases of the shared
// cluster do not see each other's tables.
func TestNewDatabaseIsolation(t *testing.T) {
	t.Parallel()
	server := Shared(t)
	urlA, urlB := NewDatabase(t, server), NewDatabase(t, server)
	if urlA == urlB {
		t.Fatalf("two databases with the same URL %s", urlA)
	}
	a, b := connect(t, urlA), connect(t, urlB)
	nameA := queryString(t, a, "SELECT current_database()")
	nameB := queryString(t, b, "SELECT current_database()")
	if nameA == nameB || nameA == "postgres" || nameB == "postgres" {
		t.Fatalf("databases %q and %q, want two new ones", nameA, nameB)
	}

	if _, err := a.Exec(t.Context(), "CREATE TABLE payout (amount numeric); INSERT INTO payout VALUES (12.34)"); err != nil {
		t.Fatal(err)
	}
	if got := queryString(t, a, "SELECT amount::text FROM payout"); got != "12.34" {
		t.Errorf("amount = %q, want 12.34", got)
	}
	if got := queryString(t, b, "SELECT coalesce(to_regclass('payout')::text, 'none')"); got != "none" {
		t.Errorf("database B sees table %q created in database A", got)
	}
	if _, err := b.Exec(t.Context(), "CREATE TABLE payout (amount numeric)"); err != nil {
		t.Errorf("creating the same table in database B: %v", err)
	}
}

// TestNewDatabaseParallel has parallel tests each take a database of the
// shared cluster, as a package's tests would.
func TestNewDatabaseParallel(t *testing.T) {
	t.Parallel()
	for i := range 8 {
		t.Run(fmt.Sprintf("test%d", i), func(t *testing.T) {
			t.Parallel()
			conn := connect(t, NewDatabase(t, Shared(t)))
			if _, err := conn.Exec(t.Context(), "CREATE TABLE person (id text PRIMARY KEY); INSERT INTO person VALUES ('ae-1')"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestNewDatabaseDropped checks that a test's database is gone after the
// test, even if the test left a connection open.
func TestNewDatabaseDropped(t *testing.T) {
	t.Parallel()
	server := Shared(t)
	var name string
	t.Run("use", func(t *testing.T) {
		url := NewDatabase(t, server)
		conn, err := pgx.Connect(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		// Left open on purpose; closed only after the drop.
		defer conn.Close(context.Background())
		name = queryString(t, conn, "SELECT current_database()")
	})
	conn := connect(t, server)
	var n int
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("database %s still there after its test ended", name)
	}
}

const helperEnv = "PGTEST_HELPER_START_AND_HANG"

// TestHelperStartAndHang is not a test: TestWatchdog runs the test binary
// with it to get a process that starts a cluster and then dies without
// stopping it.
func TestHelperStartAndHang(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for TestWatchdog")
	}
	c, err := startCluster()
	if err != nil {
		fmt.Printf("helper-error: %v\n", err)
		os.Exit(3)
	}
	fmt.Printf("helper-cluster: %s %s\n", c.url, c.baseDir)
	select {} // until killed
}

// TestWatchdog kills a process that started a cluster, as a -timeout
// panic or Ctrl-C would, and checks that the cluster stops and its
// directory goes anyway.
func TestWatchdog(t *testing.T) {
	t.Parallel()
	if _, err := foundBinaries(); err != nil {
		skipOrFail(t, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStartAndHang$")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()

	var url, baseDir string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "helper-cluster: "); ok {
			url, baseDir, _ = strings.Cut(rest, " ")
			break
		}
		if strings.HasPrefix(sc.Text(), "helper-error: ") {
			t.Fatal(sc.Text())
		}
	}
	if url == "" {
		t.Fatalf("helper printed no cluster (scan: %v)", sc.Err())
	}
	conn := connect(t, url)
	if got := queryString(t, conn, "SELECT 'alive'"); got != "alive" {
		t.Fatalf("got %q", got)
	}
	conn.Close(t.Context())

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	deadline := time.Now().Add(30 * time.Second)
	for {
		_, statErr := os.Stat(baseDir)
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		c, connErr := pgx.Connect(ctx, url)
		cancel()
		if connErr == nil {
			c.Close(context.Background())
		}
		if errors.Is(statErr, os.ErrNotExist) && connErr != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30s after the helper died: directory %s stat: %v; connect %s: %v", baseDir, statErr, url, connErr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestVersionLess(t *testing.T) {
	t.Parallel()
	ordered := []string{"devel", "9.6", "10", "15", "16", "17.1"}
	for i := range ordered {
		for j := range ordered {
			if got, want := versionLess(ordered[i], ordered[j]), i < j; got != want {
				t.Errorf("versionLess(%q, %q) = %v, want %v", ordered[i], ordered[j], got, want)
			}
		}
	}
}

func TestDatabaseName(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, test := range []string{
		"TestX",
		"TestX",
		"TestPayout/Sub_Test#01",
		strings.Repeat("TestVeryLongName", 10),
	} {
		name := databaseName(test)
		if len(name) > databaseNameLengthMax {
			t.Errorf("databaseName(%q) = %q, longer than %d", test, name, databaseNameLengthMax)
		}
		if notIdentChars.MatchString(name) {
			t.Errorf("databaseName(%q) = %q, not a plain identifier", test, name)
		}
		if seen[name] {
			t.Errorf("databaseName(%q) = %q twice", test, name)
		}
		seen[name] = true
	}
}

func TestProbeDirEmpty(t *testing.T) {
	t.Parallel()
	if _, err := probeDir(t.TempDir(), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("probeDir(empty dir) error = %v, want one wrapping os.ErrNotExist", err)
	}
}

// recordingTB records how skipOrFail ended the test, without ending it.
type recordingTB struct {
	testing.TB
	ended string
}

func (tb *recordingTB) Helper() {}
func (tb *recordingTB) Fatal(args ...any) {
	tb.record("fail", fmt.Sprint(args...))
}
func (tb *recordingTB) Fatalf(format string, args ...any) {
	tb.record("fail", fmt.Sprintf(format, args...))
}
func (tb *recordingTB) Skipf(format string, args ...any) {
	tb.record("skip", fmt.Sprintf(format, args...))
}
func (tb *recordingTB) record(how, msg string) {
	if tb.ended == "" {
		tb.ended = how + ": " + msg
	}
}

func TestSkipOrFail(t *testing.T) {
	notFound := fmt.Errorf("%w (looked on PATH)", errNoBinaries)
	for _, tc := range []struct {
		name, require string
		err           error
		want          string
	}{
		{"no binaries", "", notFound, "skip: pgtest: PostgreSQL binaries (initdb, pg_ctl) not found"},
		{"no binaries required", "1", notFound, "fail: pgtest: PostgreSQL binaries (initdb, pg_ctl) not found"},
		{"no binaries not required", "0", notFound, "skip: "},
		{"other error", "", errors.New("initdb: boom"), "fail: initdb: boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(EnvRequire, tc.require)
			tb := &recordingTB{TB: t}
			skipOrFail(tb, tc.err)
			if !strings.HasPrefix(tb.ended, tc.want) {
				t.Errorf("ended %q, want prefix %q", tb.ended, tc.want)
			}
		})
	}
}
