package period

import (
	"regexp"
	"testing"
)

// canonicalRE is the canonical label grammar, written independently of
// Parse as the fuzz oracle.
var canonicalRE = regexp.MustCompile(`^[1-9][0-9]{3}(-Q[1-4]|-M(0[1-9]|1[0-2]))?$`)

// errorBytesMax bounds a Parse or ParseDate error: the message, and at
// most inputEchoBytesMax bytes of input, each quoted as up to 4 bytes
// (\xff).
const errorBytesMax = 100 + 4*inputEchoBytesMax

// FuzzParse checks that Parse accepts exactly the canonical labels, that
// an accepted label is the period's own label and parses back to the same
// period with consistent ranges, and that errors stay short. Its seeds are
// in testdata/fuzz/FuzzParse and run under plain go test.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, label string, start uint8) {
		c := Calendar{FiscalYearStartMonth: int(start%12) + 1}
		p, err := c.Parse(label)
		if canonical := canonicalRE.MatchString(label); canonical != (err == nil) {
			t.Fatalf("Parse(%q): %v; canonical %v", label, err, canonical)
		}
		if err != nil {
			if len(err.Error()) > errorBytesMax {
				t.Fatalf("Parse error is %d bytes long: %.200q", len(err.Error()), err)
			}
		} else {
			if p.Label != label {
				t.Fatalf("Parse(%q).Label = %q", label, p.Label)
			}
			again, err := c.Parse(p.Label)
			if err != nil || again != p {
				t.Fatalf("Parse(%q) again = %+v, %v; want %+v", p.Label, again, err, p)
			}
			if !p.Year.ContainsRange(p.Quarter) || !p.Quarter.ContainsRange(p.Range) || p.End.Before(p.Start) {
				t.Fatalf("Parse(%q): range %s, quarter %s, year %s do not nest", label, p.Range, p.Quarter, p.Year)
			}
		}
		// A date that parses prints as itself.
		d, err := ParseDate(label)
		if err == nil && d.String() != label {
			t.Fatalf("ParseDate(%q).String() = %q", label, d.String())
		}
		if err != nil && len(err.Error()) > errorBytesMax {
			t.Fatalf("ParseDate error is %d bytes long: %.200q", len(err.Error()), err)
		}
	})
}
