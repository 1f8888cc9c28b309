package imports_test

import (
	"strings"
	"testing"

	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/storage"
)

func (b *testBundle) fx(t *testing.T, file, content string) (storage.ImportCounts, error) {
	t.Helper()
	return imports.FX(t.Context(), b.st, strings.NewReader(content), imports.Options{File: file, Format: imports.FormatOf(file)})
}

func TestFXImport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	bad := "from,to,month,rate\n" +
		"EUR,GBP,2027-01,0.85\n" + // 2: good
		"EUR,GBX,2027-01,0.85\n" + // 3: unknown currency
		"EUR,GBP,2027-1,0.85\n" + // 4: bad month
		"EUR,GBP,2027-02,0\n" + // 5: zero rate
		"EUR,GBP,2027-03,-1.2\n" + // 6: negative rate
		"EUR,GBP,2027-01,0.86\n" + // 7: duplicate of line 2
		"GBP,GBP,2027-01,1\n" + // 8: same currency
		"EUR,GBP,2027-04,1e-3\n" // 9: not a plain decimal
	_, err := b.fx(t, "fx.csv", bad)
	wantProblems(t, problems(t, err), []string{
		`fx.csv:3: to: "GBX" is not an ISO 4217 currency icomp knows (such as EUR, GBP, USD, JPY)`,
		`fx.csv:4: month: "2027-1" is not a month; want YYYY-MM, such as 2027-01`,
		`fx.csv:5: rate: "0": a rate must be above 0`,
		`fx.csv:6: rate: "-1.2" is not a rate; want a positive plain decimal such as 0.8571`,
		`fx.csv:7: month: rate EUR→GBP for 2027-01 already appears on line 2`,
		`fx.csv:8: to: from and to are both GBP; a rate converts between two currencies`,
		`fx.csv:9: rate: "1e-3" is not a rate; want a positive plain decimal such as 0.8571`,
	})
	if rates, err := b.st.FXRateList(t.Context()); err != nil || len(rates) != 0 {
		t.Fatalf("a file with bad rows stored rates: %v, %v", rates, err)
	}
	good := "from,to,month,rate\nEUR,GBP,2027-01,0.85\nEUR,GBP,2027-02,0.86\nEUR,USD,2027-01,1.08\n"
	if c, err := b.fx(t, "fx.csv", good); err != nil || c != (storage.ImportCounts{Inserted: 3}) {
		t.Fatalf("good file: %+v, %v", c, err)
	}
	if c, err := b.fx(t, "fx.csv", "from,to,month,rate\nEUR,GBP,2027-01,0.85\nEUR,GBP,2027-02,0.87\n"); err != nil || c != (storage.ImportCounts{Changed: 1, Unchanged: 1}) {
		t.Fatalf("re-import: %+v, %v", c, err)
	}
	if c, err := b.fx(t, "fx.jsonl", `{"from":"USD","to":"JPY","month":"2027-01","rate":"151.2"}`+"\n"); err != nil || c != (storage.ImportCounts{Inserted: 1}) {
		t.Fatalf("JSON Lines: %+v, %v", c, err)
	}
}
