package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// jsonFields lists the JSON names of the fields of the struct v points
// to, in their order: the only keys a body decoded into it may have.
func jsonFields(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names = append(names, name)
	}
	return names
}

// checkKeys refuses a JSON object whose keys are not exactly (letter case
// and all) the names in known, or that gives a key twice in any letter
// case. encoding/json alone would take "AMOUNT" for amount and keep the
// last of two, so {"amount": "5.00", "AMOUNT": "5000.00"} would post
// 5000.00 where a reader of the body sees 5.00. A body that is not a
// JSON object, or not valid JSON, it leaves to the decoder to name.
func checkKeys(body []byte, known []string) error {
	fields := strings.Join(known, ", ")
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil
	}
	seen := map[string]string{} // folded key: the key as first given
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key, ok := tok.(string)
		if !ok {
			return nil
		}
		folded := foldKey(key)
		if first, ok := seen[folded]; ok {
			if first == key {
				return &bodyError{http.StatusBadRequest, fmt.Sprintf("%s: given twice; give each field once", key)}
			}
			return &bodyError{http.StatusBadRequest, fmt.Sprintf("%s: given twice (as %q and %q); give each field once, spelled exactly", key, first, key)}
		}
		seen[folded] = key
		if !slices.Contains(known, key) {
			for _, k := range known {
				if foldKey(k) == folded {
					return &bodyError{http.StatusBadRequest, fmt.Sprintf("%s: unknown field (field names are case-sensitive: %s); the fields are %s", key, k, fields)}
				}
			}
			return &bodyError{http.StatusBadRequest, fmt.Sprintf("%s: unknown field; the fields are %s", key, fields)}
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil
		}
	}
	return nil
}

// foldKey is key as encoding/json compares field names: letter case
// folded (so the Kelvin sign matches k, and ſ matches s).
func foldKey(key string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, key)
}
