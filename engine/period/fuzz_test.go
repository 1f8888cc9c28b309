package period

import (
	"regexp"
	"strconv"
	"testing"
)

// canonicalRE is the canonical label grammar, written independently of
// Parse as the fuzz oracle.
var canonicalRE = regexp.MustCompile(`^[1-9][0-9]{3}(-Q[1-4]|-M(0[1-9]|1[0-2])|-SM(0[1-9]|1[0-9]|2[0-4]))?$`)

// biWeeklyRE is the bi-weekly label grammar; a label that matches is
// canonical when its number is at most the fiscal year's cycle count.
var biWeeklyRE = regexp.MustCompile(`^([1-9][0-9]{3})-BW(0[1-9]|1[0-9]|2[0-7])$`)

// errorBytesMax bounds a Parse or ParseDate error: the message, and at
// most inputEchoBytesMax bytes of input, each quoted as up to 4 bytes
// (\xff).
const errorBytesMax = 100 + len(LabelForms) + 4*inputEchoBytesMax

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
			if !p.Year.ContainsRange(p.Quarter) || !p.Quarter.ContainsRange(p.Month) || !p.Month.ContainsRange(p.Range) || p.End.Before(p.Start) {
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

// FuzzParsePayCycles is FuzzParse with a bi-weekly anchor: bi-weekly
// labels are canonical up to the fiscal year's cycle count (counted day by
// day), parse back, and hold their own days.
func FuzzParsePayCycles(f *testing.F) {
	f.Add("2027-BW01", uint8(0), int16(0))
	f.Add("2037-BW27", uint8(0), int16(2557))
	f.Add("2027-BW27", uint8(5), int16(-3))
	f.Add("2027-SM24", uint8(1), int16(9))
	f.Add("2027-bw3", uint8(1), int16(9))
	f.Fuzz(func(t *testing.T, label string, start uint8, anchorDays int16) {
		c := Calendar{FiscalYearStartMonth: int(start%12) + 1, PayCycleAnchor: MustDate("2027-01-01").AddDays(int(anchorDays))}
		p, err := c.Parse(label)
		canonical := canonicalRE.MatchString(label)
		if m := biWeeklyRE.FindStringSubmatch(label); m != nil {
			fy, _ := strconv.Atoi(m[1])
			i, _ := strconv.Atoi(m[2])
			canonical = i <= bwCount(c, fy)
		}
		if canonical != (err == nil) {
			t.Fatalf("Parse(%q): %v; canonical %v", label, err, canonical)
		}
		if err != nil {
			if len(err.Error()) > errorBytesMax {
				t.Fatalf("Parse error is %d bytes long: %.200q", len(err.Error()), err)
			}
			return
		}
		again, err := c.Parse(p.Label)
		if p.Label != label || err != nil || again != p {
			t.Fatalf("Parse(%q) = %+v, again %+v, %v", label, p, again, err)
		}
		for _, d := range []Date{p.Start, p.End} {
			if at, ok := c.PeriodAt(p.Frequency, d); !ok || at != p {
				t.Fatalf("PeriodAt(%s) = %s, want %s", d, at.Label, p.Label)
			}
		}
	})
}
