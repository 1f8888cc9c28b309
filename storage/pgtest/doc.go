// Package pgtest starts throwaway PostgreSQL clusters for tests.
//
// A cluster is made with initdb in a fresh temporary directory (under
// /dev/shm when that is a tmpfs with room and TMPDIR is unset, because
// initdb and CREATE DATABASE are several times faster there; else under
// os.TempDir), listens on 127.0.0.1 only, on a free port, trusts every local connection, and runs
// with fsync and synchronous commit off: it is fast and it is disposable. It
// is stopped with "pg_ctl -m immediate stop" and its directory removed when
// the test (Start) or the test binary (Shared with Main) ends. A watchdog
// process does the same if the test binary dies without cleaning up (a
// -timeout panic, Ctrl-C, SIGKILL), so no postgres processes are left
// behind.
//
// One cluster per test binary, and one database per test, is the usual
// shape:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestPayoutInsert(t *testing.T) {
//		t.Parallel()
//		url := pgtest.NewDatabase(t, pgtest.Shared(t))
//		conn, err := pgx.Connect(t.Context(), url)
//		...
//	}
//
// Start gives a test a cluster of its own instead.
//
// The binaries (initdb, pg_ctl and postgres, from one directory) are looked
// for in $ICOMP_POSTGRES_BIN if it is set, else on PATH, then in
// /usr/lib/postgresql/*/bin, highest version first, where Debian's
// postgresql package installs them. Without them, tests that ask for a
// cluster are skipped, unless ICOMP_REQUIRE_POSTGRES is set (CI sets it),
// in which case they fail.
//
// initdb and postgres refuse to run as root. When the tests run as root, the
// server programs run as the "postgres" system user (which Debian's package
// creates) in a directory that this user owns.
package pgtest
