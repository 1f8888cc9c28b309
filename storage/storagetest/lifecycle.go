package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/icomp/icomp/audit"
	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// testClosedPeriodRefusesLines: a closed period takes no line, through
// storage or straight through SQL, and its row cannot change.
func testClosedPeriodRefusesLines(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	q1 := storage.PeriodRecord{Label: "2027-Q1", Frequency: "quarterly", FiscalYear: 2027, Start: "2027-01-01", End: "2027-03-31"}
	inTx(t, ctx, st, func(tx storage.Tx) error {
		if err := tx.PeriodUpsert(ctx, q1); err != nil {
			return err
		}
		q1.Status, q1.ClosedBy, q1.ClosedAt = storage.PeriodClosed, "cfo", "2027-04-10T00:00:00Z"
		return tx.PeriodUpdate(ctx, q1)
	})
	line := ledgerLine("k1", "p1", "c1", "10")
	err := st.InTx(ctx, func(tx storage.Tx) error {
		_, err := tx.LedgerLineInsert(ctx, []ledger.Line{line})
		return err
	})
	if !errors.Is(err, storage.ErrPeriodClosed) {
		t.Fatalf("LedgerLineInsert into a closed period: %v, want ErrPeriodClosed", err)
	}
	err = st.InTx(ctx, func(tx storage.Tx) error {
		return tx.PeriodUpdate(ctx, storage.PeriodRecord{Label: "2027-Q1", Status: storage.PeriodOpen})
	})
	if !errors.Is(err, storage.ErrPeriodClosed) {
		t.Fatalf("reopening a closed period: %v, want ErrPeriodClosed", err)
	}
	if b.opts.RawExec == nil {
		return
	}
	direct := `INSERT INTO ledger_line (key, ledger, kind, supersedes, run_id, plan, plan_hash, period, posted_period, person, subject, currency, earning_code, amount, basis, reason, detail)
		VALUES ('k2', 'payout', 'post', '', 1, 'ae', 'h1', '2027-Q1', '2027-Q1', 'p1', 'c1', 'USD', 'COMM', 10, '', '', '{}')`
	if err := b.opts.RawExec(ctx, st, direct); err == nil {
		t.Fatal("a direct SQL insert of a line posted into a closed period succeeded")
	}
	if err := b.opts.RawExec(ctx, st, `UPDATE period SET status = 'open' WHERE label = '2027-Q1'`); err == nil {
		t.Fatal("a direct SQL update reopened a closed period")
	}
	if got, err := st.LedgerLineList(ctx, storage.LedgerLineListParams{}); err != nil || len(got) != 0 {
		t.Fatalf("lines after the refused inserts: %+v, %v", got, err)
	}
}

// sealedLedger posts a run's lines and credits, seals it, and records a
// sealed payroll batch: a ledger that verifies.
func sealedLedger(t *testing.T, ctx context.Context, st storage.Store) {
	t.Helper()
	inTx(t, ctx, st, func(tx storage.Tx) error {
		id, err := tx.RunInsert(ctx, storage.Run{Period: "2027-Q1", PostedPeriod: "2027-Q1"})
		if err != nil {
			return err
		}
		var lines []ledger.Line
		credit := func(p string) ledger.Credit {
			return ledger.Credit{Txn: "T-" + p, TxnHash: "h", Rule: "owner", Date: "2027-01-05", Share: dec("1"), Amount: dec("1000")}
		}
		for _, p := range []string{"p1", "p2", "p3"} {
			lines = append(lines,
				ledger.Line{Ledger: ledger.CreditLedger, Plan: "ae", Period: "2027-Q1", Person: p, Subject: ledger.CreditsSubject, Amount: dec("1000"),
					Basis: ledger.CreditsBasis([]ledger.Credit{credit(p)})},
				ledger.Line{Ledger: ledger.PayoutLedger, Plan: "ae", Period: "2027-Q1", Person: p, Subject: "commission", Amount: dec("80"), Currency: "USD", EarningCode: "COMM", Detail: "{}"})
		}
		posted := ledger.Diff(nil, lines, ledger.Posting{RunID: id})
		if _, err := tx.LedgerLineInsert(ctx, posted); err != nil {
			return err
		}
		var credits []ledger.Credit
		for _, l := range posted {
			if l.Ledger == ledger.CreditLedger {
				c := credit(l.Person)
				c.LineKey = l.Key
				credits = append(credits, c)
			}
		}
		if err := tx.CreditInsert(ctx, credits); err != nil {
			return err
		}
		if err := tx.RunFinish(ctx, storage.RunFinishParams{ID: id, Status: storage.RunDone}); err != nil {
			return err
		}
		if err := audit.SealRun(ctx, tx, id); err != nil {
			return err
		}
		eid, err := tx.ExportInsert(ctx, storage.Export{Period: "2027-Q1", PayDate: "2027-04-15", Digest: "d", CSV: "header\nrow\n", Lines: 1, CreatedAt: "2027-04-10T00:00:00Z"},
			[]string{posted[1].Key, posted[3].Key})
		if err != nil {
			return err
		}
		return audit.SealExport(ctx, tx, eid)
	})
	rep, err := audit.Verify(ctx, st)
	if err != nil || !rep.OK() || rep.Seals != 2 || rep.Credits != 3 {
		t.Fatalf("verify of an untouched ledger: %+v, %v; want 2 seals and 3 credits, ok", rep, err)
	}
}

// unguard removes the append-only guards of table, as someone with the
// database's owner rights could.
func unguard(ctx context.Context, b *bundle, st storage.Store, table string) error {
	if st.Backend() == "postgres" {
		return b.opts.RawExec(ctx, st, fmt.Sprintf(`ALTER TABLE %s DISABLE TRIGGER USER`, table))
	}
	for _, trig := range []string{table + "_no_update", table + "_no_delete"} {
		if err := b.opts.RawExec(ctx, st, `DROP TRIGGER IF EXISTS `+trig); err != nil {
			return err
		}
	}
	return nil
}

// testTamperEvident: every way of changing sealed rows behind the guards'
// back makes verify report a broken ledger.
func testTamperEvident(t *testing.T, b *bundle) {
	if b.opts.RawExec == nil {
		t.Skip("needs raw SQL")
	}
	tampers := []struct {
		name, table, sql string
	}{
		{"amount changed", "ledger_line", `UPDATE ledger_line SET amount = 1000000 WHERE seq = (SELECT MIN(seq) FROM ledger_line WHERE ledger = 'payout')`},
		{"line deleted", "ledger_line", `DELETE FROM ledger_line WHERE seq = (SELECT MAX(seq) FROM ledger_line)`},
		{"line inserted", "ledger_line", `INSERT INTO ledger_line (key, ledger, kind, supersedes, run_id, plan, plan_hash, period, posted_period, person, subject, currency, earning_code, amount, basis, reason, detail)
			VALUES ('forged', 'payout', 'post', '', 1, 'ae', '', '2027-Q1', '2027-Q1', 'p9', 'bonus', 'USD', 'COMM', 999, '', '', '{}')`},
		{"line in a new run", "ledger_line", `INSERT INTO ledger_line (key, ledger, kind, supersedes, run_id, plan, plan_hash, period, posted_period, person, subject, currency, earning_code, amount, basis, reason, detail)
			VALUES ('forged', 'payout', 'post', '', 77, 'ae', '', '2027-Q1', '2027-Q1', 'p9', 'bonus', 'USD', 'COMM', 999, '', '', '{}')`},
		{"lines reordered", "ledger_line", `UPDATE ledger_line SET seq = -seq WHERE seq = (SELECT MIN(seq) FROM ledger_line)`},
		{"seal edited", "seal", `UPDATE seal SET rows = rows + 1 WHERE seq = (SELECT MIN(seq) FROM seal)`},
		{"credit changed", "credit", `UPDATE credit SET credits = replace(credits, '"1000"', '"1"')`},
		{"credit moved to another deal", "credit", `UPDATE credit SET txns = replace(txns, '"T-p1"', '"T-p9"')`},
		{"credit removed", "credit", `DELETE FROM credit WHERE txns = '["T-p2"]'`},
		{"credit added", "credit", `INSERT INTO credit (line_key, txns, credits)
			VALUES ('nokey', '["T9"]', '{"txn_hash":["h"],"rule":["owner"],"date":["2027-01-05"],"type":[""],"share":["1"],"amount":["5"]}')`},
		{"credit added to a line", "credit", `UPDATE credit SET txns = '["T-p1","T9"]',
			credits = '{"txn_hash":["h","h"],"rule":["owner","owner"],"date":["2027-01-05","2027-01-05"],"type":["",""],"share":["1","1"],"amount":["1000","5"]}'
			WHERE txns = '["T-p1"]'`},
		{"payroll file changed", "export", `UPDATE export SET csv = csv || 'p9,1000000'`},
		{"paid line forgotten", "export_line", `DELETE FROM export_line WHERE line_key = (SELECT MIN(line_key) FROM export_line)`},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, st := b.setup(t)
			sealedLedger(t, ctx, st)
			must(t, unguard(ctx, b, st, tc.table))
			must(t, b.opts.RawExec(ctx, st, tc.sql))
			rep, err := audit.Verify(ctx, st)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK() {
				t.Fatalf("verify after %s: %+v, want a broken link", tc.name, rep)
			}
			t.Logf("%s: broken=%v unsealed=%q", tc.name, rep.Broken, rep.Problem)
		})
	}
}

// ExerciseUncredited runs Exercise's TransactionUncredited check alone,
// for a backend to run it again under another setting (a second way of
// reading it).
func ExerciseUncredited(t *testing.T, open func(t *testing.T) storage.Store) {
	t.Helper()
	testTransactionUncredited(t, &bundle{open: open})
}

// testTransactionUncredited: transactions dated in the span that no
// credit line in force credits, counted and sampled in id order; a
// credit line that was reversed credits nothing.
func testTransactionUncredited(t *testing.T, b *bundle) {
	ctx, st := b.setup(t)
	importTxns(t, ctx, st, txn("T1", "2027-01-05", "p1", "", "10"), txn("T2", "2027-01-06", "p1", "", "20"),
		txn("T3", "2027-02-01", "p2", "", "30"), txn("T4", "2027-05-01", "p2", "", "40"), txn("T0", "2027-03-01", "p3", "", "5"))
	q1 := period.Range{Start: day("2027-01-01"), End: day("2027-03-31")}
	post := func(runID int64, person string, txns ...string) []ledger.Line {
		var cs []ledger.Credit
		for _, id := range txns {
			cs = append(cs, ledger.Credit{Txn: id, Rule: "owner", Date: "2027-01-05", Share: dec("1"), Amount: dec("1")})
		}
		l := ledger.Line{Ledger: ledger.CreditLedger, Plan: "ae", Period: "2027-Q1", Person: person, Subject: ledger.CreditsSubject,
			Amount: dec("1"), Basis: ledger.CreditsBasis(cs)}
		var posted []ledger.Line
		inTx(t, ctx, st, func(tx storage.Tx) error {
			lines, err := tx.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.CreditLedger, People: []string{person}})
			if err != nil {
				return err
			}
			var computed []ledger.Line
			if len(txns) > 0 {
				computed = []ledger.Line{l}
			}
			posted = ledger.Diff(ledger.Fold(lines), computed, ledger.Posting{RunID: runID})
			if _, err := tx.LedgerLineInsert(ctx, posted); err != nil {
				return err
			}
			for i := range cs {
				cs[i].LineKey = posted[len(posted)-1].Key
			}
			if len(txns) == 0 {
				return nil
			}
			return tx.CreditInsert(ctx, cs)
		})
		return posted
	}
	check := func(wantN int, want ...string) {
		t.Helper()
		n, sample, err := st.TransactionUncredited(ctx, q1, "2027-Q1", 2)
		if err != nil || n != wantN || strings.Join(sample, ",") != strings.Join(want, ",") {
			t.Fatalf("TransactionUncredited = %d %v, %v; want %d %v", n, sample, err, wantN, want)
		}
		// The same inside a transaction (a backend may read it
		// differently outside one), and with a sample of one.
		inTx(t, ctx, st, func(tx storage.Tx) error {
			n, sample, err := tx.TransactionUncredited(ctx, q1, "2027-Q1", 1)
			if err != nil || n != wantN || strings.Join(sample, ",") != strings.Join(want[:min(1, len(want))], ",") {
				t.Fatalf("in a transaction, TransactionUncredited = %d %v, %v; want %d %v", n, sample, err, wantN, want[:min(1, len(want))])
			}
			return nil
		})
	}
	check(4, "T0", "T1")
	post(1, "p1", "T1", "T2")
	check(2, "T0", "T3")
	post(2, "p2", "T3")
	check(1, "T0")
	// p1's credits are reversed (no longer credited): T1 and T2 count again.
	post(3, "p1")
	check(3, "T0", "T1")
}
