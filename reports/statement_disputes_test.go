package reports

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
)

// TestStatementDisputesGolden: the Disputes section of a statement, in
// text and JSON, for an open line dispute, a deal dispute in review, an
// adjusted and a rejected one (testdata/statement_disputes.*.golden; go
// test -update rewrites them).
func TestStatementDisputesGolden(t *testing.T) {
	adj := StatementAdjustment{ID: 4, Amount: decimal.RequireFromString("125.50"), Currency: "USD", EarningCode: "ADJ",
		Reason: "dispute 3: split added", By: "comp-admin", At: "2027-04-12T10:00:00Z"}
	s := &Statement{Person: "ae-1", Name: "Ana Lopez", Period: "2027-Q1",
		Money: MoneyMoved{Earned: []CurrencyTotal{{"USD", decimal.RequireFromString("1000.00")}}, Adjustments: []StatementAdjustment{adj},
			Payable: []CurrencyTotal{{"USD", decimal.RequireFromString("1125.50")}}, PreviouslyPaid: []CurrencyTotal{}},
		Disputes: []StatementDispute{
			{ID: 1, Period: "2027-Q1", Line: "golden-ae/quota_bonus", Text: "my quota was lowered in February", OpenedBy: "ae-1",
				OpenedAt: "2027-04-02T09:00:00Z", State: "open", By: "ae-1", At: "2027-04-02T09:00:00Z"},
			{ID: 2, Period: "2027-Q1", Deal: "T-17", Text: "T-17 closed on March 30", OpenedBy: "ae-1", OpenedAt: "2027-04-03T09:00:00Z",
				State: "in_review", Note: "asking sales ops", By: "comp-admin", At: "2027-04-04T09:00:00Z"},
			{ID: 3, Period: "2027-Q1", Line: "golden-ae/commission", Text: "T003's split is missing", OpenedBy: "ae-1", OpenedAt: "2027-04-05T09:00:00Z",
				State: "resolved", Resolution: "adjusted", Note: "split added", By: "comp-admin", At: "2027-04-12T10:00:00Z", Adjustment: &adj},
			{ID: 5, Period: "2027-Q1", Deal: "T001", Text: "T001 is mine", OpenedBy: "ae-1", OpenedAt: "2027-04-06T09:00:00Z",
				State: "resolved", Resolution: "rejected", Note: "credited in full on the commission line", By: "comp-admin", At: "2027-04-12T11:00:00Z"},
		}}
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"text", func(b *bytes.Buffer) error { return s.WriteText(b) }},
		{"json", func(b *bytes.Buffer) error { return s.WriteJSON(b) }},
	} {
		t.Run(f.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := f.write(&b); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "statement_disputes."+f.name+".golden")
			if *update {
				if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if b.String() != string(want) {
				t.Errorf("differs from %s (go test -update rewrites it):\ngot:\n%s", golden, b.String())
			}
		})
	}
}
