package jobs

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/riverqueue/river/rivertype"

	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// A batch that keeps failing with a retryable error fails its run on the
// last attempt, instead of leaving the run waiting for a discarded job.
func TestLastAttemptFailsRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var runID int64
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		runID, err = tx.RunInsert(ctx, storage.Run{Period: "2027-Q1"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	transient := errors.New("database is busy")
	a := BatchArgs{RunID: runID, Index: 4}

	if got := lastAttempt(ctx, &Deps[*sql.Tx]{Store: st}, &rivertype.JobRow{Attempt: 3, MaxAttempts: 10}, a, transient); got != transient {
		t.Fatalf("attempt 3 of 10: got %v, want the error back for a retry", got)
	}
	if run, _ := st.RunGet(ctx, runID); run.Status != storage.RunRunning {
		t.Fatalf("after attempt 3 the run is %s, want running", run.Status)
	}

	got := lastAttempt(ctx, &Deps[*sql.Tx]{Store: st}, &rivertype.JobRow{Attempt: 10, MaxAttempts: 10}, a, transient)
	if !errors.Is(got, transient) {
		t.Fatalf("last attempt: got %v, want a cancel wrapping the error", got)
	}
	run, err := st.RunGet(ctx, runID)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != storage.RunFailed || run.Error != "batch 4 failed 10 times, last: database is busy" {
		t.Fatalf("run after the last attempt: status %s, error %q", run.Status, run.Error)
	}
}
