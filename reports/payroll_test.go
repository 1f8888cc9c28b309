package reports_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// Payroll is never exported from a period whose run is in progress or
// failed: its ledger holds only some batches' lines.
func TestExportRefusesUnfinishedRun(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "icomp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var id int64
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		id, err = tx.RunInsert(ctx, storage.Run{Period: "2027-Q1"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := reports.ExportPayroll(ctx, st, "2027-Q1", "2027-04-15"); !errors.Is(err, reports.ErrNotExportable) {
		t.Fatalf("export during a run: %v, want ErrNotExportable", err)
	}
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		return tx.RunFinish(ctx, storage.RunFinishParams{ID: id, Status: storage.RunFailed, Error: "batch 3: boom"})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := reports.ExportPayroll(ctx, st, "2027-Q1", "2027-04-15"); !errors.Is(err, reports.ErrNotExportable) {
		t.Fatalf("export after a failed run: %v, want ErrNotExportable", err)
	}
	if _, err := reports.ExportPayroll(ctx, st, "2027-Q2", "2027-07-15"); err == nil || errors.Is(err, reports.ErrNotExportable) {
		t.Fatalf("export of a period never run: %v, want 'nothing to export'", err)
	}
}
