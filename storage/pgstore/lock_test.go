package pgstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// TestLockInputsSerialises: a transaction that changes a run's inputs
// holds the inputs lock until it ends, so a run start (which takes it
// before recording the run) waits, then sees the change; and a change
// made once the run is recorded sees the run and is refused. Regression
// test: a dispute resolved, or a period closed, while a run started was
// checked for runs outside the transaction that made the change.
func TestLockInputsSerialises(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := open(t)
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 2)
	go func() {
		done <- st.InTx(ctx, func(tx storage.Tx) error {
			if err := periods.GuardInputs(ctx, tx, "an adjustment"); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	started := make(chan int64, 1)
	go func() {
		done <- st.InTx(ctx, func(tx storage.Tx) error {
			if err := tx.LockInputs(ctx); err != nil {
				return err
			}
			id, err := tx.RunInsert(ctx, storage.Run{Period: "2027-Q1", PostedPeriod: "2027-Q1", Plans: []string{"h"}})
			started <- id
			return err
		})
	}()
	select {
	case <-started:
		close(release)
		t.Fatal("a run was recorded while a change to its inputs held the inputs lock")
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	<-started
	err := st.InTx(ctx, func(tx storage.Tx) error { return periods.GuardInputs(ctx, tx, "importing") })
	var running *periods.RunningError
	if !errors.As(err, &running) || running.Run.Period != "2027-Q1" {
		t.Fatalf("a change made while the run is in progress: error %v, want a *periods.RunningError naming the run", err)
	}
}
