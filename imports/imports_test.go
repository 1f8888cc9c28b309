package imports_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/icomp/icomp/engine/period"
	"github.com/icomp/icomp/imports"
	"github.com/icomp/icomp/storage"
	"github.com/icomp/icomp/storage/sqlitestore"
)

type testBundle struct {
	st storage.Store
}

const peopleCSV = `id,name,role,territory,manager,currency,hire_date
mgr-1,Mia,Manager,west,,USD,2021-03-01
ae-1,Ana,AE,west,mgr-1,USD,2024-01-15
ae-2,Bo,AE,west,mgr-1,USD,2024-02-01
sdr-1,Cy,SDR,east,mgr-1,USD,2025-06-01
`

const txnHeader = "id,date,type,owner,territory,product,amount,currency,splits\n"

// setup opens a fresh SQLite store with four people imported.
func setup(t *testing.T) *testBundle {
	t.Helper()
	st, err := sqlitestore.Open(t.Context(), filepath.Join(t.TempDir(), "icomp.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b := &testBundle{st: st}
	c, err := b.people(t, "people.csv", peopleCSV)
	if err != nil {
		t.Fatal(err)
	}
	if c != (storage.ImportCounts{Inserted: 4}) {
		t.Fatalf("people counts %+v, want 4 inserted", c)
	}
	return b
}

func (b *testBundle) people(t *testing.T, file, content string) (storage.ImportCounts, error) {
	t.Helper()
	return imports.People(t.Context(), b.st, strings.NewReader(content), imports.Options{File: file, Format: imports.FormatOf(file)})
}

func (b *testBundle) txns(t *testing.T, file, content string) (storage.ImportCounts, error) {
	t.Helper()
	return imports.Transactions(t.Context(), b.st, strings.NewReader(content), imports.Options{File: file, Format: imports.FormatOf(file)})
}

// counts is the number of people and transactions stored.
func (b *testBundle) counts(t *testing.T) [2]int {
	t.Helper()
	p, err := b.st.PersonCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n, err := b.st.TransactionCount(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return [2]int{p, n}
}

// problems returns err's problems as FILE:LINE: field: reason strings; it
// fails the test unless err is an *imports.Error.
func problems(t *testing.T, err error) []string {
	t.Helper()
	var ie *imports.Error
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want an *imports.Error", err, err)
	}
	out := make([]string, len(ie.Problems))
	for i, p := range ie.Problems {
		out[i] = p.String()
	}
	return out
}

// wantProblems compares problems word for word; a want ending in "*" is a prefix.
func wantProblems(t *testing.T, got, want []string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		if prefix, isPrefix := strings.CutSuffix(want[i], "*"); isPrefix {
			ok = strings.HasPrefix(got[i], prefix)
		} else {
			ok = got[i] == want[i]
		}
	}
	if !ok {
		t.Fatalf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestTransactionsBadRowImportsNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var base strings.Builder
	base.WriteString(txnHeader)
	for i := 1; i <= 5; i++ {
		fmt.Fprintf(&base, "T%03d,2027-01-%02d,new,ae-1,west,core,%d00.00,USD,\n", i, i, i)
	}
	if c, err := b.txns(t, "base.csv", base.String()); err != nil || c != (storage.ImportCounts{Inserted: 5}) {
		t.Fatalf("base import: %+v, %v", c, err)
	}
	before := b.counts(t)

	// Lines 2-16 are good (a change to T001 and new rows), line 17 has a
	// bad amount, lines 18-20 are good again.
	var f strings.Builder
	f.WriteString(txnHeader)
	f.WriteString("T001,2027-01-01,new,ae-1,west,core,999.99,USD,\n")
	for line := 3; line <= 20; line++ {
		amount := fmt.Sprintf("%d.50", line)
		if line == 17 {
			amount = "1O0.00"
		}
		fmt.Fprintf(&f, "T1%02d,2027-02-%02d,upsell,ae-2,west,core,%s,USD,\n", line, line, amount)
	}
	c, err := b.txns(t, "txns.csv", f.String())
	if err == nil {
		t.Fatal("import of a file with a bad row succeeded")
	}
	wantProblems(t, problems(t, err), []string{`txns.csv:17: amount: "1O0.00" is not a decimal amount such as 1250.50`})
	if !strings.Contains(err.Error(), ":17:") || !strings.Contains(err.Error(), "amount") {
		t.Fatalf("error %q does not name line 17 and the amount field", err)
	}
	if !strings.HasSuffix(err.Error(), "1 problem(s); nothing was imported") {
		t.Fatalf("error %q does not say nothing was imported", err)
	}
	if c != (storage.ImportCounts{}) {
		t.Fatalf("a failed import reported counts %+v", c)
	}
	if after := b.counts(t); after != before {
		t.Fatalf("people and transactions %v after the failed import, want %v", after, before)
	}
	got, err := b.st.TransactionGet(t.Context(), "T001")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Amount.Equal(decimal.NewFromInt(100)) {
		t.Fatalf("T001 amount %s after the failed import, want 100", got.Amount)
	}
	if _, err := b.st.TransactionGet(t.Context(), "T103"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("T103 from the failed file: %v, want ErrNotFound", err)
	}
}

func TestTransactionProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content string
		want                []string
	}{
		{
			name: "unknown owner", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,100,USD,\nT2,2027-01-10,new,zz-9,west,core,100,USD,\n",
			want:    []string{`t.csv:3: owner: unknown person "zz-9"; import people first`},
		},
		{
			name: "bad date", file: "t.csv",
			content: txnHeader + "T1,2027-02-30,new,ae-1,west,core,100,USD,\nT2,10/01/2027,new,ae-1,west,core,100,USD,\nT3,,new,ae-1,west,core,100,USD,\n",
			want: []string{
				`t.csv:2: date: "2027-02-30" is not a date (want YYYY-MM-DD)`,
				`t.csv:3: date: "10/01/2027" is not a date (want YYYY-MM-DD)`,
				`t.csv:4: date: required`,
			},
		},
		{
			name: "bad currency", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,100,XYZ,\nT2,2027-01-10,new,ae-1,west,core,100,,\n",
			want: []string{
				`t.csv:2: currency: "XYZ" is not a supported ISO 4217 currency code`,
				`t.csv:3: currency: required (an ISO 4217 code such as USD)`,
			},
		},
		{
			name: "bad amounts", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,100.001,USD,\nT2,2027-01-10,new,ae-1,west,core,1e3,USD,\nT3,2027-01-10,new,ae-1,west,core,,USD,\nT4,2027-01-10,new,ae-1,west,core,\"1,000\",USD,\n",
			want: []string{
				`t.csv:2: amount: 100.001 has more decimal places than USD allows (2)`,
				`t.csv:3: amount: "1e3" uses exponent notation; write the number out in digits, such as 1250.50`,
				`t.csv:4: amount: required`,
				`t.csv:5: amount: "1,000" is not a decimal amount such as 1250.50`,
			},
		},
		{
			name: "duplicate id", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,100,USD,\nT2,2027-01-11,new,ae-1,west,core,100,USD,\nT1,2027-01-12,new,ae-2,west,core,200,USD,\n",
			want:    []string{`t.csv:4: id: transaction T1 already appears on line 2`},
		},
		{
			name: "bad splits", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,100,USD,ae-1:0.5;ae-2:0.4\nT2,2027-01-10,new,ae-1,west,core,100,USD,ae-1:0.5;zz:0.5\nT3,2027-01-10,new,ae-1,west,core,100,USD,ae-1\n",
			want: []string{
				`t.csv:2: splits: shares sum to 0.9; want 1`,
				`t.csv:3: splits: unknown person "zz"; import people first`,
				`t.csv:4: splits: "ae-1": want PERSON:SHARE, e.g. ae-1:0.6;ae-2:0.4`,
			},
		},
		{
			name: "wrong column count", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,100,USD,\nT2,2027-01-10,new,ae-1,west,core,100\nT3,2027-01-10,new,ae-1,west,core,100,USD,,extra\nT4,2027-01-10,new,ae-1,west,core,x,USD,\n",
			want: []string{
				`t.csv:3: row has 7 fields, the header 9`,
				`t.csv:4: row has 10 fields, the header 9`,
				`t.csv:5: amount: "x" is not a decimal amount such as 1250.50`,
			},
		},
		{
			name: "unknown header column", file: "t.csv",
			content: "id,date,owner,ammount,currency\nT1,2027-01-10,ae-1,100,USD\n",
			want: []string{
				`t.csv:1: ammount: unknown column; did you mean "amount"?`,
				`t.csv:1: amount: required column missing from the header`,
			},
		},
		{
			name: "unknown header column without suggestion", file: "t.csv",
			content: "id,date,amount,currency,zzzzzz\nT1,2027-01-10,100,USD,red\n",
			want:    []string{`t.csv:1: zzzzzz: unknown column; known columns: id, date, type, owner, territory, product, amount, currency, splits, and attr.NAME for attributes`},
		},
		{
			name: "empty file", file: "t.csv", content: "",
			want: []string{`t.csv:1: empty file; want a header line naming the columns (id, date, amount, currency)`},
		},
		{
			name: "bare quote", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,co\"re,100,USD,\n",
			want:    []string{`t.csv:2: CSV: bare " in non-quoted-field`},
		},
		{
			name: "jsonl bad amount", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":"12.5","currency":"USD"}` + "\n\n" +
				`{"id":"T2","date":"2027-01-10","owner":"ae-1","amount":"abc","currency":"USD"}` + "\n" +
				`{"id":"T3","date":"2027-01-10","owner":"ae-1","amount":1e3,"currency":"USD"}` + "\n",
			want: []string{
				`t.jsonl:3: amount: "abc" is not a decimal amount such as 1250.50`,
				`t.jsonl:4: amount: "1e3" uses exponent notation; write the number out in digits, such as 1250.50`,
			},
		},
		{
			name: "jsonl unknown field and owner", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"zz","amout":5,"currency":"USD"}` + "\n",
			want: []string{
				`t.jsonl:1: amout: unknown field; did you mean "amount"?`,
				`t.jsonl:1: amount: required`,
				`t.jsonl:1: owner: unknown person "zz"; import people first`,
			},
		},
		{
			name: "jsonl not an object", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD"}` + "\n[1, 2]\n{\"id\": \n",
			want:    []string{`t.jsonl:2: want one JSON object per line, not a list`, `t.jsonl:3: not a JSON object: the line ends before the object does`},
		},
		{
			name: "jsonl duplicate id", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD"}` + "\n" +
				`{"id":"T1","date":"2027-01-11","owner":"ae-1","amount":2,"currency":"USD"}` + "\n",
			want: []string{`t.jsonl:2: id: transaction T1 already appears on line 1`},
		},
		{
			name: "jsonl bad splits", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","splits":[{"person":"ae-1","share":"x"}]}` + "\n",
			want:    []string{`t.jsonl:1: splits: share "x" for "ae-1" is not a decimal fraction such as 0.25`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			before := b.counts(t)
			_, err := b.txns(t, tt.file, tt.content)
			wantProblems(t, problems(t, err), tt.want)
			if after := b.counts(t); after != before {
				t.Fatalf("people and transactions %v after the failed import, want %v", after, before)
			}
		})
	}
}

func TestPeopleProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content string
		want                []string
	}{
		{
			name: "row problems", file: "p.csv",
			content: "id,name,manager,currency,hire_date,termination_date,effective_from\n" +
				"p1,Pia,p1,USD,,,\n" +
				"p2,,,USD,,,\n" +
				"p3,Cy,,usd,,,\n" +
				"p4,Di,,USD,2025-05-01,2025-04-30,\n" +
				"p 5,Ed,,USD,,,\n" +
				"p6,Flo,,USD,,,2027-01-01\n" +
				"p6,Flo,,USD,,,2027-01-01\n",
			want: []string{
				`p.csv:2: manager: a person cannot manage themselves`,
				`p.csv:3: name: required`,
				`p.csv:4: currency: "usd" is not a supported ISO 4217 currency code`,
				`p.csv:5: termination_date: 2025-04-30 is before hire_date 2025-05-01`,
				`p.csv:6: id: "p 5" is not a valid id (letters, digits and _ . : @ / -)`,
				`p.csv:8: id: person p6 with effective_from 2027-01-01 already appears on line 7`,
			},
		},
		{
			name: "header", file: "p.csv",
			content: "id,nmae,rol\np1,Pia,AE\n",
			want: []string{
				`p.csv:1: nmae: unknown column; did you mean "name"?`,
				`p.csv:1: rol: unknown column; did you mean "role"?`,
			},
		},
		{
			// Only a person imported before may lack a name column.
			name: "new person without a name", file: "p.csv",
			content: "id,role\nae-1,Senior AE\np9,AE\n",
			want: []string{
				`p.csv:3: name: required for a person not imported before`,
			},
		},
		{
			name: "jsonl", file: "p.jsonl",
			content: `{"id":"p1","name":"Pia","plans":["ae-quarterly"],"attrs":{"level":"senior"}}` + "\n" +
				`{"id":"p2","name":"Bo","plans":"x","attrs":[1]}` + "\n",
			want: []string{
				`p.jsonl:1: plans: comp plan "ae-quarterly" is not published; no comp plan is published yet (icomp plan publish)`,
				`p.jsonl:2: attrs: want an object of names to values`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			before := b.counts(t)
			_, err := b.people(t, tt.file, tt.content)
			wantProblems(t, problems(t, err), tt.want)
			if after := b.counts(t); after != before {
				t.Fatalf("people and transactions %v after the failed import, want %v", after, before)
			}
		})
	}
}

func TestManyProblemsListsFiftyThenCounts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var f strings.Builder
	f.WriteString(txnHeader)
	for i := range 60 {
		fmt.Fprintf(&f, "T%d,2027-01-10,new,ae-1,west,core,bad%d,USD,\n", i, i)
	}
	_, err := b.txns(t, "t.csv", f.String())
	var ie *imports.Error
	if !errors.As(err, &ie) {
		t.Fatalf("error %v, want an *imports.Error", err)
	}
	if len(ie.Problems) != imports.ProblemsShownMax || ie.Total != 60 {
		t.Fatalf("%d problems listed of %d, want %d of 60", len(ie.Problems), ie.Total, imports.ProblemsShownMax)
	}
	if got := ie.Problems[49].String(); got != `t.csv:51: amount: "bad49" is not a decimal amount such as 1250.50` {
		t.Fatalf("50th problem %q", got)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 52 || lines[50] != "... and 10 more problem(s)" || lines[51] != "60 problem(s); nothing was imported" {
		t.Fatalf("error ends %q, want 50 problems, then the count of the rest", lines[max(0, len(lines)-3):])
	}
	if got := b.counts(t); got != [2]int{4, 0} {
		t.Fatalf("counts %v after the failed import, want 4 people and no transactions", got)
	}
}

func TestReimport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := t.Context()
	txns := txnHeader +
		"T1,2027-01-10,new,ae-1,west,core,100.00,USD,\n" +
		"T2,2027-01-11,new,ae-1,west,core,250.10,USD,ae-1:0.6;ae-2:0.4\n" +
		"T3,2027-01-12,renewal,ae-2,west,core,-30,USD,\n"
	if c, err := b.txns(t, "t.csv", txns); err != nil || c != (storage.ImportCounts{Inserted: 3}) {
		t.Fatalf("first import: %+v, %v; want 3 inserted", c, err)
	}

	t.Run("same file twice", func(t *testing.T) {
		if c, err := b.txns(t, "t.csv", txns); err != nil || c != (storage.ImportCounts{Unchanged: 3}) {
			t.Fatalf("second import: %+v, %v; want 0 inserted, 0 changed, 3 unchanged", c, err)
		}
		if c, err := b.people(t, "people.csv", peopleCSV); err != nil || c != (storage.ImportCounts{Unchanged: 4}) {
			t.Fatalf("second people import: %+v, %v; want 4 unchanged", c, err)
		}
		// The same rows as JSON Lines are the same transactions.
		jsonl := `{"id":"T1","date":"2027-01-10","type":"new","owner":"ae-1","territory":"west","product":"core","amount":100.00,"currency":"USD"}` + "\n" +
			`{"id":"T2","date":"2027-01-11","type":"new","owner":"ae-1","territory":"west","product":"core","amount":"250.10","currency":"USD","splits":[{"person":"ae-1","share":0.6},{"person":"ae-2","share":"0.4"}]}` + "\n"
		if c, err := b.txns(t, "t.jsonl", jsonl); err != nil || c != (storage.ImportCounts{Unchanged: 2}) {
			t.Fatalf("JSON Lines import of the same rows: %+v, %v; want 2 unchanged", c, err)
		}
	})

	t.Run("changed row is a new version", func(t *testing.T) {
		changed := strings.Replace(txns, "250.10", "260.10", 1)
		if c, err := b.txns(t, "t.csv", changed); err != nil || c != (storage.ImportCounts{Changed: 1, Unchanged: 2}) {
			t.Fatalf("import with one changed row: %+v, %v; want changed=1", c, err)
		}
		got, err := b.st.TransactionGet(ctx, "T2")
		if err != nil {
			t.Fatal(err)
		}
		if got.Amount.String() != "260.1" || len(got.Splits) != 2 {
			t.Fatalf("T2 = %+v, want amount 260.10 with two splits", got)
		}
		if n := b.counts(t)[1]; n != 3 {
			t.Fatalf("%d transactions, want 3", n)
		}
		people := strings.Replace(peopleCSV, "ae-2,Bo,AE,west", "ae-2,Bo,AE,east", 1)
		if c, err := b.people(t, "people.csv", people); err != nil || c != (storage.ImportCounts{Changed: 1, Unchanged: 3}) {
			t.Fatalf("people import with one changed row: %+v, %v; want changed=1", c, err)
		}
	})
}

func TestJSONLinesExact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	jsonl := `{"id":"J1","date":"2027-03-01","owner":"ae-1","amount":0.10,"currency":"USD","attrs":{"new_logo":true,"seats":12}}` + "\n" +
		`{"id":"J2","date":"2027-03-02","owner":"ae-2","amount":12345678901234567890.12,"currency":"USD","splits":"ae-1:0.25;ae-2:0.75"}` + "\n"
	if c, err := b.txns(t, "t.jsonl", jsonl); err != nil || c != (storage.ImportCounts{Inserted: 2}) {
		t.Fatalf("import: %+v, %v", c, err)
	}
	j1, err := b.st.TransactionGet(t.Context(), "J1")
	if err != nil {
		t.Fatal(err)
	}
	if j1.Amount.String() != "0.1" || j1.Attrs["new_logo"] != "true" || j1.Attrs["seats"] != "12" {
		t.Fatalf("J1 = %+v", j1)
	}
	j2, err := b.st.TransactionGet(t.Context(), "J2")
	if err != nil {
		t.Fatal(err)
	}
	if j2.Amount.String() != "12345678901234567890.12" || len(j2.Splits) != 2 || j2.Splits[1].Share.String() != "0.75" {
		t.Fatalf("J2 = %+v, want its amount exact and two splits", j2)
	}
}

func TestCSVAttributes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	csv := "id,date,owner,amount,currency,attr.new_logo,attr.stage\nT1,2027-01-10,ae-1,5,USD,true,\n"
	if _, err := b.txns(t, "t.csv", csv); err != nil {
		t.Fatal(err)
	}
	got, err := b.st.TransactionGet(t.Context(), "T1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Attrs) != 1 || got.Attrs["new_logo"] != "true" {
		t.Fatalf("attrs = %v, want only new_logo=true (empty attributes are left out)", got.Attrs)
	}
}

func TestFormatOf(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]imports.Format{"a.csv": imports.CSV, "a.jsonl": imports.JSONL, "a.ndjson": imports.JSONL, "a.txt": imports.CSV} {
		if got := imports.FormatOf(name); got != want {
			t.Errorf("FormatOf(%s) = %s, want %s", name, got, want)
		}
	}
}

// TestReimportRefusesClearingAbsentColumns: a transactions file gives each
// deal whole, so a re-import whose rows lack a column their stored deal
// has a value in is refused, naming the row and the column, and changes
// nothing; a column given empty clears the value on purpose, and a new
// deal may lack any optional column. Regression test: a correction file
// of id, date, amount and currency left the deal without its type, owner
// and splits, credited to nobody, without a word.
func TestReimportRefusesClearingAbsentColumns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	full := "id,date,type,owner,territory,product,amount,currency,splits,attr.channel\n" +
		"T1,2027-01-10,new,ae-1,west,core,100.00,USD,,web\n" +
		"T2,2027-01-11,new,ae-1,west,core,250.10,USD,ae-1:0.6;ae-2:0.4,\n"
	if _, err := b.txns(t, "t.csv", full); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, file, content string
		want                []string // problems; none: the import succeeds
	}{
		{"only the amount", "fix.csv", "id,date,amount,currency\nT2,2027-01-11,300.00,USD\n", []string{
			`fix.csv:2: owner: transaction "T2" is stored with owner "ae-1", and this row has no owner column: importing it would clear that (a transactions file gives each deal whole); include the column`,
			`fix.csv:2: product: transaction "T2" is stored with product "core"*`,
			`fix.csv:2: splits: transaction "T2" is stored with splits "ae-1:0.6;ae-2:0.4"*`,
			`fix.csv:2: territory: *`,
			`fix.csv:2: type: *`,
		}},
		{"no attribute columns", "fix.csv", "id,date,type,owner,territory,product,amount,currency,splits\nT1,2027-01-10,new,ae-1,west,core,120.00,USD,\n", []string{
			`fix.csv:2: attrs: transaction "T1" is stored with attributes {"channel":"web"}, and this row has no attr.NAME column*`,
		}},
		{"JSON Lines without the owner", "fix.jsonl", `{"id":"T1","date":"2027-01-10","type":"new","territory":"west","product":"core","amount":"120.00","currency":"USD","attrs":{"channel":"web"}}` + "\n", []string{
			`fix.jsonl:1: owner: *`,
		}},
		{"another attribute column than the stored one", "fix.csv", "id,date,type,owner,territory,product,amount,currency,splits,attr.region\nT1,2027-01-10,new,ae-1,west,core,120.00,USD,,emea\n", []string{
			`fix.csv:2: attrs: transaction "T1" is stored with attribute channel "web", and this row has no attr.channel column: importing it would clear that (a transactions file gives each deal whole); include the column`,
		}},
		{"a column given empty clears it", "fix.csv", "id,date,type,owner,territory,product,amount,currency,splits,attr.channel\nT1,2027-01-10,new,ae-1,,core,100.00,USD,,web\n", nil},
		{"a new deal may lack columns", "new.csv", "id,date,amount,currency\nT9,2027-01-12,5.00,USD\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := b.st.TransactionGet(t.Context(), "T2")
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.txns(t, tc.file, tc.content)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("import: %v", err)
				}
				return
			}
			wantProblems(t, problems(t, err), tc.want)
			after, err := b.st.TransactionGet(t.Context(), "T2")
			if err != nil {
				t.Fatal(err)
			}
			if after.Amount.String() != before.Amount.String() || after.Owner != before.Owner {
				t.Fatalf("the refused import changed T2: %+v, was %+v", after, before)
			}
		})
	}
}

// TestPeopleRefuseSharedPayrollID: two people may not share a payroll_id,
// in the file or with a stored person: the payroll file keys rows by it
// and would pay both to one employee. Regression test: the import took
// it, and the export paid ae-1's and ae-2's amounts under one employee id.
func TestPeopleRefuseSharedPayrollID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.people(t, "ids.csv", "id,attr.payroll_id\nmgr-1,E100\n"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, content string
		want          []string
	}{
		{"two in the file", "id,attr.payroll_id\nae-1,E200\nae-2,E200\n", []string{
			`p.csv:3: attr.payroll_id: "E200" is also "ae-1"'s payroll id (line 2): a payroll file would pay both people to one employee`}},
		{"one stored", "id,attr.payroll_id\nae-1,E100\n", []string{
			`p.csv:2: attr.payroll_id: "E100" is already "mgr-1"'s payroll id: a payroll file would pay both people to one employee`}},
		{"the same person's versions", "id,attr.payroll_id,effective_from\nae-1,E300,2027-01-01\nae-1,E300,2027-02-01\n", nil},
		{"moving an id from one person to another in one file", "id,attr.payroll_id\nmgr-1,E400\nae-2,E100\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.people(t, "p.csv", tc.content)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantProblems(t, problems(t, err), tc.want)
		})
	}
}

// TestReimportUnchangedShortFile: re-importing, in a new process, a file
// that lacks optional columns and changes nothing stages nothing, and the
// check for cleared columns must not read the staging table. Regression
// test: "no such table: txn_stage".
func TestReimportUnchangedShortFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "icomp.db")
	const short = "id,date,amount,currency\nT9,2027-01-12,5.00,USD\n"
	for i := range 2 {
		st, err := sqlitestore.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = imports.Transactions(t.Context(), st, strings.NewReader(short), imports.Options{File: "short.csv", Format: imports.CSV})
		st.Close()
		if err != nil {
			t.Fatalf("import %d: %v", i+1, err)
		}
	}
}

// TestImportDatesAndBOM: a JSON Lines file may start with a UTF-8 byte
// order mark, as a CSV file may; a date whose year is a typo (0207 for
// 2027) is refused, naming the row and field, since no period would ever
// hold the deal. Regression tests: the BOM failed with "invalid character
// 'ï'", and 0207-05-01 was imported and never paid.
func TestImportDatesAndBOM(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.txns(t, "bom.jsonl", "\ufeff"+`{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":"1.00","currency":"USD"}`+"\n"); err != nil {
		t.Fatalf("JSON Lines with a byte order mark: %v", err)
	}
	_, err := b.txns(t, "typo.csv", txnHeader+"T2,0207-05-01,new,ae-1,west,core,1.00,USD,\nT3,2207-05-01,new,ae-1,west,core,1.00,USD,\n")
	wantProblems(t, problems(t, err), []string{
		"typo.csv:2: date: 0207-05-01: the year 207 is outside 1900 to 2199; a typo?",
		"typo.csv:3: date: 2207-05-01: the year 2207 is outside 1900 to 2199; a typo?",
	})
	_, err = b.people(t, "hire.csv", "id,name,hire_date\nae-9,Neo,2099-01-01\nae-8,Old,1899-12-31\n")
	wantProblems(t, problems(t, err), []string{"hire.csv:3: hire_date: 1899-12-31: the year 1899 is outside 1900 to 2199; a typo?"})
}

// TestImportNoEndDate: a people file may give termination_date
// 9999-12-31, HR's usual "no end date"; a year typo such as 0207 is still
// refused there, and the other people dates keep the 1900 to 2199 bound.
// Regression test: the year check refused 9999-12-31, so a standard HR
// export could not be imported.
func TestImportNoEndDate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, csv string
		problems  []string // none: imported
	}{
		{"no end date", "id,name,hire_date,termination_date\nae-9,Neo,2027-01-01,9999-12-31\n", nil},
		{"no end date without hire date", "id,name,termination_date\nae-9,Neo,9999-12-31\n", nil},
		{"a termination year typo", "id,name,termination_date\nae-9,Neo,0207-05-01\n",
			[]string{"p.csv:2: termination_date: 0207-05-01: the year 207 is outside 1900 to 9999; a typo?"}},
		{"a hire date in 9999", "id,name,hire_date\nae-9,Neo,9999-12-31\n",
			[]string{"p.csv:2: hire_date: 9999-12-31: the year 9999 is outside 1900 to 2199; a typo?"}},
		{"an effective date in 9999", "id,name,effective_from\nae-9,Neo,9999-12-31\n",
			[]string{"p.csv:2: effective_from: 9999-12-31: the year 9999 is outside 1900 to 2199; a typo?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			c, err := b.people(t, "p.csv", tc.csv)
			if tc.problems != nil {
				wantProblems(t, problems(t, err), tc.problems)
				return
			}
			if err != nil || c != (storage.ImportCounts{Inserted: 1}) {
				t.Fatalf("counts %+v, err %v; want 1 inserted", c, err)
			}
			got, err := b.st.PersonListAsOf(t.Context(), storage.PersonListAsOfParams{Date: period.MustDate("2027-06-30"), IDs: []string{"ae-9"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].TerminationDate != period.MustDate("9999-12-31") {
				t.Fatalf("stored %+v, want termination_date 9999-12-31", got)
			}
		})
	}
}
