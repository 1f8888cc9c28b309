package imports_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/icomp/icomp/imports"
)

// Every limit refuses a value one byte over it, names the file, line and
// field, and echoes at most imports.EchoBytesMax bytes of the value.
func TestLimits(t *testing.T) {
	t.Parallel()
	over := func(n int) string { return strings.Repeat("x", n+1) }
	echoed := `"` + strings.Repeat("x", imports.EchoBytesMax) + `"…`
	bigAmount := strings.Repeat("1", imports.AmountBytesMax+1)
	tests := []struct {
		name, file, content string
		people              bool
		want                []string
	}{
		{
			name: "id", file: "t.csv",
			content: txnHeader + over(imports.IDBytesMax) + ",2027-01-10,new,ae-1,west,core,100,USD,\n",
			want:    []string{fmt.Sprintf(`t.csv:2: id: %s is %d bytes long; the limit is %d bytes`, echoed, imports.IDBytesMax+1, imports.IDBytesMax)},
		},
		{
			name: "owner", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new," + over(imports.IDBytesMax) + ",west,core,100,USD,\n",
			want:    []string{fmt.Sprintf(`t.csv:2: owner: %s is %d bytes long; the limit is %d bytes`, echoed, imports.IDBytesMax+1, imports.IDBytesMax)},
		},
		{
			name: "amount", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core," + bigAmount + ",USD,\n",
			want:    []string{fmt.Sprintf(`t.csv:2: amount: %q is %d bytes long; the limit is %d bytes`, bigAmount, imports.AmountBytesMax+1, imports.AmountBytesMax)},
		},
		{
			name: "amount in JSON Lines", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":` + bigAmount + `,"currency":"USD"}` + "\n",
			want:    []string{fmt.Sprintf(`t.jsonl:1: amount: %q is %d bytes long; the limit is %d bytes`, bigAmount, imports.AmountBytesMax+1, imports.AmountBytesMax)},
		},
		{
			name: "splits", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,100,USD," + over(imports.SplitsBytesMax) + "\n",
			want:    []string{fmt.Sprintf(`t.csv:2: splits: %s is %d bytes long; the limit is %d bytes`, echoed, imports.SplitsBytesMax+1, imports.SplitsBytesMax)},
		},
		{
			name: "attribute value", file: "t.csv",
			content: "id,date,owner,amount,currency,attr.note\nT1,2027-01-10,ae-1,100,USD," + over(imports.AttrValueBytesMax) + "\n",
			want:    []string{fmt.Sprintf(`t.csv:2: attr.note: %s is %d bytes long; the limit is %d bytes`, echoed, imports.AttrValueBytesMax+1, imports.AttrValueBytesMax)},
		},
		{
			name: "attribute value in JSON Lines", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","attrs":{"note":"` + over(imports.AttrValueBytesMax) + `"}}` + "\n",
			want:    []string{fmt.Sprintf(`t.jsonl:1: attr.note: %s is %d bytes long; the limit is %d bytes`, echoed, imports.AttrValueBytesMax+1, imports.AttrValueBytesMax)},
		},
		{
			name: "other text", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west," + over(imports.TextBytesMax) + ",100,USD,\n",
			want:    []string{fmt.Sprintf(`t.csv:2: product: %s is %d bytes long; the limit is %d bytes`, echoed, imports.TextBytesMax+1, imports.TextBytesMax)},
		},
		{
			name: "person name", file: "p.csv", people: true,
			content: "id,name\np1," + over(imports.TextBytesMax) + "\n",
			want:    []string{fmt.Sprintf(`p.csv:2: name: %s is %d bytes long; the limit is %d bytes`, echoed, imports.TextBytesMax+1, imports.TextBytesMax)},
		},
		{
			name: "header name", file: "t.csv",
			content: strings.TrimSuffix(txnHeader, "\n") + ",attr." + over(imports.HeaderNameBytesMax-5) + "\n",
			want:    []string{fmt.Sprintf(`t.csv:1: attr.%s: column name is %d bytes long; the limit is %d bytes`, over(imports.HeaderNameBytesMax-5), imports.HeaderNameBytesMax+1, imports.HeaderNameBytesMax)},
		},
		{
			name: "huge header name", file: "t.csv",
			content: strings.TrimSuffix(txnHeader, "\n") + "," + strings.Repeat("x", 1<<19) + "\n",
			want:    []string{fmt.Sprintf(`t.csv:1: %s…: column name is %d bytes long; the limit is %d bytes`, strings.Repeat("x", imports.EchoBytesMax), 1<<19, imports.HeaderNameBytesMax)},
		},
		{
			name: "JSON Lines key", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","` + strings.Repeat("k", 1<<19) + `":1}` + "\n",
			want:    []string{fmt.Sprintf(`t.jsonl:1: %s…: key is %d bytes long; the limit is %d bytes`, strings.Repeat("k", imports.EchoBytesMax), 1<<19, imports.HeaderNameBytesMax)},
		},
		{
			name: "JSON Lines attribute name", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","attrs":{"` + over(imports.HeaderNameBytesMax) + `":1}}` + "\n",
			want:    []string{fmt.Sprintf(`t.jsonl:1: attr.%s…: name is %d bytes long; the limit is %d bytes`, strings.Repeat("x", imports.EchoBytesMax-5), imports.HeaderNameBytesMax+1, imports.HeaderNameBytesMax)},
		},
		{
			name: "CSV line", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,100,USD,\nT2,2027-01-10,new,ae-1,west," + over(imports.LineBytesMax) + ",100,USD,\n",
			want:    []string{fmt.Sprintf(`t.csv:3: line is longer than %d bytes, the limit`, imports.LineBytesMax)},
		},
		{
			// A JSON Lines file is read on past a long line, to report the rest.
			name: "JSON Lines line", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD"}` + "\n" +
				`{"id":"T2","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","product":"` + over(imports.LineBytesMax) + `"}` + "\n" +
				`{"id":"T3","date":"2027-01-10","owner":"ae-1","amount":"x","currency":"USD"}` + "\n",
			want: []string{
				fmt.Sprintf(`t.jsonl:2: line is longer than %d bytes, the limit`, imports.LineBytesMax),
				`t.jsonl:3: amount: "x" is not a decimal amount such as 1250.50`,
			},
		},
		{
			name: "long values are cut where they are echoed", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core," + strings.Repeat("9", imports.AmountBytesMax-1) + "x,USD,\n" +
				"T2,2027-01-10,new,ae-1,west,core,100," + strings.Repeat("U", 100) + ",\n" +
				"T3,2027-01-10,new," + strings.Repeat("é", 60) + ",west,core,100,USD,\n" +
				"T4,2027-01-10,new,ae-1,west,core,100,USD," + strings.Repeat("é", 60) + ":1\n",
			want: []string{
				`t.csv:2: amount: "99999999999999999999999999999x" is not a decimal amount such as 1250.50`,
				`t.csv:3: currency: "UUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUUU"… is not a supported ISO 4217 currency code`,
				`t.csv:4: owner: "` + strings.Repeat("é", 20) + `"… is not a valid id (letters, digits and _ . : @ / -)`,
				`t.csv:5: splits: unknown person "` + strings.Repeat("é", 20) + `"…; import people first`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			before := b.counts(t)
			var err error
			if tt.people {
				_, err = b.people(t, tt.file, tt.content)
			} else {
				_, err = b.txns(t, tt.file, tt.content)
			}
			wantProblems(t, problems(t, err), tt.want)
			if after := b.counts(t); after != before {
				t.Fatalf("people and transactions %v after the failed import, want %v", after, before)
			}
		})
	}
}

// A value at its limit is accepted.
func TestLimitsAtTheLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := strings.Repeat("i", imports.IDBytesMax)
	amount := strings.Repeat("1", imports.AmountBytesMax-3) + ".25"
	content := "id,date,owner,amount,currency,product,attr." + strings.Repeat("a", imports.HeaderNameBytesMax-5) + "\n" +
		id + ",2027-01-10,ae-1," + amount + ",USD," + strings.Repeat("p", imports.TextBytesMax) + "," + strings.Repeat("v", imports.AttrValueBytesMax) + "\n"
	if _, err := b.txns(t, "t.csv", content); err != nil {
		t.Fatal(err)
	}
	got, err := b.st.TransactionGet(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if got.Amount.String() != amount {
		t.Fatalf("amount %s, want %s", got.Amount, amount)
	}
}

// A 10 MB amount is refused at once with a short, located problem: it is
// neither parsed nor echoed. The test asserts the problem; the time is
// only reported.
func TestHugeAmountRefused(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("1", 10<<20)
	// Just under the line limit, the amount's own limit names the field.
	large := strings.Repeat("1", imports.LineBytesMax-100)
	tests := []struct {
		name, file, content, want string
	}{
		{"CSV", "t.csv", txnHeader + "T1,2027-01-10,new,ae-1,west,core," + huge + ",USD,\n",
			fmt.Sprintf(`t.csv:2: line is longer than %d bytes, the limit`, imports.LineBytesMax)},
		// Lines before it are counted by the reads that hold no long line.
		{"CSV after many lines", "t.csv", txnHeader + strings.Repeat("T1,2027-01-10,new,ae-1,west,core,1,USD,\n", 1) +
			strings.Repeat("\n", 70000) + "T2,2027-01-10,new,ae-1,west,core," + huge + ",USD,\n",
			fmt.Sprintf(`t.csv:70003: line is longer than %d bytes, the limit`, imports.LineBytesMax)},
		{"JSON Lines", "t.jsonl", `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":` + huge + `,"currency":"USD"}` + "\n",
			fmt.Sprintf(`t.jsonl:1: line is longer than %d bytes, the limit`, imports.LineBytesMax)},
		{"CSV under the line limit", "t.csv", txnHeader + "T1,2027-01-10,new,ae-1,west,core," + large + ",USD,\n",
			fmt.Sprintf(`t.csv:2: amount: "%s"… is %d bytes long; the limit is %d bytes`, large[:imports.EchoBytesMax], len(large), imports.AmountBytesMax)},
		{"JSON Lines under the line limit", "t.jsonl", `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":"` + large + `","currency":"USD"}` + "\n",
			fmt.Sprintf(`t.jsonl:1: amount: "%s"… is %d bytes long; the limit is %d bytes`, large[:imports.EchoBytesMax], len(large), imports.AmountBytesMax)},
		{"targets", "targets.csv", "target_plan,person,role,measure,period,amount\nq,,AE,bookings,2027-Q1," + large + "\n",
			fmt.Sprintf(`targets.csv:2: amount: "%s"… is %d bytes long; the limit is %d bytes`, large[:imports.EchoBytesMax], len(large), imports.AmountBytesMax)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			start := time.Now()
			var err error
			if tt.file == "targets.csv" {
				_, err = importTargets(t, b, tt.content)
			} else {
				_, err = b.txns(t, tt.file, tt.content)
			}
			t.Logf("refused in %s", time.Since(start))
			wantProblems(t, problems(t, err), []string{tt.want})
			if len(err.Error()) > 200 {
				t.Fatalf("error is %d bytes long, want a short one", len(err.Error()))
			}
		})
	}
}
