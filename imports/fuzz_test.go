package imports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/icomp/icomp/engine/facts"
	"github.com/icomp/icomp/storage"
)

// The fuzz targets run the importers' reading and validation, everything
// but the storage writes, on arbitrary files. Their seeds are in
// testdata/fuzz/FuzzXxx and run under plain go test. Each asserts:
//   - no panic;
//   - a refused file gives an *Error whose every problem names the file
//     and a line of it, and whose text is short whatever the input;
//   - an accepted file's rows, written out again in canonical CSV and in
//     JSON Lines, are accepted again and read back the same.

// fuzzKnownPeople are the people a fuzzed transactions file may name.
var fuzzKnownPeople = map[string]bool{"ae-1": true, "ae-2": true, "mgr-1": true}

// validateTransactions reads and checks a transactions file as
// Transactions does, without storage.
func validateTransactions(file string, f Format, data []byte) ([]facts.Transaction, error) {
	probs := &problems{file: file}
	rr, err := newRowReader(file, f, bytes.NewReader(data), TransactionColumns, transactionRequired, probs)
	if err != nil {
		return nil, err
	}
	var out []facts.Transaction
	parse := func(rec record) (facts.Transaction, bool) { return transactionRow(rec, fuzzKnownPeople, probs) }
	write := func(batch []facts.Transaction) error { out = append(out, batch...); return nil }
	if err := streamRows(rr, probs, Options{File: file}, parse, write, nil); err != nil {
		return nil, err
	}
	return out, probs.err()
}

// validatePeople reads and checks a people file as People does, without
// storage.
func validatePeople(file string, f Format, data []byte) ([]storage.PersonRecord, error) {
	probs := &problems{file: file}
	rr, err := newRowReader(file, f, bytes.NewReader(data), PeopleColumns, peopleRequired, probs)
	if err != nil {
		return nil, err
	}
	var out []storage.PersonRecord
	parse := func(rec record) (storage.PersonRecord, bool) { return personRow(rec, probs) }
	write := func(batch []storage.PersonRecord) error {
		for _, p := range batch {
			if p.EffectiveFrom.IsZero() { // a new person's, as resolvePeople sets it
				p.EffectiveFrom = defaultEffectiveFrom
			}
			out = append(out, p)
		}
		return nil
	}
	if err := streamRows(rr, probs, Options{File: file}, parse, write, nil); err != nil {
		return nil, err
	}
	return out, probs.err()
}

// checkRefusal fails unless err is an *Error naming file and lines of
// data, short whatever the input.
func checkRefusal(t *testing.T, file string, data []byte, err error) {
	t.Helper()
	var ie *Error
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want an *Error", err, err)
	}
	lines := bytes.Count(data, []byte("\n")) + 1
	if len(ie.Problems) == 0 || ie.Total < len(ie.Problems) {
		t.Fatalf("error with %d problems of %d", len(ie.Problems), ie.Total)
	}
	for _, p := range ie.Problems {
		if p.File != file || p.Line < 1 || p.Line > lines {
			t.Fatalf("problem %q: want it on a line 1 to %d of %s", p.String(), lines, file)
		}
		if n := len(p.String()); n > len(file)+2*HeaderNameBytesMax+problemMsgBytesMax {
			t.Fatalf("problem is %d bytes long: %.200q", n, p.String())
		}
	}
}

// transactionsCSV writes ts as a canonical CSV transactions file.
func transactionsCSV(t *testing.T, ts []facts.Transaction) []byte {
	t.Helper()
	attrSet := map[string]bool{}
	for _, x := range ts {
		for k := range x.Attrs {
			attrSet[k] = true
		}
	}
	attrs := sortedKeys(boolKeys(attrSet))
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header := append([]string{}, TransactionColumns...)
	for _, a := range attrs {
		header = append(header, "attr."+a)
	}
	must(t, w.Write(header))
	for _, x := range ts {
		row := []string{x.ID, x.Date.String(), x.Type, x.Owner, x.Territory, x.Product, x.Amount.String(), x.Currency, splitsText(x.Splits)}
		for _, a := range attrs {
			row = append(row, x.Attrs[a])
		}
		must(t, w.Write(row))
	}
	w.Flush()
	must(t, w.Error())
	return b.Bytes()
}

// transactionsJSONL writes ts as a JSON Lines transactions file.
func transactionsJSONL(t *testing.T, ts []facts.Transaction) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, x := range ts {
		obj := map[string]any{"id": x.ID, "date": x.Date.String(), "type": x.Type, "owner": x.Owner, "territory": x.Territory,
			"product": x.Product, "amount": json.Number(x.Amount.String()), "currency": x.Currency}
		if len(x.Splits) > 0 {
			var ss []map[string]any
			for _, s := range x.Splits {
				ss = append(ss, map[string]any{"person": s.Person, "share": s.Share.String()})
			}
			obj["splits"] = ss
		}
		if len(x.Attrs) > 0 {
			obj["attrs"] = x.Attrs
		}
		line, err := json.Marshal(obj)
		must(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func splitsText(ss []facts.Split) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.Person + ":" + s.Share.String()
	}
	return strings.Join(parts, ";")
}

// sameTransactions fails unless got and want are the same transactions,
// amounts and shares compared as numbers.
func sameTransactions(t *testing.T, how string, got, want []facts.Transaction) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d transactions, want %d", how, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		ok := g.ID == w.ID && g.Date == w.Date && g.Type == w.Type && g.Owner == w.Owner && g.Territory == w.Territory &&
			g.Product == w.Product && g.Amount.Equal(w.Amount) && g.Currency == w.Currency && len(g.Splits) == len(w.Splits) &&
			len(g.Attrs) == len(w.Attrs)
		for j := 0; ok && j < len(w.Splits); j++ {
			ok = g.Splits[j].Person == w.Splits[j].Person && g.Splits[j].Share.Equal(w.Splits[j].Share)
		}
		for k, v := range w.Attrs {
			ok = ok && g.Attrs[k] == v
		}
		if !ok {
			t.Fatalf("%s: transaction %d is\n  %+v\nwant\n  %+v", how, i, g, w)
		}
	}
}

func fuzzTransactions(t *testing.T, f Format, data []byte) {
	file := "t." + string(f)
	ts, err := validateTransactions(file, f, data)
	if err != nil {
		checkRefusal(t, file, data, err)
		return
	}
	again, err := validateTransactions("again.csv", CSV, transactionsCSV(t, ts))
	if err != nil {
		t.Fatalf("accepted transactions written as CSV are refused: %v", err)
	}
	sameTransactions(t, "CSV round trip", again, ts)
	again, err = validateTransactions("again.jsonl", JSONL, transactionsJSONL(t, ts))
	if err != nil {
		t.Fatalf("accepted transactions written as JSON Lines are refused: %v", err)
	}
	sameTransactions(t, "JSON Lines round trip", again, ts)
}

func FuzzTransactionsCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzTransactions(t, CSV, data) })
}

// FuzzJSONL fuzzes the JSON Lines reader through the transactions and the
// people importers.
func FuzzJSONL(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzTransactions(t, JSONL, data)
		fuzzPeopleFile(t, JSONL, data)
	})
}

func FuzzPeopleCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) { fuzzPeopleFile(t, CSV, data) })
}

func fuzzPeopleFile(t *testing.T, f Format, data []byte) {
	file := "p." + string(f)
	ps, err := validatePeople(file, f, data)
	if err != nil {
		checkRefusal(t, file, data, err)
		return
	}
	// A row without a name leaves a stored person's name as it is; in CSV
	// that takes a file without the name column, so people with and
	// without names cannot share one CSV file (an empty name is refused).
	if src, ok := peopleCSV(t, ps); ok {
		again, err := validatePeople("again.csv", CSV, src)
		if err != nil {
			t.Fatalf("accepted people written as CSV are refused: %v", err)
		}
		samePeople(t, "CSV round trip", again, ps)
	}
	again, err := validatePeople("again.jsonl", JSONL, peopleJSONL(t, ps))
	if err != nil {
		t.Fatalf("accepted people written as JSON Lines are refused: %v", err)
	}
	samePeople(t, "JSON Lines round trip", again, ps)
}

func dateText(p storage.PersonRecord) (from, hire, term string) {
	if !p.HireDate.IsZero() {
		hire = p.HireDate.String()
	}
	if !p.TerminationDate.IsZero() {
		term = p.TerminationDate.String()
	}
	return p.EffectiveFrom.String(), hire, term
}

// peopleCSV writes ps as a canonical CSV people file.
func peopleCSV(t *testing.T, ps []storage.PersonRecord) ([]byte, bool) {
	t.Helper()
	attrSet := map[string]bool{}
	named := 0
	for _, p := range ps {
		for k := range p.Attrs {
			attrSet[k] = true
		}
		if p.Name != "" {
			named++
		}
	}
	if named != 0 && named != len(ps) {
		return nil, false
	}
	attrs := sortedKeys(boolKeys(attrSet))
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header := append([]string{}, PeopleColumns...)
	if named == 0 {
		header = slices.DeleteFunc(header, func(c string) bool { return c == "name" })
	}
	for _, a := range attrs {
		header = append(header, "attr."+a)
	}
	must(t, w.Write(header))
	for _, p := range ps {
		from, hire, term := dateText(p)
		row := []string{p.ID, p.Name, p.Role, p.Territory, p.Manager, p.Currency, from, hire, term, strings.Join(p.Plans, ";")}
		if named == 0 {
			row = append(row[:1], row[2:]...)
		}
		for _, a := range attrs {
			row = append(row, p.Attrs[a])
		}
		must(t, w.Write(row))
	}
	w.Flush()
	must(t, w.Error())
	return b.Bytes(), true
}

// peopleJSONL writes ps as a JSON Lines people file.
func peopleJSONL(t *testing.T, ps []storage.PersonRecord) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, p := range ps {
		from, hire, term := dateText(p)
		obj := map[string]any{"id": p.ID, "role": p.Role, "territory": p.Territory, "manager": p.Manager,
			"currency": p.Currency, "effective_from": from, "hire_date": hire, "termination_date": term, "plans": p.Plans}
		if p.Name != "" {
			obj["name"] = p.Name
		}
		if len(p.Attrs) > 0 {
			obj["attrs"] = p.Attrs
		}
		line, err := json.Marshal(obj)
		must(t, err)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func samePeople(t *testing.T, how string, got, want []storage.PersonRecord) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d people, want %d", how, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		g.Line, w.Line = 0, 0
		if len(g.Attrs) == 0 && len(w.Attrs) == 0 {
			g.Attrs, w.Attrs = nil, nil
		}
		if !reflect.DeepEqual(g, w) {
			t.Fatalf("%s: person %d is\n  %+v\nwant\n  %+v", how, i, g, w)
		}
	}
}

func boolKeys(m map[string]bool) map[string]string {
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = ""
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
