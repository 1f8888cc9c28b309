package reports_test

import (
	"errors"
	"path/filepath"
	"strings"
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
		if err := tx.SettingSet(ctx, storage.SettingFiscalYearStart, "1"); err != nil {
			return err
		}
		id, err = tx.RunInsert(ctx, storage.Run{Period: "2027-Q1", PostedPeriod: "2027-Q1"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	req := reports.PayrollRequest{Period: "2027-Q1", PayDate: "2027-04-15"}
	if _, err := reports.ExportPayroll(ctx, st, req); !errors.Is(err, reports.ErrNotExportable) {
		t.Fatalf("export during a run: %v, want ErrNotExportable", err)
	}
	if err := st.InTx(ctx, func(tx storage.Tx) error {
		return tx.RunFinish(ctx, storage.RunFinishParams{ID: id, Status: storage.RunFailed, Error: "batch 3: boom"})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := reports.ExportPayroll(ctx, st, req); !errors.Is(err, reports.ErrNotExportable) || !strings.Contains(err.Error(), "is open") {
		t.Fatalf("export of a period that is not approved: %v, want ErrNotExportable saying it is open", err)
	}
	for _, bad := range []string{"2027-4-15", "15/04/2027", "2027-02-30"} {
		if _, err := reports.ExportPayroll(ctx, st, reports.PayrollRequest{Period: "2027-Q1", PayDate: bad}); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
			t.Fatalf("pay date %q: %v, want a YYYY-MM-DD error", bad, err)
		}
	}
}
