// Package imports reads people, transactions and targets from CSV (with a
// header) or JSON Lines, validates every row, and writes them through
// storage in one transaction: a file with any bad row imports nothing. Each
// problem is reported as FILE:LINE: field: reason.
//
// Imports stream: rows are validated and staged in chunks, so a file of
// any length imports in bounded memory.
package imports

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/icomp/icomp/plans/rules"
)

// ProblemsShownMax is how many row problems an import lists before it only counts.
const ProblemsShownMax = 50

// Problem is one bad field of one row.
type Problem struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (p Problem) String() string {
	if p.Field == "" {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", p.File, p.Line, p.Field, p.Msg)
}

// Error is a failed import: the first problems and how many there were.
// Nothing was imported.
type Error struct {
	Problems []Problem
	Total    int
}

func (e *Error) Error() string {
	var b strings.Builder
	for _, p := range e.Problems {
		b.WriteString(p.String())
		b.WriteByte('\n')
	}
	if e.Total > len(e.Problems) {
		fmt.Fprintf(&b, "... and %d more problem(s)\n", e.Total-len(e.Problems))
	}
	fmt.Fprintf(&b, "%d problem(s); nothing was imported", e.Total)
	return b.String()
}

type problems struct {
	file string
	list []Problem
	n    int
}

func (p *problems) add(line int, field, format string, args ...any) {
	p.n++
	if len(p.list) < ProblemsShownMax {
		p.list = append(p.list, Problem{File: p.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
}

func (p *problems) err() error {
	if p.n == 0 {
		return nil
	}
	return &Error{Problems: p.list, Total: p.n}
}

// Format is an input file format.
type Format string

// The formats.
const (
	CSV   Format = "csv"
	JSONL Format = "jsonl"
)

// FormatOf picks the format from a file name: .jsonl/.ndjson are JSON
// Lines, anything else CSV.
func FormatOf(name string) Format {
	if strings.HasSuffix(name, ".jsonl") || strings.HasSuffix(name, ".ndjson") {
		return JSONL
	}
	return CSV
}

// record is one input row as field name → text.
type record struct {
	line   int
	fields map[string]string
	// attrs holds the attr.NAME columns (CSV) or the attrs object (JSONL).
	attrs map[string]string
}

func (r record) get(k string) string { return r.fields[k] }

// rowReader yields records from CSV or JSON Lines.
type rowReader interface {
	next() (record, error) // io.EOF at the end
}

// newRowReader checks the header (CSV) against the known columns;
// columns named attr.NAME become attributes.
func newRowReader(file string, f Format, r io.Reader, known []string, required []string, probs *problems) (rowReader, error) {
	if f == JSONL {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 16<<20)
		return &jsonlReader{sc: sc, known: known, probs: probs}, nil
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	// Rows with the wrong field count are reported by rowShapeProblems, as
	// FILE:LINE problems like any other, and reading goes on: with 0,
	// encoding/csv would stop the whole file at the first such row.
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		probs.add(1, "", "empty file; want a header line naming the columns (%s)", strings.Join(required, ", "))
		return nil, probs.err()
	}
	if err != nil {
		return nil, csvError(file, err)
	}
	cols := make([]string, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		cols[i] = h
		if seen[h] {
			probs.add(1, h, "column appears twice in the header")
		}
		seen[h] = true
		if strings.HasPrefix(h, "attr.") && len(h) > 5 {
			continue
		}
		if !contains(known, h) {
			msg := fmt.Sprintf("unknown column; known columns: %s, and attr.NAME for attributes", strings.Join(known, ", "))
			if s := rules.Suggest(h, known); s != "" {
				msg = fmt.Sprintf("unknown column; did you mean %q?", s)
			}
			probs.add(1, h, "%s", msg)
		}
	}
	for _, req := range required {
		if !seen[req] {
			probs.add(1, req, "required column missing from the header")
		}
	}
	if probs.n > 0 {
		return nil, probs.err()
	}
	return &csvReader{file: file, cr: cr, cols: cols}, nil
}

func csvError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &Error{Problems: []Problem{{File: file, Line: pe.Line, Msg: "CSV: " + pe.Err.Error()}}, Total: 1}
	}
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type csvReader struct {
	file string
	cr   *csv.Reader
	cols []string
}

func (c *csvReader) next() (record, error) {
	row, err := c.cr.Read()
	if err != nil {
		if err == io.EOF {
			return record{}, io.EOF
		}
		return record{}, csvError(c.file, err)
	}
	line, _ := c.cr.FieldPos(0)
	rec := record{line: line, fields: make(map[string]string, len(row))}
	if len(row) != len(c.cols) {
		rec.fields["\x00count"] = fmt.Sprintf("row has %d fields, the header %d", len(row), len(c.cols))
	}
	for i, v := range row {
		if i >= len(c.cols) {
			break
		}
		v = strings.TrimSpace(v)
		if k, ok := strings.CutPrefix(c.cols[i], "attr."); ok {
			if v != "" {
				if rec.attrs == nil {
					rec.attrs = map[string]string{}
				}
				rec.attrs[k] = v
			}
			continue
		}
		rec.fields[c.cols[i]] = v
	}
	return rec, nil
}

type jsonlReader struct {
	sc    *bufio.Scanner
	line  int
	known []string
	probs *problems
}

func (j *jsonlReader) next() (record, error) {
	for j.sc.Scan() {
		j.line++
		text := strings.TrimSpace(j.sc.Text())
		if text == "" {
			continue
		}
		rec := record{line: j.line, fields: map[string]string{}}
		var obj map[string]json.RawMessage
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		if err := dec.Decode(&obj); err != nil {
			rec.fields["\x00json"] = "not a JSON object: " + err.Error()
			return rec, nil
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			raw := obj[k]
			switch {
			case k == "attrs":
				// Numbers keep their exact text, as in a CSV attr. column.
				var m map[string]any
				ad := json.NewDecoder(strings.NewReader(string(raw)))
				ad.UseNumber()
				if err := ad.Decode(&m); err != nil {
					j.probs.add(j.line, "attrs", "want an object of names to values")
					continue
				}
				rec.attrs = map[string]string{}
				for ak, av := range m {
					rec.attrs[ak] = scalarText(av)
				}
			case k == "splits" && len(raw) > 0 && raw[0] == '[':
				var ss []struct {
					Person string      `json:"person"`
					Share  json.Number `json:"share"`
				}
				if err := json.Unmarshal(raw, &ss); err != nil {
					j.probs.add(j.line, "splits", "want a list of {\"person\": ID, \"share\": FRACTION}")
					continue
				}
				parts := make([]string, len(ss))
				for i, s := range ss {
					parts[i] = s.Person + ":" + s.Share.String()
				}
				rec.fields["splits"] = strings.Join(parts, ";")
			case k == "plans" && len(raw) > 0 && raw[0] == '[':
				var ps []string
				if err := json.Unmarshal(raw, &ps); err != nil {
					j.probs.add(j.line, "plans", "want a list of plan names")
					continue
				}
				rec.fields["plans"] = strings.Join(ps, ";")
			case !contains(j.known, k):
				msg := fmt.Sprintf("unknown field; known fields: %s, attrs", strings.Join(j.known, ", "))
				if s := rules.Suggest(k, j.known); s != "" {
					msg = fmt.Sprintf("unknown field; did you mean %q?", s)
				}
				j.probs.add(j.line, k, "%s", msg)
			default:
				// Numbers keep their exact text: json.Number, never float64.
				var v any
				d := json.NewDecoder(strings.NewReader(string(raw)))
				d.UseNumber()
				if err := d.Decode(&v); err != nil {
					j.probs.add(j.line, k, "bad value: %v", err)
					continue
				}
				rec.fields[k] = strings.TrimSpace(scalarText(v))
			}
		}
		return rec, nil
	}
	if err := j.sc.Err(); err != nil {
		return record{}, err
	}
	return record{}, io.EOF
}

func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// rowShapeProblems reports a CSV row with the wrong field count or a bad
// JSON line; it returns true when the row is unusable.
func rowShapeProblems(rec record, probs *problems) bool {
	if m, ok := rec.fields["\x00count"]; ok {
		probs.add(rec.line, "", "%s", m)
		return true
	}
	if m, ok := rec.fields["\x00json"]; ok {
		probs.add(rec.line, "", "%s", m)
		return true
	}
	return textProblems(rec, probs)
}

// textProblems reports fields that are not text every backend can store:
// invalid UTF-8, or a NUL byte (Postgres refuses both, for the whole file
// and without a line number). It returns true when there is one.
func textProblems(rec record, probs *problems) bool {
	bad := func(s string) bool { return !utf8.ValidString(s) || strings.ContainsRune(s, 0) }
	var fields []string
	for k, v := range rec.fields {
		if bad(k) || bad(v) {
			fields = append(fields, k)
		}
	}
	for k, v := range rec.attrs {
		if bad(k) || bad(v) {
			fields = append(fields, "attr."+k)
		}
	}
	sort.Strings(fields)
	for _, f := range fields {
		probs.add(rec.line, strings.ToValidUTF8(strings.ReplaceAll(f, "\x00", ""), "?"), "not valid UTF-8 text, or contains a NUL byte")
	}
	return len(fields) > 0
}
