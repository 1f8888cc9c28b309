// Package audit keeps the ledger tamper-evident: each finished run and
// each payroll batch is sealed with a hash over its rows chained to the
// previous seal, and Verify recomputes the whole chain from what storage
// holds now.
package audit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/periods"
	"github.com/icomp/icomp/storage"
)

// SealRun appends the seal of run runID's lines and credits to the chain.
func SealRun(ctx context.Context, tx storage.Tx, runID int64) error {
	rows, content, err := RunContent(ctx, tx, runID)
	if err != nil {
		return err
	}
	return appendSeal(ctx, tx, ledger.SealRun, runID, rows, content)
}

// SealExport appends the seal of payroll batch id to the chain.
func SealExport(ctx context.Context, tx storage.Tx, id int64) error {
	rows, content, err := ExportContent(ctx, tx, id)
	if err != nil {
		return err
	}
	return appendSeal(ctx, tx, ledger.SealExport, id, rows, content)
}

// RunContent recomputes what a run's seal covers: its lines (full rows)
// in sequence order, then the traces it stored beside unchanged lines.
// Credits are covered through their summary lines: each one's basis holds
// the count and hash of its credits, which Verify recomputes.
func RunContent(ctx context.Context, r storage.LedgerReader, runID int64) (rows int, content string, err error) {
	lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{RunID: runID})
	if err != nil {
		return 0, "", err
	}
	traces, err := r.TraceListByRun(ctx, runID)
	if err != nil {
		return 0, "", err
	}
	var h ledger.RowHash
	for _, l := range lines {
		h.AddLine(l)
	}
	for _, t := range traces {
		h.AddTrace(t)
	}
	return h.Rows, h.Sum(), nil
}

// ExportContent recomputes what a payroll batch's seal covers: its row,
// its file and the keys of the lines it paid.
func ExportContent(ctx context.Context, r storage.ExportReader, id int64) (rows int, content string, err error) {
	e, err := r.ExportGet(ctx, id)
	if err != nil {
		return 0, "", err
	}
	keys, err := r.ExportLineKeys(ctx, id)
	if err != nil {
		return 0, "", err
	}
	var h ledger.RowHash
	h.AddText(strconv.FormatInt(e.ID, 10), e.Period, e.PayDate, e.Digest, strconv.Itoa(e.Lines), e.CreatedAt, e.CSV)
	for _, k := range keys {
		h.AddText(k)
	}
	return h.Rows, h.Sum(), nil
}

// appendSeal links a new seal after the newest one. Two seals written at
// once cannot both link to the same predecessor (a unique index on prev):
// the second transaction fails and is retried.
func appendSeal(ctx context.Context, tx storage.Tx, kind string, ref int64, rows int, content string) error {
	seals, err := tx.SealList(ctx)
	if err != nil {
		return err
	}
	prev := ""
	if len(seals) > 0 {
		prev = seals[len(seals)-1].Hash
	}
	return tx.SealInsert(ctx, ledger.NewSeal(prev, kind, ref, rows, content))
}

// Source is what Verify reads.
type Source interface {
	storage.LedgerReader
	storage.ExportReader
	storage.RunReader
}

// Report is what Verify found.
type Report struct {
	Seals, Lines, Credits, Exports int
	// Broken is the first place the chain does not hold; nil when it holds.
	Broken *ledger.BrokenLink
	// Problem names rows no seal covers (added outside a run), or credits
	// that no longer hash to their line's basis; empty when none.
	Problem string
}

// OK reports whether the whole ledger verified.
func (r Report) OK() bool { return r.Broken == nil && r.Problem == "" }

// Verify recomputes every seal of the chain in order and stops at the
// first broken link; it then checks that every ledger line and credit
// belongs to a sealed run (or to the run in progress).
func Verify(ctx context.Context, r Source) (Report, error) {
	var rep Report
	seals, err := r.SealList(ctx)
	if err != nil {
		return rep, err
	}
	prev := ""
	sealedRuns := map[int64]bool{}
	for _, s := range seals {
		var rows int
		var content string
		switch s.Kind {
		case ledger.SealRun:
			rows, content, err = RunContent(ctx, r, s.Ref)
			sealedRuns[s.Ref] = true
		case ledger.SealExport:
			rows, content, err = ExportContent(ctx, r, s.Ref)
			rep.Exports++
		default:
			rep.Broken = &ledger.BrokenLink{Seal: s, Reason: fmt.Sprintf("unknown seal kind %q", s.Kind)}
			return rep, nil
		}
		if err != nil && !errors.Is(err, storage.ErrNotFound) {
			return rep, err
		}
		if b := ledger.CheckLink(s, prev, rows, content); b != nil {
			rep.Broken = b
			return rep, nil
		}
		prev = s.Hash
		rep.Seals++
	}
	runIDs, err := r.LedgerRunIDs(ctx)
	if err != nil {
		return rep, err
	}
	tracesSealed := 0
	for id := range sealedRuns {
		ts, err := r.TraceListByRun(ctx, id)
		if err != nil {
			return rep, err
		}
		tracesSealed += len(ts)
	}
	// A run in progress has lines, traces and credits its seal will
	// cover when it finishes.
	_, running, err := periods.RunInProgress(ctx, r)
	if err != nil {
		return rep, err
	}
	if n, err := r.TraceCount(ctx); err != nil {
		return rep, err
	} else if n > tracesSealed && !running {
		rep.Problem = fmt.Sprintf("%d traces belong to no sealed run (they were added outside a run)", n-tracesSealed)
		return rep, nil
	}
	for _, id := range runIDs {
		if sealedRuns[id] {
			continue
		}
		if run, err := r.RunGet(ctx, id); err == nil && run.Status == storage.RunRunning {
			continue
		}
		rep.Problem = fmt.Sprintf("ledger lines of run %d are covered by no seal (they were added outside a run)", id)
		return rep, nil
	}
	if !running {
		if rep.Problem, err = verifyCredits(ctx, r, &rep); err != nil || rep.Problem != "" {
			return rep, err
		}
	}
	exports, err := r.ExportList(ctx, "")
	if err != nil {
		return rep, err
	}
	if len(exports) != rep.Exports {
		rep.Problem = fmt.Sprintf("%d payroll batches exist, %d are sealed", len(exports), rep.Exports)
	}
	return rep, nil
}

// verifyCredits streams every credit and checks that the credits beside
// each credit summary line still hash to the line's basis, and that no
// credit belongs to no line. It returns the first problem ("" for none).
func verifyCredits(ctx context.Context, r storage.LedgerReader, rep *Report) (string, error) {
	lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.CreditLedger})
	if err != nil {
		return "", err
	}
	basis := make(map[string]string, len(lines))
	for _, l := range lines {
		// Credit lines of ledgers from before v7 credited one deal each
		// and have no credits beside them.
		if l.Kind == ledger.KindPost && l.Subject == ledger.CreditsSubject {
			basis[l.Key] = l.Basis
		}
	}
	var group []ledger.Credit
	problem := ""
	seen := map[string]bool{}
	check := func() {
		if len(group) == 0 || problem != "" {
			return
		}
		key := group[0].LineKey
		seen[key] = true
		want, ok := basis[key]
		ledger.SortCredits(group)
		switch {
		case !ok:
			problem = fmt.Sprintf("%d credits belong to no ledger line (%.16s…): they were added outside a run", len(group), key)
		case ledger.CreditsBasis(group) != want:
			problem = fmt.Sprintf("the credits of ledger line %.16s… no longer hash to its basis %q (a credit was changed, added or removed)", key, want)
		}
		rep.Credits += len(group)
		group = group[:0]
	}
	err = r.CreditScan(ctx, func(c ledger.Credit) error {
		if len(group) > 0 && group[0].LineKey != c.LineKey {
			check()
		}
		group = append(group, c)
		return nil
	})
	if err != nil {
		return "", err
	}
	check()
	if problem != "" {
		return problem, nil
	}
	// A summary line of credits whose credits all vanished.
	for key, b := range basis {
		if !seen[key] && !strings.HasPrefix(b, "credits=0 ") {
			return fmt.Sprintf("ledger line %.16s… says %q but no credit is stored beside it", key, b), nil
		}
	}
	return "", nil
}

// UpgradeReason labels the payable lines an upgrade carries over.
const UpgradeReason = "carried over from the payout ledger when the database was upgraded to schema v7"

// SealLegacy finishes, once, the upgrade of a database from before
// sealed ledgers (schema v7). Before v7 payroll paid payout lines
// directly; now it pays payable lines. So the payout ledger is first
// carried over into the payable ledger line by line (a run per period,
// each line keyed by ledger.MirrorKey) and every carried line a payroll
// batch already paid is recorded as paid by that batch: nothing is paid
// twice. Then the runs and payroll batches it held (recorded without
// start or creation times) are sealed, runs first, each in id order. It
// does nothing once the chain has any seal, so it cannot later cover rows
// added outside a run. It returns how many links it added.
func SealLegacy(ctx context.Context, st storage.Store) (int, error) {
	seals, err := st.SealList(ctx)
	if err != nil || len(seals) > 0 {
		return 0, err
	}
	// Only a database that held runs before v7 has anything to upgrade:
	// every v7 run records its start (a new database mid-way through its
	// first run has lines but no seal yet, and nothing to carry over).
	runs, err := st.RunList(ctx)
	if err != nil {
		return 0, err
	}
	legacy := false
	for _, run := range runs {
		legacy = legacy || (run.StartedAt == "" && run.Status != storage.RunRunning)
	}
	if !legacy {
		return 0, nil
	}
	n := 0
	err = st.InTx(ctx, func(tx storage.Tx) error {
		if err := carryOverPayouts(ctx, tx); err != nil {
			return err
		}
		runs, err := tx.RunList(ctx)
		if err != nil {
			return err
		}
		exports, err := tx.ExportList(ctx, "")
		if err != nil {
			return err
		}
		for _, run := range runs {
			if run.StartedAt != "" || run.Status == storage.RunRunning {
				continue
			}
			if err := SealRun(ctx, tx, run.ID); err != nil {
				return err
			}
			n++
		}
		for _, e := range exports {
			if e.CreatedAt != "" {
				continue
			}
			if err := SealExport(ctx, tx, e.ID); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		// Another process opening the same upgraded database did it first
		// (the chain allows one first seal).
		if again, lerr := st.SealList(ctx); lerr == nil && len(again) > 0 {
			return 0, nil
		}
	}
	return n, err
}

// carryOverPayouts mirrors the payout ledger into an empty payable ledger
// and marks as paid the mirrors of the payout lines payroll paid.
func carryOverPayouts(ctx context.Context, tx storage.Tx) error {
	payable, err := tx.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayableLedger})
	if err != nil || len(payable) > 0 {
		return err
	}
	payouts, err := tx.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger})
	if err != nil || len(payouts) == 0 {
		return err
	}
	runOf := map[string]int64{}
	mirror := make(map[string]string, len(payouts))
	lines := make([]ledger.Line, 0, len(payouts))
	for _, p := range payouts {
		id, ok := runOf[p.Period]
		if !ok {
			id, err = tx.RunInsert(ctx, storage.Run{Period: p.Period, PostedPeriod: p.Period, Inputs: "upgrade to schema v7"})
			if err != nil {
				return fmt.Errorf("carrying %s over to the payable ledger: %w (finish or cancel that run first)", p.Period, err)
			}
			runOf[p.Period] = id
		}
		m := p
		m.Seq, m.Ledger, m.RunID, m.Detail, m.Reason = 0, ledger.PayableLedger, id, "", UpgradeReason
		m.Key = ledger.MirrorKey(ledger.PayableLedger, p.Key)
		if p.Supersedes != "" {
			m.Supersedes = mirror[p.Supersedes]
		}
		mirror[p.Key] = m.Key
		lines = append(lines, m)
	}
	if _, err := tx.LedgerLineInsert(ctx, lines); err != nil {
		return err
	}
	for _, id := range runOf {
		if err := tx.RunFinish(ctx, storage.RunFinishParams{ID: id, Status: storage.RunDone}); err != nil {
			return err
		}
	}
	exports, err := tx.ExportList(ctx, "")
	if err != nil {
		return err
	}
	for _, e := range exports {
		keys, err := tx.ExportLineKeys(ctx, e.ID)
		if err != nil {
			return err
		}
		var paid []string
		for _, k := range keys {
			if m, ok := mirror[k]; ok {
				paid = append(paid, m)
			}
		}
		if err := tx.ExportLineAdd(ctx, e.ID, paid); err != nil {
			return err
		}
	}
	return nil
}
