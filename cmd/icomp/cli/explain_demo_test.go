package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/reports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

// TestExplainEveryDemoLine explains every payout line in force in the
// demo (every plan, component, clawback and step the example plans have):
// each explanation must recompute to the posted amount, list the credits
// the line's measures took in, and per-credit components their deals.
func TestExplainEveryDemoLine(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "demo")
	mustIcomp(t, "demo", "--dir", dir)
	st, err := sqlitestore.Open(t.Context(), filepath.Join(dir, "icomp.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lines, err := st.LedgerLineList(t.Context(), storage.LedgerLineListParams{Ledger: ledger.PayoutLedger})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	n, converted := 0, 0
	for k, c := range ledger.Fold(lines) {
		if c.Current == nil {
			continue
		}
		n++
		ref := reports.LineRef{Plan: k.Plan, Period: k.Period, Person: k.Person, Component: k.Subject}
		x, err := reports.Explain(t.Context(), st, ref)
		if err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		if !x.Check.Matches || !x.Amount.Equal(c.Current.Amount) {
			t.Errorf("%s: posted %s, explanation %s, recomputed %s: %s", ref, c.Current.Amount, x.Amount, x.Check.Recomputed, x.Check.Note)
		}
		if x.Definition.Pos == "" && x.Trace.Clawbacks == nil {
			t.Errorf("%s: no rule position", ref)
		}
		for _, m := range x.Measures {
			if len(m.Credits) == 0 && !m.Value.IsZero() {
				t.Errorf("%s: measure %s = %s lists no credits", ref, m.Measure, m.Value)
			}
		}
		if x.Type == "per_credit" && x.Trace.Credits != nil && len(x.Deals) != x.Trace.Credits.Count {
			t.Errorf("%s: %d deals listed, the trace priced %d", ref, len(x.Deals), x.Trace.Credits.Count)
		}
		var b strings.Builder
		if err := x.WriteText(&b); err != nil {
			t.Fatal(err)
		}
		kinds[x.Type]++
		for _, c := range x.Credits {
			if c.FX != nil {
				if !strings.Contains(b.String(), "converted: "+c.FX.String()) {
					t.Errorf("%s: the text does not show the conversion of %s", ref, c.Txn)
				}
				converted++
			}
		}
	}
	if converted == 0 {
		t.Errorf("no explanation shows a currency conversion: the demo's EMEA deals should")
	}
	if n < 100 {
		t.Fatalf("only %d payout lines in the demo", n)
	}
	t.Logf("%d lines explained, by type: %v", n, kinds)
}
