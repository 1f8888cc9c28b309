package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/jobs"
	"github.com/icomp/icomp/storage"
)

// PayrollHeader is the payroll CSV's header.
var PayrollHeader = []string{"employee_id", "name", "earning_code", "amount", "currency", "period", "pay_date"}

// ErrNotExportable is returned while a period's ledger is not the result
// of a finished run.
var ErrNotExportable = errors.New("period cannot be exported now")

// PayrollExport is the result of an export request.
type PayrollExport struct {
	Export storage.Export
	// New is false when nothing was left to export and the newest earlier
	// export was returned again.
	New bool
	// Rows is the number of data rows in the CSV.
	Rows int
}

// ExportPayroll exports the period's payout lines that no earlier export
// included: one row per person, earning code and currency with the net
// amount of those lines (a re-run's reversal and new line net to the
// difference). Each line is exported at most once, so nothing is paid
// twice. With nothing new, the newest export is returned unchanged, so
// asking twice gives the same file.
func ExportPayroll(ctx context.Context, st storage.Store, periodLabel, payDate string) (PayrollExport, error) {
	var out PayrollExport
	err := st.InTx(ctx, func(tx storage.Tx) error {
		// Export only what a finished run left: a run in progress or one
		// that failed has posted part of its batches.
		if active, err := tx.RunActive(ctx, periodLabel); err == nil {
			return fmt.Errorf("%w: run %d of %s is in progress; export when it is done", ErrNotExportable, active.ID, periodLabel)
		} else if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		runs, err := tx.RunList(ctx)
		if err != nil {
			return err
		}
		for i := len(runs) - 1; i >= 0; i-- {
			if runs[i].Period != periodLabel {
				continue
			}
			if runs[i].Status == storage.RunFailed {
				return fmt.Errorf("%w: the last run of %s (run %d) failed: %s; fix it and run the period again", ErrNotExportable, periodLabel, runs[i].ID, runs[i].Error)
			}
			break
		}
		lines, err := tx.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: storage.LedgerPayout, Period: periodLabel})
		if err != nil {
			return err
		}
		exported, err := tx.ExportedKeys(ctx, periodLabel)
		if err != nil {
			return err
		}
		type rowKey struct{ person, code, currency string }
		sums := map[rowKey]decimal.Decimal{}
		var keys []string
		for _, l := range lines {
			if exported[l.Key] {
				continue
			}
			var d jobs.PayoutDetail
			if err := json.Unmarshal([]byte(l.Detail), &d); err != nil {
				return fmt.Errorf("payout line %s: %w", l.Key, err)
			}
			k := rowKey{l.Person, d.EarningCode, d.Currency}
			sums[k] = sums[k].Add(l.Amount)
			keys = append(keys, l.Key)
		}
		if len(keys) == 0 {
			prev, err := tx.ExportList(ctx, periodLabel)
			if err != nil {
				return err
			}
			if len(prev) == 0 {
				return fmt.Errorf("nothing to export for %s: no payout lines; run the period first (icomp run --period %s)", periodLabel, periodLabel)
			}
			out = PayrollExport{Export: prev[len(prev)-1], Rows: prev[len(prev)-1].Lines}
			return nil
		}
		rows := make([]rowKey, 0, len(sums))
		ids := make([]string, 0, len(sums))
		for k, v := range sums {
			if !v.IsZero() {
				rows = append(rows, k)
				ids = append(ids, k.person)
			}
		}
		sort.Slice(rows, func(i, j int) bool {
			a, b := rows[i], rows[j]
			if a.person != b.person {
				return a.person < b.person
			}
			if a.code != b.code {
				return a.code < b.code
			}
			return a.currency < b.currency
		})
		names := map[string]string{}
		if len(ids) > 0 {
			people, err := tx.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: lastDay, IDs: ids})
			if err != nil {
				return err
			}
			for _, p := range people {
				names[p.ID] = p.Name
			}
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(PayrollHeader)
		for _, r := range rows {
			_ = w.Write([]string{r.person, names[r.person], r.code, sums[r].StringFixed(money.MustPrecision(r.currency)), r.currency, periodLabel, payDate})
		}
		w.Flush()
		if err := w.Error(); err != nil {
			return err
		}
		sum := sha256.Sum256(buf.Bytes())
		e := storage.Export{Period: periodLabel, PayDate: payDate, Digest: hex.EncodeToString(sum[:]), CSV: buf.String(), Lines: len(rows)}
		id, err := tx.ExportInsert(ctx, e, keys)
		if err != nil {
			return err
		}
		e.ID = id
		out = PayrollExport{Export: e, New: true, Rows: len(rows)}
		return nil
	})
	return out, err
}
