// Package imports reads people, transactions and targets from CSV (with a
// header) or JSON Lines, validates every row, and writes them through
// storage in one transaction: a file with any bad row imports nothing. Each
// problem is reported as FILE:LINE: field: reason.
//
// Transactions imports stream: rows are read and validated on one
// goroutine and compared and staged, in chunks, on another, so a file of
// any length imports in bounded memory (beyond the chunks, 24 bytes per
// stored transaction for the comparison; see storage/sqlstore). A people file is held in
// memory until it is checked whole (managers may come later in the file).
package imports

import (
	"bufio"
	"bytes"
	"encoding/csv"
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
		// Field names and messages are cut as a last guard: values are
		// echoed through echo, but a field name can be input too.
		if len(field) > len("attr.")+HeaderNameBytesMax {
			field = cut(field, EchoBytesMax) + "…"
		}
		msg := fmt.Sprintf(format, args...)
		if len(msg) > problemMsgBytesMax {
			msg = cut(msg, problemMsgBytesMax) + "…"
		}
		p.list = append(p.list, Problem{File: p.file, Line: line, Field: field, Msg: msg})
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
	// attrCols names the attributes the row gives, empty ones included:
	// the attr.NAME columns of the header (CSV) or the keys of the attrs
	// object (JSONL).
	attrCols []string
	// bad says the reader already reported a problem that makes the row
	// unusable.
	bad bool
	// clean says the reader already checked what rowShapeProblems checks
	// (lengths, text, attribute names) and found nothing.
	clean bool
}

func (r record) get(k string) string { return r.fields[k] }

// rowReader yields records from CSV or JSON Lines. A record's fields map
// may be reused by the next call: keep none of it.
type rowReader interface {
	next() (record, error) // io.EOF at the end
}

// newRowReader checks the header (CSV) against the known columns;
// columns named attr.NAME become attributes.
func newRowReader(file string, f Format, r io.Reader, known []string, required []string, probs *problems) (rowReader, error) {
	if f == JSONL {
		return &jsonlReader{br: bufio.NewReaderSize(r, 64<<10), known: known, probs: probs}, nil
	}
	cr := csv.NewReader(&lineLimitReader{r: r})
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
		if len(h) > HeaderNameBytesMax {
			probs.add(1, h, "column name is %d bytes long; the limit is %d bytes", len(h), HeaderNameBytesMax)
			continue
		}
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
	var attrCols []string
	for _, c := range cols {
		if k, ok := strings.CutPrefix(c, "attr."); ok && k != "" {
			attrCols = append(attrCols, k)
		}
	}
	c := &csvReader{file: file, cr: cr, cols: cols, attrCols: attrCols, limits: make([]int, len(cols)), namesClean: true}
	for i, h := range cols {
		if k, ok := strings.CutPrefix(h, "attr."); ok {
			c.limits[i] = AttrValueBytesMax
			c.namesClean = c.namesClean && k != "" && strings.TrimSpace(k) == k && !badText(k)
			continue
		}
		c.limits[i] = fieldBytesMax(h)
		c.namesClean = c.namesClean && !badText(h)
	}
	return c, nil
}

// lineTooLongError is a CSV line over LineBytesMax.
type lineTooLongError struct{ line int }

func (e *lineTooLongError) Error() string {
	return fmt.Sprintf("line %d is longer than %d bytes, the limit", e.line, LineBytesMax)
}

// lineLimitReader fails, from then on, once a line is longer than
// LineBytesMax: encoding/csv would otherwise hold a line of any length in
// memory, and the field on it would be read whole before being refused.
type lineLimitReader struct {
	r         io.Reader
	line      int // 0-based number of the line being read
	lineBytes int
	err       error
}

func (l *lineLimitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	if l.lineBytes+n <= LineBytesMax {
		// No line can pass the limit within p: count its lines at once
		// instead of walking from newline to newline.
		if i := bytes.LastIndexByte(p[:n], '\n'); i >= 0 {
			l.line += bytes.Count(p[:i], newline) + 1
			l.lineBytes = n - 1 - i
		} else {
			l.lineBytes += n
		}
		return n, err
	}
	for rest := p[:n]; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			l.lineBytes += len(rest)
			break
		}
		l.lineBytes += i
		if l.lineBytes > LineBytesMax {
			break
		}
		l.line++
		l.lineBytes = 0
		rest = rest[i+1:]
	}
	if l.lineBytes > LineBytesMax {
		l.err = &lineTooLongError{line: l.line + 1}
		return 0, l.err
	}
	return n, err
}

var newline = []byte{'\n'}

func csvError(file string, err error) error {
	var ll *lineTooLongError
	if errors.As(err, &ll) {
		return &Error{Problems: []Problem{{File: file, Line: ll.line, Msg: fmt.Sprintf("line is longer than %d bytes, the limit", LineBytesMax)}}, Total: 1}
	}
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
	file     string
	cr       *csv.Reader
	cols     []string
	attrCols []string
	// limits is each column's byte limit; namesClean says that no column
	// name is one rowShapeProblems would report.
	limits     []int
	namesClean bool
	// fields is the map every record's fields are read into.
	fields map[string]string
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
	// The fields map is the reader's, cleared for each row: a record's
	// fields are read before the next row is (its attrs, which a parsed
	// row keeps, are its own).
	if c.fields == nil {
		c.fields = make(map[string]string, len(c.cols)+1)
	}
	clear(c.fields)
	rec := record{line: line, fields: c.fields, attrCols: c.attrCols}
	// What rowShapeProblems checks, checked here over the row's fields in
	// order, spares it three walks over the row's maps.
	rec.clean = c.namesClean
	if len(row) != len(c.cols) {
		rec.fields["\x00count"] = fmt.Sprintf("row has %d fields, the header %d", len(row), len(c.cols))
		rec.clean = false
	}
	for i, v := range row {
		if i >= len(c.cols) {
			break
		}
		v = strings.TrimSpace(v)
		if len(v) > c.limits[i] || badText(v) {
			rec.clean = false
		}
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

// rowShapeProblems reports a CSV row with the wrong field count or a bad
// JSON line; it returns true when the row is unusable.
func rowShapeProblems(rec record, probs *problems) bool {
	if rec.bad {
		return true
	}
	if rec.clean {
		return false
	}
	if m, ok := rec.fields["\x00count"]; ok {
		probs.add(rec.line, "", "%s", m)
		return true
	}
	if m, ok := rec.fields["\x00json"]; ok {
		probs.add(rec.line, "", "%s", m)
		return true
	}
	if lengthProblems(rec, probs) {
		return true
	}
	if attrNameProblems(rec, probs) {
		return true
	}
	return textProblems(rec, probs)
}

// attrNameProblems reports attribute names that a CSV header could not
// hold (empty, or starting or ending with a space, which a header loses):
// the same people or transactions must import the same from either format.
func attrNameProblems(rec record, probs *problems) bool {
	var bad []string
	for k := range rec.attrs {
		if k == "" || strings.TrimSpace(k) != k {
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	for _, k := range bad {
		probs.add(rec.line, "attrs", "attribute name %q: want a name that neither is empty nor starts or ends with a space", k)
	}
	return len(bad) > 0
}

// textProblems reports fields that are not text every backend can store:
// invalid UTF-8, or a NUL byte (Postgres refuses both, for the whole file
// and without a line number). It returns true when there is one.
func textProblems(rec record, probs *problems) bool {
	bad := badText
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

// badText says whether s is invalid UTF-8 or holds a NUL byte. Plain ASCII
// is decided in one pass: an import asks for every field of every row.
func badText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == 0:
			return true
		case c >= utf8.RuneSelf:
			return !utf8.ValidString(s[i:]) || strings.IndexByte(s[i:], 0) >= 0
		}
	}
	return false
}
