package plans

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a plan file: 1-based line and column.
type Pos struct {
	File   string
	Line   int
	Column int
}

// String is file:line:col, or just the file when the line is unknown (a
// file that cannot be read).
func (p Pos) String() string {
	if p.Line <= 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Diagnostic is one problem found in a plan, target plan or plan test file.
type Diagnostic struct {
	Pos
	Message string
	// SourceLine is the text of the offending line, when known.
	SourceLine string
}

// String formats the diagnostic as file:line:col: message, then the
// offending line with a caret under the column.
func (d Diagnostic) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", d.Pos, d.Message)
	if d.SourceLine != "" {
		gutter := fmt.Sprintf("%5d | ", d.Line)
		fmt.Fprintf(&b, "\n%s%s\n%s", gutter, strings.ReplaceAll(d.SourceLine, "\t", " "), strings.Repeat(" ", len(gutter)-2)+"| ")
		if d.Column > 1 {
			b.WriteString(strings.Repeat(" ", d.Column-1))
		}
		b.WriteString("^")
	}
	return b.String()
}

// Diagnostics is every problem found; as an error it lists them all.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.String()
	}
	return strings.Join(parts, "\n")
}

// Sort orders diagnostics by file, line and column.
func (ds Diagnostics) Sort() {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}

// Err returns ds as an error, or nil when there is no diagnostic.
func (ds Diagnostics) Err() error {
	if len(ds) == 0 {
		return nil
	}
	return ds
}
