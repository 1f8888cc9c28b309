package reports

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/ledger"
	"github.com/icomp/icomp/storage"
)

// RunDiffRow is one person's component whose amount differs between the
// ledger as two runs left it.
type RunDiffRow struct {
	Person    string          `json:"person"`
	Plan      string          `json:"plan"`
	Component string          `json:"component"`
	Currency  string          `json:"currency"`
	Before    decimal.Decimal `json:"before"`
	After     decimal.Decimal `json:"after"`
	Delta     decimal.Decimal `json:"delta"`
}

// RunDiff compares what runs a and b of one period left earned: for each
// person, plan and component, the payout in force after run a and after
// run b (lines of later runs not counted), and the rows that differ.
func RunDiff(ctx context.Context, r interface {
	storage.RunReader
	storage.LedgerReader
}, a, b int64) ([]RunDiffRow, error) {
	ra, err := r.RunGet(ctx, a)
	if err != nil {
		return nil, fmt.Errorf("run %d: %w", a, err)
	}
	rb, err := r.RunGet(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("run %d: %w", b, err)
	}
	if ra.Period != rb.Period {
		return nil, fmt.Errorf("run %d is of %s and run %d of %s: compare two runs of one period", a, ra.Period, b, rb.Period)
	}
	lines, err := r.LedgerLineList(ctx, storage.LedgerLineListParams{Ledger: ledger.PayoutLedger, Period: ra.Period})
	if err != nil {
		return nil, err
	}
	state := func(upTo int64) map[ledger.Key]ledger.Line {
		var kept []ledger.Line
		for _, l := range lines {
			if l.RunID <= upTo {
				kept = append(kept, l)
			}
		}
		out := map[ledger.Key]ledger.Line{}
		for k, c := range ledger.Fold(kept) {
			if c.Current != nil {
				out[k] = *c.Current
			}
		}
		return out
	}
	before, after := state(a), state(b)
	keys := map[ledger.Key]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var out []RunDiffRow
	for k := range keys {
		x, y := before[k], after[k]
		if x.Amount.Equal(y.Amount) {
			continue
		}
		cur := y.Currency
		if cur == "" {
			cur = x.Currency
		}
		out = append(out, RunDiffRow{Person: k.Person, Plan: k.Plan, Component: k.Subject, Currency: cur, Before: x.Amount, After: y.Amount, Delta: y.Amount.Sub(x.Amount)})
	}
	sort.Slice(out, func(i, j int) bool {
		p, q := out[i], out[j]
		if p.Person != q.Person {
			return p.Person < q.Person
		}
		if p.Plan != q.Plan {
			return p.Plan < q.Plan
		}
		return p.Component < q.Component
	})
	return out, nil
}

// WriteRunDiff writes rows as a table, JSON or CSV.
func WriteRunDiff(w io.Writer, rows []RunDiffRow, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []RunDiffRow{}
		}
		return enc.Encode(rows)
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"person", "plan", "component", "currency", "before", "after", "delta"})
		for _, r := range rows {
			_ = cw.Write([]string{r.Person, r.Plan, r.Component, r.Currency, r.Before.String(), r.After.String(), r.Delta.String()})
		}
		cw.Flush()
		return cw.Error()
	default:
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "person\tplan\tcomponent\tbefore\tafter\tdelta\tcurrency\t\n")
		total := map[string]decimal.Decimal{}
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Person, r.Plan, r.Component, moneyText(r.Before, r.Currency), moneyText(r.After, r.Currency), moneyText(r.Delta, r.Currency), r.Currency)
			total[r.Currency] = total[r.Currency].Add(r.Delta)
		}
		for _, c := range sortedKeys(total) {
			fmt.Fprintf(tw, "total\t\t\t\t\t%s\t%s\t\n", moneyText(total[c], c), c)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "%d line(s) differ\n", len(rows))
		return err
	}
}
