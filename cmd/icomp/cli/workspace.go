package cli

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/icomp/icomp/calc"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/pgstore"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// defaultDB is the embedded database file used when no --db is given.
const defaultDB = "icomp.db"

// workspace is an open database and its job runner.
type workspace struct {
	store  storage.Store
	runner jobs.Service
	// shared is true when other processes (icomp worker) may work the jobs.
	shared bool
	close  func()
}

// dbTarget resolves --db and ICOMP_DATABASE_URL: a postgres:// URL or a
// SQLite file path.
func dbTarget(flag string) string {
	if flag != "" {
		return flag
	}
	if v := os.Getenv("ICOMP_DATABASE_URL"); v != "" {
		return v
	}
	return defaultDB
}

func isPostgres(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

type workspaceOptions struct {
	runner jobs.RunnerConfig
	// existing refuses to create a SQLite database: read-only commands
	// have nothing to read in a new one. Default false: create it.
	existing bool
}

// errNoDatabase reports a SQLite database file that does not exist.
func errNoDatabase(path string) error {
	return usageError{fmt.Errorf("no icomp database at %s; import data first or pass --db", path)}
}

func openWorkspace(ctx context.Context, target string, o workspaceOptions) (*workspace, error) {
	if isPostgres(target) {
		return openPostgres(ctx, target, o)
	}
	if o.existing {
		if _, err := os.Stat(target); errors.Is(err, fs.ErrNotExist) {
			return nil, errNoDatabase(target)
		}
	}
	release, err := sqlitestore.Lock(target)
	if err != nil {
		return nil, err
	}
	st, err := sqlitestore.Open(ctx, target)
	if err != nil {
		release()
		return nil, err
	}
	if _, err := st.RequeueOrphanedJobs(ctx); err != nil {
		st.Close()
		release()
		return nil, err
	}
	if err := upgradeWorkspace(ctx, st); err != nil {
		st.Close()
		release()
		return nil, err
	}
	deps := &jobs.Deps[*sql.Tx]{Store: st, Plans: calc.NewPlanCache()}
	// River's maintenance (leader election, its notifier) shares the one
	// SQLite connection with the batches and logs timeouts while a batch
	// writes; in this single-process mode those are noise. A batch that
	// fails is reported through its run.
	cfg := o.runner
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	runner, err := jobs.NewRunner[*riversqlite.Driver, *sql.Tx](riversqlite.New(st.DB), deps, cfg)
	if err != nil {
		st.Close()
		release()
		return nil, err
	}
	return &workspace{store: st, runner: runner, close: func() { st.Close(); release() }}, nil
}

func openPostgres(ctx context.Context, url string, o workspaceOptions) (*workspace, error) {
	st, err := pgstore.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := upgradeWorkspace(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	deps := &jobs.Deps[pgx.Tx]{Store: st, Plans: calc.NewPlanCache()}
	cfg := o.runner
	if cfg.Logger == nil {
		// River's default writes to stdout, and a database outage makes
		// it log every failed fetch: hundreds of lines a second.
		cfg.Logger = riverLogger(os.Stderr)
	}
	runner, err := jobs.NewRunner[*riverpgxv5.Driver, pgx.Tx](riverpgxv5.New(st.Pool), deps, cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &workspace{store: st, runner: runner, shared: true, close: func() { st.Close() }}, nil
}
