package imports_test

import (
	"testing"
)

// A JSON Lines file holds one flat object per line: anything else is a
// problem naming the line (and the field, when there is one), and the
// file imports nothing.
func TestJSONLStrict(t *testing.T) {
	t.Parallel()
	const good = `{"id":"T0","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD"}` + "\n"
	tests := []struct {
		name, content string
		want          []string
	}{
		{
			name:    "duplicate key",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"amount":2,"currency":"USD"}` + "\n",
			want:    []string{`t.jsonl:2: amount: appears twice in one object`},
		},
		{
			name:    "duplicate attribute",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","attrs":{"a":1,"a":2}}` + "\n",
			want:    []string{`t.jsonl:2: attr.a: appears twice in one object`},
		},
		{
			name:    "duplicate key in a split",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","splits":[{"person":"ae-1","share":1,"share":1}]}` + "\n",
			want:    []string{`t.jsonl:2: splits: split 1: "share" appears twice in one object`},
		},
		{
			name:    "object in a scalar field",
			content: good + `{"id":"T1","date":"2027-01-10","owner":{"id":"ae-1"},"amount":1,"currency":"USD"}` + "\n",
			want:    []string{`t.jsonl:2: owner: want a string or a number, not an object`},
		},
		{
			name:    "list in a scalar field",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":[1],"currency":"USD"}` + "\n",
			want:    []string{`t.jsonl:2: amount: want a string or a number, not a list`},
		},
		{
			name:    "object in an attribute",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","attrs":{"a":{"b":1},"c":[]}}` + "\n",
			want: []string{
				`t.jsonl:2: attr.a: want a string, a number, true, false or null, not an object`,
				`t.jsonl:2: attr.c: want a string, a number, true, false or null, not a list`,
			},
		},
		{
			name:    "attribute without a name",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","attrs":{"":1}}` + "\n",
			want:    []string{`t.jsonl:2: attrs: an attribute needs a name`},
		},
		{
			name:    "split with an unknown key",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","splits":[{"person":"ae-1","shares":1}]}` + "\n",
			want:    []string{`t.jsonl:2: splits: want a list of {"person": ID, "share": FRACTION}`},
		},
		{
			name:    "split share as an object",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","splits":[{"person":"ae-1","share":{}}]}` + "\n",
			want:    []string{`t.jsonl:2: splits: want a list of {"person": ID, "share": FRACTION}`},
		},
		{
			name:    "top-level list",
			content: good + `[{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD"}]` + "\n",
			want:    []string{`t.jsonl:2: want one JSON object per line, not a list`},
		},
		{
			name:    "top-level scalars",
			content: good + `"T1"` + "\n1\nnull\ntrue\n",
			want: []string{
				`t.jsonl:2: want one JSON object per line, not a string`,
				`t.jsonl:3: want one JSON object per line, not a number`,
				`t.jsonl:4: want one JSON object per line, not null`,
				`t.jsonl:5: want one JSON object per line, not a boolean`,
			},
		},
		{
			name:    "two objects on a line",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD"} {"id":"T2"}` + "\n",
			want:    []string{`t.jsonl:2: more than one JSON value on the line; want one object per line`},
		},
		{
			name:    "trailing garbage",
			content: good + `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD"}x` + "\n",
			want:    []string{`t.jsonl:2: more than one JSON value on the line; want one object per line`},
		},
		{
			name:    "syntax error",
			content: good + `{"id":"T1",}` + "\n",
			want:    []string{`t.jsonl:2: not a JSON object: invalid character '}' looking for beginning of object key string`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			before := b.counts(t)
			_, err := b.txns(t, "t.jsonl", tt.content)
			wantProblems(t, problems(t, err), tt.want)
			if after := b.counts(t); after != before {
				t.Fatalf("people and transactions %v after the failed import, want %v", after, before)
			}
		})
	}
}

// Exponent notation is refused in amounts and split shares, in CSV and in
// JSON Lines alike, with a message saying to write the number out.
func TestExponentRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, file, content string
		want                []string
	}{
		{
			name: "CSV amount", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,1e5,USD,\nT2,2027-01-10,new,ae-1,west,core,2.5E-1,USD,\n",
			want: []string{
				`t.csv:2: amount: "1e5" uses exponent notation; write the number out in digits, such as 1250.50`,
				`t.csv:3: amount: "2.5E-1" uses exponent notation; write the number out in digits, such as 1250.50`,
			},
		},
		{
			name: "CSV share", file: "t.csv",
			content: txnHeader + "T1,2027-01-10,new,ae-1,west,core,100,USD,ae-1:5e-1;ae-2:0.5\n",
			want:    []string{`t.csv:2: splits: share for "ae-1": "5e-1" uses exponent notation; write the number out in digits, such as 0.25`},
		},
		{
			name: "JSON Lines amount", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1e5,"currency":"USD"}` + "\n" +
				`{"id":"T2","date":"2027-01-10","owner":"ae-1","amount":"1E5","currency":"USD"}` + "\n",
			want: []string{
				`t.jsonl:1: amount: "1e5" uses exponent notation; write the number out in digits, such as 1250.50`,
				`t.jsonl:2: amount: "1E5" uses exponent notation; write the number out in digits, such as 1250.50`,
			},
		},
		{
			name: "JSON Lines share", file: "t.jsonl",
			content: `{"id":"T1","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","splits":[{"person":"ae-1","share":5e-1},{"person":"ae-2","share":"0.5"}]}` + "\n" +
				`{"id":"T2","date":"2027-01-10","owner":"ae-1","amount":1,"currency":"USD","splits":"ae-1:0.5;ae-2:5E-1"}` + "\n",
			want: []string{
				`t.jsonl:1: splits: share for "ae-1": "5e-1" uses exponent notation; write the number out in digits, such as 0.25`,
				`t.jsonl:2: splits: share for "ae-2": "5E-1" uses exponent notation; write the number out in digits, such as 0.25`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			_, err := b.txns(t, tt.file, tt.content)
			wantProblems(t, problems(t, err), tt.want)
		})
	}
	t.Run("target amount", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := importTargets(t, b, "target_plan,person,role,measure,period,amount\nq,,AE,bookings,2027-Q1,2.5e5\n")
		wantProblems(t, problems(t, err), []string{`targets.csv:2: amount: "2.5e5" uses exponent notation; write the number out in digits, such as 250000`})
	})
}
