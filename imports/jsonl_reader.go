package imports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/icomp/icomp/plans/rules"
)

// jsonlReader reads JSON Lines: one JSON object per line, blank lines
// skipped. Each line is at most LineBytesMax bytes; a key may appear once
// per object; fields hold strings, numbers, true, false or null, except
// attrs (an object of such values), splits and plans (lists, or their CSV
// text).
type jsonlReader struct {
	br    *bufio.Reader
	buf   []byte
	line  int
	known []string
	probs *problems
}

// readLine returns the next line without its line ending. A line over
// LineBytesMax is read to its end but not kept: tooLong says so.
func (j *jsonlReader) readLine() (text []byte, tooLong bool, err error) {
	j.buf = j.buf[:0]
	n := 0
	for {
		chunk, err := j.br.ReadSlice('\n')
		n += len(chunk)
		if !tooLong {
			j.buf = append(j.buf, chunk...)
			if len(bytes.TrimRight(j.buf, "\r\n")) > LineBytesMax {
				tooLong, j.buf = true, j.buf[:0]
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && n == 0:
			return nil, false, io.EOF
		case err != nil && err != io.EOF:
			return nil, false, err
		}
		return bytes.TrimRight(j.buf, "\r\n"), tooLong, nil
	}
}

func (j *jsonlReader) next() (record, error) {
	for {
		text, tooLong, err := j.readLine()
		if err != nil {
			return record{}, err
		}
		j.line++
		rec := record{line: j.line, fields: map[string]string{}}
		if tooLong {
			rec.fields["\x00json"] = fmt.Sprintf("line is longer than %d bytes, the limit", LineBytesMax)
			return rec, nil
		}
		if j.line == 1 {
			// A UTF-8 byte order mark (some editors write one), as the
			// CSV reader allows.
			text = bytes.TrimPrefix(text, []byte("\ufeff"))
		}
		text = bytes.TrimSpace(text)
		if len(text) == 0 {
			continue
		}
		keys, vals, err := decodeObject(text)
		if err != nil {
			var dk *duplicateKeyError
			if errors.As(err, &dk) {
				j.probs.add(j.line, dk.key, "appears twice in one object")
				rec.bad = true
				return rec, nil
			}
			rec.fields["\x00json"] = err.Error()
			return rec, nil
		}
		for i, k := range keys {
			if !j.field(&rec, k, vals[i]) {
				rec.bad = true
			}
		}
		return rec, nil
	}
}

// field adds key k with value raw to rec, or reports a problem; it returns
// false when the problem makes the row unusable.
func (j *jsonlReader) field(rec *record, k string, raw json.RawMessage) bool {
	if len(k) > HeaderNameBytesMax {
		j.probs.add(j.line, k, "key is %d bytes long; the limit is %d bytes", len(k), HeaderNameBytesMax)
		return false
	}
	switch {
	case k == "attrs":
		return j.attrs(rec, raw)
	case k == "splits" && raw[0] == '[':
		return j.splits(rec, raw)
	case k == "plans" && raw[0] == '[':
		var ps []string
		if err := json.Unmarshal(raw, &ps); err != nil {
			j.probs.add(j.line, "plans", "want a list of plan names")
			return false
		}
		rec.fields["plans"] = strings.Join(ps, ";")
	case !contains(j.known, k):
		msg := fmt.Sprintf("unknown field; known fields: %s, attrs", strings.Join(j.known, ", "))
		if s := rules.Suggest(k, j.known); s != "" {
			msg = fmt.Sprintf("unknown field; did you mean %q?", s)
		}
		j.probs.add(j.line, k, "%s", msg)
	default:
		v, ok := scalar(raw)
		if !ok {
			j.probs.add(j.line, k, "want a string or a number, not %s", kindOf(raw))
			return false
		}
		rec.fields[k] = strings.TrimSpace(v)
	}
	return true
}

func (j *jsonlReader) attrs(rec *record, raw json.RawMessage) bool {
	keys, vals, err := decodeObject(raw)
	var dk *duplicateKeyError
	switch {
	case errors.As(err, &dk):
		j.probs.add(j.line, "attr."+dk.key, "appears twice in one object")
		return false
	case err != nil:
		j.probs.add(j.line, "attrs", "want an object of names to values")
		return false
	}
	ok := true
	rec.attrs = make(map[string]string, len(keys))
	rec.attrCols = keys
	for i, k := range keys {
		v, isScalar := scalar(vals[i])
		switch {
		case k == "":
			j.probs.add(j.line, "attrs", "an attribute needs a name")
			ok = false
		case len(k) > HeaderNameBytesMax:
			j.probs.add(j.line, "attr."+k, "name is %d bytes long; the limit is %d bytes", len(k), HeaderNameBytesMax)
			ok = false
		case !isScalar:
			j.probs.add(j.line, "attr."+k, "want a string, a number, true, false or null, not %s", kindOf(vals[i]))
			ok = false
		default:
			// As in a CSV attr. column: numbers keep their exact text,
			// space around a value is dropped, and so is an empty value.
			if v = strings.TrimSpace(v); v != "" {
				rec.attrs[k] = v
			}
		}
	}
	return ok
}

// splits turns [{"person": ID, "share": FRACTION}, …] into the CSV text
// form, PERSON:SHARE;PERSON:SHARE, which transactionRow checks.
func (j *jsonlReader) splits(rec *record, raw json.RawMessage) bool {
	const want = `want a list of {"person": ID, "share": FRACTION}`
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		j.probs.add(j.line, "splits", want)
		return false
	}
	parts := make([]string, len(items))
	for i, item := range items {
		keys, vals, err := decodeObject(item)
		var dk *duplicateKeyError
		if errors.As(err, &dk) {
			j.probs.add(j.line, "splits", "split %d: %s appears twice in one object", i+1, echo(dk.key))
			return false
		}
		person, share := "", ""
		ok := err == nil && len(keys) == 2
		for k := 0; ok && k < len(keys); k++ {
			v, isScalar := scalar(vals[k])
			switch {
			case !isScalar || vals[k][0] == 't' || vals[k][0] == 'f' || vals[k][0] == 'n':
				ok = false
			case keys[k] == "person" && vals[k][0] == '"':
				person = v
			case keys[k] == "share":
				share = v
			default:
				ok = false
			}
		}
		if !ok || person == "" || share == "" {
			j.probs.add(j.line, "splits", want)
			return false
		}
		parts[i] = person + ":" + share
	}
	rec.fields["splits"] = strings.Join(parts, ";")
	return true
}

// duplicateKeyError is a key that appears twice in one JSON object.
type duplicateKeyError struct{ key string }

func (e *duplicateKeyError) Error() string { return fmt.Sprintf("key %s appears twice", echo(e.key)) }

// decodeObject reads data as exactly one JSON object and returns its keys
// and raw values in order. encoding/json would keep the last of two equal
// keys silently; decodeObject returns a *duplicateKeyError instead.
func decodeObject(data []byte) ([]string, []json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, nil, notObject(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, nil, fmt.Errorf("want one JSON object per line, not %s", kindOf(bytes.TrimSpace(data)))
	}
	var keys []string
	var vals []json.RawMessage
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, notObject(err)
		}
		k, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, notObject(err)
		}
		if seen[k] {
			return nil, nil, &duplicateKeyError{key: k}
		}
		seen[k] = true
		keys = append(keys, k)
		vals = append(vals, raw)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, notObject(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("more than one JSON value on the line; want one object per line")
	}
	return keys, vals, nil
}

// notObject words a JSON syntax error for a problem.
func notObject(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("not a JSON object: the line ends before the object does")
	}
	return fmt.Errorf("not a JSON object: %w", err)
}

// scalar returns the text of a JSON string, number, true, false or null
// (""); numbers keep their exact text, never passing through float64. It
// returns false for an object or a list.
func scalar(raw json.RawMessage) (string, bool) {
	switch raw[0] {
	case '{', '[':
		return "", false
	case 'n':
		return "", true
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	default:
		// A number, true or false: its JSON text is its value.
		return string(raw), true
	}
}

// kindOf names the kind of JSON value raw starts, for problems.
func kindOf(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}
