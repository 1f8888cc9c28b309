package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/audit"
	"github.com/icomp/icomp/engine/money"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// PayrollHeader is the payroll CSV's header. employee_id is the person's
// payroll_id attribute when they have one, else their icomp id; line is
// the newest ledger line the row nets.
var PayrollHeader = []string{"employee_id", "person", "name", "plan", "component", "earning_code", "earned_period", "amount", "currency", "pay_period", "pay_date", "line"}

// ErrNotExportable is returned while a period cannot be paid from.
var ErrNotExportable = errors.New("period cannot be exported now")

// ErrRepeat is returned (with the batch) when nothing is left to export:
// the request repeats an earlier batch.
var ErrRepeat = errors.New("nothing new to export")

// PayrollRequest asks for a period's next payroll batch.
type PayrollRequest struct {
	Period string
	// PayDate is YYYY-MM-DD; empty means the period's last day.
	PayDate string
	// Now is recorded as the batch's creation time.
	Now string
}

// PayrollExport is the result of an export request.
type PayrollExport struct {
	Export storage.Export
	// New is false when nothing was left to export: Export is then the
	// newest earlier batch, and the error is ErrRepeat.
	New bool
	// Rows is the number of data rows in the CSV.
	Rows int
}

// ExportPayroll writes the period's next payroll batch: the payable lines
// posted in the period that no earlier batch paid, one row per person,
// plan, component, earning code, earned period and currency, net. The
// period must be approved or closed and the ledger must verify. Each line
// is paid at most once; the batch is recorded with its file, checksum
// and line keys, and sealed.
func ExportPayroll(ctx context.Context, st storage.Store, req PayrollRequest) (PayrollExport, error) {
	var out PayrollExport
	err := st.InTx(ctx, func(tx storage.Tx) error {
		// Under the inputs lock, two exports of the same period (and an
		// export and a run start) go one after the other: the second
		// export finds the lines the first paid and repeats its batch.
		if err := tx.LockInputs(ctx); err != nil {
			return err
		}
		p, err := periods.Parse(ctx, tx, req.Period)
		if err != nil {
			return err
		}
		payDate := req.PayDate
		if payDate == "" {
			payDate = p.End.String()
		}
		if d, err := period.ParseDate(payDate); err != nil || d.String() != payDate {
			return fmt.Errorf("--pay-date %q: want a date written YYYY-MM-DD", payDate)
		}
		rec, err := periods.Get(ctx, tx, p)
		if err != nil {
			return err
		}
		if rec.Status != storage.PeriodApproved && rec.Status != storage.PeriodClosed {
			return fmt.Errorf("%w: %s is %s; payroll exports approved or closed periods only (icomp period approve %s)", ErrNotExportable, p.Label, rec.Status, p.Label)
		}
		if err := exportable(ctx, tx, p.Label); err != nil {
			return err
		}
		rep, err := audit.Verify(ctx, tx)
		if err != nil {
			return err
		}
		if !rep.OK() {
			return fmt.Errorf("%w: the ledger does not verify: %s (icomp ledger verify)", ErrNotExportable, verifyProblem(rep))
		}
		lines, err := tx.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayableLedger, PostedPeriod: p.Label})
		if err != nil {
			return err
		}
		exported, err := tx.ExportedKeys(ctx, p.Label)
		if err != nil {
			return err
		}
		var fresh []ledger.Line
		for _, l := range lines {
			if !exported[l.Key] {
				fresh = append(fresh, l)
			}
		}
		if len(fresh) == 0 {
			prev, err := tx.ExportList(ctx, p.Label)
			if err != nil {
				return err
			}
			if len(prev) == 0 {
				return fmt.Errorf("nothing to export for %s: no payable lines; run the period first (icomp run --period %s)", p.Label, p.Label)
			}
			last := prev[len(prev)-1]
			if req.PayDate != "" && req.PayDate != last.PayDate {
				return fmt.Errorf("every payable line of %s was already exported in batch %d with pay date %s; a different pay date (%s) cannot pay them again", p.Label, last.ID, last.PayDate, req.PayDate)
			}
			out = PayrollExport{Export: last, Rows: last.Lines}
			return ErrRepeat
		}
		csvText, rows, keys, err := payrollCSV(ctx, tx, fresh, p.Label, payDate)
		if err != nil {
			return err
		}
		sum := sha256.Sum256([]byte(csvText))
		e := storage.Export{Period: p.Label, PayDate: payDate, Digest: hex.EncodeToString(sum[:]), CSV: csvText, Lines: rows, CreatedAt: req.Now}
		id, err := tx.ExportInsert(ctx, e, keys)
		if err != nil {
			return err
		}
		e.ID = id
		if err := audit.SealExport(ctx, tx, id); err != nil {
			return err
		}
		out = PayrollExport{Export: e, New: true, Rows: rows}
		return nil
	})
	if errors.Is(err, ErrRepeat) {
		return out, ErrRepeat
	}
	return out, err
}

func verifyProblem(rep audit.Report) string {
	if rep.Broken != nil {
		return rep.Broken.Error()
	}
	return rep.Problem
}

// exportable refuses while a run is in progress or the period's last run
// failed: the ledger is then part of a run.
func exportable(ctx context.Context, r storage.RunReader, label string) error {
	if run, found, err := periods.RunInProgress(ctx, r); err != nil {
		return err
	} else if found {
		return fmt.Errorf("%w: run %d of %s is in progress; export when it is done", ErrNotExportable, run.ID, run.Period)
	}
	if run, failed, err := periods.LastRunFailed(ctx, r, label); err != nil {
		return err
	} else if failed {
		return fmt.Errorf("%w: run %d of %s, which posts into %s, failed: %s; fix it and run it again", ErrNotExportable, run.ID, run.Period, label, run.Error)
	}
	return nil
}

// payrollCSV nets lines into rows and writes the file; it returns the
// keys of every line it paid (rows that net to zero are left out, but
// their lines count as paid).
func payrollCSV(ctx context.Context, r storage.PeopleReader, lines []ledger.Line, payPeriod, payDate string) (text string, rows int, keys []string, err error) {
	type rowKey struct{ person, plan, subject, code, earned, currency string }
	type row struct {
		amount decimal.Decimal
		line   string
	}
	sums := map[rowKey]*row{}
	var ids []string
	for _, l := range lines {
		k := rowKey{l.Person, l.Plan, l.Subject, l.EarningCode, l.Period, l.Currency}
		rw := sums[k]
		if rw == nil {
			rw = &row{}
			sums[k] = rw
			ids = append(ids, l.Person)
		}
		rw.amount = rw.amount.Add(l.Amount)
		rw.line = l.Key
		keys = append(keys, l.Key)
	}
	order := make([]rowKey, 0, len(sums))
	for k, v := range sums {
		if !v.amount.IsZero() {
			order = append(order, k)
		}
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		for _, p := range [][2]string{{a.person, b.person}, {a.earned, b.earned}, {a.plan, b.plan}, {a.subject, b.subject}, {a.code, b.code}, {a.currency, b.currency}} {
			if p[0] != p[1] {
				return p[0] < p[1]
			}
		}
		return false
	})
	people, err := r.PersonListAsOf(ctx, storage.PersonListAsOfParams{Date: lastDay, IDs: ids})
	if err != nil {
		return "", 0, nil, err
	}
	names, employee := map[string]string{}, map[string]string{}
	for _, p := range people {
		names[p.ID] = p.Name
		employee[p.ID] = p.ID
		if v := p.Attrs["payroll_id"]; v != "" {
			employee[p.ID] = v
		}
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(PayrollHeader)
	for _, k := range order {
		prec, ok := money.Precision(k.currency)
		if !ok {
			return "", 0, nil, fmt.Errorf("payable line %s: unknown currency %q", sums[k].line, k.currency)
		}
		emp := employee[k.person]
		if emp == "" {
			emp = k.person
		}
		component := k.subject
		_ = w.Write([]string{emp, k.person, names[k.person], k.plan, component, k.code, k.earned, sums[k].amount.StringFixed(prec), k.currency, payPeriod, payDate, sums[k].line})
	}
	w.Flush()
	return buf.String(), len(order), keys, w.Error()
}
