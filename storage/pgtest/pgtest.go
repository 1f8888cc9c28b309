package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvRequire names the environment variable that turns "no PostgreSQL
// binaries" from a skip into a failure. CI sets it to 1. Default: unset,
// tests skip.
const EnvRequire = "ICOMP_REQUIRE_POSTGRES"

// EnvBinDir names the environment variable holding the directory of
// initdb, pg_ctl and postgres, when they are neither on PATH nor in
// /usr/lib/postgresql/*/bin. Default: unset, search there.
const EnvBinDir = "ICOMP_POSTGRES_BIN"

const (
	// databaseWaitMax bounds CREATE DATABASE and DROP DATABASE.
	databaseWaitMax = time.Minute
	// databaseNameLengthMax is PostgreSQL's NAMEDATALEN-1.
	databaseNameLengthMax = 63
	// databaseTestNameLengthMax is how much of the test name goes into a
	// database name, leaving room for the prefix and unique suffix.
	databaseTestNameLengthMax = 40
)

// Start starts a throwaway cluster for tb alone and returns the URL of its
// postgres database, as the superuser postgres:
// postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable. The cluster
// is stopped and removed when tb and its subtests finish.
//
// Start skips tb if no PostgreSQL binaries are found, or fails it if
// ICOMP_REQUIRE_POSTGRES is set. Starting takes about a second (two when
// the cluster lives on disk rather than in /dev/shm), a new database a few
// tens of milliseconds: tests that can share a cluster should use Shared
// and NewDatabase.
func Start(tb testing.TB) string {
	tb.Helper()
	c, err := startCluster()
	if err != nil {
		skipOrFail(tb, err)
	}
	tb.Cleanup(func() {
		if err := c.stop(); err != nil {
			tb.Error(err)
		}
	})
	return c.url
}

// shared is the cluster of Shared, started by its first caller and
// stopped by Main.
var shared struct {
	mainRunning atomic.Bool
	once        sync.Once
	cluster     *cluster
	err         error
}

// Main runs the tests of m and then stops the cluster that Shared
// started, if any. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// It returns m.Run's exit code, or 1 if the tests passed but the cluster
// could not be stopped.
func Main(m *testing.M) int {
	shared.mainRunning.Store(true)
	code := m.Run()
	if shared.cluster != nil { // m.Run has returned: no test is in once.Do
		if err := shared.cluster.stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
	}
	return code
}

// Shared returns the URL of the postgres database of the test binary's
// one shared cluster, starting the cluster on first use, so a package
// whose database tests are all filtered out by -run starts none. TestMain
// must call Main, which stops it; Shared fails tb otherwise.
//
// Tests sharing the cluster should each take a database of their own
// with NewDatabase; then they can run in parallel.
//
// Shared skips or fails tb, as Start does, when there is no cluster.
func Shared(tb testing.TB) string {
	tb.Helper()
	if !shared.mainRunning.Load() {
		tb.Fatal("pgtest: Shared needs TestMain to call pgtest.Main, which stops the cluster: " +
			"func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }")
	}
	shared.once.Do(func() {
		shared.cluster, shared.err = startCluster()
	})
	if shared.err != nil {
		skipOrFail(tb, shared.err)
	}
	return shared.cluster.url
}

// NewDatabase creates a database with a new unique name in the cluster of
// serverURL and returns serverURL with its database replaced by the new
// one. The database is dropped, even with open connections, when tb and
// its subtests finish.
func NewDatabase(tb testing.TB, serverURL string) string {
	tb.Helper()
	u, err := url.Parse(serverURL)
	if err != nil {
		tb.Fatalf("pgtest: parsing server URL: %v", err)
	}
	name := databaseName(tb.Name())
	ident := pgx.Identifier{name}.Sanitize()

	ctx, cancel := context.WithTimeout(context.Background(), databaseWaitMax)
	defer cancel()
	if err := execOnce(ctx, serverURL, "CREATE DATABASE "+ident); err != nil {
		tb.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), databaseWaitMax)
		defer cancel()
		if err := execOnce(ctx, serverURL, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})

	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// execOnce runs one statement on a connection of its own.
func execOnce(ctx context.Context, serverURL, sql string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

var (
	databaseSeq    atomic.Uint64
	databaseRunHex = randomHex()
	notIdentChars  = regexp.MustCompile(`[^a-z0-9_]+`)
)

// databaseName makes a database name from a test name: readable in the
// server log, unique within this process by a sequence number and across
// processes sharing a server by a random part.
func databaseName(testName string) string {
	suffix := "_" + databaseRunHex + "_" + strconv.FormatUint(databaseSeq.Add(1), 10)
	readable := strings.Trim(notIdentChars.ReplaceAllString(strings.ToLower(testName), "_"), "_")
	readable = readable[:min(len(readable), databaseTestNameLengthMax, databaseNameLengthMax-len("t_")-len(suffix))]
	return "t_" + readable + suffix
}

func randomHex() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// skipOrFail ends tb because err kept it from having a cluster: a skip if
// there simply are no PostgreSQL binaries and EnvRequire is unset, a
// failure otherwise.
func skipOrFail(tb testing.TB, err error) {
	tb.Helper()
	if !errors.Is(err, errNoBinaries) {
		tb.Fatal(err)
	}
	if required() {
		tb.Fatalf("pgtest: %v (%s is set, so this is a failure, not a skip)", err, EnvRequire)
	}
	tb.Skipf("pgtest: %v", err)
}

// required reports whether EnvRequire asks for Postgres: any value but
// empty, 0 or false.
func required() bool {
	v := os.Getenv(EnvRequire)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	return err != nil || b
}
