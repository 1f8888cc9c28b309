package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// ---- payroll batches ----

const exportCols = `id, period, pay_date, digest, csv, lines, created_at`

func (x queries) scanExports(rows Rows) ([]storage.Export, error) {
	defer rows.Close()
	var out []storage.Export
	for rows.Next() {
		var e storage.Export
		if err := rows.Scan(&e.ID, &e.Period, &e.PayDate, &e.Digest, &e.CSV, &e.Lines, &e.CreatedAt); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, e)
	}
	return out, x.d.err(rows.Err())
}

func (x queries) ExportList(ctx context.Context, periodLabel string) ([]storage.Export, error) {
	q := `SELECT ` + exportCols + ` FROM export`
	var args []any
	if periodLabel != "" {
		q += ` WHERE period = ?`
		args = append(args, periodLabel)
	}
	rows, err := x.query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	return x.scanExports(rows)
}

func (x queries) ExportGet(ctx context.Context, id int64) (storage.Export, error) {
	rows, err := x.query(ctx, `SELECT `+exportCols+` FROM export WHERE id = ?`, id)
	if err != nil {
		return storage.Export{}, err
	}
	es, err := x.scanExports(rows)
	if err != nil {
		return storage.Export{}, err
	}
	if len(es) == 0 {
		return storage.Export{}, storage.ErrNotFound
	}
	return es[0], nil
}

func (x queries) stringList(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := x.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, k)
	}
	return out, x.d.err(rows.Err())
}

func (x queries) ExportedKeys(ctx context.Context, periodLabel string) (map[string]bool, error) {
	keys, err := x.stringList(ctx, `SELECT l.line_key FROM export_line l JOIN export e ON e.id = l.export_id WHERE e.period = ?`, periodLabel)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	return out, nil
}

func (x queries) ExportLineKeys(ctx context.Context, id int64) ([]string, error) {
	keys, err := x.stringList(ctx, `SELECT line_key FROM export_line WHERE export_id = ?`, id)
	sort.Strings(keys)
	return keys, err
}

func (t *tx) ExportInsert(ctx context.Context, e storage.Export, keys []string) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `INSERT INTO export (period, pay_date, digest, csv, lines, created_at) VALUES (?,?,?,?,?,?) RETURNING id`,
		[]any{e.Period, e.PayDate, e.Digest, e.CSV, e.Lines, e.CreatedAt}, &id)
	if err != nil {
		return 0, err
	}
	return id, t.ExportLineAdd(ctx, id, keys)
}

func (t *tx) ExportLineAdd(ctx context.Context, id int64, keys []string) error {
	sorted := append([]string(nil), keys...)
	sort.Strings(sorted)
	for len(sorted) > 0 {
		n := min(len(sorted), stageRowsPerInsert)
		args := make([]any, 0, 2*n)
		for _, k := range sorted[:n] {
			args = append(args, id, k)
		}
		sorted = sorted[n:]
		if _, err := t.exec(ctx, `INSERT INTO export_line (export_id, line_key) VALUES `+strings.TrimSuffix(strings.Repeat("(?,?),", n), ","), args...); err != nil {
			return err
		}
	}
	return nil
}

// ---- credits ----

// scanCredits reads rows of (line key, transactions, pack) into credits,
// each line's in canonical order.
func (x queries) scanCredits(rows Rows, fn func(ledger.Credit) error) error {
	defer rows.Close()
	var key, txns, pack string
	var cs []ledger.Credit
	for rows.Next() {
		if err := rows.Scan(&key, &txns, &pack); err != nil {
			return x.d.err(err)
		}
		var err error
		if cs, err = DecodeCreditPack(cs[:0], key, txns, pack); err != nil {
			return err
		}
		for _, c := range cs {
			if err := fn(c); err != nil {
				return err
			}
		}
	}
	return x.d.err(rows.Err())
}

func (x queries) CreditList(ctx context.Context, lineKeys []string) ([]ledger.Credit, error) {
	sorted := slices.Clone(lineKeys)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var out []ledger.Credit
	for len(sorted) > 0 {
		n := min(len(sorted), stageRowsPerInsert)
		rows, err := x.query(ctx, `SELECT line_key, txns, credits FROM credit WHERE line_key IN (`+placeholders(n)+`) ORDER BY line_key`+x.d.BinaryCollate, strArgs(sorted[:n])...)
		if err != nil {
			return nil, err
		}
		sorted = sorted[n:]
		if err := x.scanCredits(rows, func(c ledger.Credit) error { out = append(out, c); return nil }); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (x queries) CreditScan(ctx context.Context, fn func(ledger.Credit) error) error {
	rows, err := x.query(ctx, `SELECT line_key, txns, credits FROM credit ORDER BY line_key`+x.d.BinaryCollate)
	if err != nil {
		return err
	}
	return x.scanCredits(rows, fn)
}

// CreditColumns are credit's columns in insert order: a line's key, its
// credits' transactions and their pack (CreditPacks).
var CreditColumns = []string{"line_key", "txns", "credits"}

// creditsPerInsert is how many lines' credit packs one INSERT carries:
// packs run to a few hundred kilobytes each.
const creditsPerInsert = 50

func (t *tx) CreditInsert(ctx context.Context, credits []ledger.Credit) error {
	if len(credits) == 0 {
		return nil
	}
	keys, txns, packs, err := CreditPacks(credits)
	if err != nil {
		return err
	}
	if t.d.InsertCredits != nil {
		return t.d.InsertCredits(ctx, t.tc, keys, txns, packs)
	}
	for len(keys) > 0 {
		n := bulkChunk(len(keys), creditsPerInsert)
		args := make([]any, 0, 3*n)
		for i := range n {
			args = append(args, keys[i], txns[i], packs[i])
		}
		keys, txns, packs = keys[n:], txns[n:], packs[n:]
		if _, err := t.execPrepared(ctx, `INSERT INTO credit (line_key, txns, credits) VALUES `+strings.TrimSuffix(strings.Repeat("(?,?,?),", n), ","), args...); err != nil {
			return err
		}
	}
	return nil
}

// ---- settings ----

func (x queries) SettingGet(ctx context.Context, name string) (string, error) {
	var v string
	err := x.queryRow(ctx, `SELECT value FROM setting WHERE name = ?`, []any{name}, &v)
	return v, err
}

func (t *tx) SettingSet(ctx context.Context, name, value string) error {
	_, err := t.exec(ctx, `INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

// ---- periods ----

const periodCols = `label, frequency, fiscal_year, start_date, end_date, status, needs_rerun, calculated_run, approved_by, approved_at, closed_by, closed_at`

func (x queries) scanPeriods(rows Rows) ([]storage.PeriodRecord, error) {
	defer rows.Close()
	var out []storage.PeriodRecord
	for rows.Next() {
		var p storage.PeriodRecord
		if err := rows.Scan(&p.Label, &p.Frequency, &p.FiscalYear, &p.Start, &p.End, &p.Status, &p.NeedsRerun, &p.CalculatedRun,
			&p.ApprovedBy, &p.ApprovedAt, &p.ClosedBy, &p.ClosedAt); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, p)
	}
	return out, x.d.err(rows.Err())
}

func (x queries) PeriodGet(ctx context.Context, label string) (storage.PeriodRecord, error) {
	rows, err := x.query(ctx, `SELECT `+periodCols+` FROM period WHERE label = ?`, label)
	if err != nil {
		return storage.PeriodRecord{}, err
	}
	ps, err := x.scanPeriods(rows)
	if err != nil {
		return storage.PeriodRecord{}, err
	}
	if len(ps) == 0 {
		return storage.PeriodRecord{}, storage.ErrNotFound
	}
	return ps[0], nil
}

func (x queries) PeriodList(ctx context.Context) ([]storage.PeriodRecord, error) {
	rows, err := x.query(ctx, `SELECT `+periodCols+` FROM period ORDER BY start_date, label`)
	if err != nil {
		return nil, err
	}
	return x.scanPeriods(rows)
}

func (t *tx) PeriodUpsert(ctx context.Context, p storage.PeriodRecord) error {
	_, err := t.exec(ctx, `INSERT INTO period (`+periodCols+`) VALUES (?,?,?,?,?,?,'',0,'','','','') ON CONFLICT (label) DO NOTHING`,
		p.Label, p.Frequency, p.FiscalYear, p.Start, p.End, storage.PeriodOpen)
	return err
}

func (t *tx) PeriodUpdate(ctx context.Context, p storage.PeriodRecord) error {
	cur, err := t.PeriodGet(ctx, p.Label)
	if err != nil {
		return err
	}
	if cur.Status == storage.PeriodClosed {
		return fmt.Errorf("%w: %s was closed by %s at %s", storage.ErrPeriodClosed, cur.Label, cur.ClosedBy, cur.ClosedAt)
	}
	_, err = t.exec(ctx, `UPDATE period SET status = ?, needs_rerun = ?, calculated_run = ?, approved_by = ?, approved_at = ?, closed_by = ?, closed_at = ?
		WHERE label = ?`, p.Status, p.NeedsRerun, p.CalculatedRun, p.ApprovedBy, p.ApprovedAt, p.ClosedBy, p.ClosedAt, p.Label)
	return err
}

// ---- adjustments ----

func (x queries) AdjustmentList(ctx context.Context, periodLabel string, people []string) ([]storage.Adjustment, error) {
	q := `SELECT id, person, period, ` + x.money("amount") + `, currency, earning_code, reason, created_by, created_at, source FROM adjustment WHERE 1=1`
	var args []any
	if periodLabel != "" {
		q += ` AND period = ?`
		args = append(args, periodLabel)
	}
	if people != nil {
		q += ` AND person IN (` + placeholders(len(people)) + `)`
		args = append(args, strArgs(people)...)
	}
	rows, err := x.query(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storage.Adjustment
	for rows.Next() {
		var a storage.Adjustment
		var amount string
		if err := rows.Scan(&a.ID, &a.Person, &a.Period, &amount, &a.Currency, &a.EarningCode, &a.Reason, &a.CreatedBy, &a.CreatedAt, &a.Source); err != nil {
			return nil, x.d.err(err)
		}
		var err error
		if a.Amount, err = decimal.NewFromString(amount); err != nil {
			return nil, fmt.Errorf("adjustment %d: amount %q: %w", a.ID, amount, err)
		}
		out = append(out, a)
	}
	return out, x.d.err(rows.Err())
}

func (t *tx) AdjustmentInsert(ctx context.Context, a storage.Adjustment) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `INSERT INTO adjustment (person, period, amount, currency, earning_code, reason, created_by, created_at, source)
		VALUES (?,?,`+t.castMoney("?")+`,?,?,?,?,?,?) RETURNING id`,
		[]any{a.Person, a.Period, a.Amount.String(), a.Currency, a.EarningCode, a.Reason, a.CreatedBy, a.CreatedAt, a.Source}, &id)
	if err != nil {
		return 0, err
	}
	return id, t.InputChangeRecord(ctx, storage.ChangeAdjustment, a.Person)
}

// ---- seals ----

func (x queries) SealList(ctx context.Context) ([]ledger.Seal, error) {
	rows, err := x.query(ctx, `SELECT seq, kind, ref, rows, content, prev, hash FROM seal ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Seal
	for rows.Next() {
		var s ledger.Seal
		if err := rows.Scan(&s.Seq, &s.Kind, &s.Ref, &s.Rows, &s.Content, &s.Prev, &s.Hash); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, s)
	}
	return out, x.d.err(rows.Err())
}

func (t *tx) SealInsert(ctx context.Context, s ledger.Seal) error {
	_, err := t.exec(ctx, `INSERT INTO seal (kind, ref, rows, content, prev, hash) VALUES (?,?,?,?,?,?)`, s.Kind, s.Ref, s.Rows, s.Content, s.Prev, s.Hash)
	return err
}

func (x queries) LedgerRunIDs(ctx context.Context) ([]int64, error) {
	rows, err := x.query(ctx, `SELECT DISTINCT run_id FROM ledger_line ORDER BY run_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, id)
	}
	return out, x.d.err(rows.Err())
}

// ---- imports ----

func (t *tx) ImportBatchInsert(ctx context.Context, b storage.ImportBatch) (int64, error) {
	var id int64
	err := t.queryRow(ctx, `INSERT INTO import_batch (kind, file, inserted, changed, unchanged, created_at) VALUES (?,?,?,?,?,?) RETURNING id`,
		[]any{b.Kind, b.File, b.Inserted, b.Changed, b.Unchanged, b.CreatedAt}, &id)
	return id, err
}

func (x queries) ImportBatchLatest(ctx context.Context) (int64, error) {
	var id int64
	err := x.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM import_batch`, nil, &id)
	return id, err
}

// ---- traces ----

// overlayTraces puts each line's newest stored trace in its Detail.
func (x queries) overlayTraces(ctx context.Context, lines []ledger.Line) error {
	// Whether any trace exists at all: a batch asks on every re-run, and
	// counting them would read the whole table each time.
	var one int
	err := x.queryRow(ctx, `SELECT 1 FROM line_trace LIMIT 1`, nil, &one)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	index := make(map[string]int, len(lines))
	keys := make([]string, 0, len(lines))
	for i, l := range lines {
		if l.Kind == ledger.KindPost {
			index[l.Key] = i
			keys = append(keys, l.Key)
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), stageRowsPerInsert)
		rows, err := x.query(ctx, `SELECT line_key, detail FROM line_trace WHERE line_key IN (`+placeholders(n)+`) ORDER BY line_key, run_id`, strArgs(keys[:n])...)
		if err != nil {
			return err
		}
		keys = keys[n:]
		for rows.Next() {
			var k, d string
			if err := rows.Scan(&k, &d); err != nil {
				rows.Close()
				return x.d.err(err)
			}
			lines[index[k]].Detail = d // the newest run's comes last
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return x.d.err(err)
		}
	}
	return nil
}

func (x queries) TraceListByRun(ctx context.Context, runID int64) ([]ledger.Trace, error) {
	rows, err := x.query(ctx, `SELECT line_key, run_id, detail FROM line_trace WHERE run_id = ? ORDER BY line_key`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ledger.Trace
	for rows.Next() {
		var t ledger.Trace
		if err := rows.Scan(&t.LineKey, &t.RunID, &t.Detail); err != nil {
			return nil, x.d.err(err)
		}
		out = append(out, t)
	}
	return out, x.d.err(rows.Err())
}

func (x queries) TraceCount(ctx context.Context) (int, error) {
	var n int
	err := x.queryRow(ctx, `SELECT COUNT(*) FROM line_trace`, nil, &n)
	return n, err
}

func (t *tx) TraceInsert(ctx context.Context, traces []ledger.Trace) error {
	for len(traces) > 0 {
		n := bulkChunk(len(traces), stageRowsPerInsert)
		args := make([]any, 0, 3*n)
		for _, tr := range traces[:n] {
			args = append(args, tr.LineKey, tr.RunID, tr.Detail)
		}
		traces = traces[n:]
		if _, err := t.execPrepared(ctx, `INSERT INTO line_trace (line_key, run_id, detail) VALUES `+strings.TrimSuffix(strings.Repeat("(?,?,?),", n), ","), args...); err != nil {
			return err
		}
	}
	return nil
}
